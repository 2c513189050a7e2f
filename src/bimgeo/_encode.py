"""Encode a Polyhedron as a meshblob picture, byte for byte as .NET BinaryFormatter does.

The writer below is a small model of BinaryFormatter's ObjectWriter
(design.md §2, checked against the five spec samples, which round-trip
exactly):

- Object ids come from one counter: the root gets 1, the first library
  record 2, then ids are handed out as references are met. Objects are
  written breadth-first from a FIFO queue: an object is queued when its id
  is assigned, and written when dequeued.
- Value types (the PolyederType enum, System.Guid) are written inline where
  the member is, with a *negative* id that still consumes the counter.
- A class is described once (ClassWithMembersAndTypes, or the System*
  variant for mscorlib classes) and by ClassWithId after that.
- Arrays of classes are BinaryArray records of MemberReferences; runs of
  nulls are ObjectNull (1), ObjectNullMultiple256 (< 256) or
  ObjectNullMultiple; Int32/Single arrays are ArraySinglePrimitive, their
  spare capacity zero-filled.
"""
from __future__ import annotations

import base64
import gzip
import struct
import uuid
from collections import deque
from typing import Any, Deque, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._errors import UnsupportedError
from ._model import DEFAULT_LIBRARY, CountArray, ListMeta, Polyhedron, WireInfo, _dotnet_capacity

__all__ = ["encode_nrbf", "encode_polyhedron", "polyhedron_from_mesh"]

# Record types, binary types and primitive types of [MS-NRBF] used here.
_CLASS_WITH_ID = 1
_SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES = 4
_CLASS_WITH_MEMBERS_AND_TYPES = 5
_BINARY_ARRAY = 7
_MEMBER_REFERENCE = 9
_OBJECT_NULL = 10
_MESSAGE_END = 11
_BINARY_LIBRARY = 12
_OBJECT_NULL_MULTIPLE_256 = 13
_OBJECT_NULL_MULTIPLE = 14
_ARRAY_SINGLE_PRIMITIVE = 15

_BT_PRIMITIVE = 0
_BT_SYSTEM_CLASS = 3
_BT_CLASS = 4
_BT_PRIMITIVE_ARRAY = 7

_PT_BYTE = 2
_PT_DOUBLE = 6
_PT_INT16 = 7
_PT_INT32 = 8
_PT_SINGLE = 11

_PRIMITIVE_FORMAT = {_PT_BYTE: "<B", _PT_DOUBLE: "<d", _PT_INT16: "<h", _PT_INT32: "<i", _PT_SINGLE: "<f"}
_PRIMITIVE_DTYPE = {_PT_INT32: "<i4", _PT_SINGLE: "<f4"}
_NUMPY_FORMAT = {_PT_BYTE: "u1", _PT_DOUBLE: "<f8", _PT_INT16: "<i2", _PT_INT32: "<i4", _PT_SINGLE: "<f4"}

_NS = "Nemetschek.NUtilLibrary."
_MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
_LIST = "System.Collections.Generic.List`1[[{}]]"
_INT32_MAX = 2**31 - 1

Member = Tuple[str, int, Any]  # (name, BinaryTypeEnum, additional info)


class _Class:
    """A .NET class as BinaryFormatter describes it; ``library`` None = mscorlib."""

    __slots__ = ("name", "library", "members", "value_type")

    def __init__(self, name: str, library: Optional[str], members: Sequence[Member], value_type: bool = False) -> None:
        self.name = name
        self.library = library
        self.members = tuple(members)
        self.value_type = value_type


class _Obj:
    """An instance: one value per member of its class."""

    __slots__ = ("cls", "values")

    def __init__(self, cls: _Class, values: Sequence[Any]) -> None:
        self.cls = cls
        self.values = list(values)


class _Rows:
    """Distinct instances of a class whose members are all primitive, one column per member.

    Written exactly as the same ``_Obj`` list would be, but vectorised: their
    references are consecutive ids, and writing them queues nothing, so
    BinaryFormatter's output for them is one contiguous run of records.
    """

    __slots__ = ("cls", "columns", "n")

    def __init__(self, cls: _Class, columns: Sequence[npt.NDArray[Any]]) -> None:
        self.cls = cls
        self.columns = [np.ascontiguousarray(c, dtype=_NUMPY_FORMAT[m[2]]) for c, m in zip(columns, cls.members)]
        self.n = len(self.columns[0]) if self.columns else 0


class _ClassArray:
    """A one-dimensional array of a class: ``items`` then null padding up to ``length``."""

    __slots__ = ("element", "library", "items", "length")

    def __init__(self, element: str, library: str, items: Union[Sequence[_Obj], _Rows], length: int) -> None:
        self.element = element
        self.library = library
        self.items = items if isinstance(items, _Rows) else list(items)
        self.length = length


class _PrimitiveArray:
    """A one-dimensional array of Int32 or Single."""

    __slots__ = ("ptype", "values")

    def __init__(self, ptype: int, values: npt.NDArray[Any]) -> None:
        self.ptype = ptype
        self.values = values


class _Classes:
    """The classes of one picture; their names embed the library (its version varies)."""

    def __init__(self, library: str) -> None:
        lib = library
        int_list = _LIST.format(f"System.Int32, {_MSCORLIB}")
        single_list = _LIST.format(f"System.Single, {_MSCORLIB}")

        def obj_list(element: str) -> _Class:
            return _Class(
                _LIST.format(f"{_NS}{element}, {lib}"),
                None,
                [
                    ("_items", _BT_CLASS, (f"{_NS}{element}[]", lib)),
                    ("_size", _BT_PRIMITIVE, _PT_INT32),
                    ("_version", _BT_PRIMITIVE, _PT_INT32),
                ],
            )

        def prim_list(name: str, ptype: int) -> _Class:
            return _Class(
                name,
                None,
                [
                    ("_items", _BT_PRIMITIVE_ARRAY, ptype),
                    ("_size", _BT_PRIMITIVE, _PT_INT32),
                    ("_version", _BT_PRIMITIVE, _PT_INT32),
                ],
            )

        self.library = lib
        self.point_list = obj_list("CElementPoint")
        self.edge_list = obj_list("CElementEdge")
        self.face_list = obj_list("CElementFace")
        self.int_list = prim_list(int_list, _PT_INT32)
        self.single_list = prim_list(single_list, _PT_SINGLE)
        self.point = _Class(
            f"{_NS}CElementPoint", lib, [(c, _BT_PRIMITIVE, _PT_DOUBLE) for c in "xyz"]
        )
        self.edge = _Class(
            f"{_NS}CElementEdge", lib, [("begin", _BT_PRIMITIVE, _PT_INT32), ("end", _BT_PRIMITIVE, _PT_INT32)]
        )
        self.face = _Class(f"{_NS}CElementFace", lib, [("edges", _BT_SYSTEM_CLASS, int_list)])
        self.count_array = _Class(
            f"{_NS}CountArray", lib, [("m_Counter", _BT_SYSTEM_CLASS, int_list), ("m_Values", _BT_SYSTEM_CLASS, single_list)]
        )
        self.polyeder_type = _Class(
            f"{_NS}PolyederType", lib, [("value__", _BT_PRIMITIVE, _PT_INT32)], value_type=True
        )
        self.guid = _Class(
            "System.Guid",
            None,
            [("_a", _BT_PRIMITIVE, _PT_INT32), ("_b", _BT_PRIMITIVE, _PT_INT16), ("_c", _BT_PRIMITIVE, _PT_INT16)]
            + [(f"_{ch}", _BT_PRIMITIVE, _PT_BYTE) for ch in "defghijk"],
            value_type=True,
        )
        self.root = _Class(
            f"{_NS}CBaseElementPolyeder",
            lib,
            [
                ("point", _BT_SYSTEM_CLASS, self.point_list.name),
                ("edge", _BT_SYSTEM_CLASS, self.edge_list.name),
                ("face", _BT_SYSTEM_CLASS, self.face_list.name),
                ("m_Radius", _BT_CLASS, (self.count_array.name, lib)),
                ("m_Bendingrolle", _BT_CLASS, (self.count_array.name, lib)),
                ("type", _BT_CLASS, (self.polyeder_type.name, lib)),
                ("ID", _BT_SYSTEM_CLASS, self.guid.name),
            ],
        )


class _Writer:
    """BinaryFormatter's ObjectWriter, reduced to what a picture holds (see module docstring)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.next_id = 0
        self.ids: Dict[int, int] = {}  # id(python object) -> object id
        self.queue: Deque[Any] = deque()
        self.metadata: Dict[Tuple[str, Optional[str]], int] = {}
        self.libraries: Dict[str, int] = {}
        self.keep: List[Any] = []  # keeps id() keys alive

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def i32(self, v: int) -> None:
        self.out += struct.pack("<i", v)

    def string(self, s: str) -> None:
        raw = s.encode("utf-8")
        n = len(raw)
        while n >= 0x80:  # 7-bit encoded length (LengthPrefixedString)
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)
        self.out += raw

    def reference(self, obj: Any) -> None:
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = self.new_id()
            self.keep.append(obj)
            self.queue.append(obj)
        self.out.append(_MEMBER_REFERENCE)
        self.i32(self.ids[key])

    def nulls(self, n: int) -> None:
        if n == 0:
            return
        if n == 1:
            self.out.append(_OBJECT_NULL)
        elif n < 256:
            self.out += bytes((_OBJECT_NULL_MULTIPLE_256, n))
        else:
            self.out.append(_OBJECT_NULL_MULTIPLE)
            self.i32(n)

    def library(self, name: str) -> int:
        if name not in self.libraries:
            lib_id = self.new_id()
            self.libraries[name] = lib_id
            self.out.append(_BINARY_LIBRARY)
            self.i32(lib_id)
            self.string(name)
        return self.libraries[name]

    def serialize(self, root: _Obj) -> bytes:
        root_id = self.new_id()
        self.ids[id(root)] = root_id
        self.out += bytes((0,))
        self.i32(root_id)
        self.i32(-1)  # header id
        self.i32(1)  # major version
        self.i32(0)  # minor version
        self.queue.append(root)
        while self.queue:
            obj = self.queue.popleft()
            self.write(obj, self.ids[id(obj)])
        self.out.append(_MESSAGE_END)
        return bytes(self.out)

    def write(self, obj: Any, obj_id: int) -> None:
        if isinstance(obj, _Obj):
            self.write_object(obj, obj_id)
        elif isinstance(obj, _Rows):
            self.write_rows(obj, obj_id)
        elif isinstance(obj, _ClassArray):
            lib_id = self.library(obj.library)
            self.out.append(_BINARY_ARRAY)
            self.i32(obj_id)
            self.out.append(0)  # BinaryArrayTypeEnum.Single
            self.i32(1)  # rank
            self.i32(obj.length)
            self.out.append(_BT_CLASS)
            self.string(obj.element)
            self.i32(lib_id)
            if isinstance(obj.items, _Rows):
                n = obj.items.n
                self.reference_rows(obj.items)
            else:
                n = len(obj.items)
                for item in obj.items:
                    self.reference(item)
            # A List's spare capacity: one run of nulls (never materialised).
            self.nulls(obj.length - n)
        else:
            self.out.append(_ARRAY_SINGLE_PRIMITIVE)
            self.i32(obj_id)
            self.i32(len(obj.values))
            self.out.append(obj.ptype)
            self.out += np.ascontiguousarray(obj.values, dtype=_PRIMITIVE_DTYPE[obj.ptype]).tobytes()

    def reference_rows(self, rows: _Rows) -> None:
        """MemberReferences to ``rows``: consecutive new ids, queued as one entry."""
        if rows.n == 0:
            return
        first = self.next_id + 1
        self.next_id += rows.n
        refs = np.empty(rows.n, dtype=[("rt", "u1"), ("id", "<i4")])
        refs["rt"] = _MEMBER_REFERENCE
        refs["id"] = np.arange(first, first + rows.n)
        self.out += refs.tobytes()
        self.ids[id(rows)] = first
        self.keep.append(rows)
        self.queue.append(rows)

    def write_rows(self, rows: _Rows, first: int) -> None:
        """The first row as any object (it may describe the class), the rest as ClassWithId records."""
        cls = rows.cls
        self.write_object(_Obj(cls, [c[0].item() for c in rows.columns]), first)
        n = rows.n - 1
        fields = [("rt", "u1"), ("id", "<i4"), ("meta", "<i4")]
        fields += [(f"m{i}", _NUMPY_FORMAT[m[2]]) for i, m in enumerate(cls.members)]
        rec = np.empty(n, dtype=fields)
        rec["rt"] = _CLASS_WITH_ID
        rec["id"] = np.arange(first + 1, first + 1 + n)
        rec["meta"] = self.metadata[(cls.name, cls.library)]
        for i, col in enumerate(rows.columns):
            rec[f"m{i}"] = col[1:]
        self.out += rec.tobytes()

    def write_object(self, obj: _Obj, obj_id: int) -> None:
        cls = obj.cls
        key = (cls.name, cls.library)
        if key in self.metadata:
            self.out.append(_CLASS_WITH_ID)
            self.i32(obj_id)
            self.i32(self.metadata[key])
        else:
            lib_id = self.library(cls.library) if cls.library is not None else None
            for _, bt, info in cls.members:
                if bt == _BT_CLASS:
                    self.library(info[1])
            self.metadata[key] = obj_id
            self.out.append(_SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES if lib_id is None else _CLASS_WITH_MEMBERS_AND_TYPES)
            self.i32(obj_id)
            self.string(cls.name)
            self.i32(len(cls.members))
            for name, _, _ in cls.members:
                self.string(name)
            self.out += bytes(bt for _, bt, _ in cls.members)
            for _, bt, info in cls.members:
                if bt in (_BT_PRIMITIVE, _BT_PRIMITIVE_ARRAY):
                    self.out.append(info)
                elif bt == _BT_SYSTEM_CLASS:
                    self.string(info)
                elif bt == _BT_CLASS:
                    self.string(info[0])
                    self.i32(self.libraries[info[1]])
            if lib_id is not None:
                self.i32(lib_id)
        for (_, bt, info), value in zip(cls.members, obj.values):
            if bt == _BT_PRIMITIVE:
                self.out += struct.pack(_PRIMITIVE_FORMAT[info], value)
            elif value is None:
                self.out.append(_OBJECT_NULL)
            elif isinstance(value, _Obj) and value.cls.value_type:
                # Boxed value type: inline, negative id from the same counter.
                self.write_object(value, -self.new_id())
            else:
                self.reference(value)


def _list_meta(meta: Optional[ListMeta], size: int, what: str) -> ListMeta:
    if meta is None:
        return ListMeta(_dotnet_capacity(size), size)
    cap, version = int(meta[0]), int(meta[1])
    if not size <= cap <= _INT32_MAX:
        raise ValueError(f"{what}: capacity {cap} is smaller than the size {size} (or too large)")
    if not -(2**31) <= version <= _INT32_MAX:
        raise ValueError(f"{what}: version {version} is not an Int32")
    return ListMeta(cap, version)


def _primitive_list(cls: _Class, ptype: int, values: npt.ArrayLike, meta: Optional[ListMeta], what: str) -> _Obj:
    vals = np.asarray(values, dtype=_PRIMITIVE_DTYPE[ptype]).reshape(-1)
    m = _list_meta(meta, len(vals), what)
    items = np.zeros(m.capacity, dtype=_PRIMITIVE_DTYPE[ptype])
    items[: len(vals)] = vals
    return _Obj(cls, [_PrimitiveArray(ptype, items), len(vals), m.version])


def _object_list(
    cls: _Class, element: str, library: str, objs: Union[List[_Obj], _Rows], meta: ListMeta
) -> _Obj:
    size = objs.n if isinstance(objs, _Rows) else len(objs)
    return _Obj(cls, [_ClassArray(f"{_NS}{element}", library, objs, meta.capacity), size, meta.version])


def _guid_values(text: str) -> List[int]:
    try:
        u = uuid.UUID(str(text))
    except ValueError:
        raise ValueError(f"polyhedron id {text!r} is not a GUID") from None
    # .NET Guid fields: _a Int32, _b/_c Int16 (the string's first three groups as
    # signed numbers, so little-endian on the wire), _d.._k the last 8 bytes in order.
    a, b, c = struct.unpack("<ihh", struct.pack("<IHH", *u.fields[:3]))
    return [a, b, c] + list(u.bytes[8:])


def _graph(poly: Polyhedron) -> _Obj:
    """The BinaryFormatter object graph of ``poly`` (validated like the decoder would)."""
    wire = poly.wire
    library = wire.library if wire is not None else DEFAULT_LIBRARY
    c = _Classes(library)
    n_points, n_edges, n_faces = len(poly.points), len(poly.edges), poly.n_faces

    edges = np.asarray(poly.edges, dtype=np.int64)
    if len(edges) and (edges.min() < 0 or edges.max() >= n_points):
        raise ValueError(f"edges name points outside 0..{n_points - 1}")
    offsets = np.asarray(poly.face_offsets, dtype=np.int64)
    refs = np.asarray(poly.face_edges, dtype=np.int64)
    if offsets[0] != 0 or offsets[-1] != len(refs) or np.any(np.diff(offsets) < 0):
        raise ValueError("face_offsets do not partition face_edges")
    if len(refs) and (np.abs(refs).min() < 1 or np.abs(refs).max() > n_edges):
        raise ValueError(f"face edge references outside ±1..{n_edges}")
    if wire is not None and len(wire.face_lists) != n_faces:
        raise ValueError(f"wire.face_lists has {len(wire.face_lists)} rows for {n_faces} faces")

    pts = np.asarray(poly.points, dtype=np.float64).reshape(-1, 3)
    points = _Rows(c.point, [pts[:, 0], pts[:, 1], pts[:, 2]])
    edge_objs = _Rows(c.edge, [edges[:, 0] + 1, edges[:, 1] + 1])  # the wire is 1-based
    faces = []
    for i in range(n_faces):
        meta = ListMeta(*wire.face_lists[i].tolist()) if wire is not None else None
        lst = _primitive_list(c.int_list, _PT_INT32, refs[offsets[i] : offsets[i + 1]], meta, f"face {i}")
        faces.append(_Obj(c.face, [lst]))

    def count_array(ca: Optional[CountArray], what: str) -> Optional[_Obj]:
        if ca is None:
            return None
        return _Obj(
            c.count_array,
            [
                _primitive_list(c.int_list, _PT_INT32, ca.counters, ca.counter_meta, f"{what}.m_Counter"),
                _primitive_list(c.single_list, _PT_SINGLE, ca.values, ca.value_meta, f"{what}.m_Values"),
            ],
        )

    pmeta = _list_meta(wire.points if wire else None, n_points, "point list")
    emeta = _list_meta(wire.edges if wire else None, n_edges, "edge list")
    fmeta = _list_meta(wire.faces if wire else None, n_faces, "face list")
    ptype = int(poly.polyeder_type)
    if not -(2**31) <= ptype <= _INT32_MAX:
        ptype -= 1 << 32  # flags above bit 30 written as the Int32 they are in .NET
        if not -(2**31) <= ptype <= _INT32_MAX:
            raise ValueError(f"polyeder_type {poly.polyeder_type} is not an Int32")
    return _Obj(
        c.root,
        [
            _object_list(c.point_list, "CElementPoint", library, points, pmeta),
            _object_list(c.edge_list, "CElementEdge", library, edge_objs, emeta),
            _object_list(c.face_list, "CElementFace", library, faces, fmeta),
            count_array(poly.radius, "m_Radius"),
            count_array(poly.bendingrolle, "m_Bendingrolle"),
            _Obj(c.polyeder_type, [ptype]),
            _Obj(c.guid, _guid_values(poly.id)),
        ],
    )


def encode_nrbf(poly: Polyhedron) -> bytes:
    """The MS-NRBF stream .NET BinaryFormatter writes for ``poly`` (no gzip, no base64).

    Uses ``poly.wire`` (library name, list capacities and versions) when
    present, .NET's defaults otherwise. Points are element-local mm, Z up;
    edges are written 1-based. Raises ValueError for an inconsistent
    polyhedron (indices out of range, capacity below size).
    """
    return _Writer().serialize(_graph(poly))


def encode_polyhedron(poly: Polyhedron, *, compress: Union[bool, int] = True) -> str:
    """Encode ``poly`` as a meshblob ``picture``: base64 of gzip (mtime 0) of ``encode_nrbf(poly)``.

    compress: True/1 gzip (the server's form), False/0 base64 of the plain
    stream; 2 and 3 raise UnsupportedError. The output is deterministic.
    """
    if compress is None or compress is True or (not isinstance(compress, bool) and compress == 1):
        data = gzip.compress(encode_nrbf(poly), mtime=0)
    elif compress is False or compress == 0:
        data = encode_nrbf(poly)
    else:
        raise UnsupportedError(f"cannot encode with compress={compress!r} (only 0/False and 1/True)")
    return base64.b64encode(data).decode("ascii")


# --- Polyhedron.from_mesh -----------------------------------------------------


def _loops(polygon: Any, i: int) -> List[List[int]]:
    """A polygon as a list of loops: a flat index sequence is one loop."""
    seq = list(polygon)
    if seq and all(isinstance(v, (int, np.integer)) for v in seq):
        return [[int(v) for v in seq]]
    loops = []
    for loop in seq:
        if not hasattr(loop, "__iter__"):
            raise ValueError(f"polygon {i}: vertex indices must be integers")
        vals = list(loop)
        if not all(isinstance(v, (int, np.integer)) for v in vals):
            raise ValueError(f"polygon {i}: a loop must be a sequence of vertex indices")
        loops.append([int(v) for v in vals])
    if not loops:
        raise ValueError(f"polygon {i} is empty")
    return loops


def polyhedron_from_mesh(
    vertices: npt.ArrayLike,
    polygons: Sequence[Any],
    *,
    rgba: Optional[Sequence[float]] = None,
    polyeder_type: int = 0x1003,
    id: Optional[str] = None,
) -> Polyhedron:
    """Build a Polyhedron as the Bimplus server would (see ``Polyhedron.from_mesh``)."""
    pts = np.ascontiguousarray(vertices, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"vertices must be (n, 3), got shape {pts.shape}")
    n = len(pts)
    edge_index: Dict[Tuple[int, int], int] = {}
    edges: List[Tuple[int, int]] = []
    face_edges: List[int] = []
    offsets = [0]
    for i, polygon in enumerate(polygons):
        for loop in _loops(polygon, i):
            if len(loop) < 3:
                raise ValueError(f"polygon {i}: a loop needs at least 3 vertices")
            for k, a in enumerate(loop):
                b = loop[(k + 1) % len(loop)]
                if not (0 <= a < n and 0 <= b < n):
                    raise ValueError(f"polygon {i}: vertex index outside 0..{n - 1}")
                if a == b:
                    raise ValueError(f"polygon {i}: repeated vertex {a}")
                key = (a, b) if a < b else (b, a)
                j = edge_index.get(key)
                if j is None:
                    j = edge_index[key] = len(edges)
                    edges.append((a, b))
                # +ref walks the stored edge begin->end, -ref end->begin (design.md §2).
                face_edges.append(j + 1 if edges[j] == (a, b) else -(j + 1))
        offsets.append(len(face_edges))
    radius = None
    if rgba is not None:
        vals = [float(v) for v in rgba]
        if len(vals) != 4:
            raise ValueError("rgba must have four components (0..255)")
        radius = CountArray([-1, -2, -3, -4], vals)
    n_faces = len(offsets) - 1
    sizes = np.diff(np.asarray(offsets, dtype=np.int64))
    face_lists = np.array([[_dotnet_capacity(int(s)), int(s)] for s in sizes], dtype=np.int32).reshape(-1, 2)
    wire = WireInfo(
        DEFAULT_LIBRARY,
        ListMeta(_dotnet_capacity(n), n),
        ListMeta(_dotnet_capacity(len(edges)), len(edges)),
        ListMeta(_dotnet_capacity(n_faces), n_faces),
        face_lists,
    )
    return Polyhedron(
        pts,
        np.asarray(edges, dtype=np.int32).reshape(-1, 2),
        np.asarray(face_edges, dtype=np.int32),
        np.asarray(offsets, dtype=np.int64),
        radius=radius,
        polyeder_type=polyeder_type,
        id=str(uuid.UUID(str(id))) if id is not None else "00000000-0000-0000-0000-000000000000",
        wire=wire,
    )
