"""Triangulation of polyhedron faces and polygons with holes (design.md §2, §6).

Both backends run every test (``tri`` fixture) and are compared with each
other, bit for bit, on seeded random and hypothesis inputs.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bimgeo import DecodeError, LimitError, Limits, Mesh, _backend

import samples

def _pair():
    """(compiled, pure) triangulate modules (for hypothesis tests, which take no fixtures)."""
    return _backend.modules("cython")["triangulate"], _backend.modules("python")["triangulate"]


@pytest.fixture
def tri(impl):
    """bimgeo._core.triangulate or bimgeo._pure.triangulate (conftest's ``impl``)."""
    return impl["triangulate"]


@pytest.fixture
def pair(both):
    """(compiled, pure) triangulate modules."""
    return both[0]["triangulate"], both[1]["triangulate"]


# --- building solids -------------------------------------------------------------


def polyhedron_arrays(faces, rng=None):
    """Faces as lists of point-index loops -> (edges, face_edges, face_offsets).

    Edges are shared between faces (each undirected edge once, stored in a
    random direction when ``rng`` is given); with ``rng`` each face's edge
    references are shuffled too, so loops arrive in any order and no loop is
    contiguous.
    """
    index = {}
    edges = []
    refs_all = []
    offsets = [0]
    for face in faces:
        refs = []
        for loop in face:
            n = len(loop)
            for k in range(n):
                a, b = int(loop[k]), int(loop[(k + 1) % n])
                key = (min(a, b), max(a, b))
                if key not in index:
                    index[key] = len(edges)
                    flip = rng is not None and rng.random() < 0.5
                    edges.append(key[::-1] if flip else key)
                e = index[key]
                refs.append(e + 1 if edges[e] == (a, b) else -(e + 1))
        if rng is not None:
            rng.shuffle(refs)
        refs_all += refs
        offsets.append(len(refs_all))
    return (
        np.array(edges, dtype=np.int32).reshape(-1, 2),
        np.array(refs_all, dtype=np.int32),
        np.array(offsets, dtype=np.int64),
    )


def shoelace(loop):
    x, y = np.asarray(loop, dtype=float).T
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def prism(loops2d, height):
    """Extrude a polygon with holes (first loop outer, counter-clockwise in xy;
    holes clockwise). Returns points and faces whose loops run clockwise seen
    from outside (design.md §2); each cap holds all loops."""
    pts = []
    starts = []
    for loop in loops2d:
        starts.append(len(pts))
        pts += [(x, y, 0.0) for x, y in loop]
    n = len(pts)
    pts += [(x, y, float(height)) for x, y, _ in pts]
    bottom, top, sides = [], [], []
    for loop, s in zip(loops2d, starts):
        idx = list(range(s, s + len(loop)))
        bottom.append(idx)  # CCW from +z = clockwise seen from below
        top.append([i + n for i in reversed(idx)])
        m = len(loop)
        for k in range(m):
            i, j = s + k, s + (k + 1) % m
            sides.append([[i, i + n, j + n, j]])
    return np.array(pts, dtype=float), [bottom, top] + sides


def plate_with_holes(n_holes, cell=10.0, hole=5.0):
    g = max(1, math.ceil(math.sqrt(n_holes)))
    w = cell * g
    loops = [[(0.0, 0.0), (w, 0.0), (w, w), (0.0, w)]]
    for k in range(n_holes):
        i, j = divmod(k, g)
        x0, y0 = cell * i + 2.0, cell * j + 2.0
        loops.append([(x0, y0), (x0, y0 + hole), (x0 + hole, y0 + hole), (x0 + hole, y0)])
    return loops, w * w - n_holes * hole * hole


def box(dx, dy, dz):
    p = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=float
    ) * [dx, dy, dz]
    ccw = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    return p, [[q[::-1]] for q in ccw]  # clockwise seen from outside


def run_polyhedron(mod, points, faces, rng=None, **kw):
    edges, fe, fo = polyhedron_arrays(faces, rng)
    f, s = mod.triangulate(points, edges, fe, fo, **kw)
    assert f.dtype == np.uint32 and f.ndim == 2 and f.shape[1] == 3
    assert s.dtype == np.int32 and s.shape == (len(f),)
    return Mesh(points, f, s)


def random_rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def random_polygon_with_holes(rng, n_outer=None, max_holes=12):
    """Star-shaped outer loop (CCW) and small circular holes in grid cells well inside it."""
    n_outer = n_outer or int(rng.integers(12, 60))
    # angular gaps below 60 degrees and radii >= 80 keep every edge more than
    # 69 from the centre, beyond the holes (at most 40*sqrt(2) + 8)
    t = (np.arange(n_outer) + rng.uniform(0, 0.9, n_outer)) * (2 * np.pi / n_outer)
    r = rng.uniform(80, 100, n_outer)
    outer = list(zip(r * np.cos(t), r * np.sin(t)))
    holes = []
    for cx in range(-40, 41, 20):
        for cy in range(-40, 41, 20):
            if len(holes) >= max_holes or rng.random() < 0.5:
                continue
            m = int(rng.integers(3, 9))
            a = np.sort(rng.uniform(0, 2 * np.pi, m))
            rad = rng.uniform(2, 8)
            hole = list(zip(cx + rad * np.cos(a), cy + rad * np.sin(a)))
            if rng.random() < 0.7:
                hole = hole[::-1]  # mostly opposite to the outer loop, not always
            holes.append(hole)
    return [outer] + holes


# --- solids ---------------------------------------------------------------------


def test_box(tri):
    p, faces = box(2.0, 3.0, 5.0)
    m = run_polyhedron(tri, p, faces)
    assert m.is_watertight()
    assert m.volume == 30.0
    assert len(m.faces) == 12
    assert m.face_source.tolist() == [i // 2 for i in range(12)]


def test_box_shuffled_edges(tri):
    rng = np.random.default_rng(3)
    p, faces = box(4450.0, 115.0, 2750.0)
    m = run_polyhedron(tri, p, faces, rng)
    assert m.is_watertight()
    assert m.volume == pytest.approx(4450.0 * 115 * 2750, rel=1e-12)


def _brickwall_polygons():
    data = json.loads(samples.polymesh_text())
    points = np.array(data["Vertices"], dtype=float).reshape(-1, 3)
    flat = data["Faces"]
    faces, k = [], 0
    while k < len(flat):  # count-prefixed 0-based loops (design.md §6)
        n = flat[k]
        faces.append(flat[k + 1 : k + 1 + n])
        k += 1 + n
    return points, faces


BRICKWALL = 4450 * 115 * 2750 - 885 * 115 * 2190


def test_brickwall_polygons(tri):
    points, faces = _brickwall_polygons()
    assert sorted(len(f) for f in faces)[-2:] == [8, 8]  # the non-convex door faces
    idx = np.concatenate([np.asarray(f) for f in faces])
    off = np.cumsum([0] + [len(f) for f in faces])
    f, s = tri.triangulate_polygons(points, idx, off)
    m = Mesh(points, f, s)
    assert m.is_watertight()
    assert m.volume == pytest.approx(BRICKWALL, rel=1e-12)


def test_brickwall_polyhedron(tri):
    points, faces = _brickwall_polygons()
    rng = np.random.default_rng(7)
    m = run_polyhedron(tri, points, [[f] for f in faces], rng)
    assert m.is_watertight()
    assert m.volume == pytest.approx(BRICKWALL, rel=1e-12)


@pytest.mark.parametrize("n_holes", [1, 2, 7, 60, 500])
def test_plate_with_holes(tri, n_holes):
    loops, area = plate_with_holes(n_holes)
    p, faces = prism(loops, 10.0)
    rng = np.random.default_rng(n_holes)
    m = run_polyhedron(tri, p, faces, rng)
    assert m.is_watertight()
    assert m.volume == pytest.approx(area * 10.0, rel=1e-12)


def test_hole_listed_first(tri):
    """Loop order does not decide which loop is outer (design.md §2)."""
    loops, area = plate_with_holes(1)
    p, faces = prism(loops, 2.0)
    faces[0] = faces[0][::-1]
    faces[1] = faces[1][::-1]
    m = run_polyhedron(tri, p, faces)
    assert m.is_watertight()
    assert m.volume == pytest.approx(area * 2.0)


def test_hole_same_direction_as_outer(tri):
    loops, area = plate_with_holes(3)
    p, faces = prism(loops, 2.0)
    for cap in (0, 1):  # holes of both caps wound like their outer loop
        faces[cap] = [faces[cap][0]] + [h[::-1] for h in faces[cap][1:]]
    m = run_polyhedron(tri, p, faces)
    assert m.is_watertight()  # the output winding comes from the outer loop only
    assert m.volume == pytest.approx(area * 2.0)


def test_islands_and_island_in_hole(tri):
    """Two outer loops in one face, and an island inside a hole."""
    ring = [[(0, 0), (10, 0), (10, 10), (0, 10)], [(2, 2), (2, 8), (8, 8), (8, 2)], [(4, 4), (6, 4), (6, 6), (4, 6)]]
    far = [[(20, 0), (23, 0), (23, 3), (20, 3)]]
    p, faces = prism([[(float(x), float(y)) for x, y in loop] for loop in ring + far], 3.0)
    m = run_polyhedron(tri, p, faces, np.random.default_rng(1))
    assert m.is_watertight()
    assert m.volume == pytest.approx((100 - 36 + 4 + 9) * 3.0)


def ngon_prism_arrays(n, radius=100.0, height=10.0, rng=None):
    """An n-gon prism in Polyhedron layout, built with numpy (loops clockwise
    from outside; the caps' edge references shuffled when ``rng`` is given)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([radius * np.cos(t), radius * np.sin(t)])
    pts = np.vstack([np.column_stack([ring, np.zeros(n)]), np.column_stack([ring, np.full(n, height)])])
    k = np.arange(n)
    edges = np.vstack(
        [np.column_stack([k, (k + 1) % n]), np.column_stack([k + n, (k + 1) % n + n]), np.column_stack([k, k + n])]
    ).astype(np.int32)
    bottom = k + 1  # bottom ring forwards: clockwise seen from below
    top = -(n + 1 + k[::-1])  # top ring backwards: clockwise seen from above
    if rng is not None:
        bottom, top = rng.permutation(bottom), rng.permutation(top)
    sides = np.column_stack([2 * n + 1 + k, n + 1 + k, -(2 * n + 1 + (k + 1) % n), -(k + 1)])
    fe = np.concatenate([bottom, top, sides.reshape(-1)]).astype(np.int32)
    fo = np.concatenate([[0, n, 2 * n], 2 * n + 4 * (k + 1)]).astype(np.int64)
    return pts, edges, fe, fo


def _walls(loop, n):
    m = len(loop)
    return [[[loop[k], loop[k] + n, loop[(k + 1) % m] + n, loop[(k + 1) % m]]] for k in range(m)]


@pytest.mark.parametrize("seed", range(4))
def test_loops_sharing_a_point(pair, seed):
    """Two islands touching at a point, and a hole touching the outer loop at a
    corner: a point with two continuations is chained deterministically and
    the face is still covered exactly once."""
    comp, pure = pair
    rng = np.random.default_rng(seed)
    cases = [
        ([(0, 0), (5, 0), (5, 5), (0, 5), (10, 5), (10, 10), (5, 10)], [[0, 1, 2, 3], [2, 4, 5, 6]], 50.0 * 3),
        ([(0, 0), (10, 0), (10, 10), (0, 10), (2, 5), (5, 2)], [[0, 1, 2, 3], [0, 4, 5]], (100 - 10.5) * 3),
    ]
    for xy, loops, volume in cases:
        n = len(xy)
        p = np.array([(x, y, 0.0) for x, y in xy] + [(x, y, 3.0) for x, y in xy])
        faces = [loops, [[i + n for i in reversed(loop)] for loop in loops]]
        for loop in loops:
            faces += _walls(loop, n)
        edges, fe, fo = polyhedron_arrays(faces, rng)
        a = comp.triangulate(p, edges, fe, fo)
        _same(a, pure.triangulate(p, edges, fe, fo))
        m = Mesh(p, *a)
        assert m.volume == pytest.approx(volume)
        # the solid is not manifold at the shared point's vertical edge, so
        # check directed edges pair up rather than is_watertight()
        e = np.concatenate([m.faces[:, [0, 1]], m.faces[:, [1, 2]], m.faces[:, [2, 0]]]).tolist()
        assert sorted(map(tuple, e)) == sorted((b, a) for a, b in e)


TOUCHING = {
    # a hole touching the outer loop at a point the boundary runs straight through
    "hole-at-straight-point": ([[(0, 0), (10, 0), (10, 10), (5, 10), (0, 10)], [(5, 10), (4, 7), (6, 7)]], 97.0),
    # two holes touching each other at a point, one touching the outer corner
    "holes-touching": (
        [[(0, 0), (10, 0), (10, 10), (0, 10)], [(2, 2), (2, 5), (5, 5), (5, 2)], [(5, 5), (5, 8), (8, 8), (8, 5)],
         [(10, 10), (9, 8), (8, 9)]],
        100.0 - 9 - 9 - 1.5,
    ),
    # a hole sharing part of an edge with the outer loop (a notch drawn as a hole)
    "hole-on-edge": ([[(0, 0), (10, 0), (10, 10), (0, 10)], [(0, 4), (0, 6), (3, 6), (3, 4)]], 94.0),
    # collinear runs and a spike going back along an edge
    "spike": ([[(0, 0), (4, 0), (8, 0), (12, 0), (12, 6), (12, 3), (12, 9), (0, 9)]], 108.0),
}


@pytest.mark.parametrize("name", sorted(TOUCHING))
def test_touching_and_degenerate_loops(pair, name):
    loops, area = TOUCHING[name]
    comp, pure = pair
    pts = np.array([(x, y, 0.0) for loop in loops for x, y in loop])
    lo = np.cumsum([0] + [len(x) for x in loops])
    rng = np.random.default_rng(len(name))
    order = rng.permutation(len(loops))  # any loop order
    idx = np.concatenate([np.arange(lo[i], lo[i + 1]) for i in order])
    lo2 = np.cumsum([0] + [len(loops[i]) for i in order])
    a = comp.triangulate_polygons(pts, idx, [0, len(loops)], loop_offsets=lo2, clockwise_outer=False)
    _same(a, pure.triangulate_polygons(pts, idx, [0, len(loops)], loop_offsets=lo2, clockwise_outer=False))
    f = a[0]
    p, q, r = (pts[f[:, k]] for k in range(3))
    signed = 0.5 * np.cross(q - p, r - p)[:, 2]
    assert (signed > 0).all()  # outer loops are counter-clockwise here: kept
    assert signed.sum() == pytest.approx(area, rel=1e-12)


def test_prism_20000(tri):
    n = 20000
    pts, edges, fe, fo = ngon_prism_arrays(n, rng=np.random.default_rng(2))
    f, s = tri.triangulate(pts, edges, fe, fo)
    m = Mesh(pts, f, s)
    assert m.is_watertight()
    assert m.volume == pytest.approx(0.5 * n * 100 * 100 * np.sin(2 * np.pi / n) * 10.0, rel=1e-9)
    assert np.count_nonzero(s == 0) == n - 2


def test_collinear_points_on_edges(tri):
    """Every box edge split in three: the points sit on both faces' loops, and
    must all be used, or the neighbouring faces would not share edges."""
    corners, faces = box(3.0, 6.0, 9.0)
    points = list(map(tuple, corners))
    split = {}

    def mid(a, b):
        key = (min(a, b), max(a, b))
        if key not in split:
            pa, pb = np.array(points[key[0]]), np.array(points[key[1]])
            split[key] = [len(points), len(points) + 1]
            points.extend([tuple(pa + (pb - pa) / 3), tuple(pa + 2 * (pb - pa) / 3)])
        ids = split[key]
        return ids if a < b else ids[::-1]

    new_faces = []
    for (loop,) in faces:
        out = []
        for k in range(4):
            a, b = loop[k], loop[(k + 1) % 4]
            out += [a] + mid(a, b)
        new_faces.append([out])
    points = np.array(points)
    m = run_polyhedron(tri, points, new_faces, np.random.default_rng(5))
    assert m.is_watertight()
    assert m.volume == pytest.approx(162.0, rel=1e-12)
    assert len(m.used_vertices()) == len(points)


def test_repeated_indices(tri):
    p, faces = box(1.0, 2.0, 3.0)
    loops = [f[0] for f in faces]
    loops[0] = [loops[0][0], loops[0][0], loops[0][1], loops[0][2], loops[0][2], loops[0][3], loops[0][0]]
    idx = np.concatenate(loops)
    off = np.cumsum([0] + [len(x) for x in loops])
    m = Mesh(p, *tri.triangulate_polygons(p, idx, off))
    assert m.is_watertight()
    assert m.volume == pytest.approx(6.0)


def test_zero_length_edge_and_degenerate_faces(tri):
    p, faces = box(1.0, 1.0, 1.0)
    edges, fe, fo = polyhedron_arrays(faces)
    # a zero-length edge (begin == end) in face 0, and an extra face whose
    # loop is a there-and-back pair: both enclose nothing
    edges = np.vstack([edges, [[0, 0]]])
    fe = np.concatenate([fe[: fo[1]], [len(edges)], fe[fo[1] :], [1, -1]])
    fo = np.concatenate([[0], fo[1:] + 1, [fo[-1] + 3]])
    f, s = tri.triangulate(p, edges, fe, fo)
    m = Mesh(p, f, s)
    assert m.is_watertight()
    assert m.volume == pytest.approx(1.0)
    assert 6 not in s


def test_zero_area_face(tri):
    p = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]], dtype=float)
    f, s = tri.triangulate_polygons(p, [0, 1, 2, 3, 2, 1], [0, 6])
    assert f.shape == (0, 3) and s.shape == (0,)
    f, s = tri.triangulate_polygons(p, [0, 1, 3], [0, 3])
    assert len(f) == 0


def test_clockwise_outer_false_keeps_winding(tri):
    loops, _ = plate_with_holes(4)
    pts = np.array([(x, y, 0.0) for loop in loops for x, y in loop])
    sizes = [len(x) for x in loops]
    idx = np.arange(len(pts))
    lo = np.cumsum([0] + sizes)
    for cw, sign in [(False, 1.0), (True, -1.0)]:
        f, s = tri.triangulate_polygons(pts, idx, [0, len(loops)], loop_offsets=lo, clockwise_outer=cw)
        a, b, c = (pts[f[:, k]] for k in range(3))
        nz = np.cross(b - a, c - a)[:, 2]
        assert (np.sign(nz) == sign).all()
        assert 0.5 * abs(nz.sum()) == pytest.approx(20 * 20 - 4 * 25)


@pytest.mark.parametrize("seed", range(6))
def test_random_rotated_far_solids(tri, seed):
    rng = np.random.default_rng(seed)
    loops = random_polygon_with_holes(rng)
    area = shoelace(loops[0]) - sum(abs(shoelace(h)) for h in loops[1:])
    fixed = [loops[0]] + [h if shoelace(h) < 0 else h[::-1] for h in loops[1:]]
    p, faces = prism(fixed, 7.0)
    rot = random_rotation(rng)
    p = p @ rot.T + rng.uniform(-1e7, 1e7, 3)
    m = run_polyhedron(tri, p, faces, rng)
    assert m.is_watertight()
    assert m.volume == pytest.approx(area * 7.0, rel=1e-6)


def test_random_star_polygon(tri):
    rng = np.random.default_rng(11)
    loops = random_polygon_with_holes(rng, n_outer=400, max_holes=0)
    p, faces = prism(loops, 1.0)
    m = run_polyhedron(tri, p, faces)
    assert m.is_watertight()
    assert m.volume == pytest.approx(shoelace(loops[0]), rel=1e-9)


# --- the two backends agree -------------------------------------------------------


def _same(a, b):
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("seed", range(20))
def test_backends_equal_random_polygons(pair, seed):
    comp, pure = pair
    rng = np.random.default_rng(1000 + seed)
    polys = [random_polygon_with_holes(rng) for _ in range(3)]
    rot = random_rotation(rng)
    pts, loops_idx, poly_loops = [], [], [0]
    for loops in polys:
        order = rng.permutation(len(loops))  # outer loop anywhere in the list
        for i in order:
            start = len(pts)
            pts += [(x, y, 0.0) for x, y in loops[i]]
            loops_idx.append(np.arange(start, len(pts)))
        poly_loops.append(len(loops_idx))
    p = np.array(pts) @ rot.T + rng.uniform(-1e4, 1e4, 3)
    idx = np.concatenate(loops_idx)
    lo = np.cumsum([0] + [len(x) for x in loops_idx])
    args = (p, idx, poly_loops)
    a = comp.triangulate_polygons(*args, loop_offsets=lo)
    b = pure.triangulate_polygons(*args, loop_offsets=lo)
    _same(a, b)
    for k, loops in enumerate(polys):  # every polygon covered with its own area
        sel = a[1] == k
        f = a[0][sel]
        v = p[f[:, 1]] - p[f[:, 0]]
        w = p[f[:, 2]] - p[f[:, 0]]
        area = 0.5 * np.linalg.norm(np.cross(v, w).sum(axis=0))
        expect = abs(shoelace(loops[0])) - sum(abs(shoelace(h)) for h in loops[1:])
        assert area == pytest.approx(expect, rel=1e-9)
    # the same faces as a polyhedron with shuffled edge references
    faces = []
    for k in range(len(polys)):
        faces.append([loops_idx[j].tolist() for j in range(poly_loops[k], poly_loops[k + 1])])
    edges, fe, fo = polyhedron_arrays(faces, rng)
    _same(comp.triangulate(p, edges, fe, fo), pure.triangulate(p, edges, fe, fo))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4)), min_size=3, max_size=40),
    st.lists(st.integers(1, 12), min_size=1, max_size=4),
    st.integers(0, 2),
)
def test_backends_equal_self_intersecting(coords, loop_sizes, axis):
    """Garbage polygons (self-intersecting, repeated and collinear points) on a
    small integer grid: no error, and both backends agree exactly."""
    comp, pure = _pair()
    p = np.zeros((len(coords), 3))
    keep = [k for k in range(3) if k != axis]
    p[:, keep] = np.array(coords, dtype=float) * 1.5
    lo = [0]
    for n in loop_sizes:
        lo.append(min(lo[-1] + n, len(coords)))
    idx = np.arange(len(coords))
    for cw in (True, False):
        a = comp.triangulate_polygons(p, idx, [0, len(lo) - 1], loop_offsets=lo, clockwise_outer=cw)
        b = pure.triangulate_polygons(p, idx, [0, len(lo) - 1], loop_offsets=lo, clockwise_outer=cw)
        _same(a, b)
        assert a[0].size == 0 or int(a[0].max()) < len(coords)


# --- bad input ------------------------------------------------------------------


def _cube_arrays():
    p, faces = box(1.0, 1.0, 1.0)
    edges, fe, fo = polyhedron_arrays(faces)
    return p, edges, fe, fo


def _raises(mod, exc, pattern, *args, **kw):
    with pytest.raises(exc, match=pattern) as info:
        mod(*args, **kw)
    assert type(info.value) is exc
    return info.value


def test_dangling_loop(tri):
    p, edges, fe, fo = _cube_arrays()
    fe = fe.copy()
    fe[fo[3]] = -fe[fo[3]]  # one edge of face 3 walked the wrong way
    err = _raises(tri.triangulate, DecodeError, r"face 3: edge loop does not close", p, edges, fe, fo, element_id="w1")
    assert err.offset == 3 and err.element_id == "w1" and "w1" in str(err)
    fe2 = np.delete(fe, fo[5])  # face 5 loses an edge
    fo2 = fo.copy()
    fo2[6] -= 1
    _raises(tri.triangulate, DecodeError, r"face 3", p, edges, fe2, fo2)


@pytest.mark.parametrize("ref", [0, 13, -13, 2**31 - 1, -(2**31)])
def test_edge_reference_out_of_range(tri, ref):
    p, edges, fe, fo = _cube_arrays()
    fe = fe.copy()
    fe[fo[2] + 1] = ref
    err = _raises(tri.triangulate, DecodeError, rf"face 2: edge reference {ref} out of range", p, edges, fe, fo)
    assert err.offset == 2


def test_edge_point_out_of_range(tri):
    p, edges, fe, fo = _cube_arrays()
    edges = edges.copy()
    e = abs(int(fe[fo[4]])) - 1
    edges[e, 1] = 8
    # the first face using that edge is named
    first = min(f for f in range(6) for r in fe[fo[f] : fo[f + 1]] if abs(int(r)) - 1 == e)
    _raises(tri.triangulate, DecodeError, rf"face {first}: edge {e + 1} joins points .* out of range 0\.\.7", p, edges, fe, fo)
    edges[e, 1] = -1
    _raises(tri.triangulate, DecodeError, rf"face {first}: edge {e + 1}", p, edges, fe, fo)


def test_bad_offsets(tri):
    p, edges, fe, fo = _cube_arrays()
    bad = fo.copy()
    bad[3] = bad[4] + 1
    _raises(tri.triangulate, DecodeError, r"face offsets decrease at face 3", p, edges, fe, bad)
    bad = fo.copy()
    bad[6] = len(fe) + 1
    _raises(tri.triangulate, DecodeError, r"offset 25 at face 6 is out of range 0\.\.24", p, edges, fe, bad)
    bad = fo.copy()
    bad[0] = -1
    _raises(tri.triangulate, DecodeError, r"face 0 is out of range", p, edges, fe, bad)
    f, s = tri.triangulate(p, edges, fe, [])  # no offsets: no faces, as in Polyhedron
    assert f.shape == (0, 3) and s.shape == (0,)
    _raises(tri.triangulate, DecodeError, r"points hold 7 numbers", np.zeros(7), edges, fe, fo)
    _raises(tri.triangulate, DecodeError, r"bad face_edges", p, edges, fe.astype(float) + 0.5, fo)


def test_face_size_limit(tri):
    p, edges, fe, fo = _cube_arrays()
    err = _raises(tri.triangulate, LimitError, r"face 0 has 4 edge references, more than max_face_size=3",
                  p, edges, fe, fo, limits=Limits(max_face_size=3))
    assert isinstance(err, DecodeError)
    _raises(tri.triangulate_polygons, LimitError, r"polygon 1 has 5 vertices", p, [0, 1, 2, 0, 1, 2, 3, 4], [0, 3, 8],
            limits=Limits(max_face_size=4))


def test_non_finite_point(tri):
    p, edges, fe, fo = _cube_arrays()
    p = p.copy()
    p[6, 2] = np.nan
    _raises(tri.triangulate, DecodeError, r"face 1: point 6 has a coordinate that is not finite", p, edges, fe, fo)
    p[6, 2] = 1e300
    _raises(tri.triangulate_polygons, DecodeError, r"polygon 0: point 6", p, [6, 1, 2], [0, 3])


def test_polygon_errors(tri):
    p = np.zeros((4, 3))
    _raises(tri.triangulate_polygons, DecodeError, r"polygon 1: vertex index 4 out of range 0\.\.3", p, [0, 1, 2, 1, 2, 4], [0, 3, 6])
    _raises(tri.triangulate_polygons, DecodeError, r"polygon 0: vertex index -1", p, [0, -1, 2], [0, 3])
    _raises(tri.triangulate_polygons, DecodeError, r"polygon offsets decrease at polygon 0", p, [0, 1, 2], [3, 0])
    _raises(tri.triangulate_polygons, DecodeError, r"loop offsets: offset 9 at loop 1", p, [0, 1, 2], [0, 1],
            loop_offsets=[0, 9])
    _raises(tri.triangulate_polygons, DecodeError, r"polygon offsets: offset 3 at polygon 1 is out of range 0\.\.1", p,
            [0, 1, 2], [0, 3], loop_offsets=[0, 3])


_ints = st.integers(-(2**31), 2**31 - 1)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=30),
    st.lists(st.integers(-2, 10), max_size=24),
    st.lists(st.one_of(st.integers(-14, 14), _ints), max_size=30),
    st.lists(st.one_of(st.integers(-2, 32), st.integers(-(2**62), 2**62)), max_size=8),
)
def test_garbage_polyhedron(points, edges, face_edges, offsets):
    """Random arrays: a result or a DecodeError, the same from both backends."""
    comp, pure = _pair()
    pts = np.array(points[: len(points) // 3 * 3], dtype=float)
    ed = np.array(edges[: len(edges) // 2 * 2], dtype=np.int32)
    fe = np.array(face_edges, dtype=np.int64).astype(np.int32)
    out = []
    for mod in (comp, pure):
        try:
            out.append(mod.triangulate(pts, ed, fe, np.array(offsets, dtype=np.int64)))
        except DecodeError as exc:
            out.append(str(exc))
    if isinstance(out[0], str) or isinstance(out[1], str):
        assert out[0] == out[1]
    else:
        _same(out[0], out[1])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(-10, 10), min_size=0, max_size=30),
    st.lists(st.integers(-2, 10), max_size=30),
    st.lists(st.integers(-2, 32), max_size=6),
    st.one_of(st.none(), st.lists(st.integers(-2, 32), max_size=6)),
)
def test_garbage_polygons(points, indices, offsets, loop_offsets):
    comp, pure = _pair()
    pts = np.array(points[: len(points) // 3 * 3], dtype=float)
    out = []
    for mod in (comp, pure):
        try:
            out.append(mod.triangulate_polygons(pts, indices, offsets, loop_offsets=loop_offsets))
        except DecodeError as exc:
            out.append(str(exc))
    if isinstance(out[0], str) or isinstance(out[1], str):
        assert out[0] == out[1]
    else:
        _same(out[0], out[1])


def test_bridge_budget(monkeypatch):
    """A face whose holes would take too long to bridge is refused, not ground through."""
    pure = _backend.modules("python")["triangulate"]
    loops, _ = plate_with_holes(30)
    p, faces = prism(loops, 1.0)
    edges, fe, fo = polyhedron_arrays(faces)
    monkeypatch.setattr(pure, "BRIDGE_BUDGET", 200)
    with pytest.raises(LimitError, match=r"face 0: too many holes \(nesting and bridging them takes more than 200 steps\)"):
        pure.triangulate(p, edges, fe, fo)


# --- grid regions: pinch points, islands in holes, points on straight runs ------


def _grid_region_loops(filled):
    """Boundary loops of a set of unit cells, counter-clockwise around them,
    with every grid point on the boundary kept (straight runs included). At a
    point where two cells touch corner to corner the walk turns left, so each
    loop only touches itself or the others there."""
    w, h = filled.shape

    def cell(i, j):
        return 0 <= i < w and 0 <= j < h and filled[i, j]

    edges = []
    for i in range(w):
        for j in range(h):
            if not filled[i, j]:
                continue
            if not cell(i, j - 1):
                edges.append(((i, j), (i + 1, j)))
            if not cell(i + 1, j):
                edges.append(((i + 1, j), (i + 1, j + 1)))
            if not cell(i, j + 1):
                edges.append(((i + 1, j + 1), (i, j + 1)))
            if not cell(i - 1, j):
                edges.append(((i, j + 1), (i, j)))
    leaving = {}
    for a, b in edges:
        leaving.setdefault(a, []).append(b)
    used = set()
    loops = []
    for a0, b0 in edges:
        if (a0, b0) in used:
            continue
        loop, prev, cur = [a0], a0, b0
        used.add((a0, b0))
        while cur != a0:
            loop.append(cur)
            d = (cur[0] - prev[0], cur[1] - prev[1])
            turn = {(-d[1], d[0]): 0, d: 1}  # left first, then straight on, then right
            nxt = min((n for n in leaving[cur] if (cur, n) not in used),
                      key=lambda n: turn.get((n[0] - cur[0], n[1] - cur[1]), 2))
            used.add((cur, nxt))
            prev, cur = cur, nxt
        loops.append(loop)
    return edges, loops


def _point_ids(loops):
    """Grid point -> index, numbered in order of first appearance in the loops."""
    ids = {}
    for loop in loops:
        for q in loop:
            ids.setdefault(q, len(ids))
    return ids


def _unpaired_edges(f):
    """The directed edges of triangles f that no triangle walks the other way
    (the boundary of the triangulated region), sorted, with multiplicity."""
    open_edges = {}
    for t in f.tolist():
        for u, v in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            if open_edges.get((v, u), 0):
                open_edges[(v, u)] -= 1
            else:
                open_edges[(u, v)] = open_edges.get((u, v), 0) + 1
    return sorted(k for k, n in open_edges.items() for _ in range(n))


@pytest.mark.parametrize("seed", [*range(40), 217, 226])  # 217, 226: an island whose corners all touch its hole
def test_grid_regions_exact(pair, seed):
    """Random sets of grid cells: every triangle positive, the area exact, every
    boundary point used and no T-junction (the triangles' unpaired edges are
    exactly the boundary edges), both backends alike."""
    comp, pure = pair
    rng = np.random.default_rng(seed)
    w, h = (int(v) for v in rng.integers(2, 14, 2))
    density = rng.uniform(0.3, 0.95)
    filled = rng.random((w, h)) < density
    edges, loops = _grid_region_loops(filled)
    if not loops:
        return
    ids = _point_ids(loops)
    pts = np.zeros((len(ids), 3))
    for q, k in ids.items():
        pts[k, :2] = q
    order = rng.permutation(len(loops))
    idx = np.concatenate([[ids[q] for q in loops[i]] for i in order])
    lo = np.cumsum([0] + [len(loops[i]) for i in order])
    a = comp.triangulate_polygons(pts, idx, [0, len(loops)], loop_offsets=lo, clockwise_outer=False)
    _same(a, pure.triangulate_polygons(pts, idx, [0, len(loops)], loop_offsets=lo, clockwise_outer=False))
    f = a[0]
    p, q, r = (pts[f[:, k]] for k in range(3))
    signed = 0.5 * np.cross(q - p, r - p)[:, 2]
    assert (signed > 0).all()
    assert signed.sum() == float(filled.sum())
    assert len(np.unique(f)) == len(ids)
    assert _unpaired_edges(f) == sorted((ids[u], ids[v]) for u, v in edges)


@pytest.mark.parametrize("seed", range(40))
def test_grid_regions_as_polyhedron_face(pair, seed):
    """The same kind of region as one polyhedron face whose edge references
    come shuffled: cells touching at corners, holes touching each other and
    islands in holes must chain into loops that never cross. The face lies in
    a random axis plane (exact coordinates, far from 0), so the area must come
    out exact, every triangle facing the same way, with no T-junction."""
    comp, pure = pair
    rng = np.random.default_rng(1000 + seed)
    w, h = (int(v) for v in rng.integers(2, 12, 2))
    filled = rng.random((w, h)) < rng.uniform(0.3, 0.9)
    if seed % 2:
        # mostly a checkerboard: every cell touches its neighbours at corners
        # only, and rings of cells enclose holes touching them at four points
        filled = (np.add.outer(np.arange(w), np.arange(h)) % 2 == 0) ^ (rng.random((w, h)) < 0.1)
    edges, loops = _grid_region_loops(filled)
    if not loops:
        return
    ids = _point_ids(loops)
    axes = rng.permutation(3)
    signs = rng.choice([-1.0, 1.0], 3)
    flat = np.zeros((len(ids), 3))
    for q, k in ids.items():
        flat[k, :2] = q
    pts = flat[:, axes] * signs + 1e6 * signs
    ed, fe, fo = polyhedron_arrays([[[ids[q] for q in loop] for loop in loops]], rng)
    a = comp.triangulate(pts, ed, fe, fo)
    _same(a, pure.triangulate(pts, ed, fe, fo))
    f = a[0]
    p, q, r = (flat[f[:, k]] for k in range(3))
    signed = 0.5 * np.cross(q - p, r - p)[:, 2]
    # loops counter-clockwise in the xy plane are clockwise seen from +z, so
    # +z is inside and triangles come out clockwise there
    assert (signed < 0).all()
    assert -signed.sum() == float(filled.sum())
    assert _unpaired_edges(f) == sorted((ids[v], ids[u]) for u, v in edges)


# --- compiled argument checks: fast path and fallback agree ------------------------
#
# The compiled module checks arguments in C when they already have the working
# dtypes (float64 (n, 3), int32 (e, 2), int32, int64, C-contiguous) and calls the
# twin's prepare_* on anything it flags, so that the twin words the error. These
# tests pass exactly those dtypes, so the C checks run, and hold both backends to
# the same outcome: the same triangles, or the same error class, message, offset
# and element.


def _fast_arrays(p, edges, fe, fo):
    """The fast-path dtypes and layout, fresh C-contiguous copies."""
    out = (
        np.array(p, dtype=np.float64).reshape(-1, 3),
        np.array(edges, dtype=np.int32).reshape(-1, 2),
        np.array(fe, dtype=np.int32).reshape(-1),
        np.array(fo, dtype=np.int64).reshape(-1),
    )
    for a in out:
        assert a.flags.c_contiguous and a.flags.aligned and a.dtype.isnative
    return out


def _outcome(fn, *args, **kw):
    try:
        f, s = fn(*args, **kw)
    except DecodeError as exc:
        return (type(exc), str(exc), exc.offset, exc.element_id)
    assert f.dtype == np.uint32 and f.ndim == 2 and f.shape[1] == 3 and f.flags.c_contiguous
    assert s.dtype == np.int32 and s.shape == (len(f),) and s.flags.c_contiguous
    return ("ok", f.tolist(), s.tolist())


class _Counting:
    """Wraps the compiled module's prepare_* to count the calls (the fallback)."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


@pytest.fixture
def counted(monkeypatch):
    """(compiled, pure, prepare_polyhedron counter, prepare_polygons counter)."""
    comp, pure = _pair()
    cp = _Counting(comp.prepare_polyhedron)
    cq = _Counting(comp.prepare_polygons)
    monkeypatch.setattr(comp, "prepare_polyhedron", cp)
    monkeypatch.setattr(comp, "prepare_polygons", cq)
    return comp, pure, cp, cq


def _both_polyhedron(comp, pure, args, **kw):
    a = _outcome(comp.triangulate, *args, **kw)
    b = _outcome(pure.triangulate, *args, **kw)
    assert a == b
    return a


def _both_polygons(comp, pure, args, **kw):
    a = _outcome(comp.triangulate_polygons, *args, **kw)
    b = _outcome(pure.triangulate_polygons, *args, **kw)
    assert a == b
    return a


def _bad_polyhedron_cases():
    """(name, (points, edges, face_edges, face_offsets), limits, expected message pattern or None)."""
    p, edges, fe, fo = _cube_arrays()
    cases = []

    def add(name, p_=p, e_=edges, fe_=fe, fo_=fo, limits=None, pattern=None):
        cases.append((name, (p_, e_, fe_, fo_), limits, pattern))

    for ref in [0, 13, -13, 2**31 - 1, -(2**31)]:
        bad = fe.copy()
        bad[fo[2] + 1] = ref
        add(f"ref{ref}", fe_=bad, pattern=rf"face 2: edge reference {ref} out of range")
    e = abs(int(fe[fo[4]])) - 1
    for end in [8, -1, 2**31 - 1, -(2**31)]:
        bad = edges.copy()
        bad[e, 1] = end
        add(f"end{end}", e_=bad, pattern=rf"edge {e + 1} joins points")
        bad = edges.copy()
        bad[e, 0] = end
        add(f"start{end}", e_=bad, pattern=rf"edge {e + 1} joins points")
    bad = fo.copy()
    bad[3] = bad[4] + 1
    add("offsets-decrease", fo_=bad, pattern=r"face offsets decrease at face 3")
    bad = fo.copy()
    bad[6] = len(fe) + 1
    add("offset-past-end", fo_=bad, pattern=r"offset 25 at face 6 is out of range 0\.\.24")
    bad = fo.copy()
    bad[0] = -1
    add("offset-negative", fo_=bad, pattern=r"face 0 is out of range")
    bad = fo.copy()
    bad[2] = -(2**63)
    add("offset-min", fo_=bad, pattern=r"out of range")
    bad = fo.copy()
    bad[5] = 2**63 - 1
    add("offset-max", fo_=bad, pattern=r"out of range")
    add("face-size", limits=Limits(max_face_size=3), pattern=r"face 0 has 4 edge references, more than max_face_size=3")
    add("face-size-negative", limits=Limits(max_face_size=-1), pattern=r"face 0 has 4 edge references")
    for value in [np.nan, np.inf, -np.inf, 1e300, -1e300, np.nextafter(1e100, np.inf), -np.nextafter(1e100, np.inf)]:
        for axis in range(3):
            bad = p.copy()
            bad[6, axis] = value
            add(f"point-{value}-{axis}", p_=bad, pattern=r"face 1: point 6 has a coordinate that is not finite")
    bad = fe.copy()
    bad[fo[3]] = -bad[fo[3]]
    add("open-loop", fe_=bad, pattern=r"face 3: edge loop does not close")
    return cases


@pytest.mark.parametrize("case", _bad_polyhedron_cases(), ids=lambda c: c[0])
def test_fast_path_polyhedron_errors(counted, case):
    comp, pure, cp, _ = counted
    name, args, limits, pattern = case
    args = _fast_arrays(*args)
    a = _both_polyhedron(comp, pure, args, element_id="e1", limits=limits)
    assert a[0] != "ok" and a[3] == "e1"
    assert a[0] is (LimitError if name.startswith("face-size") else DecodeError)
    assert pattern is None or re.search(pattern, a[1])
    # the C checks flagged it and the twin worded it (the loop that does not close is found later, in C)
    assert cp.calls == (0 if name == "open-loop" else 1)


def test_fast_path_polyhedron_accepts(counted):
    """Inputs the checks allow take the C path (no prepare_* call) and give the twin's triangles."""
    comp, pure, cp, _ = counted
    p, edges, fe, fo = _cube_arrays()
    ok = []
    ok.append(_fast_arrays(p, edges, fe, fo))
    ok.append(_fast_arrays(p, edges, fe, []))  # no faces
    ok.append(_fast_arrays(np.zeros((0, 3)), np.zeros((0, 2)), [], [0, 0]))
    for value in [1e100, -1e100, 0.0, -0.0, 5e-324]:  # at the bound: allowed
        q = p.copy()
        q[6, 2] = value
        ok.append(_fast_arrays(q, edges, fe, fo))
    q = np.vstack([p, [[np.nan, np.inf, 1e300]]])  # an unused bad point
    e2 = np.vstack([edges, [[-5, 99]]])  # an unused bad edge
    ok.append(_fast_arrays(q, e2, fe, fo))
    fe2 = np.concatenate([[0, 2**31 - 1, -(2**31)], fe, [0, 77]])  # bad references outside fo[0]..fo[-1]
    ok.append(_fast_arrays(p, edges, fe2, fo + 3))
    ok.append(_fast_arrays(p, edges, fe, fo[2:]))  # faces starting past 0
    ok.append(_fast_arrays(p, edges, fe, [0, 4, 4, 4, 8]))  # empty faces
    for args in ok:
        for limits in (None, Limits(max_face_size=4)):
            assert _both_polyhedron(comp, pure, args, limits=limits)[0] == "ok"
    assert cp.calls == 0
    # not the working layout or dtype: the twin's prepare runs, same result
    args = _fast_arrays(p, edges, fe, fo)
    variants = [
        (args[0].reshape(-1), *args[1:]),
        (args[0].astype(np.float32), *args[1:]),
        (args[0], args[1].astype(np.int64), *args[2:]),
        (*args[:2], args[2].astype(np.int16), args[3]),
        (*args[:3], args[3].astype(np.int32)),
        (np.asfortranarray(args[0]), *args[1:]),
        (args[0].tolist(), *args[1:]),
        (args[0].astype(">f8"), *args[1:]),
    ]
    want = _outcome(comp.triangulate, *args)
    for v in variants:
        assert _both_polyhedron(comp, pure, v) == want
    assert cp.calls == len(variants)
    # limits the C checks cannot hold: the twin decides
    for limits in (Limits(max_face_size=2**70), Limits(max_face_size=4.5)):
        assert _both_polyhedron(comp, pure, args, limits=limits) == want
    assert cp.calls == len(variants) + 2


def _bad_polygon_cases():
    """(name, (points, indices, offsets), loop_offsets, limits)."""
    p = np.zeros((4, 3))
    p[:, 0] = [0, 1, 1, 0]
    p[:, 1] = [0, 0, 1, 1]
    cases = [
        ("index-4", (p, [0, 1, 2, 1, 2, 4], [0, 3, 6]), None, None),
        ("index-neg", (p, [0, -1, 2], [0, 3]), None, None),
        ("index-min", (p, [0, -(2**31), 2], [0, 3]), None, None),
        ("index-max", (p, [0, 2**31 - 1, 2], [0, 3]), None, None),
        ("offsets-decrease", (p, [0, 1, 2], [3, 0]), None, None),
        ("offsets-past-end", (p, [0, 1, 2], [0, 4]), None, None),
        ("offsets-negative", (p, [0, 1, 2], [-1, 3]), None, None),
        ("loop-offset-past-end", (p, [0, 1, 2], [0, 1]), [0, 9], None),
        ("loop-offsets-decrease", (p, [0, 1, 2, 3], [0, 2]), [0, 3, 1], None),
        ("polygon-offset-past-loops", (p, [0, 1, 2], [0, 3]), [0, 3], None),
        ("polygon-offsets-decrease", (p, [0, 1, 2, 0, 2, 3], [0, 2, 1]), [0, 3, 6], None),
        ("polygon-offset-negative", (p, [0, 1, 2], [-1, 1]), [0, 3], None),
        ("size", (p, [0, 1, 2, 0, 1, 2, 3, 4], [0, 3, 8]), None, Limits(max_face_size=4)),
        ("size-loops", (p, [0, 1, 2, 0, 2, 3], [0, 2]), [0, 3, 6], Limits(max_face_size=5)),
    ]
    for value in [np.nan, np.inf, -np.inf, 1e300, np.nextafter(1e100, np.inf)]:
        for axis in range(3):
            q = p.copy()
            q[2, axis] = value
            cases.append((f"point-{value}-{axis}", (q, [0, 1, 2, 0, 2, 3], [0, 3, 6]), None, None))
            cases.append((f"point-loops-{value}-{axis}", (q, [0, 1, 2, 3], [0, 1]), [0, 4], None))
    return cases


@pytest.mark.parametrize("case", _bad_polygon_cases(), ids=lambda c: c[0])
def test_fast_path_polygon_errors(counted, case):
    comp, pure, _, cq = counted
    name, (p, idx, off), lo, limits = case
    p = np.ascontiguousarray(p, dtype=np.float64)
    idx = np.array(idx, dtype=np.int32)
    off = np.array(off, dtype=np.int64)
    lo = None if lo is None else np.array(lo, dtype=np.int64)
    a = _both_polygons(comp, pure, (p, idx, off), loop_offsets=lo, element_id="e2", limits=limits)
    assert a[0] is (LimitError if name.startswith("size") else DecodeError) and a[3] == "e2"
    assert cq.calls == 1


def test_fast_path_polygons_accept(counted):
    comp, pure, _, cq = counted
    p = np.zeros((5, 3))
    p[:4, 0] = [0, 1, 1, 0]
    p[:4, 1] = [0, 0, 1, 1]
    p[4] = np.nan  # unused
    i32, i64 = np.int32, np.int64
    runs = [
        ((p, np.array([0, 1, 2, 0, 2, 3], i32), np.array([0, 3, 6], i64)), None),
        ((p, np.array([9, 0, 1, 2, 3, -1], i32), np.array([1, 5], i64)), None),  # bad indices outside the polygons
        ((p, np.array([0, 1, 2, 3], i32), np.array([], i64)), None),
        ((p, np.array([], i32), np.array([0, 0], i64)), None),
        ((p, np.array([0, 1, 2, 3], i32), np.array([0, 1], i64)), np.array([0, 4], i64)),
        ((p, np.array([0, 1, 2, 3], i32), np.array([], i64)), np.array([0, 4], i64)),
        ((p, np.array([0, 1, 2, 3], i32), np.array([0, 0], i64)), np.array([], i64)),
        ((p, np.array([0, 1, 2, 3, 0, 2, 3], i32), np.array([1, 2], i64)), np.array([0, 4, 7], i64)),
    ]
    for args, lo in runs:
        for cw in (True, False):
            _both_polygons(comp, pure, args, loop_offsets=lo, clockwise_outer=cw)
    assert cq.calls == 0
    args = runs[0][0]
    want = _outcome(comp.triangulate_polygons, *args)
    for v in [(args[0], [0, 1, 2, 0, 2, 3], [0, 3, 6]), (args[0], args[1], args[2].astype(np.int32)),
              (args[0].reshape(-1), args[1], args[2])]:
        assert _both_polygons(comp, pure, v) == want
    assert cq.calls == 3


def _mutations(rng, arrays):
    """Copies of ``arrays`` with one to three entries set to edge-case values."""
    out = [a.copy() for a in arrays]
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(len(out)))
        a = out[k].reshape(-1)
        if not len(a):
            continue
        i = int(rng.integers(len(a)))
        if a.dtype.kind == "f":
            a[i] = rng.choice([np.nan, np.inf, -np.inf, 1e100, -1e100, np.nextafter(1e100, 2e100), 1e300,
                               float(rng.normal()), -0.0])
        else:
            info = np.iinfo(a.dtype)
            values = [0, -1, 1, info.min, info.max, int(a[i]) + 1, int(a[i]) - 1, -int(a[i]), int(rng.integers(-40, 40))]
            a[i] = min(max(values[int(rng.integers(len(values)))], info.min), info.max)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_mutated_polyhedra(seed):
    """Valid solids with a few entries set to edge-case values, in the fast-path
    dtypes: both backends give the same triangles or the same error."""
    comp, pure = _pair()
    rng = np.random.default_rng(500 + seed)
    solids = [_cube_arrays(), ngon_prism_arrays(7, rng=rng)]
    p, faces = prism(plate_with_holes(2)[0], 2.0)
    solids.append((p, *polyhedron_arrays(faces, rng)))
    seen = set()
    for _ in range(150):
        base = solids[int(rng.integers(len(solids)))]
        args = _fast_arrays(*_mutations(rng, _fast_arrays(*base)))
        limits = Limits(max_face_size=int(rng.integers(2, 40))) if rng.random() < 0.2 else None
        out = _both_polyhedron(comp, pure, args, element_id="m", limits=limits)
        seen.add(out[0] if out[0] == "ok" else out[0].__name__)
    assert "ok" in seen and "DecodeError" in seen


@pytest.mark.parametrize("seed", range(4))
def test_fast_path_mutated_polygons(seed):
    comp, pure = _pair()
    rng = np.random.default_rng(700 + seed)
    loops, _ = plate_with_holes(3)
    pts = np.array([(x, y, 0.0) for loop in loops for x, y in loop])
    idx = np.arange(len(pts), dtype=np.int32)
    lo = np.cumsum([0] + [len(x) for x in loops]).astype(np.int64)
    for _ in range(150):
        if rng.random() < 0.5:
            p, i, o, l = _mutations(rng, [pts, idx, np.array([0, 2, len(loops)], dtype=np.int64), lo])
        else:
            p, i, o = _mutations(rng, [pts, idx, lo])
            l = None
        limits = Limits(max_face_size=int(rng.integers(2, 20))) if rng.random() < 0.2 else None
        _both_polygons(comp, pure, (p, i, o), loop_offsets=l, element_id="m", limits=limits)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=30),
    st.lists(st.one_of(st.integers(-2, 10), _ints), max_size=24),
    st.lists(st.one_of(st.integers(-14, 14), _ints), max_size=30),
    st.lists(st.one_of(st.integers(-2, 32), st.integers(-(2**63), 2**63 - 1)), max_size=8),
    st.one_of(st.none(), st.integers(-2, 30)),
)
def test_garbage_polyhedron_fast_dtypes(points, edges, face_edges, offsets, max_face):
    """Random arrays in the fast-path dtypes: the same result or error (class, text, offset)."""
    comp, pure = _pair()
    args = _fast_arrays(points[: len(points) // 3 * 3], edges[: len(edges) // 2 * 2], face_edges, offsets)
    limits = None if max_face is None else Limits(max_face_size=max_face)
    _both_polyhedron(comp, pure, args, element_id="g", limits=limits)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.floats(-10, 10), st.floats(allow_nan=True, allow_infinity=True)), max_size=30),
    st.lists(st.one_of(st.integers(-2, 10), _ints), max_size=30),
    st.lists(st.one_of(st.integers(-2, 32), st.integers(-(2**63), 2**63 - 1)), max_size=6),
    st.one_of(st.none(), st.lists(st.one_of(st.integers(-2, 32), st.integers(-(2**63), 2**63 - 1)), max_size=6)),
    st.booleans(),
)
def test_garbage_polygons_fast_dtypes(points, indices, offsets, loop_offsets, cw):
    comp, pure = _pair()
    pts = np.array(points[: len(points) // 3 * 3], dtype=np.float64).reshape(-1, 3)
    idx = np.array(indices, dtype=np.int32)
    off = np.array(offsets, dtype=np.int64)
    lo = None if loop_offsets is None else np.array(loop_offsets, dtype=np.int64)
    _both_polygons(comp, pure, (pts, idx, off), loop_offsets=lo, clockwise_outer=cw, element_id="g")
