"""Polygon-with-holes triangulation, pure-Python twin of ``bimgeo._core.triangulate``.

The compiled module is a line-by-line translation of the core below (same
operations in the same order in every floating-point expression; setup.py
forbids fused multiply-add), so both give identical triangles. Argument
checking, error messages and output assembly live here once and the
compiled module imports them.

Per face (design.md §2 "Geometry rules"):

1. Split the face into closed loops by chaining edge ends. Where several
   edges of the face leave one point (cells touching at a corner, a hole
   touching the outer loop), the loop goes on along the first edge
   clockwise from the way it came, taking the face's area to its left in
   the face plane: so loops never cross, and cells that touch only at
   corners come out as separate loops.
2. Project onto the axis plane of the face's Newell normal (coordinates
   taken relative to the face's first point, for precision far from 0).
3. Classify loops by containment: a loop inside an even number of others
   is an outer loop, the others are holes of the smallest loop around them.
   Loop direction and list position are never used for this.
4. Join each outer loop and its holes into one ring (Eberly, "Triangulation
   by Ear Clipping"): holes in order of decreasing rightmost x; from a
   hole's rightmost point a ray towards +x finds the nearest edge of the
   ring so far, and of the ring nodes in the triangle it spans the one at
   the smallest angle to the ray is visible and takes the bridge (a hole
   touching the ring at its rightmost point is spliced in without one).
5. Cut ears (O'Rourke, "Computational Geometry in C"; Held's FIST for
   testing only the blocking nodes, filed in a uniform grid). Only convex
   nodes are cut; nodes where the boundary turns right or runs straight on
   block ears that hold them or have them on a side, so points on straight
   runs stay in the mesh (a neighbouring face uses them: dropping them
   would break the shared edges into T-junctions). A node where the
   boundary goes back on itself (spike, repeated point) is removed without
   a triangle. Candidates wait in a queue in rounds (about every other node
   of a convex run per round), so triangles stay short instead of fanning.
   When no ear is left (bad input: self-intersecting or overlapping loops)
   the first convex node is cut anyway, and a leftover with no convex node
   (zero or negative area) is dropped.
6. Emit triangles counter-clockwise seen from outside: outer loops arrive
   clockwise from outside (design.md §2, §6), so the winding is set from
   each outer loop's own signed area in the projection plane.

Complexity: nesting L loops costs O(L^2) box tests; bridging h holes into a
ring of n nodes O(h * n); ear cutting about O(n) ear tests on ordinary
faces, each looking only at blocking nodes in the grid cells its box
covers, O(n^2) tests at worst (every refill of the candidate queue follows
a removal). A face whose loops would take more than BRIDGE_BUDGET steps to
nest and bridge (tens of thousands of holes) raises LimitError instead of
running for long.

Degenerate input: repeated points are dropped, zero-area loops ignored, a
zero-area face gives no triangles, no triangle of zero area is emitted;
self-intersecting loops give some triangulation, the same from both
backends, never an error.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

from .._errors import DecodeError, LimitError
from .._limits import Limits, get_default_limits

__all__ = ["triangulate", "triangulate_polygons"]

Result = Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]

# Error codes shared with the compiled module.
OK = 0
E_OPEN = 1  # a loop of a face does not close (a = the point where it stops)
E_MEMORY = 2  # the compiled module could not allocate
E_HOLES = 3  # sorting out and bridging a face's loops would take more than BRIDGE_BUDGET steps

# Nesting L loops takes up to L * L box tests and bridging h holes into a
# ring of n points about h * n steps; a face needing more than this (tens of
# thousands of holes) is refused with LimitError instead of running for long.
BRIDGE_BUDGET = 1_000_000_000
# Coordinates beyond this are refused: products in the predicates stay finite.
MAX_COORDINATE = 1e100


# ---------------------------------------------------------------------------
# Argument checking and errors (shared with bimgeo._core.triangulate)


def _error(code: int, face: int, a: int, element_id: Optional[str], what: str) -> DecodeError:
    if code == E_OPEN:
        return DecodeError(
            f"{what} {face}: edge loop does not close (no edge leaves point {a})",
            offset=face,
            element_id=element_id,
        )
    if code == E_MEMORY:
        return LimitError(f"{what} {face}: out of memory while triangulating", offset=face, element_id=element_id)
    if code == E_HOLES:
        return LimitError(
            f"{what} {face}: too many holes (nesting and bridging them takes more than {BRIDGE_BUDGET} steps)",
            offset=face,
            element_id=element_id,
        )
    return DecodeError(f"{what} {face}: internal error {code}", offset=face, element_id=element_id)


def _array(value: Any, dtype: Any, name: str, element_id: Optional[str]) -> npt.NDArray[Any]:
    try:
        arr = np.asarray(value)
        if arr.size == 0:
            return np.zeros(0, dtype=dtype)
        if arr.dtype.kind not in "biuf" or (np.dtype(dtype).kind in "iu" and arr.dtype.kind == "f"):
            raise TypeError(f"{name} has dtype {arr.dtype}")
        if np.dtype(dtype).kind in "iu" and arr.size and (arr.min() < np.iinfo(dtype).min or arr.max() > np.iinfo(dtype).max):
            raise ValueError(f"{name} has values outside {np.dtype(dtype)}")
        return np.ascontiguousarray(arr, dtype=dtype).reshape(-1)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DecodeError(f"bad {name}: {exc}", element_id=element_id) from exc


def _points(points: Any, element_id: Optional[str]) -> npt.NDArray[np.float64]:
    """Points as (n, 3) float64; DecodeError when their numbers do not come in threes."""
    pts = _array(points, np.float64, "points", element_id)
    if len(pts) % 3:
        raise DecodeError(f"points hold {len(pts)} numbers, not a multiple of 3", element_id=element_id)
    return pts.reshape(-1, 3)


def _offsets(value: Any, name: str, element_id: Optional[str]) -> npt.NDArray[np.int64]:
    """Offsets as int64; an empty array reads as [0] (nothing in it)."""
    arr = _array(value, np.int64, name, element_id)
    if len(arr) == 0:
        return np.zeros(1, dtype=np.int64)
    return arr


def _first_bad(bad: npt.NDArray[np.bool_]) -> int:
    """Index of the first True, or -1."""
    hits = np.flatnonzero(bad)
    return int(hits[0]) if len(hits) else -1


def _check_offsets(
    offsets: npt.NDArray[np.int64], total: int, what: str, element_id: Optional[str]
) -> None:
    """offsets must be non-decreasing and lie in 0..total."""
    i = _first_bad((offsets < 0) | (offsets > total))
    if i >= 0:
        raise DecodeError(
            f"{what} offsets: offset {int(offsets[i])} at {what} {i} is out of range 0..{total}",
            offset=i,
            element_id=element_id,
        )
    i = _first_bad(np.diff(offsets) < 0)
    if i >= 0:
        raise DecodeError(
            f"{what} offsets decrease at {what} {i} ({int(offsets[i])} then {int(offsets[i + 1])})",
            offset=i,
            element_id=element_id,
        )


def _owner(starts: npt.NDArray[np.int64], pos: int) -> int:
    """Index of the item whose range [starts[i], starts[i+1]) holds ``pos``."""
    return int(np.searchsorted(starts, pos, side="right")) - 1


def _check_size(sizes: npt.NDArray[np.int64], what: str, unit: str, limits: Limits, element_id: Optional[str]) -> None:
    i = _first_bad(sizes > limits.max_face_size)
    if i >= 0:
        raise LimitError(
            f"{what} {i} has {int(sizes[i])} {unit}, more than max_face_size={limits.max_face_size}",
            offset=i,
            element_id=element_id,
        )


def _check_finite(
    points: npt.NDArray[np.float64], used: npt.NDArray[np.int64], starts: npt.NDArray[np.int64],
    what: str, element_id: Optional[str],
) -> None:
    """The points a face uses must be finite and below MAX_COORDINATE (``used`` in face order)."""
    if len(used) == 0:
        return
    with np.errstate(invalid="ignore"):
        bad = np.asarray(~(np.abs(points[used]) <= MAX_COORDINATE).all(axis=1))
    k = _first_bad(bad)
    if k >= 0:
        f = _owner(starts, k)
        raise DecodeError(
            f"{what} {f}: point {int(used[k])} has a coordinate that is not finite or above {MAX_COORDINATE:g}",
            offset=f,
            element_id=element_id,
        )


def prepare_polyhedron(
    points: Any, edges: Any, face_edges: Any, face_offsets: Any, element_id: Optional[str], limits: Optional[Limits]
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Validate ``triangulate``'s arguments; raise DecodeError/LimitError naming the face."""
    if limits is None:
        limits = get_default_limits()
    pts = _points(points, element_id)
    ed = _array(edges, np.int32, "edges", element_id)
    if len(ed) % 2:
        raise DecodeError(f"edges hold {len(ed)} numbers, not a multiple of 2", element_id=element_id)
    ed = ed.reshape(-1, 2)
    fe = _array(face_edges, np.int32, "face_edges", element_id)
    fo = _offsets(face_offsets, "face_offsets", element_id)  # empty: no faces (as bimgeo.Polyhedron reads it)
    _check_offsets(fo, len(fe), "face", element_id)
    _check_size(np.diff(fo), "face", "edge references", limits, element_id)
    lo, hi = int(fo[0]), int(fo[-1])
    refs = fe[lo:hi].astype(np.int64)
    n_edges = len(ed)
    k = _first_bad((refs == 0) | (np.abs(refs) > n_edges))
    if k >= 0:
        f = _owner(fo, lo + k)
        raise DecodeError(
            f"face {f}: edge reference {int(refs[k])} out of range (1..{n_edges} or -{n_edges}..-1)",
            offset=f,
            element_id=element_id,
        )
    ends = ed[np.abs(refs) - 1].astype(np.int64)  # (k, 2)
    k = _first_bad(((ends < 0) | (ends >= len(pts))).any(axis=1))
    if k >= 0:
        f = _owner(fo, lo + k)
        e = int(abs(refs[k]))
        raise DecodeError(
            f"face {f}: edge {e} joins points {int(ends[k, 0])} and {int(ends[k, 1])}, "
            f"out of range 0..{len(pts) - 1}",
            offset=f,
            element_id=element_id,
        )
    _check_finite(pts, ends.reshape(-1), 2 * (fo - lo), "face", element_id)
    return pts, ed, fe, fo


def prepare_polygons(
    points: Any, indices: Any, offsets: Any, loop_offsets: Any, element_id: Optional[str], limits: Optional[Limits]
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Validate ``triangulate_polygons``'s arguments; returns (points, indices, polygon->loop offsets, loop offsets)."""
    if limits is None:
        limits = get_default_limits()
    pts = _points(points, element_id)
    idx = _array(indices, np.int32, "indices", element_id)
    po = _offsets(offsets, "offsets", element_id)
    if loop_offsets is None:
        _check_offsets(po, len(idx), "polygon", element_id)
        lo = po
        po = np.arange(len(lo), dtype=np.int64)
    else:
        lo = _offsets(loop_offsets, "loop_offsets", element_id)
        _check_offsets(lo, len(idx), "loop", element_id)
        _check_offsets(po, len(lo) - 1, "polygon", element_id)
    vstart = lo[po]  # first index position of each polygon
    _check_size(np.diff(vstart), "polygon", "vertices", limits, element_id)
    a, b = int(vstart[0]), int(vstart[-1])
    used = idx[a:b].astype(np.int64)
    k = _first_bad((used < 0) | (used >= len(pts)))
    if k >= 0:
        f = _owner(vstart, a + k)
        raise DecodeError(
            f"polygon {f}: vertex index {int(used[k])} out of range 0..{len(pts) - 1}",
            offset=f,
            element_id=element_id,
        )
    _check_finite(pts, used, vstart - a, "polygon", element_id)
    return pts, idx, po, lo


def finish(tri: Any, src: Any) -> Result:
    """(faces (m, 3) uint32, face_source (m,) int32) from flat buffers."""
    faces = np.asarray(tri, dtype=np.uint32).reshape(-1, 3)
    source = np.asarray(src, dtype=np.int32).reshape(-1)
    return faces, source


# ---------------------------------------------------------------------------
# The core. Every function below has a twin of the same name in
# _core/triangulate.pyx; keep them in step (same statements, same order).
#
# An island (an outer loop and its holes) becomes one ring of nodes: the
# outer loop counter-clockwise in the projection plane, each hole clockwise,
# joined to it by a bridge (a pair of coincident edges, or no edge at all
# where the hole touches the ring at its rightmost point). Node kinds:

K_GONE = 0  # cut off or removed
K_CONVEX = 1  # turns left: an ear candidate
K_BLOCK = 2  # turns right, or runs straight on: may lie in an ear, is never cut while ears remain
K_SPIKE = 3  # no turn and no way forward (goes back on itself): removed without a triangle

# Fewer blocking nodes than this are tested one by one; more go in a grid.
GRID_MIN = 16
# At most this many grid cells per side.
GRID_MAX = 1024


class _State:
    """Work arrays of one call (the compiled module keeps the same fields in a struct)."""

    def __init__(self, pts: List[float]) -> None:
        self.pts = pts  # points, flat (x, y, z, ...)
        self.tri: List[int] = []  # output, 3 point indices a triangle
        self.src: List[int] = []  # output, face of each triangle
        self.face = 0
        # the loops of the current face
        self.lv: List[int] = []  # point of each loop position
        self.ls: List[int] = [0]  # loop l is lv[ls[l]:ls[l + 1]]
        self.nloops = 0
        self.lx: List[float] = []  # projected coordinates, relative to (ox, oy)
        self.ly: List[float] = []
        self.ar: List[float] = []  # twice the signed area of each loop
        self.bb: List[float] = []  # box of each loop (x0, y0, x1, y1)
        self.u = 0
        self.v = 1
        self.ox = 0.0
        self.oy = 0.0
        self.bridge_budget = 0
        # the nodes of the current island
        self.nn = 0  # nodes in use
        self.left = 0  # nodes still on the ring
        self.start = -1  # a node on the ring
        self.flip = 0  # 1: emit (a, c, b) instead of (a, b, c)
        self.x: List[float] = []
        self.y: List[float] = []
        self.pi: List[int] = []  # the point a node stands for
        self.pv: List[int] = []  # ring neighbours
        self.nx: List[int] = []
        self.kd: List[int] = []  # K_* kind
        self.inq: List[int] = []  # 1 while in the candidate queue
        self.qr: List[int] = []  # round of its queue entry
        self.st: List[int] = []  # first round it may be cut in (a neighbour was cut before)
        self.ing: List[int] = []  # 1 once filed as a blocker (grid or extra list)
        self.qd: List[int] = []  # the candidate queue, circular
        self.qh = 0
        self.qn = 0
        self.qcap = 0
        self.ext: List[int] = []  # blockers tested one by one
        self.ne = 0
        # blocker grid: gn x gn cells over the box of the blockers
        self.gn = 0
        self.gx0 = 0.0
        self.gy0 = 0.0
        self.gsx = 0.0
        self.gsy = 0.0
        self.gs: List[int] = []  # cell c holds gi[gs[c]:gs[c + 1]]
        self.gi: List[int] = []


def _cross(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
    """Twice the signed area of triangle a, b, c (> 0: counter-clockwise)."""
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def _ring(S: _State, l: int, ccw: int) -> int:
    """Nodes for loop l, linked into a ring running counter-clockwise (ccw=1)
    or clockwise in the projection plane; a point at the position of the one
    before it is left out. Returns the ring's first node, or -1 (no nodes
    kept) when fewer than 3 remain."""
    X = S.x
    Y = S.y
    a0 = S.ls[l]
    n = S.ls[l + 1] - a0
    start = S.nn
    fwd = (S.ar[l] > 0.0) == (ccw != 0)
    last = -1
    k = 0
    while k < n:
        if fwd:
            j = a0 + k
        else:
            j = a0 + n - 1 - k
        x = S.lx[j]
        y = S.ly[j]
        if last < 0 or X[last] != x or Y[last] != y:
            p = S.nn
            S.nn += 1
            X[p] = x
            Y[p] = y
            S.pi[p] = S.lv[j]
            S.pv[p] = last
            if last >= 0:
                S.nx[last] = p
            last = p
        k += 1
    while last > start and X[last] == X[start] and Y[last] == Y[start]:
        last -= 1
    if last - start < 2:
        S.nn = start
        return -1
    S.nn = last + 1
    S.nx[last] = start
    S.pv[start] = last
    return start


def _sees(S: _State, w: int, m: int, same: int) -> bool:
    """Whether a bridge from node w towards hole node m starts inside the
    ring's angle at w (for a hole touching w: whether the hole lies there)."""
    X = S.x
    Y = S.y
    mx = X[m]
    my = Y[m]
    wx = X[w]
    wy = Y[w]
    if same:
        # into the hole from its rightmost point: between its two edges
        dx = (X[S.pv[m]] - mx) + (X[S.nx[m]] - mx)
        dy = (Y[S.pv[m]] - my) + (Y[S.nx[m]] - my)
        if dx == 0.0 and dy == 0.0:
            dx = -1.0
    else:
        dx = mx - wx
        dy = my - wy
    a = S.pv[w]
    c = S.nx[w]
    l1 = (wx - X[a]) * dy - (wy - Y[a]) * dx > 0.0
    l2 = (X[c] - wx) * dy - (Y[c] - wy) * dx > 0.0
    if _cross(X[a], Y[a], wx, wy, X[c], Y[c]) >= 0.0:
        return l1 and l2
    return l1 or l2


def _bridge_target(S: _State, m: int, count: int) -> int:
    """The node among 0..count-1 (the ring so far) to join hole node m to, or -1.

    After Eberly, "Triangulation by Ear Clipping": the ray from m towards +x
    meets the ring first at I on an upward edge; T is that edge's end at I,
    else its end with the larger x. Of the ring's nodes in the closed
    triangle (m, I, T) the one seen from m at the smallest angle to the ray
    (then the nearest) is visible from m; among nodes at one position, one
    whose angle holds the bridge is preferred.
    """
    X = S.x
    Y = S.y
    NX = S.nx
    mx = X[m]
    my = Y[m]
    S.bridge_budget -= 2 * count
    e = -1
    hx = 0.0
    p = 0
    while p < count:
        q = NX[p]
        py = Y[p]
        qy = Y[q]
        if py <= my and qy >= my and py < qy:
            if py == my:
                xi = X[p]
            elif qy == my:
                xi = X[q]
            else:
                xi = X[p] + (my - py) * (X[q] - X[p]) / (qy - py)
            if xi >= mx and (e < 0 or xi < hx):
                e = p
                hx = xi
        p += 1
    if e < 0:
        return -1
    q = NX[e]
    if Y[e] == my and X[e] == hx:
        t = e
    elif Y[q] == my and X[q] == hx:
        t = q
    elif X[q] > X[e]:
        t = q
    else:
        t = e
    tx = X[t]
    ty = Y[t]
    ar = _cross(mx, my, hx, my, tx, ty)
    y0 = my
    y1 = ty
    if ty < my:
        y0 = ty
        y1 = my
    best = -1
    bdx = 0.0
    bdy = 0.0
    bsame = 0
    bok = False
    p = 0
    while p < count:
        wx = X[p]
        wy = Y[p]
        if wx >= mx and wx <= tx and wy >= y0 and wy <= y1:
            if ar > 0.0:
                inside = (
                    _cross(mx, my, hx, my, wx, wy) >= 0.0 and _cross(hx, my, tx, ty, wx, wy) >= 0.0
                    and _cross(tx, ty, mx, my, wx, wy) >= 0.0
                )
            elif ar < 0.0:
                inside = (
                    _cross(mx, my, hx, my, wx, wy) <= 0.0 and _cross(hx, my, tx, ty, wx, wy) <= 0.0
                    and _cross(tx, ty, mx, my, wx, wy) <= 0.0
                )
            else:
                inside = _cross(mx, my, tx, ty, wx, wy) == 0.0
            if inside:
                dx = wx - mx
                dy = wy - my
                if dy < 0.0:
                    dy = -dy
                same = 1 if (dx == 0.0 and dy == 0.0) else 0
                ok = _sees(S, p, m, same)
                take = False
                if best < 0:
                    take = True
                elif same != bsame:
                    take = same == 1
                elif same == 1:
                    take = ok and not bok
                else:
                    lhs = dy * bdx
                    rhs = bdy * dx
                    if lhs < rhs:
                        take = True
                    elif lhs == rhs:
                        if dx < bdx:
                            take = True
                        elif dx == bdx:
                            if dy < bdy:
                                take = True
                            elif dy == bdy:
                                take = ok and not bok
                if take:
                    best = p
                    bdx = dx
                    bdy = dy
                    bsame = same
                    bok = ok
        p += 1
    return best


def _splice(S: _State, w: int, m: int) -> None:
    """Join the hole ring through m into the ring at w."""
    X = S.x
    Y = S.y
    a = S.nx[w]
    if X[w] == X[m] and Y[w] == Y[m]:
        # the hole touches the ring at w: w, the hole after m, m, then on
        h = S.nx[m]
        S.nx[w] = h
        S.pv[h] = w
        S.nx[m] = a
        S.pv[a] = m
        return
    # w, m, the hole, a copy of m, a copy of w, then on
    hk = S.pv[m]
    m2 = S.nn
    w2 = S.nn + 1
    S.nn += 2
    X[m2] = X[m]
    Y[m2] = Y[m]
    S.pi[m2] = S.pi[m]
    X[w2] = X[w]
    Y[w2] = Y[w]
    S.pi[w2] = S.pi[w]
    S.nx[w] = m
    S.pv[m] = w
    S.nx[hk] = m2
    S.pv[m2] = hk
    S.nx[m2] = w2
    S.pv[w2] = m2
    S.nx[w2] = a
    S.pv[a] = w2


def _classify(S: _State, p: int) -> int:
    X = S.x
    Y = S.y
    a = S.pv[p]
    c = S.nx[p]
    cr = _cross(X[a], Y[a], X[p], Y[p], X[c], Y[c])
    if cr > 0.0:
        return K_CONVEX
    if cr < 0.0:
        return K_BLOCK
    if (X[p] - X[a]) * (X[c] - X[p]) + (Y[p] - Y[a]) * (Y[c] - Y[p]) > 0.0:
        return K_BLOCK
    return K_SPIKE


def _update(S: _State, p: int) -> int:
    """Re-classify p after a neighbour went; a new blocker joins the extra list."""
    k = _classify(S, p)
    S.kd[p] = k
    if k != K_CONVEX and S.ing[p] == 0:
        S.ing[p] = 1
        S.ext[S.ne] = p
        S.ne += 1
    return k


def _cell(f: float, n: int) -> int:
    if f <= 0.0:
        return 0
    if f >= n:
        return n - 1
    return int(f)


def _file_blockers(S: _State) -> int:
    """Classify the ring's nodes; file the blocking ones (extra list, or grid when many)."""
    X = S.x
    Y = S.y
    nb = 0
    x0 = 0.0
    y0 = 0.0
    x1 = 0.0
    y1 = 0.0
    p = S.start
    i = 0
    while i < S.left:
        k = _classify(S, p)
        S.kd[p] = k
        S.inq[p] = 0
        S.qr[p] = 0
        S.st[p] = 0
        S.ing[p] = 0
        if k != K_CONVEX:
            if nb == 0 or X[p] < x0:
                x0 = X[p]
            if nb == 0 or X[p] > x1:
                x1 = X[p]
            if nb == 0 or Y[p] < y0:
                y0 = Y[p]
            if nb == 0 or Y[p] > y1:
                y1 = Y[p]
            nb += 1
        p = S.nx[p]
        i += 1
    S.ne = 0
    S.gn = 0
    if nb < GRID_MIN:
        p = S.start
        i = 0
        while i < S.left:
            if S.kd[p] != K_CONVEX:
                S.ing[p] = 1
                S.ext[S.ne] = p
                S.ne += 1
            p = S.nx[p]
            i += 1
        return OK
    g = 1
    while g * g * 2 < nb and g < GRID_MAX:
        g += 1
    S.gs = [0] * (g * g + 1)
    S.gn = g
    S.gx0 = x0
    S.gy0 = y0
    S.gsx = g / (x1 - x0) if x1 > x0 else 0.0
    if not (S.gsx <= 1e300):
        S.gsx = 0.0
    S.gsy = g / (y1 - y0) if y1 > y0 else 0.0
    if not (S.gsy <= 1e300):
        S.gsy = 0.0
    gs = S.gs
    c = 0
    while c <= g * g:
        gs[c] = 0
        c += 1
    p = S.start
    i = 0
    while i < S.left:
        if S.kd[p] != K_CONVEX:
            c = _cell((Y[p] - y0) * S.gsy, g) * g + _cell((X[p] - x0) * S.gsx, g)
            gs[c + 1] += 1
        p = S.nx[p]
        i += 1
    c = 0
    while c < g * g:
        gs[c + 1] += gs[c]
        c += 1
    p = S.start
    i = 0
    while i < S.left:
        if S.kd[p] != K_CONVEX:
            c = _cell((Y[p] - y0) * S.gsy, g) * g + _cell((X[p] - x0) * S.gsx, g)
            S.gi[gs[c]] = p
            gs[c] += 1
            S.ing[p] = 1
        p = S.nx[p]
        i += 1
    c = g * g
    while c > 0:
        gs[c] = gs[c - 1]
        c -= 1
    gs[0] = 0
    return OK


def _enters(S: _State, p: int, e1x: float, e1y: float, e2x: float, e2y: float) -> bool:
    """Whether an edge of node p heads into the angle from e1 counter-clockwise to e2."""
    X = S.x
    Y = S.y
    n = S.pv[p]
    dx = X[n] - X[p]
    dy = Y[n] - Y[p]
    if e1x * dy - e1y * dx > 0.0 and dx * e2y - dy * e2x > 0.0:
        return True
    n = S.nx[p]
    dx = X[n] - X[p]
    dy = Y[n] - Y[p]
    return e1x * dy - e1y * dx > 0.0 and dx * e2y - dy * e2x > 0.0


def _blocks(S: _State, p: int, ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> bool:
    """Whether blocker p forbids cutting the counter-clockwise triangle a, b, c:
    it lies in it or on its sides, or sits on a corner with an edge heading in."""
    px = S.x[p]
    py = S.y[p]
    if px == ax and py == ay:
        return _enters(S, p, bx - ax, by - ay, cx - ax, cy - ay)
    if px == bx and py == by:
        return _enters(S, p, cx - bx, cy - by, ax - bx, ay - by)
    if px == cx and py == cy:
        return _enters(S, p, ax - cx, ay - cy, bx - cx, by - cy)
    return (
        _cross(ax, ay, bx, by, px, py) >= 0.0 and _cross(bx, by, cx, cy, px, py) >= 0.0
        and _cross(cx, cy, ax, ay, px, py) >= 0.0
    )


def _ear_ok(S: _State, a: int, b: int, c: int) -> bool:
    """Whether the convex node b can be cut off with its neighbours a and c."""
    X = S.x
    Y = S.y
    kd = S.kd
    ax = X[a]
    ay = Y[a]
    bx = X[b]
    by = Y[b]
    cx = X[c]
    cy = Y[c]
    i = 0
    while i < S.ne:
        p = S.ext[i]
        if kd[p] >= K_BLOCK and p != a and p != b and p != c and _blocks(S, p, ax, ay, bx, by, cx, cy):
            return False
        i += 1
    g = S.gn
    if g == 0:
        return True
    x0 = ax
    if bx < x0:
        x0 = bx
    if cx < x0:
        x0 = cx
    x1 = ax
    if bx > x1:
        x1 = bx
    if cx > x1:
        x1 = cx
    y0 = ay
    if by < y0:
        y0 = by
    if cy < y0:
        y0 = cy
    y1 = ay
    if by > y1:
        y1 = by
    if cy > y1:
        y1 = cy
    i0 = _cell((x0 - S.gx0) * S.gsx, g)
    i1 = _cell((x1 - S.gx0) * S.gsx, g)
    j = _cell((y0 - S.gy0) * S.gsy, g)
    j1 = _cell((y1 - S.gy0) * S.gsy, g)
    gs = S.gs
    gi = S.gi
    while j <= j1:
        i = i0
        while i <= i1:
            c0 = j * g + i
            k = gs[c0]
            while k < gs[c0 + 1]:
                p = gi[k]
                if kd[p] >= K_BLOCK and p != a and p != b and p != c and _blocks(S, p, ax, ay, bx, by, cx, cy):
                    return False
                k += 1
            i += 1
        j += 1
    return True


def _emit(S: _State, a: int, b: int, c: int) -> None:
    S.src.append(S.face)
    if S.flip:
        S.tri.extend((S.pi[a], S.pi[c], S.pi[b]))
    else:
        S.tri.extend((S.pi[a], S.pi[b], S.pi[c]))


def _unlink(S: _State, p: int) -> None:
    a = S.pv[p]
    c = S.nx[p]
    S.nx[a] = c
    S.pv[c] = a
    S.kd[p] = K_GONE
    if S.start == p:
        S.start = c
    S.left -= 1


def _push(S: _State, p: int, r: int) -> None:
    if S.inq[p] == 0:
        S.inq[p] = 1
        S.qr[p] = r
        t = S.qh + S.qn
        if t >= S.qcap:
            t -= S.qcap
        S.qd[t] = p
        S.qn += 1


def _refill(S: _State) -> None:
    """Queue every ear candidate on the ring, in ring order from S.start."""
    p = S.start
    i = 0
    while i < S.left:
        if S.kd[p] == K_CONVEX or S.kd[p] == K_SPIKE:
            _push(S, p, S.st[p])
        p = S.nx[p]
        i += 1


def _force(S: _State) -> int:
    """No ear can be cut: cut the first convex node from S.start anyway (its
    triangle may overlap others; only bad input gets here). 0 when none is left."""
    p = S.start
    i = 0
    while i < S.left:
        if S.kd[p] == K_CONVEX:
            a = S.pv[p]
            c = S.nx[p]
            _emit(S, a, p, c)
            _unlink(S, p)
            _update(S, a)
            _update(S, c)
            return 1
        p = S.nx[p]
        i += 1
    return 0


def _cut_ears(S: _State) -> None:
    """Cut ears off the ring through S.start until three nodes are left.

    Candidates (convex and spike nodes) wait in a queue; a candidate whose
    neighbour was cut in the current round waits for the next round, so
    each round cuts about every other node of a convex run (short, local
    triangles instead of a fan). A node whose ear is blocked waits until a
    neighbour goes. When the queue runs dry the whole ring is queued again;
    when that round cuts nothing, _force cuts a node anyway. Every refill
    follows at least one removal, so the work is bounded by O(n^2) ear tests.
    """
    X = S.x
    Y = S.y
    S.qh = 0
    S.qn = 0
    S.qcap = S.nn
    _refill(S)
    progress = 0
    while S.left > 3:
        if S.qn == 0:
            if progress == 0:
                if _force(S) == 0:
                    return
            progress = 0
            _refill(S)
            continue
        p = S.qd[S.qh]
        S.qh += 1
        if S.qh == S.qcap:
            S.qh = 0
        S.qn -= 1
        S.inq[p] = 0
        k = S.kd[p]
        if k == K_GONE:
            continue
        if S.st[p] > S.qr[p]:
            _push(S, p, S.st[p])
            continue
        a = S.pv[p]
        c = S.nx[p]
        if k == K_SPIKE:
            _unlink(S, p)
        elif k == K_CONVEX and _ear_ok(S, a, p, c):
            _emit(S, a, p, c)
            _unlink(S, p)
        else:
            continue
        progress += 1
        r = S.qr[p] + 1
        S.st[a] = r
        S.st[c] = r
        if _update(S, a) != K_BLOCK:
            _push(S, a, r)
        if _update(S, c) != K_BLOCK:
            _push(S, c, r)
    if S.left == 3:
        p = S.start
        a = S.pv[p]
        c = S.nx[p]
        if _cross(X[a], Y[a], X[p], Y[p], X[c], Y[c]) > 0.0:
            _emit(S, a, p, c)


def _point_in_loop(S: _State, l: int, px: float, py: float) -> int:
    """1 inside loop l, 0 outside, 2 on its boundary (projected coordinates)."""
    X = S.lx
    Y = S.ly
    a0 = S.ls[l]
    b0 = S.ls[l + 1]
    S.bridge_budget -= b0 - a0
    inside = 0
    k = a0
    while k < b0:
        j = k + 1
        if j == b0:
            j = a0
        ax = X[k]
        ay = Y[k]
        bx = X[j]
        by = Y[j]
        cr = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        if (
            cr == 0.0
            and px <= (ax if ax > bx else bx) and px >= (ax if ax < bx else bx)
            and py <= (ay if ay > by else by) and py >= (ay if ay < by else by)
        ):
            return 2
        if (ay > py) != (by > py):
            xi = ax + (py - ay) * (bx - ax) / (by - ay)
            if px < xi:
                inside = 1 - inside
        k += 1
    return inside


def _loop_contains(S: _State, outer: int, inner: int) -> bool:
    """Whether loop ``inner`` lies inside loop ``outer``: decided by its first point not on
    outer's boundary, else (every point on it) by the first such edge midpoint."""
    if not (
        S.bb[4 * outer] <= S.bb[4 * inner] and S.bb[4 * outer + 1] <= S.bb[4 * inner + 1]
        and S.bb[4 * outer + 2] >= S.bb[4 * inner + 2] and S.bb[4 * outer + 3] >= S.bb[4 * inner + 3]
    ):
        return False
    k = S.ls[inner]
    while k < S.ls[inner + 1]:
        r = _point_in_loop(S, outer, S.lx[k], S.ly[k])
        if r != 2:
            return r == 1
        k += 1
    k = S.ls[inner]
    while k < S.ls[inner + 1]:
        j = k + 1
        if j == S.ls[inner + 1]:
            j = S.ls[inner]
        r = _point_in_loop(S, outer, (S.lx[k] + S.lx[j]) * 0.5, (S.ly[k] + S.ly[j]) * 0.5)
        if r != 2:
            return r == 1
        k += 1
    return False


def _newell_add(pts: List[float], a: int, b: int, ox3: float, oy3: float, oz3: float, n: List[float]) -> None:
    """Add edge a -> b to the Newell normal n (coordinates relative to (ox3, oy3, oz3))."""
    ax = pts[3 * a] - ox3
    ay = pts[3 * a + 1] - oy3
    az = pts[3 * a + 2] - oz3
    bx = pts[3 * b] - ox3
    by = pts[3 * b + 1] - oy3
    bz = pts[3 * b + 2] - oz3
    n[0] += (ay - by) * (az + bz)
    n[1] += (az - bz) * (ax + bx)
    n[2] += (ax - bx) * (ay + by)


def _drop_axis(n: List[float]) -> int:
    """The axis of the normal's largest component (2 on ties with z, then 1):
    the face is projected onto the other two, (u, v) = (0, 1), (2, 0) or (1, 2)."""
    anx = abs(n[0])
    any_ = abs(n[1])
    anz = abs(n[2])
    if anz >= anx and anz >= any_:
        return 2
    if any_ >= anx:
        return 1
    return 0


def _triangulate_face(S: _State, face: int, clockwise_outer: int) -> int:
    """Triangulate the loops in S.lv / S.ls (S.nloops of them) of one face."""
    L = S.nloops
    if L == 0:
        return OK
    pts = S.pts
    lv = S.lv
    ls = S.ls
    o = lv[0]
    ox3 = pts[3 * o]
    oy3 = pts[3 * o + 1]
    oz3 = pts[3 * o + 2]
    # Newell normal of all loops, relative to the first point
    nrm = [0.0, 0.0, 0.0]
    l = 0
    while l < L:
        k = ls[l]
        while k < ls[l + 1]:
            j = k + 1
            if j == ls[l + 1]:
                j = ls[l]
            _newell_add(pts, lv[k], lv[j], ox3, oy3, oz3, nrm)
            k += 1
        l += 1
    # drop the dominant axis; (u, v) keeps the right-handed order
    drop = _drop_axis(nrm)
    S.u = (drop + 1) % 3
    S.v = (drop + 2) % 3
    u = S.u
    v = S.v
    S.ox = pts[3 * o + u]
    S.oy = pts[3 * o + v]
    # projected loop points, signed areas (> 0: counter-clockwise), boxes
    n = ls[L]
    S.lx = [0.0] * n
    S.ly = [0.0] * n
    S.ar = [0.0] * L
    S.bb = [0.0] * (4 * L)
    k = 0
    while k < n:
        S.lx[k] = pts[3 * lv[k] + u] - S.ox
        S.ly[k] = pts[3 * lv[k] + v] - S.oy
        k += 1
    l = 0
    while l < L:
        s = 0.0
        k = ls[l]
        x0 = S.lx[k]
        y0 = S.ly[k]
        x1 = x0
        y1 = y0
        while k < ls[l + 1]:
            j = k + 1
            if j == ls[l + 1]:
                j = ls[l]
            s += S.lx[k] * S.ly[j] - S.lx[j] * S.ly[k]
            if S.lx[k] < x0:
                x0 = S.lx[k]
            if S.lx[k] > x1:
                x1 = S.lx[k]
            if S.ly[k] < y0:
                y0 = S.ly[k]
            if S.ly[k] > y1:
                y1 = S.ly[k]
            k += 1
        S.ar[l] = s
        S.bb[4 * l] = x0
        S.bb[4 * l + 1] = y0
        S.bb[4 * l + 2] = x1
        S.bb[4 * l + 3] = y1
        l += 1
    # loops by |area| descending (ties: list order); zero-area loops last, unused
    ar = S.ar
    order = sorted(range(L), key=lambda t: (-abs(ar[t]), t))
    nl = 0
    while nl < L and ar[order[nl]] != 0.0:
        nl += 1
    depth = [0] * L
    owner = [-1] * L
    head = [-1] * L
    tail = [-1] * L
    link = [-1] * L
    S.bridge_budget = BRIDGE_BUDGET
    r = 0
    while r < nl:
        li = order[r]
        parent = -1
        q = r - 1
        while q >= 0:
            S.bridge_budget -= 1
            lj = order[q]
            if _loop_contains(S, lj, li):
                parent = lj
                break
            q -= 1
        if parent < 0:
            depth[li] = 0
            owner[li] = li
        else:
            depth[li] = depth[parent] + 1
            if depth[li] % 2 == 0:
                owner[li] = li
            else:
                owner[li] = parent
                # holes of an outer loop, in rank order
                if tail[parent] < 0:
                    head[parent] = li
                else:
                    link[tail[parent]] = li
                tail[parent] = li
        if S.bridge_budget < 0:
            return E_HOLES
        r += 1
    S.face = face
    r = 0
    while r < nl:
        li = order[r]
        if owner[li] == li:
            code = _triangulate_island(S, li, head, link, clockwise_outer)
            if code != OK:
                return code
        r += 1
    return OK


def _triangulate_island(S: _State, li: int, head: List[int], link: List[int], clockwise_outer: int) -> int:
    """One outer loop and its holes: bridge the holes into one ring, then cut ears."""
    ls = S.ls
    cap = ls[li + 1] - ls[li]
    h = head[li]
    while h >= 0:
        cap += ls[h + 1] - ls[h] + 2
        h = link[h]
    S.x = [0.0] * cap
    S.y = [0.0] * cap
    S.pi = [0] * cap
    S.pv = [0] * cap
    S.nx = [0] * cap
    S.kd = [0] * cap
    S.inq = [0] * cap
    S.qr = [0] * cap
    S.st = [0] * cap
    S.ing = [0] * cap
    S.qd = [0] * cap
    S.ext = [0] * cap
    S.gi = [0] * cap
    S.nn = 0
    # ears are counter-clockwise in the projection; the outer loop's input
    # winding says which way is outside (design.md §2)
    S.flip = 1 if (S.ar[li] > 0.0) == (clockwise_outer != 0) else 0
    outer = _ring(S, li, 1)
    if outer < 0:
        return OK
    # holes by decreasing rightmost x (Eberly), then y, then rank
    keys: List[Tuple[float, float, int, int]] = []
    h = head[li]
    order = 0
    while h >= 0:
        k = ls[h]
        best = k
        while k < ls[h + 1]:
            if S.lx[k] > S.lx[best] or (S.lx[k] == S.lx[best] and S.ly[k] < S.ly[best]):
                best = k
            k += 1
        keys.append((-S.lx[best], S.ly[best], order, h))
        order += 1
        h = link[h]
    keys.sort()
    X = S.x
    Y = S.y
    i = 0
    while i < order:
        count = S.nn
        m = _ring(S, keys[i][3], 0)
        if m >= 0:
            p = m + 1
            while p < S.nn:
                if X[p] > X[m] or (X[p] == X[m] and Y[p] < Y[m]):
                    m = p
                p += 1
            w = _bridge_target(S, m, count)
            if S.bridge_budget < 0:
                return E_HOLES
            if w < 0:
                S.nn = count  # nothing to join it to (bad nesting): leave the hole out
            else:
                _splice(S, w, m)
        i += 1
    S.start = outer
    S.left = S.nn
    code = _file_blockers(S)
    if code != OK:
        return code
    _cut_ears(S)
    return OK


# --- loop extraction ---------------------------------------------------------


def _chain_plane(S: _State, es: List[int], et: List[int], m: int) -> Tuple[int, int, float, float, float]:
    """The plane in which _chain_face compares edge directions: (u, v, ox, oy,
    sign) from the Newell normal of the face's m edges; sign is -1.0 where the
    face's area lies to the right of its edges in (u, v), else 1.0."""
    pts = S.pts
    o = es[0]
    nrm = [0.0, 0.0, 0.0]
    j = 0
    while j < m:
        _newell_add(pts, es[j], et[j], pts[3 * o], pts[3 * o + 1], pts[3 * o + 2], nrm)
        j += 1
    drop = _drop_axis(nrm)
    u = (drop + 1) % 3
    v = (drop + 2) % 3
    return u, v, pts[3 * o + u], pts[3 * o + v], -1.0 if nrm[drop] < 0.0 else 1.0


def _turn(
    S: _State, plane: Tuple[int, int, float, float, float], s: int, w: int, headv: List[int],
    et: List[int], lnk: List[int], used: List[int], also: int,
) -> int:
    """The edge leaving point w that follows edge s -> w along the face's
    boundary: of the unused edges leaving w (and edge ``also``), the first one
    clockwise from the way back to s, with the face's area taken to the left.
    Returns -1 when there is none."""
    pts = S.pts
    u, v, ox, oy, sg = plane
    wx = pts[3 * w + u] - ox
    wy = (pts[3 * w + v] - oy) * sg
    bx = (pts[3 * s + u] - ox) - wx
    by = (pts[3 * s + v] - oy) * sg - wy
    best = -1
    bc = 0
    bdx = 0.0
    bdy = 0.0
    q = headv[w]
    while q >= 0:
        if used[q] == 0 or q == also:
            t = et[q]
            dx = (pts[3 * t + u] - ox) - wx
            dy = (pts[3 * t + v] - oy) * sg - wy
            c = bx * dy - by * dx
            # rank by clockwise angle from the way back: (0, pi), pi, (pi, 2 pi), 2 pi
            if c < 0.0:
                k = 0
            elif c > 0.0:
                k = 2
            elif bx * dx + by * dy < 0.0:
                k = 1
            else:
                k = 3
            if best < 0 or k < bc or (k == bc and (k == 0 or k == 2) and bdx * dy - bdy * dx < 0.0):
                best = q
                bc = k
                bdx = dx
                bdy = dy
        q = lnk[q]
    return best


def _chain_face(
    S: _State, edges: List[int], fe: List[int], k0: int, k1: int, headv: List[int],
    es: List[int], et: List[int], lnk: List[int], used: List[int], deg: List[int],
) -> Tuple[int, int]:
    """Split face_edges[k0:k1] into closed loops (S.lv, S.ls, S.nloops). Returns (code, point)."""
    m = 0
    k = k0
    while k < k1:
        r = fe[k]
        if r > 0:
            e = r - 1
            s = edges[2 * e]
            t = edges[2 * e + 1]
        else:
            e = -r - 1
            s = edges[2 * e + 1]
            t = edges[2 * e]
        if s != t:  # a zero-length edge closes nothing
            es[m] = s
            et[m] = t
            m += 1
        k += 1
    branch = 0
    j = m - 1
    while j >= 0:
        lnk[j] = headv[es[j]]
        headv[es[j]] = j
        used[j] = 0
        deg[es[j]] += 1
        if deg[es[j]] > 1:
            branch = 1
        j -= 1
    plane = (0, 1, 0.0, 0.0, 1.0)
    if branch:
        # points where the boundary branches (cells touching at a corner, a
        # hole touching the outer loop): there the way on is chosen by angle,
        # so each loop bounds the face's area on one side only
        plane = _chain_plane(S, es, et, m)
    S.lv = [0] * m
    S.ls = [0] * (m + 1)
    S.nloops = 0
    nv = 0
    code = OK
    bad = -1
    j0 = 0
    while j0 < m and code == OK:
        if used[j0]:
            j0 += 1
            continue
        first = es[j0]
        j = j0
        while True:
            used[j] = 1
            S.lv[nv] = es[j]
            nv += 1
            cur = et[j]
            if deg[cur] > 1:
                q = _turn(S, plane, es[j], cur, headv, et, lnk, used, j0 if cur == first else -1)
                if q == j0:
                    break
            else:
                if cur == first:
                    break
                # the next edge in the list when it continues the loop, else
                # the edge leaving this point
                if j + 1 < m and used[j + 1] == 0 and es[j + 1] == cur:
                    j = j + 1
                    continue
                q = headv[cur]
                if q >= 0 and used[q]:
                    q = -1
            if q < 0:
                code = E_OPEN
                bad = cur
                break
            j = q
        if code != OK:
            break
        if nv - S.ls[S.nloops] < 3:
            nv = S.ls[S.nloops]  # a there-and-back pair of edges encloses nothing
        else:
            S.nloops += 1
            S.ls[S.nloops] = nv
        j0 += 1
    j = 0
    while j < m:
        headv[es[j]] = -1
        deg[es[j]] = 0
        j += 1
    return code, bad


def _polygon_loops(S: _State, idx: List[int], lo: List[int], l0: int, l1: int) -> None:
    """Loops l0..l1-1 of a polygon into S.lv / S.ls, without repeated points."""
    n = lo[l1] - lo[l0]
    S.lv = [0] * n
    S.ls = [0] * (l1 - l0 + 1)
    S.nloops = 0
    nv = 0
    l = l0
    while l < l1:
        st = nv
        k = lo[l]
        while k < lo[l + 1]:
            w = idx[k]
            if not (nv > st and S.lv[nv - 1] == w):
                S.lv[nv] = w
                nv += 1
            k += 1
        while nv - st > 1 and S.lv[nv - 1] == S.lv[st]:
            nv -= 1
        if nv - st < 3:
            nv = st
        else:
            S.nloops += 1
            S.ls[S.nloops] = nv
        l += 1


# --- public functions -----------------------------------------------------------


def triangulate(
    points: npt.ArrayLike,
    edges: npt.ArrayLike,
    face_edges: npt.ArrayLike,
    face_offsets: npt.ArrayLike,
    *,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Result:
    """Triangulate a polyhedron's faces (``bimgeo.Polyhedron`` layout).

    points (n, 3) float64; edges (e, 2) 0-based point indices; face_edges
    signed 1-based edge references (-j walks edge j-1 backwards); face i is
    face_edges[face_offsets[i]:face_offsets[i+1]] and may hold several loops
    in any order (outer loops clockwise seen from outside, design.md §2).

    Returns (faces (m, 3) uint32 counter-clockwise from outside, face_source
    (m,) int32). Raises DecodeError naming the face for references out of
    range, bad offsets or loops that do not close; LimitError for a face
    longer than ``limits.max_face_size``.
    """
    pts, ed, fe, fo = prepare_polyhedron(points, edges, face_edges, face_offsets, element_id, limits)
    S = _State(pts.reshape(-1).tolist())
    edl = ed.reshape(-1).tolist()
    fel = fe.tolist()
    fol = fo.tolist()
    nf = len(fol) - 1
    big = 0
    f = 0
    while f < nf:
        if fol[f + 1] - fol[f] > big:
            big = fol[f + 1] - fol[f]
        f += 1
    headv = [-1] * len(pts)
    es = [0] * big
    et = [0] * big
    lnk = [0] * big
    used = [0] * big
    deg = [0] * len(pts)
    f = 0
    while f < nf:
        code, bad = _chain_face(S, edl, fel, fol[f], fol[f + 1], headv, es, et, lnk, used, deg)
        if code == OK:
            code = _triangulate_face(S, f, 1)
        if code != OK:
            raise _error(code, f, bad, element_id, "face")
        f += 1
    return finish(S.tri, S.src)


def triangulate_polygons(
    points: npt.ArrayLike,
    indices: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    loop_offsets: Optional[npt.ArrayLike] = None,
    clockwise_outer: bool = True,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Result:
    """Triangulate polygons given as loops of 0-based point indices.

    Without ``loop_offsets``, polygon i is the single loop
    indices[offsets[i]:offsets[i+1]]. With it (the GeoArrow layout), loop j
    is indices[loop_offsets[j]:loop_offsets[j+1]] and polygon i is loops
    offsets[i]..offsets[i+1]-1, outer loop and holes in any order.

    clockwise_outer=True: outer loops run clockwise seen from outside
    (meshblob, polymesh, design.md §6) and the triangles come out
    counter-clockwise; False: the triangles keep the outer loops' winding
    (three.js n-gons). Repeated consecutive indices are ignored.

    Returns (faces (m, 3) uint32, face_source (m,) int32 polygon index).
    """
    pts, idx, po, lo = prepare_polygons(points, indices, offsets, loop_offsets, element_id, limits)
    S = _State(pts.reshape(-1).tolist())
    idl = idx.tolist()
    lol = lo.tolist()
    pol = po.tolist()
    cw = 1 if clockwise_outer else 0
    nf = len(pol) - 1
    f = 0
    while f < nf:
        _polygon_loops(S, idl, lol, pol[f], pol[f + 1])
        code = _triangulate_face(S, f, cw)
        if code != OK:
            raise _error(code, f, -1, element_id, "polygon")
        f += 1
    return finish(S.tri, S.src)
