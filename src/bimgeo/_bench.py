"""``bimgeo bench``: decode throughput on real responses, stage by stage.

Stages, each timed over every meshblob picture of the input (best of
``repeat`` runs, ``threads`` workers each taking a contiguous slice of the
elements):

* ``floor``: the stdlib ``gzip.decompress(base64.b64decode(p))``, the
  cheapest way to unpack a picture at all; every ratio is relative to it;
* ``base64``, ``inflate``: the two unpacking steps alone, with the stdlib
  (``base64``, ``zlib``) and with the faster libraries when installed
  (``pybase64``; ``isal``, ``libdeflate`` via the ``deflate`` package,
  called as the compiled core calls it); the row says which. The compiled
  core decodes base64 with its own C loop, which cannot be timed alone:
  the ``unpack`` row derives bimgeo's base64 + inflate as decode - parse;
* ``parse``: ``parse_polyhedron`` on the inflated MS-NRBF bytes;
* ``decode``: ``decode_polyhedron`` on the base64 text (base64 +
  inflate + parse, as the loader runs it);
* ``triangulate``: ``triangulate`` on the decoded polyhedra;
* ``load``: ``bimgeo.load`` on the parsed JSON responses (all element
  kinds: meshblob, threejs, templates), single-threaded;
* ``export``: the glb writer (``Scene.export`` to memory, Y up, metres).

``load`` and ``export`` cover every element, not just the meshblob
pictures, so they get no ratio to the floor.

MB/s is the stage's own input per second (the column ``of`` says which
bytes); 1 MB = 10**6 bytes. Times are wall-clock seconds from
``time.perf_counter``.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import os
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ["format_table", "read_responses", "run_bench"]


def read_responses(paths: Sequence[str]) -> Tuple[List[Any], int]:
    """Parsed JSON of each file (gzip detected by its magic bytes) and the total JSON text size in bytes."""
    out: List[Any] = []
    total = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        total += len(data)
        try:
            import orjson

            doc = orjson.loads(data)
        except ImportError:
            doc = json.loads(data)
        if isinstance(doc, list):
            out.extend(doc)
        else:
            out.append(doc)
    return out, total


def _pictures(chunks: Sequence[Any]) -> List[Tuple[Optional[str], Any, Any]]:
    """(element id, picture, compress) of every meshblob element in the responses."""
    pics = []
    for chunk in chunks:
        if not isinstance(chunk, dict):
            continue
        objects = chunk.get("objects")
        if not isinstance(objects, list):
            continue
        for obj in objects:
            geo = (obj.get("attributes") or {}).get("geometry") if isinstance(obj, dict) else None
            if isinstance(geo, dict) and isinstance(geo.get("picture"), (str, bytes)):
                pics.append((obj.get("id"), geo["picture"], geo.get("compress", True)))
    return pics


def _gzipped(compress: Any) -> bool:
    return compress is None or compress is True or (not isinstance(compress, bool) and compress == 1)


def _timed(fn: Callable[[Any], Any], items: Sequence[Any], threads: int, repeat: int) -> Tuple[float, List[Any]]:
    """Best wall time of ``repeat`` runs of ``fn`` over ``items`` and the last run's results."""
    best = float("inf")
    results: List[Any] = []
    if threads <= 1 or len(items) < 2:
        for _ in range(repeat):
            t0 = time.perf_counter()
            results = [fn(x) for x in items]
            best = min(best, time.perf_counter() - t0)
        return best, results
    n = min(threads, len(items))
    bounds = [len(items) * i // n for i in range(n + 1)]
    slices = [items[bounds[i] : bounds[i + 1]] for i in range(n)]

    def work(part: Sequence[Any]) -> List[Any]:
        return [fn(x) for x in part]

    with ThreadPoolExecutor(max_workers=n) as pool:
        for _ in range(repeat):
            t0 = time.perf_counter()
            parts = list(pool.map(work, slices))
            best = min(best, time.perf_counter() - t0)
            results = [r for p in parts for r in p]
    return best, results


def _stage(
    name: str,
    library: str,
    seconds: float,
    elements: int,
    nbytes: Optional[int],
    of: str,
    triangles: Optional[int],
    floor: Optional[float],
) -> Dict[str, Any]:
    s = max(seconds, 1e-12)
    return {
        "stage": name,
        "library": library,
        "elements": elements,
        "seconds": seconds,
        "elements_per_s": elements / s,
        "bytes": nbytes,
        "of": of,
        "mb_per_s": None if nbytes is None else nbytes / s / 1e6,
        "triangles": triangles,
        "triangles_per_s": None if triangles is None else triangles / s,
        "ratio_to_floor": None if not floor else seconds / floor,
    }


def run_bench(
    paths: Optional[Sequence[str]] = None,
    *,
    threads: int = 1,
    repeat: int = 3,
    progress: bool = True,
) -> Dict[str, Any]:
    """Measure the stages on the responses in ``paths`` (None: the bundled sample building).

    Returns a JSON-ready dict: ``input`` (what was measured), ``stages``
    (one dict per row: stage, library, elements, seconds, elements_per_s,
    bytes, of, mb_per_s, triangles, triangles_per_s, ratio_to_floor) and
    ``skipped`` (stages that could not run, with the reason).
    """
    from . import __version__
    from ._backend import IMPLEMENTATION
    from ._errors import BimgeoError
    from ._load import load
    from ._meshblob import decode_polyhedron, parse_polyhedron
    from ._meshing import triangulate
    from ._progress import Progress

    if paths is None:
        from ._sample import sample_chunks

        chunks = sample_chunks()
        json_bytes = len(json.dumps(chunks, separators=(",", ":")).encode())
        source: Any = "sample building"
    else:
        chunks, json_bytes = read_responses(paths)
        source = [os.fspath(p) for p in paths]

    pics = _pictures(chunks)
    gz_pics = [p for _, p, c in pics if _gzipped(c)]
    pic_bytes = sum(len(p) for _, p, _ in pics)
    stages: List[Dict[str, Any]] = []
    skipped: List[Dict[str, str]] = []
    bar = Progress(10, "bench", enabled=None if progress else False)

    def step(label: str) -> None:
        bar.update(1, f"bench: {label}")

    # -- the stdlib floor and the two unpacking steps --------------------------
    floor_t: Optional[float] = None
    gz_blobs: List[bytes] = []
    nrbf: List[bytes] = []
    if gz_pics:
        floor_t, nrbf = _timed(lambda p: gzip.decompress(base64.b64decode(p)), gz_pics, threads, repeat)
        stages.append(_stage("floor", "stdlib base64 + gzip", floor_t, len(gz_pics), sum(map(len, gz_pics)), "base64 text", None, floor_t))
        step("floor")
        t, gz_blobs = _timed(base64.b64decode, gz_pics, threads, repeat)
        stages.append(_stage("base64", "stdlib base64", t, len(gz_pics), sum(map(len, gz_pics)), "base64 text", None, floor_t))
        try:
            import pybase64
        except ImportError:
            skipped.append({"stage": "base64", "library": "pybase64", "reason": "pybase64 is not installed"})
        else:
            t, _ = _timed(lambda p: pybase64.b64decode(p, validate=True), gz_pics, threads, repeat)
            stages.append(_stage("base64", "pybase64", t, len(gz_pics), sum(map(len, gz_pics)), "base64 text", None, floor_t))
        step("base64")
        gz_total = sum(map(len, gz_blobs))
        t, _ = _timed(lambda b: zlib.decompress(b, 31), gz_blobs, threads, repeat)
        stages.append(_stage("inflate", "zlib", t, len(gz_blobs), gz_total, "gzip", None, floor_t))
        try:
            from isal import isal_zlib
        except ImportError:
            skipped.append({"stage": "inflate", "library": "isal", "reason": "isal is not installed"})
        else:
            t, _ = _timed(lambda b: isal_zlib.decompress(b, 31), gz_blobs, threads, repeat)
            stages.append(_stage("inflate", "isal", t, len(gz_blobs), gz_total, "gzip", None, floor_t))
        try:
            from deflate import gzip_decompress
        except ImportError:
            skipped.append({"stage": "inflate", "library": "libdeflate", "reason": "the deflate package is not installed"})
        else:
            # the same call as the compiled core: the output size from the gzip trailer (ISIZE)
            t, _ = _timed(lambda b: gzip_decompress(b, max(int.from_bytes(b[-4:], "little"), 1)), gz_blobs, threads, repeat)
            stages.append(_stage("inflate", "libdeflate", t, len(gz_blobs), gz_total, "gzip", None, floor_t))
        step("inflate")
    else:
        skipped.append({"stage": "floor", "reason": "no gzip meshblob pictures in the input"})

    # -- bimgeo's own stages ------------------------------------------------------
    impl = f"bimgeo ({IMPLEMENTATION})"
    polys: List[Any] = []
    parse_t: Optional[float] = None
    if nrbf:
        parse_t, _ = _timed(parse_polyhedron, nrbf, threads, repeat)
        stages.append(_stage("parse", impl, parse_t, len(nrbf), sum(map(len, nrbf)), "MS-NRBF", None, floor_t))
    step("parse")
    if pics:
        try:
            t, polys = _timed(lambda x: decode_polyhedron(x[1], compress=x[2], element_id=x[0]), pics, threads, repeat)
        except BimgeoError as exc:
            skipped.append({"stage": "decode", "reason": f"decode failed: {exc}"})
            polys = []
        else:
            stages.append(_stage("decode", impl + " base64+inflate+parse", t, len(pics), pic_bytes, "base64 text", None, floor_t))
            if IMPLEMENTATION == "cython" and parse_t is not None and len(gz_pics) == len(pics) and t > parse_t:
                # bimgeo's own unpacking (the compiled core decodes base64 in C and inflates with
                # libdeflate or isal): not measurable alone, so derived as decode - parse.
                stages.append(
                    _stage("unpack", impl + " decode - parse (derived)", t - parse_t, len(pics), pic_bytes, "base64 text", None, floor_t)
                )
    step("decode")
    if polys:
        try:
            t, meshes = _timed(triangulate, polys, threads, repeat)
        except BimgeoError as exc:
            skipped.append({"stage": "triangulate", "reason": f"triangulation failed: {exc}"})
        else:
            n_tri = sum(len(m.faces) for m in meshes)
            in_bytes = sum(p.points.nbytes + p.edges.nbytes + p.face_edges.nbytes for p in polys)
            stages.append(_stage("triangulate", impl, t, len(polys), in_bytes, "polyhedron arrays", n_tri, floor_t))
    step("triangulate")

    n_elements = sum(len(c.get("objects") or []) for c in chunks if isinstance(c, dict))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        scene = load(chunks)
        best = min(best, time.perf_counter() - t0)
    stages.append(_stage("load", impl + ", 1 thread", best, len(scene), json_bytes, "JSON text", scene.n_triangles, None))
    step("load")
    best = float("inf")
    data = b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        buf = io.BytesIO()
        scene.export(buf, format="glb")  # Y up, metres: the defaults
        best = min(best, time.perf_counter() - t0)
        data = buf.getvalue()
    n_geo = sum(1 for e in scene if e.mesh is not None)
    stages.append(_stage("export", "bimgeo glb writer, 1 thread", best, n_geo, len(data), "glb output", scene.n_triangles, None))
    step("export")
    bar.close()

    return {
        "bimgeo_version": __version__,
        "implementation": IMPLEMENTATION,
        "python": sys.version.split()[0],
        "threads": threads,
        "repeat": repeat,
        "input": {
            "source": source,
            "json_bytes": json_bytes,
            "elements": n_elements,
            "meshblob_pictures": len(pics),
            "picture_bytes": pic_bytes,
            "gzip_bytes": sum(map(len, gz_blobs)),
            "nrbf_bytes": sum(map(len, nrbf)),
            "nrbf_streams": len(nrbf),
            "canonical_streams": _canonical_count(IMPLEMENTATION, nrbf),
        },
        "floor_seconds": floor_t,
        "unpacking_libraries": _core_libraries(IMPLEMENTATION),
        "stages": stages,
        "skipped": skipped,
    }


def _canonical_count(implementation: str, streams: Sequence[bytes]) -> Optional[int]:
    """How many streams the compiled core reads with its canonical reader (BinaryFormatter's
    layout, the fast path); the rest take its general reader. None without the compiled core."""
    if implementation != "cython":
        return None
    try:
        from ._core.nrbf import _reads_canonically
    except ImportError:
        return None
    return sum(1 for s in streams if _reads_canonically(s))


def _core_libraries(implementation: str) -> Dict[str, str]:
    """What the active decoder uses to unpack pictures (see bimgeo._core.nrbf / bimgeo._pure.nrbf)."""
    if implementation != "cython":
        return {"base64": "stdlib base64", "inflate": "zlib"}
    try:
        import deflate  # noqa: F401

        inflate = "libdeflate"
    except ImportError:
        try:
            import isal  # noqa: F401

            inflate = "isal"
        except ImportError:
            inflate = "zlib"
    return {"base64": "bimgeo's own C decoder", "inflate": inflate}


def _num(v: Optional[float], fmt: str = "{:,.0f}") -> str:
    return "-" if v is None else fmt.format(v).replace(",", " ")


def format_table(result: Dict[str, Any]) -> str:
    """The result of ``run_bench`` as a text table."""
    inp = result["input"]
    src = inp["source"] if isinstance(inp["source"], str) else ", ".join(inp["source"])
    lines = [
        f"bimgeo {result['bimgeo_version']} bench ({result['implementation']}), {result['threads']} thread(s), "
        f"best of {result['repeat']}",
        f"input: {src}: {inp['elements']} elements, {inp['json_bytes'] / 1e6:.2f} MB JSON, "
        f"{inp['meshblob_pictures']} meshblob pictures ({inp['picture_bytes'] / 1e6:.2f} MB base64, "
        f"{inp['nrbf_bytes'] / 1e6:.2f} MB MS-NRBF)",
    ]
    if inp.get("canonical_streams") is not None:
        lines.append(f"MS-NRBF streams in BinaryFormatter's layout (the parser's fast path): "
                     f"{inp['canonical_streams']} of {inp['nrbf_streams']}")
    lines.append("")
    head = ("stage", "library", "elements/s", "MB/s", "of", "triangles/s", "x floor")
    rows = [
        (
            s["stage"],
            s["library"],
            _num(s["elements_per_s"]),
            _num(s["mb_per_s"], "{:,.1f}"),
            s["of"],
            _num(s["triangles_per_s"]),
            _num(s["ratio_to_floor"], "{:.2f}"),
        )
        for s in result["stages"]
    ]
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i]) for i in range(len(head))]
    right = {2, 3, 5, 6}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    lines.append(line(head))
    lines.extend(line(r) for r in rows)
    lines.append("")
    lines.append("x floor: stage time / time of gzip.decompress(base64.b64decode(picture)) on the same pictures")
    libs = result.get("unpacking_libraries") or {}
    if libs:
        lines.append(f"bimgeo's decoder unpacks with: base64 {libs.get('base64')}, inflate {libs.get('inflate')}")
    for s in result["skipped"]:
        lines.append(f"skipped {s['stage']}{' (' + s['library'] + ')' if 'library' in s else ''}: {s['reason']}")
    return "\n".join(lines)
