# cython: language_level=3
"""Polygon-with-holes triangulation, compiled.

A statement-by-statement translation of the core of
``bimgeo._pure.triangulate`` (read its docstring for the algorithm): the
same operations in the same order in every floating-point expression, so
that with -ffp-contract=off (setup.py) both give identical triangles.
Argument checking, messages and constants are imported from the twin.

All the work runs in ``noexcept nogil`` functions that return an error
code; node arrays grow before each island to the bound the algorithm can
reach (the island's points plus 2 per hole), so nothing deep inside
allocates except the blocker grid. Every offset, edge reference and point
index is checked before the core runs: in C (``_polyhedron_ok`` /
``_polygons_ok``) when the arguments already have the working dtypes and
layout, else, and whenever those checks flag anything, by the twin's
``prepare_*`` (numpy), which words the error; the loop chaining checks edge
references again before it follows them.
"""
from libc.math cimport fabs
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcpy, memset

import numpy as np

cimport numpy as cnp

from bimgeo._limits import get_default_limits
from bimgeo._pure.triangulate import (
    BRIDGE_BUDGET,
    E_HOLES,
    E_MEMORY,
    E_OPEN,
    GRID_MAX,
    GRID_MIN,
    K_BLOCK,
    K_CONVEX,
    K_GONE,
    K_SPIKE,
    MAX_COORDINATE,
    _error,
    prepare_polygons,
    prepare_polyhedron,
)

cnp.import_array()

__all__ = ["triangulate", "triangulate_polygons"]

cdef enum:
    C_OK = 0
    C_OPEN = 1  # = E_OPEN of the twin
    C_MEMORY = 2  # = E_MEMORY
    C_HOLES = 3  # = E_HOLES
    C_GONE = 0  # = K_GONE
    C_CONVEX = 1  # = K_CONVEX
    C_BLOCK = 2  # = K_BLOCK
    C_SPIKE = 3  # = K_SPIKE
    NODE_MAX = 700000000  # keeps every node count and index in int

if (E_OPEN != C_OPEN or E_MEMORY != C_MEMORY or E_HOLES != C_HOLES or K_GONE != C_GONE
        or K_CONVEX != C_CONVEX or K_BLOCK != C_BLOCK or K_SPIKE != C_SPIKE):
    raise ImportError("bimgeo._core.triangulate is out of step with bimgeo._pure.triangulate")

cdef int G_MIN = GRID_MIN
cdef int G_MAX = GRID_MAX
cdef long long BRIDGE_MAX = BRIDGE_BUDGET
cdef double MAX_COORD = MAX_COORDINATE


cdef struct Ranked:
    double key
    int idx


cdef struct HoleKey:
    double x
    double y
    int order
    int loop


cdef struct State:
    const double* pts
    # output
    int* tri
    int* src
    Py_ssize_t ntri
    Py_ssize_t tcap
    int face
    # loops of the current face
    int* lv
    int* ls
    int nloops
    double* lx
    double* ly
    double* ar
    double* bb
    Ranked* order
    int* depth
    int* owner
    int* head
    int* tail
    int* link
    HoleKey* keys
    int lcap
    int u
    int v
    double ox
    double oy
    long long bridge_budget
    # nodes of the current island
    int cap
    int nn
    int left
    int start
    int flip
    double* x
    double* y
    int* pi
    int* pv
    int* nx
    char* kd
    char* inq
    int* qr
    int* st
    char* ing
    int* qd
    int qh
    int qn
    int qcap
    int* ext
    int ne
    # blocker grid
    int gn
    double gx0
    double gy0
    double gsx
    double gsy
    int* gs
    int gcap
    int* gi
    # one block each for the per-face and the per-island arrays (carved by _carve)
    char* face_block
    char* island_block


cdef int _grow(void** ptr, size_t size) noexcept nogil:
    cdef void* q = realloc(ptr[0], size if size > 0 else 1)
    if q == NULL:
        return -1
    ptr[0] = q
    return 0


cdef inline size_t _round16(size_t n) noexcept nogil:
    return (n + 15) & ~(<size_t>15)


cdef inline void* _carve(char** at, size_t size) noexcept nogil:
    """The next ``size`` bytes of a block (16-byte aligned pieces)."""
    cdef void* p = at[0]
    at[0] += _round16(size)
    return p


cdef int _reserve_face(State* S, int n) noexcept nogil:
    """Per-face arrays for n loop points (and at most n loops), in one block (contents not kept)."""
    if n <= S.lcap and S.ls != NULL:
        return 0
    cdef size_t m = <size_t>n + 1
    cdef size_t total = (7 * _round16(m * sizeof(int)) + _round16((m + 1) * sizeof(int))
                         + 3 * _round16(m * sizeof(double)) + _round16(4 * m * sizeof(double))
                         + _round16(m * sizeof(Ranked)) + _round16(m * sizeof(HoleKey)))
    cdef char* block = <char*>malloc(total)
    if block == NULL:
        return -1
    free(S.face_block)
    S.face_block = block
    cdef char* at = block
    S.lv = <int*>_carve(&at, m * sizeof(int))
    S.ls = <int*>_carve(&at, (m + 1) * sizeof(int))
    S.lx = <double*>_carve(&at, m * sizeof(double))
    S.ly = <double*>_carve(&at, m * sizeof(double))
    S.ar = <double*>_carve(&at, m * sizeof(double))
    S.bb = <double*>_carve(&at, 4 * m * sizeof(double))
    S.order = <Ranked*>_carve(&at, m * sizeof(Ranked))
    S.depth = <int*>_carve(&at, m * sizeof(int))
    S.owner = <int*>_carve(&at, m * sizeof(int))
    S.head = <int*>_carve(&at, m * sizeof(int))
    S.tail = <int*>_carve(&at, m * sizeof(int))
    S.link = <int*>_carve(&at, m * sizeof(int))
    S.keys = <HoleKey*>_carve(&at, m * sizeof(HoleKey))
    S.lcap = n
    return 0


cdef int _reserve_island(State* S, long long nodes) noexcept nogil:
    """Room for ``nodes`` nodes and as many more triangles."""
    if nodes > NODE_MAX:
        return -1
    cdef size_t m
    cdef char* block
    cdef char* at
    if nodes > S.cap or S.x == NULL:  # node arrays in one block (contents not kept: the island refills them)
        m = <size_t>nodes + 1
        block = <char*>malloc(2 * _round16(m * sizeof(double)) + 8 * _round16(m * sizeof(int))
                              + 3 * _round16(m * sizeof(char)))
        if block == NULL:
            return -1
        free(S.island_block)
        S.island_block = block
        at = block
        S.x = <double*>_carve(&at, m * sizeof(double))
        S.y = <double*>_carve(&at, m * sizeof(double))
        S.pi = <int*>_carve(&at, m * sizeof(int))
        S.pv = <int*>_carve(&at, m * sizeof(int))
        S.nx = <int*>_carve(&at, m * sizeof(int))
        S.kd = <char*>_carve(&at, m * sizeof(char))
        S.inq = <char*>_carve(&at, m * sizeof(char))
        S.qr = <int*>_carve(&at, m * sizeof(int))
        S.st = <int*>_carve(&at, m * sizeof(int))
        S.ing = <char*>_carve(&at, m * sizeof(char))
        S.qd = <int*>_carve(&at, m * sizeof(int))
        S.ext = <int*>_carve(&at, m * sizeof(int))
        S.gi = <int*>_carve(&at, m * sizeof(int))
        S.cap = <int>nodes
    cdef Py_ssize_t want = S.ntri + <Py_ssize_t>nodes
    cdef Py_ssize_t t
    if want > S.tcap:
        t = S.tcap * 2
        if t < want:
            t = want
        if _grow(<void**>&S.tri, <size_t>t * 3 * sizeof(int)) or _grow(<void**>&S.src, <size_t>t * sizeof(int)):
            return -1
        S.tcap = t
    return 0


cdef void _free_state(State* S) noexcept nogil:
    free(S.face_block); free(S.island_block); free(S.gs); free(S.tri); free(S.src)


# --- the core: one function per function of the twin ---------------------------


cdef inline double _cross(double ax, double ay, double bx, double by, double cx, double cy) noexcept nogil:
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


cdef int _ring(State* S, int l, int ccw) noexcept nogil:
    cdef double* X = S.x
    cdef double* Y = S.y
    cdef int a0 = S.ls[l]
    cdef int n = S.ls[l + 1] - a0
    cdef int start = S.nn
    cdef bint fwd = (S.ar[l] > 0.0) == (ccw != 0)
    cdef int last = -1
    cdef int k = 0
    cdef int j, p
    cdef double x, y
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


cdef bint _sees(State* S, int w, int m, int same) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef double mx = X[m]
    cdef double my = Y[m]
    cdef double wx = X[w]
    cdef double wy = Y[w]
    cdef double dx, dy
    if same:
        dx = (X[S.pv[m]] - mx) + (X[S.nx[m]] - mx)
        dy = (Y[S.pv[m]] - my) + (Y[S.nx[m]] - my)
        if dx == 0.0 and dy == 0.0:
            dx = -1.0
    else:
        dx = mx - wx
        dy = my - wy
    cdef int a = S.pv[w]
    cdef int c = S.nx[w]
    cdef bint l1 = (wx - X[a]) * dy - (wy - Y[a]) * dx > 0.0
    cdef bint l2 = (X[c] - wx) * dy - (Y[c] - wy) * dx > 0.0
    if _cross(X[a], Y[a], wx, wy, X[c], Y[c]) >= 0.0:
        return l1 and l2
    return l1 or l2


cdef int _bridge_target(State* S, int m, int count) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef const int* NX = S.nx
    cdef double mx = X[m]
    cdef double my = Y[m]
    S.bridge_budget -= 2 * <long long>count
    cdef int e = -1
    cdef double hx = 0.0
    cdef int p = 0
    cdef int q, t
    cdef double py, qy, xi
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
    cdef double tx = X[t]
    cdef double ty = Y[t]
    cdef double ar = _cross(mx, my, hx, my, tx, ty)
    cdef double y0 = my
    cdef double y1 = ty
    if ty < my:
        y0 = ty
        y1 = my
    cdef int best = -1
    cdef double bdx = 0.0
    cdef double bdy = 0.0
    cdef int bsame = 0
    cdef bint bok = False
    cdef double wx, wy, dx, dy, lhs, rhs
    cdef bint inside, ok, take
    cdef int same
    p = 0
    while p < count:
        wx = X[p]
        wy = Y[p]
        if wx >= mx and wx <= tx and wy >= y0 and wy <= y1:
            if ar > 0.0:
                inside = (_cross(mx, my, hx, my, wx, wy) >= 0.0 and _cross(hx, my, tx, ty, wx, wy) >= 0.0
                          and _cross(tx, ty, mx, my, wx, wy) >= 0.0)
            elif ar < 0.0:
                inside = (_cross(mx, my, hx, my, wx, wy) <= 0.0 and _cross(hx, my, tx, ty, wx, wy) <= 0.0
                          and _cross(tx, ty, mx, my, wx, wy) <= 0.0)
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


cdef void _splice(State* S, int w, int m) noexcept nogil:
    cdef double* X = S.x
    cdef double* Y = S.y
    cdef int a = S.nx[w]
    cdef int h, hk, m2, w2
    if X[w] == X[m] and Y[w] == Y[m]:
        h = S.nx[m]
        S.nx[w] = h
        S.pv[h] = w
        S.nx[m] = a
        S.pv[a] = m
        return
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


cdef int _classify(State* S, int p) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef int a = S.pv[p]
    cdef int c = S.nx[p]
    cdef double cr = _cross(X[a], Y[a], X[p], Y[p], X[c], Y[c])
    if cr > 0.0:
        return C_CONVEX
    if cr < 0.0:
        return C_BLOCK
    if (X[p] - X[a]) * (X[c] - X[p]) + (Y[p] - Y[a]) * (Y[c] - Y[p]) > 0.0:
        return C_BLOCK
    return C_SPIKE


cdef int _update(State* S, int p) noexcept nogil:
    cdef int k = _classify(S, p)
    S.kd[p] = <char>k
    if k != C_CONVEX and S.ing[p] == 0:
        S.ing[p] = 1
        S.ext[S.ne] = p
        S.ne += 1
    return k


cdef inline int _cell(double f, int n) noexcept nogil:
    if f <= 0.0:
        return 0
    if f >= n:
        return n - 1
    return <int>f


cdef int _file_blockers(State* S) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef int nb = 0
    cdef double x0 = 0.0
    cdef double y0 = 0.0
    cdef double x1 = 0.0
    cdef double y1 = 0.0
    cdef int p = S.start
    cdef int i = 0
    cdef int k, g, c
    while i < S.left:
        k = _classify(S, p)
        S.kd[p] = <char>k
        S.inq[p] = 0
        S.qr[p] = 0
        S.st[p] = 0
        S.ing[p] = 0
        if k != C_CONVEX:
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
    if nb < G_MIN:
        p = S.start
        i = 0
        while i < S.left:
            if S.kd[p] != C_CONVEX:
                S.ing[p] = 1
                S.ext[S.ne] = p
                S.ne += 1
            p = S.nx[p]
            i += 1
        return C_OK
    g = 1
    while g * g * 2 < nb and g < G_MAX:
        g += 1
    if g * g + 1 > S.gcap or S.gs == NULL:
        if _grow(<void**>&S.gs, (<size_t>g * g + 1) * sizeof(int)) != 0:
            return C_MEMORY
        S.gcap = g * g + 1
    S.gn = g
    S.gx0 = x0
    S.gy0 = y0
    S.gsx = g / (x1 - x0) if x1 > x0 else 0.0
    if not (S.gsx <= 1e300):
        S.gsx = 0.0
    S.gsy = g / (y1 - y0) if y1 > y0 else 0.0
    if not (S.gsy <= 1e300):
        S.gsy = 0.0
    cdef int* gs = S.gs
    c = 0
    while c <= g * g:
        gs[c] = 0
        c += 1
    p = S.start
    i = 0
    while i < S.left:
        if S.kd[p] != C_CONVEX:
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
        if S.kd[p] != C_CONVEX:
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
    return C_OK


cdef bint _enters(State* S, int p, double e1x, double e1y, double e2x, double e2y) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef int n = S.pv[p]
    cdef double dx = X[n] - X[p]
    cdef double dy = Y[n] - Y[p]
    if e1x * dy - e1y * dx > 0.0 and dx * e2y - dy * e2x > 0.0:
        return True
    n = S.nx[p]
    dx = X[n] - X[p]
    dy = Y[n] - Y[p]
    return e1x * dy - e1y * dx > 0.0 and dx * e2y - dy * e2x > 0.0


cdef bint _blocks(State* S, int p, double ax, double ay, double bx, double by, double cx, double cy) noexcept nogil:
    cdef double px = S.x[p]
    cdef double py = S.y[p]
    if px == ax and py == ay:
        return _enters(S, p, bx - ax, by - ay, cx - ax, cy - ay)
    if px == bx and py == by:
        return _enters(S, p, cx - bx, cy - by, ax - bx, ay - by)
    if px == cx and py == cy:
        return _enters(S, p, ax - cx, ay - cy, bx - cx, by - cy)
    return (_cross(ax, ay, bx, by, px, py) >= 0.0 and _cross(bx, by, cx, cy, px, py) >= 0.0
            and _cross(cx, cy, ax, ay, px, py) >= 0.0)


cdef bint _ear_ok(State* S, int a, int b, int c) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef const char* kd = S.kd
    cdef double ax = X[a]
    cdef double ay = Y[a]
    cdef double bx = X[b]
    cdef double by = Y[b]
    cdef double cx = X[c]
    cdef double cy = Y[c]
    cdef int i = 0
    cdef int p
    while i < S.ne:
        p = S.ext[i]
        if kd[p] >= C_BLOCK and p != a and p != b and p != c and _blocks(S, p, ax, ay, bx, by, cx, cy):
            return False
        i += 1
    cdef int g = S.gn
    if g == 0:
        return True
    cdef double x0 = ax
    if bx < x0:
        x0 = bx
    if cx < x0:
        x0 = cx
    cdef double x1 = ax
    if bx > x1:
        x1 = bx
    if cx > x1:
        x1 = cx
    cdef double y0 = ay
    if by < y0:
        y0 = by
    if cy < y0:
        y0 = cy
    cdef double y1 = ay
    if by > y1:
        y1 = by
    if cy > y1:
        y1 = cy
    cdef int i0 = _cell((x0 - S.gx0) * S.gsx, g)
    cdef int i1 = _cell((x1 - S.gx0) * S.gsx, g)
    cdef int j = _cell((y0 - S.gy0) * S.gsy, g)
    cdef int j1 = _cell((y1 - S.gy0) * S.gsy, g)
    cdef const int* gs = S.gs
    cdef const int* gi = S.gi
    cdef int c0, k
    while j <= j1:
        i = i0
        while i <= i1:
            c0 = j * g + i
            k = gs[c0]
            while k < gs[c0 + 1]:
                p = gi[k]
                if kd[p] >= C_BLOCK and p != a and p != b and p != c and _blocks(S, p, ax, ay, bx, by, cx, cy):
                    return False
                k += 1
            i += 1
        j += 1
    return True


cdef inline void _emit(State* S, int a, int b, int c) noexcept nogil:
    cdef Py_ssize_t t = S.ntri
    S.src[t] = S.face
    if S.flip:
        S.tri[3 * t] = S.pi[a]
        S.tri[3 * t + 1] = S.pi[c]
        S.tri[3 * t + 2] = S.pi[b]
    else:
        S.tri[3 * t] = S.pi[a]
        S.tri[3 * t + 1] = S.pi[b]
        S.tri[3 * t + 2] = S.pi[c]
    S.ntri = t + 1


cdef inline void _unlink(State* S, int p) noexcept nogil:
    cdef int a = S.pv[p]
    cdef int c = S.nx[p]
    S.nx[a] = c
    S.pv[c] = a
    S.kd[p] = C_GONE
    if S.start == p:
        S.start = c
    S.left -= 1


cdef inline void _push(State* S, int p, int r) noexcept nogil:
    cdef int t
    if S.inq[p] == 0:
        S.inq[p] = 1
        S.qr[p] = r
        t = S.qh + S.qn
        if t >= S.qcap:
            t -= S.qcap
        S.qd[t] = p
        S.qn += 1


cdef void _refill(State* S) noexcept nogil:
    cdef int p = S.start
    cdef int i = 0
    while i < S.left:
        if S.kd[p] == C_CONVEX or S.kd[p] == C_SPIKE:
            _push(S, p, S.st[p])
        p = S.nx[p]
        i += 1


cdef int _force(State* S) noexcept nogil:
    cdef int p = S.start
    cdef int i = 0
    cdef int a, c
    while i < S.left:
        if S.kd[p] == C_CONVEX:
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


cdef void _cut_ears(State* S) noexcept nogil:
    cdef const double* X = S.x
    cdef const double* Y = S.y
    S.qh = 0
    S.qn = 0
    S.qcap = S.nn
    _refill(S)
    cdef int progress = 0
    cdef int p, k, a, c, r
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
        if k == C_GONE:
            continue
        if S.st[p] > S.qr[p]:
            _push(S, p, S.st[p])
            continue
        a = S.pv[p]
        c = S.nx[p]
        if k == C_SPIKE:
            _unlink(S, p)
        elif k == C_CONVEX and _ear_ok(S, a, p, c):
            _emit(S, a, p, c)
            _unlink(S, p)
        else:
            continue
        progress += 1
        r = S.qr[p] + 1
        S.st[a] = r
        S.st[c] = r
        if _update(S, a) != C_BLOCK:
            _push(S, a, r)
        if _update(S, c) != C_BLOCK:
            _push(S, c, r)
    if S.left == 3:
        p = S.start
        a = S.pv[p]
        c = S.nx[p]
        if _cross(X[a], Y[a], X[p], Y[p], X[c], Y[c]) > 0.0:
            _emit(S, a, p, c)


cdef int _point_in_loop(State* S, int l, double px, double py) noexcept nogil:
    cdef const double* X = S.lx
    cdef const double* Y = S.ly
    cdef int a0 = S.ls[l]
    cdef int b0 = S.ls[l + 1]
    S.bridge_budget -= b0 - a0
    cdef int inside = 0
    cdef int k = a0
    cdef int j
    cdef double ax, ay, bx, by, cr, xi
    while k < b0:
        j = k + 1
        if j == b0:
            j = a0
        ax = X[k]
        ay = Y[k]
        bx = X[j]
        by = Y[j]
        cr = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        if (cr == 0.0
                and px <= (ax if ax > bx else bx) and px >= (ax if ax < bx else bx)
                and py <= (ay if ay > by else by) and py >= (ay if ay < by else by)):
            return 2
        if (ay > py) != (by > py):
            xi = ax + (py - ay) * (bx - ax) / (by - ay)
            if px < xi:
                inside = 1 - inside
        k += 1
    return inside


cdef bint _loop_contains(State* S, int outer, int inner) noexcept nogil:
    if not (S.bb[4 * outer] <= S.bb[4 * inner] and S.bb[4 * outer + 1] <= S.bb[4 * inner + 1]
            and S.bb[4 * outer + 2] >= S.bb[4 * inner + 2] and S.bb[4 * outer + 3] >= S.bb[4 * inner + 3]):
        return False
    cdef int k = S.ls[inner]
    cdef int r, j
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


cdef int _cmp_ranked(const void* pa, const void* pb) noexcept nogil:
    # |area| descending, then loop index (the twin's sort key (-|area|, index))
    cdef const Ranked* a = <const Ranked*>pa
    cdef const Ranked* b = <const Ranked*>pb
    if a.key > b.key:
        return -1
    if a.key < b.key:
        return 1
    return (a.idx > b.idx) - (a.idx < b.idx)


cdef int _cmp_hole(const void* pa, const void* pb) noexcept nogil:
    # x descending, then y, then order ascending (the twin's sort key (-x, y, order, loop))
    cdef const HoleKey* a = <const HoleKey*>pa
    cdef const HoleKey* b = <const HoleKey*>pb
    if a.x > b.x:
        return -1
    if a.x < b.x:
        return 1
    if a.y < b.y:
        return -1
    if a.y > b.y:
        return 1
    return (a.order > b.order) - (a.order < b.order)


cdef inline void _newell_add(const double* pts, Py_ssize_t a, Py_ssize_t b, double ox3, double oy3, double oz3,
                             double* n) noexcept nogil:
    """Add edge a -> b to the Newell normal n (coordinates relative to (ox3, oy3, oz3))."""
    cdef double ax = pts[3 * a] - ox3
    cdef double ay = pts[3 * a + 1] - oy3
    cdef double az = pts[3 * a + 2] - oz3
    cdef double bx = pts[3 * b] - ox3
    cdef double by = pts[3 * b + 1] - oy3
    cdef double bz = pts[3 * b + 2] - oz3
    n[0] += (ay - by) * (az + bz)
    n[1] += (az - bz) * (ax + bx)
    n[2] += (ax - bx) * (ay + by)


cdef inline int _drop_axis(const double* n) noexcept nogil:
    """The axis of the normal's largest component (2 on ties with z, then 1):
    the face is projected onto the other two, (u, v) = (0, 1), (2, 0) or (1, 2)."""
    cdef double anx = fabs(n[0]), any_ = fabs(n[1]), anz = fabs(n[2])
    if anz >= anx and anz >= any_:
        return 2
    if any_ >= anx:
        return 1
    return 0


cdef int _triangulate_face(State* S, int face, int clockwise_outer) noexcept nogil:
    cdef int L = S.nloops
    if L == 0:
        return C_OK
    cdef const double* pts = S.pts
    cdef const int* lv = S.lv
    cdef const int* ls = S.ls
    cdef Py_ssize_t o = lv[0]
    cdef double ox3 = pts[3 * o]
    cdef double oy3 = pts[3 * o + 1]
    cdef double oz3 = pts[3 * o + 2]
    cdef double nrm[3]
    cdef int l = 0
    cdef int k, j, n, nl, r, li, lj, parent, q, drop
    cdef double s, x0, y0, x1, y1
    # Newell normal of all loops, relative to the first point
    nrm[0] = 0.0
    nrm[1] = 0.0
    nrm[2] = 0.0
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
    cdef int u = S.u
    cdef int v = S.v
    S.ox = pts[3 * o + u]
    S.oy = pts[3 * o + v]
    n = ls[L]
    k = 0
    while k < n:
        S.lx[k] = pts[3 * <Py_ssize_t>lv[k] + u] - S.ox
        S.ly[k] = pts[3 * <Py_ssize_t>lv[k] + v] - S.oy
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
    l = 0
    while l < L:
        S.order[l].key = fabs(S.ar[l])
        S.order[l].idx = l
        S.depth[l] = 0
        S.owner[l] = -1
        S.head[l] = -1
        S.tail[l] = -1
        S.link[l] = -1
        l += 1
    qsort(S.order, <size_t>L, sizeof(Ranked), _cmp_ranked)
    nl = 0
    while nl < L and S.ar[S.order[nl].idx] != 0.0:
        nl += 1
    S.bridge_budget = BRIDGE_MAX
    r = 0
    while r < nl:
        li = S.order[r].idx
        parent = -1
        q = r - 1
        while q >= 0:
            S.bridge_budget -= 1
            lj = S.order[q].idx
            if _loop_contains(S, lj, li):
                parent = lj
                break
            q -= 1
        if parent < 0:
            S.depth[li] = 0
            S.owner[li] = li
        else:
            S.depth[li] = S.depth[parent] + 1
            if S.depth[li] % 2 == 0:
                S.owner[li] = li
            else:
                S.owner[li] = parent
                if S.tail[parent] < 0:
                    S.head[parent] = li
                else:
                    S.link[S.tail[parent]] = li
                S.tail[parent] = li
        if S.bridge_budget < 0:
            return C_HOLES
        r += 1
    S.face = face
    cdef int code
    r = 0
    while r < nl:
        li = S.order[r].idx
        if S.owner[li] == li:
            code = _triangulate_island(S, li, clockwise_outer)
            if code != C_OK:
                return code
        r += 1
    return C_OK


cdef int _triangulate_island(State* S, int li, int clockwise_outer) noexcept nogil:
    cdef const int* ls = S.ls
    cdef long long cap = ls[li + 1] - ls[li]
    cdef int h = S.head[li]
    while h >= 0:
        cap += ls[h + 1] - ls[h] + 2
        h = S.link[h]
    if _reserve_island(S, cap) != 0:
        return C_MEMORY
    S.nn = 0
    S.flip = 1 if (S.ar[li] > 0.0) == (clockwise_outer != 0) else 0
    cdef int outer = _ring(S, li, 1)
    if outer < 0:
        return C_OK
    cdef int order = 0
    cdef int k, best
    h = S.head[li]
    while h >= 0:
        k = ls[h]
        best = k
        while k < ls[h + 1]:
            if S.lx[k] > S.lx[best] or (S.lx[k] == S.lx[best] and S.ly[k] < S.ly[best]):
                best = k
            k += 1
        S.keys[order].x = S.lx[best]
        S.keys[order].y = S.ly[best]
        S.keys[order].order = order
        S.keys[order].loop = h
        order += 1
        h = S.link[h]
    qsort(S.keys, <size_t>order, sizeof(HoleKey), _cmp_hole)
    cdef const double* X = S.x
    cdef const double* Y = S.y
    cdef int i = 0
    cdef int count, m, p, w
    while i < order:
        count = S.nn
        m = _ring(S, S.keys[i].loop, 0)
        if m >= 0:
            p = m + 1
            while p < S.nn:
                if X[p] > X[m] or (X[p] == X[m] and Y[p] < Y[m]):
                    m = p
                p += 1
            w = _bridge_target(S, m, count)
            if S.bridge_budget < 0:
                return C_HOLES
            if w < 0:
                S.nn = count
            else:
                _splice(S, w, m)
        i += 1
    S.start = outer
    S.left = S.nn
    cdef int code = _file_blockers(S)
    if code != C_OK:
        return code
    _cut_ears(S)
    return C_OK


# --- loop extraction ---------------------------------------------------------


cdef struct Plane:
    int u
    int v
    double ox
    double oy
    double sg


cdef void _chain_plane(State* S, const int* es, const int* et, int m, Plane* P) noexcept nogil:
    cdef const double* pts = S.pts
    cdef int o = es[0]
    cdef double nrm[3]
    cdef int j = 0, drop
    nrm[0] = 0.0
    nrm[1] = 0.0
    nrm[2] = 0.0
    while j < m:
        _newell_add(pts, es[j], et[j], pts[3 * o], pts[3 * o + 1], pts[3 * o + 2], nrm)
        j += 1
    drop = _drop_axis(nrm)
    P.u = (drop + 1) % 3
    P.v = (drop + 2) % 3
    P.sg = -1.0 if nrm[drop] < 0.0 else 1.0
    P.ox = pts[3 * o + P.u]
    P.oy = pts[3 * o + P.v]


cdef int _turn(State* S, const Plane* P, int s, int w, const int* headv, const int* et, const int* lnk,
               const char* used, int also) noexcept nogil:
    cdef const double* pts = S.pts
    cdef int u = P.u, v = P.v
    cdef double ox = P.ox, oy = P.oy, sg = P.sg
    cdef double wx = pts[3 * w + u] - ox
    cdef double wy = (pts[3 * w + v] - oy) * sg
    cdef double bx = (pts[3 * s + u] - ox) - wx
    cdef double by = (pts[3 * s + v] - oy) * sg - wy
    cdef int best = -1, bc = 0, k, q, t
    cdef double bdx = 0.0, bdy = 0.0, dx, dy, c
    q = headv[w]
    while q >= 0:
        if used[q] == 0 or q == also:
            t = et[q]
            dx = (pts[3 * t + u] - ox) - wx
            dy = (pts[3 * t + v] - oy) * sg - wy
            c = bx * dy - by * dx
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


cdef int _chain_face(State* S, const int* edges, Py_ssize_t n_edges, Py_ssize_t n_points,
                     const int* fe, Py_ssize_t k0, Py_ssize_t k1, int* headv, int* es, int* et,
                     int* lnk, char* used, int* deg, int* bad) noexcept nogil:
    cdef int m = 0
    cdef Py_ssize_t k = k0
    cdef long long r, e
    cdef int s, t, j, j0, nv, first, cur, q
    cdef int code = C_OK
    cdef int branch = 0
    cdef Plane P
    while k < k1:
        r = fe[k]
        if r > 0:
            e = r - 1
        else:
            e = -r - 1
        if e < 0 or e >= n_edges:  # prepare_polyhedron checked this; stay safe anyway
            bad[0] = -1
            return C_OPEN
        if r > 0:
            s = edges[2 * e]
            t = edges[2 * e + 1]
        else:
            s = edges[2 * e + 1]
            t = edges[2 * e]
        if s < 0 or s >= n_points or t < 0 or t >= n_points:
            bad[0] = -1
            return C_OPEN
        if s != t:
            es[m] = s
            et[m] = t
            m += 1
        k += 1
    j = m - 1
    while j >= 0:
        lnk[j] = headv[es[j]]
        headv[es[j]] = j
        used[j] = 0
        deg[es[j]] += 1
        if deg[es[j]] > 1:
            branch = 1
        j -= 1
    P.u = 0
    P.v = 1
    P.ox = 0.0
    P.oy = 0.0
    P.sg = 1.0
    if branch:
        _chain_plane(S, es, et, m, &P)
    S.nloops = 0
    S.ls[0] = 0
    nv = 0
    j0 = 0
    while j0 < m and code == C_OK:
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
                q = _turn(S, &P, es[j], cur, headv, et, lnk, used, j0 if cur == first else -1)
                if q == j0:
                    break
            else:
                if cur == first:
                    break
                if j + 1 < m and used[j + 1] == 0 and es[j + 1] == cur:
                    j = j + 1
                    continue
                q = headv[cur]
                if q >= 0 and used[q]:
                    q = -1
            if q < 0:
                code = C_OPEN
                bad[0] = cur
                break
            j = q
        if code != C_OK:
            break
        if nv - S.ls[S.nloops] < 3:
            nv = S.ls[S.nloops]
        else:
            S.nloops += 1
            S.ls[S.nloops] = nv
        j0 += 1
    j = 0
    while j < m:
        headv[es[j]] = -1
        deg[es[j]] = 0
        j += 1
    return code


cdef void _polygon_loops(State* S, const int* idx, const long long* lo, Py_ssize_t l0, Py_ssize_t l1) noexcept nogil:
    S.nloops = 0
    S.ls[0] = 0
    cdef int nv = 0
    cdef int st, w
    cdef Py_ssize_t l = l0
    cdef long long k
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


cdef int _run_polyhedron(State* S, const int* edges, Py_ssize_t n_edges, Py_ssize_t n_points,
                         const int* fe, const long long* fo, Py_ssize_t nf, int* bad_face,
                         int* bad_point) noexcept nogil:
    cdef long long big = 0
    cdef Py_ssize_t f = 0
    while f < nf:
        if fo[f + 1] - fo[f] > big:
            big = fo[f + 1] - fo[f]
        f += 1
    if big > NODE_MAX or _reserve_face(S, <int>big) != 0:
        bad_face[0] = 0
        return C_MEMORY
    cdef size_t mb = <size_t>big + 1
    cdef char* block = <char*>malloc(2 * _round16((<size_t>n_points + 1) * sizeof(int))
                                     + 3 * _round16(mb * sizeof(int)) + _round16(mb))
    cdef char* at = block
    cdef int* headv = NULL
    cdef int* deg = NULL
    cdef int* es = NULL
    cdef int* et = NULL
    cdef int* lnk = NULL
    cdef char* used = NULL
    cdef int code = C_OK
    cdef Py_ssize_t p
    if block == NULL:
        code = C_MEMORY
        bad_face[0] = 0
    else:
        headv = <int*>_carve(&at, (<size_t>n_points + 1) * sizeof(int))
        deg = <int*>_carve(&at, (<size_t>n_points + 1) * sizeof(int))
        es = <int*>_carve(&at, mb * sizeof(int))
        et = <int*>_carve(&at, mb * sizeof(int))
        lnk = <int*>_carve(&at, mb * sizeof(int))
        used = <char*>_carve(&at, mb)
        p = 0
        while p < n_points:
            headv[p] = -1
            deg[p] = 0
            p += 1
        f = 0
        while f < nf:
            code = _chain_face(S, edges, n_edges, n_points, fe, fo[f], fo[f + 1], headv, es, et, lnk, used,
                               deg, bad_point)
            if code == C_OK:
                code = _triangulate_face(S, <int>f, 1)
            if code != C_OK:
                bad_face[0] = <int>f
                break
            f += 1
    free(block)
    return code


cdef int _run_polygons(State* S, const int* idx, const long long* lo, const long long* po, Py_ssize_t nf,
                       int cw, int* bad_face) noexcept nogil:
    cdef long long big = 0
    cdef Py_ssize_t f = 0
    while f < nf:
        if lo[po[f + 1]] - lo[po[f]] > big:
            big = lo[po[f + 1]] - lo[po[f]]
        f += 1
    if big > NODE_MAX or _reserve_face(S, <int>big) != 0:
        bad_face[0] = 0
        return C_MEMORY
    cdef int code = C_OK
    f = 0
    while f < nf:
        _polygon_loops(S, idx, lo, po[f], po[f + 1])
        code = _triangulate_face(S, <int>f, cw)
        if code != C_OK:
            bad_face[0] = <int>f
            break
        f += 1
    return code


# --- argument checks, the fast path ------------------------------------------------
#
# The twin's ``prepare_*`` (numpy) words every error. When the arguments are
# already what it would return (exact ndarrays of the working dtype and shape,
# C-contiguous, aligned, native byte order: what the decoders pass), the
# checks below run in C instead; they flag everything ``prepare_*`` would
# refuse (flagging more is harmless), and on any flag the twin's ``prepare_*``
# runs on the same arguments, so the error raised is its error. Any other
# argument goes through ``prepare_*`` as before.


cdef inline bint _is_carray(object a, int ndim, Py_ssize_t width) noexcept:
    """``a`` an exact ndarray of ``ndim`` dims (width = the second dim), C-contiguous, aligned, native?"""
    if type(a) is not cnp.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    return (cnp.PyArray_NDIM(arr) == ndim and cnp.PyArray_ISCARRAY_RO(arr) and cnp.PyArray_ISNOTSWAPPED(arr)
            and (ndim == 1 or cnp.PyArray_DIM(arr, 1) == width))


cdef inline bint _is_f64(object a, int ndim, Py_ssize_t width) noexcept:
    return _is_carray(a, ndim, width) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_FLOAT64


cdef inline bint _is_i32(object a, int ndim, Py_ssize_t width) noexcept:
    return _is_carray(a, ndim, width) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_INT32


cdef inline bint _is_i64(object a) noexcept:
    if not _is_carray(a, 1, 0):
        return False
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>a)
    return (t == cnp.NPY_INT64 or t == cnp.NPY_LONGLONG) and cnp.PyArray_ITEMSIZE(<cnp.ndarray>a) == 8


cdef bint _face_limit(object limits, long long* out):
    """``limits.max_face_size`` (default limits when None) as a C integer; False when it is not a plain int that fits."""
    if limits is None:
        limits = get_default_limits()
    try:
        value = limits.max_face_size
        if type(value) is not int:
            return False
        out[0] = value
    except Exception:  # a missing attribute, an int beyond long long: leave it to the twin
        return False
    return True


cdef inline bint _point_ok(const double* pts, long long p) noexcept nogil:
    """The twin's ``np.abs(points[p]) <= MAX_COORDINATE`` for all three coordinates (NaN fails)."""
    return fabs(pts[3 * p]) <= MAX_COORD and fabs(pts[3 * p + 1]) <= MAX_COORD and fabs(pts[3 * p + 2]) <= MAX_COORD


cdef bint _offsets_ok(const long long* off, Py_ssize_t n, long long total) noexcept nogil:
    """The twin's ``_check_offsets``: every offset in 0..total, non-decreasing."""
    cdef Py_ssize_t i
    for i in range(n):
        if off[i] < 0 or off[i] > total:
            return False
    for i in range(n - 1):
        if off[i + 1] < off[i]:
            return False
    return True


cdef bint _polyhedron_ok(const double* pts, Py_ssize_t n_points, const int* edges, Py_ssize_t n_edges,
                         const int* fe, Py_ssize_t n_fe, const long long* fo, Py_ssize_t n_fo,
                         long long max_face) noexcept nogil:
    """False when ``prepare_polyhedron`` may refuse these arrays (n_fo >= 1)."""
    cdef Py_ssize_t i
    cdef long long k, r, e, s, t
    if not _offsets_ok(fo, n_fo, n_fe):
        return False
    for i in range(n_fo - 1):
        if fo[i + 1] - fo[i] > max_face:
            return False
    for k in range(fo[0], fo[n_fo - 1]):
        r = fe[k]
        e = r if r > 0 else -r
        if r == 0 or e > n_edges:
            return False
        s = edges[2 * (e - 1)]
        t = edges[2 * (e - 1) + 1]
        if s < 0 or s >= n_points or t < 0 or t >= n_points:
            return False
        if not _point_ok(pts, s) or not _point_ok(pts, t):
            return False
    return True


cdef bint _polygons_ok(const double* pts, Py_ssize_t n_points, const int* idx, Py_ssize_t n_idx,
                       const long long* po, Py_ssize_t n_po, const long long* lo, Py_ssize_t n_lo,
                       long long max_face) noexcept nogil:
    """False when ``prepare_polygons`` may refuse these arrays (n_po, n_lo >= 1; po == NULL: no loop_offsets)."""
    cdef Py_ssize_t f, nf
    cdef long long k, a, b, v
    if not _offsets_ok(lo, n_lo, n_idx):
        return False
    if po != NULL:
        if not _offsets_ok(po, n_po, n_lo - 1):
            return False
        nf = n_po - 1
        for f in range(nf):
            if lo[po[f + 1]] - lo[po[f]] > max_face:
                return False
        a = lo[po[0]]
        b = lo[po[nf]]
    else:
        nf = n_lo - 1
        for f in range(nf):
            if lo[f + 1] - lo[f] > max_face:
                return False
        a = lo[0]
        b = lo[nf]
    for k in range(a, b):
        v = idx[k]
        if v < 0 or v >= n_points or not _point_ok(pts, v):
            return False
    return True


cdef object _result(State* S):
    cdef cnp.npy_intp dims[2]
    dims[0] = S.ntri
    dims[1] = 3
    cdef cnp.ndarray faces = cnp.PyArray_EMPTY(2, dims, cnp.NPY_UINT32, 0)
    cdef cnp.ndarray source = cnp.PyArray_EMPTY(1, dims, cnp.NPY_INT32, 0)
    if S.ntri > 0:
        memcpy(cnp.PyArray_DATA(faces), S.tri, <size_t>S.ntri * 3 * sizeof(int))
        memcpy(cnp.PyArray_DATA(source), S.src, <size_t>S.ntri * sizeof(int))
    return faces, source


def triangulate(points, edges, face_edges, face_offsets, *, element_id=None, limits=None):
    """Triangulate a polyhedron's faces (``bimgeo.Polyhedron`` layout).

    See ``bimgeo._pure.triangulate.triangulate``: same arguments, output and errors.
    """
    cdef long long max_face = 0
    cdef long long no_faces = 0
    cdef bint ok = False
    cdef const double* p_ptr = NULL
    cdef const int* e_ptr = NULL
    cdef const int* fe_ptr = NULL
    cdef const long long* fo_ptr = NULL
    cdef Py_ssize_t n_points = 0, n_edges = 0, n_fe = 0, n_fo = 0
    if (_is_f64(points, 2, 3) and _is_i32(edges, 2, 2) and _is_i32(face_edges, 1, 0) and _is_i64(face_offsets)
            and _face_limit(limits, &max_face)):
        pts, ed, fe, fo = points, edges, face_edges, face_offsets
        p_ptr = <const double*>cnp.PyArray_DATA(<cnp.ndarray>pts)
        e_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>ed)
        fe_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>fe)
        fo_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>fo)
        n_points = cnp.PyArray_DIM(<cnp.ndarray>pts, 0)
        n_edges = cnp.PyArray_DIM(<cnp.ndarray>ed, 0)
        n_fe = cnp.PyArray_DIM(<cnp.ndarray>fe, 0)
        n_fo = cnp.PyArray_DIM(<cnp.ndarray>fo, 0)
        if n_fo == 0:  # no faces (as bimgeo.Polyhedron reads it)
            fo_ptr = &no_faces
            n_fo = 1
        with nogil:
            ok = _polyhedron_ok(p_ptr, n_points, e_ptr, n_edges, fe_ptr, n_fe, fo_ptr, n_fo, max_face)
    if not ok:  # the twin checks (and words any error)
        pts, ed, fe, fo = prepare_polyhedron(points, edges, face_edges, face_offsets, element_id, limits)
        pts = np.ascontiguousarray(pts, dtype=np.float64)
        ed = np.ascontiguousarray(ed, dtype=np.int32)
        fe = np.ascontiguousarray(fe, dtype=np.int32)
        fo = np.ascontiguousarray(fo, dtype=np.int64)
        p_ptr = <const double*>cnp.PyArray_DATA(<cnp.ndarray>pts)
        e_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>ed)
        fe_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>fe)
        fo_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>fo)
        n_points = cnp.PyArray_SIZE(<cnp.ndarray>pts) // 3
        n_edges = cnp.PyArray_SIZE(<cnp.ndarray>ed) // 2
        n_fo = cnp.PyArray_SIZE(<cnp.ndarray>fo)
    cdef State S
    memset(&S, 0, sizeof(State))
    S.pts = p_ptr
    cdef int bad_face = 0
    cdef int bad_point = -1
    cdef int code
    try:
        with nogil:
            code = _run_polyhedron(&S, e_ptr, n_edges, n_points, fe_ptr, fo_ptr, n_fo - 1, &bad_face, &bad_point)
        if code != C_OK:
            raise _error(code, bad_face, bad_point, element_id, "face")
        return _result(&S)
    finally:
        _free_state(&S)


def triangulate_polygons(points, indices, offsets, *, loop_offsets=None, clockwise_outer=True,
                         element_id=None, limits=None):
    """Triangulate polygons given as loops of 0-based point indices.

    See ``bimgeo._pure.triangulate.triangulate_polygons``: same arguments, output and errors.
    """
    cdef long long max_face = 0
    cdef long long no_po = 0
    cdef long long no_lo = 0
    cdef bint ok = False
    cdef const double* p_ptr = NULL
    cdef const int* i_ptr = NULL
    cdef const long long* po_ptr = NULL
    cdef const long long* lo_ptr = NULL
    cdef long long* seq = NULL
    cdef Py_ssize_t n_points = 0, n_idx = 0, n_po = 0, n_lo = 0, f
    cdef int cw = 1 if clockwise_outer else 0
    if (_is_f64(points, 2, 3) and _is_i32(indices, 1, 0) and _is_i64(offsets)
            and (loop_offsets is None or _is_i64(loop_offsets)) and _face_limit(limits, &max_face)):
        pts, idx, po = points, indices, offsets
        p_ptr = <const double*>cnp.PyArray_DATA(<cnp.ndarray>pts)
        i_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>idx)
        po_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>po)
        n_points = cnp.PyArray_DIM(<cnp.ndarray>pts, 0)
        n_idx = cnp.PyArray_DIM(<cnp.ndarray>idx, 0)
        n_po = cnp.PyArray_DIM(<cnp.ndarray>po, 0)
        if n_po == 0:
            po_ptr = &no_po
            n_po = 1
        if loop_offsets is None:  # polygon i is loop i
            lo = po
            lo_ptr = po_ptr
            n_lo = n_po
            po_ptr = NULL
        else:
            lo = loop_offsets
            lo_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>lo)
            n_lo = cnp.PyArray_DIM(<cnp.ndarray>lo, 0)
            if n_lo == 0:
                lo_ptr = &no_lo
                n_lo = 1
        with nogil:
            ok = _polygons_ok(p_ptr, n_points, i_ptr, n_idx, po_ptr, n_po, lo_ptr, n_lo, max_face)
    if not ok:  # the twin checks (and words any error)
        pts, idx, po, lo = prepare_polygons(points, indices, offsets, loop_offsets, element_id, limits)
        pts = np.ascontiguousarray(pts, dtype=np.float64)
        idx = np.ascontiguousarray(idx, dtype=np.int32)
        po = np.ascontiguousarray(po, dtype=np.int64)
        lo = np.ascontiguousarray(lo, dtype=np.int64)
        p_ptr = <const double*>cnp.PyArray_DATA(<cnp.ndarray>pts)
        i_ptr = <const int*>cnp.PyArray_DATA(<cnp.ndarray>idx)
        po_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>po)
        lo_ptr = <const long long*>cnp.PyArray_DATA(<cnp.ndarray>lo)
        n_po = cnp.PyArray_SIZE(<cnp.ndarray>po)
    cdef State S
    memset(&S, 0, sizeof(State))
    S.pts = p_ptr
    cdef int bad_face = 0
    cdef int code
    try:
        if po_ptr == NULL:  # polygon i is loop i: po = 0, 1, ..., n_lo - 1
            seq = <long long*>malloc(<size_t>n_lo * sizeof(long long))
            if seq == NULL:
                raise _error(C_MEMORY, 0, -1, element_id, "polygon")
            for f in range(n_lo):
                seq[f] = f
            po_ptr = seq
            n_po = n_lo
        with nogil:
            code = _run_polygons(&S, i_ptr, lo_ptr, po_ptr, n_po - 1, cw, &bad_face)
        if code != C_OK:
            raise _error(code, bad_face, -1, element_id, "polygon")
        return _result(&S)
    finally:
        free(seq)
        _free_state(&S)
