"""bimgeo.load: every response shape, chunks, templates, trees, errors.

``synthetic_response`` is also the threejs workload of the benchmarks
(benchmarks/scenes.py imports it); the load-vs-json.loads measurement lives
in benchmarks/ (report.py's "load" section, bench_scenes.py).
"""
from __future__ import annotations

import copy
import gzip
import importlib
import io
import json
import math
import os
import random
import sys
from typing import Any, Dict, List

import numpy as np
import pytest

import bimgeo
from bimgeo import DecodeError, Element, ElementError, Scene, load
from bimgeo import _backend

sys.path.insert(0, os.path.dirname(__file__))
from samples import spec_samples, threejs_volumes  # noqa: E402

# ---------------------------------------------------------------------------
# Synthetic responses
# ---------------------------------------------------------------------------


def _guid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _num(rng: random.Random, x: float, digits: str) -> float:
    if digits == "long":
        return x + rng.random() * 1e-3  # prints with ~17 significant digits
    d = rng.choice([0, 1, 3])
    return int(round(x)) if d == 0 else round(x, d)


def _prism(rng: random.Random, k: int, digits: str) -> Dict[str, Any]:
    """A closed prism over a convex k-gon (threejs Y-up, mm): vertices and a faces stream."""
    cx, cz = rng.uniform(-50000, 50000), rng.uniform(-50000, 50000)
    y0, h = rng.uniform(0, 20000), rng.uniform(200, 4000)
    r = rng.uniform(100, 3000)
    verts: List[float] = []
    for y in (y0, y0 + h):
        for i in range(k):
            a = 2 * math.pi * i / k
            verts += [_num(rng, cx + r * math.cos(a), digits), _num(rng, y, digits), _num(rng, cz + r * math.sin(a), digits)]
    faces: List[int] = []
    for i in range(1, k - 1):  # caps as triangle fans
        faces += [0, 0, i, i + 1]
        faces += [0, k, k + i + 1, k + i]
    for i in range(k):  # sides as quads
        j = (i + 1) % k
        faces += [1, i, k + i, k + j, j]
    return {"vertices": verts, "faces": faces, "metadata": {"formatVersion": 3, "colorid": rng.randrange(4)}}


def synthetic_response(
    n_elements: int = 2000, *, seed: int = 0, digits: str = "short", mix: str = "building"
) -> Dict[str, Any]:
    """A threejs discipline response of n_elements prisms (a building-like size mix).

    60 % boxes (k=4), 30 % profiles (k 8..40), 10 % detailed parts (k 100..250);
    digits "short" prints coordinates like the documents (-2106.562, 8955),
    "long" with 17 significant digits as .NET's round-trip format does.
    mix "boxes": every element a box (the worst case for per-element overhead).
    """
    rng = random.Random(seed)
    objects = []
    for _ in range(n_elements):
        u = rng.random()
        k = 4 if (u < 0.6 or mix == "boxes") else (rng.randint(8, 40) if u < 0.9 else rng.randint(100, 250))
        g = _prism(rng, k, digits)
        objects.append(
            {
                "id": _guid(rng),
                "type": rng.choice(["Wall", "Column", "Slab", "Beam", "Door"]),
                "parent": _guid(rng),
                "attributes": {
                    "general": {"name": f"element {rng.randrange(10**6)}"},
                    "geometry": {"threejs": g},
                    "quantity": {"volume": rng.random() * 1e9, "area": rng.random() * 1e7},
                },
            }
        )
    return {
        "elementsCount": n_elements,
        "viewbox": {"x": 0, "y": 0, "z": 0, "width": 1e5, "height": 2e4, "depth": 1e5},
        "colors": [-4272966, 4278190080, -9868951, 4278255360],
        "objects": objects,
    }


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(params=["cython", "python"])
def implementation(request, monkeypatch):
    """Run load() with the threejs module of one implementation."""
    try:
        mod = importlib.import_module("bimgeo._core.threejs" if request.param == "cython" else "bimgeo._pure.threejs")
    except ImportError:
        pytest.skip("compiled bimgeo._core.threejs not built")
    monkeypatch.setitem(_backend._active, "threejs", mod)
    return request.param


def _has_meshblob() -> bool:
    try:
        _backend.get("triangulate")
        _backend.get("nrbf")
    except KeyError:
        return False
    return True


needs_meshblob = pytest.mark.skipif(not _has_meshblob(), reason="meshblob decoder/triangulator not available yet")


# ---------------------------------------------------------------------------
# threejs responses
# ---------------------------------------------------------------------------


def test_spec_threejs_volumes_and_colours(implementation):
    scene = load(spec_samples()["threejs"])
    volumes = threejs_volumes()
    assert len(scene) == 4 and not scene.errors
    for e in scene:
        assert e.matrix is None
        assert e.mesh.volume == pytest.approx(volumes[e.id], rel=1e-12)
        assert e.mesh.is_watertight()
        assert e.rgba == (190.0, 204.0, 186.0, 255.0)  # -4272966 == 0xFFBECCBA
        assert e.type == "WallLayer" and e.name == "<PP>Wall layer"
        assert "quantity" in e.attributes and "geometry" not in e.attributes
    assert scene.info["viewbox"]["width"] == 9775
    assert scene.info["colors"] == [-4272966]


def test_spec_threejs_zup(implementation):
    # threejs (x, y, z) -> Z up (x, -z, y): the walls are 600 mm tall along Z.
    scene = load(spec_samples()["threejs"])
    for e in scene:
        b = e.bounds
        assert b[1][2] - b[0][2] == pytest.approx(600)
        assert b[0][2] == pytest.approx(-780)


def test_spec_threejs_properties(implementation):
    scene = load(spec_samples()["threejs_properties"])
    (e,) = list(scene)
    assert e.type == "Column" and e.name == "B132"
    assert e.rgba == (0.0, 0.0, 0.0, 255.0)  # 4278190080 unsigned
    assert e.mesh.volume > 0
    assert e.attributes["allfreeattrib"]["extrudeprofilename"] == "HEA140"
    assert e.parent is None


def test_sources(tmp_path, implementation):
    doc = spec_samples()["threejs"]
    text = json.dumps(doc)
    p = tmp_path / "r.json"
    p.write_text(text)
    pg = tmp_path / "r.json.gz"
    pg.write_bytes(gzip.compress(text.encode()))
    ref = load(doc)
    sources = [doc, text, text.encode(), p, str(p), pg, io.BytesIO(text.encode()), io.StringIO(text), bytearray(text.encode())]
    for src in sources:
        scene = load(src)
        assert [e.id for e in scene] == [e.id for e in ref]
        for a, b in zip(scene, ref):
            assert np.array_equal(a.mesh.vertices, b.mesh.vertices)
            assert np.array_equal(a.mesh.faces, b.mesh.faces)
    with pytest.raises(TypeError):
        load(42)
    with pytest.raises(DecodeError):
        load(b"{not json")


def test_chunks(implementation):
    doc = spec_samples()["threejs"]
    a = copy.deepcopy(doc)
    b = copy.deepcopy(doc)
    a["objects"] = a["objects"][:2]
    b["objects"] = b["objects"][2:]
    b["viewbox"] = {"x": 1}
    scene = load([a, json.dumps(b).encode()])
    assert [e.id for e in scene] == [o["id"] for o in doc["objects"]]
    assert scene.info["viewbox"] == doc["viewbox"]  # first chunk's


def test_chunks_from_a_generator_one_at_a_time(implementation):
    # A generator of chunks (as they arrive from the API) loads like the list,
    # each chunk taken only once the previous one was loaded.
    doc = spec_samples()["threejs"]
    parts = []
    for k in range(0, len(doc["objects"]), 2):
        c = copy.deepcopy(doc)
        c["objects"] = c["objects"][k : k + 2]
        parts.append(json.dumps(c).encode())
    pulled = []

    def chunks():
        for i, p in enumerate(parts):
            pulled.append(i)
            yield p

    scene = load(chunks())
    assert pulled == list(range(len(parts)))
    assert [e.id for e in scene] == [e.id for e in load(parts)] == [o["id"] for o in doc["objects"]]
    # a file object is one source, not an iterator of lines
    assert [e.id for e in load(io.BytesIO(json.dumps(doc).encode()))] == [o["id"] for o in doc["objects"]]


def test_synthetic_matches_between_implementations(monkeypatch):
    data = json.dumps(synthetic_response(60, seed=3, digits="long")).encode()
    scenes = {}
    for pkg in ("_core", "_pure"):
        try:
            mod = importlib.import_module(f"bimgeo.{pkg}.threejs")
        except ImportError:
            pytest.skip("compiled core not built")
        monkeypatch.setitem(_backend._active, "threejs", mod)
        scenes[pkg] = load(data)
    for a, b in zip(scenes["_core"], scenes["_pure"]):
        assert a.id == b.id and a.rgba == b.rgba
        assert a.mesh.vertices.tobytes() == b.mesh.vertices.tobytes()
        assert np.array_equal(a.mesh.faces, b.mesh.faces)
        assert a.mesh.volume > 0 and a.mesh.is_watertight()


def test_bad_element_reported_others_loaded(implementation):
    doc = copy.deepcopy(spec_samples()["threejs"])
    bad = doc["objects"][1]
    bad["attributes"]["geometry"]["threejs"]["faces"][-1] = 99  # vertex index out of range
    doc["objects"][2]["attributes"]["geometry"]["threejs"]["faces"] = [0, 1, 2]  # ends mid-face
    scene = load(doc)
    assert [e.id for e in scene] == [doc["objects"][0]["id"], doc["objects"][3]["id"]]
    assert [err.id for err in scene.errors] == [bad["id"], doc["objects"][2]["id"]]
    assert all(isinstance(err, ElementError) and err.type == "WallLayer" for err in scene.errors)
    assert "vertex index 99" in scene.errors[0].message
    with pytest.raises(DecodeError) as info:
        load(doc, strict=True)
    assert info.value.element_id == bad["id"]
    assert info.value.offset == 29


def test_missing_colour_and_no_geometry(implementation):
    doc = copy.deepcopy(spec_samples()["threejs"])
    doc["objects"][0]["attributes"]["geometry"]["threejs"]["metadata"]["colorid"] = 7
    del doc["objects"][1]["attributes"]["geometry"]["threejs"]["metadata"]
    doc["objects"][2]["attributes"].pop("geometry")
    del doc["colors"]
    scene = load(doc)
    assert len(scene) == 4 and not scene.errors
    assert scene[doc["objects"][0]["id"]].rgba is None
    assert scene[doc["objects"][1]["id"]].rgba is None
    assert scene[doc["objects"][2]["id"]].mesh is None


def test_tree_response(implementation):
    s = spec_samples()["threejs"]["objects"]
    leaf = [copy.deepcopy(o) for o in s]
    for o in leaf:
        o.pop("parent")
    tree = {
        "elementsCount": 6,
        "colors": [-4272966],
        "objects": [
            {
                "id": "root",
                "type": "Building",
                "attributes": {"general": {"name": "B"}},
                "children": [
                    {"id": "storey", "type": "Storey", "attributes": {}, "children": leaf[:3]},
                    leaf[3],
                ],
            }
        ],
    }
    scene = load(tree)
    assert [e.id for e in scene] == ["root", "storey", s[0]["id"], s[1]["id"], s[2]["id"], s[3]["id"]]
    assert scene["root"].children == ["storey", s[3]["id"]]
    assert scene["storey"].children == [o["id"] for o in s[:3]]
    assert scene["storey"].parent == "root"
    assert scene[s[0]["id"]].parent == "storey"
    assert scene[s[3]["id"]].parent == "root"
    assert scene["root"].mesh is None and scene[s[0]["id"]].mesh.volume > 0
    # Depth is bounded.
    deep: Dict[str, Any] = {"id": "d0", "attributes": {}}
    node = deep
    for i in range(1, 10):
        child = {"id": f"d{i}", "attributes": {}}
        node["children"] = [child]
        node = child
    scene = load({"objects": [deep]}, limits=bimgeo.Limits(max_depth=5))
    assert len(scene) == 6 and scene.errors[0].id == "d6"


def test_virtual_children(implementation):
    o = copy.deepcopy(spec_samples()["threejs"]["objects"][0])
    o["id"] = "12345678-0000-0000-0000-000000000000"
    o["related_objects"] = ["real-parent"]
    scene = load({"objects": [o]})
    assert scene[o["id"]].parent == "real-parent"


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

# The spec's instance matrix (Y-up frame, row-major).
SPEC_MATRIX = [1, 0, 0, 75957.48, 0, 0, 1, 17100, 0, -1, 0, -64025, 0, 0, 0, 1]


def _template_docs():
    wall = spec_samples()["threejs"]["objects"][0]["attributes"]["geometry"]["threejs"]
    templates = {
        "templates": [{"id": "T1", "geometries": [copy.deepcopy(wall)]}],
        "colors": [-4272966],
        "revision": 3,
    }
    ident = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    instances = {
        "elementsCount": 3,
        "colors": [4278255360, -9868951],
        "objects": [
            {"id": "a", "type": "Door", "attributes": {"geometry": {"template": "T1", "matrix": ident}}},
            {"id": "b", "type": "Door", "attributes": {"geometry": {"template": "T1", "colorid": 1, "render": False, "matrix": SPEC_MATRIX}}},
            copy.deepcopy(spec_samples()["threejs"]["objects"][1]),  # mixed (bit 16): a plain threejs element
        ],
    }
    return templates, instances


@pytest.mark.parametrize("order", ["templates-first", "instances-first"])
def test_templates_shared(implementation, order):
    templates, instances = _template_docs()
    chunks = [templates, instances] if order == "templates-first" else [instances, templates]
    scene = load(chunks)
    assert not scene.errors
    a, b = scene["a"], scene["b"]
    assert a.mesh is b.mesh is scene.templates["T1"]
    assert a.template == b.template == "T1"
    assert a.rgba == (190.0, 204.0, 186.0, 255.0)  # the template's colour
    assert b.rgba == (105.0, 105.0, 105.0, 255.0)  # colorid 1 overrides (-9868951 = 0xFF696969)
    assert b.attributes["geometry"] == {"template": "T1", "colorid": 1, "render": False}
    # identity instance: world = the threejs wall itself
    wall = load(spec_samples()["threejs"])[spec_samples()["threejs"]["objects"][0]["id"]]
    assert np.allclose(a.bounds, wall.bounds)
    assert a.world_mesh().volume == pytest.approx(wall.mesh.volume)
    # the spec matrix: world = C · M · (template in Y up)
    C = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1.0]])
    M = np.array(SPEC_MATRIX, dtype=float).reshape(4, 4)
    raw = np.array(templates["templates"][0]["geometries"][0]["vertices"], dtype=float).reshape(-1, 3)
    expect = (C @ M @ np.c_[raw, np.ones(len(raw))].T).T[:, :3]
    assert np.allclose(b.world_mesh().vertices, expect)
    assert b.world_mesh().volume == pytest.approx(wall.mesh.volume)  # a rotation keeps the volume
    assert len(scene) == 3 and scene.elements[2].mesh is not None


def test_template_missing(implementation):
    _, instances = _template_docs()
    scene = load(instances)
    assert scene["a"].mesh is None
    assert {e.id for e in scene.errors} == {"a", "b"}
    with pytest.raises(DecodeError):
        load(instances, strict=True)


# ---------------------------------------------------------------------------
# meshblob and polymesh
# ---------------------------------------------------------------------------


@needs_meshblob
def test_meshblob_agrees_with_threejs():
    s = spec_samples()
    blob = load(s["meshblob_discipline"])
    tj = load(s["threejs"])
    assert not blob.errors
    volumes = threejs_volumes()
    for e in blob:
        assert e.matrix is not None
        w = tj[e.id]
        assert np.allclose(e.bounds, w.bounds, atol=1e-6)
        assert e.world_mesh().volume == pytest.approx(w.mesh.volume, rel=1e-9)
        assert e.world_mesh().volume == pytest.approx(volumes[e.id], rel=1e-9)
        assert e.rgba == w.rgba


@needs_meshblob
def test_meshblob_object_and_polymesh_agree():
    s = spec_samples()
    blob = load(s["meshblob_object"])
    (e,) = list(blob)
    assert e.type == "Wall" and e.parent is None  # the null GUID parent
    try:
        poly = load(s["create_object_polymesh"])
    except Exception:  # pragma: no cover
        pytest.skip("polymesh decoder not available")
    if poly.errors:
        pytest.skip(f"polymesh decoder not available: {poly.errors[0].message}")
    (p,) = list(poly)
    assert p.world_mesh().volume == pytest.approx(1_184_425_250, rel=1e-6)
    assert e.world_mesh().volume == pytest.approx(1_184_425_250, rel=1e-6)


def test_meshblob_bad_picture_reported():
    doc = copy.deepcopy(spec_samples()["meshblob_object"])
    doc["objects"][0]["attributes"]["geometry"]["picture"] = "not base64!!"
    scene = load(doc)
    assert len(scene) == 0 and scene.errors[0].id == doc["objects"][0]["id"]
    doc["objects"][0]["attributes"]["geometry"]["type"] = 7
    scene = load(doc)
    assert "CSG" in scene.errors[0].message


def test_limits_elements():
    with pytest.raises(bimgeo.LimitError):
        load(spec_samples()["threejs"], limits=bimgeo.Limits(max_elements=2))


def test_public_names():
    assert bimgeo.load is load
    for name in ("load", "Scene", "Element", "ElementError"):
        assert name in bimgeo.__all__
    assert isinstance(load({"objects": []}), Scene)
    assert Element is bimgeo.Element


def test_template_with_several_geometries(implementation):
    walls = [o["attributes"]["geometry"]["threejs"] for o in spec_samples()["threejs"]["objects"][:2]]
    doc = {"templates": [{"id": "T2", "geometries": copy.deepcopy(walls)}], "colors": [-4272966]}
    scene = load([doc, {"objects": [{"id": "i", "attributes": {"geometry": {"template": "T2", "matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]}}}]}])
    mesh = scene.templates["T2"]
    assert len(mesh.vertices) == 16 and len(mesh.faces) == 24
    assert mesh.face_source.max() == 11  # face numbers continue across the parts
    vols = threejs_volumes()
    ids = [o["id"] for o in spec_samples()["threejs"]["objects"][:2]]
    assert mesh.volume == pytest.approx(vols[ids[0]] + vols[ids[1]])
    assert scene["i"].mesh is mesh and scene["i"].rgba == (190.0, 204.0, 186.0, 255.0)


def test_numeric_arrays_outside_geometry_kept(implementation):
    doc = copy.deepcopy(spec_samples()["threejs"])
    doc["objects"][0]["attributes"]["custom"] = {"faces": list(range(40)), "vertices": [1.5] * 30}
    scene = load(json.dumps(doc).encode())
    attrs = scene[doc["objects"][0]["id"]].attributes["custom"]
    assert attrs == {"faces": list(range(40)), "vertices": [1.5] * 30}


def test_face_normals_response(implementation):
    # properties bit 4: faces carry face-normal indices (flag bit 4) into "normals".
    doc = copy.deepcopy(spec_samples()["threejs"])
    g = doc["objects"][0]["attributes"]["geometry"]["threejs"]
    faces = g["faces"]
    out = []
    for i in range(0, len(faces), 5):
        out += [faces[i] | 16] + faces[i + 1 : i + 5] + [i // 5]
    g["faces"] = out
    g["normals"] = [0.0, 1.0, 0.0] * 6
    scene = load(json.dumps(doc))
    assert not scene.errors
    ref = load(spec_samples()["threejs"])
    e = scene[doc["objects"][0]["id"]]
    assert np.array_equal(e.mesh.faces, ref[e.id].mesh.faces)
    g["normals"] = [0.0, 1.0, 0.0] * 5  # face 5's normal index is now out of range
    scene = load(json.dumps(doc))
    assert scene.errors[0].id == e.id and "normal index 5" in scene.errors[0].message


def test_gzip_limit(tmp_path):
    text = json.dumps(spec_samples()["threejs"]).encode()
    p = tmp_path / "big.json.gz"
    p.write_bytes(gzip.compress(text))
    with pytest.raises(bimgeo.LimitError):
        load(p, limits=bimgeo.Limits(max_json_bytes=len(text) - 1))
    assert len(load(p, limits=bimgeo.Limits(max_json_bytes=len(text)))) == 4
    with pytest.raises(DecodeError):
        load(b"\x1f\x8b\x08garbage")


def test_strict_meshblob_error():
    doc = copy.deepcopy(spec_samples()["meshblob_object"])
    doc["objects"][0]["attributes"]["geometry"]["matrix"] = "AAAA"
    with pytest.raises(bimgeo.BimgeoError):
        load(doc, strict=True)


def test_file_with_array_of_responses(tmp_path, implementation):
    templates, instances = _template_docs()
    p = tmp_path / "chunks.json"
    p.write_text(json.dumps([templates, instances]))
    scene = load(p)
    assert not scene.errors and scene["a"].mesh is scene["b"].mesh is scene.templates["T1"]
    assert scene.info["revision"] == 3


def test_gc_held_back_while_a_chunk_loads_and_restored():
    """load holds automatic collection back per chunk (parsed JSON is acyclic) and always restores it."""
    import gc
    import io

    seen = []
    thresholds = gc.get_threshold()

    class Recording(io.BytesIO):
        def read(self, *args):
            seen.append(("read", gc.get_threshold()[0]))
            return super().read(*args)

    data = json.dumps(synthetic_response(5, seed=1)).encode()

    def chunks():
        for _ in range(2):
            seen.append(("between", gc.get_threshold()[0]))
            yield Recording(data)

    scene = load(chunks())
    assert len(scene) == 10 and gc.get_threshold() == thresholds
    assert seen == [("between", thresholds[0]), ("read", 0)] * 2
    with pytest.raises(DecodeError):
        load(b"{", strict=True)
    with pytest.raises(DecodeError):
        load(b"{")
    assert gc.get_threshold() == thresholds and gc.isenabled()


def test_cyclic_garbage_still_collected_in_a_load_loop():
    """A program that spends its time in load still gets its cycles collected (on the collector's
    own schedule, batched after each chunk): the number of tracked objects stays flat."""
    import gc

    from test_plain_elements import edge_cases  # errors, trees, templates-less mix

    data = json.dumps(edge_cases()).encode()

    def loop(n):
        for _ in range(n):
            scene = load(data)
            scene.info["self"] = scene  # a cycle the caller makes
            del scene

    loop(50)
    gc.collect()
    before = len(gc.get_objects())
    loop(400)
    assert len(gc.get_objects()) - before < 20_000  # 400 leaked scenes would be ~150,000


def test_gc_pause_nested_across_threads():
    import gc
    import threading

    from bimgeo._gcpause import gc_paused

    inside, release = threading.Event(), threading.Event()

    def worker():
        with gc_paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    thresholds = gc.get_threshold()
    with gc_paused(settle=True):
        t.start()
        inside.wait(10)
    assert gc.get_threshold()[0] == 0  # the worker's pause is still on
    release.set()
    t.join(10)
    assert gc.get_threshold() == thresholds
