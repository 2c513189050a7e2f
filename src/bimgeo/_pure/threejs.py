"""three.js JSON model format 3 (design.md §4): the pure-Python twin.

The compiled ``bimgeo._core.threejs`` has the same functions, returns the
same types and raises the same errors with the same messages; it imports
its constants, result type and message texts from here, so the two cannot
drift apart.

Frames: threejs vertices are world coordinates, Y up, millimetres. The
internal world frame is Z up, millimetres (design.md §8); threejs
(x, y, z) is Z-up (x, -z, y).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from .._errors import DecodeError
from .._model import NO_LINES, Mesh
from .._scene import NULL_GUID, VIRTUAL_MARK, Element

__all__ = [
    "ArrayTable",
    "FaceData",
    "MAX_UV_LAYERS",
    "argb_to_rgba",
    "decode_faces",
    "decode_geometry",
    "matrix_to_zup",
    "parse_response",
    "plain_elements",
    "vertices_to_zup",
]

# Face flag bits (three.js JSONLoader, format 3).
QUAD = 1
MATERIAL = 2
FACE_UV = 4
VERTEX_UV = 8
FACE_NORMAL = 16
VERTEX_NORMAL = 32
FACE_COLOR = 64
VERTEX_COLOR = 128
KNOWN_FLAGS = 0xFF

#: Most UV layers a faces stream may declare (each repeats per-face items).
MAX_UV_LAYERS = 1024
#: Largest index any table may be addressed with (indices are stored as int32).
INDEX_MAX = 2**31 - 1

# Error codes shared with the compiled core; texts from face_error_message().
E_OK = 0
E_FLAGS = 1
E_TRUNCATED = 2
E_INDEX = 3

# What an out-of-range index addressed.
T_VERTEX = 1
T_MATERIAL = 2
T_UV = 3
T_NORMAL = 4
T_COLOR = 5
_TABLE_NAMES = {T_VERTEX: "vertex", T_MATERIAL: "material", T_UV: "uv", T_NORMAL: "normal", T_COLOR: "colour"}

# Y-up -> Z-up axis map: threejs (x, y, z) -> (x, -z, y).
_C = np.array([[1.0, 0, 0, 0], [0, 0, -1.0, 0], [0, 1.0, 0, 0], [0, 0, 0, 1.0]])


class FaceData(NamedTuple):
    """A decoded threejs ``faces`` stream.

    triangles: (m, 3) uint32 vertex indices; a quad (a, b, c, d) becomes
        (a, b, d) and (b, c, d), as three.js's JSONLoader splits it. Winding
        as on the wire (counter-clockwise from outside in three.js).
    face_source: (m,) int32, the number (0-based, stream order) of the face
        each triangle comes from.
    material: (m,) int32 material index of each triangle, -1 when its face
        has none.
    n_faces: faces in the stream.
    The per-face attributes below are None when no face has the flag;
    otherwise faces without it hold -1. Corner j of face f is vertex j of
    the wire's (a, b, c[, d]); the 4th corner of a triangle is -1.
    face_uvs: (n_faces, n_uv_layers) int32.
    vertex_uvs: (n_faces, 4, n_uv_layers) int32.
    face_normals: (n_faces,) int32 (index of a normal triple).
    vertex_normals: (n_faces, 4) int32.
    face_colors: (n_faces,) int32.
    vertex_colors: (n_faces, 4) int32.
    """

    triangles: npt.NDArray[np.uint32]
    face_source: npt.NDArray[np.int32]
    material: npt.NDArray[np.int32]
    n_faces: int
    face_uvs: Optional[npt.NDArray[np.int32]]
    vertex_uvs: Optional[npt.NDArray[np.int32]]
    face_normals: Optional[npt.NDArray[np.int32]]
    vertex_normals: Optional[npt.NDArray[np.int32]]
    face_colors: Optional[npt.NDArray[np.int32]]
    vertex_colors: Optional[npt.NDArray[np.int32]]


def face_error_message(code: int, start: int, value: int, table: int, limit: int) -> str:
    """The text of a faces-stream error (shared by both implementations)."""
    if code == E_FLAGS:
        if value < 0:
            return f"threejs faces: negative flag word {value} at item {start}"
        return f"threejs faces: flag word {value} at item {start} has unknown bits {value & ~KNOWN_FLAGS:#x}"
    if code == E_TRUNCATED:
        return f"threejs faces: stream ends inside the face at item {start} (needs {value} items, {limit} left)"
    if code == E_INDEX:
        return (
            f"threejs faces: {_TABLE_NAMES.get(table, '?')} index {value} of the face at item {start} "
            f"is outside its table of {limit} entries"
        )
    return f"threejs faces: error {code} at item {start}"


def face_error(code: int, offset: int, start: int, value: int, table: int, limit: int, element_id: Optional[str]) -> DecodeError:
    """DecodeError for a faces-stream error; offset = index into the faces array."""
    return DecodeError(face_error_message(code, start, value, table, limit), offset=offset, element_id=element_id, unit="item")


def _table_limit(n: Optional[int], what: str, element_id: Optional[str]) -> int:
    if n is None:
        return INDEX_MAX + 1
    n = int(n)
    if n < 0:
        raise DecodeError(f"threejs faces: negative {what} table size {n}", element_id=element_id)
    return min(n, INDEX_MAX + 1)


def check_arguments(
    n_vertices: int,
    n_uv_layers: int,
    n_normals: Optional[int],
    n_colors: Optional[int],
    n_materials: Optional[int],
    n_uvs: Union[None, int, Sequence[int]],
    element_id: Optional[str],
) -> Tuple[int, int, int, int, int, List[int]]:
    """Validated table limits: (n_vertices, layers, normals, colors, materials, uvs per layer)."""
    nv = _table_limit(n_vertices, "vertex", element_id)
    layers = int(n_uv_layers)
    if layers < 0 or layers > MAX_UV_LAYERS:
        raise DecodeError(f"threejs faces: {layers} UV layers (at most {MAX_UV_LAYERS})", element_id=element_id)
    if n_uvs is None or isinstance(n_uvs, (int, np.integer)):
        uvs = [_table_limit(n_uvs, "uv", element_id)] * layers
    else:
        uvs = [_table_limit(u, "uv", element_id) for u in n_uvs]
        if len(uvs) != layers:
            raise DecodeError(
                f"threejs faces: {len(uvs)} UV table sizes for {layers} UV layers", element_id=element_id
            )
    return (
        nv,
        layers,
        _table_limit(n_normals, "normal", element_id),
        _table_limit(n_colors, "colour", element_id),
        _table_limit(n_materials, "material", element_id),
        uvs,
    )


def as_items(faces: Any, element_id: Optional[str] = None) -> npt.NDArray[np.int64]:
    """The faces stream as a contiguous (k,) int64 array, or DecodeError.

    Accepts a list or any array of integers; floats are accepted only when
    integral (a JSON writer may print 3.0).
    """
    if isinstance(faces, np.ndarray) and faces.dtype == np.int64 and faces.ndim == 1:
        return np.ascontiguousarray(faces)
    try:
        arr = np.asarray(faces)
    except (OverflowError, ValueError, TypeError) as exc:
        raise DecodeError(f"threejs faces: not an array of integers ({exc})", element_id=element_id) from None
    if arr.ndim != 1:
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        raise DecodeError(f"threejs faces: expected a flat array, got shape {arr.shape}", element_id=element_id)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and len(arr) and int(arr.max()) > 2**63 - 1:
            bad = int(np.argmax(arr > 2**63 - 1))
            raise DecodeError(f"threejs faces: item {int(arr[bad])} too large", offset=bad, element_id=element_id, unit="item")
        return np.ascontiguousarray(arr, dtype=np.int64)
    if arr.dtype.kind == "b":
        return np.ascontiguousarray(arr, dtype=np.int64)
    if arr.dtype.kind == "f":
        ok = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0**63)
        if not ok.all():
            bad = int(np.argmin(ok))
            raise DecodeError(f"threejs faces: item {arr[bad]!r} is not an integer", offset=bad, element_id=element_id, unit="item")
        return arr.astype(np.int64)
    if arr.dtype.kind == "O":
        out = np.empty(len(arr), dtype=np.int64)
        for i, v in enumerate(arr.tolist()):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise DecodeError(f"threejs faces: item {v!r} is not an integer", offset=i, element_id=element_id, unit="item")
            if isinstance(v, float) and not (v == v and abs(v) < 2.0**63 and v == int(v)):
                raise DecodeError(f"threejs faces: item {v!r} is not an integer", offset=i, element_id=element_id, unit="item")
            if not -(2**63) <= int(v) < 2**63:
                raise DecodeError(f"threejs faces: item {v!r} too large", offset=i, element_id=element_id, unit="item")
            out[i] = int(v)
        return out
    raise DecodeError(f"threejs faces: not an array of integers (dtype {arr.dtype})", element_id=element_id)


def items_needed(flag: int, layers: int) -> int:
    """Items a face with this flag word takes, the flag word included."""
    nv = 4 if flag & QUAD else 3
    need = 1 + nv
    if flag & MATERIAL:
        need += 1
    if flag & FACE_UV:
        need += layers
    if flag & VERTEX_UV:
        need += layers * nv
    if flag & FACE_NORMAL:
        need += 1
    if flag & VERTEX_NORMAL:
        need += nv
    if flag & FACE_COLOR:
        need += 1
    if flag & VERTEX_COLOR:
        need += nv
    return need


def decode_faces(
    faces: Any,
    n_vertices: int,
    *,
    n_uv_layers: int = 1,
    n_normals: Optional[int] = None,
    n_colors: Optional[int] = None,
    n_materials: Optional[int] = None,
    n_uvs: Union[None, int, Sequence[int]] = None,
    element_id: Optional[str] = None,
) -> FaceData:
    """Decode a threejs format-3 ``faces`` stream in one pass (design.md §4).

    faces: the flat stream (list or integer array): per face a flag word,
        then per set bit its items (bit 0 quad; 1 material; 2 face UV per
        layer; 3 vertex UVs per layer; 4 face normal; 5 vertex normals;
        6 face colour; 7 vertex colours).
    n_vertices: vertex count (len(vertices) // 3); every vertex index is
        checked against it. n_normals (normal triples), n_colors,
        n_materials, n_uvs (UV pairs, one size or one per layer): the other
        tables; None = only checked to be a non-negative int32.
    n_uv_layers: how many times UV items repeat (three.js: non-empty layers
        of ``uvs``).

    Returns a FaceData (indices only: frames do not apply). Raises
    DecodeError naming the item offset (index into ``faces``) and
    ``element_id`` for a flag word with unknown bits or negative, a stream
    ending inside a face, or an index outside its table.
    """
    items = as_items(faces, element_id)
    nvert, layers, nnorm, ncol, nmat, nuvs = check_arguments(
        n_vertices, n_uv_layers, n_normals, n_colors, n_materials, n_uvs, element_id
    )
    data = items.tolist()
    n = len(data)
    tris: List[int] = []
    src: List[int] = []
    mats: List[int] = []
    face_uv: Optional[List[int]] = None
    vertex_uv: Optional[List[int]] = None
    face_normal: Optional[List[int]] = None
    vertex_normal: Optional[List[int]] = None
    face_color: Optional[List[int]] = None
    vertex_color: Optional[List[int]] = None
    f = 0
    pos = 0

    def check(v: int, limit: int, table: int, at: int, start: int) -> int:
        if v < 0 or v >= limit:
            raise face_error(E_INDEX, at, start, v, table, limit, element_id)
        return v

    while pos < n:
        start = pos
        flag = data[pos]
        if flag < 0 or flag & ~KNOWN_FLAGS:
            raise face_error(E_FLAGS, start, start, flag, 0, 0, element_id)
        nv = 4 if flag & QUAD else 3
        need = items_needed(flag, layers)
        if need > n - pos:
            raise face_error(E_TRUNCATED, start, start, need, 0, n - pos, element_id)
        pos += 1
        v = [check(data[pos + j], nvert, T_VERTEX, pos + j, start) for j in range(nv)]
        pos += nv
        m = -1
        if flag & MATERIAL:
            m = check(data[pos], nmat, T_MATERIAL, pos, start)
            pos += 1
        if flag & FACE_UV:
            if face_uv is None:
                face_uv = [-1] * (f * layers)
            for i in range(layers):
                face_uv.append(check(data[pos], nuvs[i], T_UV, pos, start))
                pos += 1
        elif face_uv is not None:
            face_uv.extend([-1] * layers)
        if flag & VERTEX_UV:
            if vertex_uv is None:
                vertex_uv = [-1] * (f * 4 * layers)
            corner = [-1] * (4 * layers)
            for i in range(layers):
                for j in range(nv):
                    corner[j * layers + i] = check(data[pos], nuvs[i], T_UV, pos, start)
                    pos += 1
            vertex_uv.extend(corner)
        elif vertex_uv is not None:
            vertex_uv.extend([-1] * (4 * layers))
        if flag & FACE_NORMAL:
            if face_normal is None:
                face_normal = [-1] * f
            face_normal.append(check(data[pos], nnorm, T_NORMAL, pos, start))
            pos += 1
        elif face_normal is not None:
            face_normal.append(-1)
        if flag & VERTEX_NORMAL:
            if vertex_normal is None:
                vertex_normal = [-1] * (4 * f)
            corner = [-1] * 4
            for j in range(nv):
                corner[j] = check(data[pos], nnorm, T_NORMAL, pos, start)
                pos += 1
            vertex_normal.extend(corner)
        elif vertex_normal is not None:
            vertex_normal.extend([-1] * 4)
        if flag & FACE_COLOR:
            if face_color is None:
                face_color = [-1] * f
            face_color.append(check(data[pos], ncol, T_COLOR, pos, start))
            pos += 1
        elif face_color is not None:
            face_color.append(-1)
        if flag & VERTEX_COLOR:
            if vertex_color is None:
                vertex_color = [-1] * (4 * f)
            corner = [-1] * 4
            for j in range(nv):
                corner[j] = check(data[pos], ncol, T_COLOR, pos, start)
                pos += 1
            vertex_color.extend(corner)
        elif vertex_color is not None:
            vertex_color.extend([-1] * 4)
        if nv == 4:
            tris.extend((v[0], v[1], v[3], v[1], v[2], v[3]))
            src.extend((f, f))
            mats.extend((m, m))
        else:
            tris.extend(v)
            src.append(f)
            mats.append(m)
        f += 1

    def arr(values: Optional[List[int]], shape: Tuple[int, ...]) -> Optional[npt.NDArray[np.int32]]:
        if values is None:
            return None
        return np.array(values, dtype=np.int32).reshape(shape)

    return FaceData(
        np.array(tris, dtype=np.uint32).reshape(-1, 3),
        np.array(src, dtype=np.int32),
        np.array(mats, dtype=np.int32),
        f,
        arr(face_uv, (f, layers)),
        arr(vertex_uv, (f, 4, layers)),
        arr(face_normal, (f,)),
        arr(vertex_normal, (f, 4)),
        arr(face_color, (f,)),
        arr(vertex_color, (f, 4)),
    )


def vertices_to_zup(vertices: Any, element_id: Optional[str] = None) -> npt.NDArray[np.float64]:
    """threejs ``vertices`` (flat x, y, z, ..., world Y up, mm) -> (n, 3) float64 world Z up, mm.

    (x, y, z) -> (x, -z, y) (design.md §4). A length that is not a multiple
    of 3, or a non-numeric item, raises DecodeError.
    """
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DecodeError(f"threejs vertices: not an array of numbers ({exc})", element_id=element_id) from None
    if v.ndim != 1:
        if v.size == 0:
            return np.zeros((0, 3), dtype=np.float64)
        raise DecodeError(f"threejs vertices: expected a flat array, got shape {v.shape}", element_id=element_id)
    if len(v) % 3:
        raise DecodeError(
            f"threejs vertices: {len(v)} numbers is not a multiple of 3", offset=len(v), element_id=element_id
        )
    v = v.reshape(-1, 3)
    out = np.empty_like(v)
    out[:, 0] = v[:, 0]
    out[:, 1] = -v[:, 2]
    out[:, 2] = v[:, 1]
    return out


def matrix_to_zup(matrix: Any, element_id: Optional[str] = None) -> npt.NDArray[np.float64]:
    """A template instance ``matrix`` (16 numbers, row-major, Y-up frame) -> (4, 4) float64 in Z up.

    C · M · C⁻¹ with C the Y-up -> Z-up axis map, so that for a template mesh
    already converted to Z up, world = result · [x y z 1]ᵀ (mm).
    """
    try:
        m = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DecodeError(f"template matrix: not 16 numbers ({exc})", element_id=element_id) from None
    if m.size != 16:
        raise DecodeError(f"template matrix: {m.size} numbers, expected 16", element_id=element_id)
    if not np.isfinite(m).all():
        raise DecodeError("template matrix: not finite", element_id=element_id)
    out: npt.NDArray[np.float64] = _C @ m.reshape(4, 4) @ _C.T
    return out


def argb_to_rgba(argb: Any) -> Optional[Tuple[float, float, float, float]]:
    """An ARGB colour (int32 signed or unsigned: -4272966 == 0xFFBECCBA) -> (R, G, B, A) floats 0..255.

    Alpha is ``argb >>> 24`` (design.md §4). None for anything that is not
    an integer in [-2**31, 2**32).
    """
    if isinstance(argb, bool):
        return None
    if isinstance(argb, float):
        if not argb.is_integer():
            return None
        argb = int(argb)
    if not isinstance(argb, (int, np.integer)):
        return None
    argb = int(argb)
    if not -(2**31) <= argb < 2**32:
        return None
    u = argb & 0xFFFFFFFF
    return (float((u >> 16) & 0xFF), float((u >> 8) & 0xFF), float(u & 0xFF), float(u >> 24))


def parse_response(data: Union[bytes, bytearray, memoryview, str]) -> Tuple[Any, "ArrayTable"]:
    """Parse a response's JSON text (UTF-8 bytes or str): returns (document, ArrayTable).

    The compiled twin parses the big numeric arrays (``vertices``,
    ``normals``, ``faces``) itself and leaves placeholders that its
    ArrayTable resolves; this one parses everything with orjson (or json)
    and its ArrayTable resolves nothing. Malformed JSON raises DecodeError.
    """
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        orjson = None  # type: ignore[assignment]
    try:
        if orjson is not None:
            return orjson.loads(data), ArrayTable()
        if not isinstance(data, str):
            data = bytes(data).decode("utf-8")
        return json.loads(data), ArrayTable()
    except (ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None


class ArrayTable:
    """What ``parse_response`` pulled out of the document (the pure twin pulls nothing).

    ``resolve(value)`` returns the array a placeholder stands for, else
    ``value``; ``vertices(value)`` gives (n, 3) float64 world Z-up vertices
    (mm) from a threejs ``vertices`` value; ``faces(value)`` the faces
    stream. ``extracted``/``used`` count placeholders made and resolved.
    """

    __slots__ = ("extracted", "used")

    def __init__(self) -> None:
        self.extracted = 0
        self.used = 0

    def resolve(self, value: Any) -> Any:
        """``value`` itself: this twin leaves no placeholders."""
        return value

    def vertices(self, value: Any, element_id: Optional[str] = None) -> npt.NDArray[np.float64]:
        """threejs ``vertices`` -> (n, 3) float64, world Z up, mm."""
        return vertices_to_zup(value, element_id)

    def faces(self, value: Any) -> Any:
        """The threejs ``faces`` stream, unchanged."""
        return value


def geometry_tables(geometry: Dict[str, Any], normals: Any) -> Dict[str, Any]:
    """decode_faces keyword arguments from a geometry's optional tables (uvs, normals, colors, materials)."""
    kwargs: Dict[str, Any] = {}
    uvs = geometry.get("uvs")
    if isinstance(uvs, list):
        # three.js counts the non-empty UV layers.
        layers = [layer for layer in uvs if isinstance(layer, list) and len(layer)]
        kwargs["n_uv_layers"] = len(layers)
        kwargs["n_uvs"] = [len(layer) // 2 for layer in layers]
    if normals is not None:
        try:
            kwargs["n_normals"] = len(normals) // 3
        except TypeError:
            raise DecodeError("threejs normals: not an array") from None
    colors = geometry.get("colors")
    if isinstance(colors, list):
        kwargs["n_colors"] = len(colors)
    materials = geometry.get("materials")
    if isinstance(materials, list):
        kwargs["n_materials"] = len(materials)
    return kwargs


def decode_geometry(
    geometry: Any, table: Optional["ArrayTable"] = None, element_id: Optional[str] = None
) -> Tuple[npt.NDArray[np.float64], FaceData, Any]:
    """One threejs geometry object -> (vertices, FaceData, colorid).

    vertices: (n, 3) float64, world Z up, mm (from three.js Y up);
    FaceData: the decoded ``faces`` stream, indices checked against
    ``vertices`` and the optional ``normals``/``colors``/``uvs``/``materials``
    tables; colorid: ``metadata.colorid`` (an index into the response's
    ``colors``) or None. ``table`` resolves placeholders left by
    ``parse_response``. Raises DecodeError naming ``element_id``.
    """
    if not isinstance(geometry, dict):
        raise DecodeError("threejs geometry is not an object", element_id=element_id)
    if table is None:
        table = ArrayTable()
    vertices = table.vertices(geometry.get("vertices", []), element_id)
    faces = table.faces(geometry.get("faces", []))
    try:
        kwargs = geometry_tables(geometry, table.resolve(geometry.get("normals")))
    except DecodeError as exc:
        raise exc.with_element(element_id) from None
    fd = decode_faces(faces, len(vertices), element_id=element_id, **kwargs)
    metadata = geometry.get("metadata")
    colorid = metadata.get("colorid") if isinstance(metadata, dict) else None
    return vertices, fd, colorid


# ---------------------------------------------------------------------------
# Plain elements (the loader's common case; compiled in bimgeo._core.threejs)
# ---------------------------------------------------------------------------


def plain_elements(
    objects: List[Any],
    start: int,
    stop: int,
    parent: Optional[str],
    table: Any,
    colors: Any,
    out: List[Any],
    owned: bool,
) -> int:
    """Elements of the plain objects in ``objects[start:stop]``, appended to ``out``.

    Returns the index of the first object in that range that is not plain
    or does not decode (``stop`` when all are), so the caller takes that
    one by its general path. Plain: a dict with a str ``id`` (not a
    virtual element's), no children, a dict ``attributes`` whose
    ``geometry`` is absent, not an object, or exactly ``{"threejs": {...}}``
    (decoded by decode_geometry). The Element is the one bimgeo.load makes: mesh
    world Z up, mm (from three.js Y up), matrix None, ``parent`` the
    object's own when it is a str other than the null GUID, else ``parent``
    given here. ``table``: the chunk's ArrayTable; ``colors``: the loader's
    colour table (``rgba(colorid)``); ``owned``: the objects are the
    loader's own parse, so an Element may keep an object's ``attributes``
    dict (its geometry removed) instead of a copy.
    """
    stop = min(stop, len(objects))
    i = start
    while i < stop:
        used = table.used
        try:
            element = _plain_element(objects[i], parent, table, colors, owned)
        except Exception:  # noqa: BLE001 - the general path reports it
            element = None
        if element is None:
            table.used = used  # placeholders resolved on the way are resolved again there
            break
        out.append(element)
        if owned:
            objects[i] = None  # its data now lives in the Element: free the rest of the parse early
        i += 1
    return max(i, start)


def _plain_element(obj: Any, tree_parent: Optional[str], table: Any, colors: Any, owned: bool) -> Any:
    """The Element of one plain object (see plain_elements), or None."""
    if type(obj) is not dict:
        return None
    children = obj.get("children")
    if isinstance(children, list) and children:
        return None
    eid = obj.get("id")
    if type(eid) is not str or VIRTUAL_MARK in eid:
        return None
    attributes = obj.get("attributes")
    if type(attributes) is not dict:
        return None
    etype = obj.get("type")
    general = attributes.get("general")
    if isinstance(general, dict) and type(general) is not dict:
        return None
    name = general.get("name") if isinstance(general, dict) else None
    parent = obj.get("parent")
    if not isinstance(parent, str) or parent == NULL_GUID:
        parent = tree_parent
    geometry = attributes.get("geometry")
    mesh = rgba = None
    if isinstance(geometry, dict):
        g = table.resolve(geometry.get("threejs"))  # a geometry placeholder of the compiled parse_response
        if type(geometry) is not dict or len(geometry) != 1 or type(g) is not dict:
            return None
        vertices, fd, colorid = decode_geometry(g, table, eid)
        rgba = None if colorid is None else colors.rgba(colorid)
        if rgba is not None and type(rgba) is not tuple:
            return None
        mesh = Mesh._from_arrays(vertices, fd.triangles, fd.face_source, NO_LINES, rgba, eid, None)
    kept = attributes if owned else dict(attributes)
    if mesh is not None:
        del kept["geometry"]
    return Element._from_values(
        eid,
        etype if isinstance(etype, str) else None,
        name if isinstance(name, str) else None,
        parent,
        None,
        mesh,
        rgba,
        None,
        kept,
    )
