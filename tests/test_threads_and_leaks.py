"""Hardening: no memory growth over many decodes, and thread-safe decoders.

Leaks: 100,000 decodes of a spec picture with the compiled core (2,000 with
the pure-Python twin, whose leaks would be Python-level and show early),
resident set size measured after a warm-up and after the run; then the
error paths (a leak on the path that raises is the classic C-extension
leak). Linux only (/proc/self/statm).

Threads: 8 threads decode shared inputs (the same str, bytes, memoryview
and numpy objects) at once, started together by a barrier; every result
must equal the serial one and no input may change. The compiled loops run
without the GIL, so this is where a shared scratch buffer or a static
would show.
"""
from __future__ import annotations

import base64
import gc
import gzip
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import bimgeo
from bimgeo import DecodeError, Polyhedron

from samples import nrbf_streams, pictures

THREADS = 8
#: RSS may grow by this much over a whole run: 2 MiB over 100,000 calls
#: catches any leak of 21 bytes or more per call.
SLACK = 2 * 1024 * 1024

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RSS read from /proc/self/statm")
# Under AddressSanitizer freed memory sits in its quarantine: RSS grows with
# every allocation whatever the code does, and ASan reports real leaks itself.
no_asan = pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""), reason="RSS is meaningless under ASan")


def rss() -> int:
    """Resident set size in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def growth(fn, n: int) -> int:
    """RSS growth over n calls of fn, measured after a warm-up of n // 10 (at least 200) calls."""
    for _ in range(max(200, n // 10)):
        fn()
    gc.collect()
    before = rss()
    for _ in range(n):
        fn()
    gc.collect()
    return rss() - before


def n_calls(implementation: str, compiled: int, pure: int) -> int:
    return compiled if implementation == "cython" else pure


def has_twin(impl, name):
    if name not in impl:
        pytest.skip(f"{impl['name']} implementation has no {name} module yet")
    return impl[name]


# --- leaks ---------------------------------------------------------------------------------


@linux_only
def test_decode_meshblob_100k_steady_rss():
    """100,000 decode_meshblob calls (compiled core) leave the RSS where the warm-up left it."""
    pics = pictures()
    n = n_calls(bimgeo.IMPLEMENTATION, 100_000, 2_000)
    it = iter(range(1 << 62))

    def one():
        bimgeo.decode_meshblob(pics[next(it) % len(pics)])

    t0 = time.perf_counter()
    grew = growth(one, n)
    took = time.perf_counter() - t0
    assert grew < SLACK, f"RSS grew by {grew / 1024:.0f} KiB over {n} decodes ({took:.1f} s)"


@linux_only
@no_asan
def test_parse_and_triangulate_steady_rss(impl):
    """The two stages separately, on both implementations (from bytes and from a memoryview)."""
    nrbf = has_twin(impl, "nrbf")
    tri = has_twin(impl, "triangulate")
    streams = nrbf_streams()
    views = [memoryview(bytearray(s)) for s in streams]
    polys = [nrbf.parse_polyhedron(s) for s in streams]
    n = n_calls(impl["name"], 30_000, 500)
    k = iter(range(1 << 62))

    def one():
        i = next(k) % len(streams)
        nrbf.parse_polyhedron(views[i] if i % 2 else streams[i])
        p = polys[i]
        tri.triangulate(p.points, p.edges, p.face_edges, p.face_offsets)

    grew = growth(one, n)
    assert grew < SLACK, f"RSS grew by {grew / 1024:.0f} KiB over {n} parse+triangulate calls"


def _bad_inputs():
    """Inputs that make each decoder raise DecodeError part-way, after it has allocated."""
    stream = nrbf_streams()[0]
    pic = pictures()[0]
    truncated_stream = stream[: len(stream) * 2 // 3]
    # A valid gzip of a truncated stream: fails inside the NRBF parser, after inflating.
    truncated_picture = base64.b64encode(gzip.compress(truncated_stream, mtime=0)).decode()
    broken_gzip = pic[: len(pic) // 2 // 4 * 4]
    return stream, truncated_stream, truncated_picture, broken_gzip


@linux_only
@no_asan
def test_error_paths_steady_rss(impl):
    """Raising DecodeError part-way through a decode frees what was allocated."""
    nrbf = has_twin(impl, "nrbf")
    stream, truncated_stream, truncated_picture, broken_gzip = _bad_inputs()
    poly = nrbf.parse_polyhedron(stream)
    # Face 0 references an edge past the end: fails after the loops were being chained.
    bad_face_edges = poly.face_edges.copy()
    bad_face_edges[-1] = len(poly.edges) + 5
    calls = [
        lambda: nrbf.parse_polyhedron(truncated_stream),
        lambda: nrbf.decode_polyhedron(truncated_picture),
        lambda: nrbf.decode_polyhedron(broken_gzip),
    ]
    if "triangulate" in impl:
        tri = impl["triangulate"]
        calls.append(lambda: tri.triangulate(poly.points, poly.edges, bad_face_edges, poly.face_offsets))
    if "threejs" in impl:
        three = impl["threejs"]
        faces = np.array([0, 0, 1, 2, 1, 0, 1, 2, 3, 0, 1, 2, 999], dtype=np.int64)
        calls.append(lambda: three.decode_faces(faces, 4))
    for c in calls:  # each one really raises
        with pytest.raises(DecodeError):
            c()
    n = n_calls(impl["name"], 20_000, 500)
    k = iter(range(1 << 62))

    def one():
        try:
            calls[next(k) % len(calls)]()
        except DecodeError:
            pass

    grew = growth(one, n)
    assert grew < SLACK, f"RSS grew by {grew / 1024:.0f} KiB over {n} failing decodes"


# --- threads -------------------------------------------------------------------------------


def _shared_pictures():
    """The spec pictures, re-encoded variants with other coordinates, and a 300-gon prism with a hole-free n-gon cap."""
    pics = list(pictures())
    decode = bimgeo.decode_polyhedron
    rng = np.random.default_rng(7)
    for i, p in enumerate(pictures() * 4):
        base = decode(p)
        pts = np.round(base.points * rng.uniform(0.5, 2.0, size=3) + rng.uniform(-1e4, 1e4, size=3), 2)
        poly = Polyhedron(pts, base.edges, base.face_edges, base.face_offsets, radius=base.radius, polyeder_type=base.polyeder_type, id=base.id, wire=base.wire)
        pics.append(bimgeo.encode_polyhedron(poly, compress=1))
    n = 300
    t = np.arange(n) * (2 * np.pi / n)
    ring = np.column_stack([1000 * np.cos(t), 1000 * np.sin(t)])
    pts = np.concatenate([np.column_stack([ring, np.zeros(n)]), np.column_stack([ring, np.full(n, 500.0)])])
    # meshblob winding: outer loops clockwise seen from outside
    faces = [[list(range(n))], [list(range(2 * n - 1, n - 1, -1))]]
    faces += [[[i, n + i, n + (i + 1) % n, (i + 1) % n]] for i in range(n)]
    from_mesh = getattr(Polyhedron, "from_mesh", None)
    if from_mesh is None:
        from bimgeo._encode import polyhedron_from_mesh as from_mesh
    pics.append(bimgeo.encode_polyhedron(from_mesh(pts, faces, rgba=(1, 2, 3, 255))))
    return pics


def run_concurrently(work, rounds: int):
    """Run ``work(thread_index)`` in THREADS threads started together, ``rounds`` times each; return all results."""
    barrier = threading.Barrier(THREADS)

    def worker(t):
        barrier.wait(timeout=60)
        return [work(t, r) for r in range(rounds)]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(worker, t) for t in range(THREADS)]
        return [f.result(timeout=300) for f in futures]


def test_decode_meshblob_threads_equal_serial():
    pics = _shared_pictures()
    serial = [bimgeo.decode_meshblob(p) for p in pics]
    assert all(len(m.faces) for m in serial)
    rounds = 20 if bimgeo.IMPLEMENTATION == "cython" else 1

    def work(t, r):
        order = list(range(len(pics)))
        k = (t * 7 + r) % len(order)  # each thread walks the list from another start
        order = order[k:] + order[:k]
        return [(i, bimgeo.decode_meshblob(pics[i])) for i in order]

    for per_thread in run_concurrently(work, rounds):
        for results in per_thread:
            for i, mesh in results:
                assert mesh == serial[i], f"picture {i} decoded differently under threads"


def test_parse_and_triangulate_threads_shared_buffers(impl):
    """Shared bytes / memoryview / numpy inputs: same results as serial, inputs unchanged."""
    nrbf = has_twin(impl, "nrbf")
    tri = has_twin(impl, "triangulate")
    streams = nrbf_streams()
    shared = [memoryview(bytearray(s)) for s in streams]
    polys = [nrbf.parse_polyhedron(s) for s in streams]
    before = [(p.points.copy(), p.edges.copy(), p.face_edges.copy(), p.face_offsets.copy()) for p in polys]
    serial = [tri.triangulate(p.points, p.edges, p.face_edges, p.face_offsets) for p in polys]
    rounds = 50 if impl["name"] == "cython" else 2

    def work(t, r):
        out = []
        for i in range(len(streams)):
            j = (i + t + r) % len(streams)
            poly = nrbf.parse_polyhedron(shared[j] if (t + r) % 2 else streams[j])
            p = polys[j]
            out.append((j, poly, tri.triangulate(p.points, p.edges, p.face_edges, p.face_offsets)))
        return out

    for per_thread in run_concurrently(work, rounds):
        for results in per_thread:
            for j, poly, (faces, source) in results:
                assert poly == polys[j]
                assert np.array_equal(faces, serial[j][0]) and np.array_equal(source, serial[j][1])
    for p, (pts, edges, fe, fo) in zip(polys, before):
        assert np.array_equal(p.points, pts) and np.array_equal(p.edges, edges)
        assert np.array_equal(p.face_edges, fe) and np.array_equal(p.face_offsets, fo)
    assert [bytes(m) for m in shared] == list(streams)


def test_decode_faces_threads(impl):
    three = has_twin(impl, "threejs")
    rng = np.random.default_rng(3)
    items = []
    for _ in range(2000):
        flag = int(rng.choice([0, 1, 2, 3, 32, 33]))
        items.append(flag)
        nv = 4 if flag & 1 else 3
        items.extend(int(v) for v in rng.integers(0, 50, size=nv))
        if flag & 2:
            items.append(int(rng.integers(0, 3)))
        if flag & 32:
            items.extend(int(v) for v in rng.integers(0, 10, size=nv))
    faces = np.asarray(items, dtype=np.int64)
    keep = faces.copy()
    serial = three.decode_faces(faces, 50)
    rounds = 20 if impl["name"] == "cython" else 1

    def work(t, r):
        return three.decode_faces(faces, 50)

    for per_thread in run_concurrently(work, rounds):
        for fd in per_thread:
            for a, b in zip(fd, serial):
                if isinstance(a, np.ndarray):
                    assert np.array_equal(a, b)
                else:
                    assert a == b
    assert np.array_equal(faces, keep)


def test_errors_under_threads_are_the_serial_errors(impl):
    """Concurrent failing decodes raise the same DecodeError (message, offset) as a serial one."""
    nrbf = has_twin(impl, "nrbf")
    _, truncated_stream, truncated_picture, broken_gzip = _bad_inputs()
    inputs = [("parse", truncated_stream), ("decode", truncated_picture), ("decode", broken_gzip)]

    def attempt(kind, data):
        try:
            (nrbf.parse_polyhedron if kind == "parse" else nrbf.decode_polyhedron)(data)
        except DecodeError as exc:
            return (type(exc), str(exc), exc.offset)
        return None

    serial = [attempt(*x) for x in inputs]
    assert all(s is not None for s in serial)
    rounds = 50 if impl["name"] == "cython" else 2

    def work(t, r):
        return [attempt(*x) for x in inputs]

    for per_thread in run_concurrently(work, rounds):
        for got in per_thread:
            assert got == serial
