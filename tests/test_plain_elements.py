"""bimgeo.load's compiled shortcuts for threejs responses, against the general path and the twin.

A response of many small threejs elements is loaded by two shortcuts of the
compiled core: ``parse_response`` keeps whole threejs geometry objects out
of the parsed document (geometry placeholders), and ``plain_elements``
makes the Elements of plain objects in one loop, stopping at anything else
for the loader's general path. Every test here loads the same bytes with
the shortcuts on, each one off, both off, and with the pure-Python twin,
and requires the same scene: elements, meshes bit for bit, attributes,
errors and info.
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import json
import random
from typing import Any, Dict, Iterator, List

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bimgeo
from bimgeo import DecodeError, Limits, _backend
from bimgeo._load import _Colors
from bimgeo._pure import threejs as pure
from test_load import synthetic_response
from test_threejs import _floats_where_extracted, _resolve_everything

try:
    compiled = importlib.import_module("bimgeo._core.threejs")
except ImportError:  # pragma: no cover - the compiled core is required in CI
    compiled = None

pytestmark = pytest.mark.skipif(compiled is None, reason="compiled bimgeo._core.threejs not built")

MODES = ("fast", "no_plain", "no_geometries", "general", "python")
NULL = "00000000-0000-0000-0000-000000000000"


@contextlib.contextmanager
def mode(name: str) -> Iterator[None]:
    """Load with the shortcuts of ``name``: all on, plain_elements off, geometry placeholders
    off, both off, or the pure twin."""
    plain = compiled.plain_elements
    active = _backend._active["threejs"]
    was = compiled._geometry_objects(name not in ("no_geometries", "general"))
    try:
        if name in ("no_plain", "general"):
            compiled.plain_elements = lambda objects, start, *rest: start
        if name == "python":
            _backend._active["threejs"] = pure
        else:
            _backend._active["threejs"] = compiled
        yield
    finally:
        compiled.plain_elements = plain
        compiled._geometry_objects(was)
        _backend._active["threejs"] = active


def _arr(a: Any) -> Any:
    return None if a is None else (a.dtype.str, a.shape, a.tobytes())


def _mesh(m: Any) -> Any:
    if m is None:
        return None
    return (_arr(m.vertices), _arr(m.faces), _arr(m.face_source), _arr(m.lines), m.rgba, m.id, m.polyeder_type)


def state(scene: bimgeo.Scene) -> Any:
    """Everything a scene holds, comparable with ==."""
    elements = [
        (e.id, e.type, e.name, e.parent, _arr(e.matrix), _mesh(e.mesh), e.rgba, e.template, e.attributes, e.children)
        for e in scene
    ]
    errors = [(x.id, x.type, x.message, type(x.exception).__name__) for x in scene.errors]
    templates = {k: _mesh(v) for k, v in scene.templates.items()}
    return elements, errors, scene.info, templates


def outcome(data: Any, **kwargs: Any) -> Any:
    """The scene state, or the error class and message."""
    try:
        return state(bimgeo.load(data, **kwargs))
    except bimgeo.BimgeoError as exc:
        return type(exc).__name__, str(exc)


def assert_all_modes_agree(data: Any, **kwargs: Any) -> Any:
    results = {}
    for name in MODES:
        with mode(name):
            results[name] = outcome(copy.deepcopy(data) if isinstance(data, (dict, list)) else data, **kwargs)
    for name in MODES[1:]:
        assert results[name] == results["fast"], f"{name} differs from the compiled shortcuts"
    return results["fast"]


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _box(x: float = 0.0, flags: int = 1) -> Dict[str, Any]:
    """A unit-ish box (threejs Y up): 8 vertices, 6 quads (face normals when flags has bit 16)."""
    v = [[x, 0, 0], [x + 1000, 0, 0], [x + 1000, 0, -800], [x, 0, -800]]
    verts = [c for p in v for c in p] + [c for p in v for c in (p[0], 600, p[2])]
    quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    faces: List[int] = []
    for i, q in enumerate(quads):
        faces += [flags, *q] + ([i] if flags & 16 else [])
    return {"vertices": verts, "faces": faces, "metadata": {"formatVersion": 3, "colorid": 0}}


def _element(i: int, geometry: Any = "box", **extra: Any) -> Dict[str, Any]:
    attributes: Dict[str, Any] = {"general": {"name": f"e{i}"}, "quantity": {"volume": 1.5 * i}}
    if geometry == "box":
        geometry = {"threejs": _box(10.0 * i)}
    if geometry is not None:
        attributes["geometry"] = geometry
    obj = {"id": f"{i:08d}-1111-2222-3333-444455556666", "type": "Wall", "parent": f"{i:08d}-aaaa-bbbb-cccc-dddd", "attributes": attributes}
    obj.update(extra)
    return obj


def edge_cases() -> Dict[str, Any]:
    """One response with every kind of object next to plain ones."""
    box = _box()
    normals_box = dict(_box(flags=17), normals=[0, 1, 0] * 6)
    objects: List[Any] = [
        _element(0),
        _element(1, {"threejs": normals_box}),  # face normals: plain
        _element(2, {"threejs": dict(normals_box, normals=[0, 1, 0])}),  # normal index out of range
        _element(3, {"threejs": dict(box, metadata={"formatVersion": 3, "colorid": None})}),
        _element(4, {"threejs": dict(box, metadata={"formatVersion": 3})}),
        _element(5, {"threejs": dict(box, metadata={"colorid": "1"})}),
        _element(6, {"threejs": dict(box, metadata={"colorid": 1.0})}),
        _element(7, {"threejs": dict(box, metadata={"colorid": True})}),
        _element(8, {"threejs": dict(box, metadata={"colorid": 2**40})}),
        _element(9, {"threejs": dict(box, metadata={"colorid": -1})}),
        _element(10, {"threejs": dict(box, metadata={"colorid": 3, "generator": "x", "formatVersion": 3.5})}),
        _element(11, {"threejs": dict(box, metadata=[1, 2])}),
        _element(12, {"threejs": box, "type": 3}),  # geometry with another key: kept in attributes
        _element(13, {"threejs": [box, _box(5000.0)]}),  # a list of geometries, merged
        _element(14, {"threejs": None}),
        _element(15, {"threejs": dict(box, uvs=[[0.0, 0.0]])}),
        _element(16, None),
        _element(17, "not an object"),
        _element(18, {"threejs": dict(box, vertices=box["vertices"][:-1])}),  # not whole triples
        _element(19, {"threejs": dict(box, faces=[1, 0, 1, 2, 99])}),  # vertex index out of range
        _element(20, {"threejs": dict(box, faces=[300, 0, 1, 2])}),  # unknown flag
        _element(21, {"threejs": {"vertices": [0, 0, 0, 1, 0, 0, 0, 1, 0], "faces": [0, 0, 1, 2]}}),  # short arrays
        _element(22, {"threejs": dict(box, faces=[float(f) for f in box["faces"]])}),  # integral floats
        _element(23, {"threejs": {"faces": box["faces"]}}),  # no vertices
        _element(24, {"threejs": {"vertices": [], "faces": []}}),
        _element(25, type=7, parent=NULL),
        _element(26, parent=5, children=[]),
        dict(_element(27), attributes=None),
        dict(_element(28), attributes=[1]),
        dict(_element(29), id=None),
        dict(_element(30), id=30),
        dict(_element(31), id="0000001f-0000-0000-0000-000000000000", related_objects=["host-id"]),
        dict(_element(32), attributes={"general": "x", "geometry": {"threejs": box}}),
        dict(_element(33), attributes={"general": {"name": 5}, "geometry": {"threejs": box}}),
        _element(34, children=[_element(35), "child-id", 5, _element(36, children=[_element(37)])]),
        "not an element",
        _element(38),
        _element(39, {"threejs": dict(box, metadata={"colorid": 99})}),  # colour past the table
        _element(40),
    ]
    return {"elementsCount": len(objects), "colors": [-4272966, 4278190080, -9868951, 4278255360], "objects": objects}


def _dumps(doc: Any, indent: Any = None) -> bytes:
    return json.dumps(doc, indent=indent).encode()


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("indent", [None, 2])
def test_edge_cases_agree(indent):
    elements, errors, info, _ = assert_all_modes_agree(_dumps(edge_cases(), indent))
    ids = [e[0] for e in elements]
    assert len(elements) + len(errors) >= 40 and len(set(ids)) == len(ids)
    # the plain ones decoded, the bad ones reported with their element id
    assert {x[0] for x in errors} >= {f"{i:08d}-1111-2222-3333-444455556666" for i in (2, 14, 18, 19, 20)}
    assert info["colors"] == [-4272966, 4278190080, -9868951, 4278255360]


def test_edge_cases_agree_strict_and_limits():
    data = _dumps(edge_cases())
    assert assert_all_modes_agree(data, strict=True)[0] == "DecodeError"
    for limits in (Limits(max_elements=3), Limits(max_elements=37), Limits(max_depth=0), Limits(max_depth=1)):
        assert_all_modes_agree(data, limits=limits)
    assert assert_all_modes_agree(data, limits=Limits(max_elements=3))[0] == "LimitError"


@pytest.mark.parametrize("seed,digits,mix", [(1, "short", "building"), (2, "long", "building"), (3, "short", "boxes")])
def test_synthetic_responses_agree(seed, digits, mix):
    data = _dumps(synthetic_response(150, seed=seed, digits=digits, mix=mix))
    elements, errors, _, _ = assert_all_modes_agree(data)
    assert len(elements) == 150 and not errors


def test_chunks_and_pre_parsed_documents_agree():
    docs = [synthetic_response(20, seed=s) for s in range(3)] + [edge_cases()]
    assert_all_modes_agree([_dumps(d) for d in docs])
    assert_all_modes_agree(docs)


def test_pre_parsed_document_is_not_changed():
    doc = edge_cases()
    before = copy.deepcopy(doc)
    for name in MODES:
        with mode(name):
            bimgeo.load(doc)
        assert doc == before, name


def test_shortcuts_are_taken():
    """Both shortcuts take every element of a plain response (else the figures in README lie)."""
    data = _dumps(synthetic_response(200, seed=5, mix="boxes"))
    doc, table = compiled.parse_response(data)
    objects = doc["objects"]
    assert all(type(o["attributes"]["geometry"]["threejs"]) is str for o in objects)
    out: List[Any] = []
    assert compiled.plain_elements(objects, 0, len(objects), None, table, _Colors(doc["colors"]), out, True) == 200
    assert table.used == table.extracted and len(out) == 200
    assert objects == [None] * 200  # owned: the parsed objects are released as they are taken
    assert all("geometry" not in e.attributes for e in out)
    assert compiled._plain_in_place()


def test_compiled_and_pure_plain_elements_agree():
    """The twin's plain_elements takes the same objects and makes the same Elements."""
    data = _dumps(edge_cases())
    doc_c, table_c = compiled.parse_response(data)
    doc_p, table_p = compiled.parse_response(data)
    colors_c, colors_p = _Colors(doc_c["colors"]), _Colors(doc_p["colors"])
    objs_c, objs_p = doc_c["objects"], doc_p["objects"]
    i = 0
    taken = 0
    while i < len(objs_c):
        out_c: List[Any] = []
        out_p: List[Any] = []
        j = compiled.plain_elements(objs_c, i, len(objs_c), "p", table_c, colors_c, out_c, False)
        assert pure.plain_elements(objs_p, i, len(objs_p), "p", table_p, colors_p, out_p, False) == j
        assert state(bimgeo.Scene(out_c)) == state(bimgeo.Scene(out_p))
        assert table_c.used == table_p.used
        taken += j - i
        i = j + 1
    assert taken >= 20
    assert all(o is not None for o in objs_c)  # not owned: nothing was released


def test_plain_elements_bounds():
    data = _dumps(synthetic_response(10, seed=9))
    doc, table = compiled.parse_response(data)
    objects = doc["objects"]
    colors = _Colors(doc["colors"])
    for tj in (compiled, pure):
        out: List[Any] = []
        assert tj.plain_elements(objects, 4, 2, None, table, colors, out, False) == 4 and out == []
        assert tj.plain_elements(objects, 8, 100, None, table, colors, out, False) == 10 and len(out) == 2
        assert tj.plain_elements(objects, 3, 5, None, table, colors, out, False) == 5 and len(out) == 4
        assert tj.plain_elements([], 0, 5, None, table, colors, out, False) == 0


# -- geometry placeholders ---------------------------------------------------


def _geometry_text(keys: List[str], meta: str, ws: str) -> str:
    parts = {
        "vertices": '"vertices"%s:%s[0,0,0, 1000,0,0, 0,0,-1000, 0,500,0]' % (ws, ws),
        "faces": '"faces":[0,0,1,2, 0,0,3,1, 0,1,3,2, 0,0,2,3]',
        "normals": '"normals":[0,1,0,0,-1,0]',
        "metadata": '"metadata":%s' % meta,
        "uvs": '"uvs":[[0,0,1,1]]',
        "dup": '"faces":[0,0,1,2]',
        "esc": '"fa\\u0063es":[0,0,1,2]',
    }
    return "{" + ("," + ws).join(parts[k] for k in keys) + "}"


@pytest.mark.parametrize(
    "keys,meta,taken",
    [
        (["vertices", "faces", "metadata"], '{"formatVersion":3,"colorid":1}', True),
        (["metadata", "faces", "vertices"], '{ "colorid" : -2 , "formatVersion" : 3.0 }', True),
        (["faces", "vertices"], "", True),
        (["vertices", "normals", "faces", "metadata"], '{"colorid":null,"a":true,"b":false,"c":null,"d":-1e300}', True),
        (["vertices", "faces", "metadata"], '{"colorid":1,"big":123456789012345678901234567890}', True),
        (["vertices", "faces", "metadata"], "{}", True),
        (["vertices", "faces", "metadata"], '{"colorid":1.0}', False),
        (["vertices", "faces", "metadata"], '{"colorid":"1"}', False),
        (["vertices", "faces", "metadata"], '{"colorid":99999999999999999999}', False),
        (["vertices", "faces", "metadata"], '{"colorid":1,"colorid":2}', False),
        (["vertices", "faces", "metadata"], '{"generator":"x"}', False),
        (["vertices", "faces", "metadata"], '{"nested":{"a":1}}', False),
        (["vertices", "faces", "metadata"], '{"k\\u00e9":1}', False),
        (["vertices", "faces", "metadata"], "[1]", False),
        (["vertices", "faces", "uvs"], "", False),
        (["vertices", "faces", "dup"], "", False),
        (["vertices", "esc"], "", False),
        (["vertices"], "", False),
        (["faces"], "", False),
    ],
)
@pytest.mark.parametrize("ws", ["", " \n\t"])
def test_geometry_placeholder_round_trips(keys, meta, taken, ws):
    g = _geometry_text([k for k in keys if k != "metadata" or meta], meta, ws)
    text = '{"colors":[-1,-2],"objects":[{"id":"a","attributes":{"geometry":{"threejs":%s}}}],"x":{"threejs":%s}}' % (g, g)
    doc, table = compiled.parse_response(text.encode())
    assert (type(doc["objects"][0]["attributes"]["geometry"]["threejs"]) is str) == taken
    assert table.extracted >= (2 if taken else 0)
    got = _resolve_everything(doc, table)
    if "dup" not in keys:  # a repeated key's first array is extracted, then dropped by orjson
        assert table.used == table.extracted
    assert json.dumps(got) == json.dumps(_floats_where_extracted(orjson.loads(text), got))
    assert_all_modes_agree(text.encode())


def test_geometry_metadata_past_double_range_is_invalid_json():
    """orjson refuses 1e400; a metadata object holding it is left to orjson, which says so."""
    g = _geometry_text(["vertices", "faces", "metadata"], '{"colorid":1,"d":1e400}', "")
    text = ('{"objects":[{"id":"a","attributes":{"geometry":{"threejs":%s}}}]}' % g).encode()
    with pytest.raises(DecodeError, match="invalid JSON"):
        compiled.parse_response(text)
    assert assert_all_modes_agree(text)[0] == "DecodeError"


_meta_values = (
    st.integers(-(2**63), 2**63 - 1)
    | st.integers(2**63, 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
    | st.text(max_size=3)
)
_numbers = st.lists(st.integers(-(2**40), 2**40) | st.floats(-1e6, 1e6, allow_nan=False), max_size=15)


@st.composite
def _geometries(draw: Any) -> Dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(["vertices", "faces", "normals", "metadata", "uvs"]), unique=True, max_size=5))
    g: Dict[str, Any] = {}
    for k in keys:
        if k == "faces":
            g[k] = draw(st.lists(st.integers(0, 40), max_size=15) | _numbers)
        elif k == "metadata":
            g[k] = draw(st.dictionaries(st.sampled_from(["formatVersion", "colorid", "x", "é"]), _meta_values, max_size=3))
        elif k == "uvs":
            g[k] = [draw(_numbers)]
        else:
            g[k] = draw(_numbers)
    return g


@settings(max_examples=150, deadline=None)
@given(st.lists(_geometries(), min_size=1, max_size=4), st.sampled_from([None, 1]), st.randoms(use_true_random=False))
def test_random_geometries_agree(geometries, indent, rnd):
    objects = [_element(i, {"threejs": g}) for i, g in enumerate(geometries)]
    objects.insert(rnd.randrange(len(objects) + 1), _element(99))
    text = json.dumps({"colors": [-1, 5, 7], "objects": objects}, indent=indent)
    doc, table = compiled.parse_response(text.encode())
    got = _resolve_everything(doc, table)
    assert table.used == table.extracted
    assert json.dumps(got) == json.dumps(_floats_where_extracted(orjson.loads(text), got))
    assert_all_modes_agree(text.encode())


def test_random_responses_agree():
    """Seeded sweep: synthetic elements with random damage (keys dropped, values swapped)."""
    rng = random.Random(2026)
    for round_ in range(25):
        doc = synthetic_response(12, seed=round_, mix="boxes")
        for obj in doc["objects"]:
            r = rng.random()
            g = obj["attributes"]["geometry"]["threejs"]
            if r < 0.1:
                del g["metadata"]
            elif r < 0.2:
                g["metadata"]["colorid"] = rng.choice([None, -1, 7, "x", 1.5, [0]])
            elif r < 0.3:
                g["faces"] = g["faces"][: rng.randrange(len(g["faces"]))]
            elif r < 0.4:
                obj[rng.choice(["id", "type", "parent", "attributes"])] = rng.choice([None, 5, "x", [], {}])
            elif r < 0.5:
                obj["attributes"]["geometry"] = rng.choice([{}, {"threejs": {}}, {"threejs": g, "x": 1}, None])
            elif r < 0.6:
                obj["children"] = [synthetic_response(1, seed=round_)["objects"][0]]
        assert_all_modes_agree(_dumps(doc, rng.choice([None, 1])))


def test_elements_made_in_place_are_ordinary_objects():
    """plain_elements writes Element and Mesh slots in place: the objects must be what the
    attribute route makes (GC-tracked, right reference counts, freed when dropped)."""
    import gc
    import sys
    import weakref

    data = _dumps(synthetic_response(3, seed=4))
    doc, table = compiled.parse_response(data)
    out: List[Any] = []
    assert compiled.plain_elements(doc["objects"], 0, 3, "p", table, _Colors(doc["colors"]), out, True) == 3
    e = out[0]
    assert type(e) is bimgeo.Element and type(e.mesh) is bimgeo.Mesh
    assert gc.is_tracked(e) and gc.is_tracked(e.mesh)
    m = e.mesh
    twin = bimgeo.Element._from_values(
        e.id, e.type, e.name, e.parent, None,
        bimgeo.Mesh._from_arrays(m.vertices, m.faces, m.face_source, m.lines, m.rgba, m.id, None),
        e.rgba, None, dict(e.attributes),
    )  # the attribute route
    del m
    # outside assert (pytest keeps the values it shows): one reference each, from its element
    counts = (sys.getrefcount(e.mesh), sys.getrefcount(e.attributes))
    want = (sys.getrefcount(twin.mesh), sys.getrefcount(twin.attributes))
    assert counts == want
    assert e.children == [] and e.children is e.children
    e.children.append("x")
    e.name = "renamed"
    assert e.children == ["x"] and e.name == "renamed" and e.parent == out[0].parent
    ref = weakref.ref(e.mesh)
    del e, out
    assert ref() is None


@pytest.mark.parametrize("key", ["vertices", "normals"])
@pytest.mark.parametrize("value", ["1e400", "-1e400", "1e309"])
def test_numbers_past_double_range_refused_like_the_twin(key, value):
    """orjson (the twin's parser) refuses numbers past the double range; the scan leaves such an
    array to it, so both raise the same error, at the same place in the text."""
    arr = "[1.5,2,3,4,5,6,7,8," + value + "]"
    g = '{"vertices":[1,2,3,4,5,6,7,8,9],"faces":[0,0,1,2],"%s":%s}' % (key, arr) if key == "normals" else \
        '{"vertices":%s,"faces":[0,0,1,2]}' % arr
    text = ('{"objects":[{"id":"a","attributes":{"geometry":{"threejs":%s}}}],"x":{"%s":%s}}' % (g, key, arr)).encode()
    messages = []
    for tj in (compiled, pure):
        with pytest.raises(DecodeError, match="invalid JSON") as info:
            tj.parse_response(text)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert assert_all_modes_agree(text)[0] == "DecodeError"
