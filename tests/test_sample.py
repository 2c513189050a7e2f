"""The bundled sample building: deterministic, small, and covering every input path.

Frames: meshblob points are element-local (Z up, mm) placed by their
matrix; threejs vertices world Y up; template instances in the Y-up frame
(design.md §2-§5). The loaded scene is world Z up, mm.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

import bimgeo
from bimgeo._sample import sample_bytes, sample_chunks, sample_path

ROOT = Path(__file__).resolve().parent.parent
SITE = np.array([1_000_000.0, 2_000_000.0, 0.0])



needs_scripts = pytest.mark.skipif(
    not (ROOT / "scripts" / "make_sample_building.py").exists(),
    reason="scripts/ not present (testing an installed wheel from a temporary directory)",
)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_sample_building", ROOT / "scripts" / "make_sample_building.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sample_building", mod)
    spec.loader.exec_module(mod)
    return mod


def _meshblob(chunks: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [o for c in chunks for o in c.get("objects", []) if "picture" in o["attributes"].get("geometry", {})]


def _face_loops(poly: bimgeo.Polyhedron) -> List[List[List[int]]]:
    """Each face's closed loops (point indices), in the order the edge list starts them."""
    out = []
    for i in range(poly.n_faces):
        segs = []
        for r in poly.face(i):
            a, b = (int(v) for v in poly.edges[abs(int(r)) - 1])
            segs.append((a, b) if r > 0 else (b, a))
        nxt = dict(segs)
        seen = set()
        loops = []
        for a, _ in segs:
            if a in seen:
                continue
            loop = []
            c = a
            while c not in seen:
                seen.add(c)
                loop.append(c)
                c = nxt[c]
            loops.append(loop)
        out.append(loops)
    return out


def _area(points: np.ndarray) -> float:
    """Area of a planar loop (half the Newell normal's length)."""
    nxt = np.roll(points, -1, axis=0)
    return float(np.linalg.norm(np.cross(points, nxt).sum(axis=0)) / 2)


@pytest.fixture(scope="module")
def chunks() -> List[Dict[str, Any]]:
    return sample_chunks()


def test_sample_file_is_small_and_found() -> None:
    path = sample_path()
    assert path.is_file()
    assert path.name == "sample_building.json.gz"
    assert len(sample_bytes()) < 300_000


def _unzipped_pictures(chunks: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The chunks with every picture replaced by its MS-NRBF bytes (hex): equal whatever zlib compressed them."""
    import base64

    out = json.loads(json.dumps(chunks))
    for o in _meshblob(out):
        g = o["attributes"]["geometry"]
        g["picture"] = gzip.decompress(base64.b64decode(g["picture"])).hex()
    return out


@needs_scripts
def test_regenerating_gives_the_same_bytes() -> None:
    gen = _generator()
    first = gen.build_bytes()
    assert first == gen.build_bytes(), "the generator is not deterministic"
    if first != sample_bytes():
        # Another zlib build may compress differently; the content must still be the same.
        fresh = json.loads(gzip.decompress(first))
        assert _unzipped_pictures(fresh) == _unzipped_pictures(sample_chunks()), (
            "src/bimgeo/data/sample_building.json.gz is stale: run python scripts/make_sample_building.py"
        )


def test_chunk_shapes(chunks: List[Dict[str, Any]]) -> None:
    kinds = []
    for c in chunks:
        if "templates" in c:
            kinds.append("templates")
        elif any("template" in o["attributes"].get("geometry", {}) for o in c["objects"]):
            kinds.append("instances")
        elif any("threejs" in o["attributes"].get("geometry", {}) for o in c["objects"]):
            kinds.append("threejs")
        else:
            kinds.append("meshblob")
    assert kinds == ["meshblob", "meshblob", "threejs", "templates", "instances"]
    n = sum(len(c.get("objects", [])) for c in chunks)
    assert 200 <= n <= 400
    ids = [o["id"] for c in chunks for o in c.get("objects", [])] + [t["id"] for c in chunks for t in c.get("templates", [])]
    assert len(set(ids)) == len(ids)
    assert not any("-0000-0000-0000-" in i for i in ids)


def test_meshblob_coverage(chunks: List[Dict[str, Any]]) -> None:
    objs = _meshblob(chunks)
    types = {o["type"] for o in objs}
    assert {"Wall", "Slab", "Column", "Roof", "Footing", "ReinforcingBar"} <= types
    polys = [bimgeo.decode_polyhedron(o["attributes"]["geometry"]["picture"], element_id=o["id"]) for o in objs]
    for o, p in zip(objs, polys):
        assert p.id == o["id"]
        m = bimgeo.decode_matrix(o["attributes"]["geometry"]["matrix"])
        assert np.allclose(m[3], [0, 0, 0, 1])
        assert np.abs(m[:2, 3] - SITE[:2]).max() < 50_000  # near the site origin
    wires = [p for p in polys if p.is_wire]
    assert wires and all(p.polyeder_type & 0x10000 for p in wires)
    assert any(p.rgba is None and not p.is_wire for p in polys), "an element without colour"
    assert any(p.rgba == (190.0, 204.0, 186.0, 255.0) for p in polys)
    faces = [(p, loops) for p in polys for loops in _face_loops(p)]
    with_holes = [(p, loops) for p, loops in faces if len(loops) >= 2]
    assert len(with_holes) >= 10, "faces with holes (windows, stair opening, vents)"
    # some faces list a hole before their outer loop (order must not matter, design.md §2)
    assert any(
        _area(p.points[loops[0]]) < max(_area(p.points[lp]) for lp in loops[1:]) for p, loops in with_holes
    ), "a face whose first loop is a hole"
    assert any(
        _area(p.points[loops[0]]) > max(_area(p.points[lp]) for lp in loops[1:]) for p, loops in with_holes
    )
    sizes = []
    for p in polys:
        for i in range(p.n_faces):
            sizes.append(len(p.face(i)))
    assert max(sizes) >= 8, "non-convex door faces (8-gons and more)"
    walls = [p for o, p in zip(objs, polys) if o["type"] == "Wall"]
    assert any(len(loops) == 1 and len(loops[0]) >= 8 for p in walls for loops in _face_loops(p)), "a door notch"


def test_threejs_and_templates(chunks: List[Dict[str, Any]]) -> None:
    three = chunks[2]
    assert three["colors"] and all(-(2**31) <= c < 2**31 for c in three["colors"])
    flags = set()
    for o in three["objects"]:
        tj = o["attributes"]["geometry"]["threejs"]
        assert tj["metadata"]["formatVersion"] == 3
        assert 0 <= tj["metadata"]["colorid"] < len(three["colors"])
        assert len(tj["vertices"]) % 3 == 0
        f, i = tj["faces"], 0
        while i < len(f):  # only bits 0 (quad) and 1 (material index) are used
            assert f[i] & ~3 == 0
            flags.add(f[i])
            i += 1 + (4 if f[i] & 1 else 3) + (1 if f[i] & 2 else 0)
        assert i == len(f)
    assert flags == {0, 1, 2, 3}, "triangles and quads, with and without a material index"
    alphas = {(c >> 24) & 0xFF for c in three["colors"]}
    assert min(alphas) < 255, "a transparent colour (glazing)"
    tpl = chunks[3]
    tids = {t["id"] for t in tpl["templates"]}
    assert len(tids) >= 4
    for t in tpl["templates"]:
        g = t["geometries"][0]
        assert 0 <= g["metadata"]["colorid"] < len(tpl["colors"])
    inst = chunks[4]["objects"]
    assert len(inst) > 100
    assert all(o["attributes"]["geometry"]["template"] in tids for o in inst)
    assert all(len(o["attributes"]["geometry"]["matrix"]) == 16 for o in inst)
    assert any("colorid" in o["attributes"]["geometry"] for o in inst)


def test_meshblob_solids_are_closed_with_the_designed_volume(chunks: List[Dict[str, Any]]) -> None:
    objs = _meshblob(chunks)
    by_name = {}
    for o in objs:
        p = bimgeo.decode_polyhedron(o["attributes"]["geometry"]["picture"])
        mesh = bimgeo.triangulate(p)
        if p.is_wire:
            assert len(mesh.faces) == 0 and len(mesh.lines) == len(p.edges)
            continue
        assert mesh.is_watertight(), o["attributes"]["general"]["name"]
        assert mesh.volume > 0
        by_name[o["attributes"]["general"]["name"]] = mesh.volume
    # 12 m x 2.75 m x 0.3 m minus three windows 1.2 x 1.3 and a door 1.1 x 2.2 (mm³)
    assert by_name["Exterior wall South 0"] == pytest.approx((12_000 * 2_750 - 3 * 1_200 * 1_300 - 1_100 * 2_200) * 300, rel=1e-9)
    # a slab 12 x 8 x 0.25 m with a 3 x 1.2 m stair opening
    assert by_name["Floor slab 1"] == pytest.approx((12_000 * 8_000 - 3_000 * 1_200) * 250, rel=1e-9)


def test_load_sample() -> None:
    from bimgeo._sample import load_sample

    scene = load_sample()
    assert not scene.errors
    assert len(scene) == sum(len(c.get("objects", [])) for c in sample_chunks())
    assert len(scene.templates) >= 4
    assert all(e.mesh is not None for e in scene)
    inst = [e for e in scene if e.template is not None]
    assert len(inst) > 100
    # instances share the template's mesh
    assert len({id(e.mesh) for e in inst}) == len({e.template for e in inst})
    lo, hi = scene.bounds
    assert np.all(lo[:2] > SITE[:2] - 10_000) and np.all(hi[:2] < SITE[:2] + 30_000)
    assert -1_000 < lo[2] < 0 < hi[2] < 10_000
    # threejs elements carry quantity.volume: the decoded mesh agrees
    for e in scene:
        vol = e.attributes.get("quantity", {}).get("volume") if isinstance(e.attributes, dict) else None
        if vol is not None and e.mesh is not None and len(e.mesh.faces):
            assert e.mesh.volume == pytest.approx(vol, rel=1e-6, abs=1.0)
