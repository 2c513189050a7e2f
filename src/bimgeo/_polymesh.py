"""The polymesh of a created object: ``attributes.geometry.mesh`` (design.md §6).

A JSON string ``{"Color": argb, "Vertices": [x, y, z, ...], "Faces": [n, i0 .. in-1, n, ...]}``:
count-prefixed polygons with 0-based vertex indices, element-local, mm,
Z up, each wound clockwise seen from outside like meshblob loops. ``Color``
is unsigned ARGB. One polygon has no holes.
"""
from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _backend
from ._errors import DecodeError
from ._limits import Limits, get_default_limits
from ._model import RGBA, Mesh, Polyhedron

__all__ = ["argb_to_rgba", "decode_polymesh", "encode_polymesh", "rgba_to_argb"]


def argb_to_rgba(argb: int) -> RGBA:
    """ARGB integer (signed or unsigned 32-bit) -> (R, G, B, A) floats in 0..255."""
    v = int(argb) & 0xFFFFFFFF
    return (float((v >> 16) & 0xFF), float((v >> 8) & 0xFF), float(v & 0xFF), float(v >> 24))


def rgba_to_argb(rgba: RGBA) -> int:
    """(R, G, B, A) in 0..255 -> unsigned 32-bit ARGB integer (components rounded, clamped)."""
    r, g, b, a = (min(255, max(0, int(round(float(c))))) for c in rgba)
    return (a << 24) | (r << 16) | (g << 8) | b


def _number_array(value: Any, what: str, element_id: Optional[str]) -> np.ndarray:
    if not isinstance(value, list):
        raise DecodeError(f"polymesh {what} is not a list", element_id=element_id)
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise DecodeError(f"polymesh {what} holds a non-number", element_id=element_id) from None
    if arr.ndim != 1:
        raise DecodeError(f"polymesh {what} is not a flat list of numbers", element_id=element_id)
    return arr


def decode_polymesh(
    value: Union[str, bytes, Mapping[str, Any]],
    *,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Mesh:
    """Decode a polymesh (JSON text or parsed dict) into triangles.

    Vertices: element-local, mm, Z up (apply ``attributes.element.matrix`` for
    world). Triangles are counter-clockwise from outside; ``face_source`` maps
    each to its polygon; ``rgba`` from ``Color`` (None when absent).
    Raises DecodeError on malformed JSON, counts running past the list, or
    indices out of range (``offset`` is the item index in ``Faces``).
    """
    limits = limits or get_default_limits()
    if isinstance(value, (str, bytes, bytearray)):
        if len(value) > limits.max_json_bytes:
            from ._errors import LimitError

            raise LimitError("polymesh JSON exceeds limits.max_json_bytes", element_id=element_id)
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"polymesh is not valid JSON: {exc}", element_id=element_id) from None
    if not isinstance(value, Mapping):
        raise DecodeError("polymesh is not a JSON object", element_id=element_id)
    verts = _number_array(value.get("Vertices", []), "Vertices", element_id)
    if len(verts) % 3:
        raise DecodeError(f"polymesh Vertices has {len(verts)} numbers, not a multiple of 3", element_id=element_id)
    if not np.isfinite(verts).all():
        raise DecodeError("polymesh Vertices holds a non-finite number", element_id=element_id)
    verts = verts.reshape(-1, 3)
    raw_faces = value.get("Faces", [])
    if not isinstance(raw_faces, list):
        raise DecodeError("polymesh Faces is not a list", element_id=element_id)
    n_items = len(raw_faces)
    indices: List[int] = []
    offsets = [0]
    i = 0
    nv = len(verts)
    while i < n_items:
        n = raw_faces[i]
        if not isinstance(n, int) or isinstance(n, bool) or n < 3:
            raise DecodeError(f"polymesh polygon size {n!r} is not an integer >= 3", offset=i, element_id=element_id, unit="item")
        if n > n_items - i - 1:
            raise DecodeError(f"polymesh polygon of {n} vertices runs past the end of Faces", offset=i, element_id=element_id, unit="item")
        if n > limits.max_face_size:
            from ._errors import LimitError

            raise LimitError(f"polymesh polygon of {n} vertices exceeds limits.max_face_size", offset=i, element_id=element_id, unit="item")
        loop = raw_faces[i + 1 : i + 1 + n]
        for k, v in enumerate(loop):
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < nv:
                raise DecodeError(f"polymesh vertex index {v!r} out of range 0..{nv - 1}", offset=i + 1 + k, element_id=element_id, unit="item")
        indices.extend(loop)
        offsets.append(len(indices))
        i += n + 1
    faces, face_source = _backend.get("triangulate").triangulate_polygons(
        verts,
        np.asarray(indices, dtype=np.int32),
        np.asarray(offsets, dtype=np.int64),
        clockwise_outer=True,
        element_id=element_id,
        limits=limits,
    )
    color = value.get("Color")
    rgba = None
    if color is not None:
        if not isinstance(color, int) or isinstance(color, bool):
            raise DecodeError(f"polymesh Color {color!r} is not an integer", element_id=element_id)
        rgba = argb_to_rgba(color)
    return Mesh(verts, faces, face_source, rgba=rgba, id=element_id)


def _group_polygons(faces: np.ndarray, face_source: np.ndarray) -> List[List[int]]:
    """Polygons (counter-clockwise vertex loops) from triangles grouped by source face.

    A group whose boundary is one simple loop becomes that polygon; otherwise
    (holes, several islands, shared vertices) its triangles are kept as they
    are, since a polymesh polygon cannot hold a hole (design.md §6).
    """
    out: List[List[int]] = []
    if len(faces) == 0:
        return out
    order = np.argsort(face_source, kind="stable")
    fs = face_source[order]
    starts = np.flatnonzero(np.r_[True, fs[1:] != fs[:-1]])
    ends = np.r_[starts[1:], len(fs)]
    for s, e in zip(starts, ends):
        tris = faces[order[s:e]]
        loop = _single_boundary_loop(tris) if len(tris) > 1 else [int(v) for v in tris[0]]
        if loop is None:
            out.extend([int(v) for v in t] for t in tris)
        else:
            out.append(loop)
    return out


def _single_boundary_loop(tris: np.ndarray) -> Optional[List[int]]:
    directed: Dict[Tuple[int, int], int] = {}
    for t in tris:
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            directed[(int(a), int(b))] = directed.get((int(a), int(b)), 0) + 1
    boundary = [(a, b) for (a, b), c in directed.items() if c == 1 and (b, a) not in directed]
    nxt: Dict[int, int] = {}
    for a, b in boundary:
        if a in nxt:
            return None
        nxt[a] = b
    if not nxt:
        return None
    start = boundary[0][0]
    loop = [start]
    v = nxt[start]
    while v != start:
        if len(loop) > len(nxt):
            return None
        loop.append(v)
        if v not in nxt:
            return None
        v = nxt[v]
    return loop if len(loop) == len(nxt) else None


def encode_polymesh(mesh: Union[Mesh, Polyhedron], *, rgba: Optional[RGBA] = None) -> str:
    """Encode a Mesh (or Polyhedron, triangulated first) as a polymesh JSON string.

    Vertices are written as they are (element-local, mm, Z up). Triangles that
    came from one polygon (same ``face_source``) are merged back into that
    polygon when its boundary is a single loop; polygons are written clockwise
    seen from outside, as the server expects. ``Color`` is unsigned ARGB from
    ``rgba`` (or the mesh's), omitted when neither has one.
    """
    if isinstance(mesh, Polyhedron):
        from ._meshing import triangulate

        mesh = triangulate(mesh)
    polygons = _group_polygons(mesh.faces, mesh.face_source)
    flat: List[int] = []
    for loop in polygons:
        flat.append(len(loop))
        flat.extend(reversed(loop))  # CCW from outside -> clockwise, design.md §6
    verts = [float(x) for x in mesh.vertices.reshape(-1)]
    for x in verts:
        if not math.isfinite(x):
            raise ValueError("cannot encode a non-finite vertex coordinate")
    doc: Dict[str, Any] = {}
    colour: Optional[RGBA] = rgba if rgba is not None else mesh.rgba
    if colour is not None:
        doc["Color"] = rgba_to_argb(colour)
    doc["Vertices"] = verts
    doc["Faces"] = flat
    return json.dumps(doc, separators=(",", ":"))
