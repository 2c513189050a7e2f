"""Time bimgeo's triangulation on both backends and print the ratio.

    python benchmarks/bench_triangulate.py [--repeat 5]

Cases: one 20,000-sided face (a prism cap), one square face with 500 square
holes, one with 5,000, and the whole 20,000-sided prism as a polyhedron.
Times are the best of --repeat runs (the pure-Python twin runs once).
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from bimgeo._core import triangulate as compiled
from bimgeo._pure import triangulate as pure


def ngon(n):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.column_stack([100 * np.cos(t), 100 * np.sin(t), np.zeros(n)])
    idx = np.arange(n)[::-1]  # clockwise seen from +z, the outside
    return pts, idx, np.array([0, n]), None


def holes(h, cell=10.0, size=5.0):
    g = max(1, math.ceil(math.sqrt(h)))
    w = cell * g
    loops = [np.array([(0, 0), (0, w), (w, w), (w, 0)], dtype=float)]
    for k in range(h):
        i, j = divmod(k, g)
        x0, y0 = cell * i + 2, cell * j + 2
        loops.append(np.array([(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)]))
    xy = np.concatenate(loops)
    pts = np.column_stack([xy, np.zeros(len(xy))])
    lo = np.cumsum([0] + [len(x) for x in loops])
    # holes first, outer last: order must not matter
    order = list(range(1, len(loops))) + [0]
    idx = np.concatenate([np.arange(lo[i], lo[i + 1]) for i in order])
    lo2 = np.cumsum([0] + [len(loops[i]) for i in order])
    return pts, idx, np.array([0, len(loops)]), lo2


def prism_polyhedron(n, height=10.0):
    """The n-gon prism in Polyhedron layout (edges shared, loops clockwise from outside)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([100 * np.cos(t), 100 * np.sin(t)])
    pts = np.vstack([np.column_stack([ring, np.zeros(n)]), np.column_stack([ring, np.full(n, height)])])
    k = np.arange(n)
    edges = np.vstack([np.column_stack([k, (k + 1) % n]),  # bottom ring, edges 1..n
                       np.column_stack([k + n, (k + 1) % n + n]),  # top ring, n+1..2n
                       np.column_stack([k, k + n])]).astype(np.int32)  # verticals, 2n+1..3n
    bottom = k + 1  # counter-clockwise from +z = clockwise seen from below (outside)
    top = -(n + 1 + k[::-1])  # the top ring walked backwards: clockwise seen from above
    sides = np.column_stack([2 * n + 1 + k, n + 1 + k, -(2 * n + 1 + (k + 1) % n), -(k + 1)])
    fe = np.concatenate([bottom, top, sides.reshape(-1)]).astype(np.int32)
    fo = np.concatenate([[0, n, 2 * n], 2 * n + 4 * (k + 1)]).astype(np.int64)
    return pts, edges, fe, fo


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--all", action="store_true", help="also time the pure twin on the 5000-hole face (~1 min)")
    args = ap.parse_args()
    cases = [
        ("20000-gon face", "polygons", ngon(20000)),
        ("500-hole face", "polygons", holes(500)),
        ("5000-hole face*", "polygons", holes(5000)),
        ("20000-gon prism", "polyhedron", prism_polyhedron(20000)),
    ]
    print(f"{'case':<18}{'triangles':>10}{'compiled s':>12}{'pure s':>10}{'ratio':>8}")
    for name, kind, data in cases:
        if kind == "polygons":
            pts, idx, off, lo = data
            run_c = lambda: compiled.triangulate_polygons(pts, idx, off, loop_offsets=lo)  # noqa: E731
            run_p = lambda: pure.triangulate_polygons(pts, idx, off, loop_offsets=lo)  # noqa: E731
        else:
            run_c = lambda: compiled.triangulate(*data)  # noqa: E731
            run_p = lambda: pure.triangulate(*data)  # noqa: E731
        tc, (fc, sc) = best(run_c, args.repeat)
        if name.endswith("*") and not args.all:
            print(f"{name:<18}{len(fc):>10}{tc:>12.4f}{'-':>10}{'-':>8}")
            continue
        tp, (fp, sp) = best(run_p, 1)
        if not (np.array_equal(fc, fp) and np.array_equal(sc, sp)):
            raise SystemExit(f"{name}: the backends disagree")
        print(f"{name:<18}{len(fc):>10}{tc:>12.4f}{tp:>10.3f}{tp / tc:>8.0f}")
    print("* pure twin timed only with --all")


if __name__ == "__main__":
    main()
