"""obj + mtl writer: groups, materials, lines, frames, trimesh reload."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

from bimgeo._export import export_scene
from bimgeo._model import Mesh
from bimgeo._obj import export_obj
from bimgeo._scene import Element, Scene
from test_glb import make_scene, to_output


def parse_obj(text):
    """Minimal reader: vertices, and per `o` name its faces / lines (1-based -> 0-based) and material."""
    verts, objects, current = [], {}, None
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] == "v":
            verts.append([float(x) for x in parts[1:4]])
        elif parts[0] == "o":
            current = objects.setdefault(parts[1], {"f": [], "l": [], "usemtl": None, "g": None})
        elif parts[0] == "g":
            current["g"] = parts[1]
        elif parts[0] == "usemtl":
            current["usemtl"] = parts[1]
        elif parts[0] in ("f", "l"):
            current[parts[0]].append([int(x) - 1 for x in parts[1:]])
    return np.array(verts), objects


def test_files_groups_and_materials(tmp_path):
    scene = make_scene()
    path = tmp_path / "OUT.obj"
    export_scene(scene, str(path))
    assert sorted(os.listdir(tmp_path)) == ["OUT.mtl", "OUT.obj"]
    text = path.read_text()
    assert text.splitlines()[1] == "mtllib OUT.mtl"
    verts, objects = parse_obj(text)
    assert list(objects) == [e.id for e in scene]
    for e in scene:
        obj = objects[e.id]
        assert obj["g"] == e.id
        w = e.world_mesh()
        if w is None:
            assert obj["f"] == [] and obj["l"] == [] and obj["usemtl"] is None
            continue
        f = np.array(obj["f"], dtype=np.int64).reshape(-1, 3)
        assert len(f) == len(w.faces)
        if len(f):
            # same triangles, same winding (mirror flipped back to outward)
            np.testing.assert_allclose(verts[f], to_output(w.vertices)[w.faces.astype(np.int64)], atol=1e-6)
        l = np.array(obj["l"], dtype=np.int64).reshape(-1, 2)
        np.testing.assert_allclose(verts[l], to_output(w.vertices)[w.lines.astype(np.int64)], atol=1e-6)
    assert len(objects["bar-1"]["l"]) == 2
    mtl = (tmp_path / "OUT.mtl").read_text()
    names = [line.split()[1] for line in mtl.splitlines() if line.startswith("newmtl")]
    assert len(names) == 5 and len(set(names)) == 5
    used = {o["usemtl"] for o in objects.values() if o["usemtl"]}
    assert used == set(names)
    glass = objects["glass-1"]["usemtl"]
    block = mtl.split(f"newmtl {glass}\n")[1].split("\n\n")[0]
    assert "Kd 0.392157 0.784314 1" in block and "d 0.501961" in block
    # template instances share one material, the green override has its own
    assert objects["inst-1"]["usemtl"] == objects["inst-3"]["usemtl"] != objects["inst-4"]["usemtl"]


def test_far_coordinates_and_frames():
    scene = make_scene().select(ids=["far-1", "far-2"])
    for units, up, tol in (("m", "y", 1e-6), ("mm", "z", 1e-6)):
        data = export_obj(scene, units=units, up=up)["scene.obj"]
        verts, objects = parse_obj(data.decode())
        want = np.concatenate([to_output(e.world_mesh().vertices, units, up) for e in scene])
        assert np.abs(verts - want).max() < tol  # well below 1 mm
    assert b"# bimgeo obj: units mm, Z up" in export_obj(scene, units="mm", up="z")["scene.obj"]


def test_trimesh_reload(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    scene = make_scene()
    path = str(tmp_path / "out.obj")
    export_scene(scene, path)
    loaded = trimesh.load(path, force="scene", split_objects=True, group_material=False)
    faced = [e for e in scene if e.mesh is not None and len(e.mesh.faces)]
    assert sorted(loaded.geometry) == sorted(e.id for e in faced)
    for e in faced:
        g = loaded.geometry[e.id]
        assert len(g.faces) == len(e.mesh.faces)
        np.testing.assert_allclose(np.sort(g.vertices, axis=0), np.sort(to_output(e.world_mesh().vertices), axis=0), atol=1e-6)
    assert abs(loaded.geometry["inst-3"].volume - 0.3 * 0.3 * 0.6) < 1e-9  # mirrored, still outward


def test_file_object_without_materials():
    buf = io.BytesIO()
    export_scene(make_scene(), buf, format="obj")
    text = buf.getvalue().decode()
    assert "mtllib" not in text and "usemtl" not in text and "o wall-1\n" in text
    with pytest.raises(ValueError, match="two files"):
        export_scene(make_scene(), io.BytesIO(), format="obj", materials=True)


def test_names_and_precision():
    m = Mesh(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([[0, 1, 2]], dtype=np.uint32))
    out = export_obj(Scene([Element("a b\tc", mesh=m)]), units="mm", up="z", precision=2, materials=False)
    assert list(out) == ["scene.obj"]
    text = out["scene.obj"].decode()
    assert "o a_b_c\n" in text and "v 1.00 0.00 0.00\n" in text and "f 1 2 3\n" in text
    with pytest.raises(ValueError, match="precision"):
        export_obj(Scene(), precision=40)


def test_empty_scene(tmp_path):
    export_scene(Scene(), str(tmp_path / "e.obj"))
    assert (tmp_path / "e.obj").read_text() == "# bimgeo obj: units m, Y up\nmtllib e.mtl\n"
    assert (tmp_path / "e.mtl").read_text() == "# bimgeo materials\n"


def test_invalid_input_names_element():
    m = np.eye(4)
    m[1, 1] = np.nan
    with pytest.raises(ValueError, match="'x'.*non-finite matrix"):
        export_obj(Scene([Element("ok"), Element("x", matrix=m)]))
    bad = Mesh(np.zeros((3, 3)), np.array([[0, 1, 3]], dtype=np.uint32))
    with pytest.raises(ValueError, match="'bad'.*out of range"):
        export_obj(Scene([Element("bad", mesh=bad)]))
