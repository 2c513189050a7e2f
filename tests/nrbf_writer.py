"""A flexible MS-NRBF writer for tests (not BinaryFormatter's exact layout).

It writes the same CBaseElementPolyeder graph in the many shapes [MS-NRBF]
allows (untyped classes, ArraySingleObject, forward references, negative
ids, other null encodings, libraries inside member slots, ...), so the
decoders can be held to the whole record set, and it has the record
helpers the bad-input tests use to craft broken streams.
"""
from __future__ import annotations

import struct
from collections import deque
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bimgeo import Polyhedron

# record helpers ---------------------------------------------------------------


def i32(v: int) -> bytes:
    return struct.pack("<i", v)


def lps(s: str) -> bytes:
    raw = s.encode("utf-8")
    n, out = len(raw), bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + raw


def header(root_id: int = 1) -> bytes:
    return b"\x00" + i32(root_id) + i32(-1) + i32(1) + i32(0)


def library(lib_id: int, name: str) -> bytes:
    return b"\x0c" + i32(lib_id) + lps(name)


END = b"\x0b"
NULL = b"\x0a"


def ref(obj_id: int) -> bytes:
    return b"\x09" + i32(obj_id)


def nulls(n: int, style: str = "dotnet") -> bytes:
    """A run of n nulls in an array: "dotnet" as BinaryFormatter, "each", "multiple" (record 14), "256"."""
    if n == 0:
        return b""
    if style == "each":
        return NULL * n
    if style == "multiple":
        return b"\x0e" + i32(n)
    if style == "256":
        out = b""
        while n:
            k = min(n, 255)
            out += bytes((13, k))
            n -= k
        return out
    if n == 1:
        return NULL
    return bytes((13, n)) if n < 256 else b"\x0e" + i32(n)


def type_info(bt: int, info: Any) -> bytes:
    if bt in (0, 7):
        return bytes((info,))
    if bt == 3:
        return lps(info)
    if bt == 4:
        return lps(info[0]) + i32(info[1])
    return b""


def class_record(
    obj_id: int, name: str, members: Sequence[Tuple[str, int, Any]], lib_id: Optional[int], typed: bool = True
) -> bytes:
    """Records 2-5 up to the member values; members are (name, BinaryTypeEnum, info)."""
    rt = (5 if lib_id is not None else 4) if typed else (3 if lib_id is not None else 2)
    out = bytes((rt,)) + i32(obj_id) + lps(name) + i32(len(members)) + b"".join(lps(m[0]) for m in members)
    if typed:
        out += bytes(m[1] for m in members) + b"".join(type_info(m[1], m[2]) for m in members)
    if lib_id is not None:
        out += i32(lib_id)
    return out


def class_with_id(obj_id: int, meta: int) -> bytes:
    return b"\x01" + i32(obj_id) + i32(meta)


def prim_typed(pt: int, raw: bytes) -> bytes:
    return b"\x08" + bytes((pt,)) + raw


def array_single_primitive(obj_id: int, pt: int, n: int, raw: bytes) -> bytes:
    return b"\x0f" + i32(obj_id) + i32(n) + bytes((pt,)) + raw


def binary_array(
    obj_id: int,
    lengths: Sequence[int],
    bt: int,
    info: Any,
    kind: int = 0,
    lower: Optional[Sequence[int]] = None,
) -> bytes:
    out = b"\x07" + i32(obj_id) + bytes((kind,)) + i32(len(lengths)) + b"".join(i32(n) for n in lengths)
    if kind >= 3:
        out += b"".join(i32(v) for v in (lower or [0] * len(lengths)))
    return out + bytes((bt,)) + type_info(bt, info)


def array_single_object(obj_id: int, n: int) -> bytes:
    return b"\x10" + i32(obj_id) + i32(n)


def array_single_string(obj_id: int, n: int) -> bytes:
    return b"\x11" + i32(obj_id) + i32(n)


def object_string(obj_id: int, s: str) -> bytes:
    return b"\x06" + i32(obj_id) + lps(s)


# a generic graph and its writer ----------------------------------------------

PT_FORMAT = {1: "<?", 2: "<B", 6: "<d", 7: "<h", 8: "<i", 9: "<q", 11: "<f"}
PT_DTYPE = {8: "<i4", 11: "<f4", 6: "<f8"}
NS = "Nemetschek.NUtilLibrary."
MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"


class Obj:
    """A class instance: members are (name, kind, value); kind ("p", pt) or ("o", bt, info)."""

    def __init__(self, name: str, lib: Optional[str], members: List[Tuple[str, Tuple[Any, ...], Any]], value_type: bool = False):
        self.name, self.lib, self.members, self.value_type = name, lib, members, value_type


class ObjArray:
    """An array of references; ``length`` beyond the items is null padding."""

    def __init__(self, element: str, lib: str, items: List[Optional[Obj]], length: Optional[int] = None):
        self.element, self.lib, self.items = element, lib, items
        self.length = len(items) if length is None else length


class PrimArray:
    def __init__(self, pt: int, values: np.ndarray):
        self.pt, self.values = pt, values


def poly_graph(poly: Polyhedron, lib: str = "PPAttribPictureType3, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null") -> Obj:
    """The CBaseElementPolyeder graph of ``poly`` (capacities and versions from poly.wire)."""
    int_list = f"System.Collections.Generic.List`1[[System.Int32, {MSCORLIB}]]"
    single_list = f"System.Collections.Generic.List`1[[System.Single, {MSCORLIB}]]"
    wire = poly.wire

    def olist(element: str, objs: List[Obj], meta: Tuple[int, int]) -> Obj:
        items: List[Optional[Obj]] = list(objs)
        return Obj(
            f"System.Collections.Generic.List`1[[{NS}{element}, {lib}]]",
            None,
            [
                ("_items", ("o", 4, (f"{NS}{element}[]", lib)), ObjArray(f"{NS}{element}", lib, items, meta[0])),
                ("_size", ("p", 8), len(objs)),
                ("_version", ("p", 8), meta[1]),
            ],
        )

    def plist(name: str, pt: int, values: Any, meta: Tuple[int, int]) -> Obj:
        vals = np.zeros(meta[0], dtype=PT_DTYPE[pt])
        vals[: len(values)] = values
        return Obj(
            name,
            None,
            [("_items", ("o", 7, pt), PrimArray(pt, vals)), ("_size", ("p", 8), len(values)), ("_version", ("p", 8), meta[1])],
        )

    points = [Obj(f"{NS}CElementPoint", lib, [(c, ("p", 6), float(v)) for c, v in zip("xyz", p)]) for p in poly.points.tolist()]
    edges = [
        Obj(f"{NS}CElementEdge", lib, [("begin", ("p", 8), b + 1), ("end", ("p", 8), e + 1)]) for b, e in poly.edges.tolist()
    ]
    faces = []
    for i in range(poly.n_faces):
        refs = poly.face(i)
        faces.append(
            Obj(f"{NS}CElementFace", lib, [("edges", ("o", 3, int_list), plist(int_list, 8, refs, tuple(wire.face_lists[i])))])
        )

    def count_array(ca: Any) -> Optional[Obj]:
        if ca is None:
            return None
        return Obj(
            f"{NS}CountArray",
            lib,
            [
                ("m_Counter", ("o", 3, int_list), plist(int_list, 8, ca.counters, ca.counter_meta)),
                ("m_Values", ("o", 3, single_list), plist(single_list, 11, ca.values, ca.value_meta)),
            ],
        )

    import uuid

    u = uuid.UUID(poly.id)
    a, b, c = u.fields[:3]
    guid = Obj(
        "System.Guid",
        None,
        [("_a", ("p", 8), a - (1 << 32) if a >= 1 << 31 else a), ("_b", ("p", 7), b - (1 << 16) if b >= 1 << 15 else b),
         ("_c", ("p", 7), c - (1 << 16) if c >= 1 << 15 else c)]
        + [(f"_{ch}", ("p", 2), v) for ch, v in zip("defghijk", u.bytes[8:])],
        value_type=True,
    )
    ptype = Obj(f"{NS}PolyederType", lib, [("value__", ("p", 8), poly.polyeder_type)], value_type=True)
    ca_type = ("o", 4, (f"{NS}CountArray", lib))
    return Obj(
        f"{NS}CBaseElementPolyeder",
        lib,
        [
            ("point", ("o", 3, f"System.Collections.Generic.List`1[[{NS}CElementPoint, {lib}]]"), olist("CElementPoint", points, wire.points)),
            ("edge", ("o", 3, f"System.Collections.Generic.List`1[[{NS}CElementEdge, {lib}]]"), olist("CElementEdge", edges, wire.edges)),
            ("face", ("o", 3, f"System.Collections.Generic.List`1[[{NS}CElementFace, {lib}]]"), olist("CElementFace", faces, wire.faces)),
            ("m_Radius", ca_type, count_array(poly.radius)),
            ("m_Bendingrolle", ca_type, count_array(poly.bendingrolle)),
            ("type", ("o", 4, (f"{NS}PolyederType", lib)), ptype),
            ("ID", ("o", 3, "System.Guid"), guid),
        ],
    )


class Writer:
    """Writes a graph in one of many legal shapes.

    typed: class records with member types (4/5) or without (2/3, primitive
        members as MemberPrimitiveTyped).
    objarray: "binary" (BinaryArray), "offset" (BinaryArray kind SingleOffset,
        lower bound 0) or "single" (ArraySingleObject).
    null_style: see ``nulls``. order: "bfs" or "reverse" (every reference a
        forward one). inline_values: value types inline or as references.
    ids: maps the BFS number (1, 2, ...) to the id written.
    lib_in_member: inline value types name a second library, whose record
        sits in the member slot before the first of them.
    reuse_classes: ClassWithId after the first description.
    """

    def __init__(
        self,
        *,
        typed: bool = True,
        objarray: str = "binary",
        null_style: str = "dotnet",
        order: str = "bfs",
        inline_values: bool = True,
        ids: Callable[[int], int] = lambda k: k,
        lib_id: int = 2,
        lib_in_member: bool = False,
        reuse_classes: bool = True,
    ) -> None:
        self.typed, self.objarray, self.null_style, self.order = typed, objarray, null_style, order
        self.inline_values, self.ids_fn, self.lib_id = inline_values, ids, lib_id
        self.lib_in_member, self.reuse_classes = lib_in_member, reuse_classes

    def write(self, root: Obj) -> bytes:
        self.ids: Dict[int, int] = {}
        self.meta: Dict[Tuple[str, Optional[str]], int] = {}
        self.lib_written = False
        self.inline_count = 0
        nodes: List[Any] = []
        counter = [0]

        def assign(node: Any) -> None:
            counter[0] += 1
            if counter[0] == self.lib_id:
                counter[0] += 1
            self.ids[id(node)] = self.ids_fn(counter[0])
            nodes.append(node)

        assign(root)
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for child in self.children(node):
                if id(child) not in self.ids:
                    assign(child)
                    queue.append(child)
        order = nodes if self.order == "bfs" else nodes[::-1]
        out = header(self.ids[id(root)])
        self.lib_name = root.lib
        out += library(self.lib_id, root.lib)
        for node in order:
            out += self.node(node)
        return out + END

    def children(self, node: Any) -> List[Any]:
        if isinstance(node, Obj):
            out = []
            for _, kind, v in node.members:
                if kind[0] == "o" and v is not None and not isinstance(v, str):
                    if isinstance(v, Obj) and v.value_type and self.inline_values:
                        out.extend(self.children(v))
                    else:
                        out.append(v)
            return out
        if isinstance(node, ObjArray):
            return [x for x in node.items if x is not None]
        return []

    def node(self, node: Any, obj_id: Optional[int] = None) -> bytes:
        oid = self.ids[id(node)] if obj_id is None else obj_id
        if isinstance(node, PrimArray):
            return array_single_primitive(oid, node.pt, len(node.values), node.values.astype(PT_DTYPE[node.pt]).tobytes())
        if isinstance(node, ObjArray):
            n = node.length
            if self.objarray == "single":
                out = array_single_object(oid, n)
            elif self.objarray == "offset":
                out = binary_array(oid, [n], 4, (node.element, self.lib_id), kind=3, lower=[0])
            else:
                out = binary_array(oid, [n], 4, (node.element, self.lib_id))
            run = 0
            for x in node.items:
                if x is None:
                    run += 1
                    continue
                out += nulls(run, self.null_style)
                run = 0
                out += ref(self.ids[id(x)])
            return out + nulls(run + n - len(node.items), self.null_style)
        key = (node.name, node.lib)
        out = b""
        if key in self.meta and self.reuse_classes:
            out += class_with_id(oid, self.meta[key])
        else:
            self.meta.setdefault(key, oid)
            members = [
                (m, 0, k[1]) if k[0] == "p" else (m, k[1], (k[2][0], self.lib_id) if k[1] == 4 else k[2])
                for m, k, _ in node.members
            ]
            lib_id: Optional[int] = self.lib_id if node.lib else None
            if node.value_type and node.lib and self.lib_in_member:
                # A second library record, in the member slot just before the inline object.
                lib_id = 999
                if not self.lib_written:
                    out += library(lib_id, node.lib)
                    self.lib_written = True
            out += class_record(oid, node.name, members, lib_id, self.typed)
        for i, (_, kind, v) in enumerate(node.members):
            if kind[0] == "p":
                raw = struct.pack(PT_FORMAT[kind[1]], v)
                out += raw if self.typed else prim_typed(kind[1], raw)
            elif v is None:
                out += NULL
            elif isinstance(v, str):
                self.inline_count += 1
                out += object_string(200000 + self.inline_count, v)
            elif isinstance(v, Obj) and v.value_type and self.inline_values:
                self.inline_count += 1
                out += self.node(v, -(100000 + self.inline_count))
            else:
                out += ref(self.ids[id(v)])
        return out


def write(poly: Polyhedron, **options: Any) -> bytes:
    """``poly`` as an MS-NRBF stream in the shape ``options`` pick (see Writer)."""
    return Writer(**options).write(poly_graph(poly))


def member(obj: Obj, name: str) -> Tuple[str, Tuple[Any, ...], Any]:
    """The (name, kind, value) triple of a member of a graph object."""
    return next(m for m in obj.members if m[0] == name)


_KEEP = object()


def set_member(obj: Obj, name: str, kind: Optional[Tuple[Any, ...]] = None, value: Any = _KEEP) -> None:
    """Replace a member's kind and/or value in place."""
    for i, (n, k, v) in enumerate(obj.members):
        if n == name:
            obj.members[i] = (n, k if kind is None else kind, v if value is _KEEP else value)
            return
    raise KeyError(name)
