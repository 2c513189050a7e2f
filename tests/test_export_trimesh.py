"""Export dispatch (formats, files, atomic writes) and the trimesh bridge."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

from bimgeo import _export
from bimgeo._export import EXPORTERS, export_scene, scene_to_trimesh
from bimgeo._io import atomic_write, atomic_write_many
from bimgeo._model import Mesh
from bimgeo._scene import Element, Scene
from test_glb import make_scene, parse_glb, to_output

trimesh = pytest.importorskip("trimesh")


# -- dispatch ------------------------------------------------------------------
def test_registry_and_formats(tmp_path):
    assert sorted(EXPORTERS) == ["glb", "obj"]
    scene = make_scene()
    export_scene(scene, str(tmp_path / "a.GLB"))
    with open(tmp_path / "a.GLB", "rb") as fh:
        parse_glb(fh.read())
    export_scene(scene, tmp_path / "b.bin", format="glb")  # os.PathLike, explicit format
    assert (tmp_path / "b.bin").stat().st_size > 0
    scene.export(str(tmp_path / "c.obj"))  # Scene.export calls into _export
    assert (tmp_path / "c.mtl").exists()
    with pytest.raises(ValueError, match="known formats: glb, obj"):
        export_scene(scene, str(tmp_path / "d.stl"))
    with pytest.raises(ValueError, match="format"):
        export_scene(scene, io.BytesIO())
    assert not (tmp_path / "d.stl").exists()


def test_file_object_name_gives_format(tmp_path):
    with open(tmp_path / "x.glb", "wb") as fh:
        export_scene(make_scene(), fh)
    with open(tmp_path / "x.glb", "rb") as fh:
        parse_glb(fh.read())


# -- atomic writes ---------------------------------------------------------------
def _boom_chunks():
    yield b"partial"
    raise RuntimeError("writer failed")


def test_atomic_write_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.glb"
    with pytest.raises(RuntimeError):
        atomic_write(str(target), _boom_chunks())
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_previous_file(tmp_path):
    target = tmp_path / "out.glb"
    target.write_bytes(b"old content")
    with pytest.raises(RuntimeError):
        atomic_write(target, _boom_chunks())
    assert target.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["out.glb"]
    atomic_write(target, [b"new ", memoryview(b"content")])
    assert target.read_bytes() == b"new content"
    assert os.listdir(tmp_path) == ["out.glb"]


def test_atomic_write_many_all_or_nothing(tmp_path):
    (tmp_path / "a.mtl").write_bytes(b"old mtl")
    with pytest.raises(RuntimeError):
        atomic_write_many({tmp_path / "a.mtl": b"new mtl", tmp_path / "a.obj": _boom_chunks()})
    assert (tmp_path / "a.mtl").read_bytes() == b"old mtl"
    assert sorted(os.listdir(tmp_path)) == ["a.mtl"]


def test_failing_writer_leaves_no_file(tmp_path, monkeypatch):
    bad = Mesh(np.zeros((3, 3)), np.array([[0, 1, 7]], dtype=np.uint32))
    scene = Scene([Element("bad", mesh=bad)])
    for name in ("out.glb", "out.obj"):
        with pytest.raises(ValueError, match="out of range"):
            export_scene(scene, str(tmp_path / name))
    assert os.listdir(tmp_path) == []
    (tmp_path / "keep.glb").write_bytes(b"previous")

    def broken(scene, **options):
        raise MemoryError("simulated")

    monkeypatch.setitem(_export.EXPORTERS, "glb", broken)
    with pytest.raises(MemoryError):
        export_scene(make_scene(), str(tmp_path / "keep.glb"))
    assert (tmp_path / "keep.glb").read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["keep.glb"]


# -- trimesh bridge ------------------------------------------------------------
def test_scene_to_trimesh_nodes_and_metadata():
    scene = make_scene()
    ts = scene.to_trimesh()
    assert isinstance(ts, trimesh.Scene)
    assert {e.id for e in scene} <= set(ts.graph.nodes)
    edge = ts.graph.transforms.edge_data[(ts.graph.base_frame, "glass-1")]
    assert edge["metadata"] == {"type": "Window", "name": "Glass", "parent": "wall-1", "rgba": [100.0, 200.0, 255.0, 128.0], "id": "glass-1"}
    # templates: one geometry shared by the same-colour instances, another for the override
    geoms = {n: ts.graph[n][1] for n in ("inst-1", "inst-2", "inst-3", "inst-4")}
    assert geoms["inst-1"] == geoms["inst-2"] == geoms["inst-3"] == "T1"
    assert geoms["inst-4"] != "T1"
    assert ts.graph["storey-1"][1] is None
    assert isinstance(ts.geometry[ts.graph["bar-1"][1]], trimesh.path.Path3D)
    for e in scene:
        w = e.world_mesh()
        if w is None or len(w.faces) == 0:
            continue
        matrix, name = ts.graph[e.id]
        pts = trimesh.transform_points(ts.geometry[name].vertices, matrix)
        np.testing.assert_allclose(pts, w.vertices, atol=1e-6)
    assert ts.geometry["T1"].visual.face_colors[0].tolist() == [0, 0, 255, 255]
    assert ts.geometry[geoms["inst-4"]].visual.face_colors[0].tolist() == [0, 255, 0, 255]


def test_scene_to_trimesh_frame_option():
    scene = make_scene().select(ids=["far-2"])
    ts = scene_to_trimesh(scene, units="m", up="y")
    matrix, name = ts.graph["far-2"]
    pts = trimesh.transform_points(ts.geometry[name].vertices, matrix)
    np.testing.assert_allclose(pts, to_output(scene["far-2"].world_mesh().vertices), atol=1e-9)
