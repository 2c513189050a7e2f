"""Print bimgeo's speed ratios, every pair measured side by side in one run.

    python benchmarks/report.py              # full report (a few minutes)
    python benchmarks/report.py --quick      # smaller inputs, fewer repeats (CI smoke)
    python benchmarks/report.py --threads 1,2,4,8 --json out.json
    python benchmarks/report.py --only load,glb,convert   # some sections (names below)

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
  thread speed-up = t(1 thread) / t(k threads) decoding the building;
  load / json.loads = t(bimgeo.load(b)) / t(json.loads(b)) on the same threejs
      response bytes b (2,000 elements; goal <= 0.5x; load returns a Scene of meshes);
  glb speed-up over trimesh = t(trimesh Scene.export(file_type="glb")) / t(bimgeo export_glb)
      on the same scene (goal >= 10x).

End-to-end convert: ``python -m bimgeo convert CHUNKS... -o out.glb`` of a
2,000- and a 50,000-element building (benchmarks/scenes.py; quick: 200 and
2,000), each run in a child process, rounds rotating between the sizes;
median wall and CPU seconds, elements/s, input MB/s, triangles/s, and the
child's peak RSS (``os.wait4`` rusage). The floor under every run, starting
Python and importing the command (``python -m bimgeo --version``), is timed
the same way and shown on its own row.

Sections (``--only``): parse, decode, growth, threads, load, glb, convert.
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
from typing import Any, Callable, Dict, List, Optional, Sequence

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import scenes as S  # noqa: E402
import workloads as W  # noqa: E402

import bimgeo  # noqa: E402

Timings = Dict[str, float]
SECTIONS = ["parse", "decode", "growth", "threads", "load", "glb", "convert"]


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


def _general_loop(switch: Callable[..., bool], fn: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], None]:
    """``_loop`` with the compiled NRBF core's canonical reader switched off."""
    inner = _loop(fn, items)

    def run() -> None:
        was = switch(False)
        try:
            inner()
        finally:
            switch(was)

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


def fmt_mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} kB"


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:,.2f} M/s" if x >= 1e6 else f"{x:,.0f}/s"


def section_load(out: Dict[str, Any], summary: List[str], n: int, repeats: int, min_time: float) -> None:
    """5. bimgeo.load(bytes) vs json.loads(bytes) on the same threejs response bytes."""
    import orjson

    try:
        from bimgeo._core import threejs as core_threejs
    except ImportError:
        core_threejs = None
    rows = []
    res: Dict[str, Any] = {}
    for label, digits, mix, indent in (
        (f"{n:,} elements, short digits", "short", "building", None),
        (f"{n:,} elements, 17 digits", "long", "building", None),
        (f"{n:,} boxes, short digits", "short", "boxes", None),
        (f"{n:,} boxes, indented (indent=4)", "short", "boxes", 4),
    ):
        if indent is None:
            data = S.threejs_bytes(n, 0, digits, mix)
        else:  # pretty-printed, as the API documents show responses
            data = json.dumps(S.threejs_response(n, 0, digits, mix), indent=indent).encode()
        cands: Dict[str, Callable[[], Any]] = {
            "bimgeo.load": lambda data=data: bimgeo.load(data),
            "json.loads": lambda data=data: json.loads(data),
            "orjson.loads": lambda data=data: orjson.loads(data),
        }
        if core_threejs is not None:
            cands["parse_response"] = lambda data=data: core_threejs.parse_response(data)
        t = compare(cands, 1, repeats, min_time)
        ratio = t["bimgeo.load"] / t["json.loads"]
        tris = bimgeo.load(data).n_triangles
        res[label] = dict(t, bytes=len(data), triangles=tris, ratio_vs_json=ratio)
        rows.append(
            [
                label,
                fmt_mb(len(data)),
                fmt_t(t["bimgeo.load"]),
                f"{len(data) / t['bimgeo.load'] / 1e6:,.0f} MB/s",
                fmt_t(t["json.loads"]),
                fmt_t(t["orjson.loads"]),
                fmt_t(t["parse_response"]) if "parse_response" in t else "-",
                f"{ratio:.2f}x",
            ]
        )
    table(
        "bimgeo.load vs json.loads (threejs response bytes -> Scene of meshes, per response; goal <= 0.5x json.loads)",
        rows,
        ["response", "size", "bimgeo.load", "load MB/s", "json.loads", "orjson.loads", "parse_response", "load/json.loads"],
    )
    out["load_vs_json"] = res
    main_row = res[f"{n:,} elements, short digits"]["ratio_vs_json"]
    long_row = res[f"{n:,} elements, 17 digits"]["ratio_vs_json"]
    boxes_row = res[f"{n:,} boxes, short digits"]["ratio_vs_json"]
    summary.append(
        f"bimgeo.load of a {n:,}-element threejs response takes {main_row:.2f}x (short digits) / {long_row:.2f}x (17 digits) "
        f"/ {boxes_row:.2f}x (tiny boxes) the time of json.loads on the same bytes (goal <= 0.5x)"
    )
    out["summary"].update(load_vs_json=main_row, load_vs_json_long=long_row, load_vs_json_boxes=boxes_row)


def section_glb(
    out: Dict[str, Any], summary: List[str], n: int, seed: int, repeats: int, min_time: float, cache_dir: Optional[str]
) -> None:
    """6. glb export: bimgeo's writer vs trimesh's on the same scene."""
    import trimesh

    import bench_export
    from bimgeo._glb import export_glb

    rows = []
    res: Dict[str, Any] = {}
    synth = bench_export.synthetic_scene(n)
    meta = S.cached_building(n, seed, root=cache_dir)
    building = bimgeo.load(meta["paths"])
    tbuilding = building.to_trimesh()
    for label, scene, cands in (
        (f"bench_export scene ({n:,} elements)", synth, bench_export.glb_candidates(n)),
        (
            f"building ({n:,} elements, scenes.py)",
            building,
            {"bimgeo glb": lambda: export_glb(building), "trimesh glb": lambda: tbuilding.export(file_type="glb")},
        ),
    ):
        t = compare(cands, 1, max(3, repeats // 2), min_time)
        ratio = t["trimesh glb"] / t["bimgeo glb"]
        size = len(cands["bimgeo glb"]())
        tsize = len(cands["trimesh glb"]())
        tris = scene.n_triangles
        res[label] = dict(t, triangles=tris, bimgeo_bytes=size, trimesh_bytes=tsize, speedup=ratio)
        rows.append(
            [
                label,
                f"{tris:,}",
                fmt_t(t["bimgeo glb"]),
                fmt_rate(tris / t["bimgeo glb"]),
                fmt_mb(size),
                fmt_t(t["trimesh glb"]),
                fmt_mb(tsize),
                f"{ratio:.1f}x",
            ]
        )
    table(
        f"glb export: bimgeo export_glb vs trimesh Scene.export(file_type='glb') (same scene; trimesh {trimesh.__version__}; goal >= 10x)",
        rows,
        ["scene", "triangles", "export_glb", "triangles/s", "glb size", "trimesh", "trimesh size", "speed-up"],
    )
    out["glb_vs_trimesh"] = res
    sp = [r["speedup"] for r in res.values()]
    summary.append(
        f"export_glb is {sp[0]:.1f}x (bench_export scene) / {sp[1]:.1f}x (building) faster than trimesh's glb export of "
        f"the same {n:,}-element scene (goal >= 10x)"
    )
    out["summary"].update(glb_speedup=sp[0], glb_speedup_building=sp[1])


def section_convert(
    out: Dict[str, Any], summary: List[str], sizes: Sequence[int], rounds: int, seed: int, cache_dir: Optional[str]
) -> None:
    """7. end to end: ``python -m bimgeo convert`` of chunked buildings, one child process per run."""
    import tempfile

    metas = {}
    for n in sizes:
        meta = S.cached_building(n, seed, root=cache_dir)
        how = f"generated in {meta['generated_s']:.1f} s" if meta["generated_s"] else "from the cache"
        print(f"\n(building of {n:,} elements: {len(meta['paths'])} chunk files, {fmt_mb(meta['bytes'])}, {how})")
        metas[n] = meta
    names = ["startup"] + [str(n) for n in sizes]
    runs: Dict[str, List[Dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bimgeo-convert-") as tmp:
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                if name == "startup":
                    runs[name].append(S.python_startup())
                else:
                    runs[name].append(S.convert(metas[int(name)]["paths"], os.path.join(tmp, f"b{name}.glb")))
    med = lambda name, key: statistics.median(x[key] for x in runs[name])  # noqa: E731
    peak = lambda name: max(x["peak_rss"] for x in runs[name])  # noqa: E731
    start_wall = med("startup", "wall_s")
    rows = [["python -m bimgeo --version", "-", "-", "-", fmt_t(start_wall), fmt_t(med("startup", "cpu_s")), "-", "-", "-", "-", fmt_mb(peak("startup"))]]
    res: Dict[str, Any] = {"startup": {"wall_s": start_wall, "cpu_s": med("startup", "cpu_s"), "peak_rss": peak("startup")}}
    for n in sizes:
        meta, name = metas[n], str(n)
        wall, cpu = med(name, "wall_s"), med(name, "cpu_s")
        net = max(wall - start_wall, 1e-9)
        tris = meta["triangles"]
        out_bytes = runs[name][-1]["out_bytes"]
        res[name] = {
            "elements": n,
            "files": len(meta["paths"]),
            "input_bytes": meta["bytes"],
            "output_bytes": out_bytes,
            "triangles": tris,
            "wall_s": wall,
            "cpu_s": cpu,
            "wall_minus_startup_s": net,
            "elements_per_s": n / wall,
            "input_mb_per_s": meta["bytes"] / wall / 1e6,
            "triangles_per_s": tris / wall,
            "peak_rss": peak(name),
            "rounds": len(runs[name]),
        }
        rows.append(
            [
                f"{n:,} elements",
                f"{len(meta['paths'])} files, {fmt_mb(meta['bytes'])}",
                fmt_mb(out_bytes),
                f"{tris:,}",
                fmt_t(wall),
                fmt_t(cpu),
                fmt_t(net),
                fmt_rate(n / wall),
                f"{meta['bytes'] / wall / 1e6:,.1f} MB/s",
                fmt_rate(tris / wall),
                fmt_mb(peak(name)),
            ]
        )
    table(
        f"end to end: python -m bimgeo convert CHUNKS -o out.glb (child process; median of {rounds}, peak RSS = max)",
        rows,
        ["building", "input", "output", "triangles", "wall", "CPU", "wall - startup", "elements/s", "input MB/s", "triangles/s", "peak RSS"],
    )
    out["convert"] = res
    for n in sizes:
        r = res[str(n)]
        summary.append(
            f"bimgeo convert of a {n:,}-element building ({fmt_mb(r['input_bytes'])} in {r['files']} chunks -> "
            f"{fmt_mb(r['output_bytes'])} glb): {fmt_t(r['wall_s']).strip()} wall, {r['elements_per_s']:,.0f} elements/s, "
            f"{r['input_mb_per_s']:.1f} MB/s in, {r['triangles_per_s'] / 1e6:.2f} M triangles/s, peak RSS {fmt_mb(r['peak_rss'])}"
        )


def main(argv: Sequence[str] = ()) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, 3 repeats")
    ap.add_argument("--repeats", type=int, default=None, help="samples per candidate (default 9, quick 3)")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per sample (default 0.05)")
    ap.add_argument("--building", type=int, default=None, help="elements in the building (default 2000)")
    ap.add_argument("--threads", default="1,2", help="thread counts for the scaling table (default 1,2)")
    ap.add_argument("--seed", type=int, default=W.SEED)
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("--only", default=None, help=f"comma-separated sections to run ({','.join(SECTIONS)}; default all)")
    ap.add_argument("--scene", type=int, default=None, help="elements in the load and glb workloads (default 2000, quick 200)")
    ap.add_argument(
        "--convert-sizes", default=None, help="elements of the buildings converted end to end (default 2000,50000; quick 200,2000)"
    )
    ap.add_argument("--convert-rounds", type=int, default=None, help="conversions per building (default 3, quick 2)")
    ap.add_argument("--cache-dir", default=None, help="where the chunk files are kept between runs (default $TMPDIR/bimgeo-bench)")
    args = ap.parse_args(list(argv) or None)
    only = SECTIONS if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    quick = args.quick
    repeats = args.repeats or (3 if quick else 9)
    min_time = args.min_time or (0.01 if quick else 0.05)
    n_building = args.building or (200 if quick else 2000)
    threads = [int(t) for t in args.threads.split(",") if t]
    n_scene = args.scene or (200 if quick else 2000)
    convert_sizes = [int(s) for s in (args.convert_sizes or ("200,2000" if quick else "2000,50000")).split(",") if s]
    convert_rounds = args.convert_rounds or (2 if quick else 3)

    parse = W.api("parse_polyhedron")
    decode_poly = W.api("decode_polyhedron")
    decode = W.api("decode_meshblob")
    triangulate = W.api("triangulate")
    nrbf = None
    if "parse" in only:
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
        "sections": only,
    }
    print("# bimgeo benchmark report")
    print(f"\n`python benchmarks/report.py {' '.join(argv or sys.argv[1:])}`".rstrip())
    print(
        f"\nPython {out['python']}, {out['platform']}, {out['cpus']} CPUs, "
        f"bimgeo {out['bimgeo']} ({out['implementation']} core), median of {repeats} samples, seed {args.seed}"
    )

    if any(s in only for s in ("parse", "decode", "threads")):
        t0 = time.perf_counter()
        spec_pics = W.spec_pictures()
        spec_streams = W.spec_streams()
        build_pics = list(W.building(n_building, args.seed))
        build_streams = list(W.building_streams(n_building, args.seed))
        print(f"\n(inputs built in {time.perf_counter() - t0:.1f} s)")

    summary: List[str] = []
    out["summary"] = {}
    if "parse" in only:
        section_parse(out, summary, spec_streams, build_streams, parse, nrbf, repeats, min_time)
    if "decode" in only:
        section_decode(out, summary, spec_pics, build_pics, n_building, decode, decode_poly, quick, repeats, min_time)
    if "growth" in only:
        section_growth(out, decode, decode_poly, triangulate, quick, repeats, min_time)
    if "threads" in only:
        section_threads(out, summary, build_pics, decode, threads, n_building, repeats, min_time)
    if "load" in only:
        section_load(out, summary, n_scene, repeats, min_time)
    if "glb" in only:
        section_glb(out, summary, n_scene, args.seed, repeats, min_time, args.cache_dir)
    if "convert" in only:
        section_convert(out, summary, convert_sizes, convert_rounds, args.seed, args.cache_dir)

    print("\n## summary\n")
    for line in summary:
        print(f"- {line}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=str)
    return 0


def section_parse(out, summary, spec_streams, build_streams, parse, nrbf, repeats, min_time) -> None:  # type: ignore[no-untyped-def]
    """1. parse_polyhedron vs the nrbf package."""
    rows = []
    sub = build_streams[: min(len(build_streams), 200)]  # nrbf is slow: a 200-stream slice
    res_parse = {}
    cases = [("5 spec streams", spec_streams, parse), (f"building slice ({len(sub)} streams)", sub, parse)]
    # The compiled core reads the server's (BinaryFormatter's) layout with a
    # canonical reader; the general reader, which any other layout takes, on
    # the same slice for comparison.
    switch = getattr(sys.modules.get("bimgeo._core.nrbf"), "_canonical_reader", None)
    if switch is not None and bimgeo.IMPLEMENTATION == "cython":
        cases.append(("same slice, general reader only", sub, None))
    for label, items, fn in cases:
        run = _loop(fn, items) if fn is not None else _general_loop(switch, parse, items)
        t = compare(
            {"bimgeo": run, "nrbf": _loop(nrbf.loads, items)},
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
    sp = res_parse[f"building slice ({len(sub)} streams)"]["speedup"]
    sp5 = res_parse["5 spec streams"]["speedup"]
    summary.append(f"parse_polyhedron is {sp5:.0f}x (spec streams) / {sp:.0f}x (building) faster than nrbf.loads (goal >= 200x)")
    out["summary"].update(parse_speedup_spec=sp5, parse_speedup_building=sp)


def section_decode(out, summary, spec_pics, build_pics, n_building, decode, decode_poly, quick, repeats, min_time) -> None:  # type: ignore[no-untyped-def]
    """2. decode_meshblob vs unpacking alone."""
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
    r5 = res_dec["5 spec pictures"]["ratio_vs_stdlib"]
    rb = res_dec[f"building ({n_building} elements)"]["ratio_vs_stdlib"]
    summary.append(f"decode_meshblob takes {r5:.2f}x (spec) / {rb:.2f}x (building) the time of stdlib b64decode+gzip.decompress (goal <= 1.0x)")
    out["summary"].update(meshblob_vs_stdlib_spec=r5, meshblob_vs_stdlib_building=rb)


def section_growth(out, decode, decode_poly, triangulate, quick, repeats, min_time) -> None:  # type: ignore[no-untyped-def]
    """3. growth with point count."""
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


def section_threads(out, summary, build_pics, decode, threads, n_building, repeats, min_time) -> None:  # type: ignore[no-untyped-def]
    """4. threads: the building (sample-sized elements) and larger elements."""

    def decode_chunk(chunk: Sequence[str]) -> int:
        return sum(len(decode(p).faces) for p in chunk)

    # Larger elements: slabs with 10 openings (~5 KB pictures) and 2,000-sided
    # prisms (~170 KB), where the GIL-free passes dominate each call.
    workloads = [
        (f"building, {n_building} sample-sized elements", build_pics),
        ("64 slabs with 10 openings each", [W.holed_plate(10)] * 64),
        ("16 prisms of 2,000 sides", [W.prism(2000)] * 16),
    ]
    rows = []
    res: Dict[str, Any] = {}
    for label, pics in workloads:
        cands = {}
        pools = {}
        for k in threads:
            pools[k] = ThreadPoolExecutor(max_workers=k)
            chunks = [pics[i::k] for i in range(k)]

            def run(k: int = k, chunks: List[List[str]] = chunks) -> None:
                list(pools[k].map(decode_chunk, chunks))

            cands[_threads_label(k)] = run
        t = compare(cands, len(pics), repeats, min_time)
        for p in pools.values():
            p.shutdown()
        t1 = t[_threads_label(threads[0])]
        res[label] = {name: {"s_per_element": v, "speedup": t1 / v} for name, v in t.items()}
        for name, v in t.items():
            rows.append([label, name, fmt_t(v), f"{1 / v:,.0f}/s", f"{t1 / v:.2f}x"])
    table(
        f"threads: decode_meshblob over a ThreadPoolExecutor ({os.cpu_count()} CPUs)",
        rows,
        ["elements", "threads", "per element", "elements/s", "speed-up"],
    )
    out["threads"] = res
    if len(threads) > 1:
        k = threads[-1]
        sp = [r[_threads_label(k)]["speedup"] for r in res.values()]
        summary.append(
            f"{k} threads vs {_threads_label(threads[0])}: {sp[0]:.2f}x on the building's sample-sized elements, "
            f"{sp[1]:.2f}x on slabs with 10 openings, {sp[2]:.2f}x on 2,000-sided prisms"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
