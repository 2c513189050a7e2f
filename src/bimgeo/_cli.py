"""The ``bimgeo`` command: ``convert``, ``info``, ``bench`` (+ ``fetch``, ``export-ifc``).

``bimgeo convert IN... -o OUT.glb|.obj`` turns Bimplus geometry responses
(JSON files, optionally ``.json.gz``; several files are the chunks of one
model) into a glb or obj file; ``bimgeo info IN...`` describes them;
``bimgeo bench`` measures decoding speed. ``--sample`` uses the bundled
sample building instead of files. The HTTP client adds ``fetch`` and
``export-ifc`` (``bimgeo.api``).

Reports and progress go to stderr, tables to stdout. Exit status: 0 on
success (bad elements are reported and skipped), 1 on failure (and under
``--strict`` when any element failed), 2 on usage errors.

Frames: ``info`` reports world coordinates, Z up, millimetres (the
server's frame, design.md §8); ``convert`` writes glb/obj Y up, metres by
default (``--units mm``, ``--up z`` keep the server's frame).
"""
from __future__ import annotations

import argparse
import os
import sys
import zlib
from typing import Any, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple

import numpy as np

from ._errors import BimgeoError

__all__ = ["build_parser", "main"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _err(*parts: Any) -> None:
    print(*parts, file=sys.stderr)


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="IN",
        help="geometry response files (JSON or .json.gz); several files are chunks of one model",
    )
    p.add_argument("--sample", action="store_true", help="use the bundled sample building instead of files")


def _check_inputs(args: argparse.Namespace, parser: argparse.ArgumentParser, required: bool = True) -> None:
    if args.sample and args.inputs:
        parser.error("give input files or --sample, not both")
    if required and not args.sample and not args.inputs:
        parser.error("no input: give response files or --sample")


def _source_label(args: argparse.Namespace) -> str:
    if args.sample:
        return "sample building"
    if len(args.inputs) == 1:
        return str(args.inputs[0])
    return f"{len(args.inputs)} files"


def _first_chars(path: str, n: int = 2) -> str:
    """The first ``n`` non-blank characters of a JSON file (gzip undone for the peek only)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 1 << 12)
        except zlib.error:
            return ""
    text = head.decode("utf-8", "replace")
    return "".join(text.split())[:n]


def _sources(paths: Sequence[str]) -> Tuple[List[Any], List[str]]:
    """The chunk sources for ``bimgeo.load`` and their names: paths, except files holding a JSON array of responses.

    A response file is one JSON object (the loader reads it lazily, one
    chunk at a time). A file whose top level is an array of response
    objects (chunks saved together, like the bundled sample) is parsed
    here and contributes one source per response; an array of bare
    elements stays a path (the loader takes it as one response).
    """
    out: List[Any] = []
    names: List[str] = []
    for path in paths:
        if not os.path.exists(path):
            raise FileNotFoundError(2, "no such file", path)
        if os.path.isdir(path):
            raise IsADirectoryError(21, "is a directory", path)
        if _first_chars(path) == "[{":
            from ._bench import read_responses

            docs, _ = read_responses([path])
            if docs and all(isinstance(d, dict) and ("objects" in d or "templates" in d) for d in docs):
                out.extend(docs)
                names.extend(f"{path} [response {i + 1}]" for i in range(len(docs)))
                continue
        out.append(path)
        names.append(str(path))
    return out, names


class _Chunks(list):  # type: ignore[type-arg]
    """A list of chunk sources that advances a progress bar as the loader walks it
    and remembers which source is being read (to name it in errors)."""

    def __init__(self, items: Sequence[Any], names: Sequence[str], bar: Any) -> None:
        super().__init__(items)
        self.names = list(names)
        self.bar = bar
        self.current: Optional[str] = None

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            self.current = self.names[i]
            if self.bar is not None:
                self.bar.update(0, f"loading chunk {i + 1}/{len(self)}")
            yield list.__getitem__(self, i)
            # The loader is done with this source: drop our reference, so a parsed
            # response held here is freed as soon as the loader lets go of it.
            list.__setitem__(self, i, None)
            if self.bar is not None:
                self.bar.update(1)


class SourceError(BimgeoError):
    """A whole input could not be read (not JSON, over a limit, ...); names the input."""


def _load_scene(args: argparse.Namespace, strict: bool, bar: Any = None) -> Any:
    """Load the inputs (or the sample) as one Scene; several files (or responses) are chunks."""
    from ._load import load

    if args.sample:
        from ._sample import sample_chunks

        items: List[Any] = sample_chunks()
        names = [f"sample response {i + 1}" for i in range(len(items))]
    else:
        items, names = _sources(args.inputs)
    if bar is not None:
        bar.total = len(items)
    chunks = _Chunks(items, names, bar)
    del items
    try:
        return load(chunks, strict=strict)
    except BimgeoError as exc:
        if getattr(exc, "element_id", None) or chunks.current is None:
            raise
        raise SourceError(f"{chunks.current}: {exc}") from exc


def _rgba_text(rgba: Optional[Sequence[float]]) -> Tuple[str, str]:
    """('#RRGGBB', alpha 0..255 as text) or ('-', '-')."""
    if rgba is None:
        return "-", "-"
    r, g, b, a = (int(round(float(c))) for c in rgba)
    return f"#{r:02X}{g:02X}{b:02X}", str(a)


def _element_rgba(e: Any) -> Optional[Sequence[float]]:
    if e.rgba is not None:
        return e.rgba  # type: ignore[no-any-return]
    if e.mesh is not None:
        return e.mesh.rgba  # type: ignore[no-any-return]
    return None


def _volume_mm3(e: Any) -> Optional[float]:
    """World volume of an element in mm³ (local volume times the matrix determinant), None without triangles."""
    mesh = e.mesh
    if mesh is None or len(mesh.faces) == 0:
        return None
    v = float(mesh.volume)
    if e.matrix is not None:
        v *= abs(float(np.linalg.det(e.matrix[:3, :3])))
    return v


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _print_errors(scene: Any, stream: TextIO, limit: Optional[int] = None) -> None:
    errors = list(getattr(scene, "errors", []))
    shown = errors if limit is None else errors[:limit]
    for er in shown:
        kind = f" ({er.type})" if getattr(er, "type", None) else ""
        print(f"  {er.id or '<no id>'}{kind}: {er.message}", file=stream)
    if len(shown) < len(errors):
        print(f"  ... and {len(errors) - len(shown)} more", file=stream)


def _scene_counts(scene: Any) -> Dict[str, int]:
    n_geom = n_wire = n_tri = n_pts = n_inst = 0
    for e in scene:
        m = e.mesh
        if m is None:
            continue
        n_geom += 1
        n_tri += len(m.faces)
        n_pts += len(m.vertices)
        if len(m.faces) == 0 and len(m.lines):
            n_wire += 1
        if e.template is not None:
            n_inst += 1
    return {
        "elements": len(scene),
        "with_geometry": n_geom,
        "without_geometry": len(scene) - n_geom,
        "wires": n_wire,
        "triangles": n_tri,
        "points": n_pts,
        "templates": len(scene.templates),
        "instances": n_inst,
        "errors": len(scene.errors),
    }


# --------------------------------------------------------------------------
# convert
# --------------------------------------------------------------------------


def _cmd_convert(args: argparse.Namespace) -> int:
    from ._progress import Progress

    out = os.fspath(args.output)
    ext = os.path.splitext(out)[1].lower()
    fmt = args.format or ext.lstrip(".")
    if fmt not in ("glb", "obj"):
        _err(f"bimgeo convert: cannot tell the output format of {out!r}: use a .glb or .obj name, or --format")
        return 2
    with Progress(None, f"loading {_source_label(args)}") as bar:
        # Always collect failures (each ElementError names its element and
        # type); --strict then refuses to write anything if there are any.
        try:
            scene = _load_scene(args, strict=False, bar=bar)
        except BimgeoError as exc:  # a whole response is unreadable (not JSON, over a limit, ...)
            bar.close()
            eid = getattr(exc, "element_id", None)
            _err(f"bimgeo convert: failed{f' on element {eid}' if eid else ''}: {exc}")
            _err("no output written")
            return 1
        if args.strict and scene.errors:
            bar.close()
            _err(f"bimgeo convert: {len(scene.errors)} element(s) failed to decode (--strict), no output written:")
            _print_errors(scene, sys.stderr, limit=50)
            return 1
        bar.set_label(f"writing {os.path.basename(out)}")
        options: Dict[str, Any] = {"units": args.units, "up": args.up}
        if fmt == "glb":
            options["normals"] = None if args.normals == "none" else args.normals
        elif args.normals != "none":
            _err("bimgeo convert: --normals applies to glb only; ignored for obj")
        try:
            try:
                scene.export(out, format=fmt, **options)
            except ValueError:
                # Elements the format cannot hold (placed past its range)
                # make the writer refuse: report them, write the rest. Looked
                # for only then, so a good scene pays nothing for the check.
                from ._export import drop_unwritable

                if drop_unwritable(scene, fmt, args.units, args.up) == 0:
                    raise
                if args.strict:
                    bar.close()
                    _err(f"bimgeo convert: {len(scene.errors)} element(s) cannot be written (--strict), no output written:")
                    _print_errors(scene, sys.stderr, limit=50)
                    return 1
                scene.export(out, format=fmt, **options)
        except (ValueError, BimgeoError) as exc:
            bar.close()
            _err(f"bimgeo convert: cannot write {out}: {exc}")
            return 1
        counts = _scene_counts(scene)
    size = os.path.getsize(out)
    _err(f"bimgeo: wrote {out} ({size / 1e6:.2f} MB, {fmt}, {args.up.upper()} up, {args.units})")
    _err(f"  elements   {_fmt_int(counts['elements'])} ({_fmt_int(counts['with_geometry'])} with geometry, "
         f"{_fmt_int(counts['wires'])} wires, {_fmt_int(counts['without_geometry'])} without geometry)")
    _err(f"  triangles  {_fmt_int(counts['triangles'])}")
    _err(f"  templates  {_fmt_int(counts['templates'])} ({_fmt_int(counts['instances'])} instances)")
    _err(f"  skipped    {_fmt_int(counts['errors'])}")
    if scene.errors:
        _print_errors(scene, sys.stderr, limit=50)
        _err(f"bimgeo: warning: {len(scene.errors)} element(s) skipped (use --strict to fail instead)")
    return 0


# --------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------


def _cmd_info(args: argparse.Namespace) -> int:
    from ._progress import Progress

    with Progress(None, "loading") as bar:
        scene = _load_scene(args, strict=False, bar=bar)
    out = sys.stdout
    c = _scene_counts(scene)
    print(f"source      {_source_label(args)}", file=out)
    print(
        f"elements    {c['elements']} loaded ({c['with_geometry']} with geometry, {c['wires']} wires, "
        f"{c['without_geometry']} without geometry), {c['errors']} failed",
        file=out,
    )
    print(f"points      {c['points']}", file=out)
    print(f"triangles   {c['triangles']}", file=out)
    print(f"templates   {c['templates']} ({c['instances']} instances)", file=out)
    b = scene.bounds
    if b is None:
        print("bounds      -", file=out)
    else:
        lo, hi = b
        size = hi - lo
        print("bounds      world, Z up, mm", file=out)
        print(f"  min       {lo[0]:.1f} {lo[1]:.1f} {lo[2]:.1f}", file=out)
        print(f"  max       {hi[0]:.1f} {hi[1]:.1f} {hi[2]:.1f}", file=out)
        print(f"  size      {size[0]:.1f} {size[1]:.1f} {size[2]:.1f}", file=out)
    types = sorted(scene.types.items(), key=lambda kv: (-kv[1], kv[0]))
    print("types       " + ", ".join(f"{t or '-'} {n}" for t, n in types), file=out)
    colours: Dict[Tuple[str, str], int] = {}
    for e in scene:
        key = _rgba_text(_element_rgba(e))
        colours[key] = colours.get(key, 0) + 1
    col = sorted(colours.items(), key=lambda kv: (-kv[1], kv[0]))
    print("colours     " + ", ".join(f"{h}" + (f"/{a}" if a not in ("-", "255") else "") + f" {n}" for (h, a), n in col), file=out)
    if scene.errors:
        print(f"failed      {len(scene.errors)}", file=out)
        _print_errors(scene, out)
    # per-element table
    rows: List[Tuple[str, ...]] = []
    for e in scene:
        m = e.mesh
        pts = str(len(m.vertices)) if m is not None else "-"
        tris = str(len(m.faces)) if m is not None else "-"
        vol = _volume_mm3(e)
        vol_s = "-" if vol is None else f"{vol / 1e9:.3f}"
        hexc, alpha = _rgba_text(_element_rgba(e))
        rows.append((e.id, e.type or "-", pts, tris, vol_s, hexc, alpha))
    head = ("id", "type", "points", "triangles", "volume_m3", "colour", "alpha")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i]) for i in range(len(head))]
    right = {2, 3, 4, 6}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print("", file=out)
    print(line(head), file=out)
    for r in rows:
        print(line(r), file=out)
    return 0


# --------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------


def _cmd_bench(args: argparse.Namespace) -> int:
    import json

    from ._bench import format_table, run_bench

    if args.threads < 1 or args.repeat < 1:
        _err("bimgeo bench: --threads and --repeat must be >= 1")
        return 2
    paths = None if (args.sample or not args.inputs) else list(args.inputs)
    result = run_bench(paths, threads=args.threads, repeat=args.repeat, progress=not args.json)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result))
    return 0


# --------------------------------------------------------------------------
# parser and entry point
# --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``bimgeo`` command (subcommands set ``func``)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="bimgeo",
        description="Decode Bimplus BIM geometry (meshblob, threejs, templates) into glb/obj.",
    )
    parser.add_argument("--version", action="version", version=f"bimgeo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "convert",
        help="convert geometry responses to glb or obj",
        description="Convert Bimplus geometry responses (meshblob, threejs, templates; several files = chunks "
        "of one model) into one glb or obj file. Bad elements are reported on stderr and skipped unless --strict.",
    )
    _add_inputs(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file, .glb or .obj (written atomically)")
    p.add_argument("--format", choices=("glb", "obj"), help="output format (default: from the OUT suffix)")
    p.add_argument("--units", choices=("m", "mm"), default="m", help="output length unit (default m)")
    p.add_argument("--up", choices=("y", "z"), default="y", help="output up axis (default y, the glTF convention)")
    p.add_argument(
        "--normals",
        choices=("none", "flat", "smooth"),
        default="none",
        help="glb vertex normals: none (viewers shade flat), flat, or smooth by crease angle (default none)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, nothing written) when any element fails to decode; every failure is listed",
    )
    p.set_defaults(func=_cmd_convert, _parser=p)

    p = sub.add_parser(
        "info",
        help="describe geometry responses: counts, bounds, types, colours, elements",
        description="Counts, world bounds (Z up, mm), types, colours (#RRGGBB[/alpha] count) and a per-element "
        "table of geometry responses: id, type, points (meshblob: the polyhedron's points), triangles, "
        "volume in m³ (3 decimals; - without triangles), colour #RRGGBB and alpha 0..255.",
    )
    _add_inputs(p)
    p.set_defaults(func=_cmd_info, _parser=p)

    p = sub.add_parser(
        "bench",
        help="measure decode throughput on your responses (default: the sample building)",
        description="Decode throughput per stage (base64, inflate, parse, triangulate, load, export): elements/s, "
        "MB/s, triangles/s, and the ratio to the stdlib floor gzip.decompress(base64.b64decode(picture)).",
    )
    _add_inputs(p)
    p.add_argument("--threads", type=int, default=1, metavar="N", help="worker threads over elements (default 1)")
    p.add_argument("--repeat", type=int, default=3, metavar="R", help="runs per stage, best kept (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_bench, _parser=p, _inputs_optional=True)

    try:
        from .api._cli import add_subcommands
    except ImportError:  # the HTTP client's dependencies are missing
        pass
    else:
        add_subcommands(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``bimgeo`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(None if argv is None else list(argv))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    sub_parser = getattr(args, "_parser", None)
    if sub_parser is not None and hasattr(args, "inputs"):
        _check_inputs(args, sub_parser, required=not getattr(args, "_inputs_optional", False))
    try:
        return int(func(args))
    except BimgeoError as exc:
        eid = getattr(exc, "element_id", None)
        _err(f"bimgeo: error{f' (element {eid})' if eid else ''}: {exc}")
        return 1
    except BrokenPipeError:
        # The reader went away (``bimgeo info ... | head``): not an error of ours.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except OSError as exc:
        _err(f"bimgeo: error: {exc}")
        return 1
    except KeyboardInterrupt:
        _err("bimgeo: interrupted")
        return 130
