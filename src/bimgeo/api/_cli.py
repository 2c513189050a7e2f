"""Command-line subcommands of the HTTP layer: ``fetch`` and ``export-ifc``.

The ``bimgeo`` command adds them with :func:`add_subcommands`; each parser
sets ``func``, called as ``func(args) -> int`` (exit status).
``python -m bimgeo.api ...`` runs them on their own.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any, Dict, Generator, Iterator, Optional, Sequence

import orjson

from ._client import Client
from .._errors import BimgeoError
from ._errors import ApiError, ConfigurationError
from ._retry import RetryPolicy

__all__ = ["add_subcommands", "main"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", required=True, help="team slug")
    parser.add_argument(
        "--token",
        default=None,
        help="access token (default: $BIMPLUS_TOKEN; prefer the variable, arguments are visible to other users)",
    )
    parser.add_argument("--token-type", default="BimPlus", help="Authorization scheme (default: BimPlus)")
    parser.add_argument("--base-url", default=None, help="API base URL (default: $BIMPLUS_API_URL or https://api.bimplus.net/v2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per network operation (default: 60)")
    parser.add_argument("--retries", type=int, default=3, help="retries of a failed request (default: 3)")
    parser.add_argument("--cache-dir", default=None, help="ETag cache folder (unchanged data costs one conditional request)")


def add_subcommands(subparsers: Any) -> None:
    """Add ``fetch`` and ``export-ifc`` to an argparse subparsers object."""
    fetch = subparsers.add_parser(
        "fetch",
        help="download a model's or object's geometry and convert it",
        description="Fetch geometry chunk by chunk and write raw chunks (.json) or convert them (.glb, .obj).",
    )
    _common(fetch)
    fetch.add_argument("--project", required=True, help="project id")
    which = fetch.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="model (division) id: its topology root's geometry is fetched")
    which.add_argument("--object", help="object id (a topology node)")
    fetch.add_argument("--discipline", default=None, help="only this discipline (layer) id")
    fetch.add_argument("--format", choices=("meshblob", "threejs"), default="threejs", help="geometry format asked for")
    fetch.add_argument("--properties", type=int, default=0, help="threejs properties bits (1 tree, 2 viewer attributes, 4 normals, 8 templates)")
    fetch.add_argument("--concurrency", type=int, default=4, help="chunks fetched at once (default: 4)")
    fetch.add_argument("-o", "--output", required=True, help="output file: .json (raw chunks), .glb or .obj")
    fetch.set_defaults(func=run_fetch)

    exp = subparsers.add_parser(
        "export-ifc",
        help="export a model to IFC (Bimplus exportasync, or an iTwin export connection run)",
        description="Start an IFC export job; with --wait, wait for it to finish.",
    )
    _common(exp)
    exp.add_argument("--project", required=True, help="project id")
    exp.add_argument("--model", required=True, help="model (division) id")
    exp.add_argument("--revision", type=int, default=None, help="export this revision (default: latest)")
    exp.add_argument("--empty-prop-export", action="store_true", help="export empty properties")
    exp.add_argument("--prop-set-export", action="store_true", help="export the custom project property set")
    exp.add_argument("--wait", action="store_true", help="wait until the job finishes")
    exp.add_argument("--wait-timeout", type=float, default=3600.0, help="give up waiting after this many seconds")
    exp.add_argument("--poll-interval", type=float, default=5.0, help="seconds between status polls")
    exp.add_argument("--itwin-connection", default=None, help="run this iTwin export connection instead")
    exp.add_argument("--itwin-token", default=None, help="iTwin bearer token (default: $ITWIN_TOKEN, else --token)")
    exp.add_argument("--itwin-base-url", default=None, help="iTwin API base (default: $ITWIN_API_URL or https://api.bentley.com)")
    exp.add_argument("--ifc-version", default=None, help="iTwin: IFC4.3, IFC2x3, 'IFC2x3 CV 2.0', 'IFC4 RV 1.2'")
    exp.set_defaults(func=run_export_ifc)


def _client(args: argparse.Namespace, **extra: Any) -> Client:
    return Client(
        args.token,
        team=args.team,
        base_url=args.base_url,
        timeout=args.timeout,
        token_type=args.token_type,
        retries=RetryPolicy(attempts=max(0, args.retries)),
        cache_dir=args.cache_dir,
        **extra,
    )


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, stream: IO[str], label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _fail(message: str) -> int:
    sys.stderr.write(f"bimgeo: error: {message}\n")
    return 1


def _fetch_chunks(args: argparse.Namespace, progress: "_Progress", tally: Dict[str, int]) -> Generator[bytes, None, None]:
    """Each geometry chunk's JSON body, in order, as it arrives (``tally["chunks"]`` counts them)."""
    with _client(args, concurrency=max(1, args.concurrency)) as client:
        object_id = args.object
        if args.model is not None:
            division = client.models.get(args.model)
            project = division.get("projectId")
            if project and project.lower() != args.project.lower():
                raise ConfigurationError(f"model {args.model} belongs to project {project}, not {args.project}")
            object_id = division.get("topologyId") or args.model
        for body in client.geometries.iter_chunk_bytes(
            object_id,
            format=args.format,
            discipline_id=args.discipline,
            properties=args.properties,
            progress=progress,
        ):
            tally["chunks"] += 1
            yield body


def _json_array(chunks: Iterator[bytes], tally: Dict[str, int]) -> Iterator[bytes]:
    """The chunks as one JSON array, piece by piece; each chunk checked to be a JSON object."""
    yield b"["
    for i, body in enumerate(chunks):
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(f"geometry chunk {i + 1} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ApiError(f"geometry chunk {i + 1}: expected a JSON object, got {type(doc).__name__}")
        tally["elements"] += len(doc.get("objects") or [])
        del doc
        yield (b"," if i else b"") + body.strip()
    yield b"]"


def run_fetch(args: argparse.Namespace) -> int:
    """``bimgeo fetch``: geometry chunks to .json, or through bimgeo.load to .glb/.obj.

    Chunks are written or loaded as they arrive, so memory holds one chunk's
    JSON at a time (plus, for .glb/.obj, the scene being built).
    """
    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".json", ".glb", ".obj"):
        return _fail(f"unknown output type {out.suffix!r} (use .json, .glb or .obj)")
    import bimgeo
    from bimgeo._io import atomic_write

    load: Any = getattr(bimgeo, "load", None)
    if suffix != ".json" and load is None:
        return _fail("this bimgeo has no converter (bimgeo.load); write .json instead")
    progress = _Progress(sys.stderr, "fetch")
    tally = {"chunks": 0, "elements": 0}
    chunks = _fetch_chunks(args, progress, tally)
    try:
        try:
            if suffix == ".json":
                atomic_write(out, _json_array(chunks, tally))
            else:
                scene = load(chunks)
        finally:
            chunks.close()  # on a failure part-way: the client and its fetch threads end now
            progress.close()
        if suffix != ".json":
            tally["elements"] = len(scene) + len(scene.errors)
            scene.export(str(out))
    except (BimgeoError, OSError) as exc:
        return _fail(str(exc))
    sys.stderr.write(f"wrote {out} ({tally['chunks']} chunk(s), {tally['elements']} element(s))\n")
    return 0


def _print(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode("utf-8") + "\n")
    sys.stdout.flush()


def run_export_ifc(args: argparse.Namespace) -> int:
    """``bimgeo export-ifc``: start an export job (Bimplus or iTwin) and optionally wait for it."""
    itwin_token = args.itwin_token or os.environ.get("ITWIN_TOKEN") or None
    try:
        with _client(args, itwin_base_url=args.itwin_base_url, itwin_token=itwin_token) as client:
            client.retry.poll_interval = args.poll_interval
            if args.itwin_connection:
                run = client.itwin_export.create_run(args.itwin_connection, ifc_version=args.ifc_version)
                _print({"run": run.run_id, "status": "existing" if run.existing else "created", "location": run.location})
                if args.wait:
                    done = client.itwin_export.wait(run, timeout=args.wait_timeout)
                    _print({"run": done.run_id, "state": done.state, "result": done.result, "details": done.raw})
                return 0
            job = client.ifc_export.model(
                args.project,
                args.model,
                revision=args.revision,
                empty_prop_export=args.empty_prop_export or None,
                prop_set_export=args.prop_set_export or None,
            )
            _print({"status": "accepted" if job.accepted else "already queued", "http": job.status, "location": job.location})
            if args.wait:
                if not job.location:
                    sys.stderr.write(
                        "bimgeo: the export was queued; the Bimplus API gives no job status to wait on "
                        "(the IFC file arrives through Bimplus)\n"
                    )
                    return 0
                _print({"result": client.ifc_export.wait(job, timeout=args.wait_timeout)})
    except (BimgeoError, OSError) as exc:
        return _fail(str(exc))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``fetch`` / ``export-ifc`` as a program (``python -m bimgeo.api``)."""
    parser = argparse.ArgumentParser(prog="bimgeo", description="Bimplus API commands of bimgeo")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))
