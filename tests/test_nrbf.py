"""The meshblob decoder (MS-NRBF -> Polyhedron) on both backends, and the generic reader."""
from __future__ import annotations

import base64
import decimal
import struct

import nrbf as nrbf_pypi
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nrbf_writer as W
import samples
from bimgeo import CountArray, ListMeta, Polyhedron, WireInfo, encode_nrbf
from bimgeo._pure import nrbf as pure

IDS = [e["id"] for e in samples.meshblob_elements()]
WALL = "7cf910cb-e357-43f6-aa3a-b45c26380f75"
ZERO_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(params=range(5), ids=[i[:8] for i in IDS])
def sample(request):
    """(element id, picture, NRBF stream) of one spec sample."""
    k = request.param
    return IDS[k], samples.pictures()[k], samples.nrbf_streams()[k]


# --- the spec samples ---------------------------------------------------------


def test_samples_decode(impl, sample):
    eid, picture, stream = sample
    poly = impl["nrbf"].decode_polyhedron(picture, element_id=eid)
    assert poly == impl["nrbf"].parse_polyhedron(stream, element_id=eid)
    assert poly.points.dtype == np.float64 and poly.points.shape[1] == 3
    assert poly.edges.dtype == np.int32 and poly.face_edges.dtype == np.int32
    assert poly.face_offsets.dtype == np.int64 and poly.face_offsets[0] == 0
    assert poly.face_offsets[-1] == len(poly.face_edges)
    assert poly.edges.min() >= 0 and poly.edges.max() < len(poly.points)
    assert np.abs(poly.face_edges).min() >= 1 and np.abs(poly.face_edges).max() <= len(poly.edges)
    assert poly.polyeder_type == 0x1003  # Element | Transparent | Selectable
    assert poly.id == ZERO_ID  # the server leaves the picture's own GUID empty
    assert poly.bendingrolle is None
    assert poly.wire.library.startswith("PPAttribPictureType3, Version=2011.0.")


def test_wall_counts(impl):
    k = IDS.index(WALL)
    poly = impl["nrbf"].decode_polyhedron(samples.pictures()[k])
    assert (len(poly.points), len(poly.edges), poly.n_faces) == (16, 24, 10)
    assert poly.radius is None and poly.rgba is None
    # List<T> capacity is the _items length, not _size (24 edges in an array of 32).
    assert poly.wire.points == ListMeta(16, 16)
    assert poly.wire.edges == ListMeta(32, 24)
    assert poly.wire.faces == ListMeta(16, 10)
    sizes = np.diff(poly.face_offsets)
    assert sorted(sizes.tolist()) == [4] * 8 + [8] * 2  # two 8-gons: the door cut-out
    assert poly.wire.face_lists.tolist() == [[int(s), int(s)] for s in sizes]
    assert poly.wire.library == "PPAttribPictureType3, Version=2011.0.4906.41750, Culture=neutral, PublicKeyToken=null"


def test_wall_first_values(impl):
    poly = impl["nrbf"].parse_polyhedron(samples.nrbf_streams()[IDS.index(WALL)])
    assert poly.points[0].tolist() == [4450.01, 115.01, 0.01]
    assert poly.edges[:2].tolist() == [[0, 1], [1, 2]]  # wire (1, 2), (2, 3)
    assert poly.face(0).tolist() == [1, 2, 3, 4]
    assert poly.face(3).tolist() == [-4, 13, -9, 14]  # negative: edge walked end -> begin


def test_layer_colour_is_threejs_colour(impl):
    # design.md §7: m_Radius RGBA == the threejs colour -4272966 (0xFFBECCBA).
    argb = -4272966 & 0xFFFFFFFF
    want = ((argb >> 16) & 255, (argb >> 8) & 255, argb & 255, argb >> 24)
    assert want == (0xBE, 0xCC, 0xBA, 255)
    for k, eid in enumerate(IDS):
        if eid == WALL:
            continue
        poly = impl["nrbf"].decode_polyhedron(samples.pictures()[k], element_id=eid)
        assert poly.rgba == tuple(float(c) for c in want)
        assert poly.radius.counters.tolist() == [-1, -2, -3, -4]
        assert poly.radius.counter_meta == ListMeta(4, 4) and poly.radius.value_meta == ListMeta(4, 4)
        assert (len(poly.points), len(poly.edges), poly.n_faces) == (8, 12, 6)


def test_layers_closed_edge_use(impl):
    """Every edge of the closed samples is used twice, once in each direction."""
    for picture in samples.pictures():
        poly = impl["nrbf"].decode_polyhedron(picture)
        fe = poly.face_edges
        for j in range(1, len(poly.edges) + 1):
            assert (fe == j).sum() == 1 and (fe == -j).sum() == 1


def test_compress_forms(impl):
    stream = samples.nrbf_streams()[1]
    want = impl["nrbf"].parse_polyhedron(stream)
    raw = base64.b64encode(stream).decode()
    for c in (0, False):
        assert impl["nrbf"].decode_polyhedron(raw, compress=c) == want
    gz = samples.pictures()[1]
    for c in (1, True, None):
        assert impl["nrbf"].decode_polyhedron(gz, compress=c) == want
    assert impl["nrbf"].decode_polyhedron(gz.encode("ascii")) == want


def test_buffer_types(impl):
    stream = samples.nrbf_streams()[0]
    want = impl["nrbf"].parse_polyhedron(stream)
    for buf in (bytearray(stream), memoryview(stream), np.frombuffer(stream, dtype=np.uint8)):
        assert impl["nrbf"].parse_polyhedron(buf) == want


def test_backends_agree(both):
    core, py = both
    for picture in samples.pictures():
        assert core["nrbf"].decode_polyhedron(picture) == py["nrbf"].decode_polyhedron(picture)


def test_public_dispatch():
    import bimgeo

    poly = bimgeo.decode_polyhedron(samples.pictures()[0], element_id=WALL)
    assert poly == pure.decode_polyhedron(samples.pictures()[0])
    assert bimgeo.parse_polyhedron(samples.nrbf_streams()[0]) == poly


# --- the whole record set: the same polyhedron in every legal shape ----------------

SHAPES = {
    "typed": {},
    "untyped": dict(typed=False),
    "array_single_object": dict(objarray="single"),
    "binary_array_offset": dict(objarray="offset"),
    "object_null_each": dict(null_style="each"),
    "object_null_multiple": dict(null_style="multiple"),
    "object_null_multiple_256": dict(null_style="256"),
    "forward_references": dict(order="reverse"),
    "value_types_referenced": dict(inline_values=False),
    "negative_ids": dict(ids=lambda k: -k),
    "sparse_ids": dict(ids=lambda k: 7919 * k + 3),
    "library_in_member_slot": dict(lib_in_member=True),
    "no_class_with_id": dict(reuse_classes=False),
    "everything": dict(
        typed=False, order="reverse", inline_values=False, objarray="single", null_style="each", ids=lambda k: -3 * k
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_record_shapes(impl, shape):
    for stream in (samples.nrbf_streams()[0], samples.nrbf_streams()[1]):
        poly = pure.parse_polyhedron(stream)
        written = W.write(poly, **SHAPES[shape])
        got = impl["nrbf"].parse_polyhedron(written)
        assert got.wire.library == "PPAttribPictureType3, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
        got.wire.library = poly.wire.library
        assert got == poly


def test_trailing_nulls_not_materialised(impl):
    """A List's spare capacity of 2**31 - 1 nulls costs one record and no memory."""
    poly = Polyhedron(np.zeros((0, 3)), np.zeros((0, 2)), [], [0], wire=WireInfo("L", (0, 0), (0, 0), (0, 0), []))
    poly.wire.points = ListMeta(2**31 - 1, 0)
    stream = W.write(poly, null_style="multiple")
    got = impl["nrbf"].parse_polyhedron(stream)
    assert got.wire.points == ListMeta(2**31 - 1, 0) and len(got.points) == 0


def test_members_by_name(impl):
    """Member order is irrelevant: the decoder looks members up by name."""
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    graph = W.poly_graph(poly)
    graph.members.reverse()
    for node in (graph.members[-1][2], graph.members[-2][2]):  # the point and edge lists
        node.members.reverse()
    got = impl["nrbf"].parse_polyhedron(W.Writer().write(graph))
    got.wire.library = poly.wire.library
    assert got == poly


def test_missing_optional_members(impl):
    """m_Radius / m_Bendingrolle may be absent (another server version): None."""
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    graph = W.poly_graph(poly)
    graph.members = [m for m in graph.members if m[0] not in ("m_Radius", "m_Bendingrolle")]
    got = impl["nrbf"].parse_polyhedron(W.Writer().write(graph))
    assert got.radius is None and got.bendingrolle is None and len(got.points) == 8


def test_guid_byte_order(impl):
    gid = "7cf910cb-e357-43f6-aa3a-b45c26380f75"
    poly = pure.parse_polyhedron(samples.nrbf_streams()[0])
    poly.id = gid
    assert impl["nrbf"].parse_polyhedron(encode_nrbf(poly)).id == gid
    # .NET's _a/_b/_c are little-endian Int32/Int16: Guid.ToByteArray order.
    stream = encode_nrbf(poly)
    assert bytes.fromhex("cb10f97c57e3f643aa3ab45c26380f75") in stream


def test_negative_polyeder_type(impl):
    poly = pure.parse_polyhedron(samples.nrbf_streams()[0])
    poly.polyeder_type = -(2**31) + 0x1003
    assert impl["nrbf"].parse_polyhedron(encode_nrbf(poly)).polyeder_type == poly.polyeder_type


# --- random solids through the encoder ------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def polyhedra(draw):
    n = draw(st.integers(0, 12))
    pts = draw(st.lists(st.tuples(finite, finite, finite), min_size=n, max_size=n))
    e = draw(st.integers(0, 15)) if n else 0
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=e, max_size=e)) if n else []
    faces = []
    if edges:
        ref = st.integers(1, len(edges)).flatmap(lambda j: st.sampled_from([j, -j]))
        faces = draw(st.lists(st.lists(ref, max_size=9), max_size=6))
    offsets = np.cumsum([0] + [len(f) for f in faces])
    slack = st.integers(0, 5)

    def meta(size):
        return ListMeta(size + draw(slack), draw(st.integers(-(2**31), 2**31 - 1)))

    def count_array():
        if not draw(st.booleans()):
            return None
        k = draw(st.integers(0, 6))
        c = draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=k, max_size=k))
        v = draw(st.lists(st.floats(width=32, allow_nan=False), min_size=k, max_size=k))
        return CountArray(c, v, meta(k), meta(k))

    wire = WireInfo(
        draw(st.sampled_from(["PPAttribPictureType3, Version=2011.0.1.2, Culture=neutral, PublicKeyToken=null", "Ä"])),
        meta(n),
        meta(len(edges)),
        meta(len(faces)),
        [meta(len(f)) for f in faces],
    )
    gid = str(draw(st.uuids()))
    return Polyhedron(
        np.array(pts, dtype=np.float64).reshape(-1, 3),
        np.array(edges, dtype=np.int32).reshape(-1, 2),
        np.array([r for f in faces for r in f], dtype=np.int32),
        offsets,
        radius=count_array(),
        bendingrolle=count_array(),
        polyeder_type=draw(st.integers(-(2**31), 2**31 - 1)),
        id=gid,
        wire=wire,
    )


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(poly=polyhedra())
def test_random_roundtrip(poly):
    """encode -> decode is the identity on both backends, and BinaryFormatter's layout is stable."""
    from bimgeo import _backend

    stream = encode_nrbf(poly)
    for name in ("python", "cython"):
        try:
            mod = _backend.modules(name)["nrbf"]
        except (ImportError, KeyError):
            continue
        got = mod.parse_polyhedron(stream)
        assert got == poly
        assert encode_nrbf(got) == stream


@settings(max_examples=40, derandomize=True, deadline=None)
@given(poly=polyhedra(), shape=st.sampled_from(sorted(SHAPES)))
def test_random_shapes(poly, shape):
    got = pure.parse_polyhedron(W.write(poly, **SHAPES[shape]))
    got.wire.library = poly.wire.library
    assert got == poly


# --- the generic reader (pure-Python reference) -------------------------------------


def _plain(v, seen=None):
    """Our object model in the nrbf package's plain form (lists unwrapped, enums as ints)."""
    if isinstance(v, pure.NrbfObject):
        if v.class_name.startswith("System.Collections.Generic.List`1"):
            return [_plain(x) for x in list(v["_items"])[: v["_size"]]]
        if list(v.members) == ["value__"]:
            return v["value__"]
        out = {"__class__": v.class_name}
        out.update({k: _plain(x) for k, x in v.members.items()})
        return out
    if isinstance(v, pure.NrbfArray):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


@pytest.mark.parametrize("k", range(5))
def test_reader_matches_nrbf_package(k):
    stream = samples.nrbf_streams()[k]
    ours = _plain(pure.read_stream(stream))
    theirs = nrbf_pypi.loads(stream)
    assert ours == theirs


def test_reader_object_model():
    root = pure.read_stream(samples.nrbf_streams()[1])
    assert root.class_name == "Nemetschek.NUtilLibrary.CBaseElementPolyeder"
    assert root.library.startswith("PPAttribPictureType3")
    assert list(root.members) == ["point", "edge", "face", "m_Radius", "m_Bendingrolle", "type", "ID"]
    assert root.id == 1
    lst = root["point"]
    assert lst.library is None and lst["_size"] == 8 and isinstance(lst["_items"], pure.NrbfArray)
    assert lst.primitive_types["_size"] == pure.PT_INT32
    assert root["type"].id < 0 and root["ID"].id < 0  # inline value types
    ca = root["m_Radius"]
    assert ca["m_Values"]["_items"].items.dtype == np.float32
    assert ca["m_Counter"]["_items"].items.tolist() == [-1, -2, -3, -4]
    edges = root["edge"]["_items"]
    assert len(edges) == 16 and len(edges.items) == 12 and edges[15] is None


def _stream(*records: bytes, root: int = 1) -> bytes:
    return W.header(root) + b"".join(records) + W.END


def test_reader_primitives():
    members = [
        ("bool", 0, 1), ("byte", 0, 2), ("char", 0, 3), ("dec", 0, 5), ("dbl", 0, 6), ("i16", 0, 7),
        ("i32", 0, 8), ("i64", 0, 9), ("sb", 0, 10), ("sgl", 0, 11), ("ts", 0, 12), ("dt", 0, 13),
        ("u16", 0, 14), ("u32", 0, 15), ("u64", 0, 16), ("str", 1, None), ("obj", 2, None),
    ]
    values = (
        b"\x01" + b"\xff" + "€".encode() + W.lps("-12.50") + struct.pack("<d", 1.5) + struct.pack("<h", -2)
        + struct.pack("<i", -3) + struct.pack("<q", -4) + struct.pack("<b", -5) + struct.pack("<f", 0.25)
        + struct.pack("<q", -10**7) + struct.pack("<Q", (1 << 62) | 12345) + struct.pack("<H", 65535)
        + struct.pack("<I", 2**32 - 1) + struct.pack("<Q", 2**64 - 1) + W.object_string(5, "hé")
        + W.prim_typed(8, struct.pack("<i", 42))
    )
    obj = pure.read_stream(_stream(W.class_record(1, "System.Prims", members, None) + values))
    m = obj.members
    assert m["bool"] is True and m["byte"] == 255 and m["char"] == "€"
    assert m["dec"] == decimal.Decimal("-12.50") and m["dbl"] == 1.5 and m["i16"] == -2 and m["i32"] == -3
    assert m["i64"] == -4 and m["sb"] == -5 and m["sgl"] == 0.25
    assert m["ts"] == pure.TimeSpanValue(-10**7) and m["dt"] == pure.DateTimeValue(12345, 1)
    assert m["u16"] == 65535 and m["u32"] == 2**32 - 1 and m["u64"] == 2**64 - 1
    assert m["str"] == "hé" and m["obj"] == 42
    assert obj.primitive_types["obj"] == pure.PT_INT32 and "str" not in obj.primitive_types


def test_reader_long_string_prefix():
    s = "x" * 300  # two-byte 7-bit length prefix
    obj = pure.read_stream(_stream(W.object_string(1, s)))
    assert obj == s and W.lps(s)[:2] == b"\xac\x02"


def test_reader_arrays():
    recs = [
        W.class_record(1, "System.Holder", [("a", 2, None), ("b", 2, None), ("c", 2, None), ("d", 2, None), ("e", 2, None)], None)
        + W.ref(2) + W.ref(3) + W.ref(4) + W.ref(5) + W.ref(6),
        # 2x3 rectangular Int16 array with lower bounds
        W.binary_array(2, [2, 3], 0, 7, kind=5, lower=[1, -1]) + struct.pack("<6h", 1, 2, 3, 4, 5, 6),
        # jagged: array of arrays
        W.binary_array(3, [2], 7, 8, kind=1) + W.ref(7) + W.NULL,
        W.array_single_string(4, 4) + W.object_string(8, "a") + W.ref(8) + W.nulls(2),
        W.array_single_object(5, 3) + W.prim_typed(6, struct.pack("<d", 2.5)) + W.ref(4) + W.NULL,
        W.array_single_primitive(6, 3, 2, "aé".encode()),
        W.array_single_primitive(7, 8, 2, struct.pack("<2i", 7, 8)),
    ]
    root = pure.read_stream(_stream(*recs))
    a, b, c, d, e = (root[k] for k in "abcde")
    assert a.kind == 5 and a.lengths == (2, 3) and a.lower_bounds == (1, -1) and a.items.tolist() == [1, 2, 3, 4, 5, 6]
    assert a.items.dtype == np.int16 and a.rank == 2 and a.primitive_type == pure.PT_INT16
    assert b.kind == 1 and b[0].items.tolist() == [7, 8] and b[1] is None
    assert list(c) == ["a", "a", None, None]
    assert d[0] == 2.5 and d[1] is c and d[2] is None
    assert e.items == ["a", "é"]


def test_reader_forward_reference_and_sharing():
    cls = [("next", 2, None), ("other", 2, None)]
    recs = [
        W.class_record(1, "System.Node", cls, None) + W.ref(3) + W.ref(3),
        W.class_with_id(3, 1) + W.NULL + W.NULL,
    ]
    root = pure.read_stream(_stream(*recs))
    assert root["next"] is root["other"] and root["next"].class_name == "System.Node"


def test_reader_root_not_first():
    recs = [W.object_string(5, "x"), W.class_record(9, "System.R", [("s", 1, None)], None) + W.ref(5)]
    assert pure.read_stream(_stream(*recs, root=9))["s"] == "x"


def test_reader_bool_array_and_datetime_array():
    recs = [
        W.class_record(1, "System.H", [("a", 2, None), ("b", 2, None)], None) + W.ref(2) + W.ref(3),
        W.array_single_primitive(2, 1, 3, b"\x00\x01\x02"),
        W.array_single_primitive(3, 13, 1, struct.pack("<Q", (2 << 62) | 5)),
    ]
    root = pure.read_stream(_stream(*recs))
    assert root["a"].items.tolist() == [False, True, True]
    assert root["b"].items == [pure.DateTimeValue(5, 2)]


def test_reader_encoder_output_matches_nrbf_package():
    poly = Polyhedron.from_mesh(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
        [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]],
        rgba=(1, 2, 3, 4),
        id="01234567-89ab-cdef-0123-456789abcdef",
    )
    stream = encode_nrbf(poly)
    assert _plain(pure.read_stream(stream)) == nrbf_pypi.loads(stream)


def test_type_as_bare_int32(impl):
    """Leniency: a PolyederType written as a plain Int32 member (not the enum object) is accepted."""
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    graph = W.poly_graph(poly)
    W.set_member(graph, "type", ("p", 8), 0x8000003)
    assert impl["nrbf"].parse_polyhedron(W.Writer().write(graph)).polyeder_type == 0x8000003
