"""The ``bimgeo`` command: convert, info, bench, run in-process and once as ``python -m bimgeo``."""
from __future__ import annotations

import copy
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

import bimgeo
from bimgeo._cli import main
from bimgeo._progress import Progress
from bimgeo._sample import sample_chunks


@pytest.fixture(scope="module")
def sample_ids() -> List[str]:
    return [o["id"] for c in sample_chunks() for o in c.get("objects", [])]


def _with_bad_element(tmp_path: Path) -> tuple[Path, Dict[str, Any]]:
    """The sample's first meshblob chunk saved as a file, with one picture made undecodable."""
    chunk = copy.deepcopy(sample_chunks()[0])
    bad = chunk["objects"][3]
    bad["attributes"]["geometry"]["picture"] = bad["attributes"]["geometry"]["picture"][:40] + "!!not base64!!"
    path = tmp_path / "chunk1.json"
    path.write_text(json.dumps(chunk))
    return path, bad


# --------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------


def test_info_sample_lists_every_element(capsys: pytest.CaptureFixture[str], sample_ids: List[str]) -> None:
    assert main(["info", "--sample"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for eid in sample_ids:
        assert sum(1 for ln in lines if ln.startswith(eid)) == 1, eid
    assert f"elements    {len(sample_ids)} loaded" in out
    assert "0 failed" in out
    assert "bounds      world, Z up, mm" in out
    assert "types       " in out and "Wall" in out
    assert "#BECCBA" in out  # the concrete of the slabs and columns
    header = next(ln for ln in lines if ln.startswith("id "))
    assert header.split() == ["id", "type", "points", "triangles", "volume_m3", "colour", "alpha"]


def test_info_row_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--sample"]) == 0
    rows = {ln.split()[0]: ln.split() for ln in capsys.readouterr().out.splitlines() if ln[:8].count("-") == 0 and len(ln.split()) == 7}
    scene = bimgeo.load(sample_chunks())
    south = next(e for e in scene if e.name == "Exterior wall South 0")
    r = rows[south.id]
    assert r[1] == "Wall" and int(r[2]) == len(south.mesh.vertices) and int(r[3]) == len(south.mesh.faces)
    assert r[4] == f"{south.mesh.volume / 1e9:.3f}" == "7.770"
    assert r[5:] == ["#ECE2D0", "255"]
    wire = next(e for e in scene if e.type == "ReinforcingBar")
    assert rows[wire.id][3:5] == ["0", "-"]
    glass = next(e for e in scene if e.name and e.name.startswith("Glazing"))
    assert rows[glass.id][5:] == ["#8CBEE1", "90"]
    bare = next(e for e in scene if e.rgba is None and (e.mesh is None or e.mesh.rgba is None))
    assert rows[bare.id][5:] == ["-", "-"]
    # a template instance: volume through the instance matrix (scaled rails included)
    rail = next(e for e in scene if e.name and e.name.startswith("Rail "))
    expected = rail.mesh.volume * abs(np.linalg.det(rail.matrix[:3, :3])) / 1e9
    assert rows[rail.id][4] == f"{expected:.3f}"


def test_info_reads_files_and_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_ids: List[str]) -> None:
    files = []
    for i, chunk in enumerate(sample_chunks()):
        p = tmp_path / f"chunk{i}.json"
        data = json.dumps(chunk).encode()
        if i % 2:
            p = p.with_suffix(".json.gz")
            data = gzip.compress(data)
        p.write_bytes(data)
        files.append(str(p))
    assert main(["info", *files]) == 0
    out = capsys.readouterr().out
    assert all(eid in out for eid in sample_ids)
    # the bundled file itself (a JSON array of responses) works as an input too
    from bimgeo._sample import sample_path

    assert main(["info", str(sample_path())]) == 0
    out = capsys.readouterr().out
    assert all(eid in out for eid in sample_ids)


def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["info"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["info", "--sample", "x.json"])
    assert exc.value.code == 2
    assert main([]) == 2
    assert main(["info", str(tmp_path / "missing.json")]) == 1
    assert "missing.json" in capsys.readouterr().err
    assert main(["convert", "--sample", "-o", str(tmp_path / "x.stl")]) == 2


# --------------------------------------------------------------------------
# convert
# --------------------------------------------------------------------------


def test_convert_sample_glb(tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_ids: List[str]) -> None:
    trimesh = pytest.importorskip("trimesh")
    out = tmp_path / "x.glb"
    assert main(["convert", "--sample", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "wrote" in err and "skipped    0" in err
    assert "templates  6 (177 instances)" in err
    scene = bimgeo.load(sample_chunks())
    with_geometry = {e.id for e in scene if e.mesh is not None and (len(e.mesh.faces) or len(e.mesh.lines))}
    assert len(with_geometry) == len(sample_ids)
    assert f"triangles  {scene.n_triangles:,}".replace(",", " ") in err
    loaded = trimesh.load(str(out), force="scene")
    # one node per element with geometry, named by its id (wires come back as paths)
    assert len(loaded.graph.nodes_geometry) == len(with_geometry)
    assert set(loaded.graph.nodes_geometry) == with_geometry
    # metres, Y up: the building is ~24 m wide and ~9 m tall
    lo, hi = loaded.bounds
    assert 20 < hi[0] - lo[0] < 30 and 8 < hi[1] - lo[1] < 11


@pytest.mark.node
def test_converted_sample_passes_the_gltf_validator(tmp_path: Path) -> None:
    import gltf_validator

    reason = gltf_validator.missing_reason()
    if reason:
        pytest.skip(reason)
    paths = []
    for name, extra in (("plain.glb", []), ("smooth.glb", ["--normals", "smooth"]), ("mm.glb", ["--units", "mm", "--up", "z"])):
        out = tmp_path / name
        assert main(["convert", "--sample", "-o", str(out), *extra]) == 0
        paths.append(str(out))
    for report in gltf_validator.validate(paths):
        assert gltf_validator.problems(report) == [], report["file"]


def test_convert_options_and_obj(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trimesh = pytest.importorskip("trimesh")
    out = tmp_path / "mm.glb"
    assert main(["convert", "--sample", "-o", str(out), "--units", "mm", "--up", "z", "--normals", "smooth"]) == 0
    lo, hi = trimesh.load(str(out), force="scene").bounds
    assert 20_000 < hi[0] - lo[0] < 30_000 and 8_000 < hi[2] - lo[2] < 11_000  # Z up, mm
    assert main(["convert", "--sample", "-o", str(tmp_path / "flat.glb"), "--normals", "flat"]) == 0
    obj = tmp_path / "x.obj"
    assert main(["convert", "--sample", "-o", str(obj)]) == 0
    assert obj.is_file() and (tmp_path / "x.mtl").is_file()
    assert "wrote" in capsys.readouterr().err


def test_strict_fails_and_names_the_bad_element(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, bad = _with_bad_element(tmp_path)
    out = tmp_path / "strict.glb"
    assert main(["convert", str(path), "-o", str(out), "--strict"]) == 1
    err = capsys.readouterr().err
    assert bad["id"] in err and "--strict" in err
    assert not out.exists()


def test_without_strict_the_rest_is_converted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trimesh = pytest.importorskip("trimesh")
    path, bad = _with_bad_element(tmp_path)
    out = tmp_path / "lenient.glb"
    assert main(["convert", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert bad["id"] in err and "skipped    1" in err and "warning" in err
    loaded = trimesh.load(str(out), force="scene")
    ids = {o["id"] for o in json.loads(path.read_text())["objects"]} - {bad["id"]}
    assert set(loaded.graph.nodes_geometry) == ids


def test_a_bad_file_is_an_error_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "broken.json"
    p.write_text('{"objects": [')
    assert main(["convert", str(p), "-o", str(tmp_path / "b.glb")]) == 1
    err = capsys.readouterr().err
    assert "broken.json" in err and "JSON" in err
    assert not (tmp_path / "b.glb").exists()


# --------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------


def test_bench_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--sample", "--repeat", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    stages = {(s["stage"], s["library"].split()[0]) for s in result["stages"]}
    names = {s["stage"] for s in result["stages"]}
    assert {"floor", "base64", "inflate", "parse", "decode", "triangulate", "load", "export"} <= names
    assert ("base64", "stdlib") in stages and ("inflate", "zlib") in stages
    for s in result["stages"]:
        assert s["seconds"] > 0 and s["elements_per_s"] > 0
        if s["stage"] in ("load", "export"):
            assert s["ratio_to_floor"] is None  # whole scene, not the same pictures
        else:
            assert s["ratio_to_floor"] > 0
    tri = next(s for s in result["stages"] if s["stage"] == "triangulate")
    assert tri["triangles_per_s"] > 0
    assert result["input"]["meshblob_pictures"] == 41
    if result["implementation"] == "cython":  # the sample: all as BinaryFormatter writes them
        assert result["input"]["canonical_streams"] == 41
    else:
        assert result["input"]["canonical_streams"] is None
    assert result["threads"] == 1


def test_bench_table_threads_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "c.json"
    p.write_text(json.dumps(sample_chunks()[0]))
    assert main(["bench", str(p), "--threads", "3", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "3 thread(s)" in out and "x floor" in out and "decode" in out
    assert main(["bench", "--threads", "0"]) == 2


# --------------------------------------------------------------------------
# progress bar and the module entry point
# --------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_tty() -> None:
    plain = io.StringIO()
    with Progress(10, "x", stream=plain) as bar:
        bar.update(5)
    assert plain.getvalue() == ""
    tty = _Tty()
    with Progress(4, "work", stream=tty, min_interval=0) as bar:
        for _ in range(4):
            bar.update(1)
    text = tty.getvalue()
    assert "work [" in text and "100%" in text and "4/4" in text
    assert text.endswith("\r")  # erased on close


def test_http_subcommands_are_wired_in(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("fetch", "export-ifc"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert f"usage: bimgeo {command}" in capsys.readouterr().out


def test_python_dash_m(tmp_path: Path, sample_ids: List[str]) -> None:
    env = dict(os.environ)
    src = str(Path(bimgeo.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    run = subprocess.run([sys.executable, "-m", "bimgeo", "info", "--sample"], check=True, capture_output=True, text=True, env=env)
    assert all(eid in run.stdout for eid in sample_ids)
    out = tmp_path / "m.glb"
    run = subprocess.run(
        [sys.executable, "-m", "bimgeo", "convert", "--sample", "-o", str(out)], check=True, capture_output=True, text=True, env=env
    )
    assert out.stat().st_size > 10_000 and "wrote" in run.stderr
    assert out.read_bytes()[:4] == b"glTF"


def _with_absurd_matrix(tmp_path: Path, scale: float) -> tuple[Path, Dict[str, Any]]:
    """The sample's first meshblob chunk with one element placed by a matrix scaling by ``scale``."""
    chunk = copy.deepcopy(sample_chunks()[0])
    bad = chunk["objects"][2]
    m = np.eye(4) * scale
    m[3, 3] = 1.0
    bad["attributes"]["geometry"]["matrix"] = {"values": m.reshape(-1).tolist()}
    path = tmp_path / "absurd.json"
    path.write_text(json.dumps(chunk))
    return path, bad


@pytest.mark.parametrize("fmt", ["glb", "obj"])
def test_an_element_the_format_cannot_hold_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    # Decodable, but placed past what the output can hold (glb: float32
    # positions; obj: finite text): reported and left out, the rest written.
    trimesh = pytest.importorskip("trimesh")
    # glb: far past float32; obj: past float64 (1e308 times coordinates of metres)
    path, bad = _with_absurd_matrix(tmp_path, 1e300 if fmt == "glb" else 1e308)
    out = tmp_path / f"rest.{fmt}"
    assert main(["convert", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert bad["id"] in err and "skipped    1" in err and f"cannot be written to {fmt}" in err
    ids = {o["id"] for o in json.loads(path.read_text())["objects"]} - {bad["id"]}
    if fmt == "glb":
        assert set(trimesh.load(str(out), force="scene").graph.nodes_geometry) == ids
        gltf_json = json.loads(out.read_bytes()[20:20 + int.from_bytes(out.read_bytes()[12:16], "little")])
        assert all(None not in a.get("min", []) + a.get("max", []) for a in gltf_json["accessors"])
    else:
        assert "inf" not in out.read_text() and f"o {bad['id']}" not in out.read_text()
    strict = tmp_path / f"strict.{fmt}"
    assert main(["convert", str(path), "-o", str(strict), "--strict"]) == 1
    assert bad["id"] in capsys.readouterr().err and not strict.exists()


def test_writers_refuse_what_they_cannot_hold(tmp_path: Path) -> None:
    # Scene.export itself raises (naming the element) rather than write
    # float32 infinities (glb) or "inf" (obj).
    path, bad = _with_absurd_matrix(tmp_path, 1e200)
    scene = bimgeo.load(path)
    assert not scene.errors
    with pytest.raises(ValueError, match=bad["id"]):
        scene.export(io.BytesIO(), format="glb")
    scene.export(io.BytesIO(), format="obj")  # 1e200 mm is finite text
    path, bad = _with_absurd_matrix(tmp_path, 1e308)
    with pytest.raises(ValueError, match=bad["id"]):
        bimgeo.load(path).export(io.BytesIO(), format="obj", units="mm")
    from bimgeo._export import unwritable

    assert [e.id for e, _ in unwritable(bimgeo.load(path), "obj")] == [bad["id"]]
    assert unwritable(bimgeo.load(sample_chunks()), "glb") == []


def test_unwritable_checks_each_element_against_its_box() -> None:
    # The screen works on bounding boxes, all elements at once: compare it
    # with the exporters themselves, one element per scene.
    from bimgeo import Element, Mesh, Scene
    from bimgeo._export import unwritable

    box = Mesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    wide = Mesh(np.array([[0, 0, 0], [1e39, 0, 0], [0, 1, 0], [0, 0, 1]]), box.faces)
    turn = np.array([[0.0, -1, 0, 5e6], [1, 0, 0, -3e6], [0, 0, 1, 40], [0, 0, 0, 1]])
    huge = np.diag([1e200, 1, 1, 1])
    past = np.diag([1e300, 1e300, 1, 1])
    cases = [
        ("plain", box, None, set()),
        ("far and turned", box, turn, set()),
        ("wide in mm", wide, None, {"glb"}),  # 1e39 mm: 1e36 m fits float32, mm does not (mm units below)
        ("scaled", box, huge, {"glb"}),
        ("past float64", wide, past, {"glb", "obj"}),
        ("no mesh, bad matrix", None, np.full((4, 4), np.nan), {"glb", "obj"}),
    ]
    elements = [Element(name, mesh=mesh, matrix=m) for name, mesh, m, _ in cases]
    for fmt in ("glb", "obj"):
        flagged = {e.id for e, _ in unwritable(Scene(elements), fmt, units="mm")}
        assert flagged == {name for name, _, _, bad in cases if fmt in bad}
        for e in elements:
            try:
                Scene([e]).export(io.BytesIO(), format=fmt, units="mm")
                wrote = True
            except ValueError:
                wrote = False
            assert wrote == (e.id not in flagged), (fmt, e.id)
