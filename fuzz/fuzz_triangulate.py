"""Fuzz triangulate / triangulate_polygons with structured polyhedra (compiled vs pure twin).

The bytes drive small polyhedra chosen to stress the triangulator: points on
a coarse grid (so repeats, collinear runs, touching and crossing loops are
common), sometimes NaN / inf / huge coordinates, faces made of one or more
loops (holes inside, outside, overlapping), edges walked either way, and now
and then a malformed reference (edge or point out of range, unclosed loop,
offsets out of order).

Checks: only BimgeoError escapes; the two twins give identical triangles
(bit for bit: same code, no FMA) or the same error class; triangles index
existing points; face_source is in range and non-decreasing.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, differential, main, outcome, twins  # noqa: E402

import numpy as np  # noqa: E402

TRI = twins("triangulate")
MISSING = [] if TRI else ["triangulate"]
LIMITS = bimgeo.Limits(max_face_size=4096)


def polyhedron(p: Provider):
    n = p.int_in(0, 16)
    grid = p.choice([1.0, 10.0, 1e-9, 1e12])
    pts = []
    for _ in range(n):
        if p.uint(1) < 8:
            pts.append([p.float(), p.float(), p.float()])
        else:
            pts.append([p.int_in(-3, 3) * grid, p.int_in(-3, 3) * grid, p.int_in(-1, 1) * grid * (p.uint(1) < 40)])
    points = np.array(pts, dtype=np.float64).reshape(-1, 3)
    # loops over the points; each loop's edges become polyhedron edges
    edges = []
    edge_of = {}
    face_edges = []
    offsets = [0]
    for _ in range(p.int_in(0, 5)):
        for _ in range(p.int_in(1, 3)):
            m = p.int_in(2, 8)
            loop = [p.int_in(0, max(0, n - 1)) for _ in range(m)] if n else []
            for k in range(len(loop)):
                a, b = loop[k], loop[(k + 1) % len(loop)]
                if p.uint(1) < 4 and k == len(loop) - 1:
                    break  # leave the loop open
                key = (min(a, b), max(a, b))
                j = edge_of.get(key)
                if j is None:
                    edges.append([a, b])
                    j = edge_of[key] = len(edges)
                ref = j if edges[j - 1] == [a, b] else -j
                if p.uint(1) < 3:
                    ref = p.choice([0, len(edges) + 1, -(len(edges) + 2), 2**31 - 1, -(2**31)])
                face_edges.append(ref)
        offsets.append(len(face_edges))
    edges_a = np.array(edges, dtype=np.int64).reshape(-1, 2)
    if len(edges_a) and p.uint(1) < 4:
        edges_a[p.int_in(0, len(edges_a) - 1), p.int_in(0, 1)] = p.choice([-1, n, 2**31 - 1])
    offs = np.array(offsets, dtype=np.int64)
    if len(offs) > 2 and p.uint(1) < 4:
        offs[p.int_in(1, len(offs) - 2)] = p.choice([-1, 10**9, offs[-1] + 1])
    return points, edges_a.astype(np.int32), np.array(face_edges, dtype=np.int32), offs


def polygons(p: Provider, points: np.ndarray):
    n = len(points)
    indices, offsets = [], [0]
    for _ in range(p.int_in(0, 4)):
        for _ in range(p.int_in(0, 7)):
            indices.append(p.int_in(-1, n) if p.uint(1) < 6 else p.int_in(0, max(0, n - 1)))
        offsets.append(len(indices))
    return np.array(indices, dtype=np.int64), np.array(offsets, dtype=np.int64)


def check(result, n_points: int, n_faces: int) -> None:
    if result[0] != "ok":
        return
    faces, source = result[1]
    assert faces.dtype == np.uint32 and faces.ndim == 2 and faces.shape[1] == 3
    assert source.dtype == np.int32 and source.shape == (len(faces),)
    if len(faces):
        assert int(faces.max()) < n_points, "triangle indexes a missing point"
        assert int(source.min()) >= 0 and int(source.max()) < n_faces, "face_source out of range"
        assert np.all(np.diff(source) >= 0), "face_source not in face order"


def TestOneInput(data: bytes) -> None:
    p = Provider(data)
    points, edges, face_edges, offsets = polyhedron(p)
    results = [outcome(m.triangulate, points, edges, face_edges, offsets, limits=LIMITS) for m in TRI]
    if len(results) > 1:
        differential("triangulate", results)
    check(results[0], len(points), max(0, len(offsets) - 1))
    indices, poffsets = polygons(p, points)
    cw = bool(p.uint(1) % 2)
    results = [outcome(m.triangulate_polygons, points, indices, poffsets, clockwise_outer=cw, limits=LIMITS) for m in TRI]
    if len(results) > 1:
        differential("triangulate_polygons", results)
    check(results[0], len(points), max(0, len(poffsets) - 1))


if __name__ == "__main__":
    main(TestOneInput, MISSING)
