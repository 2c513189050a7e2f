"""Inputs found by the fuzz harnesses (fuzz/), kept as regression tests.

Each finding is written down twice: as a direct call of the public API with
the outcome it must have (a BimgeoError subclass, never anything else), and
replayed through its harness, whose extra checks (twins agree, triangles
index existing points, the glb is well formed) must hold too. The seed
corpus of every harness is replayed as well, so a harness cannot rot
unnoticed. The harness replays need the source tree's fuzz/ folder and are
skipped without it (e.g. when testing an installed wheel from a temporary
directory).
"""
from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys

import pytest

import bimgeo
from bimgeo import BimgeoError, DecodeError

FUZZ_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz")
HARNESSES = ["nrbf", "meshblob", "threejs", "triangulate", "load", "matrix", "polymesh", "glb"]

needs_fuzz_dir = pytest.mark.skipif(not os.path.isdir(FUZZ_DIR), reason="fuzz/ not present (installed-wheel run)")


def harness(name: str):
    """The fuzz/fuzz_<name>.py module, or skip when its decoder has not landed."""
    if FUZZ_DIR not in sys.path:
        sys.path.insert(0, FUZZ_DIR)
    mod = importlib.import_module(f"fuzz_{name}")
    if getattr(mod, "MISSING", None):
        pytest.skip(f"bimgeo lacks {mod.MISSING}")
    return mod


# --- findings ------------------------------------------------------------------------------
# (harness, input as base64, what it once did). Each is replayed through its
# harness in a subprocess with a time limit (a finding may be a hang), and has
# a direct test of the public function below.
FINDINGS = [
    (
        "triangulate",
        "8vdQGGefXV1tS2PS8SNorEhBtu71myt0kVszgrDv3S4PYJF0leuh1dvH5yE8YE3sX2num+pBNFOOceNQ5KkfoL7PKrjSj0AtZ3NCwkZzFyqFdNt9"
        "4Kqw2AwOo03ANmEhafCelBIwJ/rY3kpf30oulIlvxngN8T2TlMR69WQYLP4o+ZvbDR0YJfshH3he3RrgjwUUx/40IlBgQZzoumyv+8w2olxyOhBQ"
        "DDSxTKG9ZnmgA1V5gUSqQfL0zq8qL1GbBQ==",
        "triangulate hung (both twins): a face whose loops share points; hole elimination returned an outer node that"
        " its own duplicate filter had unlinked, and _is_ear walked that stale ring forever",
    ),
]

REPLAY_TIMEOUT = 20


@needs_fuzz_dir
@pytest.mark.parametrize("name, data, what", FINDINGS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FINDINGS)])
def test_finding_replays_clean(name, data, what, tmp_path):
    harness(name)  # skips when the decoder has not landed
    f = tmp_path / "input"
    f.write_bytes(base64.b64decode(data))
    script = os.path.join(FUZZ_DIR, f"fuzz_{name}.py")
    try:
        proc = subprocess.run(
            [sys.executable, script, "--replay", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=REPLAY_TIMEOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore::RuntimeWarning"},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: still hangs (> {REPLAY_TIMEOUT} s): {what}")
    assert proc.returncode == 0, f"{name}: {what}\n{proc.stdout[-3000:]}"


def run_with_timeout(code: str, implementation: str, timeout: float = REPLAY_TIMEOUT) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter on one implementation; a hang fails the test instead of blocking it."""
    env = {**os.environ, "BIMGEO_IMPLEMENTATION": implementation, "PYTHONWARNINGS": "ignore::RuntimeWarning"}
    try:
        return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hangs on the {implementation} implementation (> {timeout} s)")


TRIANGULATE_SHARED_POINTS = """
import numpy as np, bimgeo
from bimgeo import _backend
tri = _backend.get("triangulate")
points = np.array([[0, 2, 0], [1, 2, 0], [-3, 3, 0], [-3, -3, 0]], dtype=np.float64)
edges = np.array([[3, 3], [3, 2], [2, 0], [0, 3], [3, 1], [1, 2], [1, 0]], dtype=np.int32)
face_edges = np.array([2, 3, 4, 5, 6, -2, 4, -4, 4, 2, -6, 7], dtype=np.int32)
try:
    faces, source = tri.triangulate(points, edges, face_edges, np.array([0, len(face_edges)]))
    assert faces.size == 0 or int(faces.max()) < len(points)
    print("ok", len(faces))
except bimgeo.BimgeoError as exc:
    print("error", type(exc).__name__)
"""


@pytest.mark.parametrize("implementation", ["cython", "python"])
def test_triangulate_face_with_loops_sharing_points_terminates(implementation):
    """fuzz_triangulate finding 0: loops of one face sharing points (edges used several times) must not hang.

    Fault: bimgeo/_pure/triangulate.py _eliminate_hole (and its line-by-line
    translation in _core/triangulate.pyx) returns ``outer`` unchanged when
    ``outer != bridge``, but ``_filter_points`` may just have unlinked that
    node (a duplicate point); ``_is_ear``'s ``while p != a`` then never meets
    the stale node. (earcut >= 2.2.3 returns ``filterPoints(bridge, bridge.next)``.)
    """
    if implementation == "cython" and bimgeo.IMPLEMENTATION != "cython":
        pytest.skip("compiled core not built")
    proc = run_with_timeout(TRIANGULATE_SHARED_POINTS, implementation)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert proc.stdout.split()[0] in ("ok", "error"), proc.stdout


# --- the seed corpora ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if FUZZ_DIR not in sys.path:
        sys.path.insert(0, FUZZ_DIR)
    out = tmp_path_factory.mktemp("corpus")
    make_corpus = importlib.import_module("make_corpus")
    make_corpus.main(["--out", str(out)])
    return out


@needs_fuzz_dir
@pytest.mark.parametrize("name", HARNESSES)
def test_seed_corpus_replays_clean(name, corpus):
    """Every seed of every harness passes the harness's checks (the fuzzers start from a clean state)."""
    mod = harness(name)
    folder = corpus / name
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    assert files, f"make_corpus.py wrote no seeds for {name}"
    for f in files:
        try:
            mod.TestOneInput(f.read_bytes())
        except Exception as exc:  # noqa: BLE001 - name the seed
            raise AssertionError(f"seed {f.name} of harness {name}: {type(exc).__name__}: {exc}") from exc


# --- direct checks of the contract on classic hostile inputs ---------------------------------


HOSTILE_STREAMS = [
    b"",
    b"\x00",
    b"\x00" * 17,  # a header of zeros, then nothing
    b"\x00\x01\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00",  # header only
    b"\x0b",  # MessageEnd first
    b"\x00\x01\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x0f\x01\x00\x00\x00\xff\xff\xff\x7f\x08",
    # ^ ArraySinglePrimitive of 2**31-1 Int32: must not allocate 8 GiB
    b"\x00\x01\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x09\x01\x00\x00\x00\x0b",
    # ^ a MemberReference to an object that never comes
]


@pytest.mark.parametrize("stream", HOSTILE_STREAMS, ids=range(len(HOSTILE_STREAMS)))
def test_parse_polyhedron_hostile_streams(stream):
    with pytest.raises(BimgeoError):
        bimgeo.parse_polyhedron(stream)


@pytest.mark.parametrize(
    "picture, compress",
    [("", 1), ("====", 1), ("H4sI", 1), ("not base64!", 1), ("AAAA", 0), (b"\xff\xfe", 1), ("H4sIAAAAAAAA/w==", 1)],
)
def test_decode_polyhedron_hostile_pictures(picture, compress):
    with pytest.raises(DecodeError):
        bimgeo.decode_polyhedron(picture, compress=compress)
