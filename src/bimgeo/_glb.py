"""glb (binary glTF 2.0) writer over numpy buffers (design.md §5, §8).

No trimesh or pygltflib at run time (they are test oracles). The BIN chunk
is a list of buffers joined once; the JSON is assembled as text from fixed
templates, numbers formatted in bulk (one ``%`` call per table), because
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
    R·A·Rᵀ·c + S·R·t (element matrix [A | t]) as JSON numbers with 15
    significant digits. A building 75 km from the origin keeps
    sub-micrometre precision. Accessor min/max are the float32 data's own
    extremes (written with 9 significant digits, which round-trip float32
    exactly). Indices are uint16 up to 65535 vertices, else uint32. Lines
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
import struct
from typing import Any, Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

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
    if not elements:
        return np.zeros((0, 4, 4))
    eye = np.eye(4)
    return np.concatenate([eye if e.matrix is None else e.matrix for e in elements]).reshape(-1, 4, 4)


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
    with np.errstate(invalid="ignore"):
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
_POS = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC3","min":[%.9g,%.9g,%.9g],"max":[%.9g,%.9g,%.9g]}'
_VEC3 = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC3"}'
_VEC4 = '{"bufferView":%d,"byteOffset":%d,"componentType":5126,"count":%d,"type":"VEC4"}'
_IDX = '{"bufferView":%d,"byteOffset":%d,"componentType":%d,"count":%d,"type":"SCALAR"}'


class _Bin:
    """BIN chunk parts and their bufferViews (JSON texts); every view starts 4-byte aligned."""

    def __init__(self) -> None:
        self.parts: List[Any] = []
        self.length = 0
        self.views: List[str] = []
        self.accessors: List[str] = []

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

    def accessor(self, text: str) -> int:
        self.accessors.append(text)
        return len(self.accessors) - 1

    def vec3_block(
        self, data: F8, counts: npt.NDArray[np.intp], minmax: bool, frame: Optional[F8] = None
    ) -> List[int]:
        """One float32 VEC3 bufferView holding consecutive segments; one accessor per segment (count > 0).

        frame: a scaled signed axis permutation applied (in float64) while casting.
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
        # columns: bufferView, byteOffset, count[, min xyz, max xyz] (float32 values are exact in float64)
        table = np.empty((len(rows), 9 if minmax else 3))
        table[:, 0] = view
        table[:, 1] = 12 * (np.cumsum(counts) - counts)[rows]
        table[:, 2] = counts[rows]
        if minmax:
            lo, hi = _segment_minmax(f4, counts)
            table[:, 3:6] = lo[rows]
            table[:, 6:9] = hi[rows]
        first = len(self.accessors)
        self.accessors.extend(_bulk(_POS if minmax else _VEC3, table, int_columns=3))
        out = [-1] * len(counts)
        for k, g in enumerate(rows.tolist()):
            out[g] = first + k
        return out


class _Dedup:
    """Exact deduplication of array tuples: a cheap signature (shape, a few values)
    first, then the bytes compared, only on a signature match. O(1) dict lookups;
    no copy of the data when everything is distinct (the common case)."""

    def __init__(self) -> None:
        self._by_sig: Dict[Hashable, List[int]] = {}
        self._arrays: Dict[int, Tuple[npt.NDArray[Any], ...]] = {}
        self._bytes: Dict[int, Tuple[bytes, ...]] = {}

    def _key(self, index: int) -> Tuple[bytes, ...]:
        key = self._bytes.get(index)
        if key is None:
            key = self._bytes[index] = tuple(a.tobytes() for a in self._arrays[index])
        return key

    def find(self, sig: Hashable, arrays: Tuple[npt.NDArray[Any], ...]) -> Optional[int]:
        """Index of an equal tuple added before, else None."""
        candidates = self._by_sig.get(sig)
        if not candidates:
            return None
        key = tuple(a.tobytes() for a in arrays)
        for index in candidates:
            if self._key(index) == key:
                return index
        return None

    def add(self, sig: Hashable, arrays: Tuple[npt.NDArray[Any], ...], index: int) -> None:
        self._by_sig.setdefault(sig, []).append(index)
        self._arrays[index] = arrays


class _IndexPool:
    """Index arrays (faces, lines) deduplicated exactly and packed per component type.

    ``add`` only records; ``materialize`` works in bulk: a signature per
    array (component type, length, first, middle and last index) taken with
    numpy from the concatenation, grouping of equal signatures with one
    lexsort, then a byte comparison of each presumed duplicate with the
    first array of its group, so arrays are merged only when equal.
    """

    def __init__(self) -> None:
        self._arrays: List[npt.NDArray[Any]] = []
        self._n_vertices: List[int] = []

    def add(self, idx: npt.NDArray[Any], n_vertices: int) -> int:
        """Entry number of a (non-empty) local index array; uint16 when n_vertices <= 65535."""
        self._arrays.append(idx)
        self._n_vertices.append(n_vertices)
        return len(self._arrays) - 1

    def materialize(self, b: _Bin) -> List[int]:
        """Write the views; accessor index of every entry."""
        E = len(self._arrays)
        if E == 0:
            return []
        arrays = [np.ascontiguousarray(a, dtype=np.uint32) for a in self._arrays]
        sizes = np.array([a.size for a in arrays], dtype=np.intp)
        flat = np.concatenate([a.reshape(-1) for a in arrays])
        # 65535 is the primitive-restart value of uint16: never an index
        small = np.array(self._n_vertices, dtype=np.intp) <= 65535
        starts = np.cumsum(sizes) - sizes
        keys = (flat[starts + sizes - 1], flat[starts + sizes // 2], flat[starts], sizes, small)
        order = np.lexsort(keys)  # stable: the first of equal keys is the lowest entry
        same = np.zeros(E, dtype=bool)  # same signature as the previous array in sorted order
        same[1:] = True
        for k in keys:
            ks = k[order]
            same[1:] &= ks[1:] == ks[:-1]
        rep = np.arange(E)
        if same.any():
            run = np.cumsum(~same) - 1
            head = order[np.flatnonzero(~same)]
            cand = np.empty(E, dtype=np.intp)
            cand[order] = head[run]
            raw: Dict[int, bytes] = {}
            for d in np.flatnonzero(cand != rep).tolist():
                r = int(cand[d])
                ref = raw.get(r)
                if ref is None:
                    ref = raw[r] = arrays[r].tobytes()
                if arrays[d].tobytes() == ref:
                    rep[d] = r
        unique = rep == np.arange(E)
        table = np.zeros((E, 4))  # bufferView, byteOffset, componentType, count
        table[:, 3] = sizes
        for flag, dtype, ctype in ((True, "<u2", UNSIGNED_SHORT), (False, "<u4", UNSIGNED_INT)):
            sel = unique & (small == flag)
            if not sel.any():
                continue
            data = flat if sel.all() else flat[np.repeat(sel, sizes)]
            view = b.view(data.astype(dtype), ELEMENT_ARRAY_BUFFER)
            kept = np.where(sel, sizes, 0)
            table[sel, 0] = view
            table[sel, 1] = ((np.cumsum(kept) - kept) * np.dtype(dtype).itemsize)[sel]
            table[sel, 2] = ctype
        first = len(b.accessors)
        b.accessors.extend(_bulk(_IDX, table[unique], int_columns=4))
        acc = np.zeros(E, dtype=np.intp)
        acc[unique] = first + np.arange(int(unique.sum()))
        return acc[rep].tolist()  # type: ignore[no-any-return]


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


def _offsets(counts: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    out = np.zeros(len(counts) + 1, dtype=np.intp)
    np.cumsum(counts, out=out[1:])
    return out


def _geometry(
    b: _Bin,
    rel: F8,
    n: npt.NDArray[np.intp],
    faces: List[npt.NDArray[Any]],
    lines: List[npt.NDArray[Any]],
    normals: Optional[str],
    crease_angle: float,
    frame: Optional[F8],
) -> List[List[str]]:
    """Accessors of every geometry; per geometry the primitive texts up to ``"material":``.

    rel: vertices relative to their geometry's centre; frame: applied to the
    plain positions while they are cast (None: rel is in the output frame).
    """
    G = len(n)
    vo = _offsets(n)
    m = np.array([len(f) for f in faces], dtype=np.intp)
    k = np.array([len(x) for x in lines], dtype=np.intp)
    pool = _IndexPool()
    # (mode, POSITION accessor, NORMAL accessor or -1, index entry or -1) per primitive
    specs: List[List[Tuple[int, int, int, int]]] = [[] for _ in range(G)]

    need_plain = np.ones(G, dtype=bool) if normals is None else (m == 0) | (k > 0)
    plain = [-1] * G
    if need_plain.any():
        rows = rel if need_plain.all() else rel[np.repeat(need_plain, n)]
        plain = b.vec3_block(rows, np.where(need_plain, n, 0), minmax=True, frame=frame)

    if normals is None:
        for g in np.flatnonzero(m).tolist():
            specs[g].append((MODE_TRIANGLES, plain[g], -1, pool.add(faces[g], int(n[g]))))
    elif m.any():
        has = m > 0
        fglob = np.concatenate([faces[g].astype(np.intp) + vo[g] for g in np.flatnonzero(has).tolist()])
        if normals == "flat":
            pos, nrm = flat_normals(rel, fglob)
            pos_acc = b.vec3_block(pos, 3 * m, minmax=True)
            nrm_acc = b.vec3_block(nrm, 3 * m, minmax=False)
            for g in np.flatnonzero(has).tolist():
                specs[g].append((MODE_TRIANGLES, pos_acc[g], nrm_acc[g], -1))
        else:
            src, nrm, tri = smooth_normals(rel, fglob, crease_angle)
            order = np.argsort(src, kind="stable")  # group output vertices by geometry
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            src, nrm, tri = src[order], nrm[order], rank[tri]
            so = np.searchsorted(src, vo)
            counts = np.diff(so)
            tri = tri - np.repeat(so[:-1], m)[:, None]
            pos_acc = b.vec3_block(rel[src], counts, minmax=True)
            nrm_acc = b.vec3_block(nrm, counts, minmax=False)
            fo = _offsets(m)
            for g in np.flatnonzero(has).tolist():
                entry = pool.add(tri[fo[g] : fo[g + 1]], int(counts[g]))
                specs[g].append((MODE_TRIANGLES, pos_acc[g], nrm_acc[g], entry))
    for g in np.flatnonzero(k).tolist():
        specs[g].append((MODE_LINES, plain[g], -1, pool.add(lines[g], int(n[g]))))
    for g in np.flatnonzero((m == 0) & (k == 0)).tolist():
        specs[g].append((MODE_POINTS, plain[g], -1, -1))

    index_acc = pool.materialize(b)
    prims: List[List[str]] = []
    for spec in specs:
        texts = []
        for mode, pos_i, nrm_i, entry in spec:
            attrs = '{"POSITION":%d,"NORMAL":%d}' % (pos_i, nrm_i) if nrm_i >= 0 else '{"POSITION":%d}' % pos_i
            idx = ',"indices":%d' % index_acc[entry] if entry >= 0 else ""
            texts.append('{"attributes":%s%s,"mode":%d,"material":' % (attrs, idx, mode))
        prims.append(texts)
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
    elements: Sequence[Any],
    owner: List[int],
    V: F8,
    n: npt.NDArray[np.intp],
    faces: List[npt.NDArray[Any]],
    lines: List[npt.NDArray[Any]],
) -> None:
    """ValueError naming the element when indices are out of range or coordinates not finite."""
    if not np.isfinite(V).all():
        finite = np.isfinite(V).all(axis=1)
        g = int(np.searchsorted(_offsets(n), int(np.argmin(finite)), side="right")) - 1
        raise ValueError(f"element {elements[owner[g]].id!r}: non-finite vertex coordinates")
    for name, arrays in (("faces", faces), ("lines", lines)):
        sizes = np.array([a.size for a in arrays], dtype=np.intp)
        nonempty = sizes > 0
        if not nonempty.any():
            continue
        flat = np.concatenate([a.reshape(-1) for a in arrays])
        starts = (np.cumsum(sizes) - sizes)[nonempty]
        top = np.maximum.reduceat(flat, starts)  # per-geometry largest index
        bad = np.flatnonzero(top >= n[nonempty])
        if len(bad):
            g = int(np.flatnonzero(nonempty)[bad[0]])
            raise ValueError(
                f"element {elements[owner[g]].id!r}: {name} index {int(top[bad[0]])} out of range for {int(n[g])} vertices"
            )


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

    elements = list(scene)
    N = len(elements)
    to_out = scale_factor * axes
    mats = _matrices(elements)
    if not np.isfinite(mats).all():
        bad = int(np.flatnonzero(~np.isfinite(mats).reshape(N, -1).all(axis=1))[0])
        raise ValueError(f"element {elements[bad].id!r}: non-finite matrix")
    lin = axes @ mats[:, :3, :3] @ axes.T  # R A R^T
    trans = mats[:, :3, 3] @ to_out.T  # S R t
    ok, quats, scales = decompose(lin)
    near_one = np.abs(np.abs(scales) - 1.0) < 1e-12
    scales[near_one] = np.sign(scales[near_one])

    # Geometry table: one entry per distinct Mesh (by object, then by bytes), plus baked elements.
    g_of = [-1] * N
    owner: List[int] = []
    verts: List[F8] = []
    faces: List[npt.NDArray[Any]] = []
    lines: List[npt.NDArray[Any]] = []
    by_mesh: Dict[int, int] = {}
    same_data = _Dedup()
    materials: List[Dict[str, Any]] = []
    mat_index: Dict[Tuple[float, ...], int] = {}
    mat_of = [-1] * N
    rgbas: List[Optional[Tuple[float, ...]]] = [None] * N
    node_mesh = [-1] * N  # glTF mesh of each element: one per (geometry, material)
    mesh_index: Dict[Tuple[int, int], int] = {}
    mesh_keys: List[Tuple[int, int, int]] = []  # (geometry, material, first element)
    okl = ok.tolist()
    for i, e in enumerate(elements):
        mesh = e.mesh
        rgba = e.rgba if e.rgba is not None else (mesh.rgba if mesh is not None else None)
        rgbas[i] = rgba
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
        if okl[i]:
            g = by_mesh.get(id(mesh))
            if g is None:
                # equal arrays in another Mesh object: share the geometry too
                v = mesh.vertices
                arrays = (v, mesh.faces, mesh.lines)
                sig = (len(v), len(mesh.faces), len(mesh.lines), v[0, 0], v[-1, 2])
                g = same_data.find(sig, arrays)
                if g is None:
                    g = len(verts)
                    same_data.add(sig, arrays, g)
                    owner.append(i)
                    verts.append(v)
                    faces.append(mesh.faces)
                    lines.append(mesh.lines)
                by_mesh[id(mesh)] = g
        else:
            # Not rotation x scale + translation: bake the transform into own geometry.
            a, t = mats[i, :3, :3], mats[i, :3, 3]
            g = len(verts)
            owner.append(i)
            verts.append(mesh.vertices @ a.T + t)
            faces.append(mesh.faces[:, ::-1] if np.linalg.det(a) < 0 else mesh.faces)
            lines.append(mesh.lines)
        g_of[i] = g
        midx = mesh_index.get((g, mat))
        if midx is None:
            midx = mesh_index[(g, mat)] = len(mesh_keys)
            mesh_keys.append((g, mat, i))
        node_mesh[i] = midx

    b = _Bin()
    prims: List[List[str]] = []
    centre = np.zeros((0, 3))
    if verts:
        n = np.array([len(v) for v in verts], dtype=np.intp)
        V = np.concatenate(verts)  # Z up, mm: element-local (baked: world)
        _validate(elements, owner, V, n, faces, lines)
        lo, hi = _segment_minmax(V, n)
        centre_in = (lo + hi) * 0.5
        V -= np.repeat(centre_in, n, axis=0)  # relative to each geometry's bounds centre
        centre = _to_frame(centre_in, to_out)
        if normals is None:  # turned and scaled while cast to float32
            prims = _geometry(b, V, n, faces, lines, normals, crease_angle, to_out)
        else:  # normals are computed in the output frame
            prims = _geometry(b, _to_frame(V, to_out), n, faces, lines, normals, crease_angle, None)

    # Node placement.
    g_arr = np.array(g_of, dtype=np.intp)
    placed = g_arr >= 0
    baked = placed & ~ok
    shared = placed & ok
    node_t = trans.copy()
    if shared.any():
        node_t[shared] += np.einsum("nij,nj->ni", lin[shared], centre[g_arr[shared]])
    if baked.any():
        node_t[baked] = centre[g_arr[baked]]
    identity = ~ok | baked
    quats[identity] = (0.0, 0.0, 0.0, 1.0)
    scales[identity] = 1.0

    esc = json.encoder.encode_basestring
    esc_cache: Dict[Any, str] = {}

    def cached(s: Any) -> str:
        text = esc_cache.get(s)
        if text is None:
            text = esc_cache[s] = esc(str(s))
        return text

    rgba_text: Dict[Any, str] = {}
    meshes: List[str] = []
    for g, mat, i in mesh_keys:
        mat_s = "%d}" % mat
        e = elements[i]
        label = e.template or e.mesh.id
        name = ',"name":' + cached(label) if label else ""
        meshes.append('{"primitives":[' + ",".join(p + mat_s for p in prims[g]) + "]" + name + "}")

    groups: Dict[Tuple[int, int], List[int]] = {}
    if instancing:
        for i in np.flatnonzero(shared).tolist():
            groups.setdefault((g_of[i], mat_of[i]), []).append(i)
        groups = {k2: v for k2, v in groups.items() if len(v) >= 2}
    first_of = {v[0]: k2 for k2, v in groups.items()}
    skip = {i for v in groups.values() for i in v[1:]}

    # Transform texts formatted in bulk, 15 significant digits (1e-15
    # relative: 1e-10 m at 75 km): repr's shortest round trip costs 4x more.
    t_text = _bulk(',"translation":[%.15g,%.15g,%.15g]', node_t, np.any(node_t != 0.0, axis=1))
    q_text = _bulk(',"rotation":[%.15g,%.15g,%.15g,%.15g]', quats, np.any(quats != (0.0, 0.0, 0.0, 1.0), axis=1))
    s_text = _bulk(',"scale":[%.15g,%.15g,%.15g]', scales, np.any(scales != 1.0, axis=1))
    mesh_text = [',"mesh":%d' % k if k >= 0 else "" for k in node_mesh]
    nodes: List[str] = []
    for i, e in enumerate(elements):
        if groups:
            if i in skip:
                continue
            if i in first_of:
                nodes.append(_instanced_node(b, elements, groups[first_of[i]], node_mesh[i], node_t, quats, scales, rgbas))
                continue
        extras = []
        if e.type is not None:
            extras.append('"type":' + cached(e.type))
        if e.name is not None:
            extras.append('"name":' + esc(str(e.name)))
        if e.parent is not None:
            extras.append('"parent":' + esc(str(e.parent)))
        rgba = rgbas[i]
        if rgba is not None:
            rt = rgba_text.get(rgba)
            if rt is None:
                rt = rgba_text[rgba] = '"rgba":' + json.dumps([float(c) for c in rgba], allow_nan=False)
            extras.append(rt)
        if e.template is not None:
            extras.append('"template":' + cached(e.template))
        extra_text = ',"extras":{' + ",".join(extras) + "}" if extras else ""
        nodes.append(f'{{"name":{esc(str(e.id))}{mesh_text[i]}{t_text[i]}{q_text[i]}{s_text[i]}{extra_text}}}')

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
        out.append(',"meshes":[' + ",".join(meshes) + "]")
    if materials:
        out.append(',"materials":' + json.dumps(materials, separators=(",", ":"), allow_nan=False))
    if b.accessors:
        out.append(',"accessors":[' + ",".join(b.accessors) + "]")
        out.append(',"bufferViews":[' + ",".join(b.views) + "]")
        out.append(',"buffers":[{"byteLength":%d}]' % b.length)
    out.append("}")
    return _pack("".join(out).encode("utf-8"), b.parts, b.length)


def _bulk(template: str, values: F8, mask: Any = None, int_columns: int = 0) -> List[str]:
    """``template % row`` for every row (or the rows where ``mask`` holds, "" elsewhere).

    One formatting call over the whole table; the first ``int_columns``
    columns are passed as Python ints (``%d`` of an int is cheaper than of a
    float).
    """
    rows = np.arange(len(values)) if mask is None else np.flatnonzero(mask)
    if len(rows) == 0:
        return [""] * len(values)
    table = values[rows]
    if int_columns:
        obj = table.astype(object)
        obj[:, :int_columns] = table[:, :int_columns].astype(np.int64)
        flat = obj.ravel().tolist()
    else:
        flat = table.ravel().tolist()
    texts = ((template + "\x00") * len(rows) % tuple(flat)).split("\x00")
    if mask is None:
        texts.pop()
        return texts
    out = [""] * len(values)
    for i, text in zip(rows.tolist(), texts):
        out[i] = text
    return out


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
