"""Seeded benchmark inputs, shared by the pytest-benchmark suites and report.py.

Every workload is a pure function of its arguments and a seed, so two runs
(or two machines) time the same bytes:

- ``spec_pictures()``: the five meshblob pictures of the API documents.
- ``building(n, seed)``: n sample-sized elements: the five spec polyhedra
  with seeded per-axis scales, offsets and fresh GUIDs, re-encoded with
  ``bimgeo.encode_polyhedron`` (so each picture is distinct and gzip cannot
  share work between them).
- ``prism(n_sides)``: one n-gon prism (2n points, n + 2 faces, two n-gon faces).
- ``holed_plate(n_holes)``: a plate whose top and bottom faces each hold one
  outer loop and ``n_holes`` square holes (the holes are through-holes with
  their own side walls, so the solid is closed).

Geometry is built in the meshblob convention (design.md §2): each outer loop
runs clockwise seen from outside, holes the other way. ``check_volume``
compares a decoded mesh's volume with the exact one, so a workload cannot
silently time an error path.
"""
from __future__ import annotations

import base64
import gzip
import math
import os
import random
import sys
import uuid
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_TESTS = os.path.join(os.path.dirname(_HERE), "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import samples  # noqa: E402  (tests/samples.py: the spec vectors from package data)

import bimgeo  # noqa: E402
from bimgeo import Polyhedron  # noqa: E402

Loop = Sequence[int]
Face = Sequence[Loop]

SEED = 20240601


# --------------------------------------------------------------------------
# access to the functions under test (public API first, backend as fallback)
# --------------------------------------------------------------------------


def api(name: str):
    """A codec function by public name, or the active backend's when not exported (yet)."""
    fn = getattr(bimgeo, name, None)
    if fn is not None:
        return fn
    from bimgeo import _backend

    if name in ("parse_polyhedron", "decode_polyhedron"):
        return getattr(_backend.get("nrbf"), name)
    if name == "encode_polyhedron":
        from bimgeo._encode import encode_polyhedron

        return encode_polyhedron
    if name == "decode_meshblob":
        from bimgeo._meshing import decode_meshblob

        return decode_meshblob
    if name == "triangulate":
        from bimgeo._meshing import triangulate

        return triangulate
    raise AttributeError(name)


def unpack_stdlib(picture) -> bytes:
    """The baseline: stdlib base64 + gzip, nothing else."""
    return gzip.decompress(base64.b64decode(picture))


def unpackers() -> Dict[str, object]:
    """Fast unpack-only references that are installed: pybase64 + libdeflate / isal."""
    out: Dict[str, object] = {}
    try:
        import pybase64
    except ImportError:  # pragma: no cover - a dependency of bimgeo
        return out
    try:
        import deflate

        out["pybase64+libdeflate"] = lambda p: deflate.gzip_decompress(pybase64.b64decode(p, validate=True))
    except ImportError:
        pass
    try:
        from isal import igzip

        out["pybase64+isal"] = lambda p: igzip.decompress(pybase64.b64decode(p, validate=True))
    except ImportError:
        pass
    return out


# --------------------------------------------------------------------------
# building polyhedra from loops
# --------------------------------------------------------------------------


def from_mesh(points: np.ndarray, faces: Sequence[Face], *, id: str, rgba=(190.0, 204.0, 186.0, 255.0)) -> Polyhedron:
    """``Polyhedron.from_mesh``: faces as lists of point-index loops (0-based), edges shared as the server does."""
    fn = getattr(Polyhedron, "from_mesh", None)
    if fn is None:  # until the classmethod is wired to the encoder's helper
        from bimgeo._encode import polyhedron_from_mesh as fn
    return fn(points, faces, rgba=rgba, id=id)


def extrude(outer_xy: np.ndarray, holes_xy: Sequence[np.ndarray], z0: float, z1: float) -> Tuple[np.ndarray, List[Face]]:
    """Points and faces (meshblob winding) of a region with holes extruded from z0 to z1.

    ``outer_xy`` runs counter-clockwise and each hole clockwise in the xy plane.
    """
    rings = [np.asarray(outer_xy, dtype=np.float64)] + [np.asarray(h, dtype=np.float64) for h in holes_xy]
    bottom_ix: List[List[int]] = []
    top_ix: List[List[int]] = []
    pts: List[np.ndarray] = []
    base = 0
    for ring in rings:
        m = len(ring)
        pts.append(np.column_stack([ring, np.full(m, z0)]))
        pts.append(np.column_stack([ring, np.full(m, z1)]))
        bottom_ix.append(list(range(base, base + m)))
        top_ix.append(list(range(base + m, base + 2 * m)))
        base += 2 * m
    points = np.concatenate(pts)
    # Counter-clockwise seen from outside (the usual convention) first ...
    faces: List[Face] = [top_ix, [b[::-1] for b in bottom_ix]]
    for b, t in zip(bottom_ix, top_ix):
        m = len(b)
        for i in range(m):
            j = (i + 1) % m
            faces.append([[b[i], b[j], t[j], t[i]]])
    # ... then every loop reversed: meshblob outer loops are clockwise from outside.
    faces = [[list(loop)[::-1] for loop in face] for face in faces]
    return points, faces


def _square(cx: float, cy: float, h: float, ccw: bool) -> np.ndarray:
    sq = np.array([[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h]])
    return sq if ccw else sq[::-1]


# --------------------------------------------------------------------------
# workloads
# --------------------------------------------------------------------------


def spec_pictures() -> List[str]:
    """The five base64 meshblob pictures of the documents."""
    return samples.pictures()


def spec_streams() -> List[bytes]:
    """The five pictures as MS-NRBF streams."""
    return samples.nrbf_streams()


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@lru_cache(maxsize=None)
def _spec_polyhedra() -> Tuple[Polyhedron, ...]:
    decode = api("decode_polyhedron")
    return tuple(decode(p) for p in spec_pictures())


@lru_cache(maxsize=8)
def building(n: int = 2000, seed: int = SEED) -> Tuple[str, ...]:
    """``n`` distinct sample-sized pictures: spec polyhedra scaled, moved and renamed (seeded)."""
    rng = random.Random(seed)
    encode = api("encode_polyhedron")
    bases = _spec_polyhedra()
    out = []
    for i in range(n):
        base = bases[i % len(bases)]
        scale = np.array([rng.uniform(0.25, 4.0) for _ in range(3)])
        shift = np.array([rng.uniform(-1e5, 1e5), rng.uniform(-1e5, 1e5), rng.uniform(0, 3e4)])
        # Round to 0.01 mm as the server's coordinates are; planarity is kept
        # to well below the triangulator's tolerance.
        pts = np.round(base.points * scale + shift, 2)
        poly = Polyhedron(
            pts,
            base.edges,
            base.face_edges,
            base.face_offsets,
            radius=base.radius,
            bendingrolle=base.bendingrolle,
            polyeder_type=base.polyeder_type,
            id=_guid(rng),
            wire=base.wire,
        )
        out.append(encode(poly))
    return tuple(out)


@lru_cache(maxsize=None)
def building_streams(n: int = 2000, seed: int = SEED) -> Tuple[bytes, ...]:
    """The building's pictures unpacked to MS-NRBF streams."""
    return tuple(unpack_stdlib(p) for p in building(n, seed))


def prism_polyhedron(n_sides: int, radius: float = 5000.0, height: float = 3000.0) -> Polyhedron:
    """A regular n-gon prism (2n points)."""
    t = np.arange(n_sides) * (2.0 * math.pi / n_sides)
    ring = np.round(np.column_stack([radius * np.cos(t), radius * np.sin(t)]), 6)
    points, faces = extrude(ring, [], 0.0, height)
    return from_mesh(points, faces, id=str(uuid.UUID(int=n_sides, version=4)))


def prism_volume(n_sides: int, radius: float = 5000.0, height: float = 3000.0) -> float:
    """Exact volume of ``prism_polyhedron`` (up to its 1e-6 coordinate rounding)."""
    return 0.5 * n_sides * radius * radius * math.sin(2.0 * math.pi / n_sides) * height


@lru_cache(maxsize=None)
def prism(n_sides: int = 20000) -> str:
    """The picture of ``prism_polyhedron(n_sides)``."""
    return api("encode_polyhedron")(prism_polyhedron(n_sides))


def holed_plate_polyhedron(n_holes: int, pitch: float = 100.0, hole: float = 40.0, thickness: float = 20.0) -> Polyhedron:
    """A plate of ceil(sqrt(n)) x rows cells with n square through-holes (4n + 4 loops' points x 2)."""
    cols = max(1, int(math.ceil(math.sqrt(n_holes))))
    rows = max(1, int(math.ceil(n_holes / cols)))
    outer = np.array([[0.0, 0.0], [cols * pitch, 0.0], [cols * pitch, rows * pitch], [0.0, rows * pitch]])
    holes = []
    for k in range(n_holes):
        r, c = divmod(k, cols)
        holes.append(_square((c + 0.5) * pitch, (r + 0.5) * pitch, hole / 2, ccw=False))
    points, faces = extrude(outer, holes, 0.0, thickness)
    return from_mesh(points, faces, id=str(uuid.UUID(int=10**9 + n_holes, version=4)))


def holed_plate_volume(n_holes: int, pitch: float = 100.0, hole: float = 40.0, thickness: float = 20.0) -> float:
    cols = max(1, int(math.ceil(math.sqrt(n_holes))))
    rows = max(1, int(math.ceil(n_holes / cols)))
    return (cols * rows * pitch * pitch - n_holes * hole * hole) * thickness


@lru_cache(maxsize=None)
def holed_plate(n_holes: int = 500) -> str:
    """The picture of ``holed_plate_polyhedron(n_holes)``."""
    return api("encode_polyhedron")(holed_plate_polyhedron(n_holes))


def check_volume(picture, expected: float, rel: float = 1e-7) -> None:
    """Raise AssertionError unless decode_meshblob(picture) encloses ``expected`` mm³."""
    mesh = api("decode_meshblob")(picture)
    got = mesh.volume
    if not math.isclose(got, expected, rel_tol=rel):
        raise AssertionError(f"workload volume {got!r} != expected {expected!r}")
