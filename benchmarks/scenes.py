"""Seeded scene-side workloads: whole responses and chunked buildings.

Shared by ``bench_scenes.py`` (pytest-benchmark) and ``report.py``. Every
workload is a pure function of its arguments and a seed: two runs (or two
machines) time the same bytes.

- ``threejs_response(n, seed, digits, mix)``: a threejs discipline response
  of n prisms (the generator of tests/test_load.py, imported, not copied:
  60 % boxes, 30 % 8..40-sided profiles, 10 % 100..250-sided parts);
  ``threejs_bytes`` is its compact JSON.
- ``building_chunks(n, seed, chunk)``: a mixed building of n elements as a
  list of chunk responses, the shapes the API serves:

  * 40 % meshblob elements: five base solids (box, 8-, 16- and 32-sided
    prisms, a slab with 1..6 square openings, an L profile) built with
    ``bimgeo.Polyhedron.from_mesh`` in the meshblob winding, scaled per
    axis (seeded) so every picture is distinct, encoded with
    ``bimgeo.encode_polyhedron``; the placement (a rotation about z and
    an offset within +-50 m, where the threejs prisms are) with
    ``bimgeo.encode_matrix``;
  * 40 % threejs elements: ``threejs_response`` chunks;
  * 20 % template instances: one templates response (6 threejs templates
    in their local Z-up frame) and instance chunks whose 16-number
    row-major matrices are ``C @ T`` (T the Z-up placement, C the Z-up ->
    Y-up swap), as in scripts/make_sample_building.py.

  Chunks hold at most ``chunk`` (1,000) elements and one format each; the
  templates response comes first. Chunk k depends only on (seed, k), so
  the chunks can be made in parallel.
- ``write_building(n, directory, seed, chunk)``: those chunks as JSON files
  ``chunk_0000.json`` ... (compact, deterministic bytes), written by one
  process per CPU; returns the paths in load order.
- ``cached_building(n, ...)``: the same files kept in ``$TMPDIR/bimgeo-bench``
  under a key of the generators' and encoder's sources, checked to decode
  without errors once, reused by later runs.

Sizes: a 2,000-element building is about 4 MB of JSON, 50,000 about 100 MB
(see report.py's "end-to-end convert" table for the exact figures).
"""
from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_TESTS = os.path.join(os.path.dirname(_HERE), "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import bimgeo  # noqa: E402
import workloads as W  # noqa: E402  (benchmarks/workloads.py, beside this file)
from test_load import synthetic_response  # noqa: E402  (tests/test_load.py: the threejs response generator)

SEED = 20240601
CHUNK = 1000
#: World centre (Z up, mm) of the building: the threejs generator's prisms lie within +-50 m of the origin.
SITE = (0.0, 0.0, 0.0)
#: Z-up -> three.js Y-up: (x, y, z) -> (x, z, -y).
C_YUP = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, -1.0, 0, 0], [0, 0, 0, 1.0]])
#: Building mix: fractions of meshblob and threejs elements; the rest are template instances.
MESHBLOB_SHARE, THREEJS_SHARE = 0.4, 0.4
#: Colours (ARGB, signed as the server writes them) for threejs and instance chunks.
COLORS = [-4272966, -16777216, -9868951, -16711936]
PALETTE = [(190.0, 204.0, 186.0, 255.0), (200.0, 120.0, 90.0, 255.0), (90.0, 110.0, 160.0, 255.0), (180.0, 220.0, 255.0, 128.0)]


# --------------------------------------------------------------------------
# threejs responses
# --------------------------------------------------------------------------


def threejs_response(n: int = 2000, seed: int = 0, digits: str = "short", mix: str = "building") -> Dict[str, Any]:
    """tests/test_load.py's ``synthetic_response``: a threejs response of ``n`` prisms."""
    return synthetic_response(n, seed=seed, digits=digits, mix=mix)


def dumps(doc: Any) -> bytes:
    """Compact, deterministic JSON bytes (stdlib, so the bytes do not depend on optional packages)."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


@lru_cache(maxsize=8)
def threejs_bytes(n: int = 2000, seed: int = 0, digits: str = "short", mix: str = "building") -> bytes:
    """The JSON bytes of ``threejs_response`` (what ``bimgeo.load`` and ``json.loads`` both parse)."""
    return dumps(threejs_response(n, seed, digits, mix))


# --------------------------------------------------------------------------
# meshblob solids (Polyhedron.from_mesh, meshblob winding)
# --------------------------------------------------------------------------

Face = List[List[int]]


def _extrude(rings: Sequence[np.ndarray], z0: float, z1: float) -> Tuple[np.ndarray, List[Face]]:
    """Points and faces of an xy region (outer ring counter-clockwise, holes clockwise) extruded z0..z1,
    in the meshblob winding (``workloads.extrude``)."""
    return W.extrude(rings[0], rings[1:], z0, z1)


def _ngon(k: int, r: float = 0.5) -> np.ndarray:
    a = np.arange(k) * (2 * math.pi / k)
    return np.round(np.column_stack([r * np.cos(a), r * np.sin(a)]) + 0.5, 6)


def _slab(n_holes: int) -> List[np.ndarray]:
    """A unit square with ``n_holes`` square openings in a row (clockwise)."""
    rings = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])]
    w = 1.0 / (n_holes + 1)
    for i in range(n_holes):
        cx, h = (i + 1) * w, w * 0.3
        rings.append(np.array([[cx - h, 0.4], [cx - h, 0.6], [cx + h, 0.6], [cx + h, 0.4]]))
    return rings


#: Base solids in a unit cube (scaled per element): (name, rings, element type).
_SOLIDS: List[Tuple[str, List[np.ndarray], str]] = (
    [("box", [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])], "Wall")]
    + [(f"prism{k}", [_ngon(k)], "Column") for k in (8, 16, 32)]
    + [(f"slab{h}", _slab(h), "Slab") for h in (1, 3, 6)]
    + [("L", [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.2], [0.2, 0.2], [0.2, 1.0], [0.0, 1.0]])], "Beam")]
)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _placement(rng: random.Random) -> np.ndarray:
    """A Z-up local -> world matrix: a rotation about z and an offset around SITE (mm)."""
    a = rng.uniform(0.0, 2 * math.pi)
    m = np.eye(4)
    m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    m[:3, 3] = (
        round(SITE[0] + rng.uniform(-50_000, 50_000), 2),
        round(SITE[1] + rng.uniform(-50_000, 50_000), 2),
        round(rng.uniform(0, 30_000), 2),
    )
    return m


def meshblob_objects(n: int, rng: random.Random) -> List[Dict[str, Any]]:
    """``n`` meshblob elements: base solids scaled per axis, built, encoded and placed (seeded)."""
    out = []
    for _ in range(n):
        name, rings, type_ = _SOLIDS[rng.randrange(len(_SOLIDS))]
        size = (rng.uniform(200, 8000), rng.uniform(100, 3000), rng.uniform(200, 4000))
        scaled = [np.round(r * size[:2], 2) for r in rings]
        points, faces = _extrude(scaled, 0.0, round(size[2], 2))
        eid = _guid(rng)
        rgba = PALETTE[rng.randrange(len(PALETTE))] if rng.random() < 0.9 else None
        poly = bimgeo.Polyhedron.from_mesh(points, faces, rgba=rgba, id=eid)
        out.append(
            {
                "id": eid,
                "parent": _guid(rng),
                "type": type_,
                "attributes": {
                    "general": {"name": f"{name} {rng.randrange(10**6)}"},
                    "geometry": {
                        "compress": True,
                        "picture": bimgeo.encode_polyhedron(poly),
                        "type": 3,
                        "matrix": bimgeo.encode_matrix(_placement(rng)),
                    },
                },
            }
        )
    return out


# --------------------------------------------------------------------------
# templates and instances
# --------------------------------------------------------------------------


def _threejs_prism(ring: np.ndarray, height: float, colorid: int) -> Dict[str, Any]:
    """A threejs (format 3) prism over a convex counter-clockwise xy ring, in the template's local Z-up frame."""
    k = len(ring)
    verts: List[float] = []
    for z in (0.0, height):
        for x, y in ring:
            verts += [round(float(x), 3), round(float(y), 3), z]
    faces: List[int] = []
    for i in range(1, k - 1):  # caps: triangle fans, counter-clockwise from outside
        faces += [0, 0, i + 1, i]
        faces += [0, k, k + i, k + i + 1]
    for i in range(k):  # sides: quads
        j = (i + 1) % k
        faces += [1, i, j, k + j, k + i]
    return {"metadata": {"formatVersion": 3, "colorid": colorid}, "vertices": verts, "faces": faces}


#: The templates: (name, sides, radius, height, element type).
_TEMPLATES = [("Post", 4, 60.0, 1200.0, "Fence"), ("Column", 8, 150.0, 3000.0, "Column"), ("Pipe", 16, 50.0, 1000.0, "Pipe"),
              ("Bolt", 6, 12.0, 80.0, "Fastener"), ("Lamp", 24, 200.0, 300.0, "Light"), ("Duct", 4, 250.0, 1000.0, "Duct")]


def templates_response(seed: int) -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """The templates response and [(template id, element type)]."""
    rng = random.Random(seed ^ 0x7E3)
    templates = []
    ids = []
    for i, (name, k, r, h, type_) in enumerate(_TEMPLATES):
        tid = _guid(rng)
        ring = np.column_stack([r * np.cos(np.arange(k) * 2 * math.pi / k), r * np.sin(np.arange(k) * 2 * math.pi / k)])
        templates.append({"id": tid, "name": name, "geometries": [_threejs_prism(ring, h, i % len(COLORS))]})
        ids.append((tid, type_))
    return {"templates": templates, "colors": COLORS, "revision": 1}, ids


def instance_objects(n: int, rng: random.Random, templates: Sequence[Tuple[str, str]]) -> List[Dict[str, Any]]:
    """``n`` template instances: 16-number row-major Y-up matrices (``C_YUP @ T``), a few colour overrides."""
    out = []
    for _ in range(n):
        tid, type_ = templates[rng.randrange(len(templates))]
        m = C_YUP @ _placement(rng)
        geometry: Dict[str, Any] = {"template": tid, "matrix": [round(float(v), 9) + 0.0 for v in m.reshape(-1)]}
        if rng.random() < 0.1:
            geometry["colorid"] = rng.randrange(len(COLORS))
        out.append({"id": _guid(rng), "parent": _guid(rng), "type": type_, "attributes": {"general": {"name": f"{type_} {rng.randrange(10**6)}"}, "geometry": geometry}})
    return out


# --------------------------------------------------------------------------
# the building
# --------------------------------------------------------------------------


def building_counts(n: int) -> Dict[str, int]:
    """How many elements of each kind a building of ``n`` elements holds."""
    mb = int(round(n * MESHBLOB_SHARE))
    tj = int(round(n * THREEJS_SHARE))
    return {"meshblob": mb, "threejs": tj, "instances": n - mb - tj}


def chunk_plan(n: int, chunk: int = CHUNK) -> List[Tuple[str, int]]:
    """(kind, size) of each chunk after the templates response: meshblob, threejs and instance chunks interleaved."""
    counts = building_counts(n)
    parts: Dict[str, List[int]] = {}
    for kind in ("meshblob", "threejs", "instances"):
        left = counts[kind]
        parts[kind] = []
        while left > 0:
            parts[kind].append(min(chunk, left))
            left -= chunk
    order: List[Tuple[str, int]] = []
    for i in range(max(len(p) for p in parts.values())):
        for kind, sizes in parts.items():
            if i < len(sizes):
                order.append((kind, sizes[i]))
    return order


def make_chunk(kind: str, size: int, k: int, seed: int = SEED) -> Dict[str, Any]:
    """Chunk ``k`` (0-based, after the templates response) of the building: depends only on (kind, size, k, seed)."""
    sub = seed * 1000 + k
    rng = random.Random(sub)
    if kind == "meshblob":
        return {"elementsCount": size, "objects": meshblob_objects(size, rng)}
    if kind == "threejs":
        doc = threejs_response(size, seed=sub)
        doc["colors"] = COLORS
        return doc
    _, tids = templates_response(seed)
    return {"colors": COLORS, "elementsCount": size, "objects": instance_objects(size, rng, tids)}


def building_chunks(n: int = 2000, seed: int = SEED, chunk: int = CHUNK) -> Iterator[Dict[str, Any]]:
    """The chunk responses of a mixed building of ``n`` elements (a generator: one chunk in memory at a time).

    The templates response first, then meshblob, threejs and instance
    chunks of at most ``chunk`` elements, interleaved (``chunk_plan``).
    """
    yield templates_response(seed)[0]
    for k, (kind, size) in enumerate(chunk_plan(n, chunk)):
        yield make_chunk(kind, size, k, seed)


def _write_chunk(job: Tuple[str, str, int, int, int]) -> str:
    path, kind, size, k, seed = job
    with open(path, "wb") as fh:
        fh.write(dumps(make_chunk(kind, size, k, seed)))
    return path


def write_building(n: int, directory: str, seed: int = SEED, chunk: int = CHUNK, workers: Optional[int] = None) -> List[str]:
    """Write the building's chunks as ``chunk_0000.json`` (templates), ``chunk_0001.json``, ... into ``directory``.

    Chunks are independent, so they are written by ``workers`` processes
    (default: one per CPU; 1 = in this process). Returns the paths in load order.
    """
    os.makedirs(directory, exist_ok=True)
    first = os.path.join(directory, "chunk_0000.json")
    with open(first, "wb") as fh:
        fh.write(dumps(templates_response(seed)[0]))
    jobs = [(os.path.join(directory, f"chunk_{k + 1:04d}.json"), kind, size, k, seed) for k, (kind, size) in enumerate(chunk_plan(n, chunk))]
    workers = min(len(jobs), workers or os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 4:  # a worker's start (spawn: imports bimgeo) costs about a chunk
        rest = [_write_chunk(j) for j in jobs]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process that may hold threads (pytest, a ThreadPoolExecutor) warns on 3.12+.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            rest = list(pool.map(_write_chunk, jobs))
    return [first] + rest


def _source_digest() -> str:
    """A key for cached buildings: the generator's, the imported generator's and the encoder's sources, bimgeo's version."""
    h = hashlib.sha256(bimgeo.__version__.encode())
    for path in (__file__, os.path.join(_TESTS, "test_load.py"), os.path.join(os.path.dirname(bimgeo.__file__), "_encode.py")):
        try:
            with open(path, "rb") as fh:
                h.update(fh.read())
        except OSError:
            pass
    return h.hexdigest()[:12]


def cached_building(n: int, seed: int = SEED, chunk: int = CHUNK, root: Optional[str] = None) -> Dict[str, Any]:
    """The building's chunk files, written once into a cache folder and reused while the generator is unchanged.

    Returns {"paths", "bytes", "triangles", "elements", "generated_s"}
    (generated_s 0.0 when the files came from the cache). The folder is
    ``root`` (default ``$TMPDIR/bimgeo-bench``)/``building-n-seed-chunk-digest``;
    every element is checked to decode (``check_building``) before the
    files are used.
    """
    root = root or os.path.join(tempfile.gettempdir(), "bimgeo-bench")
    directory = os.path.join(root, f"building-{n}-{seed}-{chunk}-{_source_digest()}")
    meta_path = os.path.join(directory, "meta.json")
    try:
        with open(meta_path) as fh:
            meta = json.load(fh)
        if all(os.path.exists(p) for p in meta["paths"]) and files_size(meta["paths"]) == meta["bytes"]:
            meta["generated_s"] = 0.0
            return meta  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError):
        pass
    prefix = f"building-{n}-{seed}-{chunk}-"
    if os.path.isdir(root):  # older generations of this building (another digest): not used again
        for name in os.listdir(root):
            if name.startswith(prefix) and os.path.join(root, name) != directory:
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    t0 = time.perf_counter()
    paths = write_building(n, directory, seed, chunk)
    generated = time.perf_counter() - t0
    meta = {"paths": paths, "bytes": files_size(paths), "triangles": check_building(paths, n), "elements": n}
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(meta, fh)
    os.replace(tmp, meta_path)
    meta["generated_s"] = generated
    return meta


# --------------------------------------------------------------------------
# end-to-end: ``python -m bimgeo convert`` in a child process
# --------------------------------------------------------------------------


#: Runs one command and writes its wall seconds and ``os.wait4`` rusage to argv[1] (started with ``python -S``).
_LAUNCHER = """
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as fh:
    fh.write(repr((os.waitstatus_to_exitcode(status), wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)))
"""


def _child_env() -> Dict[str, str]:
    """The environment with the folder of the bimgeo we imported first on PYTHONPATH (the child runs the same code)."""
    env = dict(os.environ)
    top = os.path.dirname(os.path.dirname(os.path.abspath(bimgeo.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([top] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def run_child(args: Sequence[str], cwd: Optional[str] = None) -> Dict[str, Any]:
    """Run ``python args...`` and measure that one process: wall and CPU seconds, peak RSS.

    The figures are the ``os.wait4`` rusage of the process, reaped by a
    small launcher (``python -S``, a few MB): on Linux a process's
    ``ru_maxrss`` also counts the memory of whoever spawned it (the
    pre-exec image), so spawning straight from this (large) process would
    report our size instead of bimgeo's. ``getrusage(RUSAGE_CHILDREN)``
    is no better: it reports the largest child so far. The wall time is
    taken around the spawn and wait inside the launcher (the launcher's
    own start is not counted).
    """
    with tempfile.TemporaryDirectory(prefix="bimgeo-run-") as tmp:
        res = os.path.join(tmp, "rusage")
        err_path = os.path.join(tmp, "stderr")
        with open(err_path, "wb") as err:
            rc = subprocess.call(
                [sys.executable, "-S", "-c", _LAUNCHER, res, sys.executable, *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=_child_env(),
            )
        with open(err_path, "rb") as fh:
            stderr = fh.read().decode("utf-8", "replace")
        if rc != 0 or not os.path.exists(res):
            raise RuntimeError(f"launcher failed ({rc}): {stderr[-2000:]}")
        with open(res) as fh:
            code, wall, cpu, maxrss = ast.literal_eval(fh.read())
    return {"rc": code, "wall_s": wall, "cpu_s": cpu, "peak_rss": int(maxrss) * (1 if sys.platform == "darwin" else 1024), "stderr": stderr}


def python_startup() -> Dict[str, Any]:
    """The floor under every conversion: start Python, import bimgeo's command, exit (``-m bimgeo --version``)."""
    return run_child(["-m", "bimgeo", "--version"])


def convert(paths: Sequence[str], out: str, *extra: str) -> Dict[str, Any]:
    """``python -m bimgeo convert PATHS... -o OUT [extra]`` in a child; ``run_child``'s figures + ``out_bytes``.

    Raises RuntimeError when the command fails or reports skipped elements.
    """
    r = run_child(["-m", "bimgeo", "convert", *paths, "-o", out, *extra])
    if r["rc"] != 0:
        raise RuntimeError(f"bimgeo convert exited {r['rc']}: {r['stderr'][-2000:]}")
    m = re.search(r"skipped\s+([\d ]+)", r["stderr"])
    if m and int(m.group(1).replace(" ", "")) != 0:
        raise RuntimeError(f"bimgeo convert skipped elements: {r['stderr'][-2000:]}")
    r["out_bytes"] = os.path.getsize(out)
    return r


def files_size(paths: Sequence[str]) -> int:
    return sum(os.path.getsize(p) for p in paths)


def check_building(paths: Sequence[str], n: int) -> Optional[int]:
    """Load the chunk files and check every element decoded; return the scene's triangle count."""
    scene = bimgeo.load(list(paths))
    if len(scene) != n or scene.errors:
        raise AssertionError(f"building: {len(scene)} elements (want {n}), {len(scene.errors)} errors: {scene.errors[:3]}")
    return int(scene.n_triangles)
