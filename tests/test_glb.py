"""glb writer: reload with trimesh and pygltflib, Khronos validator, precision, templates."""
from __future__ import annotations

import io
import json
import os
import struct

import numpy as np
import pytest

from bimgeo._export import export_scene
from bimgeo._glb import decompose, export_glb, smooth_normals
from bimgeo._model import Mesh
from bimgeo._scene import Element, Scene

FAR = 7.5e7  # mm: 75 km from the origin


def box(size=(1000.0, 2000.0, 3000.0), origin=(0.0, 0.0, 0.0), rgba=None, id=None):
    """Axis-aligned box, 8 shared vertices, 12 triangles counter-clockwise from outside."""
    sx, sy, sz = size
    o = np.asarray(origin, dtype=np.float64)
    v = np.array(
        [[0, 0, 0], [sx, 0, 0], [sx, sy, 0], [0, sy, 0], [0, 0, sz], [sx, 0, sz], [sx, sy, sz], [0, sy, sz]],
        dtype=np.float64,
    ) + o
    f = np.array(
        [
            [0, 2, 1], [0, 3, 2],  # bottom (-z)
            [4, 5, 6], [4, 6, 7],  # top (+z)
            [0, 1, 5], [0, 5, 4],  # -y
            [2, 3, 7], [2, 7, 6],  # +y
            [1, 2, 6], [1, 6, 5],  # +x
            [3, 0, 4], [3, 4, 7],  # -x
        ],
        dtype=np.uint32,
    )
    return Mesh(v, f, rgba=rgba, id=id)


def translation(x, y, z):
    m = np.eye(4)
    m[:3, 3] = (x, y, z)
    return m


def rot_z(deg, t=(0.0, 0.0, 0.0)):
    a = np.radians(deg)
    m = translation(*t)
    m[:2, :2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    return m


def make_scene():
    """Every kind of element the writers must handle."""
    template = box((300.0, 300.0, 600.0), rgba=(0, 0, 255, 255), id="tmpl-mesh")
    mirror = translation(9000.0, 0.0, 0.0)
    mirror[0, 0] = -1.0
    shear = translation(12000.0, 0.0, 0.0)
    shear[0, 1] = 0.5
    wire = Mesh(
        np.array([[0.0, 0.0, 0.0], [1000.0, 0.0, 0.0], [1000.0, 1000.0, 500.0]]),
        np.zeros((0, 3), dtype=np.uint32),
        lines=np.array([[0, 1], [1, 2]], dtype=np.uint32),
        id="wire",
    )
    elements = [
        Element("wall-1", type="Wall", name="Wall 1", mesh=box(rgba=(255, 0, 0, 255)), matrix=translation(100.0, 200.0, 0.0)),
        Element("glass-1", type="Window", name="Glass", parent="wall-1", mesh=box((500.0, 50.0, 800.0), rgba=(100, 200, 255, 128))),
        Element("inst-1", type="Column", template="T1", mesh=template, matrix=translation(5000.0, 0.0, 0.0)),
        Element("inst-2", type="Column", template="T1", mesh=template, matrix=rot_z(90.0, (6000.0, 1000.0, 0.0))),
        Element("inst-3", type="Column", template="T1", mesh=template, matrix=mirror),
        Element("inst-4", type="Column", template="T1", mesh=template, matrix=rot_z(30.0, (7000.0, 0.0, 0.0)), rgba=(0, 255, 0, 255)),
        Element("sheared", type="Beam", mesh=box((100.0, 100.0, 100.0)), matrix=shear),
        Element("bar-1", type="Reinforcement", mesh=wire),
        Element("storey-1", type="Storey", name="Level 0"),
        Element("far-1", type="Slab", mesh=box((4000.0, 3000.0, 200.0), origin=(FAR, FAR, 1000.0))),
        Element("far-2", type="Slab", mesh=box((4000.0, 3000.0, 200.0)), matrix=translation(FAR + 10.0, FAR - 5000.0, 2000.0)),
    ]
    return Scene(elements)


def to_output(points_mm, units="m", up="y"):
    """World (Z up, mm) points in the writer's output frame."""
    p = np.asarray(points_mm, dtype=np.float64)
    if up == "y":
        p = np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1)
    return p * (0.001 if units == "m" else 1.0)


VARIANTS = {
    "default": {},
    "mm_zup": {"units": "mm", "up": "z"},
    "flat": {"normals": "flat"},
    "smooth": {"normals": "smooth"},
    "smooth_wide": {"normals": "smooth", "crease_angle": 3.0},
    "instancing": {"instancing": True},
}


def parse_glb(data):
    magic, version, length = struct.unpack_from("<III", data, 0)
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    jlen, jtype = struct.unpack_from("<II", data, 12)
    assert jtype == 0x4E4F534A and jlen % 4 == 0
    gltf = json.loads(data[20 : 20 + jlen])
    binary = b""
    if 20 + jlen < len(data):
        blen, btype = struct.unpack_from("<II", data, 20 + jlen)
        assert btype == 0x004E4942 and blen % 4 == 0
        binary = data[28 + jlen : 28 + jlen + blen]
    assert len(data) % 4 == 0
    return gltf, binary


def read_accessor(gltf, binary, index):
    """An accessor's data as a float64 / int64 array (float32, uint16, uint32; tightly packed elements)."""
    acc = gltf["accessors"][index]
    view = gltf["bufferViews"][acc["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    dtype = {5126: "<f4", 5123: "<u2", 5125: "<u4"}[acc["componentType"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    itemsize = np.dtype(dtype).itemsize * width
    assert view.get("byteStride", itemsize) == itemsize
    arr = np.frombuffer(binary, dtype, acc["count"] * width, start).reshape(-1, width)
    return arr.astype(np.float64 if dtype == "<f4" else np.int64)


def node_world_points(path):
    """{node name: world points (n, 3) of its mesh} through pygltflib, applying node TRS."""
    import pygltflib

    g = pygltflib.GLTF2().load(path)
    blob = g.binary_blob()
    out = {}
    for node in g.nodes:
        if node.mesh is None:
            continue
        m = node_matrix(node)
        pts = []
        for prim in g.meshes[node.mesh].primitives:
            acc = g.accessors[prim.attributes.POSITION]
            view = g.bufferViews[acc.bufferView]
            start = (view.byteOffset or 0) + (acc.byteOffset or 0)
            arr = np.frombuffer(blob, dtype="<f4", count=acc.count * 3, offset=start).reshape(-1, 3)
            np.testing.assert_array_equal(arr.min(axis=0), np.float32(acc.min))
            np.testing.assert_array_equal(arr.max(axis=0), np.float32(acc.max))
            pts.append(arr.astype(np.float64) @ m[:3, :3].T + m[:3, 3])
        out[node.name] = np.concatenate(pts)
    return out


def node_matrix(node):
    m = np.eye(4)
    if node.matrix:
        return np.asarray(node.matrix, dtype=np.float64).reshape(4, 4).T
    x, y, z, w = node.rotation or (0.0, 0.0, 0.0, 1.0)
    r = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    m[:3, :3] = r * np.asarray(node.scale or (1.0, 1.0, 1.0))
    m[:3, 3] = node.translation or (0.0, 0.0, 0.0)
    return m


# -- structure ---------------------------------------------------------------
def test_container_layout_and_json():
    data = export_glb(make_scene())
    gltf, binary = parse_glb(data)
    assert gltf["asset"] == {"version": "2.0", "generator": "bimgeo"}
    assert gltf["buffers"][0]["byteLength"] <= len(binary) < gltf["buffers"][0]["byteLength"] + 4
    for view in gltf["bufferViews"]:
        assert view["byteOffset"] % 4 == 0
        # byteStride only on vertex-attribute views (shared by several accessors)
        assert "byteStride" not in view or (view["target"] == 34962 and view["byteStride"] == 12)
    root = gltf["nodes"][0]
    assert root["name"] == "bimgeo" and gltf["scenes"][0]["nodes"] == [0]
    names = [gltf["nodes"][i]["name"] for i in root["children"]]
    assert names == [e.id for e in make_scene()]


def test_nodes_extras_materials():
    gltf, _ = parse_glb(export_glb(make_scene()))
    nodes = {n["name"]: n for n in gltf["nodes"]}
    assert nodes["glass-1"]["extras"] == {"type": "Window", "name": "Glass", "parent": "wall-1", "rgba": [100.0, 200.0, 255.0, 128.0]}
    assert nodes["inst-1"]["extras"]["template"] == "T1"
    assert "mesh" not in nodes["storey-1"] and nodes["storey-1"]["extras"] == {"type": "Storey", "name": "Level 0"}
    mats = gltf["materials"]
    # red, glass, blue template, green override, default grey (sheared box, wire, far slabs)
    assert len(mats) == 5
    glass = mats[gltf["meshes"][nodes["glass-1"]["mesh"]]["primitives"][0]["material"]]
    assert glass["alphaMode"] == "BLEND"
    assert glass["pbrMetallicRoughness"] == {"baseColorFactor": [100 / 255, 200 / 255, 1.0, 128 / 255], "metallicFactor": 0.0, "roughnessFactor": 1.0}
    assert glass["doubleSided"] is False
    assert sum(1 for m in mats if m.get("alphaMode") == "BLEND") == 1
    assert nodes["bar-1"] and gltf["meshes"][nodes["bar-1"]["mesh"]]["primitives"][0]["mode"] == 1


def test_template_shared_mesh():
    gltf, _ = parse_glb(export_glb(make_scene()))
    nodes = {n["name"]: n for n in gltf["nodes"]}
    # same Mesh, same colour -> one glTF mesh; the green override is a second mesh over the same accessors
    assert nodes["inst-1"]["mesh"] == nodes["inst-2"]["mesh"] == nodes["inst-3"]["mesh"]
    assert nodes["inst-4"]["mesh"] != nodes["inst-1"]["mesh"]
    p1 = gltf["meshes"][nodes["inst-1"]["mesh"]]["primitives"][0]
    p4 = gltf["meshes"][nodes["inst-4"]["mesh"]]["primitives"][0]
    assert p1["attributes"] == p4["attributes"] and p1["indices"] == p4["indices"]
    assert nodes["inst-3"]["scale"][0] < 0  # mirror kept as a negative scale
    # the sheared element is baked: its own mesh, plain translation
    assert "rotation" not in nodes["sheared"] and "scale" not in nodes["sheared"]


def test_identical_arrays_share_buffer_views():
    a = box(rgba=(1, 2, 3, 255))
    b = box(rgba=(1, 2, 3, 255))  # equal arrays, different objects
    gltf, _ = parse_glb(export_glb(Scene([Element("a", mesh=a), Element("b", mesh=b)])))
    assert len(gltf["bufferViews"]) == 2 and len(gltf["accessors"]) == 2


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_world_positions_roundtrip_pygltflib(tmp_path, variant):
    opts = VARIANTS[variant]
    scene = make_scene()
    path = str(tmp_path / "out.glb")
    export_scene(scene, path, **opts)
    got = node_world_points(path)
    units, up = opts.get("units", "m"), opts.get("up", "y")
    tol = 1e-6 if units == "m" else 1e-3  # 1 micrometre
    if opts.get("instancing"):
        names = {e.id for e in scene if e.mesh is not None} - {"inst-1", "inst-2", "inst-3"}
        assert names <= set(got)
        return
    for e in scene:
        w = e.world_mesh()
        if w is None:
            assert e.id not in got
            continue
        want = to_output(w.vertices, units, up)
        have = got[e.id]
        # compare as point sets (normals split/merge vertices)
        d = np.abs(have[:, None, :] - want[None, :, :]).max(axis=2)
        assert d.min(axis=1).max() < tol, (variant, e.id)
        assert d.min(axis=0).max() < tol, (variant, e.id)


def test_far_coordinates_sub_mm(tmp_path):
    path = str(tmp_path / "far.glb")
    export_scene(make_scene(), path)
    got = node_world_points(path)
    for eid in ("far-1", "far-2"):
        e = make_scene()[eid]
        want = to_output(e.world_mesh().vertices)
        assert np.abs(got[eid] - want).max() < 1e-6  # metres: a micrometre, far below 1 mm
    # float32 stored relative data stays small
    with open(path, "rb") as fh:
        gltf, _ = parse_glb(fh.read())
    for acc in gltf["accessors"]:
        if "min" in acc:
            assert max(abs(x) for x in acc["min"] + acc["max"]) < 10.0


def test_trimesh_reload(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    scene = make_scene()
    path = str(tmp_path / "out.glb")
    export_scene(scene, path)
    loaded = trimesh.load(path, force="scene")
    nodes = set(loaded.graph.nodes)
    assert {e.id for e in scene} <= nodes
    for e in scene:
        w = e.world_mesh()
        if w is None or len(w.faces) == 0:
            continue
        tm_geom_name = loaded.graph[e.id][1]
        geom = loaded.geometry[tm_geom_name]
        assert len(geom.faces) == len(w.faces)
        pts = trimesh.transform_points(geom.vertices, loaded.graph[e.id][0])
        want = to_output(w.vertices)
        d = np.abs(pts[:, None, :] - want[None, :, :]).max(axis=2)
        assert d.min(axis=1).max() < 1e-6, e.id
    # template: one geometry shared by the three same-colour instances
    g = {loaded.graph[n][1] for n in ("inst-1", "inst-2", "inst-3")}
    assert len(g) == 1
    dumped = loaded.dump(concatenate=False) if hasattr(loaded, "dump") else []
    assert len(dumped) >= 9


def test_empty_scene():
    gltf, binary = parse_glb(export_glb(Scene()))
    assert binary == b""
    assert gltf["nodes"] == [{"name": "bimgeo", "extras": {"units": "m", "up": "y"}}]
    assert "buffers" not in gltf and "meshes" not in gltf


def test_large_mesh_uses_uint32():
    n = 70000
    v = np.random.default_rng(1).random((n, 3)) * 1000
    f = np.stack([np.arange(n - 2), np.arange(1, n - 1), np.arange(2, n)], axis=1).astype(np.uint32)
    gltf, _ = parse_glb(export_glb(Scene([Element("big", mesh=Mesh(v, f))])))
    idx = gltf["accessors"][gltf["meshes"][0]["primitives"][0]["indices"]]
    assert idx["componentType"] == 5125
    gltf, _ = parse_glb(export_glb(Scene([Element("small", mesh=box())])))
    assert gltf["accessors"][gltf["meshes"][0]["primitives"][0]["indices"]]["componentType"] == 5123


def test_flat_and_smooth_normals_unit():
    for opts in ({"normals": "flat"}, {"normals": "smooth"}):
        gltf, binary = parse_glb(export_glb(make_scene(), **opts))
        seen = 0
        for mesh in gltf["meshes"]:
            for prim in mesh["primitives"]:
                if "NORMAL" in prim["attributes"]:
                    n = read_accessor(gltf, binary, prim["attributes"]["NORMAL"])
                    assert np.allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-6)
                    seen += 1
        assert seen


def test_smooth_normals_crease():
    m = box()
    # crease 0.5 rad: a box keeps hard edges: 24 vertices (4 per side), axis normals
    src, n, tri = smooth_normals(m.vertices, m.faces, 0.5)
    assert len(src) == 24 and np.allclose(np.abs(n).max(axis=1), 1.0)
    # crease > 90 deg: corners smoothed: 8 vertices, diagonal-ish normals
    src, n, tri = smooth_normals(m.vertices, m.faces, 2.0)
    assert len(src) == 8 and np.allclose(np.linalg.norm(n, axis=1), 1.0)
    np.testing.assert_array_equal(src[tri], m.faces)
    # bounded memory path gives the same answer
    src2, n2, tri2 = smooth_normals(m.vertices, m.faces, 2.0, max_pairs=5)
    np.testing.assert_array_equal(src2[tri2], m.faces)
    np.testing.assert_allclose(n2[np.argsort(src2)], n[np.argsort(src)])


def test_decompose_mirror_and_rotations():
    rng = np.random.default_rng(7)
    for _ in range(50):
        q, _r = np.linalg.qr(rng.normal(size=(3, 3)))
        s = rng.uniform(0.5, 2.0, 3) * rng.choice([-1, 1], 3)
        lin = q @ np.diag(s)
        ok, quat, scale = decompose(lin[None])
        assert ok[0]
        x, y, z, w = quat[0]
        r = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        np.testing.assert_allclose(r * scale[0], lin, atol=1e-12)
    ok, _, _ = decompose(np.array([[[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.zeros((3, 3))]))
    assert not ok.any()


def test_instancing_extension():
    gltf, binary = parse_glb(export_glb(make_scene(), instancing=True))
    assert gltf["extensionsUsed"] == ["EXT_mesh_gpu_instancing"]
    inst = [n for n in gltf["nodes"] if "extensions" in n]
    assert len(inst) == 1
    node = inst[0]
    assert [x["id"] for x in node["extras"]["instances"]] == ["inst-1", "inst-2", "inst-3"]
    attrs = node["extensions"]["EXT_mesh_gpu_instancing"]["attributes"]
    assert set(attrs) == {"TRANSLATION", "ROTATION", "SCALE"}
    names = [n["name"] for n in gltf["nodes"]]
    assert "inst-4" in names and "inst-1" not in names  # inst-4 has its own colour: alone, a plain node
    # world positions of every instance
    scene = make_scene()
    t, r, s = (read_accessor(gltf, binary, attrs[k]) for k in ("TRANSLATION", "ROTATION", "SCALE"))
    local = read_accessor(gltf, binary, gltf["meshes"][node["mesh"]]["primitives"][0]["attributes"]["POSITION"])
    for k, eid in enumerate(["inst-1", "inst-2", "inst-3"]):
        x, y, z, w = r[k]
        rot = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        world = local @ (rot * s[k]).T + t[k] + np.asarray(node.get("translation", [0, 0, 0]))
        want = to_output(scene[eid].world_mesh().vertices)
        assert np.abs(world - want).max() < 1e-5


def test_file_object_and_bad_options():
    buf = io.BytesIO()
    export_scene(make_scene(), buf, format="glb")
    assert buf.getvalue() == export_glb(make_scene())
    with pytest.raises(ValueError, match="units"):
        export_glb(make_scene(), units="cm")
    with pytest.raises(ValueError, match="up"):
        export_glb(make_scene(), up="x")
    with pytest.raises(ValueError, match="normals"):
        export_glb(make_scene(), normals="weird")
    bad = Mesh(np.zeros((3, 3)), np.array([[0, 1, 5]], dtype=np.uint32))
    with pytest.raises(ValueError, match="'bad'.*out of range"):
        export_glb(Scene([Element("ok", mesh=box()), Element("bad", mesh=bad)]))
    nan = Mesh(np.full((3, 3), np.nan), np.array([[0, 1, 2]], dtype=np.uint32))
    with pytest.raises(ValueError, match="'nan'.*non-finite"):
        export_glb(Scene([Element("nan", mesh=nan)]))
    m = np.eye(4)
    m[0, 3] = np.inf
    with pytest.raises(ValueError, match="'inf'.*non-finite matrix"):
        export_glb(Scene([Element("ok"), Element("inf", matrix=m)]))


# -- Khronos validator ---------------------------------------------------------
VALIDATOR_CASES = dict(VARIANTS, lines_only={}, far_only={}, empty={}, uint32={}, uint32_smooth={"normals": "smooth"})


def _case_scene(name):
    if name.startswith("uint32"):  # > 65535 vertices: uint32 indices
        n = 256
        g = np.stack(np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64)), -1).reshape(-1, 2) * 10.0
        v = np.column_stack([g, np.sin(g[:, 0] / 50.0) * 100.0])
        i = (np.arange(n - 1)[:, None] * n + np.arange(n - 1)[None, :]).reshape(-1)
        f = np.concatenate([np.stack([i, i + 1, i + n + 1], 1), np.stack([i, i + n + 1, i + n], 1)]).astype(np.uint32)
        return Scene([Element("terrain", mesh=Mesh(v, f)), Element("b", mesh=box())])
    scene = make_scene()
    if name == "lines_only":
        return scene.select(ids=["bar-1"])
    if name == "far_only":
        return scene.select(ids=["far-1", "far-2"])
    if name == "empty":
        return Scene()
    return scene


@pytest.mark.node
def test_khronos_validator(tmp_path):
    """Every kind of output: 0 errors, 0 warnings (infos allowed). Skips when node or
    the npm package is missing: `npm install --no-save gltf-validator@2.0.0-dev.3.10`."""
    from gltf_validator import problems, validate

    paths = []
    for name, opts in sorted(VALIDATOR_CASES.items()):
        p = str(tmp_path / f"{name}.glb")
        export_scene(_case_scene(name), p, **opts)
        paths.append(p)
    reports = validate(paths)
    assert len(reports) == len(paths)
    for path, report in zip(paths, reports):
        name = os.path.basename(path)
        # Infos are fine: validator 2.0.0-dev.3.10 does not know
        # EXT_mesh_gpu_instancing (UNSUPPORTED_EXTENSION and UNUSED_OBJECT
        # for the instance accessors, both severity 2).
        assert problems(report) == [], name
        assert report["numErrors"] == 0 and report["numWarnings"] == 0, (name, report)


# -- properties ------------------------------------------------------------------
def _world_from_glb(data):
    """{node name: world points} from our own reader (TRS nodes, tightly packed float32)."""
    gltf, binary = parse_glb(data)
    out = {}
    for node in gltf["nodes"][1:]:
        if "mesh" not in node:
            continue
        m = node_matrix(
            type("N", (), {"matrix": None, "rotation": node.get("rotation"), "scale": node.get("scale"), "translation": node.get("translation")})
        )
        prim = gltf["meshes"][node["mesh"]]["primitives"][0]
        pts = read_accessor(gltf, binary, prim["attributes"]["POSITION"])
        out[node["name"]] = pts @ m[:3, :3].T + m[:3, 3]
    return gltf, out


def test_random_transforms_roundtrip():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=40, deadline=None, derandomize=True)
    @hypothesis.given(
        seed=st.integers(0, 2**32 - 1),
        units=st.sampled_from(["m", "mm"]),
        up=st.sampled_from(["y", "z"]),
        far=st.sampled_from([0.0, FAR]),
    )
    def check(seed, units, up, far):
        rng = np.random.default_rng(seed)
        shared = box((rng.uniform(10, 5000), rng.uniform(10, 5000), rng.uniform(10, 5000)))
        elements = []
        for k in range(4):
            q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
            m = np.eye(4)
            kind = k % 4
            if kind == 1:
                q = q @ np.diag(rng.choice([-1.0, 1.0], 3))  # mirrors too
            elif kind == 2:
                q = q @ np.diag(rng.uniform(0.5, 2.0, 3))  # axis scale
            elif kind == 3:
                q = q + rng.normal(scale=0.3, size=(3, 3))  # general affine: baked
            m[:3, :3] = q
            m[:3, 3] = rng.uniform(-1e5, 1e5, 3) + far
            elements.append(Element(f"e{k}", mesh=shared, matrix=m))
        scene = Scene(elements)
        tol = 2e-6 if units == "m" else 2e-3  # 2 micrometres (float32 of a ~9 m extent)
        _, got = _world_from_glb(export_glb(scene, units=units, up=up))
        for e in scene:
            want = to_output(e.world_mesh().vertices, units, up)
            assert np.abs(got[e.id] - want).max() < tol * max(1.0, np.abs(e.matrix[:3, :3]).max() * 2)

    check()


def test_pygltflib_materials_and_nodes(tmp_path):
    pygltflib = pytest.importorskip("pygltflib")
    path = str(tmp_path / "m.glb")
    export_scene(make_scene(), path)
    g = pygltflib.GLTF2().load(path)
    assert len(g.materials) == 5
    assert [n.name for n in g.nodes] == ["bimgeo"] + [e.id for e in make_scene()]
    assert g.asset.generator == "bimgeo"
    tri = sum(
        g.accessors[p.indices].count // 3 for n in g.nodes if n.mesh is not None for p in g.meshes[n.mesh].primitives if p.mode == 4
    )
    assert tri == sum(len(e.mesh.faces) for e in make_scene() if e.mesh is not None)


def test_smooth_normals_cylinder():
    sides = 48
    a = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([np.cos(a), np.sin(a), np.zeros(sides)], axis=1) * 100.0
    v = np.concatenate([ring, ring + (0.0, 0.0, 300.0)])
    i = np.arange(sides)
    j = (i + 1) % sides
    side = np.concatenate([np.stack([i, j, j + sides], 1), np.stack([i, j + sides, i + sides], 1)])
    k = np.arange(1, sides - 1)
    caps = np.concatenate([np.stack([np.zeros_like(k), k + 1, k], 1), np.stack([np.full_like(k, sides), k + sides, k + 1 + sides], 1)])
    faces = np.concatenate([side, caps]).astype(np.uint32)
    src, n, tri = smooth_normals(v, faces, 0.5)
    np.testing.assert_array_equal(src[tri], faces)
    # every ring vertex: one smooth radial normal, one cap normal
    assert len(src) == 4 * sides
    radial = v[src] * (1.0, 1.0, 0.0)
    radial /= np.linalg.norm(radial, axis=1)[:, None]
    is_cap = np.abs(n[:, 2]) > 0.999
    assert is_cap.sum() == 2 * sides
    np.testing.assert_allclose(n[~is_cap], radial[~is_cap], atol=1e-9)


def test_index_arrays_deduplicated_exactly():
    a = box((100.0, 100.0, 100.0))
    b = box((200.0, 300.0, 400.0))  # same faces, other vertices
    c = box((100.0, 100.0, 100.0))
    c.faces = c.faces[::-1].copy()  # same length, other order
    d = box((100.0, 100.0, 100.0))
    f = d.faces.copy()
    f[1], f[2] = d.faces[2], d.faces[1]  # same signature (length, first, middle, last index)
    d.faces = f
    assert (d.faces.reshape(-1)[[0, 18, 35]] == a.faces.reshape(-1)[[0, 18, 35]]).all()
    meshes = (a, b, c, d)
    scene = Scene([Element(k, mesh=m) for k, m in zip("abcd", meshes)])
    gltf, binary = parse_glb(export_glb(scene))
    idx = [gltf["meshes"][n["mesh"]]["primitives"][0]["indices"] for n in gltf["nodes"][1:]]
    assert idx[0] == idx[1] and len({idx[0], idx[2], idx[3]}) == 3
    for k, m in zip(idx, meshes):
        np.testing.assert_array_equal(read_accessor(gltf, binary, k).reshape(-1, 3), m.faces)


def test_normals_none_string_is_the_default():
    scene = make_scene()
    assert export_glb(scene, normals="none") == export_glb(scene)
    with pytest.raises(ValueError, match="normals"):
        export_glb(scene, normals="round")
