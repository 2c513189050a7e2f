"""Hostile and broken meshblob input: only DecodeError / LimitError / UnsupportedError may escape.

Every test runs on both backends (``impl``). Mutations are seeded, so a
failure reproduces.
"""
from __future__ import annotations

import base64
import gzip
import random
import struct
import zlib

import numpy as np
import pytest

import nrbf_writer as W
import samples
from bimgeo import DecodeError, LimitError, Limits, UnsupportedError, encode_nrbf
from bimgeo._pure import nrbf as pure

ALLOWED = (DecodeError, UnsupportedError)


def _decodes_or_fails_cleanly(fn, *args, **kwargs):
    """Run a decoder: it may succeed, or fail with a bimgeo error; nothing else.

    Whatever it does decode must survive the encoder: encode -> decode -> encode
    gives the same bytes.
    """
    try:
        poly = fn(*args, **kwargs)
    except ALLOWED:
        return
    except Exception as exc:  # pragma: no cover - a failure message
        raise AssertionError(f"{type(exc).__name__} escaped: {exc}") from exc
    stream = encode_nrbf(poly)
    assert encode_nrbf(pure.parse_polyhedron(stream)) == stream


def _poly(k=1):
    return pure.parse_polyhedron(samples.nrbf_streams()[k])


def _graph(k=1):
    return W.poly_graph(_poly(k))


def _lists(graph):
    """(point list, edge list, face list) objects of a test graph."""
    return tuple(W.member(graph, n)[2] for n in ("point", "edge", "face"))


# --- truncation, trailing bytes, mutations -------------------------------------


@pytest.mark.parametrize("k", range(5))
def test_truncated_everywhere(impl, k):
    stream = samples.nrbf_streams()[k]
    # Every byte of the two distinct layouts; the three near-copies of sample 1 strided.
    step = 1 if k < 2 else 5
    for n in range(0, len(stream), step):
        with pytest.raises(DecodeError) as info:
            impl["nrbf"].parse_polyhedron(stream[:n])
        assert info.value.offset is not None and 0 <= info.value.offset <= n, n


def test_trailing_bytes(impl):
    stream = samples.nrbf_streams()[0]
    for extra in (b"\x00", b"\x0b", b"junk"):
        with pytest.raises(DecodeError) as info:
            impl["nrbf"].parse_polyhedron(stream + extra)
        assert info.value.offset == len(stream)


@pytest.mark.parametrize("k", [0, 1])
def test_random_bit_flips(impl, k):
    stream = samples.nrbf_streams()[k]
    rng = random.Random(1234 + k)
    for _ in range(400):
        buf = bytearray(stream)
        for _ in range(rng.choice((1, 1, 2, 4))):
            pos = rng.randrange(len(buf))
            buf[pos] ^= 1 << rng.randrange(8)
        _decodes_or_fails_cleanly(impl["nrbf"].parse_polyhedron, bytes(buf))


@pytest.mark.parametrize("k", [0, 1])
def test_random_byte_edits(impl, k):
    stream = samples.nrbf_streams()[k]
    rng = random.Random(99 + k)
    for _ in range(300):
        buf = bytearray(stream)
        op = rng.randrange(4)
        pos = rng.randrange(len(buf))
        if op == 0:
            buf[pos] = rng.choice((0x00, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif op == 1:
            del buf[pos : pos + rng.randrange(1, 9)]
        elif op == 2:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        else:  # an Int32 field set to an extreme
            buf[pos : pos + 4] = struct.pack("<i", rng.choice((-(2**31), -1, 0, 2**31 - 1, 2**24)))
        _decodes_or_fails_cleanly(impl["nrbf"].parse_polyhedron, bytes(buf))


def test_random_gzip_pictures(impl):
    rng = random.Random(7)
    gz = gzip.compress(samples.nrbf_streams()[0], mtime=0)
    for _ in range(200):
        buf = bytearray(gz)
        pos = rng.randrange(len(buf))
        buf[pos] ^= 1 << rng.randrange(8)
        _decodes_or_fails_cleanly(impl["nrbf"].decode_polyhedron, base64.b64encode(bytes(buf)).decode())


# --- huge counts --------------------------------------------------------------------


def _patch_i32(stream, marker, value, skip):
    """``stream`` with the Int32 ``skip`` bytes after ``marker`` set to ``value``."""
    at = stream.index(marker) + skip
    return stream[:at] + struct.pack("<i", value) + stream[at + 4 :], at


# Sample 0: the points array is `07 08000000 00 01000000 10000000 04 ...` (BinaryArray id 8, length 16).
POINTS_ARRAY = bytes.fromhex("0708000000000100000010000000")
# The first face's Int32 array: `0f 47000000 04000000 08`.
FACE_ARRAY = bytes.fromhex("0f470000000400000008")


@pytest.mark.parametrize("value", [2**31 - 1, 2**30, 10**6, -1, -(2**31)])
def test_huge_array_length(impl, value):
    stream, _ = _patch_i32(samples.nrbf_streams()[0], POINTS_ARRAY, value, 10)
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)


@pytest.mark.parametrize("value", [2**31 - 1, 2**29, 1000, -5])
def test_huge_primitive_array_length(impl, value):
    stream, _ = _patch_i32(samples.nrbf_streams()[0], FACE_ARRAY, value, 5)
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)


@pytest.mark.parametrize("value", [2**31 - 1, 2**20, -1, 0])
def test_huge_rank(impl, value):
    stream, _ = _patch_i32(samples.nrbf_streams()[0], POINTS_ARRAY, value, 6)
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)


@pytest.mark.parametrize("value", [2**31 - 1, 100000, -1])
def test_huge_member_count(impl, value):
    # The root class: `...CBaseElementPolyeder` then its member count 7.
    stream = samples.nrbf_streams()[0]
    at = stream.index(b"CBaseElementPolyeder") + len(b"CBaseElementPolyeder")
    stream = stream[:at] + struct.pack("<i", value) + stream[at + 4 :]
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)


@pytest.mark.parametrize("prefix", [b"\xff\xff\xff\xff\x07", b"\xff\xff\xff\xff\x0f", b"\xff\xff\xff\xff\xff", b"\x80\x80\x80\x80\x80"])
def test_huge_string_length(impl, prefix):
    stream = samples.nrbf_streams()[0]
    at = stream.index(b"\x2cNemetschek.NUtilLibrary.CBaseElementPolyeder")
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream[:at] + prefix + stream[at + 1 :])


def test_null_run_overruns_array(impl):
    # The edge array's padding `0d 08` (8 nulls) -> 9 nulls: one past the end.
    stream = samples.nrbf_streams()[0]
    at = stream.index(bytes.fromhex("0d08070a000000"))
    for bad in (b"\x0d\x09", b"\x0d\x00", b"\x0e" + struct.pack("<i", 2**31 - 1), b"\x0e" + struct.pack("<i", -8)):
        with pytest.raises(DecodeError):
            impl["nrbf"].parse_polyhedron(stream[:at] + bad + stream[at + 2 :])


def test_interior_nulls_capped(impl):
    """Nulls inside an array are real elements: capped by max_elements (trailing ones cost nothing)."""
    recs = [
        W.class_record(1, "System.H", [("a", 2, None)], None) + W.ref(2),
        W.array_single_object(2, 2**31 - 1) + W.nulls(2**31 - 3) + W.ref(1) + W.NULL,
    ]
    stream = W.header(1) + b"".join(recs) + W.END
    with pytest.raises(LimitError):
        pure.read_stream(stream, limits=Limits(max_elements=1000))
    # Through the polyhedron decoder: 5000 nulls before the 8 points.
    graph = _graph()
    arr = W.member(_lists(graph)[0], "_items")[2]
    arr.items = [None] * 5000 + arr.items
    arr.length = len(arr.items)
    stream = W.Writer(null_style="multiple").write(graph)
    with pytest.raises(LimitError):
        pure.parse_polyhedron(stream, limits=Limits(max_elements=1000))
    with pytest.raises(DecodeError):  # (and point 0 is null)
        impl["nrbf"].parse_polyhedron(stream, limits=Limits(max_elements=1000))


# --- structure errors ---------------------------------------------------------------


def _stream(*records, root=1):
    return W.header(root) + b"".join(records) + W.END


def test_reference_cycles(impl):
    lib = W.library(2, "PPAttribPictureType3")
    root = W.class_record(1, "Nemetschek.NUtilLibrary.CBaseElementPolyeder", [("point", 2, None)], 2)
    cases = [
        _stream(lib, root + W.ref(1)),  # self reference
        _stream(lib, root + W.ref(3), W.class_record(3, "System.L", [("_items", 2, None)], None) + W.ref(1)),
        _stream(
            lib,
            root + W.ref(3),
            W.class_record(3, "System.L", [("_items", 2, None)], None) + W.ref(4),
            W.array_single_object(4, 2) + W.ref(5) + W.ref(3),
            W.class_with_id(5, 3) + W.NULL,
        ),
    ]
    for stream in cases:
        with pytest.raises(DecodeError):
            impl["nrbf"].parse_polyhedron(stream)
        with pytest.raises(DecodeError, match="cycle"):
            pure.read_stream(stream)


def test_unresolvable_reference(impl):
    stream = samples.nrbf_streams()[0]
    at = stream.index(bytes.fromhex("0903000000"))  # root.point -> 3
    bad = stream[:at] + bytes.fromhex("09e7030000") + stream[at + 5 :]
    with pytest.raises(DecodeError) as info:
        impl["nrbf"].parse_polyhedron(bad)
    assert "999" in str(info.value)


@pytest.mark.parametrize("rt", [0x13, 0x14, 0x17, 0x18, 0x20, 0x7F, 0xFF])
def test_unknown_record_type(impl, rt):
    stream = samples.nrbf_streams()[0]
    at = stream.index(bytes.fromhex("010c0000000b000000"))  # the second point: ClassWithId
    with pytest.raises(DecodeError) as info:
        impl["nrbf"].parse_polyhedron(stream[:at] + bytes((rt,)) + stream[at + 1 :])
    assert info.value.offset == at
    assert str(rt) in str(info.value) or f"{rt:#04x}" in str(info.value)


@pytest.mark.parametrize("rt", [21, 22])
def test_remoting_records_unsupported(impl, rt):
    stream = samples.nrbf_streams()[0]
    at = stream.index(bytes.fromhex("010c0000000b000000"))
    with pytest.raises(UnsupportedError):
        impl["nrbf"].parse_polyhedron(stream[:at] + bytes((rt,)) + stream[at + 1 :])


@pytest.mark.parametrize(
    "stream",
    [
        b"",
        b"\x0b",
        W.header(1),  # no MessageEnd
        W.header(1) + W.END,  # root missing
        b"\x00" + struct.pack("<4i", 1, -1, 2, 0) + W.END,  # version 2.0
        W.header(1) + W.class_record(1, "System.A", [], None) + W.class_record(1, "System.B", [], None) + W.END,  # dup id
        W.header(1) + W.class_with_id(1, 77) + W.END,  # unknown metadata
        W.header(1) + W.class_record(1, "A", [], 5) + W.END,  # undeclared library
        W.header(1) + W.class_record(1, "System.A", [("x", 0, 8)], None) + W.END,  # member value missing
        W.header(1) + W.class_record(1, "System.A", [("x", 0, 17)], None) + W.END,  # Null as a member type
        W.header(1) + W.class_record(1, "System.A", [("x", 0, 4)], None) + b"\0\0\0\0" + W.END,  # type 4 unused
        W.header(1) + W.class_record(1, "System.A", [("x", 9, None)], None) + W.NULL + W.END,  # BinaryType 9
        W.header(1) + W.class_record(1, "System.A", [("x", 2, None)], None) + b"\x0d\x01" + W.END,  # nulls in member
        W.header(1) + W.class_record(1, "System.A", [("x", 2, None), ("x", 2, None)], None) + W.NULL * 2 + W.END,
        W.header(1) + W.object_string(1, "") + b"\x09\x01\x00\x00\x00" + W.END,  # a reference at top level
        W.header(1) + b"\x06" + W.i32(1) + b"\x02\xc3\x28" + W.END,  # invalid UTF-8
        W.header(1) + W.array_single_primitive(1, 18, 1, b"\x00") + W.END,  # String primitive array
        W.header(1) + W.array_single_primitive(1, 3, 1, b"\xff") + W.END,  # bad Char
        W.header(1) + W.binary_array(1, [1], 0, 8, kind=6) + b"\0\0\0\0" + W.END,  # BinaryArrayType 6
        W.header(1) + W.binary_array(1, [2, 2], 0, 8, kind=0) + b"\0" * 16 + W.END,  # Single with rank 2
        W.header(1) + W.binary_array(1, [2**16, 2**16], 0, 2, kind=2) + W.END,  # 2**32 elements
        W.header(1) + W.class_record(1, "System.D", [("d", 0, 5)], None) + W.lps("1e") + W.lps("x") + W.END,
        W.header(1) + W.class_record(1, "System.A", [("x", 2, None)], None) + b"\x08\x11" + W.END,  # Null typed
    ],
)
def test_malformed_streams(impl, stream):
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)
    with pytest.raises(DecodeError):
        pure.read_stream(stream)


def test_deep_nesting(impl):
    """Inline objects nested 5000 deep: LimitError, never RecursionError."""
    depth = 5000
    body = b"".join(W.class_record(-(i + 2), f"System.N{i}", [("c", 2, None)], None) for i in range(depth))
    stream = _stream(W.class_record(1, "System.Root", [("c", 2, None)], None) + body + W.NULL)
    with pytest.raises(LimitError):
        impl["nrbf"].parse_polyhedron(stream)
    with pytest.raises(DecodeError):
        pure.read_stream(stream, limits=Limits(max_depth=10**9))


def test_deep_reference_chain(impl):
    """A long chain of references (no recursion in the reader): max_depth applies to the graph."""
    n = 3000
    recs = [W.class_record(1, "System.N", [("c", 2, None)], None) + W.ref(2)]
    recs += [W.class_with_id(i, 1) + W.ref(i + 1) for i in range(2, n)]
    recs += [W.class_with_id(n, 1) + W.NULL]
    stream = _stream(*recs)
    with pytest.raises(LimitError):
        pure.read_stream(stream)
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream)


# --- wrong member types and values ----------------------------------------------------


def _mutations():
    """(name, function(graph)) pairs that break one typed member each."""

    def point0(g):
        return W.member(_lists(g)[0], "_items")[2].items[0]

    def edge0(g):
        return W.member(_lists(g)[1], "_items")[2].items[0]

    def face0(g):
        return W.member(_lists(g)[2], "_items")[2].items[0]

    def face0_list(g):
        return W.member(face0(g), "edges")[2]

    return {
        "x_single": lambda g: W.set_member(point0(g), "x", ("p", 11)),
        "x_int64": lambda g: W.set_member(point0(g), "x", ("p", 9), 1),
        "x_missing": lambda g: setattr(point0(g), "members", point0(g).members[1:]),
        "begin_int64": lambda g: W.set_member(edge0(g), "begin", ("p", 9)),
        "begin_double": lambda g: W.set_member(edge0(g), "begin", ("p", 6), 1.0),
        "begin_zero": lambda g: W.set_member(edge0(g), "begin", value=0),
        "end_past_points": lambda g: W.set_member(edge0(g), "end", value=9),
        "end_negative": lambda g: W.set_member(edge0(g), "end", value=-1),
        "face_ref_zero": lambda g: W.member(face0_list(g), "_items")[2].values.__setitem__(0, 0),
        "face_ref_past_edges": lambda g: W.member(face0_list(g), "_items")[2].values.__setitem__(1, 13),
        "face_ref_negative_past": lambda g: W.member(face0_list(g), "_items")[2].values.__setitem__(2, -13),
        "face_ref_min_int": lambda g: W.member(face0_list(g), "_items")[2].values.__setitem__(2, -(2**31)),
        "face_items_single": lambda g: W.set_member(
            face0_list(g), "_items", ("o", 7, 11), W.PrimArray(11, np.zeros(4, np.float32))
        ),
        "face_edges_null": lambda g: W.set_member(face0(g), "edges", value=None),
        "face_null": lambda g: W.member(_lists(g)[2], "_items")[2].items.__setitem__(0, None),
        "point_null": lambda g: W.member(_lists(g)[0], "_items")[2].items.__setitem__(3, None),
        "size_past_capacity": lambda g: W.set_member(_lists(g)[0], "_size", value=9),
        "size_negative": lambda g: W.set_member(_lists(g)[1], "_size", value=-1),
        "size_double": lambda g: W.set_member(_lists(g)[1], "_size", ("p", 6), 12.0),
        "face_size_past_capacity": lambda g: W.set_member(face0_list(g), "_size", value=5),
        "points_string": lambda g: W.set_member(g, "point", ("o", 1, None), "points"),
        "points_null": lambda g: W.set_member(g, "point", value=None),
        "points_primitive": lambda g: W.set_member(g, "point", ("p", 8), 5),
        "items_primitive_array": lambda g: W.set_member(
            _lists(g)[0], "_items", ("o", 7, 8), W.PrimArray(8, np.zeros(8, np.int32))
        ),
        "items_string": lambda g: W.set_member(_lists(g)[0], "_items", ("o", 1, None), "x"),
        "point_is_list": lambda g: W.member(_lists(g)[0], "_items")[2].items.__setitem__(0, _lists(g)[1]),
        "no_point_member": lambda g: setattr(g, "members", g.members[1:]),
        "no_face_member": lambda g: setattr(g, "members", [m for m in g.members if m[0] != "face"]),
        "radius_not_countarray": lambda g: W.set_member(g, "m_Radius", value=_lists(g)[0]),
        "radius_counter_single": lambda g: W.set_member(
            W.member(W.member(g, "m_Radius")[2], "m_Counter")[2], "_items", ("o", 7, 11), W.PrimArray(11, np.zeros(4, np.float32))
        ),
        "type_string": lambda g: W.set_member(g, "type", ("o", 1, None), "Element"),
        "type_value_int64": lambda g: W.set_member(W.member(g, "type")[2], "value__", ("p", 9)),
        "id_null": lambda g: W.set_member(g, "ID", value=None),
        "id_a_int64": lambda g: W.set_member(W.member(g, "ID")[2], "_a", ("p", 9)),
        "id_missing_k": lambda g: setattr(W.member(g, "ID")[2], "members", W.member(g, "ID")[2].members[:-1]),
        "root_class": lambda g: setattr(g, "name", "Nemetschek.NUtilLibrary.CBaseElementPolyederX"),
    }


MUTATIONS = _mutations()


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_wrong_members(impl, name):
    graph = _graph()
    MUTATIONS[name](graph)
    # Each object describes its own class, so a changed member type stays local.
    stream = W.Writer(reuse_classes=False).write(graph)
    assert pure.read_stream(stream) is not None  # well-formed MS-NRBF, wrong polyhedron
    with pytest.raises(DecodeError):
        impl["nrbf"].parse_polyhedron(stream, element_id="e-1")


def test_root_not_an_object(impl):
    for stream in (_stream(W.object_string(1, "x")), _stream(W.array_single_primitive(1, 8, 1, b"\0" * 4))):
        with pytest.raises(DecodeError):
            impl["nrbf"].parse_polyhedron(stream)


def test_errors_name_element(impl):
    stream = samples.nrbf_streams()[0][:100]
    with pytest.raises(DecodeError) as info:
        impl["nrbf"].parse_polyhedron(stream, element_id="abc-123")
    assert info.value.element_id == "abc-123" and "abc-123" in str(info.value)
    assert "byte" in str(info.value)


# --- limits -----------------------------------------------------------------------


def test_max_depth(impl):
    with pytest.raises(LimitError):
        impl["nrbf"].parse_polyhedron(samples.nrbf_streams()[0], limits=Limits(max_depth=3))
    # the polyhedron graph is 6 deep: root, list, array, face, list, Int32 array
    assert impl["nrbf"].parse_polyhedron(samples.nrbf_streams()[0], limits=Limits(max_depth=6))


def test_max_face_size(impl):
    with pytest.raises(LimitError):
        impl["nrbf"].parse_polyhedron(samples.nrbf_streams()[0], limits=Limits(max_face_size=7))
    assert impl["nrbf"].parse_polyhedron(samples.nrbf_streams()[0], limits=Limits(max_face_size=8))


# --- base64 / gzip / compress ------------------------------------------------------


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def test_gzip_bomb(impl):
    bomb = _b64(gzip.compress(b"\0" * (4 << 20), mtime=0))  # 4 MiB of zeros in ~4 KiB
    with pytest.raises(LimitError):
        impl["nrbf"].decode_polyhedron(bomb, limits=Limits(max_decompressed=1 << 20))
    stream = samples.nrbf_streams()[0]
    picture = _b64(gzip.compress(stream, mtime=0))
    with pytest.raises(LimitError):
        impl["nrbf"].decode_polyhedron(picture, limits=Limits(max_decompressed=len(stream) - 1))
    assert impl["nrbf"].decode_polyhedron(picture, limits=Limits(max_decompressed=len(stream)))
    with pytest.raises(LimitError):
        impl["nrbf"].decode_polyhedron(_b64(stream), compress=0, limits=Limits(max_decompressed=100))


def test_gzip_broken(impl):
    stream = samples.nrbf_streams()[0]
    gz = gzip.compress(stream, mtime=0)
    cases = {
        "trailing garbage": gz + b"garbage",
        "second member": gz + gz,
        "truncated": gz[:-5],
        "truncated header": gz[:5],
        "bad crc": gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:],
        "bad size": gz[:-4] + struct.pack("<I", len(stream) + 1),
        "not gzip": stream,
        "raw deflate": zlib.compress(stream)[2:-4],
        "zlib": zlib.compress(stream),
        "empty": b"",
    }
    for name, data in cases.items():
        with pytest.raises(DecodeError):
            impl["nrbf"].decode_polyhedron(_b64(data))


@pytest.mark.parametrize(
    "picture",
    [
        "",
        "@@@@",
        "AAAA AAAA",
        "AAAA\nAAAA",
        "AAA",
        "A===",
        "AAAAÄ",
        "H4sI-AAA",
        "H4sI_AAA",
        b"\xff\xfe",
        "AAAA=AAA",
    ],
)
def test_bad_base64(impl, picture):
    with pytest.raises(DecodeError):
        impl["nrbf"].decode_polyhedron(picture)


def test_base64_error_offset(impl):
    picture = samples.pictures()[0]
    bad = picture[:100] + "*" + picture[101:]
    with pytest.raises(DecodeError) as info:
        impl["nrbf"].decode_polyhedron(bad)
    assert info.value.offset == 100


@pytest.mark.parametrize("picture", [None, 12, 1.5, ["AAAA"]])
def test_picture_wrong_type(impl, picture):
    with pytest.raises(DecodeError):
        impl["nrbf"].decode_polyhedron(picture)


@pytest.mark.parametrize("compress", [2, 3])
def test_compress_unsupported(impl, compress):
    with pytest.raises(UnsupportedError) as info:
        impl["nrbf"].decode_polyhedron(samples.pictures()[0], compress=compress, element_id="e-9")
    assert str(compress) in str(info.value) and "e-9" in str(info.value)


@pytest.mark.parametrize("compress", [4, -1, "gzip"])
def test_compress_unknown(impl, compress):
    with pytest.raises(ALLOWED):
        impl["nrbf"].decode_polyhedron(samples.pictures()[0], compress=compress)


def test_raw_picture_that_is_gzip(impl):
    """compress=0 on a gzip picture: the bytes are not NRBF."""
    with pytest.raises(DecodeError):
        impl["nrbf"].decode_polyhedron(samples.pictures()[0], compress=0)


@pytest.mark.parametrize("stream", ["text", 12, None, 1.5, [0, 1]])
def test_stream_not_bytes(impl, stream):
    """parse_polyhedron takes a buffer: anything else is a TypeError (a caller's bug, not bad data)."""
    with pytest.raises(TypeError):
        impl["nrbf"].parse_polyhedron(stream)


def _outcome(mod, stream):
    try:
        return ("ok", mod.parse_polyhedron(stream))
    except Exception as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "offset", None))


def test_backends_fail_alike(both):
    """The twins raise the same error class, message and offset (ARCHITECTURE.md, module contracts)."""
    core, py = both
    rng = random.Random(2024)
    cases = []
    for k in (0, 1):
        stream = samples.nrbf_streams()[k]
        cases += [stream[:n] for n in range(0, len(stream), 3)]
        for _ in range(300):
            buf = bytearray(stream)
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
            cases.append(bytes(buf))
    for name in sorted(MUTATIONS):
        graph = _graph()
        MUTATIONS[name](graph)
        cases.append(W.Writer(reuse_classes=False).write(graph))
    for stream in cases:
        a, b = _outcome(core["nrbf"], stream), _outcome(py["nrbf"], stream)
        assert a == b, stream
