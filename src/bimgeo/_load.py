"""``bimgeo.load``: Bimplus geometry responses -> Scene (design.md §2-§5, §8).

One entry point for every response shape the API returns:

- meshblob responses (``attributes.geometry.picture`` + base64 ``matrix``):
  Element.mesh local (mm, Z up), Element.matrix local -> world;
- threejs responses, flat or tree (properties bit 1: ``children``), with
  viewer attributes (bit 2) and face normals (bit 4): Element.mesh is world
  Z up, mm (converted from three.js Y up), matrix None;
- templates responses (``{templates: [{id, geometries}], colors, revision}``)
  and geometry-with-templates responses (instances with ``geometry:
  {template, colorid?, render?, matrix}``; bit 8), mixed (bit 16): instances
  share the template's Mesh object, Element.matrix is the instance matrix
  brought to Z up;
- object responses with a polymesh (``attributes.geometry.mesh``) and
  ``attributes.element.matrix``.

Chunks (a list of sources) are parsed and converted one at a time; the
parsed JSON of a chunk is dropped before the next one is read.
"""
from __future__ import annotations

import collections.abc
import os
import zlib
from typing import Any, Dict, Iterable, List, Optional, Tuple, cast

import numpy as np
import numpy.typing as npt

from . import _backend
from ._errors import BimgeoError, DecodeError, LimitError, UnsupportedError
from ._gcpause import gc_paused
from ._limits import Limits, get_default_limits
from ._model import NO_LINES, RGBA, Mesh
from ._scene import NULL_GUID, VIRTUAL_MARK, Element, ElementError, Scene

__all__ = ["load"]

#: Response-level keys that are not kept in Scene.info.
_PAYLOAD_KEYS = ("objects", "templates")
#: Geometry keys that are payload (decoded into the mesh/matrix, not kept in attributes).
_GEOMETRY_PAYLOAD = ("threejs", "picture", "matrix", "mesh")


def _threejs() -> Any:
    return _backend.get("threejs")


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def _gunzip(data: bytes, limits: Limits) -> bytes:
    """Inflate a gzip file, bounded by limits.max_json_bytes."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limits.max_json_bytes + 1)
    except zlib.error as exc:
        raise DecodeError(f"invalid gzip data: {exc}") from None
    if len(out) > limits.max_json_bytes or d.unconsumed_tail:
        raise LimitError(f"gzip data inflates past max_json_bytes={limits.max_json_bytes}")
    return out


def _read_bytes(data: Any, limits: Limits) -> Any:
    """Bytes or str of one JSON document (gzip undone, size checked)."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if isinstance(data, bytes) and data[:2] == b"\x1f\x8b":
        data = _gunzip(data, limits)
    if len(data) > limits.max_json_bytes:
        raise LimitError(f"JSON document of {len(data)} bytes exceeds max_json_bytes={limits.max_json_bytes}")
    return data


def _read_path(path: Any, limits: Limits) -> bytes:
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    if size > limits.max_json_bytes:
        raise LimitError(f"{os.fspath(path)!s}: {size} bytes exceeds max_json_bytes={limits.max_json_bytes}")
    with open(path, "rb") as fh:
        return fh.read(limits.max_json_bytes + 1)


def _document(source: Any, limits: Limits) -> Tuple[Any, Any]:
    """(parsed document, ArrayTable) of one chunk source."""
    if isinstance(source, (dict, list)):
        from ._pure.threejs import ArrayTable

        return source, ArrayTable()
    if isinstance(source, str):
        head = source.lstrip()[:1]
        if head in ("{", "["):
            data: Any = source
        else:
            data = _read_path(source, limits)
    elif isinstance(source, os.PathLike):
        data = _read_path(source, limits)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = source
    elif hasattr(source, "read"):
        data = source.read(limits.max_json_bytes + 1)
    else:
        raise TypeError(f"cannot load a {type(source).__name__}: give a path, bytes, str, file, dict or a list of them")
    data = _read_bytes(data, limits)
    doc, table = _threejs().parse_response(data)
    return doc, table


def _is_chunk_list(source: Any) -> bool:
    """A Python list/tuple of sources (not a parsed JSON array of elements), or an iterator of them."""
    if isinstance(source, tuple):
        return True
    if isinstance(source, collections.abc.Iterator) and not hasattr(source, "read"):
        return True  # a generator of chunks (files, which iterate over lines, are sources themselves)
    if not isinstance(source, list) or not source:
        return False
    first = source[0]
    if isinstance(first, dict):
        # A list of response documents, not a bare list of elements.
        return "objects" in first or "templates" in first
    return isinstance(first, (str, bytes, bytearray, memoryview, os.PathLike, list, tuple)) or hasattr(first, "read")


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------


class _Colors:
    """A response's ARGB colour table with cached RGBA conversion."""

    __slots__ = ("table", "cache")

    def __init__(self, table: Any) -> None:
        self.table = table if isinstance(table, list) else []
        self.cache: Dict[Any, Any] = {}

    def rgba(self, colorid: Any) -> Optional[Tuple[float, float, float, float]]:
        """RGBA (0..255) of colour ``colorid``; None when missing or invalid."""
        if colorid is None or isinstance(colorid, bool):
            return None
        try:
            cached: Optional[RGBA] = self.cache[colorid]
            return cached
        except (KeyError, TypeError):
            pass
        out: Optional[RGBA] = None
        if isinstance(colorid, int) and 0 <= colorid < len(self.table):
            out = _threejs().argb_to_rgba(self.table[colorid])
        try:
            self.cache[colorid] = out
        except TypeError:
            pass
        return out


def _threejs_mesh(
    geometry: Any, table: Any, colors: _Colors, element_id: Optional[str]
) -> Tuple[Mesh, Optional[Tuple[float, float, float, float]]]:
    """One threejs geometry (or a list of them, merged) -> (Mesh world Z up mm, rgba)."""
    if isinstance(geometry, str):
        geometry = table.resolve(geometry)  # parse_response may have taken the whole object
    if isinstance(geometry, list):
        parts = [_threejs_mesh(g, table, colors, element_id) for g in geometry]
        if not parts:
            return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.uint32), id=element_id), None
        if len(parts) == 1:
            return parts[0]
        verts, faces, src = [], [], []
        base = 0
        fbase = 0
        for m, _ in parts:
            verts.append(m.vertices)
            faces.append(m.faces + np.uint32(base))
            src.append(m.face_source + np.int32(fbase))
            base += len(m.vertices)
            fbase += int(m.face_source.max()) + 1 if len(m.face_source) else 0
        rgba = parts[0][1]
        mesh = Mesh(np.concatenate(verts), np.concatenate(faces), np.concatenate(src), rgba=rgba, id=element_id)
        return mesh, rgba
    if not isinstance(geometry, dict):
        raise DecodeError("threejs geometry is not an object", element_id=element_id)
    vertices, fd, colorid = _threejs().decode_geometry(geometry, table, element_id)
    rgba = colors.rgba(colorid)
    return _new_mesh(vertices, fd.triangles, fd.face_source, rgba, element_id), rgba


def _new_mesh(vertices: Any, faces: Any, face_source: Any, rgba: Any, id: Optional[str]) -> Mesh:
    """Mesh(...) for arrays a decoder just made (right dtypes, shapes, contiguous).

    Skips the constructor's conversions, which cost more than the decoding
    of a small element.
    """
    return Mesh._from_arrays(vertices, faces, face_source, NO_LINES, rgba, id, None)


def _any_matrix(value: Any, element_id: Optional[str]) -> npt.NDArray[np.float64]:
    """A server matrix (base64 string, {values: [16]} or [16]; row-major) -> (4, 4); design.md §3."""
    from ._matrix import decode_matrix

    try:
        return np.asarray(decode_matrix(value), dtype=np.float64).reshape(4, 4)
    except DecodeError as exc:
        raise exc.with_element(element_id) from None


def _meshblob_mesh(geometry: Dict[str, Any], element_id: Optional[str], limits: Limits) -> Mesh:
    """meshblob picture -> Mesh (element-local, mm, Z up); design.md §2."""
    gtype = geometry.get("type")
    if isinstance(gtype, (int, str)) and not isinstance(gtype, bool) and str(gtype).strip() == "7":
        raise UnsupportedError(f"meshblob geometry type 7 (CSG object) is not supported (element {element_id})")
    try:
        _backend.get("triangulate")
    except KeyError:
        raise UnsupportedError("meshblob decoding needs the triangulator, which this build lacks") from None
    from ._meshing import decode_meshblob

    return decode_meshblob(
        geometry["picture"], compress=geometry.get("compress", True), element_id=element_id, limits=limits
    )


def _polymesh_mesh(geometry: Dict[str, Any], element_id: Optional[str], limits: Limits) -> Mesh:
    """geometry.mesh (polymesh JSON string) -> Mesh (element-local, mm, Z up); design.md §6."""
    from ._polymesh import decode_polymesh

    return decode_polymesh(geometry["mesh"], element_id=element_id, limits=limits)


# ---------------------------------------------------------------------------
# Elements
# ---------------------------------------------------------------------------


class _Loader:
    """Accumulates chunks into one Scene."""

    def __init__(self, strict: bool, limits: Limits) -> None:
        self.strict = strict
        self.limits = limits
        self.scene = Scene()
        self.pending: List[Element] = []  # instances whose template is not loaded yet
        self.count = 0
        self.owned = False  # whether the chunk being loaded is our own parse (its dicts may be reused)

    # -- errors ---------------------------------------------------------------
    def fail(self, exc: BaseException, id: Any, type: Any) -> None:
        eid = id if isinstance(id, str) else None
        if isinstance(exc, DecodeError):
            exc = exc.with_element(eid)
        elif not isinstance(exc, BimgeoError):
            exc = DecodeError(f"malformed element: {type_name(exc)}: {exc}", element_id=eid)
        if self.strict:
            raise exc
        # Kept without its traceback: the frames would hold the parsed chunk
        # (and, through the loader, the scene: a cycle) as long as the error.
        exc.__traceback__ = None
        self.scene.errors.append(ElementError(eid, type if isinstance(type, str) else None, str(exc), exc))

    def tick(self) -> None:
        self.count += 1
        if self.count > self.limits.max_elements:
            raise LimitError(f"more than max_elements={self.limits.max_elements} elements")

    # -- one chunk ------------------------------------------------------------
    def chunk(self, doc: Any, table: Any, owned: bool) -> None:
        first = len(self.scene.elements)
        self.owned = owned
        if isinstance(doc, list) and doc and all(isinstance(d, dict) and ("objects" in d or "templates" in d) for d in doc):
            # A file holding an array of responses (chunks saved together).
            for d in doc:
                self.response(d, table)
        else:
            self.response(doc, table)
        if table.extracted != table.used:
            # Arrays under keys named vertices/faces/normals outside the
            # geometry payload: give their attributes the real values back.
            for e in self.scene.elements[first:]:
                e.attributes = _resolve_all(e.attributes, table, 0)

    def response(self, doc: Any, table: Any) -> None:
        if isinstance(doc, list):
            doc = {"objects": doc}
        if not isinstance(doc, dict):
            raise DecodeError(f"a geometry response is a JSON object, not {type_name(doc)}")
        info = self.scene.info
        for k, v in doc.items():
            if k not in _PAYLOAD_KEYS and k not in info:
                info[k] = _resolve_all(v, table, 0) if table.extracted else v
        colors = _Colors(doc.get("colors"))
        if "templates" in doc:
            self.templates(doc["templates"], table, colors)
        if "objects" in doc:
            objects = doc["objects"]
            if not isinstance(objects, list):
                raise DecodeError(f"'objects' is {type_name(objects)}, not an array")
            self.objects(objects, table, colors)
        elif "attributes" in doc:
            # A single object (GET objects/<id>, create object).
            self.objects([doc], table, colors)

    def templates(self, templates: Any, table: Any, colors: _Colors) -> None:
        if not isinstance(templates, list):
            raise DecodeError(f"'templates' is {type_name(templates)}, not an array")
        for t in templates:
            tid = t.get("id") if isinstance(t, dict) else None
            try:
                self.tick()
                if not isinstance(t, dict) or not isinstance(tid, str):
                    raise DecodeError("template without an id")
                geoms = t.get("geometries")
                if geoms is None and "geometry" in t:
                    geoms = t["geometry"]
                if isinstance(geoms, dict):
                    geoms = [geoms]
                if not isinstance(geoms, list):
                    raise DecodeError("template without geometries", element_id=tid)
                mesh, _rgba = _threejs_mesh(geoms, table, colors, tid)
                self.scene.templates[tid] = mesh
            except Exception as exc:  # noqa: BLE001 - every failure is reported, nothing lost
                if self.count > self.limits.max_elements:
                    raise
                self.fail(exc, tid, "template")

    def objects(self, objects: List[Any], table: Any, colors: _Colors) -> None:
        limits = self.limits
        plain = _threejs().plain_elements
        elements = self.scene.elements
        # Depth-first, pre-order, children after their parent (input order
        # kept): a stack of [sibling list, next index, parent id, depth].
        stack: List[List[Any]] = [[objects, 0, None, 0]]
        while stack:
            frame = stack[-1]
            siblings, i, parent, depth = frame
            if i >= len(siblings):
                stack.pop()
                continue
            if depth <= limits.max_depth:
                # The plain run from i, compiled (threejs.plain_elements): at
                # most up to max_elements, so the next one raises below.
                room = max(limits.max_elements - self.count, 0)
                j = plain(siblings, i, i + room, parent, table, colors, elements, self.owned)
                self.count += j - i
                i = j
                if i >= len(siblings):
                    frame[1] = i
                    continue
            frame[1] = i + 1
            obj = siblings[i]
            oid = obj.get("id") if isinstance(obj, dict) else None
            otype = obj.get("type") if isinstance(obj, dict) else None
            try:
                self.count += 1
                if self.count > limits.max_elements:
                    raise LimitError(f"more than max_elements={limits.max_elements} elements")
                if depth > limits.max_depth:
                    raise LimitError(f"element tree deeper than max_depth={limits.max_depth}")
                element = self.element(obj, parent, table, colors)
            except LimitError as exc:
                if self.count > limits.max_elements:
                    raise
                self.fail(exc, oid, otype)
                continue
            except Exception as exc:  # noqa: BLE001 - every failure is reported, nothing lost
                self.fail(exc, oid, otype)
                element = None
            children = obj.get("children") if isinstance(obj, dict) else None
            if isinstance(children, list) and children:
                kids = []
                for c in children:
                    if isinstance(c, dict):
                        kids.append(c)
                        if element is not None and isinstance(c.get("id"), str):
                            element.children.append(c["id"])
                    elif isinstance(c, str) and element is not None:
                        element.children.append(c)
                if kids:
                    stack.append([kids, 0, oid if isinstance(oid, str) else None, depth + 1])

    def element(self, obj: Any, tree_parent: Optional[str], table: Any, colors: _Colors) -> Element:
        if not isinstance(obj, dict):
            raise DecodeError(f"an element is a JSON object, not {type_name(obj)}")
        eid = obj.get("id")
        if eid is not None and not isinstance(eid, str):
            raise DecodeError(f"element id is {type_name(eid)}, not a string")
        etype = obj.get("type")
        attributes = obj.get("attributes")
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, dict):
            raise DecodeError(f"attributes is {type_name(attributes)}, not an object", element_id=eid)
        general = attributes.get("general")
        name = general.get("name") if isinstance(general, dict) else None
        parent = obj.get("parent")
        if not isinstance(parent, str) or parent == NULL_GUID:
            parent = tree_parent
        if eid is not None and VIRTUAL_MARK in eid:
            related = obj.get("related_objects", attributes.get("related_objects"))
            if isinstance(related, list) and related and isinstance(related[0], str):
                parent = related[0]
        geometry = attributes.get("geometry")
        kept = dict(attributes)
        mesh: Optional[Mesh] = None
        matrix = None
        rgba: Optional[Tuple[float, ...]] = None
        template = None
        if isinstance(geometry, dict):
            del kept["geometry"]
            if len(geometry) > 1 or "threejs" not in geometry:
                rest = {k: v for k, v in geometry.items() if k not in _GEOMETRY_PAYLOAD}
                if rest:
                    kept["geometry"] = rest
            if "threejs" in geometry:
                mesh, rgba = _threejs_mesh(geometry["threejs"], table, colors, eid)
            elif "template" in geometry:
                template = geometry["template"]
                if not isinstance(template, str):
                    raise DecodeError("geometry.template is not a string", element_id=eid)
                if geometry.get("matrix") is not None:
                    matrix = _threejs().matrix_to_zup(geometry["matrix"], eid)
                rgba = colors.rgba(geometry.get("colorid"))
                mesh = self.scene.templates.get(template)
                if mesh is not None and rgba is None:
                    rgba = mesh.rgba
            elif "picture" in geometry:
                mesh = _meshblob_mesh(geometry, eid, self.limits)
                rgba = mesh.rgba
                if geometry.get("matrix") is not None:
                    matrix = _any_matrix(geometry["matrix"], eid)
            elif "mesh" in geometry:
                mesh = _polymesh_mesh(geometry, eid, self.limits)
                rgba = mesh.rgba
                elem = attributes.get("element")
                if isinstance(elem, dict) and elem.get("matrix") is not None:
                    matrix = _any_matrix(elem["matrix"], eid)
        if rgba is not None and type(rgba) is not tuple:
            rgba = tuple(float(c) for c in rgba)
        element = Element._from_values(
            "" if eid is None else eid,
            etype if isinstance(etype, str) else None,
            name if isinstance(name, str) else None,
            parent,
            matrix,
            mesh,
            cast(Optional[RGBA], rgba),
            template,
            kept,
        )
        if template is not None and mesh is None:
            self.pending.append(element)
        self.scene.elements.append(element)
        return element

    # -- end ----------------------------------------------------------------
    def finish(self) -> Scene:
        for e in self.pending:
            mesh = self.scene.templates.get(e.template)  # type: ignore[arg-type]
            if mesh is None:
                exc = DecodeError(f"template {e.template} not found in the loaded responses", element_id=e.id)
                if self.strict:
                    raise exc
                # The element stays (attributes, matrix); the error says why it has no mesh.
                self.scene.errors.append(ElementError(e.id, e.type, str(exc), exc))
                continue
            e.mesh = mesh
            if e.rgba is None and mesh.rgba is not None:
                e.rgba = mesh.rgba
        self.pending = []
        return self.scene


def type_name(value: Any) -> str:
    return type(value).__name__


def _resolve_all(value: Any, table: Any, depth: int) -> Any:
    """Placeholders anywhere in ``value`` replaced by their arrays (as lists)."""
    if depth > 256:
        return value
    if isinstance(value, dict):
        return {k: _resolve_all(v, table, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_all(v, table, depth + 1) for v in value]
    r = table.resolve(value)
    if r is value:
        return value
    if isinstance(r, np.ndarray):
        return r.tolist()
    return _resolve_all(r, table, depth + 1)  # a geometry object: its arrays are placeholders too


def load(source: Any, *, strict: bool = False, limits: Optional[Limits] = None) -> Scene:
    """Load Bimplus geometry responses into a Scene.

    source: a path (str or PathLike; ``.json`` or gzip ``.json.gz``), bytes,
        JSON text (str), a binary or text file object, an already parsed
        dict, or a list/tuple of those (or an iterator, e.g. a generator
        of chunks as they arrive): chunks loaded one after the other into
        one Scene (each chunk's parsed JSON is dropped before the next is
        read).
    strict: re-raise the first element that fails (a DecodeError naming the
        element) instead of listing it in ``scene.errors``.
    limits: bounds on sizes, counts and depth (``bimgeo.Limits``).

    Frames: threejs meshes are world, Z up, mm (converted from three.js's Y
    up); meshblob and polymesh meshes are element-local mm Z up with
    ``Element.matrix`` local -> world; template instances share their
    template's Mesh (local, Z up) and carry the instance matrix converted
    to Z up. ``scene.info`` holds the first chunk's response-level data
    (viewbox, colors, elementsCount, ...). Elements without geometry are
    kept with ``mesh`` None; elements that fail are listed in
    ``scene.errors`` (an instance whose template never arrives is kept
    without mesh and also listed there).
    """
    if limits is None:
        limits = get_default_limits()
    loader = _Loader(bool(strict), limits)
    sources: Iterable[Any] = source if _is_chunk_list(source) else [source]
    for src in sources:
        # Parsed JSON and elements are acyclic: automatic collections during
        # a chunk would find nothing (_gcpause.py); the collector catches up
        # once after it. (Not while waiting for the next chunk.)
        with gc_paused(settle=True):
            doc, table = _document(src, limits)
            loader.chunk(doc, table, doc is not src)
            del doc, table
    return loader.finish()
