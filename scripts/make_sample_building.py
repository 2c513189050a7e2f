#!/usr/bin/env python
"""Generate the bundled sample building: ``src/bimgeo/data/sample_building.json.gz``.

A small two-storey house with a carport, a fence and a stair, written as the
Bimplus REST API would answer it, with OUR encoder (``bimgeo.encode_polyhedron``,
``bimgeo.encode_matrix``), so it exercises every input path of ``bimgeo.load``:

* meshblob chunks (design.md §2, §3): walls with doors (non-convex faces) and
  windows (faces with holes, the hole loop sometimes listed before the outer
  loop), slabs with a stair opening, columns, gable walls, a two-plate roof,
  strip footings, one interior wall without colour (``m_Radius`` null) and
  reinforcement bars that are wires (edges, no faces);
* a threejs chunk (design.md §4): window frames, glazing (alpha < 255), door
  leaves, a stair (using the material-index face bit), furniture;
* a templates chunk and an instances chunk (design.md §5): the carport's
  steel columns and beams (I profiles, non-convex sections) and timber slats,
  balusters, fence posts and fence rails (scaled by their matrix), placed by
  16-number row-major matrices in the Y-up frame, some with a ``colorid``
  override.

271 elements in 5 chunks: 41 meshblob (12 of them wires), 53 threejs, 177
template instances of 6 templates; about 66 KB.

Frames and units: the building is designed in the server's world frame,
Z up, millimetres, around ``SITE`` (1 km / 2 km from the origin, to exercise
float precision). meshblob points are element-local (Z up, mm) with the
world placement in the base64 ``matrix``; threejs vertices are world Y up,
threejs (x, y, z) = world (x, z, -y). Template geometry is written in the
template's local Z-up frame and each instance matrix is ``C @ T``, T the
Z-up placement and C the Z-up -> Y-up axis swap, exactly like the seed's
template example (design.md §5); a loader maps world = C^-1 @ M @ v = T @ v.

The file is a gzip (mtime 0) of a JSON list of chunk responses. The output
depends only on ``seed`` (and on the encoder's bytes): regenerating gives
the same file, which tests/test_sample.py checks.

Usage: ``python scripts/make_sample_building.py [-o PATH] [--seed N]``
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

SEED = 20261123
#: World position (Z up, mm) of the building's origin corner.
SITE = (1_000_000.0, 2_000_000.0, 0.0)
OUT = Path(__file__).resolve().parent.parent / "src" / "bimgeo" / "data" / "sample_building.json.gz"

Vec = Tuple[float, float, float]
RGBA = Tuple[int, int, int, int]

# PolyederType flags (design.md §2).
SELECTABLE, TRANSPARENT, ELEMENT, REINFORCEMENT = 0x1, 0x2, 0x1000, 0x10000
SOLID_FLAGS = ELEMENT | TRANSPARENT | SELECTABLE  # 4099, as in every seed sample
WIRE_FLAGS = REINFORCEMENT | ELEMENT | SELECTABLE

# Building dimensions (mm).
LENGTH, WIDTH = 12_000.0, 8_000.0  # outer footprint, x by y
STOREY = 3_000.0  # floor to floor
WALL_T = 300.0  # exterior wall thickness
INNER_T = 115.0  # interior wall thickness
SLAB_T = 250.0
N_STOREYS = 2


# --------------------------------------------------------------------------
# small geometry helpers (numpy-free where it keeps the output exact)
# --------------------------------------------------------------------------


def _sub(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def newell(loop: Sequence[Sequence[float]]) -> Vec:
    """Newell normal of a closed loop (length = twice the area)."""
    nx = ny = nz = 0.0
    n = len(loop)
    for i in range(n):
        x0, y0, z0 = loop[i]
        x1, y1, z1 = loop[(i + 1) % n]
        nx += (y0 - y1) * (z0 + z1)
        ny += (z0 - z1) * (x0 + x1)
        nz += (x0 - x1) * (y0 + y1)
    return (nx, ny, nz)


class Solid:
    """A polyhedron under construction: shared points, faces made of loops.

    Coordinates are element-local, mm, Z up. ``face(loops, outward)`` takes
    the outer loop first and holes after, in any direction; it orients them
    as the server does (outer clockwise seen from outside, i.e. its Newell
    normal points inward; holes the other way, design.md §2).
    """

    def __init__(self) -> None:
        self.points: List[Vec] = []
        self._index: Dict[Tuple[float, float, float], int] = {}
        self.faces: List[List[List[int]]] = []

    def pt(self, p: Sequence[float]) -> int:
        key = (round(float(p[0]), 6) + 0.0, round(float(p[1]), 6) + 0.0, round(float(p[2]), 6) + 0.0)
        i = self._index.get(key)
        if i is None:
            i = len(self.points)
            self._index[key] = i
            self.points.append(key)
        return i

    def face(self, loops: Sequence[Sequence[Sequence[float]]], outward: Sequence[float], holes_first: bool = False) -> None:
        out: List[List[int]] = []
        for k, loop in enumerate(loops):
            pts = [tuple(map(float, p)) for p in loop]
            along = _dot(newell(pts), outward) > 0
            want_along = k > 0  # holes run with the outward normal
            if along != want_along:
                pts = pts[::-1]
            out.append([self.pt(p) for p in pts])
        if holes_first and len(out) > 1:
            out = out[1:] + out[:1]
        self.faces.append(out)

    def convex_face(self, loop: Sequence[Sequence[float]], centre: Sequence[float]) -> None:
        """A face of a convex solid, outward = away from the solid's ``centre``."""
        c = [sum(p[i] for p in loop) / len(loop) for i in range(3)]
        n = newell(loop)
        if _dot(n, _sub(c, centre)) < 0:
            n = (-n[0], -n[1], -n[2])
        self.face([loop], n)


def prism(base: Sequence[Tuple[float, float]], z0: float, z1: float) -> Solid:
    """A vertical prism over a convex xy polygon ``base``, from z0 to z1 (mm)."""
    s = Solid()
    centre = (sum(p[0] for p in base) / len(base), sum(p[1] for p in base) / len(base), (z0 + z1) / 2)
    s.convex_face([(x, y, z0) for x, y in base], centre)
    s.convex_face([(x, y, z1) for x, y in base], centre)
    n = len(base)
    for i in range(n):
        (xa, ya), (xb, yb) = base[i], base[(i + 1) % n]
        s.convex_face([(xa, ya, z0), (xb, yb, z0), (xb, yb, z1), (xa, ya, z1)], centre)
    return s


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> Solid:
    return prism([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], z0, z1)


def hexahedron(c: Sequence[Sequence[float]]) -> Solid:
    """A convex hexahedron from 8 corners: c[0:4] bottom ring, c[4:8] top ring above them."""
    s = Solid()
    centre = [sum(p[i] for p in c) / 8 for i in range(3)]
    s.convex_face(c[0:4], centre)
    s.convex_face(c[4:8], centre)
    for i in range(4):
        j = (i + 1) % 4
        s.convex_face([c[i], c[j], c[4 + j], c[4 + i]], centre)
    return s


Opening = Tuple[float, float, float, float]  # x0, x1, z0, z1 (z0 == 0: a door)


def wall(length: float, thick: float, height: float, openings: Sequence[Opening] = (), holes_first: bool = False) -> Solid:
    """A straight wall, local x along it (0..length), y across (0..thick), z up (0..height).

    Openings reaching z=0 are doors: they notch the two large faces (non-convex
    polygons) and split the bottom face. The others are windows: holes in the
    two large faces. Every opening gets its reveal faces, so the solid is closed.
    Volume = (length*height - sum of opening areas) * thick.
    """
    s = Solid()
    ops = sorted(openings)
    doors = [o for o in ops if o[2] == 0.0]
    windows = [o for o in ops if o[2] > 0.0]
    outline: List[Tuple[float, float]] = [(0.0, 0.0)]
    for x0, x1, _, z1 in doors:
        outline += [(x0, 0.0), (x0, z1), (x1, z1), (x1, 0.0)]
    outline += [(length, 0.0), (length, height), (0.0, height)]
    for y, sign in ((0.0, -1.0), (thick, 1.0)):
        loops = [[(x, y, z) for x, z in outline]]
        for x0, x1, z0, z1 in windows:
            loops.append([(x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)])
        s.face(loops, (0.0, sign, 0.0), holes_first=holes_first and len(loops) > 1 and sign > 0)
    s.face([[(0, 0, height), (length, 0, height), (length, thick, height), (0, thick, height)]], (0, 0, 1))
    xs = [0.0] + [v for d in doors for v in (d[0], d[1])] + [length]
    for a, b in zip(xs[0::2], xs[1::2]):
        s.face([[(a, 0, 0), (b, 0, 0), (b, thick, 0), (a, thick, 0)]], (0, 0, -1))
    for x, sign in ((0.0, -1.0), (length, 1.0)):
        s.face([[(x, 0, 0), (x, thick, 0), (x, thick, height), (x, 0, height)]], (sign, 0, 0))
    for x0, x1, z0, z1 in ops:
        s.face([[(x0, 0, z0), (x0, thick, z0), (x0, thick, z1), (x0, 0, z1)]], (1, 0, 0))
        s.face([[(x1, 0, z0), (x1, thick, z0), (x1, thick, z1), (x1, 0, z1)]], (-1, 0, 0))
        s.face([[(x0, 0, z1), (x1, 0, z1), (x1, thick, z1), (x0, thick, z1)]], (0, 0, -1))
        if z0 > 0:
            s.face([[(x0, 0, z0), (x1, 0, z0), (x1, thick, z0), (x0, thick, z0)]], (0, 0, 1))
    return s


def slab(lx: float, ly: float, thick: float, hole: Optional[Tuple[float, float, float, float]] = None) -> Solid:
    """A slab 0..lx by 0..ly, z 0..thick, with an optional rectangular opening (x0, x1, y0, y1)."""
    s = Solid()
    for z, sign in ((0.0, -1.0), (thick, 1.0)):
        loops = [[(0, 0, z), (lx, 0, z), (lx, ly, z), (0, ly, z)]]
        if hole is not None:
            x0, x1, y0, y1 = hole
            loops.append([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)])
        s.face(loops, (0, 0, sign), holes_first=sign < 0)
    ring = [(0.0, 0.0), (lx, 0.0), (lx, ly), (0.0, ly)]
    for i in range(4):
        (xa, ya), (xb, yb) = ring[i], ring[(i + 1) % 4]
        out = (yb - ya, xa - xb, 0.0)  # ring is counter-clockwise: right-hand side is outside
        s.face([[(xa, ya, 0), (xb, yb, 0), (xb, yb, thick), (xa, ya, thick)]], out)
    if hole is not None:
        x0, x1, y0, y1 = hole
        ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        for i in range(4):
            (xa, ya), (xb, yb) = ring[i], ring[(i + 1) % 4]
            inward = (ya - yb, xb - xa, 0.0)  # the solid is outside the hole: normals point into it
            s.face([[(xa, ya, 0), (xb, yb, 0), (xb, yb, thick), (xa, ya, thick)]], inward)
    return s


def gable(length: float, thick: float, h_eave: float, h_ridge: float, vent: float) -> Solid:
    """A gable wall: pentagon (x 0..length, z 0..h_ridge) extruded along y (0..thick), with a square vent hole."""
    s = Solid()
    pent = [(0.0, 0.0), (length, 0.0), (length, h_eave), (length / 2, h_ridge), (0.0, h_eave)]
    cx, cz = length / 2, (h_eave + h_ridge) / 2
    hole = [(cx - vent / 2, cz - vent / 2), (cx + vent / 2, cz - vent / 2), (cx + vent / 2, cz + vent / 2), (cx - vent / 2, cz + vent / 2)]
    for y, sign in ((0.0, -1.0), (thick, 1.0)):
        s.face([[(x, y, z) for x, z in pent], [(x, y, z) for x, z in hole]], (0, sign, 0), holes_first=sign > 0)
    pc = (sum(p[0] for p in pent) / 5, sum(p[1] for p in pent) / 5)
    for ring, centre, away in ((pent, pc, 1.0), (hole, (cx, cz), -1.0)):
        n = len(ring)
        for i in range(n):
            (xa, za), (xb, zb) = ring[i], ring[(i + 1) % n]
            nx, nz = zb - za, xa - xb
            if (nx * ((xa + xb) / 2 - centre[0]) + nz * ((za + zb) / 2 - centre[1])) * away < 0:
                nx, nz = -nx, -nz
            s.face([[(xa, 0, za), (xb, 0, zb), (xb, thick, zb), (xa, thick, za)]], (nx, 0.0, nz))
    return s


def polygon_regular(n: int, r: float, phase: float = 0.0) -> List[Tuple[float, float]]:
    return [(r * math.cos(phase + 2 * math.pi * i / n), r * math.sin(phase + 2 * math.pi * i / n)) for i in range(n)]


def i_profile(h: float, b: float, tw: float, tf: float) -> List[Tuple[float, float]]:
    """An I section (12-gon, non-convex), centred, counter-clockwise."""
    y0, y1 = -h / 2, h / 2
    return [
        (-b / 2, y0), (b / 2, y0), (b / 2, y0 + tf), (tw / 2, y0 + tf), (tw / 2, y1 - tf), (b / 2, y1 - tf),
        (b / 2, y1), (-b / 2, y1), (-b / 2, y1 - tf), (-tw / 2, y1 - tf), (-tw / 2, y0 + tf), (-b / 2, y0 + tf),
    ]


# --------------------------------------------------------------------------
# matrices
# --------------------------------------------------------------------------


def placement(x: float, y: float, z: float, rot_z_deg: float = 0.0, rot_x_deg: float = 0.0) -> np.ndarray:
    """4x4 Z-up placement: rotate about x, then about z, then translate (mm)."""
    a, b = math.radians(rot_z_deg), math.radians(rot_x_deg)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    m = np.eye(4)
    m[:3, :3] = np.round(rz @ rx, 12) + 0.0
    m[:3, 3] = (x, y, z)
    return m


#: Z-up world -> three.js Y-up: (x, y, z) -> (x, z, -y) (design.md §4).
C_YUP = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, -1.0, 0, 0], [0, 0, 0, 1.0]])


def site(x: float, y: float, z: float) -> Tuple[float, float, float]:
    return (SITE[0] + x, SITE[1] + y, SITE[2] + z)


# --------------------------------------------------------------------------
# threejs writer (format 3, design.md §4)
# --------------------------------------------------------------------------


def _ear_clip(poly: Sequence[Tuple[float, float]]) -> List[Tuple[int, int, int]]:
    """Triangulate a simple counter-clockwise 2D polygon (no holes) by ear clipping."""
    idx = list(range(len(poly)))
    tris: List[Tuple[int, int, int]] = []

    def cross(o: Tuple[float, float], a: Tuple[float, float], b: Tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    guard = 0
    while len(idx) > 3 and guard < 10_000:
        guard += 1
        for k in range(len(idx)):
            i, j, l = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = poly[i], poly[j], poly[l]
            if cross(a, b, c) <= 0:
                continue
            if any(
                m not in (i, j, l) and cross(a, b, poly[m]) >= 0 and cross(b, c, poly[m]) >= 0 and cross(c, a, poly[m]) >= 0
                for m in idx
            ):
                continue
            tris.append((i, j, l))
            idx.pop(k)
            break
    tris.append((idx[0], idx[1], idx[2]))
    return tris


class ThreeGeometry:
    """Triangles and quads in a Z-up frame, written as a three.js format-3 geometry.

    ``add_prism(section, z0, z1, matrix)`` extrudes a simple xy polygon (any
    orientation, may be non-convex) and places it with a Z-up 4x4 matrix;
    faces are counter-clockwise seen from outside. ``to_json(world=True)``
    maps vertices to Y up (x, z, -y); world=False keeps them as given.
    """

    def __init__(self, material_bit: bool = False) -> None:
        self.vertices: List[Vec] = []
        self.faces: List[Tuple[int, ...]] = []
        self.material_bit = material_bit

    def _v(self, p: Sequence[float]) -> int:
        self.vertices.append((float(p[0]), float(p[1]), float(p[2])))
        return len(self.vertices) - 1

    def add_prism(self, section: Sequence[Tuple[float, float]], z0: float, z1: float, matrix: Optional[np.ndarray] = None) -> None:
        sec = list(section)
        area2 = sum(sec[i][0] * sec[(i + 1) % len(sec)][1] - sec[(i + 1) % len(sec)][0] * sec[i][1] for i in range(len(sec)))
        if area2 < 0:
            sec = sec[::-1]
        m = np.eye(4) if matrix is None else matrix
        flip = np.linalg.det(m[:3, :3]) < 0

        def place(x: float, y: float, z: float) -> int:
            w = m @ np.array([x, y, z, 1.0])
            return self._v((round(float(w[0]), 3) + 0.0, round(float(w[1]), 3) + 0.0, round(float(w[2]), 3) + 0.0))

        n = len(sec)
        bot = [place(x, y, z0) for x, y in sec]
        top = [place(x, y, z1) for x, y in sec]
        tris = _ear_clip(sec)
        faces: List[Tuple[int, ...]] = []
        for a, b, c in tris:
            faces.append((top[a], top[b], top[c]))  # counter-clockwise from +z
            faces.append((bot[c], bot[b], bot[a]))
        for i in range(n):
            j = (i + 1) % n
            faces.append((bot[i], bot[j], top[j], top[i]))  # a quad (bit 0)
        if flip:
            faces = [f[::-1] for f in faces]
        self.faces.extend(faces)

    def volume(self) -> float:
        """Enclosed volume (mm³) of the closed prisms added so far."""
        v = np.array(self.vertices)
        o = v[0]
        tot = 0.0
        for f in self.faces:
            for k in range(1, len(f) - 1):
                a, b, c = v[f[0]] - o, v[f[k]] - o, v[f[k + 1]] - o
                tot += float(np.dot(a, np.cross(b, c)))
        return tot / 6.0

    def to_json(self, colorid: int, world: bool = True) -> Dict[str, Any]:
        verts: List[float] = []
        for x, y, z in self.vertices:
            verts += [x, z, -y + 0.0] if world else [x, y, z]
        stream: List[int] = []
        for f in self.faces:
            flag = 1 if len(f) == 4 else 0
            if self.material_bit:
                flag |= 2
            stream.append(flag)
            stream.extend(f)
            if self.material_bit:
                stream.append(0)
        return {"metadata": {"formatVersion": 3, "colorid": colorid}, "vertices": verts, "faces": stream}


def argb(rgba: RGBA, signed: bool = True) -> int:
    r, g, b, a = rgba
    v = (a << 24) | (r << 16) | (g << 8) | b
    return v - (1 << 32) if signed and v >= 1 << 31 else v


def viewbox(points: np.ndarray) -> Dict[str, float]:
    """The response ``viewbox`` (three.js frame: centre x, y, z and width, height, depth)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    c = (lo + hi) / 2
    size = hi - lo
    return {
        "x": round(float(c[0]), 3), "y": round(float(c[1]), 3), "z": round(float(c[2]), 3),
        "width": round(float(size[0]), 3), "height": round(float(size[1]), 3), "depth": round(float(size[2]), 3),
    }


# --------------------------------------------------------------------------
# the building
# --------------------------------------------------------------------------

COLOURS: Dict[str, RGBA] = {
    "render": (236, 226, 208, 255),
    "plaster": (245, 245, 240, 255),
    "concrete": (190, 204, 186, 255),  # 0xFFBECCBA, the seed samples' colour
    "roof": (150, 62, 45, 255),
    "footing": (150, 150, 150, 255),
    "rebar": (200, 40, 40, 255),
    "frame": (250, 250, 250, 255),
    "glass": (140, 190, 225, 90),
    "door": (120, 80, 50, 255),
    "stair": (170, 170, 165, 255),
    "steel": (70, 90, 120, 255),
    "timber": (190, 140, 90, 255),
    "fence": (110, 80, 55, 255),
    "table": (160, 110, 70, 255),
    "highlight": (230, 180, 30, 255),
}


class _Ids:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def __call__(self) -> str:
        while True:
            u = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if "-0000-0000-0000-" not in u:
                return u


def _radius(rgba: Optional[RGBA]) -> Any:
    from bimgeo import CountArray

    if rgba is None:
        return None
    return CountArray([-1, -2, -3, -4], [float(c) for c in rgba])


def _polyhedron_from_solid(s: Solid, *, id: str, rgba: Optional[RGBA], flags: int = SOLID_FLAGS) -> Any:
    """A ``bimgeo.Polyhedron`` built by ``Polyhedron.from_mesh``: shared edges, faces as loops."""
    from bimgeo import Polyhedron

    return Polyhedron.from_mesh(
        np.array(s.points, dtype=np.float64).reshape(-1, 3),
        s.faces,
        rgba=None if rgba is None else [float(c) for c in rgba],
        polyeder_type=flags,
        id=id,
    )


def _wire_polyhedron(path: Sequence[Sequence[float]], closed: bool, *, id: str, rgba: RGBA) -> Any:
    """A reinforcement bar: a polyline as points and edges, no faces."""
    from bimgeo import Polyhedron

    n = len(path)
    edges = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if closed else [])
    return Polyhedron(
        np.array(path, dtype=np.float64).reshape(-1, 3),
        np.array(edges, dtype=np.int32).reshape(-1, 2),
        np.zeros(0, dtype=np.int32),
        np.zeros(1, dtype=np.int64),
        radius=_radius(rgba),
        polyeder_type=WIRE_FLAGS,
        id=id,
    )


class _Builder:
    def __init__(self, seed: int) -> None:
        self.ids = _Ids(seed)
        self.rng = random.Random(seed ^ 0x5EED)
        self.building = self.ids()
        self.storeys = [self.ids() for _ in range(N_STOREYS + 1)]
        self.meshblob: List[Dict[str, Any]] = []
        self.three: List[Tuple[Dict[str, Any], ThreeGeometry, str]] = []
        self.templates: List[Tuple[str, str, ThreeGeometry, str]] = []  # id, name, geometry, colour
        self.instances: List[Dict[str, Any]] = []

    # -- element writers ----------------------------------------------------
    def add_meshblob(self, type: str, name: str, parent: str, poly: Any, matrix: np.ndarray) -> None:
        from bimgeo import encode_matrix, encode_polyhedron

        self.meshblob.append(
            {
                "id": poly.id,
                "parent": parent,
                "type": type,
                "attributes": {
                    "general": {"name": name},
                    "geometry": {
                        "compress": True,
                        "picture": encode_polyhedron(poly),
                        "type": 3,
                        "matrix": encode_matrix(matrix),
                    },
                },
            }
        )

    def solid(self, type: str, name: str, parent: str, s: Solid, matrix: np.ndarray, colour: Optional[str]) -> str:
        id = self.ids()
        rgba = None if colour is None else COLOURS[colour]
        self.add_meshblob(type, name, parent, _polyhedron_from_solid(s, id=id, rgba=rgba), matrix)
        return id

    def threejs(self, type: str, name: str, parent: str, g: ThreeGeometry, colour: str) -> str:
        id = self.ids()
        obj = {"id": id, "parent": parent, "type": type, "attributes": {"general": {"name": name}}}
        self.three.append((obj, g, colour))
        return id

    def template(self, name: str, g: ThreeGeometry, colour: str) -> str:
        tid = self.ids()
        self.templates.append((tid, name, g, colour))
        return tid

    def instance(self, type: str, name: str, parent: str, template: str, place: np.ndarray, colorid: Optional[int] = None) -> None:
        m = C_YUP @ place
        geometry: Dict[str, Any] = {"template": template, "matrix": [round(float(v), 9) + 0.0 for v in m.reshape(-1)]}
        if colorid is not None:
            geometry["colorid"] = colorid
        self.instances.append({"id": self.ids(), "parent": parent, "type": type, "attributes": {"general": {"name": name}, "geometry": geometry}})

    # -- the building -------------------------------------------------------
    def build(self) -> None:
        L, W, T = LENGTH, WIDTH, WALL_T
        # Footings (meshblob) with reinforcement (wires).
        fw, fh = 600.0, 400.0
        runs = [  # (x, y, rotation, length) of each strip footing under the exterior walls
            (0.0, 0.0, 0.0, L), (L, 0.0, 90.0, W), (L, W, 180.0, L), (0.0, W, 270.0, W),
        ]
        for k, (x, y, rot, run) in enumerate(runs):
            fy0, fy1 = T / 2 - fw / 2, T / 2 + fw / 2  # centred under the wall (local y 0..T)
            s = box(0.0, fy0, -fh, run, fy1, 0.0)
            m = placement(*site(x, y, 0.0), rot_z_deg=rot)
            self.solid("Footing", f"Strip footing {k + 1}", self.storeys[0], s, m, "footing")
            cover = 50.0
            for j, dy in enumerate((fy0 + cover, fy1 - cover)):
                path = [(cover, dy, -cover - 150), (cover, dy, -fh + cover), (run - cover, dy, -fh + cover), (run - cover, dy, -cover - 150)]
                id = self.ids()
                self.add_meshblob("ReinforcingBar", f"Bar {k + 1}.{j + 1} d12", self.storeys[0], _wire_polyhedron(path, False, id=id, rgba=COLOURS["rebar"]), m)
            # one closed stirrup per footing
            y0, y1 = fy0 + cover, fy1 - cover
            stirrup = [(run / 2, y0, -fh + cover), (run / 2, y1, -fh + cover), (run / 2, y1, -cover), (run / 2, y0, -cover)]
            id = self.ids()
            self.add_meshblob("ReinforcingBar", f"Stirrup {k + 1} d8", self.storeys[0], _wire_polyhedron(stirrup, True, id=id, rgba=COLOURS["rebar"]), m)

        # Ground slab and first-floor slab with a stair opening (faces with holes).
        self.solid("Slab", "Ground slab", self.storeys[0], slab(L, W, SLAB_T), placement(*site(0, 0, -SLAB_T)), "concrete")
        stair_hole = (L - 3_600.0, L - 600.0, W - T - 1_200.0, W - T)
        for s_i in range(1, N_STOREYS):
            self.solid(
                "Slab", f"Floor slab {s_i}", self.storeys[s_i], slab(L, W, SLAB_T, hole=stair_hole),
                placement(*site(0, 0, s_i * STOREY - SLAB_T)), "concrete",
            )
        top = N_STOREYS * STOREY
        self.solid("Slab", "Attic slab", self.storeys[N_STOREYS], slab(L, W, SLAB_T), placement(*site(0, 0, top - SLAB_T)), "concrete")

        # Exterior walls: front (y=0) with the entrance door, the others with windows.
        h = STOREY - SLAB_T
        win = 1_200.0
        for st in range(N_STOREYS):
            z = st * STOREY
            parent = self.storeys[st]
            walls = [
                ("South", 0.0, 0.0, 0.0, L),
                ("East", L, 0.0, 90.0, W),
                ("North", L, W, 180.0, L),
                ("West", 0.0, W, 270.0, W),
            ]
            for k, (side, x, y, rot, run) in enumerate(walls):
                n_win = int(run // 3_000)
                ops: List[Opening] = []
                for i in range(n_win):
                    cx = run * (i + 0.5) / n_win
                    ops.append((cx - win / 2, cx + win / 2, 900.0, 900.0 + 1_300.0))
                if st == 0 and side == "South":
                    ops[1] = (ops[1][0] - 100.0, ops[1][0] - 100.0 + 1_100.0, 0.0, 2_200.0)  # the entrance door
                if st == 0 and side == "North":
                    ops[2] = (ops[2][0], ops[2][0] + 1_000.0, 0.0, 2_100.0)  # back door
                # A wall runs from its corner along local x, thickness inwards (local +y).
                m = placement(*site(x, y, z), rot_z_deg=rot)
                s = wall(run, T, h, ops, holes_first=(k % 2 == 1))
                self.solid("Wall", f"Exterior wall {side} {st}", parent, s, m, "render")
                for x0, x1, z0, z1 in ops:
                    if z0 == 0.0:
                        g = ThreeGeometry()
                        g.add_prism([(x0 + 20, T / 2 - 25), (x1 - 20, T / 2 - 25), (x1 - 20, T / 2 + 25), (x0 + 20, T / 2 + 25)], 10.0, z1 - 10.0, m)
                        self.threejs("Door", f"Door {side} {st}", parent, g, "door")
                        continue
                    frame = ThreeGeometry()
                    fw_ = 60.0
                    y0, y1 = T / 2 - 40, T / 2 + 40
                    for bx0, bx1, bz0, bz1 in (
                        (x0, x1, z0, z0 + fw_), (x0, x1, z1 - fw_, z1), (x0, x0 + fw_, z0 + fw_, z1 - fw_), (x1 - fw_, x1, z0 + fw_, z1 - fw_),
                    ):
                        frame.add_prism([(bx0, y0), (bx1, y0), (bx1, y1), (bx0, y1)], bz0, bz1, m)
                    self.threejs("Window", f"Window frame {side} {st}", parent, frame, "frame")
                    glass = ThreeGeometry()
                    glass.add_prism([(x0 + fw_, T / 2 - 6), (x1 - fw_, T / 2 - 6), (x1 - fw_, T / 2 + 6), (x0 + fw_, T / 2 + 6)], z0 + fw_, z1 - fw_, m)
                    self.threejs("Window", f"Glazing {side} {st}", parent, glass, "glass")

            # Interior walls: one carries a door, one has no colour at all.
            inner = [
                (L / 2, T, 90.0, W - 2 * T, [(1_200.0, 2_100.0, 0.0, 2_100.0)], "plaster"),
                (T, W / 2, 0.0, L / 2 - T, [], None if st == 0 else "plaster"),
                (L / 2 + INNER_T, W / 2 - 500, 0.0, 2_800.0, [(600.0, 1_500.0, 0.0, 2_100.0)], "plaster"),
            ]
            for k, (x, y, rot, run, ops2, colour) in enumerate(inner):
                m = placement(*site(x, y, z), rot_z_deg=rot)
                self.solid("Wall", f"Interior wall {k + 1} {st}", parent, wall(run, INNER_T, h, ops2), m, colour)

            # Interior concrete columns (12-gon prisms).
            for k, (cx, cy) in enumerate(((L / 4, W / 4), (3 * L / 4, W / 2 - 1_000))):
                s = prism(polygon_regular(12, 150.0, phase=math.pi / 12), 0.0, h)
                self.solid("Column", f"Column C{k + 1} {st}", parent, s, placement(*site(cx, cy, z)), "concrete")

        # Gable walls on the attic slab and a roof of two sloped plates.
        ridge, knee, over = 2_800.0, 300.0, 500.0
        parent = self.storeys[N_STOREYS]
        for k, (x, rot) in enumerate(((0.0, 270.0), (L, 90.0))):
            # local x runs across the building (along world y), local y thickness
            m = placement(*site(x, W if rot == 270.0 else 0.0, top), rot_z_deg=rot)
            self.solid("Wall", f"Gable {('West', 'East')[k]}", parent, gable(W, T, knee, ridge, 500.0), m, "render")
        thick = 220.0
        for k, (y_e, y_r) in enumerate(((-over, W / 2), (W + over, W / 2))):
            z_e = top + knee - over * (ridge - knee) / (W / 2)
            x0, x1 = -over, L + over
            c = [(x0, y_e, z_e), (x1, y_e, z_e), (x1, y_r, top + ridge), (x0, y_r, top + ridge)]
            c = c + [(p[0], p[1], p[2] + thick) for p in c]
            s = hexahedron(c)
            # element-local about the first corner: geometry relative, matrix holds the site offset
            self.solid("Roof", f"Roof plate {('South', 'North')[k]}", parent, s, placement(*site(0, 0, 0)), "roof")

        # Stair (threejs, using the material-index face bit).
        g = ThreeGeometry(material_bit=True)
        n_steps = 16
        rise = STOREY / n_steps
        x0, x1 = stair_hole[0], stair_hole[1]
        y0, y1 = stair_hole[2], stair_hole[3]
        run = (x1 - x0) / n_steps
        for i in range(n_steps):
            g.add_prism([(x0 + i * run, y0), (x0 + (i + 1) * run, y0), (x0 + (i + 1) * run, y1), (x0 + i * run, y1)], 0.0, (i + 1) * rise, placement(*site(0, 0, 0)))
        self.threejs("Stair", "Stair", self.storeys[0], g, "stair")

        # Furniture: tables (threejs), seeded positions in the ground-floor rooms.
        for i in range(6):
            tx = 1_000.0 + self.rng.uniform(0, L / 2 - 2_800.0)
            ty = 900.0 + self.rng.uniform(0, W / 2 - 2_200.0) + (W / 2 if i % 2 else 0.0)
            rot = self.rng.choice((0.0, 90.0))
            m = placement(*site(tx, ty, (i // 3) * STOREY), rot_z_deg=rot)
            t = ThreeGeometry()
            t.add_prism([(0, 0), (1_400, 0), (1_400, 800), (0, 800)], 700.0, 740.0, m)
            for lx, ly in ((40, 40), (1_320, 40), (1_320, 720), (40, 720)):
                t.add_prism([(lx, ly), (lx + 40, ly), (lx + 40, ly + 40), (lx, ly + 40)], 0.0, 700.0, m)
            self.threejs("Furniture", f"Table {i + 1}", self.storeys[i // 3], t, "table")

        # Templates: steel I sections, timber rafter, baluster, fence post (local Z up).
        hea = ThreeGeometry()
        hea.add_prism(i_profile(152.0, 160.0, 6.0, 9.0), 0.0, 2_600.0)
        t_col = self.template("HEA160 column 2600", hea, "steel")
        beam_len = 5_000.0
        ipe2 = ThreeGeometry()
        ipe2.add_prism(i_profile(200.0, 100.0, 5.6, 8.5), 0.0, beam_len)
        t_beam = self.template("IPE200 beam 5000", ipe2, "steel")
        raf = ThreeGeometry()
        raf.add_prism([(-30, 0), (30, 0), (30, 120), (-30, 120)], 0.0, beam_len + 600.0)
        t_raf = self.template("Slat 60x120", raf, "timber")
        bal = ThreeGeometry()
        bal.add_prism(polygon_regular(8, 20.0), 0.0, 1_000.0)
        t_bal = self.template("Baluster d40", bal, "steel")
        post = ThreeGeometry()
        post.add_prism([(-50, -50), (50, -50), (50, 50), (-50, 50)], 0.0, 1_200.0)
        post.add_prism([(-35, 0), (0, 35), (35, 0), (0, -35)], 1_200.0, 1_260.0)  # a cap (a second solid)
        t_post = self.template("Fence post", post, "fence")
        rail = ThreeGeometry()
        rail.add_prism([(-15, 0), (15, 0), (15, 100), (-15, 100)], 0.0, 1_000.0)  # unit run: instances scale z
        t_rail = self.template("Fence rail 30x100", rail, "timber")

        # Carport east of the house: 2 x 4 steel columns, beams on top.
        cx0, cy0 = L + 1_000.0, 500.0
        for i in range(4):
            for j in range(2):
                p = placement(*site(cx0 + j * beam_len, cy0 + i * 2_300.0, 0.0))
                self.instance("Column", f"Carport column {i}{j}", self.building, t_col, p, colorid=0 if (i, j) == (0, 0) else None)
        for i in range(4):
            self._beam(t_beam, cx0, cy0 + i * 2_300.0, 2_700.0, beam_len)
        for j in range(2):
            for i in range(3):
                self._beam_y(t_beam, cx0 + j * beam_len, cy0 + i * 2_300.0, 2_910.0, 2_300.0)

        # Timber slats on the carport roof, along x, 400 mm apart.
        for i in range(int((3 * 2_300.0) // 400) + 1):
            p = np.eye(4)
            p[:3, :3] = np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 1.0, 0]])  # local z -> x, local y -> z
            p[:3, 3] = site(cx0 - 300.0, cy0 + i * 400.0, 3_010.0)
            self.instance("Beam", f"Slat {i + 1}", self.building, t_raf, p)

        # Balustrade along the stair opening on the first floor.
        for i in range(int((stair_hole[1] - stair_hole[0]) // 150) + 1):
            x = stair_hole[0] + i * 150.0
            p = placement(*site(x, stair_hole[2] - 30.0, STOREY))
            self.instance("Railing", f"Baluster {i + 1}", self.storeys[1], t_bal, p)

        # Fence around the plot: posts every 2 m (a few highlighted by colorid), two rails per bay.
        px0, py0, px1, py1 = -4_000.0, -5_000.0, L + 8_000.0, W + 4_000.0
        k = 0
        for (ax, ay), (bx, by) in (((px0, py0), (px1, py0)), ((px1, py0), (px1, py1)), ((px1, py1), (px0, py1)), ((px0, py1), (px0, py0))):
            run = math.hypot(bx - ax, by - ay)
            n = int(run // 2_000)
            d = ((bx - ax) / run, (by - ay) / run)
            rot = math.degrees(math.atan2(d[1], d[0]))
            for i in range(n):
                x = ax + (bx - ax) * i / n
                y = ay + (by - ay) * i / n
                k += 1
                self.instance("Fence", f"Post {k}", self.building, t_post, placement(*site(x, y, 0.0), rot_z_deg=rot), colorid=1 if k % 10 == 0 else None)
                for z in (350.0, 850.0):
                    p = np.eye(4)
                    # columns: local x -> across the fence, local y -> up, local z -> along it (scaled to the bay)
                    bay = run / n / 1_000.0  # the rail template is 1 m long
                    p[:3, :3] = np.array([[-d[1], 0.0, d[0] * bay], [d[0], 0.0, d[1] * bay], [0.0, 1.0, 0.0]])
                    p[:3, 3] = site(x - 70.0 * d[1] + 50.0 * d[0], y + 70.0 * d[0] + 50.0 * d[1], z)
                    self.instance("Fence", f"Rail {k}.{int(z)}", self.building, t_rail, p)

    def _beam(self, t: str, x: float, y: float, z: float, length: float) -> None:
        # local z (the extrusion) -> world +x; local y (profile height) -> world z.
        p = np.eye(4)
        p[:3, :3] = np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 1.0, 0]])
        p[:3, 3] = site(x, y, z)
        self.instance("Beam", "Carport beam", self.building, t, p)

    def _beam_y(self, t: str, x: float, y: float, z: float, length: float) -> None:
        # local z -> world +y, local y -> world z; x -> -x keeps it right-handed.
        p = np.eye(4)
        p[:3, :3] = np.array([[-1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])
        p[:3, 3] = site(x, y, z)
        # scale the 5 m template to the 2.3 m bay along local z
        p[:3, 2] *= length / 5_000.0
        self.instance("Beam", "Carport purlin", self.building, t, p)

    # -- responses ----------------------------------------------------------
    def chunks(self) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        # meshblob: two chunks (a chunked response, design.md §5)
        half = (len(self.meshblob) + 1) // 2
        for part in (self.meshblob[:half], self.meshblob[half:]):
            out.append({"elementsCount": len(part), "objects": part})
        # threejs: world Y-up vertices, one colour table
        names = sorted({c for _, _, c in self.three})
        colors = [argb(COLOURS[n]) for n in names]
        objects = []
        allv = []
        n_faces = n_verts = 0
        for obj, g, colour in self.three:
            o = dict(obj)
            tj = g.to_json(names.index(colour))
            o["attributes"] = dict(obj["attributes"], geometry={"threejs": tj}, quantity={"volume": round(g.volume(), 3)})
            objects.append(o)
            allv.append(np.array(tj["vertices"]).reshape(-1, 3))
            n_faces += len(g.faces)
            n_verts += len(g.vertices)
        out.append(
            {
                "colors": colors, "elementsCount": len(objects), "faceCount": n_faces, "verticesCount": n_verts,
                "viewbox": viewbox(np.concatenate(allv)), "objects": objects,
            }
        )
        # templates chunk: geometry in the template's local frame, colours of this chunk
        tnames = sorted({c for *_, c in self.templates})
        out.append(
            {
                "templates": [
                    {"id": tid, "name": name, "geometries": [g.to_json(tnames.index(colour), world=False)]}
                    for tid, name, g, colour in self.templates
                ],
                "colors": [argb(COLOURS[n]) for n in tnames],
                "revision": 1,
            }
        )
        # instances (geometries/threejs/properties/8): colours for colorid overrides, unsigned ARGB
        out.append(
            {
                "colors": [argb(COLOURS["highlight"], signed=False), argb(COLOURS["rebar"], signed=False)],
                "elementsCount": len(self.instances),
                "objects": self.instances,
            }
        )
        return out


def build_chunks(seed: int = SEED) -> List[Dict[str, Any]]:
    """The sample building as a list of chunk responses (JSON-ready dicts)."""
    b = _Builder(seed)
    b.build()
    return b.chunks()


def build_bytes(seed: int = SEED) -> bytes:
    """The bytes of ``sample_building.json.gz``: gzip (mtime 0, level 9) of compact JSON."""
    text = json.dumps(build_chunks(seed), separators=(",", ":"), allow_nan=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", type=Path, default=OUT)
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    data = build_bytes(args.seed)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.output)
    chunks = json.loads(gzip.decompress(data))
    n = sum(len(c.get("objects", [])) for c in chunks)
    print(f"{args.output}: {len(data)} bytes, {len(chunks)} chunks, {n} elements", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
