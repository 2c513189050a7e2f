"""glb (binary glTF 2.0) writer over numpy buffers (design.md §5, §8).

No trimesh or pygltflib at run time (they are test oracles). The BIN chunk
is a list of buffers joined once; the JSON is assembled as text from fixed
templates, numbers formatted in bulk (orjson for float tables, one ``%``
call per integer table), because
building and encoding one dict per node and accessor costs more than the
whole binary part.

Output frame
    The scene is stored Z up, millimetres, float64 (design.md §8). By
    default the writer converts to glTF's Y up and metres: a world point
    (x, y, z) in mm, Z up becomes (x, z, -y) / 1000 in m, Y up. ``units="mm"``
    keeps millimetres, ``up="z"`` keeps the Z-up axes.

Node layout
    One root node named ``"bimgeo"`` (extras: units, up) whose children are
    one node per element, in scene order, flat: the element hierarchy is
    recorded in each node's ``extras["parent"]`` rather than in the node
    tree, so a node's transform is always its element's full local->world
    transform (no inverse parent matrices, no precision lost to them).
    ``name`` = element id; ``extras`` = {type, name, parent, rgba, template}
    with None values dropped. Elements without geometry still get a node
    (with the element's placement when its matrix is a TRS).

Geometry and precision
    A mesh is stored in its local frame turned to the output axes and units
    (S·R·v), minus the centre c of its bounds, in float64, then cast to
    float32; the node carries rotation/scale R·A·Rᵀ and translation
    R·A·Rᵀ·c + S·R·t (element matrix [A | t]) as JSON numbers that read
    back as the same float64 (shortest round-trip text). A building 75 km
    from the origin keeps sub-micrometre precision. Accessor min/max are
    the float32 data's own extremes (shortest text that reads back as the
    same float32). Indices are uint16 up to 65535 vertices, else uint32. Lines
    (wire elements) are LINES primitives; vertices without faces or lines
    are POINTS.

Sharing and deduplication
    A Mesh object used by several elements (template instances), or Meshes
    with equal arrays, are stored once; each element gets its own node
    (TRS from its matrix) referencing one glTF mesh per (geometry, colour).
    Equal index arrays share one accessor (positional hash, then an exact
    element-wise check). A matrix that is not a rotation times an axis
    scale plus translation (shear, singular) cannot be a glTF node
    transform: that element's geometry is baked into its own mesh.
    ``instancing=True`` writes each group of >= 2 elements sharing a mesh
    and colour as one node with EXT_mesh_gpu_instancing; that node's
    ``extras["instances"]`` lists the elements' ids and extras in instance
    order, its translation is the group's centre (float64) and the
    instances' TRANSLATION is float32 relative to it.
"""
from __future__ import annotations

import json
import math
import operator
import struct
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt
import orjson

from ._gcpause import gc_paused

__all__ = ["export_glb"]

F8 = npt.NDArray[np.float64]

FLOAT = 5126
UNSIGNED_SHORT = 5123
UNSIGNED_INT = 5125
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
MODE_POINTS = 0
MODE_LINES = 1
MODE_TRIANGLES = 4

_GLB_MAGIC = 0x46546C67  # "glTF"
_CHUNK_JSON = 0x4E4F534A  # "JSON"
_CHUNK_BIN = 0x004E4942  # "BIN\0"

_UNITS = {"m": 0.001, "mm": 1.0}
#: Largest float32: glb positions, normals and bounds are float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)
# Z-up -> Y-up: (x, y, z) -> (x, z, -y).
_AXES = {
    "y": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    "z": np.eye(3),
}
DEFAULT_RGBA = (204.0, 204.0, 204.0, 255.0)
_TRS_TOLERANCE = 1e-6


# -- shared helpers (also used by the obj writer) ----------------------------
def frame_transform(units: str = "m", up: str = "y") -> Tuple[float, F8]:
    """(scale, rotation) taking the internal frame (Z up, mm) to the output frame.

    units: "m" (scale 0.001) or "mm" (1). up: "y" ((x, y, z) -> (x, z, -y))
    or "z" (axes kept). Output point = scale * rotation @ world point.
    """
    if units not in _UNITS:
        raise ValueError(f"units must be one of {sorted(_UNITS)}, not {units!r}")
    if up not in _AXES:
        raise ValueError(f"up must be one of {sorted(_AXES)}, not {up!r}")
    return _UNITS[units], _AXES[up]


def element_rgba(element: Any) -> Optional[Tuple[float, ...]]:
    """The element's colour (R, G, B, A in 0..255): its own, else its mesh's, else None."""
    if element.rgba is not None:
        return tuple(element.rgba)
    mesh = element.mesh
    if mesh is not None and mesh.rgba is not None:
        return tuple(mesh.rgba)
    return None


def element_extras(element: Any, rgba: Optional[Sequence[float]]) -> Dict[str, Any]:
    """{type, name, parent, rgba, template} of an element, None values dropped."""
    extras: Dict[str, Any] = {}
    for key in ("type", "name", "parent"):
        value = getattr(element, key)
        if value is not None:
            extras[key] = value
    if rgba is not None:
        extras["rgba"] = [float(c) for c in rgba]
    if element.template is not None:
        extras["template"] = element.template
    return extras


def check_mesh(mesh: Any, element_id: Any) -> None:
    """ValueError when a mesh has non-finite vertices or indices out of range."""
    n = len(mesh.vertices)
    for name, idx in (("faces", mesh.faces), ("lines", mesh.lines)):
        if idx.size and int(idx.max()) >= n:
            raise ValueError(f"element {element_id!r}: {name} index {int(idx.max())} out of range for {n} vertices")
    if n and not np.isfinite(mesh.vertices).all():
        raise ValueError(f"element {element_id!r}: non-finite vertex coordinates")


def _permutation(to_out: F8) -> Tuple[List[int], List[float]]:
    """(source column, factor) of each output column of a scaled signed axis permutation."""
    perm = np.argmax(np.abs(to_out), axis=1)
    if np.count_nonzero(to_out) != 3 or len(set(perm.tolist())) != 3:
        raise ValueError("frame transform is not a scaled axis permutation")
    return perm.tolist(), to_out[np.arange(3), perm].tolist()


def _to_frame(points: F8, to_out: F8) -> F8:
    """``points @ to_out.T`` for a scaled signed axis permutation: a column
    shuffle and one multiplication (no 0 * x terms, no BLAS call)."""
    perm, factor = _permutation(to_out)
    out = points[:, perm] if perm != [0, 1, 2] else points.copy()
    out *= factor
    return out


def _matrices(elements: Sequence[Any]) -> F8:
    """(N, 4, 4) local->world matrices (identity for None)."""
    return _stack_matrices([e.matrix for e in elements])


def _stack_matrices(matrices: Sequence[Optional[F8]]) -> F8:
    """(N, 4, 4) array of (4, 4) matrices (identity for None)."""
    if not matrices:
        return np.zeros((0, 4, 4))
    eye = np.eye(4)
    return np.concatenate([eye if m is None else m for m in matrices]).reshape(-1, 4, 4)


def _quaternions(rot: F8) -> F8:
    """(N, 4) unit quaternions (x, y, z, w) of (N, 3, 3) rotation matrices (Shepperd's method)."""
    m00, m01, m02 = rot[:, 0, 0], rot[:, 0, 1], rot[:, 0, 2]
    m10, m11, m12 = rot[:, 1, 0], rot[:, 1, 1], rot[:, 1, 2]
    m20, m21, m22 = rot[:, 2, 0], rot[:, 2, 1], rot[:, 2, 2]
    trace = m00 + m11 + m22
    case = np.argmax(np.stack([trace, m00, m11, m22], axis=1), axis=1)
    q = np.zeros((len(rot), 4))
    with np.errstate(invalid="ignore", divide="ignore"):
        s0 = np.sqrt(np.maximum(trace + 1.0, 0.0)) * 2.0
        s1 = np.sqrt(np.maximum(1.0 + m00 - m11 - m22, 0.0)) * 2.0
        s2 = np.sqrt(np.maximum(1.0 + m11 - m00 - m22, 0.0)) * 2.0
        s3 = np.sqrt(np.maximum(1.0 + m22 - m00 - m11, 0.0)) * 2.0
        cand = [
            np.stack([(m21 - m12) / s0, (m02 - m20) / s0, (m10 - m01) / s0, 0.25 * s0], axis=1),
            np.stack([0.25 * s1, (m01 + m10) / s1, (m02 + m20) / s1, (m21 - m12) / s1], axis=1),
            np.stack([(m01 + m10) / s2, 0.25 * s2, (m12 + m21) / s2, (m02 - m20) / s2], axis=1),
            np.stack([(m02 + m20) / s3, (m12 + m21) / s3, 0.25 * s3, (m10 - m01) / s3], axis=1),
        ]
    for k in range(4):
        sel = case == k
        q[sel] = cand[k][sel]
    q[q[:, 3] < 0] *= -1.0
    norm = np.linalg.norm(q, axis=1)
    good = np.isfinite(norm) & (norm > 0)
    q[good] /= norm[good, None]
    q[~good] = (0.0, 0.0, 0.0, 1.0)
    return q


def decompose(linear: F8) -> Tuple[npt.NDArray[np.bool_], F8, F8]:
    """Split (N, 3, 3) linear maps into rotation and scale: linear = R(q) @ diag(scale).

    Returns (ok, quaternions (N, 4) xyzw, scales (N, 3)); ok is False where
    the map is not a rotation times a (possibly mirroring) axis scale
    within 1e-6 (shear, singular, non-finite). A mirror (negative
    determinant) gets a negative x scale.
    """
    n = len(linear)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros((0, 4)), np.zeros((0, 3))
    scale = np.sqrt(np.einsum("nij,nij->nj", linear, linear))
    with np.errstate(invalid="ignore", over="ignore"):
        det = np.linalg.det(linear) if np.isfinite(linear).all() else np.full(n, np.nan)
    scale[det < 0, 0] *= -1.0
    ok = np.isfinite(det) & (det != 0) & (np.abs(scale) > 1e-300).all(axis=1)
    safe = np.where(ok[:, None], scale, 1.0)
    rot = linear / safe[:, None, :]
    err = np.abs(np.einsum("nki,nkj->nij", rot, rot) - np.eye(3)).max(axis=(1, 2))
    ok &= err < _TRS_TOLERANCE
    rot[~ok] = np.eye(3)
    return ok, _quaternions(rot), scale


def _unit_rows(v: F8, fallback: Optional[F8] = None) -> F8:
    """Rows scaled to unit length; zero rows take ``fallback`` rows (normalised) or +Z."""
    norm = np.sqrt(np.einsum("ij,ij->i", v, v))
    bad = ~(norm > 1e-300)
    out = v / np.where(bad, 1.0, norm)[:, None]
    if bad.any():
        if fallback is not None:
            fb = fallback[bad]
            fn = np.sqrt(np.einsum("ij,ij->i", fb, fb))
            fbad = ~(fn > 1e-300)
            fb = fb / np.where(fbad, 1.0, fn)[:, None]
            fb[fbad] = (0.0, 0.0, 1.0)
            out[bad] = fb
        else:
            out[bad] = (0.0, 0.0, 1.0)
    return out


_Q = float(1 << 19)  # unit-normal quantisation grid: 2**-19 ~ 1.9e-6


def _normal_codes(unit: F8) -> npt.NDArray[np.int64]:
    """One int64 per unit vector: components on a 2**-19 grid, 21 bits each."""
    q = np.rint(unit * _Q).astype(np.int64) + (1 << 19)
    return (q[:, 0] << 42) | (q[:, 1] << 21) | q[:, 2]


def smooth_normals(
    vertices: F8, faces: npt.NDArray[np.integer], crease_angle: float, max_pairs: int = 1 << 22
) -> Tuple[npt.NDArray[np.intp], F8, npt.NDArray[np.intp]]:
    """Creased vertex normals, as three.js ``toCreasedNormals`` (design.md §4).

    Each triangle corner gets the sum of the normals of the triangles at its
    vertex whose unit normal is within ``crease_angle`` (radians) of its own
    triangle's, each weighted by the triangle's angle at that vertex (so a
    quad split in two counts once), normalised. Triangles at a vertex with
    the same normal (to ~2e-6) are handled as one group, so a fan of
    coplanar triangles costs one entry; output vertices are (vertex, normal)
    pairs, normals equal to ~2e-6 merged. Returns (source vertex of each
    output vertex, unit normals (k, 3), triangles (m, 3) over the output
    vertices). Memory is bounded by ``max_pairs`` group pairs per step.
    """
    m = len(faces)
    f = faces.astype(np.intp)
    p0 = vertices[f[:, 0]]
    fn = np.cross(vertices[f[:, 1]] - p0, vertices[f[:, 2]] - p0)
    norm = np.sqrt(np.einsum("ij,ij->i", fn, fn))
    good = norm > 0
    unit = fn / np.where(good, norm, 1.0)[:, None]
    unit[~good] = 0.0
    cos_crease = math.cos(float(crease_angle))

    # groups: (vertex, quantised face normal)
    codes, face_code = np.unique(_normal_codes(unit), return_inverse=True)
    corner_v = f.reshape(-1)
    corner_f = np.repeat(np.arange(m), 3)
    key = corner_v.astype(np.int64) * len(codes) + face_code.reshape(-1)[corner_f]
    gkey, group_of_corner = np.unique(key, return_inverse=True)  # sorted: groups of a vertex are adjacent
    group_of_corner = group_of_corner.reshape(-1)
    n_groups = len(gkey)
    gvert = gkey // len(codes)
    # corner angles: the weight of each triangle's normal at a vertex
    tri = vertices[f]  # (m, 3, 3)
    e1 = np.roll(tri, -1, axis=1) - tri
    e2 = np.roll(tri, -2, axis=1) - tri
    angle = np.arctan2(np.linalg.norm(np.cross(e1, e2), axis=2), np.einsum("mki,mki->mk", e1, e2)).reshape(-1)
    weighted = unit[corner_f] * angle[:, None]
    gsum = np.empty((n_groups, 3))
    for axis in range(3):
        gsum[:, axis] = np.bincount(group_of_corner, weights=weighted[:, axis], minlength=n_groups)
    gunit = _unit_rows(gsum)
    gunit[~(np.einsum("ij,ij->i", gsum, gsum) > 0)] = 0.0

    # pairs of groups at the same vertex
    new_vertex = np.empty(n_groups, dtype=bool)
    new_vertex[:1] = True
    new_vertex[1:] = gvert[1:] != gvert[:-1]
    starts = np.flatnonzero(new_vertex)
    counts = np.diff(np.append(starts, n_groups))
    vidx = np.cumsum(new_vertex) - 1
    deg = counts[vidx]
    first = starts[vidx]
    acc = np.zeros((n_groups, 3))
    ends = np.cumsum(deg)
    lo = 0
    while lo < n_groups:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(int(np.searchsorted(ends, base + max_pairs, side="right")), lo + 1)
        d = deg[lo:hi]
        i_idx = np.repeat(np.arange(lo, hi), d)
        j_idx = first[i_idx] + (np.arange(len(i_idx)) - np.repeat(np.cumsum(d) - d, d))
        keep = np.einsum("ij,ij->i", gunit[i_idx], gunit[j_idx]) >= cos_crease
        ik = i_idx[keep] - lo
        contrib = gsum[j_idx[keep]]
        for axis in range(3):
            acc[lo:hi, axis] = np.bincount(ik, weights=contrib[:, axis], minlength=hi - lo)
        lo = hi
    # groups of degenerate triangles only: the plain vertex normal
    plain = np.zeros((len(starts), 3))
    for axis in range(3):
        plain[:, axis] = np.bincount(vidx, weights=gsum[:, axis], minlength=len(starts))
    gnormal = _unit_rows(acc, plain[vidx])

    # output vertices: (vertex, normal) with equal normals merged
    ncodes, ncode = np.unique(_normal_codes(gnormal), return_inverse=True)
    okey = gvert * len(ncodes) + ncode.reshape(-1)
    _, out_first, out_of_group = np.unique(okey, return_index=True, return_inverse=True)
    out_of_group = out_of_group.reshape(-1)
    out_tri = out_of_group[group_of_corner].reshape(m, 3).astype(np.intp)
    return gvert[out_first].astype(np.intp), gnormal[out_first], out_tri


def flat_normals(vertices: F8, faces: npt.NDArray[np.integer]) -> Tuple[F8, F8]:
    """Unsplit triangles -> (positions (3m, 3), unit face normals repeated per corner (3m, 3))."""
    f = faces.astype(np.intp)
    tri = vertices[f]  # (m, 3, 3)
    fn = _unit_rows(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]))
    return tri.reshape(-1, 3), np.repeat(fn, 3, axis=0)


# -- BIN and JSON assembly ------------------------------------------------------
# The JSON is assembled as text from fixed templates: building and encoding
# one dict per accessor and node costs more than the whole binary part.
# _POS's %s is 'min x,y,z],"max":[max x,y,z' (_minmax_texts)
_POS = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC3","min":[%s]}'
_VEC3 = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC3"}'
_VEC4 = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC4"}'
_IDX = '{"bufferView":%d,"byteOffset":%d,"componentType":%d,"count":%d,"type":"SCALAR"}'


class _Bin:
    """BIN chunk parts and their bufferViews (JSON texts); every view starts 4-byte aligned."""

    def __init__(self) -> None:
        self.parts: List[Any] = []
        self.length = 0
        self.views: List[str] = []
        self.accessors: List[str] = []  # texts of one or more accessors each, to be joined by ","
        self.n_accessors = 0

    def view(self, array: npt.NDArray[Any], target: Optional[int] = None, stride: Optional[int] = None) -> int:
        data = np.ascontiguousarray(array).data.cast("B")
        pad = -self.length % 4
        if pad:
            self.parts.append(b"\0" * pad)
            self.length += pad
        text = '{"buffer":0,"byteOffset":%d,"byteLength":%d' % (self.length, len(data))
        if stride is not None:
            text += ',"byteStride":%d' % stride
        if target is not None:
            text += ',"target":%d' % target
        self.views.append(text + "}")
        self.parts.append(data)
        self.length += len(data)
        return len(self.views) - 1

    def accessor(self, text: str, count: int = 1) -> int:
        """Index of the first of ``count`` accessors whose texts ``text`` holds, comma separated."""
        if count:
            self.accessors.append(text)
        self.n_accessors += count
        return self.n_accessors - count

    def vec3_block(
        self,
        data: F8,
        counts: npt.NDArray[np.intp],
        minmax: bool = True,
        frame: Optional[F8] = None,
        bounds: Optional[Tuple[F8, F8]] = None,
    ) -> npt.NDArray[np.intp]:
        """One float32 VEC3 bufferView holding consecutive segments; one accessor per segment
        (count > 0), -1 for empty segments.

        frame: a scaled signed axis permutation applied (in float64) while casting.
        bounds: per-segment min and max of ``data`` when known: the float32
        extremes follow from them (casting and turning are monotone).
        """
        if frame is None:
            f4 = np.ascontiguousarray(data, dtype="<f4")
        else:
            perm, factor = _permutation(frame)
            f4 = np.empty(data.shape, dtype="<f4")
            for j in range(3):
                np.multiply(data[:, perm[j]], factor[j], out=f4[:, j], casting="same_kind")
        used = counts > 0
        view = self.view(f4, ARRAY_BUFFER, 12 if int(used.sum()) > 1 else None)
        rows = np.flatnonzero(used)
        columns: List[List[Any]] = [[view] * len(rows), (12 * (np.cumsum(counts) - counts))[rows].tolist(), counts[rows].tolist()]
        if minmax and len(rows):
            if bounds is None:
                lo, hi = _segment_minmax(f4, counts)
                lo_hi = np.stack([lo[rows], hi[rows]], axis=1)
            else:
                lo64, hi64 = _frame_bounds(bounds[0][rows], bounds[1][rows], frame)
                lo_hi = np.stack([lo64, hi64], axis=1).astype("<f4")
            columns.append(_minmax_texts(lo_hi))
        first = self.accessor(_interleave(_POS if minmax else _VEC3, columns), len(rows))
        out = np.full(len(counts), -1, dtype=np.intp)
        out[rows] = np.arange(first, first + len(rows))
        return out


def _same_segments(
    a: npt.NDArray[Any], sa: npt.NDArray[np.intp], sb: npt.NDArray[np.intp], size: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """For each k: ``a[sa[k]:sa[k] + size[k]]`` equals ``a[sb[k]:sb[k] + size[k]]`` byte for byte (1-D ``a``)."""
    w = a.itemsize
    # Byte slices of one memoryview: compared with memcmp, nothing copied.
    raw = np.ascontiguousarray(a).data.cast("B")
    same = [raw[x * w : (x + s) * w] == raw[y * w : (y + s) * w] for x, y, s in zip(sa.tolist(), sb.tolist(), size.tolist())]
    return np.array(same, dtype=bool)


def _dedup(
    keys: Sequence[npt.NDArray[Any]],
    equal: Callable[[npt.NDArray[np.intp], npt.NDArray[np.intp]], npt.NDArray[np.bool_]],
    rounds: int,
) -> npt.NDArray[np.intp]:
    """Representative of each item: the lowest-numbered item with the same keys that ``equal`` says is equal.

    Items are grouped by their key columns (one lexsort); in each round every
    unresolved item of a group is compared (``equal(items, heads)``, vectorised)
    with the group's lowest unresolved item. ``rounds=1`` compares with the
    group's first item only; enough rounds find every equal pair.
    """
    E = len(keys[0])
    rep = np.arange(E)
    if E < 2:
        return rep
    order = np.lexsort(keys)  # stable: equal keys in increasing item order
    same = np.zeros(E, dtype=bool)
    same[1:] = True
    for k in keys:
        ks = k[order]
        same[1:] &= ks[1:] == ks[:-1]
    items, grp = order, np.cumsum(~same) - 1
    for _ in range(rounds):
        keep = np.bincount(grp)[grp] >= 2
        items, grp = items[keep], grp[keep]
        if len(items) == 0:
            break
        head = np.ones(len(grp), dtype=bool)
        head[1:] = grp[1:] != grp[:-1]
        heads = items[head][np.cumsum(head) - 1]
        other = ~head
        a, h = items[other], heads[other]
        eq = equal(a, h)
        rep[a[eq]] = h[eq]
        items, grp = a[~eq], grp[other][~eq]
    return rep


class _IndexPool:
    """Index arrays (faces, lines) deduplicated exactly and packed per component type.

    ``add`` records blocks of consecutive index arrays; ``materialize`` works
    in bulk: a signature per array (component type, length, first, middle and
    last index), arrays with the signature of an earlier one compared with
    the first of them element for element, merged only when equal.
    """

    def __init__(self) -> None:
        self._blocks: List[npt.NDArray[Any]] = []
        self._sizes: List[npt.NDArray[np.intp]] = []
        self._n_vertices: List[npt.NDArray[np.intp]] = []
        self.count = 0

    def add(self, indices: npt.NDArray[Any], sizes: npt.NDArray[np.intp], n_vertices: npt.NDArray[np.intp]) -> int:
        """Entries for the consecutive arrays (``sizes`` > 0 elements each) of ``indices``, whose
        vertex counts are ``n_vertices`` (uint16 when <= 65535); the number of the first entry."""
        self._blocks.append(indices.reshape(-1))
        self._sizes.append(sizes)
        self._n_vertices.append(n_vertices)
        self.count += len(sizes)
        return self.count - len(sizes)

    def materialize(self, b: _Bin) -> npt.NDArray[np.intp]:
        """Write the views; accessor index of every entry."""
        E = self.count
        if E == 0:
            return np.zeros(0, dtype=np.intp)
        # one block (the usual case): used as it is, not copied
        flat = (self._blocks[0] if len(self._blocks) == 1 else np.concatenate(self._blocks)).astype(np.uint32, copy=False)
        sizes = np.concatenate(self._sizes).astype(np.intp, copy=False)
        # 65535 is the primitive-restart value of uint16: never an index
        small = np.concatenate(self._n_vertices) <= 65535
        starts = np.cumsum(sizes) - sizes
        keys = (flat[starts + sizes - 1], flat[starts + sizes // 2], flat[starts], sizes, small)
        rep = _dedup(keys, lambda a, h: _same_segments(flat, starts[a], starts[h], sizes[a]), rounds=1)
        unique = rep == np.arange(E)
        table = np.zeros((E, 4), dtype=np.int64)  # bufferView, byteOffset, componentType, count
        table[:, 3] = sizes
        for flag, dtype, ctype in ((True, "<u2", UNSIGNED_SHORT), (False, "<u4", UNSIGNED_INT)):
            sel = unique & (small == flag)
            if not sel.any():
                continue
            data = flat if sel.all() else flat[np.repeat(sel, sizes)]
            view = b.view(data.astype(dtype, copy=False), ELEMENT_ARRAY_BUFFER)
            kept = np.where(sel, sizes, 0)
            table[sel, 0] = view
            table[sel, 1] = ((np.cumsum(kept) - kept) * np.dtype(dtype).itemsize)[sel]
            table[sel, 2] = ctype
        first = b.accessor(_interleave(_IDX, table[unique].T.tolist()), int(unique.sum()))
        acc = np.zeros(E, dtype=np.intp)
        acc[unique] = first + np.arange(int(unique.sum()))
        return acc[rep]


def _segment_minmax(a: npt.NDArray[Any], counts: npt.NDArray[np.intp]) -> Tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Per-segment min and max rows of consecutive segments of ``a`` (zeros for empty segments)."""
    lo = np.zeros((len(counts),) + a.shape[1:], dtype=a.dtype)
    hi = np.zeros_like(lo)
    nz = counts > 0
    if nz.any():
        starts = (np.cumsum(counts) - counts)[nz]
        lo[nz] = np.minimum.reduceat(a, starts, axis=0)
        hi[nz] = np.maximum.reduceat(a, starts, axis=0)
    return lo, hi


def _frame_bounds(lo: F8, hi: F8, frame: Optional[F8]) -> Tuple[F8, F8]:
    """Per-row bounds of points turned by ``frame`` (a scaled signed axis permutation; None: unchanged),
    computed as the points are (one multiplication), so they equal the turned points' extremes."""
    if frame is None:
        return lo, hi
    perm, factor = _permutation(frame)
    out_lo, out_hi = np.empty_like(lo), np.empty_like(hi)
    for j in range(3):
        a, z = (lo, hi) if factor[j] > 0 else (hi, lo)
        out_lo[:, j] = a[:, perm[j]] * factor[j]
        out_hi[:, j] = z[:, perm[j]] * factor[j]
    return out_lo, out_hi


def _offsets(counts: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    out = np.zeros(len(counts) + 1, dtype=np.intp)
    np.cumsum(counts, out=out[1:])
    return out


# Primitive texts up to the material, which stands as \x01 (filled in per glTF mesh); each ends with ",".
_PRIM_TRI = '{"attributes":{"POSITION":%d},"indices":%d,"mode":4,"material":\x01},'
_PRIM_TRI_N = '{"attributes":{"POSITION":%d,"NORMAL":%d},"mode":4,"material":\x01},'
_PRIM_TRI_NI = '{"attributes":{"POSITION":%d,"NORMAL":%d},"indices":%d,"mode":4,"material":\x01},'
_PRIM_LINES = '{"attributes":{"POSITION":%d},"indices":%d,"mode":1,"material":\x01},'
_PRIM_POINTS = '{"attributes":{"POSITION":%d},"mode":0,"material":\x01},'


def _geometry(
    b: _Bin,
    rel: F8,
    n: npt.NDArray[np.intp],
    F: npt.NDArray[Any],
    m: npt.NDArray[np.intp],
    L: npt.NDArray[Any],
    k: npt.NDArray[np.intp],
    normals: Optional[str],
    crease_angle: float,
    frame: Optional[F8],
    bounds: Tuple[F8, F8],
) -> List[str]:
    """Accessors of every geometry; per geometry its primitive texts (see ``_PRIM_TRI``).

    rel: vertices relative to their geometry's centre (n per geometry); F, L:
    the geometries' faces (m each) and lines (k each), concatenated; frame:
    applied to the plain positions while they are cast (None: rel is in the
    output frame); bounds: per-geometry min and max of rel.
    """
    G = len(n)
    vo = _offsets(n)
    pool = _IndexPool()
    # (template, geometries, columns; an index entry column is last when the template has indices)
    specs: List[Tuple[str, npt.NDArray[np.intp], List[npt.NDArray[np.intp]], bool]] = []

    need_plain = np.ones(G, dtype=bool) if normals is None else (m == 0) | (k > 0)
    plain = np.full(G, -1, dtype=np.intp)
    if need_plain.any():
        rows = rel if need_plain.all() else rel[np.repeat(need_plain, n)]
        plain = b.vec3_block(rows, np.where(need_plain, n, 0), frame=frame, bounds=bounds)

    has = np.flatnonzero(m)
    if normals is None:
        if len(has):
            first = pool.add(F, 3 * m[has], n[has])
            specs.append((_PRIM_TRI, has, [plain[has], first + np.arange(len(has))], True))
    elif len(has):
        fglob = F.astype(np.intp) + np.repeat(vo[:-1], m)[:, None]
        if normals == "flat":
            pos, nrm = flat_normals(rel, fglob)
            pos_acc = b.vec3_block(pos, 3 * m)
            nrm_acc = b.vec3_block(nrm, 3 * m, minmax=False)
            specs.append((_PRIM_TRI_N, has, [pos_acc[has], nrm_acc[has]], False))
        else:
            src, nrm, tri = smooth_normals(rel, fglob, crease_angle)
            order = np.argsort(src, kind="stable")  # group output vertices by geometry
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            src, nrm, tri = src[order], nrm[order], rank[tri]
            so = np.searchsorted(src, vo)
            counts = np.diff(so)
            tri = tri - np.repeat(so[:-1], m)[:, None]
            pos_acc = b.vec3_block(rel[src], counts)
            nrm_acc = b.vec3_block(nrm, counts, minmax=False)
            first = pool.add(tri, 3 * m[has], counts[has])
            specs.append((_PRIM_TRI_NI, has, [pos_acc[has], nrm_acc[has], first + np.arange(len(has))], True))
    with_lines = np.flatnonzero(k)
    if len(with_lines):
        first = pool.add(L, 2 * k[with_lines], n[with_lines])
        specs.append((_PRIM_LINES, with_lines, [plain[with_lines], first + np.arange(len(with_lines))], True))
    only_points = np.flatnonzero((m == 0) & (k == 0))
    if len(only_points):
        specs.append((_PRIM_POINTS, only_points, [plain[only_points]], False))

    index_acc = pool.materialize(b)
    prims = [""] * G
    for template, geoms, columns, indexed in specs:  # in primitive order: triangles, lines, points
        if indexed:
            columns[-1] = index_acc[columns[-1]]
        texts = _per_row(template, [c.tolist() for c in columns])
        for g, text in zip(geoms.tolist(), texts):
            prims[g] += text
    return prims


def _material(rgba: Tuple[float, ...]) -> Dict[str, Any]:
    factor = [min(max(float(c) / 255.0, 0.0), 1.0) for c in rgba]
    mat: Dict[str, Any] = {
        "pbrMetallicRoughness": {"baseColorFactor": factor, "metallicFactor": 0.0, "roughnessFactor": 1.0},
        "doubleSided": False,
    }
    if factor[3] < 1.0:
        mat["alphaMode"] = "BLEND"
    return mat


def _validate(
    owner_id: Callable[[int], Any],
    V: F8,
    n: npt.NDArray[np.intp],
    F: npt.NDArray[Any],
    m: npt.NDArray[np.intp],
    L: npt.NDArray[Any],
    k: npt.NDArray[np.intp],
) -> None:
    """ValueError naming the element (``owner_id(geometry)``) when indices are out of range or coordinates not finite."""
    if not np.isfinite(V).all():
        finite = np.isfinite(V).all(axis=1)
        g = int(np.searchsorted(_offsets(n), int(np.argmin(finite)), side="right")) - 1
        raise ValueError(f"element {owner_id(g)!r}: non-finite vertex coordinates")
    for name, flat, rows in (("faces", F, m), ("lines", L, k)):
        nonempty = rows > 0
        if not nonempty.any():
            continue
        sizes = rows * flat.shape[1]
        starts = (np.cumsum(sizes) - sizes)[nonempty]
        top = np.maximum.reduceat(flat.reshape(-1), starts)  # per-geometry largest index
        bad = np.flatnonzero(top >= n[nonempty])
        if len(bad):
            g = int(np.flatnonzero(nonempty)[bad[0]])
            raise ValueError(f"element {owner_id(g)!r}: {name} index {int(top[bad[0]])} out of range for {int(n[g])} vertices")


def _same_geometry(
    V: F8, n: npt.NDArray[np.intp], F: npt.NDArray[Any], m: npt.NDArray[np.intp], L: npt.NDArray[Any], k: npt.NDArray[np.intp], items: npt.NDArray[np.intp]
) -> npt.NDArray[np.intp]:
    """Representative of each geometry: the first of ``items`` with equal vertices, faces and lines
    (bit for bit), itself for the others. Signature: counts, first and last vertex."""
    rep = np.arange(len(n))
    if len(items) < 2:
        return rep
    vo, fo, lo = 3 * _offsets(n), 3 * _offsets(m), 2 * _offsets(k)
    bits = V.reshape(-1).view(np.uint64)
    Fr, Lr = F.reshape(-1), L.reshape(-1)
    first = bits[vo[items][:, None] + np.arange(3)]
    last = bits[vo[items + 1][:, None] - np.arange(1, 4)]

    def equal(a: npt.NDArray[np.intp], h: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        a, h = items[a], items[h]
        eq = _same_segments(bits, vo[a], vo[h], 3 * n[a])
        eq &= _same_segments(Fr, fo[a], fo[h], 3 * m[a])
        eq &= _same_segments(Lr, lo[a], lo[h], 2 * k[a])
        return eq

    keys = [n[items], m[items], k[items], *first.T, *last.T]
    sub = _dedup(keys, equal, rounds=len(items))
    rep[items] = items[sub]
    return rep


_ELEMENT_FIELDS = operator.attrgetter("id", "type", "name", "parent", "matrix", "mesh", "rgba", "template")


def export_glb(
    scene: Any,
    *,
    units: str = "m",
    up: str = "y",
    normals: Optional[str] = None,
    crease_angle: float = 0.5,
    instancing: bool = False,
) -> bytes:
    """The scene as glb bytes (glTF 2.0 binary).

    units: "m" (default) or "mm" for the output lengths. up: "y" (default,
    glTF convention: world (x, y, z) Z up -> (x, z, -y)) or "z" (keep the
    server's axes). normals: None or "none" (default: no NORMAL, viewers shade flat),
    "flat" (vertices split per triangle, face normals) or "smooth" (normals
    averaged over the triangles around a vertex whose normals lie within
    ``crease_angle`` radians, 0.5 by default, design.md §4; vertices split
    where the angle is larger). instancing: write groups of >= 2 elements
    that share one Mesh and colour as one EXT_mesh_gpu_instancing node.

    Each node's transform maps the element's local frame, turned to the
    output axes and units, to the output world: the mesh is stored once as
    S·R·v - c (R the axis turn, S the unit scale, c the bounds centre, all in
    float64 before the float32 cast) and the node holds rotation/scale
    R·A·Rᵀ and translation R·A·Rᵀ·c + S·R·t for the element matrix [A | t].

    Materials are deduplicated by RGBA (baseColorFactor = rgba / 255,
    metallic 0, roughness 1, BLEND when alpha < 255; a grey default for
    elements without colour). Triangles are counter-clockwise from outside;
    mirroring node transforms are left to glTF's negative-determinant rule.
    Raises ValueError on bad options or invalid meshes (indices out of
    range, non-finite coordinates), naming the element.
    """
    scale_factor, axes = frame_transform(units, up)
    if normals == "none":
        normals = None
    if normals not in (None, "flat", "smooth"):
        raise ValueError(f"normals must be None/'none', 'flat' or 'smooth', not {normals!r}")
    crease_angle = float(crease_angle)
    if not (crease_angle >= 0.0 and math.isfinite(crease_angle)):
        raise ValueError(f"crease_angle must be a finite angle >= 0 in radians, not {crease_angle!r}")
    # The writer makes tens of thousands of small acyclic objects: collections would find nothing.
    with gc_paused():
        # Absurd placements may overflow on the way (inf): every output is
        # checked for that and refused with the element named, so no warning.
        with np.errstate(over="ignore"):
            return _export(list(scene), scale_factor, axes, units, up, normals, crease_angle, instancing)


def _export(
    elements: List[Any],
    scale_factor: float,
    axes: F8,
    units: str,
    up: str,
    normals: Optional[str],
    crease_angle: float,
    instancing: bool,
) -> bytes:
    N = len(elements)
    fields: List[Sequence[Any]] = list(zip(*map(_ELEMENT_FIELDS, elements))) if N else [()] * 8
    ids, types, names, parents, matrices, emeshes, ergba, templates = fields
    to_out = scale_factor * axes
    mats = _stack_matrices(matrices)
    if not np.isfinite(mats).all():
        bad = int(np.flatnonzero(~np.isfinite(mats).reshape(N, -1).all(axis=1))[0])
        raise ValueError(f"element {ids[bad]!r}: non-finite matrix")
    lin = axes @ mats[:, :3, :3] @ axes.T  # R A R^T
    trans = mats[:, :3, 3] @ to_out.T  # S R t
    ok, quats, scales = decompose(lin)
    near_one = np.abs(np.abs(scales) - 1.0) < 1e-12
    scales[near_one] = np.sign(scales[near_one])

    # Geometry table: one entry per distinct Mesh (by object here, by data below), plus baked elements.
    rgbas = [c if c is not None else (None if mesh is None else mesh.rgba) for c, mesh in zip(ergba, emeshes)]
    g_of = [-1] * N
    mat_of = [-1] * N
    owner: List[int] = []
    verts: List[F8] = []
    faces: List[npt.NDArray[Any]] = []
    lines: List[npt.NDArray[Any]] = []
    baked: List[int] = []
    by_mesh: Dict[int, int] = {}
    materials: List[Dict[str, Any]] = []
    mat_index: Dict[Tuple[float, ...], int] = {}
    for i, mesh, rgba, trs in zip(range(N), emeshes, rgbas, ok.tolist()):
        if mesh is None or len(mesh.vertices) == 0:
            continue
        key_rgba = DEFAULT_RGBA if rgba is None else rgba
        mat = mat_index.get(key_rgba)
        if mat is None:
            mat = mat_index[key_rgba] = len(materials)
            entry = _material(key_rgba)
            entry["name"] = "default" if rgba is None else "rgba(" + ",".join(f"{c:g}" for c in key_rgba) + ")"
            materials.append(entry)
        mat_of[i] = mat
        if trs:
            g = by_mesh.get(id(mesh))
            if g is None:
                g = by_mesh[id(mesh)] = len(owner)
                owner.append(i)
                verts.append(mesh.vertices)
                faces.append(mesh.faces)
                lines.append(mesh.lines)
        else:
            # Not rotation x scale + translation: bake the transform into own geometry.
            a, t = mats[i, :3, :3], mats[i, :3, 3]
            g = len(owner)
            owner.append(i)
            baked.append(g)
            verts.append(mesh.vertices @ a.T + t)
            faces.append(mesh.faces[:, ::-1] if np.linalg.det(a) < 0 else mesh.faces)
            lines.append(mesh.lines)
        g_of[i] = g

    b = _Bin()
    prims: List[str] = []
    centre = np.zeros((0, 3))
    g_arr = np.array(g_of, dtype=np.intp)
    if verts:
        G = len(verts)
        n = np.fromiter(map(len, verts), dtype=np.intp, count=G)
        m = np.fromiter(map(len, faces), dtype=np.intp, count=G)
        k = np.fromiter(map(len, lines), dtype=np.intp, count=G)
        V = np.concatenate(verts)  # Z up, mm: element-local (baked: world)
        F = np.concatenate(faces)
        L = np.concatenate(lines)
        # equal arrays in other Mesh objects: share the geometry too
        shareable = np.ones(G, dtype=bool)
        shareable[baked] = False
        rep = _same_geometry(V, n, F, m, L, k, np.flatnonzero(shareable))
        keep = rep == np.arange(G)
        if not keep.all():
            V, F, L = V[np.repeat(keep, n)], F[np.repeat(keep, m)], L[np.repeat(keep, k)]
            n, m, k = n[keep], m[keep], k[keep]
            owner = np.asarray(owner)[keep].tolist()
            number = np.cumsum(keep) - 1
            placed = g_arr >= 0
            g_arr[placed] = number[rep[g_arr[placed]]]
        _validate(lambda g: ids[owner[g]], V, n, F, m, L, k)
        lo, hi = _segment_minmax(V, n)
        # Positions are float32 relative to each geometry's centre: its
        # half-extent, in output units, must fit (an invalid file otherwise).
        half = (hi - lo).max(axis=1) * (0.5 * scale_factor)
        wide = ~(half <= FLOAT32_MAX)
        if wide.any():
            g = int(np.argmax(wide))
            raise ValueError(f"element {ids[owner[g]]!r}: coordinates span {float(half[g]) * 2 / scale_factor:.3g} mm, "
                             "more than glb's float32 positions hold")
        centre_in = (lo + hi) * 0.5
        for j in range(3):  # relative to each geometry's bounds centre (a column at a time: a third of the memory)
            V[:, j] -= np.repeat(centre_in[:, j], n)
        bounds = (lo - centre_in, hi - centre_in)  # V's per-geometry extremes, exactly
        centre = _to_frame(centre_in, to_out)
        if normals is None:  # turned and scaled while cast to float32
            prims = _geometry(b, V, n, F, m, L, k, normals, crease_angle, to_out, bounds)
        else:  # normals are computed in the output frame
            prims = _geometry(b, _to_frame(V, to_out), n, F, m, L, k, normals, crease_angle, None, _frame_bounds(*bounds, to_out))
        # The BIN chunk holds what it needs; the concatenated inputs (and baked
        # copies) need not outlive this point, while the JSON is built and packed.
        del V, F, L, verts, faces, lines

    # Node placement.
    placed = g_arr >= 0
    baked_el = placed & ~ok
    shared = placed & ok
    node_t = trans.copy()
    if shared.any():
        node_t[shared] += np.einsum("nij,nj->ni", lin[shared], centre[g_arr[shared]])
    if baked_el.any():
        node_t[baked_el] = centre[g_arr[baked_el]]
    identity = ~ok | baked_el
    quats[identity] = (0.0, 0.0, 0.0, 1.0)
    scales[identity] = 1.0
    if not np.isfinite(node_t).all():
        bad = int(np.flatnonzero(~np.isfinite(node_t).all(axis=1))[0])
        raise ValueError(f"element {ids[bad]!r}: its placement overflows (matrix times coordinates)")

    # glTF meshes: one per (geometry, material), numbered in order of first use.
    mat_arr = np.array(mat_of, dtype=np.intp)
    node_mesh = np.full(N, -1, dtype=np.intp)
    mesh_first = np.zeros(0, dtype=np.intp)  # first element of each glTF mesh
    where = np.flatnonzero(placed)
    if len(where):
        _, first, inverse = np.unique(g_arr[where] * len(materials) + mat_arr[where], return_index=True, return_inverse=True)
        rank = np.empty(len(first), dtype=np.intp)
        rank[np.argsort(first)] = np.arange(len(first))
        node_mesh[where] = rank[inverse.reshape(-1)]
        mesh_first = where[np.sort(first)]

    esc = json.encoder.encode_basestring
    mesh_el = mesh_first.tolist()
    labels = [templates[i] or emeshes[i].id for i in mesh_el]
    mesh_names = _field_texts("name", [x if x else None for x in labels])
    meshes = [
        '{"primitives":[' + prims[g][:-1].replace("\x01", str(mat)) + "]" + name
        for g, mat, name in zip(g_arr[mesh_first].tolist(), mat_arr[mesh_first].tolist(), mesh_names)
    ]

    groups: Dict[Tuple[int, int], List[int]] = {}
    if instancing:
        for i in np.flatnonzero(shared).tolist():
            groups.setdefault((int(g_arr[i]), mat_of[i]), []).append(i)
        groups = {k2: v for k2, v in groups.items() if len(v) >= 2}
    first_of = {v[0]: k2 for k2, v in groups.items()}
    skip = {i for v in groups.values() for i in v[1:]}

    # Transform texts formatted in bulk: float64 written exactly (shortest round trip).
    t_text = _masked_rows(',"translation":[', node_t, np.any(node_t != 0.0, axis=1))
    q_text = _masked_rows(',"rotation":[', quats, np.any(quats != (0.0, 0.0, 0.0, 1.0), axis=1))
    s_text = _masked_rows(',"scale":[', scales, np.any(scales != 1.0, axis=1))
    mesh_text = [',"mesh":%d' % k if k >= 0 else "" for k in node_mesh.tolist()]
    esc_cache: Dict[Any, str] = {}  # type and template values repeat
    rgba_text: Dict[Any, str] = {}
    nodes: List[str] = []
    for i, eid, mt, tt, qt, st, etype, ename, eparent, rgba, template in zip(
        range(N), ids, mesh_text, t_text, q_text, s_text, types, names, parents, rgbas, templates
    ):
        if groups:
            if i in skip:
                continue
            if i in first_of:
                nodes.append(_instanced_node(b, elements, groups[first_of[i]], int(node_mesh[i]), node_t, quats, scales, rgbas))
                continue
        extras = ""
        if etype is not None:
            text = esc_cache.get(etype)
            if text is None:
                text = esc_cache[etype] = esc(str(etype))
            extras = ',"type":' + text
        if ename is not None:
            extras += ',"name":' + esc(str(ename))
        if eparent is not None:
            extras += ',"parent":' + esc(str(eparent))
        if rgba is not None:
            text = rgba_text.get(rgba)
            if text is None:
                text = rgba_text[rgba] = ',"rgba":' + json.dumps([float(c) for c in rgba], allow_nan=False)
            extras += text
        if template is not None:
            text = esc_cache.get(template)
            if text is None:
                text = esc_cache[template] = esc(str(template))
            extras += ',"template":' + text
        if extras:
            extras = ',"extras":{' + extras[1:] + "}"
        nodes.append(f'{{"name":{esc(str(eid))}{mt}{tt}{qt}{st}{extras}}}')

    root = '{"name":"bimgeo","extras":{"units":%s,"up":%s}' % (esc(units), esc(up))
    if nodes:
        root += ',"children":[' + ",".join(map(str, range(1, len(nodes) + 1))) + "]"
    out = ['{"asset":{"version":"2.0","generator":"bimgeo"}']
    if groups:
        out.append(',"extensionsUsed":["EXT_mesh_gpu_instancing"]')
    out.append(',"scene":0,"scenes":[{"nodes":[0]}],"nodes":[' + root + "}")
    for text in nodes:
        out.append(",")
        out.append(text)
    out.append("]")
    if meshes:
        out.append(',"meshes":[' + "},".join(meshes) + "}]")
    if materials:
        out.append(',"materials":' + json.dumps(materials, separators=(",", ":"), allow_nan=False))
    if b.n_accessors:
        out.append(',"accessors":[' + ",".join(b.accessors) + "]")
        out.append(',"bufferViews":[' + ",".join(b.views) + "]")
        out.append(',"buffers":[{"byteLength":%d}]' % b.length)
    out.append("}")
    return _pack("".join(out).encode("utf-8"), b.parts, b.length)


def _rows(values: npt.NDArray[Any]) -> str:
    """The rows of a non-empty 2-D float array as JSON, outer brackets cut: "a,b,c],[d,e,f".

    orjson writes the shortest text that reads back as the same float64 (or,
    for float32 arrays, float32), 10x faster than ``%`` formatting.
    """
    return orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY).decode()[2:-2]


def _minmax_texts(lo_hi: npt.NDArray[Any]) -> List[str]:
    """'a,b,c],"max":[d,e,f' for each (2, 3) [min, max] of a (R, 2, 3) array (R > 0)."""
    text = _rows(lo_hi)[1:-1]  # "a,b,c],[d,e,f]],[[g,..."
    return text.replace("]],[[", "\x00").replace("],[", '],"max":[').split("\x00")


def _masked_rows(prefix: str, values: F8, mask: npt.NDArray[np.bool_]) -> List[str]:
    """``prefix + "a,b,c]"`` for each row of ``values`` where ``mask`` holds, "" elsewhere."""
    sel = np.flatnonzero(mask)
    if len(sel) == 0:
        return [""] * len(values)
    texts = (prefix + _rows(values[sel]).replace("],[", "]\x00" + prefix) + "]").split("\x00")
    if len(sel) == len(values):
        return texts
    out = [""] * len(values)
    for i, text in zip(sel.tolist(), texts):
        out[i] = text
    return out


def _json_strings(values: Sequence[Any]) -> List[str]:
    """The JSON string text, without the quotes, of ``str(v)`` for each value: one orjson call."""
    strs = [v if v.__class__ is str else str(v) for v in values]
    if not strs:
        return []
    try:
        text = orjson.dumps(strs).decode()
    except TypeError:  # lone surrogates: escaped as json does (the text then fails to encode, as before)
        return [json.encoder.encode_basestring(v)[1:-1] for v in strs]
    return text[2:-2].split('","')  # '","' only occurs between items: quotes inside are escaped


def _field_texts(key: str, values: Sequence[Any]) -> List[str]:
    """',"key":"value"' for each value, "" for None; each distinct value escaped once."""
    head = ',"%s":"' % key
    distinct = set(values)
    if 2 * len(distinct) > len(values) and None not in distinct:
        return [head + text + '"' for text in _json_strings(values)]
    distinct.discard(None)
    memo: Dict[Any, str] = {None: ""}
    for v, text in zip(distinct, _json_strings(list(distinct))):
        memo[v] = head + text + '"'
    return [memo[v] for v in values]


def _row_major(columns: Sequence[List[Any]]) -> Tuple[Any, ...]:
    """The values of equal-length columns row after row, as ``%`` takes them."""
    n, c = len(columns[0]), len(columns)
    flat: List[Any] = [None] * (n * c)
    for j, col in enumerate(columns):
        flat[j::c] = col
    return tuple(flat)


def _per_row(template: str, columns: Sequence[List[Any]]) -> List[str]:
    """``template % row`` for each row of the columns (equal-length lists); one ``%`` call."""
    texts = ((template + "\x00") * len(columns[0]) % _row_major(columns)).split("\x00")
    texts.pop()
    return texts


def _interleave(template: str, columns: Sequence[List[Any]]) -> str:
    """``template % row`` for each row of the columns (equal-length lists), joined by ","; one ``%`` call."""
    return ((template + ",") * len(columns[0]) % _row_major(columns))[:-1]


def _instanced_node(
    b: _Bin,
    elements: Sequence[Any],
    members: List[int],
    mesh: int,
    node_t: F8,
    quats: F8,
    scales: F8,
    rgbas: Sequence[Optional[Tuple[float, ...]]],
) -> str:
    """One EXT_mesh_gpu_instancing node for ``members`` (element indices sharing mesh and material).

    The node holds the instances' translation centre in float64; instance
    TRANSLATION is float32 relative to it (sub-millimetre far from 0).
    """
    t = node_t[members]
    origin = (t.min(axis=0) + t.max(axis=0)) * 0.5
    cnt = len(members)
    attrs = {}
    for name, data, tmpl in (
        ("TRANSLATION", t - origin, _VEC3),
        ("ROTATION", quats[members], _VEC4),
        ("SCALE", scales[members], _VEC3),
    ):
        view = b.view(np.ascontiguousarray(data, dtype="<f4"))
        attrs[name] = b.accessor(tmpl % (view, 0, cnt))
    first = elements[members[0]]
    node: Dict[str, Any] = {
        "name": first.template or first.id,
        "mesh": mesh,
        "extensions": {"EXT_mesh_gpu_instancing": {"attributes": attrs}},
        "extras": {"instances": [dict(element_extras(elements[k], rgbas[k]), id=elements[k].id) for k in members]},
    }
    if origin.any():
        node["translation"] = origin.tolist()
    return json.dumps(node, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _pack(text: bytes, parts: List[Any], length: int) -> bytes:
    """GLB container: header, JSON chunk (space padded), BIN chunk (zero padded) when there is data."""
    text += b" " * (-len(text) % 4)
    pieces: List[Any] = [b"", struct.pack("<II", len(text), _CHUNK_JSON), text]
    total = 12 + 8 + len(text)
    if length:
        bin_pad = -length % 4
        pieces.append(struct.pack("<II", length + bin_pad, _CHUNK_BIN))
        pieces.extend(parts)
        if bin_pad:
            pieces.append(b"\0" * bin_pad)
        total += 8 + length + bin_pad
    pieces[0] = struct.pack("<III", _GLB_MAGIC, 2, total)
    return b"".join(pieces)
