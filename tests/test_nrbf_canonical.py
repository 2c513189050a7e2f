"""The compiled decoder's canonical reader against its general reader.

A stream laid out exactly as BinaryFormatter writes a picture takes a short
path in ``bimgeo._core.nrbf`` (nrbf_canonical.pxi); anything else, and
every error, is left to the general reader. Here: the short path is taken
where it should be, and on and around such streams (every byte edited,
every truncation, random damage, tight limits) both readers give the same
result or the same error. The general reader is held to the pure twin in
test_nrbf_compiled.py, so the three agree.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Iterator, List, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nrbf_writer as W
import samples
from test_nrbf import polyhedra  # the encoder's whole input space
from bimgeo import BimgeoError, CountArray, DecodeError, LimitError, Limits, ListMeta, Polyhedron, WireInfo
from bimgeo._encode import encode_nrbf

core = pytest.importorskip("bimgeo._core.nrbf")


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, ...]:
    try:
        r = fn(*args, **kwargs)
    except BimgeoError as exc:
        return (type(exc), str(exc), getattr(exc, "offset", None))
    return ("ok", r, getattr(r, "wire", None))


class general_reader:
    """Within: the canonical reader is off."""

    def __enter__(self) -> None:
        self.was = core._canonical_reader(False)

    def __exit__(self, *exc: Any) -> None:
        core._canonical_reader(self.was)


def _bits(x: Any) -> Any:
    """A result reduced to comparable values: arrays by dtype, shape and bytes (NaN == NaN)."""
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, (Polyhedron, WireInfo, CountArray)) or type(x).__name__ == "Mesh":
        return (type(x).__name__,) + tuple(_bits(getattr(x, k)) for k in type(x).__slots__ if k != "__weakref__")
    if isinstance(x, tuple):
        return tuple(_bits(v) for v in x)
    if isinstance(x, float) and x != x:
        return "nan"
    return x


def both(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, ...]:
    a = outcome(fn, *args, **kwargs)
    with general_reader():
        b = outcome(fn, *args, **kwargs)
    assert _bits(a) == _bits(b)
    return a


def _prism(rng: random.Random, n: int) -> Tuple[np.ndarray, List[List[List[int]]]]:
    t = np.sort(np.array([rng.uniform(0, 2 * np.pi) for _ in range(n)]))
    if len(np.unique(t)) < n:
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    base = np.stack([1000 * np.cos(t), 1000 * np.sin(t), np.zeros(n)], axis=1) + rng.uniform(-1e6, 1e6)
    v = np.concatenate([base, base + [0.0, 0.0, rng.uniform(1, 500)]])
    faces = [[list(range(n))], [[n + i for i in reversed(range(n))]]]
    faces += [[[i, n + i, n + (i + 1) % n, (i + 1) % n]] for i in range(n)]
    return v, faces


def encoder_polyhedra(seed: int) -> Iterator[Polyhedron]:
    """What the encoder writes in every variant a picture may take."""
    rng = random.Random(seed)
    for _ in range(12):
        v, faces = _prism(rng, rng.randrange(3, 40))
        poly = Polyhedron.from_mesh(v, faces, rgba=rng.choice((None, (1.0, 2.0, 3.0, 255.0))),
                                    polyeder_type=rng.choice((0x1003, 0, -1)))
        if rng.random() < 0.4:
            poly.bendingrolle = CountArray([1, 2, 3][: rng.randrange(4)], [0.5, 1.5][: rng.randrange(3)])
        if rng.random() < 0.4:   # spare capacity past 255: an ObjectNullMultiple run
            w = poly.wire
            poly.wire = WireInfo(w.library, ListMeta(len(v) + rng.choice((1, 2, 300)), 7),
                                 ListMeta(w.edges.capacity + 256, 0), w.faces, w.face_lists)
        yield poly
    # a wire (edges, no faces), an empty polyhedron, a face with a hole
    yield Polyhedron(np.zeros((3, 3)), np.array([[0, 1], [1, 2]], np.int32), [], [0])
    yield Polyhedron(np.zeros((0, 3)), np.zeros((0, 2), np.int32), [], [0])
    outer, hole = [[0, 0], [10, 0], [10, 10], [0, 10]], [[3, 3], [6, 3], [6, 6], [3, 6]]
    v = [[x, y, 0] for x, y in outer + hole] + [[x, y, 5] for x, y in outer + hole]
    sides = [[[i, 8 + i, 8 + (i + 1) % 4, (i + 1) % 4]] for i in range(4)]
    sides += [[[4 + (i + 1) % 4, 12 + (i + 1) % 4, 12 + i, 4 + i]] for i in range(4)]
    yield Polyhedron.from_mesh(v, [[[0, 1, 2, 3], [7, 6, 5, 4]], [[11, 10, 9, 8], [12, 13, 14, 15]]] + sides)


def canonical_streams() -> List[bytes]:
    out = list(samples.nrbf_streams())
    for seed in range(3):
        out += [encode_nrbf(p) for p in encoder_polyhedra(seed)]
    return out


def test_canonical_streams_take_the_short_path():
    streams = canonical_streams()
    for s in streams:
        assert core._reads_canonically(s)
        a = both(core.parse_polyhedron, s)
        assert a[0] == "ok"
    # a 2,500-sided prism too (its lists run past any small table)
    v, faces = _prism(random.Random(5), 2500)
    big = encode_nrbf(Polyhedron.from_mesh(v, faces))
    assert core._reads_canonically(big)
    assert both(core.parse_polyhedron, big)[0] == "ok"


def test_meshblob_same_through_both_readers():
    import base64
    import gzip

    for s in canonical_streams()[:40]:
        picture = base64.b64encode(gzip.compress(s, mtime=0))
        a = both(core.decode_meshblob, picture)
        assert a[0] != "ok" or a[1].vertices.dtype == np.float64


@pytest.mark.parametrize("shape", [
    dict(typed=False), dict(objarray="single"), dict(null_style="each"), dict(order="reverse"),
    dict(ids=lambda k: -k), dict(inline_values=False), dict(lib_in_member=True), dict(reuse_classes=False),
], ids=range(8))
def test_other_layouts_take_the_general_reader(shape):
    for k in (0, 1):
        poly = core.parse_polyhedron(samples.nrbf_streams()[k])
        s = W.Writer(**shape).write(W.poly_graph(poly, lib=poly.wire.library))
        assert not core._reads_canonically(s)
        assert core.parse_polyhedron(s) == poly


def test_limits_the_short_path_cannot_honour_leave_it():
    s = samples.nrbf_streams()[0]
    assert not core._reads_canonically(s, Limits(max_depth=7))
    assert core._reads_canonically(s, Limits(max_depth=8))
    # a face larger than max_face_size: the general reader's LimitError
    assert not core._reads_canonically(s, Limits(max_face_size=3))
    for lim in (Limits(max_depth=3), Limits(max_depth=6), Limits(max_face_size=3), Limits(max_face_size=4),
                Limits(max_elements=0), Limits(max_elements=-1)):
        a = both(core.parse_polyhedron, s, limits=lim, element_id="e")
        assert a[0] in ("ok", DecodeError, LimitError)


@pytest.mark.parametrize("k", [0, 1])
def test_every_byte_edited_same_outcome(k):
    # Each byte of a sample, changed three ways: ids, counts, record types,
    # names, type codes and values all get hit.
    s = samples.nrbf_streams()[k]
    for i in range(len(s)):
        for x in (0x01, 0x80, 0xFF):
            both(core.parse_polyhedron, s[:i] + bytes([s[i] ^ x]) + s[i + 1:])


def test_every_truncation_and_extension_same_outcome():
    for s in canonical_streams()[::7]:
        for n in range(len(s)):
            assert both(core.parse_polyhedron, s[:n])[0] is DecodeError
        for tail in (b"\x00", b"\x0b", s[-20:]):
            both(core.parse_polyhedron, s + tail)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3))):
        i = rng.randrange(len(b))
        r = rng.random()
        if r < 0.5:
            b[i] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            b[i] = rng.randrange(256)
        else:   # a little-endian Int32 nudged: ids, counts, sizes off by one
            j = i - i % 4 if i + 4 <= len(b) else max(0, len(b) - 4)
            v = int.from_bytes(b[j:j + 4], "little", signed=True) + rng.choice((-1, 1, 2, -256))
            b[j:j + 4] = (v & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(b)


@pytest.mark.parametrize("seed", range(3))
def test_random_damage_same_outcome(seed):
    rng = random.Random(seed)
    streams = canonical_streams()
    tight = Limits(max_face_size=4, max_elements=3)
    for _ in range(1500):
        s = _mutate(rng, rng.choice(streams))
        both(core.parse_polyhedron, s)
        both(core.parse_polyhedron, s, limits=tight, element_id="el")


def test_result_objects_written_in_place_are_ordinary():
    # The compiled decoder writes the result objects' __slots__ in place
    # (nrbf_results.pxi); on CPython its import-time check must have passed.
    import gc
    import sys

    if sys.implementation.name == "cpython":
        assert core._slots_in_place()
    s = samples.nrbf_streams()[1]
    p = core.parse_polyhedron(s)
    assert type(p) is Polyhedron and type(p.wire) is WireInfo and type(p.radius) is CountArray
    assert gc.is_tracked(p) and gc.is_tracked(p.wire)
    from bimgeo._pure import nrbf as pure

    assert p == pure.parse_polyhedron(s) and p.wire == pure.parse_polyhedron(s).wire
    assert type(p.polyeder_type) is int and p.radius.counter_meta == ListMeta(4, 4)
    # the slots behave as attributes: replaceable, deletable, and nothing leaks
    p.id = "x"
    del p.wire
    with pytest.raises(AttributeError):
        p.wire
    before = sys.getrefcount(p.points)
    q = core.parse_polyhedron(s)
    pts = q.points
    del q
    assert sys.getrefcount(pts) == before


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(poly=polyhedra(), at=st.integers(0, 2**31), bits=st.integers(1, 255))
def test_random_polyhedra_both_readers(poly, at, bits):
    # Whatever the encoder writes is canonical (when its library name is
    # ASCII) and reads back exactly; one edited byte or a cut anywhere
    # gives the same outcome from both readers.
    s = encode_nrbf(poly)
    assert core._reads_canonically(s) == poly.wire.library.isascii()
    a = both(core.parse_polyhedron, s)
    assert a[0] == "ok" and a[1] == poly and a[2] == poly.wire
    i = at % len(s)
    both(core.parse_polyhedron, s[:i] + bytes([s[i] ^ bits]) + s[i + 1:])
    both(core.parse_polyhedron, s[:i])


@pytest.mark.parametrize("value", [0x7FFFFFFF, -(2**31), 0x00FFFFFF, 0x01000000, -1])
def test_every_int32_overwritten_same_outcome(value):
    # Counts, sizes, lengths and ids set to huge or negative values at every
    # offset: both readers fail (or not) alike, and fast (no table is sized
    # by a count before the bytes it needs are known to be there).
    s = samples.nrbf_streams()[1]
    raw = (value & 0xFFFFFFFF).to_bytes(4, "little")
    for i in range(len(s) - 3):
        both(core.parse_polyhedron, s[:i] + raw + s[i + 4:])
