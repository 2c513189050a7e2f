"""Print bimgeo's speed ratios, every pair measured side by side in one run.

    python benchmarks/report.py              # full report (about a minute)
    python benchmarks/report.py --quick      # smaller inputs, fewer repeats (CI smoke)
    python benchmarks/report.py --threads 1,2,4,8 --json out.json

Method: each candidate is a callable that processes a whole workload once.
It is calibrated to run for at least ``--min-time`` per sample (the workload
repeated ``inner`` times), then the candidates of one comparison are sampled
in turn, ``--repeats`` rounds, the order rotating each round so drift hits
all of them alike; the median sample, divided by ``inner`` and the number of
items, is the time per item. Inputs are seeded (benchmarks/workloads.py):
the same bytes on every machine.

Ratios:
  parse_polyhedron speed-up over the ``nrbf`` package = t(nrbf.loads) / t(parse_polyhedron)
      on the same MS-NRBF streams (goal >= 200x);
  decode_meshblob / stdlib unpack = t(decode_meshblob) / t(gzip.decompress(base64.b64decode(p)))
      on the same pictures (goal <= 1.0x; decode_meshblob returns triangles);
  thread speed-up = t(1 thread) / t(k threads) decoding the building.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Sequence

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import workloads as W  # noqa: E402

import bimgeo  # noqa: E402

Timings = Dict[str, float]


def _once(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(cands: Dict[str, Callable[[], Any]], n_items: int, repeats: int, min_time: float) -> Timings:
    """Median seconds per item of each candidate, sampled side by side."""
    inner: Dict[str, int] = {}
    for name, fn in cands.items():
        t = _once(fn)  # warm-up (caches, lazy imports) ...
        t = min(t, _once(fn))  # ... and calibration
        inner[name] = max(1, int(min_time / max(t, 1e-9)) + 1) if t < min_time else 1
    samples: Dict[str, List[float]] = {name: [] for name in cands}
    names = list(cands)
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn, m = cands[name], inner[name]
            t0 = time.perf_counter()
            for _ in range(m):
                fn()
            samples[name].append((time.perf_counter() - t0) / m)
    return {name: statistics.median(s) / n_items for name, s in samples.items()}


def _loop(fn: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for x in items:
            fn(x)

    return run


def _threads_label(k: int) -> str:
    return f"{k} thread" + ("s" if k > 1 else "")


def fmt_t(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:9.2f} us"
    if s < 1.0:
        return f"{s * 1e3:9.2f} ms"
    return f"{s:9.3f} s "


def table(title: str, rows: List[List[str]], head: List[str]) -> None:
    print(f"\n## {title}\n")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def main(argv: Sequence[str] = ()) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, 3 repeats")
    ap.add_argument("--repeats", type=int, default=None, help="samples per candidate (default 9, quick 3)")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per sample (default 0.05)")
    ap.add_argument("--building", type=int, default=None, help="elements in the building (default 2000)")
    ap.add_argument("--threads", default="1,2", help="thread counts for the scaling table (default 1,2)")
    ap.add_argument("--seed", type=int, default=W.SEED)
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    args = ap.parse_args(list(argv) or None)

    quick = args.quick
    repeats = args.repeats or (3 if quick else 9)
    min_time = args.min_time or (0.01 if quick else 0.05)
    n_building = args.building or (200 if quick else 2000)
    threads = [int(t) for t in args.threads.split(",") if t]

    parse = W.api("parse_polyhedron")
    decode_poly = W.api("decode_polyhedron")
    decode = W.api("decode_meshblob")
    triangulate = W.api("triangulate")
    import nrbf

    out: Dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "implementation": bimgeo.IMPLEMENTATION,
        "bimgeo": bimgeo.__version__,
        "seed": args.seed,
        "repeats": repeats,
        "building": n_building,
    }
    print("# bimgeo benchmark report")
    print(f"\n`python benchmarks/report.py {' '.join(argv or sys.argv[1:])}`".rstrip())
    print(
        f"\nPython {out['python']}, {out['platform']}, {out['cpus']} CPUs, "
        f"bimgeo {out['bimgeo']} ({out['implementation']} core), median of {repeats} samples, seed {args.seed}"
    )

    t0 = time.perf_counter()
    spec_pics = W.spec_pictures()
    spec_streams = W.spec_streams()
    build_pics = list(W.building(n_building, args.seed))
    build_streams = list(W.building_streams(n_building, args.seed))
    print(f"\n(inputs built in {time.perf_counter() - t0:.1f} s)")

    # 1. parse_polyhedron vs the nrbf package -----------------------------------
    rows = []
    sub = build_streams[: min(len(build_streams), 200)]  # nrbf is slow: a 200-stream slice
    res_parse = {}
    for label, items in (("5 spec streams", spec_streams), (f"building slice ({len(sub)} streams)", sub)):
        t = compare(
            {"bimgeo": _loop(parse, items), "nrbf": _loop(nrbf.loads, items)},
            len(items),
            repeats,
            min_time,
        )
        ratio = t["nrbf"] / t["bimgeo"]
        res_parse[label] = {"bimgeo_s": t["bimgeo"], "nrbf_s": t["nrbf"], "speedup": ratio}
        mean_len = sum(len(s) for s in items) / len(items)
        rows.append([label, f"{mean_len:.0f} B", fmt_t(t["bimgeo"]), fmt_t(t["nrbf"]), f"{ratio:.0f}x"])
    table(
        "parse_polyhedron vs nrbf.loads (MS-NRBF stream -> objects; goal >= 200x)",
        rows,
        ["streams", "mean size", "parse_polyhedron", "nrbf.loads", "speed-up"],
    )
    out["parse_vs_nrbf"] = res_parse

    # 2. decode_meshblob vs unpacking alone ------------------------------------------
    fast = W.unpackers()
    rows = []
    res_dec: Dict[str, Any] = {}

    def decode_row(label: str, items: Sequence[Any]) -> None:
        cands: Dict[str, Callable[[], Any]] = {
            "decode_meshblob": _loop(decode, items),
            "decode_polyhedron": _loop(decode_poly, items),
            "stdlib": _loop(W.unpack_stdlib, items),
        }
        for name, fn in fast.items():
            cands[name] = _loop(fn, items)
        t = compare(cands, len(items), repeats, min_time)
        ratio = t["decode_meshblob"] / t["stdlib"]
        res_dec[label] = {k: v for k, v in t.items()}
        res_dec[label]["ratio_vs_stdlib"] = ratio
        rows.append(
            [label, fmt_t(t["decode_meshblob"]), fmt_t(t["decode_polyhedron"]), fmt_t(t["stdlib"])]
            + [fmt_t(t[n]) for n in fast]
            + [f"{ratio:.2f}x"]
        )

    decode_row("5 spec pictures", spec_pics)
    decode_row(f"building ({n_building} elements)", build_pics)
    sides = 2000 if quick else 20000
    holes = 100 if quick else 500
    decode_row(f"prism, {sides} sides", [W.prism(sides)])
    decode_row(f"plate, {holes} holes", [W.holed_plate(holes)])
    table(
        "decode_meshblob (picture -> triangles) vs unpacking alone (per picture; goal <= 1.0x stdlib)",
        rows,
        ["pictures", "decode_meshblob", "decode_polyhedron", "stdlib b64+gzip"] + list(fast) + ["meshblob/stdlib"],
    )
    out["decode_vs_unpack"] = res_dec

    # 3. growth with point count --------------------------------------------------------
    res_scale: Dict[str, Any] = {}
    for label, sizes, make, points_of in (
        ("prism, n sides", [100, 1000, 10000] if quick else [100, 1000, 10000, 100000], W.prism, lambda n: 2 * n),
        ("plate, n holes", [10, 100, 300] if quick else [10, 100, 1000, 3000], W.holed_plate, lambda n: 8 * n + 8),
    ):
        rows = []
        base = None
        for n in sizes:
            pic = make(n)
            poly = decode_poly(pic)
            t = compare(
                {
                    "decode_meshblob": lambda: decode(pic),
                    "triangulate": lambda: triangulate(poly),
                    "stdlib": lambda: W.unpack_stdlib(pic),
                },
                1,
                max(3, repeats // 2),
                min_time,
            )
            npts = points_of(n)
            per_pt = t["decode_meshblob"] / npts
            base = base or per_pt
            rows.append(
                [
                    str(n),
                    str(npts),
                    fmt_t(t["decode_meshblob"]),
                    fmt_t(t["triangulate"]),
                    fmt_t(t["stdlib"]),
                    f"{per_pt * 1e9:.0f} ns",
                    f"{t['decode_meshblob'] / t['stdlib']:.2f}x",
                ]
            )
            res_scale.setdefault(label, {})[n] = dict(t, points=npts)
        table(
            f"growth with size: {label}",
            rows,
            ["n", "points", "decode_meshblob", "of which triangulate", "stdlib b64+gzip", "per point", "vs stdlib"],
        )
    out["scaling"] = res_scale

    # 4. threads ----------------------------------------------------------------------
    def decode_chunk(chunk: Sequence[str]) -> int:
        return sum(len(decode(p).faces) for p in chunk)

    cands = {}
    pools = {}
    for k in threads:
        pools[k] = ThreadPoolExecutor(max_workers=k)
        chunks = [build_pics[i::k] for i in range(k)]

        def run(k: int = k, chunks: List[List[str]] = chunks) -> None:
            list(pools[k].map(decode_chunk, chunks))

        cands[_threads_label(k)] = run
    t = compare(cands, len(build_pics), repeats, min_time)
    for p in pools.values():
        p.shutdown()
    t1 = t[_threads_label(threads[0])]
    rows = [
        [name, fmt_t(v), f"{len(build_pics) / (v * len(build_pics)):,.0f}/s", f"{t1 / v:.2f}x"] for name, v in t.items()
    ]
    table(
        f"threads: decode_meshblob over the building ({n_building} elements, ThreadPoolExecutor, {os.cpu_count()} CPUs)",
        rows,
        ["threads", "per element", "elements/s", "speed-up"],
    )
    out["threads"] = {name: {"s_per_element": v, "speedup": t1 / v} for name, v in t.items()}

    # summary ---------------------------------------------------------------------------
    sp = res_parse[f"building slice ({len(sub)} streams)"]["speedup"]
    sp5 = res_parse["5 spec streams"]["speedup"]
    r5 = res_dec["5 spec pictures"]["ratio_vs_stdlib"]
    rb = res_dec[f"building ({n_building} elements)"]["ratio_vs_stdlib"]
    print("\n## summary\n")
    print(f"- parse_polyhedron is {sp5:.0f}x (spec streams) / {sp:.0f}x (building) faster than nrbf.loads (goal >= 200x)")
    print(f"- decode_meshblob takes {r5:.2f}x (spec) / {rb:.2f}x (building) the time of stdlib b64decode+gzip.decompress (goal <= 1.0x)")
    if len(threads) > 1:
        k = threads[-1]
        print(f"- {k} threads decode the building {t1 / t[_threads_label(k)]:.2f}x faster than {_threads_label(threads[0])}")
    out["summary"] = {"parse_speedup_spec": sp5, "parse_speedup_building": sp, "meshblob_vs_stdlib_spec": r5, "meshblob_vs_stdlib_building": rb}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
