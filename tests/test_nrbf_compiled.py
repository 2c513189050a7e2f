"""The compiled MS-NRBF decoder against its pure-Python twin: same output, same errors.

``bimgeo._core.nrbf`` and ``bimgeo._pure.nrbf`` must agree exactly: equal
Polyhedron, or the same exception class with the same message and offset,
on the spec samples, on seeded random damage (truncations, bit flips,
byte edits; at the stream, gzip and base64 levels) and on hand-built
streams with records the samples lack.
"""
from __future__ import annotations

import base64
import gzip
import random
import struct
import threading
from typing import Any, Callable, List, Tuple

import numpy as np
import pytest

import nrbf_writer as W
import samples
from bimgeo import DecodeError, LimitError, Limits, UnsupportedError

core = pytest.importorskip("bimgeo._core.nrbf")
from bimgeo._pure import nrbf as pure  # noqa: E402

WALL = "7cf910cb-e357-43f6-aa3a-b45c26380f75"
NS = "Nemetschek.NUtilLibrary."


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, ...]:
    """("ok", result) or (exception class, message, offset)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except (DecodeError, UnsupportedError, TypeError) as exc:
        return (type(exc), str(exc), getattr(exc, "offset", None))


def assert_same(name: str, *args: Any, **kwargs: Any) -> Tuple[Any, ...]:
    a = outcome(getattr(core, name), *args, **kwargs)
    b = outcome(getattr(pure, name), *args, **kwargs)
    if a[0] == "ok" and b[0] == "ok":
        assert a[1] == b[1]
        assert a[1].wire == b[1].wire
    else:
        assert a == b
    return a


# --- the spec samples ---------------------------------------------------------


@pytest.mark.parametrize("k", range(5))
def test_samples_equal(k):
    picture, stream = samples.pictures()[k], samples.nrbf_streams()[k]
    a = core.decode_polyhedron(picture)
    assert a == pure.decode_polyhedron(picture)
    assert a == core.parse_polyhedron(stream) == pure.parse_polyhedron(stream)
    assert a.wire == pure.parse_polyhedron(stream).wire
    for arr, dtype in ((a.points, np.float64), (a.edges, np.int32), (a.face_edges, np.int32),
                       (a.face_offsets, np.int64), (a.wire.face_lists, np.int32)):
        assert arr.dtype == dtype and arr.flags.c_contiguous


def test_sample_contents():
    ids = [e["id"] for e in samples.meshblob_elements()]
    for eid, picture in zip(ids, samples.pictures()):
        poly = core.decode_polyhedron(picture, element_id=eid)
        if eid == WALL:
            assert (len(poly.points), len(poly.edges), poly.n_faces) == (16, 24, 10)
            assert poly.radius is None
        else:  # the four wall layers: colour in m_Radius
            assert poly.radius.counters.tolist() == [-1, -2, -3, -4]
            assert poly.radius.values.tolist() == [190, 204, 186, 255]
            assert poly.radius.values.dtype == np.float32
        assert poly.bendingrolle is None


def test_buffer_kinds():
    stream = samples.nrbf_streams()[1]
    ref = core.parse_polyhedron(stream)
    assert core.parse_polyhedron(bytearray(stream)) == ref
    assert core.parse_polyhedron(memoryview(stream)) == ref
    picture = samples.pictures()[1]
    assert core.decode_polyhedron(picture.encode()) == ref
    assert core.decode_polyhedron(bytearray(picture.encode())) == ref
    raw = samples.nrbf_streams()[1]
    assert core.decode_polyhedron(base64.b64encode(raw).decode(), compress=0) == ref
    assert core.decode_polyhedron(base64.b64encode(raw).decode(), compress=False) == ref
    assert core.decode_polyhedron(picture, compress=None) == ref
    assert core.decode_polyhedron(picture, compress=True) == ref


def test_non_contiguous_and_wrong_types():
    stream = samples.nrbf_streams()[1]
    doubled = bytes(b for pair in zip(stream, stream) for b in pair)
    view = memoryview(doubled)[::2]
    assert core.parse_polyhedron(view) == pure.parse_polyhedron(view)
    for bad in ("text", 5, None, [1, 2]):
        assert_same("parse_polyhedron", bad)
    for bad in (5, None, ["x"], 1.5):
        assert_same("decode_polyhedron", bad)


# --- damage at every level ----------------------------------------------------


@pytest.mark.parametrize("k", range(5))
def test_truncated_everywhere_same_error(k):
    stream = samples.nrbf_streams()[k]
    for n in range(len(stream)):
        assert assert_same("parse_polyhedron", stream[:n])[0] is DecodeError


def _mutate(rng: random.Random, data: bytes) -> bytes:
    s = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        i = rng.randrange(len(s))
        if rng.random() < 0.7:
            s[i] ^= 1 << rng.randrange(8)
        else:
            s[i] = rng.randrange(256)
    return bytes(s)


TIGHT = Limits(max_depth=3, max_elements=5, max_face_size=3, max_decompressed=3000)


@pytest.mark.parametrize("seed", range(4))
def test_random_stream_damage_same_result(seed):
    rng = random.Random(seed)
    streams = samples.nrbf_streams()
    for _ in range(400):
        s = _mutate(rng, rng.choice(streams))
        assert_same("parse_polyhedron", s)
        assert_same("parse_polyhedron", s, limits=TIGHT, element_id="e")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 110))
def test_random_stream_damage_sweep(seed):
    rng = random.Random(seed)
    streams = samples.nrbf_streams()
    for _ in range(5000):
        assert_same("parse_polyhedron", _mutate(rng, rng.choice(streams)))


@pytest.mark.parametrize("seed", range(3))
def test_random_gzip_damage_same_result(seed):
    rng = random.Random(seed)
    gz = [base64.b64decode(p) for p in samples.pictures()]
    for _ in range(300):
        g = rng.choice(gz)
        if rng.random() < 0.3:
            g = g[: rng.randrange(len(g))]
        else:
            g = _mutate(rng, g)
        pic = base64.b64encode(g).decode()
        assert_same("decode_polyhedron", pic)
        assert_same("decode_polyhedron", pic, limits=TIGHT)


@pytest.mark.parametrize("seed", range(3))
def test_random_base64_damage_same_result(seed):
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\u00e9"
    for _ in range(300):
        p = list(rng.choice(samples.pictures()))
        op = rng.random()
        if op < 0.3:
            del p[rng.randrange(len(p)) :]
        elif op < 0.6:
            for _ in range(rng.choice((1, 2))):
                p[rng.randrange(len(p))] = rng.choice(alphabet)
        else:
            p = p[: len(p) - rng.randrange(4)] + ["="] * rng.randrange(4)
        text = "".join(p)
        assert_same("decode_polyhedron", text)
        if text.isascii():
            assert_same("decode_polyhedron", text.encode())


def test_gzip_edge_cases_same_result():
    stream = samples.nrbf_streams()[0]
    gz = gzip.compress(stream, mtime=0)
    with_name = gzip.compress(stream, mtime=0)[:3] + b"\x08" + gz[4:10] + b"name\x00" + gz[10:]
    hcrc = gz[:3] + b"\x02" + gz[4:10] + b"\x00\x00" + gz[10:]  # FHCRC with a wrong header CRC
    cases = [gz + gz, gz + b"\x00", gz + b"garbage", gz[:-1], gz[:18], b"", stream, with_name, hcrc,
             gz[:-4] + struct.pack("<I", len(stream) + 1), gz[:-4] + struct.pack("<I", 2**31),
             gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:]]
    for data in cases:
        pic = base64.b64encode(data).decode()
        for lim in (None, Limits(max_decompressed=len(stream)), Limits(max_decompressed=len(stream) - 1)):
            assert_same("decode_polyhedron", pic, limits=lim)
    assert core.decode_polyhedron(base64.b64encode(with_name)) == core.parse_polyhedron(stream)
    bomb = base64.b64encode(gzip.compress(b"\0" * 10_000_000)).decode()
    assert assert_same("decode_polyhedron", bomb, limits=Limits(max_decompressed=1000))[0] is LimitError


@pytest.mark.parametrize("compress", [2, 3, 4, -1, "1", 1.0, np.int64(1)])
def test_compress_values_same_result(compress):
    assert_same("decode_polyhedron", samples.pictures()[0], compress=compress, element_id="e1")


# --- hand-built streams -------------------------------------------------------
# A tiny builder on top of the shared record helpers (tests/nrbf_writer.py).


def poly_of(k: int = 1):
    return pure.parse_polyhedron(samples.nrbf_streams()[k])


def rebuild(poly, **options: Any) -> bytes:
    return W.Writer(**options).write(W.poly_graph(poly, lib=poly.wire.library))


SHAPES = [
    dict(),
    dict(typed=False),  # ClassWithMembers / SystemClassWithMembers + MemberPrimitiveTyped
    dict(objarray="single"),  # ArraySingleObject
    dict(objarray="offset"),  # BinaryArray SingleOffset
    dict(null_style="multiple"),  # ObjectNullMultiple
    dict(null_style="each"),
    dict(null_style="256"),
    dict(order="reverse"),  # every reference a forward one
    dict(ids=lambda k: -k),  # negative ids
    dict(ids=lambda k: k * 1_000_003 - 2**30),  # large, scattered ids
    dict(inline_values=False),  # value types by reference
    dict(lib_in_member=True),  # a BinaryLibrary inside a member slot
    dict(reuse_classes=False),  # no ClassWithId
    dict(typed=False, objarray="single", order="reverse", ids=lambda k: -3 * k, null_style="multiple"),
]


@pytest.mark.parametrize("shape", SHAPES, ids=range(len(SHAPES)))
@pytest.mark.parametrize("k", [0, 1])
def test_shapes_equal(shape, k):
    poly = poly_of(k)
    stream = rebuild(poly, **shape)
    a = core.parse_polyhedron(stream)
    assert a == poly and a == pure.parse_polyhedron(stream)
    assert a.wire.face_lists.tolist() == poly.wire.face_lists.tolist()
    # and every truncation of the shape fails the same way
    for n in range(0, len(stream), 7):
        assert_same("parse_polyhedron", stream[:n])


def _root_graph(poly):
    return W.poly_graph(poly, lib=poly.wire.library)


def test_members_in_other_order_and_extra_members():
    poly = poly_of(1)
    root = _root_graph(poly)
    root.members.reverse()
    root.members.insert(3, ("name", ("o", 1, None), "Brickwall \u00e9"))  # BinaryObjectString
    root.members.append(("m_Extra", ("o", 2, None), None))  # Object member, null
    root.members.insert(0, ("m_Flag", ("p", 1), True))  # Boolean primitive
    stream = W.Writer().write(root)
    assert core.parse_polyhedron(stream) == poly == pure.parse_polyhedron(stream)
    stream = W.Writer(typed=False, order="reverse").write(root)
    assert core.parse_polyhedron(stream) == poly == pure.parse_polyhedron(stream)


def _extra_records() -> bytes:
    """Top-level records of unrelated classes: every record kind and primitive the samples lack."""
    lib = 77
    out = W.library(lib, "Other, Version=1.0.0.0")
    # a class with every primitive type, typed
    prims = [(1, b"\x01"), (2, b"\xff"), (3, "\u00e9".encode()), (5, W.lps("-12.50")), (6, struct.pack("<d", 1.5)),
             (7, struct.pack("<h", -2)), (8, struct.pack("<i", -3)), (9, struct.pack("<q", -4)),
             (10, struct.pack("<b", -5)), (11, struct.pack("<f", 6.5)), (12, struct.pack("<q", 7)),
             (13, struct.pack("<Q", 8 | (1 << 62))), (14, struct.pack("<H", 9)), (15, struct.pack("<I", 10)),
             (16, struct.pack("<Q", 11))]
    members = [(f"p{pt}", 0, pt) for pt, _ in prims]
    members += [("s", 1, None), ("o", 2, None), ("rect", 7, 8), ("jag", 5, None), ("strs", 6, None),
                ("sys", 3, "System.Version"), ("cls", 4, ("Other.Thing", lib))]
    out += W.class_record(-500, "Other.AllTypes", members, lib)
    out += b"".join(raw for _, raw in prims)
    out += W.object_string(-501, "text")  # s
    out += W.prim_typed(9, struct.pack("<q", 99))  # o: a boxed Int64
    # rect: a 2x3 rectangular Int32 BinaryArray, raw values
    out += W.binary_array(-502, [2, 3], 0, 8, kind=2) + struct.pack("<6i", *range(6))
    # jag: a jagged array of Int32 arrays (a null, a forward reference, an inline one)
    out += W.binary_array(-503, [3], 7, 8, kind=1) + W.NULL + W.ref(-510)
    out += W.array_single_primitive(-504, 8, 2, struct.pack("<2i", 1, 2))
    out += W.array_single_string(-505, 5) + W.object_string(-506, "a") + W.nulls(3, "multiple") + W.ref(-501)
    out += W.NULL  # sys
    out += W.ref(-507)  # cls, forward
    # ArraySingleObject with every element kind
    out += W.array_single_object(-507, 9) + W.prim_typed(8, struct.pack("<i", 5)) + W.nulls(2, "256")
    out += W.object_string(-508, "b") + W.ref(-500) + W.NULL + W.prim_typed(3, b"z")
    out += W.prim_typed(5, W.lps("1e3")) + W.ref(-507)
    out += W.array_single_primitive(-510, 3, 2, b"ab")  # Char array
    out += W.binary_array(-511, [2, 2], 0, 5, kind=5, lower=[1, 1]) + W.lps("1") + W.lps("2") + W.lps("3") + W.lps("4")
    out += W.binary_array(-512, [0, 5], 4, ("Other.Thing", lib), kind=2)  # empty rectangular
    out += W.class_record(-513, "Other.Untyped", [("a", 0, 0), ("b", 0, 0)], lib, typed=False)
    out += W.prim_typed(13, struct.pack("<Q", 5)) + W.object_string(-514, "u")
    out += W.class_with_id(-515, -513) + W.NULL + W.prim_typed(1, b"\x00")
    return out


def test_unrelated_records_are_skipped():
    poly = poly_of(1)
    base = rebuild(poly)
    stream = base[:-1] + _extra_records() + W.END
    assert core.parse_polyhedron(stream) == poly == pure.parse_polyhedron(stream)
    # the graph of the extra records, used from the root, is read the same way by both
    for n in range(len(base) - 1, len(stream), 3):
        assert_same("parse_polyhedron", stream[:n])
    rng = random.Random(5)
    for _ in range(300):
        assert_same("parse_polyhedron", _mutate(rng, stream))


def test_bad_decimal_first_error_wins():
    lib = 77
    bad = (W.library(lib, "L") + W.class_record(-1, "X", [("d", 0, 5), ("e", 0, 5)], lib)
           + W.lps("nope") + W.lps("1"))
    stream = W.header(1) + bad + W.END
    a = assert_same("parse_polyhedron", stream)
    assert a[0] is DecodeError and "bad Decimal" in a[1]
    # a later structural error does not hide the earlier bad Decimal
    assert_same("parse_polyhedron", W.header(1) + bad + b"\x63")


def test_hand_built_errors_same():
    poly = poly_of(1)
    root = _root_graph(poly)
    variants: List[bytes] = []
    for name, kind, value in [
        ("point", ("o", 1, None), "a string"),
        ("edge", ("o", 2, None), None),
        ("type", ("p", 8), 4099),
        ("type", ("p", 9), 4099),
        ("ID", ("p", 8), 1),
        ("m_Radius", ("p", 6), 1.0),
        ("face", ("o", 1, None), "x"),
    ]:
        g = _root_graph(poly)
        W.set_member(g, name, kind, value)
        variants.append(W.Writer().write(g))
        variants.append(W.Writer(typed=False).write(g))
    g = _root_graph(poly)
    g.members = [m for m in g.members if m[0] != "edge"]
    variants.append(W.Writer().write(g))
    g = _root_graph(poly)
    g.name = NS + "Something"
    variants.append(W.Writer().write(g))
    for v in variants:
        assert_same("parse_polyhedron", v, element_id="x")
    assert len(root.members) == 7


def test_remoting_record_unsupported():
    for rt in (21, 22):
        a = assert_same("parse_polyhedron", bytes([rt]) + b"\0" * 20, element_id="e")
        assert a[0] is UnsupportedError
        a = assert_same("parse_polyhedron", W.header(1) + bytes([rt]) + W.END)
        assert a[0] is UnsupportedError


def test_deep_and_cyclic_graphs_same():
    # a chain of inline objects deeper than max_depth, and a reference cycle
    lib = 5
    depth = 70
    out = W.header(1) + W.library(lib, "L")
    out += W.class_record(1, "N", [("next", 4, ("N", lib))], lib)
    for i in range(depth):
        out += W.class_with_id(2 + i, 1)
    out += W.NULL + W.END
    assert assert_same("parse_polyhedron", out)[0] is LimitError
    assert assert_same("parse_polyhedron", out, limits=Limits(max_depth=200))[0] is DecodeError
    cyc = (W.header(1) + W.library(lib, "L") + W.class_record(1, "N", [("next", 4, ("N", lib))], lib)
           + W.ref(2) + W.class_with_id(2, 1) + W.ref(1) + W.END)
    a = assert_same("parse_polyhedron", cyc)
    assert "cycle" in a[1]


def test_huge_counts_fail_fast():
    big = 2**31 - 1
    for stream in [
        W.header(1) + W.array_single_primitive(1, 6, big, b"") + W.END,
        W.header(1) + W.array_single_object(1, big) + W.nulls(big, "multiple") + W.END,
        W.header(1) + W.binary_array(1, [big] * 3, 2, None, kind=2) + W.END,
        W.header(1) + W.class_record(1, "X", [], None)[:-4] + W.i32(big) + W.END,
        W.header(1) + b"\x06" + W.i32(1) + b"\xff\xff\xff\xff\x07" + W.END,
    ]:
        assert_same("parse_polyhedron", stream)


# --- threads ------------------------------------------------------------------


def run_threads(work: Callable[[int], None], n: int) -> None:
    """work(0) .. work(n - 1), each in its own thread, all joined."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_threads_decode_concurrently():
    pictures = samples.pictures()
    expected = [core.decode_polyhedron(p) for p in pictures]
    errors: List[BaseException] = []
    barrier = threading.Barrier(4)

    def work(seed: int) -> None:
        try:
            barrier.wait()
            order = list(range(len(pictures))) * 40
            random.Random(seed).shuffle(order)
            for k in order:
                if core.decode_polyhedron(pictures[k]) != expected[k]:
                    raise AssertionError(f"thread {seed}: picture {k} differs")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    run_threads(work, 4)
    assert not errors, errors


def _ring_prism_stream(n: int) -> bytes:
    """The MS-NRBF stream of an n-sided prism (2n points, 3n edges), as BinaryFormatter writes it."""
    from bimgeo import Polyhedron, encode_polyhedron

    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    base = np.stack([1000 * np.cos(t), 1000 * np.sin(t), np.zeros(n)], axis=1)
    v = np.concatenate([base, base + [0.0, 0.0, 300.0]])
    faces = [list(range(n)), [n + i for i in reversed(range(n))]]
    faces += [[i, n + i, n + (i + 1) % n, (i + 1) % n] for i in range(n)]
    return gzip.decompress(base64.b64decode(encode_polyhedron(Polyhedron.from_mesh(v, faces))))


def test_pooled_tables_across_sizes():
    # The compiled decoder keeps its tables between calls. Streams of very
    # different sizes, whole and damaged, in random order, from several
    # threads: each must decode as the twin does from a fresh start.
    streams = [_ring_prism_stream(n) for n in (3, 40, 2500)] + list(samples.nrbf_streams())
    cases = []
    for s in streams:
        cases += [s, s[: len(s) // 2], s[:-1], s[:7] + b"\x09" + s[8:]]
    expected = [outcome(pure.parse_polyhedron, s) for s in cases]
    errors: List[BaseException] = []

    def work(seed: int) -> None:
        try:
            order = list(range(len(cases))) * 3
            random.Random(seed).shuffle(order)
            for k in order:
                got = outcome(core.parse_polyhedron, cases[k])
                if got != expected[k] or (got[0] == "ok" and got[1].wire != expected[k][1].wire):
                    raise AssertionError(f"thread {seed}: case {k} differs")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    work(-1)
    run_threads(work, 3)
    assert not errors, errors


def test_many_class_definitions_then_samples():
    # More distinct class definitions than the compiled reader keeps between
    # calls (it replaces the oldest): every stream still decodes as the twin's.
    lib = 3
    odd = []
    for i in range(80):
        members = [(f"m{j}", 0, 8) for j in range(i % 5 + 1)]
        body = W.class_record(1, f"Odd{i}", members, lib) + b"\0" * 4 * len(members)
        odd.append(W.header(1) + W.library(lib, "L") + body + W.END)
    streams = odd + list(samples.nrbf_streams()) + odd[::-1] + list(samples.nrbf_streams())
    for s in streams:
        assert_same("parse_polyhedron", s)


def test_nested_reuse_of_a_wide_class():
    # A wide class reused (ClassWithId) and nested inline: member values are
    # staged per open object, so memory follows the bytes read, not
    # depth x members. Both backends must agree on the outcome.
    lib, width, depth = 3, 5000, 40
    members = [("n", 4, ("W", lib))] + [(f"m{i}", 0, 8) for i in range(width)]
    head = W.header(1) + W.library(lib, "L") + W.class_record(1, "W", members, lib)
    body = b"".join(W.class_with_id(2 + i, 1) for i in range(depth))
    stream = head + body + W.NULL + (b"\0" * 4 * width) * (depth + 1) + W.END
    a = assert_same("parse_polyhedron", stream, limits=Limits(max_depth=100))
    assert a[0] is DecodeError and "root is an object of class W" in a[1]
    assert assert_same("parse_polyhedron", stream[: len(head) + len(body) + 100])[0] is DecodeError


@pytest.mark.parametrize("engine", ["isal", "twin"])
def test_gzip_without_libdeflate(monkeypatch, engine):
    # libdeflate (the ``deflate`` package) is optional: isal, then the twin's zlib path.
    monkeypatch.setattr(core, "_deflate_gzip", None)
    if engine == "twin":
        monkeypatch.setattr(core, "_IsalDecompressor", None)
    stream = samples.nrbf_streams()[0]
    gz = gzip.compress(stream, mtime=0)
    for picture in samples.pictures():
        assert core.decode_polyhedron(picture) == pure.decode_polyhedron(picture)
    for data in (gz + gz, gz + b"x", gz[:-3], gz[:-4] + struct.pack("<I", len(stream) - 1)):
        for lim in (None, Limits(max_decompressed=100)):
            assert_same("decode_polyhedron", base64.b64encode(data).decode(), limits=lim)


# --- decode_meshblob: straight to a Mesh --------------------------------------
# core.decode_meshblob skips the Polyhedron; it must equal the twin's
# decode_polyhedron + triangulate + Mesh, and fail exactly as decode_polyhedron.

import bimgeo  # noqa: E402
from bimgeo import CountArray, Mesh, Polyhedron, encode_polyhedron  # noqa: E402
from bimgeo._pure import triangulate as pure_tri  # noqa: E402


def mesh_via_polyhedron(picture: Any, **kwargs: Any) -> Mesh:
    """The old public path, by hand: pure decode_polyhedron, pure triangulate, Mesh()."""
    poly = pure.decode_polyhedron(picture, **kwargs)
    element_id = kwargs.get("element_id")
    mesh_id = element_id if element_id is not None else poly.id
    if poly.n_faces == 0:
        return Mesh(poly.points, np.zeros((0, 3), np.uint32), np.zeros(0, np.int32), poly.edges.astype(np.uint32),
                    rgba=poly.rgba, id=mesh_id, polyeder_type=poly.polyeder_type)
    faces, source = pure_tri.triangulate(poly.points, poly.edges, poly.face_edges, poly.face_offsets,
                                         element_id=mesh_id, limits=kwargs.get("limits"))
    return Mesh(poly.points, faces, source, rgba=poly.rgba, id=mesh_id, polyeder_type=poly.polyeder_type)


def assert_mesh_layout(m: Mesh) -> None:
    for arr, dtype, ndim in ((m.vertices, np.float64, 2), (m.faces, np.uint32, 2), (m.face_source, np.int32, 1),
                             (m.lines, np.uint32, 2)):
        assert type(arr) is np.ndarray and arr.dtype == dtype and arr.ndim == ndim
        assert arr.flags.c_contiguous and arr.flags.writeable
    assert m.vertices.shape[1:] == (3,) and m.faces.shape[1:] == (3,) and m.lines.shape[1:] == (2,)
    assert len(m.face_source) == len(m.faces)
    assert m.rgba is None or (len(m.rgba) == 4 and all(type(c) is float for c in m.rgba))
    assert m.polyeder_type is None or type(m.polyeder_type) is int


def assert_same_mesh(picture: Any, **kwargs: Any) -> Tuple[Any, ...]:
    """core and pure decode_meshblob agree (Mesh ==, or the same error); on a decoder error,
    it is decode_polyhedron's; on success, the Mesh equals the old path's."""
    a = outcome(core.decode_meshblob, picture, **kwargs)
    b = outcome(pure.decode_meshblob, picture, **kwargs)
    if a[0] == "ok" and b[0] == "ok":
        assert a[1] == b[1]
        assert type(a[1].id) is str and a[1].id == b[1].id
        assert_mesh_layout(a[1])
        assert a[1] == mesh_via_polyhedron(picture, **kwargs)
    else:
        assert a == b
        p = outcome(core.decode_polyhedron, picture, **kwargs)
        if p[0] != "ok":
            assert a == p
    return a


@pytest.mark.parametrize("k", range(5))
def test_meshblob_samples_equal(k):
    picture, el = samples.pictures()[k], samples.meshblob_elements()[k]
    a = assert_same_mesh(picture)
    assert a[0] == "ok"
    mesh = a[1]
    poly = core.decode_polyhedron(picture)
    assert mesh.id == poly.id and mesh.rgba == poly.rgba and mesh.polyeder_type == poly.polyeder_type
    np.testing.assert_array_equal(mesh.vertices, poly.points)
    assert mesh.is_watertight() and mesh.volume > 0 and len(mesh.lines) == 0
    assert_same_mesh(picture, element_id=el["id"])
    assert core.decode_meshblob(picture, element_id=el["id"]).id == el["id"]
    assert_same_mesh(picture, compress=True, limits=Limits())
    assert_same_mesh(picture.encode(), compress=None)
    assert_same_mesh(bytearray(picture.encode()))
    plain = base64.b64encode(samples.nrbf_streams()[k]).decode()
    assert core.decode_meshblob(plain, compress=0) == mesh == core.decode_meshblob(plain, compress=False)
    # the public API routes through the active backend's decode_meshblob
    assert bimgeo.decode_meshblob(picture) == mesh


def test_meshblob_arrays_are_fresh():
    """Two decodes share no arrays; mutating one mesh leaves the next decode alone."""
    picture = samples.pictures()[1]
    a, b = core.decode_meshblob(picture), core.decode_meshblob(picture)
    for x, y in ((a.vertices, b.vertices), (a.faces, b.faces), (a.face_source, b.face_source), (a.lines, b.lines)):
        assert not np.shares_memory(x, y)
    a.vertices[:] = 0
    assert core.decode_meshblob(picture) == b


@pytest.mark.parametrize("compress", [2, 3, 4, -1, "1", 1.0, np.int64(1)])
def test_meshblob_compress_values_same(compress):
    assert_same_mesh(samples.pictures()[0], compress=compress, element_id="e1")
    assert outcome(core.decode_meshblob, samples.pictures()[0], compress=compress) == outcome(
        core.decode_polyhedron, samples.pictures()[0], compress=compress)


def _prism(rng: random.Random) -> Tuple[np.ndarray, List[List[int]]]:
    """A random prism over a star-shaped (often non-convex) n-gon, meshblob winding."""
    n = rng.randrange(3, 13)
    angles = np.sort(np.array([rng.uniform(0, 2 * np.pi) for _ in range(n)]))
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False) if len(np.unique(angles)) < n else angles
    radii = np.array([rng.uniform(0.3, 1.0) for _ in range(n)]) * rng.uniform(1, 5000)
    h = rng.uniform(1, 3000)
    base = np.stack([radii * np.cos(angles), radii * np.sin(angles), np.zeros(n)], axis=1)
    base += np.array([rng.uniform(-1e5, 1e5) for _ in range(3)])
    top = base + np.array([0.0, 0.0, h])
    v = np.concatenate([base, top])
    faces = [list(range(n)), [n + i for i in reversed(range(n))]]
    faces += [[i, n + i, n + (i + 1) % n, (i + 1) % n] for i in range(n)]
    return v, faces


def _random_id(rng: random.Random) -> str:
    return "-".join("".join(rng.choice("0123456789abcdef") for _ in range(k)) for k in (8, 4, 4, 4, 12))


@pytest.mark.parametrize("seed", range(6))
def test_meshblob_random_solids_equal(seed):
    rng = random.Random(seed)
    for _ in range(25):
        v, faces = _prism(rng)
        rgba = None if rng.random() < 0.3 else tuple(float(rng.randrange(256)) for _ in range(4))
        ptype = rng.choice((0x1003, 0x1001, 0, 0x7FFFFFFF, -1))
        pid = _random_id(rng) if rng.random() < 0.5 else None
        poly = Polyhedron.from_mesh(v, faces, rgba=rgba, polyeder_type=ptype, id=pid)
        compress = rng.choice((True, False))
        picture = encode_polyhedron(poly, compress=compress)
        a = assert_same_mesh(picture, compress=compress)
        assert a[0] == "ok"
        mesh = a[1]
        assert mesh.rgba == rgba and mesh.polyeder_type == ptype and mesh.id == poly.id
        # at most n - 2 triangles a face (the triangulator may drop degenerate ones)
        assert 0 < len(mesh.faces) <= sum(len(f) - 2 for f in faces)
        assert mesh.volume > 0
        assert_same_mesh(picture, compress=compress, element_id="el-" + str(seed))


def test_meshblob_solid_with_hole_equal():
    outer, hole = [[0, 0], [10, 0], [10, 10], [0, 10]], [[3, 3], [6, 3], [6, 6], [3, 6]]
    v = [[x, y, 0] for x, y in outer + hole] + [[x, y, 5] for x, y in outer + hole]
    bottom = [[0, 1, 2, 3], [7, 6, 5, 4]]
    top = [[11, 10, 9, 8], [12, 13, 14, 15]]
    sides = [[i, 8 + i, 8 + (i + 1) % 4, (i + 1) % 4] for i in range(4)]
    sides += [[4 + (i + 1) % 4, 12 + (i + 1) % 4, 12 + i, 4 + i] for i in range(4)]
    picture = encode_polyhedron(Polyhedron.from_mesh(v, [bottom, top] + sides))
    a = assert_same_mesh(picture)
    assert a[0] == "ok" and a[1].is_watertight()
    assert a[1].volume == pytest.approx(5 * (100 - 9))


@pytest.mark.parametrize("seed", range(4))
def test_meshblob_wire_equal(seed):
    """Edges, no faces: no triangles, the edges as uint32 lines (the triangulator is not called)."""
    rng = random.Random(seed)
    for _ in range(20):
        n = rng.randrange(0, 9)
        pts = np.array([[rng.uniform(-1e4, 1e4) for _ in range(3)] for _ in range(n)]).reshape(-1, 3)
        e = rng.randrange(0, 12) if n else 0
        edges = np.array([[rng.randrange(n), rng.randrange(n)] for _ in range(e)], dtype=np.int32).reshape(-1, 2)
        radius = None if rng.random() < 0.5 else CountArray([-1, -2, -3, -4, -5], [1, 2, 3, 4, 0.5])
        poly = Polyhedron(pts, edges, [], [0], radius=radius, polyeder_type=rng.choice((0x1003, 2)),
                          id=_random_id(rng))
        picture = encode_polyhedron(poly)
        a = assert_same_mesh(picture)
        assert a[0] == "ok"
        mesh = a[1]
        assert mesh.faces.shape == (0, 3) and mesh.face_source.shape == (0,)
        assert mesh.lines.tolist() == edges.tolist() and mesh.lines.dtype == np.uint32
        assert mesh.rgba == (None if radius is None else (1.0, 2.0, 3.0, 4.0))
        assert mesh.id == poly.id and mesh.polyeder_type == poly.polyeder_type
        assert_same_mesh(picture, element_id="w")


RADII = [
    None,
    ([], []),
    ([-1, -2, -3], [1, 2, 3]),  # no alpha: no colour
    ([-4, -3, -2, -1], [4, 3, 2, 1]),  # any order
    ([-1, -1, -2, -3, -4], [7, 1, 2, 3, 4]),  # duplicates: the first wins
    ([-5, -1, -2, -3, -4, 9], [0.25, 0.5, 1.5, 2.5, 255, 9]),
    ([-1, -2, -3, -4], [1, 2, 3]),  # fewer values than counters: -4 unpaired
    ([-1, -2, -3, -4], [1, 2, 3, 4, 5]),  # more values than counters
    ([-1, -2, -3, -4], [-0.0, -np.inf, 1e38, 0.1]),  # float32 values as they are (NaN: Mesh != itself)
]


@pytest.mark.parametrize("radius", RADII, ids=range(len(RADII)))
def test_meshblob_colour_equal(radius):
    v, faces = _prism(random.Random(1))
    poly = Polyhedron.from_mesh(v, faces)
    poly.radius = None if radius is None else CountArray(*radius)
    poly.bendingrolle = CountArray([1, 2], [3, 4]) if radius else None
    picture = encode_polyhedron(poly)
    a = assert_same_mesh(picture)
    assert a[0] == "ok"
    expected = core.decode_polyhedron(picture).rgba
    got = a[1].rgba
    assert (got is None and expected is None) or np.array_equal(np.array(got), np.array(expected), equal_nan=True)
    if radius is not None and radius[0]:
        first = {}
        for c, x in zip(radius[0], np.asarray(radius[1], np.float32).tolist()):
            first.setdefault(c, x)
        want = tuple(first.get(c) for c in (-1, -2, -3, -4))
        want = None if None in want else want
        assert (got is None and want is None) or np.array_equal(np.array(got), np.array(want), equal_nan=True)


def test_meshblob_triangulator_errors_same():
    """A face whose edges do not chain: the triangulator's error, naming the payload's Guid (or element_id)."""
    v, faces = _prism(random.Random(2))
    poly = Polyhedron.from_mesh(v, faces, id="12345678-9abc-def0-1234-56789abcdef0")
    fe = poly.face_edges.copy()
    fe[0], fe[1] = fe[1], -fe[0]
    poly.face_edges = fe
    picture = encode_polyhedron(poly)
    for kwargs in ({}, {"element_id": "elem"}, {"limits": Limits(max_face_size=4)}):
        a = assert_same_mesh(picture, **kwargs)
        assert a[0] != "ok" and issubclass(a[0], DecodeError)


@pytest.mark.parametrize("seed", range(4))
def test_meshblob_stream_damage_same(seed):
    rng = random.Random(seed)
    streams = samples.nrbf_streams()
    for _ in range(250):
        s = rng.choice(streams)
        s = s[: rng.randrange(len(s))] if rng.random() < 0.3 else _mutate(rng, s)
        pic = base64.b64encode(s).decode()
        assert_same_mesh(pic, compress=0)
        assert_same_mesh(pic, compress=0, limits=TIGHT, element_id="e")


@pytest.mark.parametrize("seed", range(3))
def test_meshblob_gzip_and_base64_damage_same(seed):
    rng = random.Random(seed)
    gz = [base64.b64decode(p) for p in samples.pictures()]
    for _ in range(150):
        g = rng.choice(gz)
        g = g[: rng.randrange(len(g))] if rng.random() < 0.3 else _mutate(rng, g)
        pic = base64.b64encode(g).decode()
        assert_same_mesh(pic)
        assert_same_mesh(pic, limits=TIGHT)
        p = list(rng.choice(samples.pictures()))
        if rng.random() < 0.5:
            del p[rng.randrange(len(p)):]
        else:
            p[rng.randrange(len(p))] = rng.choice("A+/=-_ \n\u00e9")
        assert_same_mesh("".join(p))
    for bad in (None, 12, ["x"], object()):
        assert_same_mesh(bad)


@pytest.mark.parametrize("k", [0, 1])
def test_meshblob_truncated_everywhere_same(k):
    stream = samples.nrbf_streams()[k]
    for n in range(0, len(stream), 3):
        a = assert_same_mesh(base64.b64encode(stream[:n]), compress=0)
        assert a[0] is DecodeError


def test_meshblob_shapes_equal():
    """Hand-built record layouts the samples lack reach the same Mesh."""
    for shape in SHAPES:
        for k in (0, 1):
            stream = rebuild(poly_of(k), **shape)
            a = assert_same_mesh(base64.b64encode(stream).decode(), compress=0)
            assert a[0] == "ok"


# --- the model's fast paths ---------------------------------------------------


def test_mesh_from_arrays_equals_constructor():
    v = np.arange(12, dtype=np.float64).reshape(4, 3)
    f = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)
    s = np.array([0, 0], dtype=np.int32)
    lines = np.zeros((0, 2), dtype=np.uint32)
    m = Mesh._from_arrays(v, f, s, lines, (1.0, 2.0, 3.0, 4.0), "id", 0x1003)
    assert type(m) is Mesh and m.vertices is v and m.faces is f and m.face_source is s and m.lines is lines
    assert m == Mesh(v, f, s, rgba=(1, 2, 3, 4), id="id", polyeder_type=0x1003)
    assert Mesh._from_arrays(v, f, s, lines, None, None, None) == Mesh(v, f, s)


def test_count_array_get_and_rgba():
    ca = CountArray([-5, -1, -2, -1, -3, -4], [9, 1, 2, 7, 3, 4])
    assert ca.get(-1) == 1.0 and type(ca.get(-1)) is float
    assert ca.get(-4) == 4.0 and ca.get(np.int32(-2)) == 2.0 and ca.get(-6) is None
    assert ca.rgba == (1.0, 2.0, 3.0, 4.0) and all(type(c) is float for c in ca.rgba)
    assert CountArray([-1, -2, -3, -4], [1, 2, 3]).rgba is None  # -4 unpaired
    assert CountArray([-1, -2, -3, -4], [1, 2, 3]).get(-4) is None
    assert CountArray([], []).rgba is None
    assert CountArray([-1, -2, -3, -4], [0.1, 2, 3, 4]).rgba[0] == float(np.float32(0.1))
