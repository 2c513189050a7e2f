"""MS-NRBF (.NET BinaryFormatter) reader and the meshblob polyhedron mapping.

The slow, obvious reference that ``bimgeo._core.nrbf`` is tested against.

Two layers:

- ``read_stream``: a generic reader for the whole record set of [MS-NRBF]
  2.x. It returns the root of a small object model (``NrbfObject``,
  ``NrbfArray``, plain Python values for primitives and strings) with every
  ``MemberReference`` resolved, after reading, through the object table.
- ``parse_polyhedron`` / ``decode_polyhedron``: map the graph rooted at
  ``CBaseElementPolyeder`` onto ``bimgeo.Polyhedron`` (design.md §2).

Every count, length and reference comes from untrusted bytes: each is
bounded by the bytes that remain (or by ``Limits``) before anything is
allocated, and malformed input raises ``DecodeError`` naming what was read
and the byte offset, never IndexError, struct.error or RecursionError.
"""
from __future__ import annotations

import base64
import binascii
import decimal
import re
import struct
import zlib
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from .._errors import DecodeError, LimitError, UnsupportedError
from .._limits import Limits, get_default_limits
from .._model import CountArray, ListMeta, Mesh, Polyhedron, WireInfo

__all__ = [
    "DateTimeValue",
    "NrbfArray",
    "NrbfClass",
    "NrbfObject",
    "TimeSpanValue",
    "decode_meshblob",
    "decode_polyhedron",
    "parse_polyhedron",
    "read_stream",
]

# --- [MS-NRBF] 2.1.2.1 RecordTypeEnumeration ---------------------------------
SERIALIZED_STREAM_HEADER = 0
CLASS_WITH_ID = 1
SYSTEM_CLASS_WITH_MEMBERS = 2
CLASS_WITH_MEMBERS = 3
SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES = 4
CLASS_WITH_MEMBERS_AND_TYPES = 5
BINARY_OBJECT_STRING = 6
BINARY_ARRAY = 7
MEMBER_PRIMITIVE_TYPED = 8
MEMBER_REFERENCE = 9
OBJECT_NULL = 10
MESSAGE_END = 11
BINARY_LIBRARY = 12
OBJECT_NULL_MULTIPLE_256 = 13
OBJECT_NULL_MULTIPLE = 14
ARRAY_SINGLE_PRIMITIVE = 15
ARRAY_SINGLE_OBJECT = 16
ARRAY_SINGLE_STRING = 17
METHOD_CALL = 21
METHOD_RETURN = 22

RECORD_NAMES = {
    0: "SerializationHeader",
    1: "ClassWithId",
    2: "SystemClassWithMembers",
    3: "ClassWithMembers",
    4: "SystemClassWithMembersAndTypes",
    5: "ClassWithMembersAndTypes",
    6: "BinaryObjectString",
    7: "BinaryArray",
    8: "MemberPrimitiveTyped",
    9: "MemberReference",
    10: "ObjectNull",
    11: "MessageEnd",
    12: "BinaryLibrary",
    13: "ObjectNullMultiple256",
    14: "ObjectNullMultiple",
    15: "ArraySinglePrimitive",
    16: "ArraySingleObject",
    17: "ArraySingleString",
    21: "MethodCall",
    22: "MethodReturn",
}

_OBJECT_RECORDS = frozenset(range(1, 8)) | frozenset((15, 16, 17))

# --- 2.1.2.2 BinaryTypeEnumeration -------------------------------------------
BT_PRIMITIVE = 0
BT_STRING = 1
BT_OBJECT = 2
BT_SYSTEM_CLASS = 3
BT_CLASS = 4
BT_OBJECT_ARRAY = 5
BT_STRING_ARRAY = 6
BT_PRIMITIVE_ARRAY = 7

# --- 2.1.2.3 PrimitiveTypeEnumeration ----------------------------------------
PT_BOOLEAN = 1
PT_BYTE = 2
PT_CHAR = 3
PT_DECIMAL = 5
PT_DOUBLE = 6
PT_INT16 = 7
PT_INT32 = 8
PT_INT64 = 9
PT_SBYTE = 10
PT_SINGLE = 11
PT_TIMESPAN = 12
PT_DATETIME = 13
PT_UINT16 = 14
PT_UINT32 = 15
PT_UINT64 = 16
PT_NULL = 17
PT_STRING = 18

PRIMITIVE_NAMES = {
    1: "Boolean",
    2: "Byte",
    3: "Char",
    5: "Decimal",
    6: "Double",
    7: "Int16",
    8: "Int32",
    9: "Int64",
    10: "SByte",
    11: "Single",
    12: "TimeSpan",
    13: "DateTime",
    14: "UInt16",
    15: "UInt32",
    16: "UInt64",
    17: "Null",
    18: "String",
}

# Fixed-size primitives: struct format (little-endian) and numpy dtype.
_FIXED = {
    PT_BOOLEAN: ("<B", "u1"),
    PT_BYTE: ("<B", "u1"),
    PT_DOUBLE: ("<d", "<f8"),
    PT_INT16: ("<h", "<i2"),
    PT_INT32: ("<i", "<i4"),
    PT_INT64: ("<q", "<i8"),
    PT_SBYTE: ("<b", "i1"),
    PT_SINGLE: ("<f", "<f4"),
    PT_TIMESPAN: ("<q", "<i8"),
    PT_DATETIME: ("<Q", "<u8"),
    PT_UINT16: ("<H", "<u2"),
    PT_UINT32: ("<I", "<u4"),
    PT_UINT64: ("<Q", "<u8"),
}
_STRUCTS = {pt: struct.Struct(fmt) for pt, (fmt, _) in _FIXED.items()}
# Primitive arrays of these types come back as numpy arrays.
_NUMPY_ARRAY_TYPES = frozenset(
    (PT_BYTE, PT_DOUBLE, PT_INT16, PT_INT32, PT_INT64, PT_SBYTE, PT_SINGLE, PT_UINT16, PT_UINT32, PT_UINT64)
)

_I32 = struct.Struct("<i")
_MAX_ARRAY = 2**31 - 1  # .NET arrays hold at most this many elements
_MAX_RANK = 32  # .NET's limit on array rank


class DateTimeValue(NamedTuple):
    """A .NET DateTime: ``ticks`` (100 ns since 0001-01-01) and ``kind`` (0 unspecified, 1 UTC, 2 local)."""

    ticks: int
    kind: int


class TimeSpanValue(NamedTuple):
    """A .NET TimeSpan: signed ``ticks`` of 100 ns."""

    ticks: int


class NrbfClass:
    """Class metadata as a record describes it (once per class; ``ClassWithId`` reuses it).

    name: the .NET type name; library: the BinaryLibrary name, or None for
    system (mscorlib) classes; member_names: tuple of str; member_types:
    tuple of (BinaryTypeEnum, additional info) per member, or None when the
    record carried no types (records 2 and 3). The additional info is a
    PrimitiveTypeEnum (Primitive, PrimitiveArray), a class name (SystemClass),
    a (class name, library id) pair (Class) or None.
    """

    __slots__ = ("name", "library", "member_names", "member_types", "metadata_id")

    def __init__(
        self,
        name: str,
        library: Optional[str],
        member_names: Tuple[str, ...],
        member_types: Optional[Tuple[Tuple[int, Any], ...]],
        metadata_id: int,
    ) -> None:
        self.name = name
        self.library = library
        self.member_names = member_names
        self.member_types = member_types
        self.metadata_id = metadata_id

    def __repr__(self) -> str:
        return f"NrbfClass({self.name!r}, members={list(self.member_names)})"


class NrbfObject:
    """An instance of a class: ``members`` maps member name to value.

    Values are Python scalars for primitives (int, float, bool, str,
    decimal.Decimal, DateTimeValue, TimeSpanValue), str for strings, None for
    null, or another NrbfObject / NrbfArray. ``offset`` is the byte offset of
    the object's record.
    """

    __slots__ = ("id", "cls", "members", "primitive_types", "offset")

    def __init__(self, id: int, cls: NrbfClass, offset: int) -> None:
        self.id = id
        self.cls = cls
        self.members: Dict[str, Any] = {}
        # member name -> PrimitiveTypeEnum of primitive-valued members
        self.primitive_types: Dict[str, int] = {}
        self.offset = offset

    @property
    def class_name(self) -> str:
        """The .NET type name of the object."""
        return self.cls.name

    @property
    def library(self) -> Optional[str]:
        """The library (assembly) name, or None for system classes."""
        return self.cls.library

    def __getitem__(self, name: str) -> Any:
        return self.members[name]

    def __contains__(self, name: object) -> bool:
        return name in self.members

    def __repr__(self) -> str:
        return f"NrbfObject(id={self.id}, class_name={self.cls.name!r})"


class NrbfArray:
    """An array record (BinaryArray or ArraySingle*).

    kind: BinaryArrayTypeEnum (0 Single, 1 Jagged, 2 Rectangular, 3-5 the
    same with lower bounds); lengths / lower_bounds: one per dimension;
    element_type: (BinaryTypeEnum, additional info) as in NrbfClass.
    ``items`` holds the elements in row-major order: a numpy array for
    numeric primitives, else a list. A list may be shorter than ``length``:
    trailing nulls (a List<T>'s spare capacity) are not materialised, and
    ``arr[i]`` returns None for them.
    """

    __slots__ = ("id", "kind", "lengths", "lower_bounds", "element_type", "items", "length", "offset")

    def __init__(
        self,
        id: int,
        kind: int,
        lengths: Tuple[int, ...],
        lower_bounds: Tuple[int, ...],
        element_type: Tuple[int, Any],
        items: Any,
        length: int,
        offset: int,
    ) -> None:
        self.id = id
        self.kind = kind
        self.lengths = lengths
        self.lower_bounds = lower_bounds
        self.element_type = element_type
        self.items = items
        self.length = length
        self.offset = offset

    @property
    def rank(self) -> int:
        """Number of dimensions."""
        return len(self.lengths)

    @property
    def primitive_type(self) -> Optional[int]:
        """The PrimitiveTypeEnum of the elements, or None for object/string arrays."""
        bt, info = self.element_type
        return info if bt == BT_PRIMITIVE else None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> Any:
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("NrbfArray index out of range")
        return self.items[i] if i < len(self.items) else None

    def __iter__(self) -> Iterator[Any]:
        yield from self.items
        for _ in range(self.length - len(self.items)):
            yield None

    def __repr__(self) -> str:
        return f"NrbfArray(id={self.id}, length={self.length}, element_type={self.element_type})"


class _Ref:
    """A MemberReference not resolved yet."""

    __slots__ = ("id", "offset")

    def __init__(self, id: int, offset: int) -> None:
        self.id = id
        self.offset = offset


class _Nulls:
    """An ObjectNullMultiple(256) record: ``count`` nulls in an array."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


class _Typed:
    """A MemberPrimitiveTyped value with its PrimitiveTypeEnum."""

    __slots__ = ("value", "ptype")

    def __init__(self, value: Any, ptype: int) -> None:
        self.value = value
        self.ptype = ptype


_Buffer = Union[bytes, bytearray, memoryview]


class _Reader:
    """One pass over one stream; see ``read_stream``."""

    def __init__(self, data: _Buffer, limits: Limits, element_id: Optional[str]) -> None:
        if isinstance(data, bytes):
            self.buf = data
        else:
            try:
                view = memoryview(data)  # any buffer; TypeError for str, int, None
            except TypeError:
                raise TypeError(f"stream must be a bytes-like object, not {type(data).__name__}") from None
            self.buf = view.tobytes()
        self.n = len(self.buf)
        self.pos = 0
        self.limits = limits
        self.element_id = element_id
        self.objects: Dict[int, Any] = {}
        self.classes: Dict[int, NrbfClass] = {}
        self.libraries: Dict[int, str] = {}
        self.class_libraries: List[Tuple[int, int]] = []  # (library id, offset) named by member types
        # Interior null runs are materialised; their total is capped (trailing runs are free).
        self.null_budget = limits.max_elements

    # -- errors ---------------------------------------------------------------
    def fail(self, message: str, offset: Optional[int] = None) -> DecodeError:
        return DecodeError(message, offset=self.pos if offset is None else offset, element_id=self.element_id)

    def limit(self, message: str, offset: int) -> LimitError:
        return LimitError(message, offset=offset, element_id=self.element_id)

    # -- primitives -----------------------------------------------------------
    def need(self, k: int, what: str) -> None:
        if k > self.n - self.pos:
            raise self.fail(f"truncated stream: {what} needs {k} bytes, {self.n - self.pos} left")

    def u8(self, what: str) -> int:
        if self.pos >= self.n:
            raise self.fail(f"truncated stream: {what} needs 1 byte, 0 left")
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def i32(self, what: str) -> int:
        self.need(4, what)
        (v,) = _I32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return int(v)

    def count(self, what: str) -> int:
        """A non-negative Int32 count."""
        at = self.pos
        v = self.i32(what)
        if v < 0:
            raise self.fail(f"negative {what} {v}", at)
        return v

    def string(self, what: str) -> str:
        """LengthPrefixedString (2.1.1.6): 7-bit encoded length, then UTF-8."""
        at = self.pos
        length = 0
        for i in range(5):
            b = self.u8(f"length of {what}")
            if i == 4 and b > 0x07:
                raise self.fail(f"bad length prefix of {what}", at)
            length |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                break
        self.need(length, what)
        raw = self.buf[self.pos : self.pos + length]
        try:
            s = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"invalid UTF-8 in {what}", self.pos) from None
        self.pos += length
        return s

    def primitive(self, ptype: int, what: str) -> Any:
        """One value of a PrimitiveTypeEnum (2.1.2.3)."""
        st = _STRUCTS.get(ptype)
        if st is not None:
            self.need(st.size, f"{what} ({PRIMITIVE_NAMES[ptype]})")
            (v,) = st.unpack_from(self.buf, self.pos)
            self.pos += st.size
            if ptype == PT_BOOLEAN:
                return v != 0
            if ptype == PT_DATETIME:
                return DateTimeValue(v & 0x3FFFFFFFFFFFFFFF, v >> 62)
            if ptype == PT_TIMESPAN:
                return TimeSpanValue(v)
            return v
        if ptype == PT_CHAR:
            return self.char(what)
        if ptype == PT_DECIMAL:
            at = self.pos
            text = self.string(f"{what} (Decimal)")
            try:
                return decimal.Decimal(text)
            except decimal.InvalidOperation:
                raise self.fail(f"{what}: bad Decimal {text[:40]!r}", at) from None
        if ptype == PT_STRING:
            return self.string(what)
        raise self.fail(f"{what}: invalid primitive type {ptype}", self.pos)

    def char(self, what: str) -> str:
        """A Char: one UTF-8 encoded character (1 to 4 bytes)."""
        at = self.pos
        lead = self.u8(f"{what} (Char)")
        k = 1 if lead < 0x80 else 2 if lead >> 5 == 0x6 else 3 if lead >> 4 == 0xE else 4 if lead >> 3 == 0x1E else 0
        if k == 0:
            raise self.fail(f"{what}: invalid UTF-8 lead byte {lead:#04x} in Char", at)
        self.need(k - 1, f"{what} (Char)")
        self.pos += k - 1
        try:
            return self.buf[at : self.pos].decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what}: invalid UTF-8 in Char", at) from None

    def primitive_type(self, what: str, *, allow_string: bool = False) -> int:
        at = self.pos
        pt = self.u8(what)
        if pt not in PRIMITIVE_NAMES or pt == PT_NULL or (pt == PT_STRING and not allow_string):
            raise self.fail(f"invalid primitive type {pt} in {what}", at)
        return pt

    # -- structure ------------------------------------------------------------
    def register(self, obj_id: int, obj: Any, at: int, what: str) -> None:
        if obj_id == 0:
            raise self.fail(f"{what} has object id 0", at)
        if obj_id in self.objects:
            raise self.fail(f"duplicate object id {obj_id} in {what}", at)
        self.objects[obj_id] = obj

    def library(self, at: int) -> None:
        lib_id = self.i32("BinaryLibrary id")
        name = self.string("BinaryLibrary name")
        if lib_id in self.libraries:
            raise self.fail(f"duplicate library id {lib_id}", at)
        self.libraries[lib_id] = name

    def type_info(self, bt: int, what: str) -> Any:
        """AdditionalInfo of one BinaryTypeEnum (2.3.1.2)."""
        if bt in (BT_PRIMITIVE, BT_PRIMITIVE_ARRAY):
            return self.primitive_type(f"type of {what}")
        if bt == BT_SYSTEM_CLASS:
            return self.string(f"class name of {what}")
        if bt == BT_CLASS:
            name = self.string(f"class name of {what}")
            at = self.pos
            lib_id = self.i32(f"library id of {what}")
            self.class_libraries.append((lib_id, at))
            return (name, lib_id)
        return None

    def binary_type(self, what: str) -> int:
        at = self.pos
        bt = self.u8(f"binary type of {what}")
        if bt > BT_PRIMITIVE_ARRAY:
            raise self.fail(f"invalid binary type {bt} for {what}", at)
        return bt

    def class_info(self, rt: int, at: int, depth: int) -> NrbfObject:
        """Records 2-5: ClassInfo [MemberTypeInfo] [LibraryId], then the member values."""
        rname = RECORD_NAMES[rt]
        obj_id = self.i32(f"object id of {rname}")
        name = self.string(f"class name of {rname}")
        n = self.count(f"member count of {name}")
        # Each member name takes at least one byte (and each type one more).
        if n > self.n - self.pos:
            raise self.fail(f"member count {n} of {name} exceeds the {self.n - self.pos} bytes left")
        names: List[str] = []
        for i in range(n):
            m = self.string(f"member name {i} of {name}")
            if m in names:
                raise self.fail(f"duplicate member name {m!r} in {name}")
            names.append(m)
        types: Optional[Tuple[Tuple[int, Any], ...]] = None
        if rt in (SYSTEM_CLASS_WITH_MEMBERS_AND_TYPES, CLASS_WITH_MEMBERS_AND_TYPES):
            bts = [self.binary_type(f"{name}.{m}") for m in names]
            types = tuple((bt, self.type_info(bt, f"{name}.{m}")) for bt, m in zip(bts, names))
        library: Optional[str] = None
        if rt in (CLASS_WITH_MEMBERS, CLASS_WITH_MEMBERS_AND_TYPES):
            lat = self.pos
            lib_id = self.i32(f"library id of {name}")
            if lib_id not in self.libraries:
                raise self.fail(f"class {name} names undeclared library id {lib_id}", lat)
            library = self.libraries[lib_id]
        cls = NrbfClass(name, library, tuple(names), types, obj_id)
        obj = NrbfObject(obj_id, cls, at)
        self.register(obj_id, obj, at, f"{rname} {name}")
        self.classes[obj_id] = cls
        self.members(obj, depth)
        return obj

    def class_with_id(self, at: int, depth: int) -> NrbfObject:
        obj_id = self.i32("object id of ClassWithId")
        mat = self.pos
        meta = self.i32("metadata id of ClassWithId")
        cls = self.classes.get(meta)
        if cls is None:
            raise self.fail(f"ClassWithId refers to unknown class metadata id {meta}", mat)
        obj = NrbfObject(obj_id, cls, at)
        self.register(obj_id, obj, at, f"ClassWithId {cls.name}")
        self.members(obj, depth)
        return obj

    def members(self, obj: NrbfObject, depth: int) -> None:
        cls = obj.cls
        for i, name in enumerate(cls.member_names):
            what = f"{cls.name}.{name}"
            if cls.member_types is not None and cls.member_types[i][0] == BT_PRIMITIVE:
                pt = cls.member_types[i][1]
                obj.members[name] = self.primitive(pt, what)
                obj.primitive_types[name] = pt
                continue
            v = self.value(what, depth, in_array=False)
            if isinstance(v, _Typed):
                obj.primitive_types[name] = v.ptype
                v = v.value
            obj.members[name] = v

    def value(self, what: str, depth: int, *, in_array: bool) -> Any:
        """One record in a member or array-element slot (BinaryLibrary records may precede it)."""
        while True:
            at = self.pos
            rt = self.u8(f"record type of {what}")
            if rt == BINARY_LIBRARY:
                self.library(at)
                continue
            if rt == MEMBER_REFERENCE:
                return _Ref(self.i32(f"MemberReference of {what}"), at)
            if rt == OBJECT_NULL:
                return None
            if rt == MEMBER_PRIMITIVE_TYPED:
                pt = self.primitive_type(f"MemberPrimitiveTyped of {what}")
                return _Typed(self.primitive(pt, what), pt)
            if rt in (OBJECT_NULL_MULTIPLE_256, OBJECT_NULL_MULTIPLE):
                if not in_array:
                    raise self.fail(f"{RECORD_NAMES[rt]} outside an array, in {what}", at)
                k = self.u8("null count") if rt == OBJECT_NULL_MULTIPLE_256 else self.i32("null count")
                if k < 1:
                    raise self.fail(f"bad null count {k} in {what}", at)
                return _Nulls(k)
            if rt in _OBJECT_RECORDS:
                return self.record(rt, at, depth + 1)
            raise self.unexpected(rt, at, what)

    def unexpected(self, rt: int, at: int, what: str) -> Exception:
        if rt in (METHOD_CALL, METHOD_RETURN):
            where = f" (element {self.element_id})" if self.element_id is not None else ""
            return UnsupportedError(
                f"{RECORD_NAMES[rt]} record (remoting message) at byte {at}{where}: not an object graph"
            )
        if rt in RECORD_NAMES:
            return self.fail(f"unexpected {RECORD_NAMES[rt]} record reading {what}", at)
        return self.fail(f"unknown record type {rt} (byte {rt:#04x}) reading {what}", at)

    def record(self, rt: int, at: int, depth: int) -> Any:
        """A referenceable record (class, string or array) whose type byte was read at ``at``."""
        if depth > self.limits.max_depth:
            raise self.limit(f"records nested deeper than max_depth={self.limits.max_depth}", at)
        if rt == CLASS_WITH_ID:
            return self.class_with_id(at, depth)
        if rt <= CLASS_WITH_MEMBERS_AND_TYPES:
            return self.class_info(rt, at, depth)
        if rt == BINARY_OBJECT_STRING:
            obj_id = self.i32("object id of BinaryObjectString")
            s = self.string("BinaryObjectString")
            self.register(obj_id, s, at, "BinaryObjectString")
            return s
        return self.array(rt, at, depth)

    def array(self, rt: int, at: int, depth: int) -> NrbfArray:
        rname = RECORD_NAMES[rt]
        obj_id = self.i32(f"object id of {rname}")
        lower: Tuple[int, ...] = (0,)
        if rt == BINARY_ARRAY:
            kat = self.pos
            kind = self.u8("BinaryArrayTypeEnum")
            if kind > 5:
                raise self.fail(f"invalid BinaryArrayTypeEnum {kind}", kat)
            rat = self.pos
            rank = self.i32("rank of BinaryArray")
            if not 1 <= rank <= _MAX_RANK or (kind in (0, 1, 3, 4) and rank != 1):
                raise self.fail(f"invalid rank {rank} of BinaryArray (kind {kind})", rat)
            self.need(4 * rank * (2 if kind >= 3 else 1), "lengths of BinaryArray")
            lengths = tuple(self.count("length of BinaryArray") for _ in range(rank))
            if kind >= 3:
                lower = tuple(self.i32("lower bound of BinaryArray") for _ in range(rank))
            else:
                lower = (0,) * rank
            bt = self.binary_type("BinaryArray elements")
            etype: Tuple[int, Any] = (bt, self.type_info(bt, "BinaryArray elements"))
        else:
            kind = 0
            lengths = (self.count(f"length of {rname}"),)
            if rt == ARRAY_SINGLE_PRIMITIVE:
                etype = (BT_PRIMITIVE, self.primitive_type("ArraySinglePrimitive elements"))
            elif rt == ARRAY_SINGLE_OBJECT:
                etype = (BT_OBJECT, None)
            else:
                etype = (BT_STRING, None)
        total = 1
        for k in lengths:
            total *= k
        if total > _MAX_ARRAY:
            raise self.fail(f"{rname} of {total} elements is larger than .NET allows", at)
        arr = NrbfArray(obj_id, kind, lengths, lower, etype, [], total, at)
        self.register(obj_id, arr, at, rname)
        if etype[0] == BT_PRIMITIVE:
            arr.items = self.primitive_items(etype[1], total, rname)
        else:
            arr.items = self.record_items(total, rname, depth)
        return arr

    def primitive_items(self, pt: int, total: int, what: str) -> Any:
        fixed = _FIXED.get(pt)
        if fixed is not None:
            size = np.dtype(fixed[1]).itemsize
            self.need(size * total, f"{total} {PRIMITIVE_NAMES[pt]} elements of {what}")
            raw = np.frombuffer(self.buf, dtype=fixed[1], count=total, offset=self.pos)
            self.pos += size * total
            if pt in _NUMPY_ARRAY_TYPES:
                return raw.astype(raw.dtype.newbyteorder("="))
            if pt == PT_BOOLEAN:
                return raw != 0
            if pt == PT_TIMESPAN:
                return [TimeSpanValue(int(v)) for v in raw]
            return [DateTimeValue(int(v) & 0x3FFFFFFFFFFFFFFF, int(v) >> 62) for v in raw]
        # Char and Decimal take at least one byte each.
        if total > self.n - self.pos:
            raise self.fail(f"{total} {PRIMITIVE_NAMES[pt]} elements of {what} exceed the {self.n - self.pos} bytes left")
        return [self.primitive(pt, f"element {i} of {what}") for i in range(total)]

    def record_items(self, total: int, what: str, depth: int) -> List[Any]:
        items: List[Any] = []
        pending = 0  # nulls read but not materialised (free while they stay trailing)
        i = 0
        while i < total:
            at = self.pos
            v = self.value(f"element {i} of {what}", depth, in_array=True)
            if isinstance(v, _Nulls):
                if v.count > total - i:
                    raise self.fail(f"{v.count} nulls overrun {what} at element {i} of {total}", at)
                pending += v.count
                i += v.count
                continue
            if v is None:
                pending += 1
                i += 1
                continue
            if pending:
                self.null_budget -= pending
                if self.null_budget < 0:
                    raise self.limit(f"null runs inside arrays exceed max_elements={self.limits.max_elements}", at)
                items.extend([None] * pending)
                pending = 0
            items.append(v.value if isinstance(v, _Typed) else v)
            i += 1
        return items

    # -- whole stream ---------------------------------------------------------
    def read(self) -> Any:
        rt = self.u8("SerializationHeader")
        if rt != SERIALIZED_STREAM_HEADER:
            if rt in (METHOD_CALL, METHOD_RETURN):
                raise self.unexpected(rt, 0, "the stream start")
            raise self.fail(f"not an MS-NRBF stream: first record type {rt}, expected 0 (SerializationHeader)", 0)
        root_id = self.i32("root id")
        self.i32("header id")
        vat = self.pos
        major = self.i32("major version")
        minor = self.i32("minor version")
        if (major, minor) != (1, 0):
            raise self.fail(f"unsupported MS-NRBF version {major}.{minor}", vat)
        while True:
            at = self.pos
            rt = self.u8("record type")
            if rt == MESSAGE_END:
                break
            if rt == BINARY_LIBRARY:
                self.library(at)
            elif rt in _OBJECT_RECORDS:
                self.record(rt, at, 1)
            else:
                raise self.unexpected(rt, at, "a top-level record")
        if self.pos != self.n:
            raise self.fail(f"{self.n - self.pos} trailing bytes after MessageEnd")
        for lib_id, lat in self.class_libraries:
            if lib_id not in self.libraries:
                raise self.fail(f"member type names undeclared library id {lib_id}", lat)
        self.resolve()
        if root_id not in self.objects:
            raise self.fail(f"root object id {root_id} is not in the stream", 1)
        root = self.objects[root_id]
        self.check_graph(root)
        return root

    def lookup(self, ref: _Ref) -> Any:
        try:
            return self.objects[ref.id]
        except KeyError:
            raise self.fail(f"MemberReference to object id {ref.id}, which the stream does not hold", ref.offset) from None

    def resolve(self) -> None:
        """Replace every MemberReference by its object (forward references included)."""
        for obj in list(self.objects.values()):
            if isinstance(obj, NrbfObject):
                for k, v in obj.members.items():
                    if isinstance(v, _Ref):
                        obj.members[k] = self.lookup(v)
            elif isinstance(obj, NrbfArray) and isinstance(obj.items, list):
                items = obj.items
                for i, v in enumerate(items):
                    if isinstance(v, _Ref):
                        items[i] = self.lookup(v)

    def check_graph(self, root: Any) -> None:
        """Reject reference cycles and graphs deeper than max_depth (iteratively)."""
        max_depth = self.limits.max_depth
        done: Dict[int, bool] = {}
        on_path: Dict[int, Any] = {}
        stack: List[Tuple[Any, Iterator[Any]]] = []

        def children(node: Any) -> Iterator[Any]:
            src = node.members.values() if isinstance(node, NrbfObject) else node.items
            if isinstance(src, np.ndarray):
                return iter(())
            return (c for c in src if isinstance(c, (NrbfObject, NrbfArray)))

        if not isinstance(root, (NrbfObject, NrbfArray)):
            return
        stack.append((root, children(root)))
        on_path[id(root)] = root
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                del on_path[id(node)]
                done[id(node)] = True
                continue
            if id(child) in on_path:
                raise self.fail(f"reference cycle through object id {child.id}", child.offset)
            if id(child) in done:
                continue
            if len(stack) >= max_depth:
                raise self.limit(f"object graph deeper than max_depth={max_depth}", child.offset)
            on_path[id(child)] = child
            stack.append((child, children(child)))


def read_stream(stream: _Buffer, *, limits: Optional[Limits] = None, element_id: Optional[str] = None) -> Any:
    """Read a whole MS-NRBF stream and return its root object (references resolved).

    stream: the bytes (any buffer). The root is usually an ``NrbfObject``;
    see its docstring for how values are represented. Raises DecodeError
    (LimitError past ``limits``) on malformed input, UnsupportedError on a
    remoting message (MethodCall / MethodReturn).
    """
    lim = get_default_limits() if limits is None else limits
    reader = _Reader(stream, lim, element_id)
    try:
        return reader.read()
    except RecursionError:  # only when max_depth is set above Python's own stack
        raise reader.limit("records nested too deeply for the Python stack", reader.pos) from None


# --- CBaseElementPolyeder (design.md §2) -------------------------------------

_ROOT_CLASS = "CBaseElementPolyeder"


class _Mapper:
    """Typed member access with errors that name the member and the object's offset."""

    def __init__(self, element_id: Optional[str], limits: Limits) -> None:
        self.element_id = element_id
        self.limits = limits

    def fail(self, message: str, offset: Optional[int]) -> DecodeError:
        return DecodeError(message, offset=offset, element_id=self.element_id)

    def obj(self, value: Any, what: str, parent: Any) -> NrbfObject:
        if not isinstance(value, NrbfObject):
            raise self.fail(f"{what} is {_describe(value)}, expected an object", _offset(value, parent))
        return value

    def member(self, obj: NrbfObject, name: str, what: str) -> Any:
        if name not in obj.members:
            raise self.fail(f"{what} ({obj.class_name}) has no member {name!r}", obj.offset)
        return obj.members[name]

    def prim(self, obj: NrbfObject, name: str, ptype: int, what: str) -> Any:
        v = self.member(obj, name, what)
        got = obj.primitive_types.get(name)
        if got != ptype:
            kind = PRIMITIVE_NAMES[got] if got is not None else _describe(v)
            raise self.fail(f"{what}.{name} is {kind}, expected {PRIMITIVE_NAMES[ptype]}", obj.offset)
        return v

    def dotnet_list(self, value: Any, what: str, parent: Any) -> Tuple[NrbfArray, int, ListMeta]:
        """A List<T>: (_items, _size, ListMeta(capacity, version)); _size bounds the items used."""
        lst = self.obj(value, what, parent)
        items = self.member(lst, "_items", what)
        size = self.prim(lst, "_size", PT_INT32, what)
        version = self.prim(lst, "_version", PT_INT32, what)
        if not isinstance(items, NrbfArray) or items.rank != 1:
            raise self.fail(f"{what}._items is {_describe(items)}, expected an array", lst.offset)
        if not 0 <= size <= items.length:
            raise self.fail(f"{what}._size {size} outside 0..{items.length} (the capacity)", lst.offset)
        return items, size, ListMeta(items.length, version)

    def primitive_list(self, value: Any, ptype: int, what: str, parent: Any) -> Tuple[np.ndarray, ListMeta]:
        items, size, meta = self.dotnet_list(value, what, parent)
        if items.primitive_type != ptype:
            raise self.fail(f"{what}._items is not an array of {PRIMITIVE_NAMES[ptype]}", items.offset)
        return items.items[:size], meta

    def count_array(self, value: Any, what: str, parent: NrbfObject) -> Optional[CountArray]:
        """CountArray {m_Counter: List<Int32>, m_Values: List<Single>} or null."""
        if value is None:
            return None
        ca = self.obj(value, what, parent)
        counters, cmeta = self.primitive_list(self.member(ca, "m_Counter", what), PT_INT32, f"{what}.m_Counter", ca)
        values, vmeta = self.primitive_list(self.member(ca, "m_Values", what), PT_SINGLE, f"{what}.m_Values", ca)
        return CountArray(counters, values, cmeta, vmeta)

    def polyeder_type(self, root: NrbfObject) -> int:
        """PolyederType is an enum: an inline object {value__: Int32} (a bare Int32 accepted too)."""
        if root.primitive_types.get("type") == PT_INT32:
            return int(root.members["type"])
        t = self.obj(self.member(root, "type", "polyhedron"), "polyhedron.type", root)
        return int(self.prim(t, "value__", PT_INT32, "polyhedron.type"))

    def guid(self, root: NrbfObject) -> str:
        """System.Guid {_a Int32, _b _c Int16, _d.._k Byte} as a lower-case canonical string."""
        g = self.obj(self.member(root, "ID", "polyhedron"), "polyhedron.ID", root)
        a = self.prim(g, "_a", PT_INT32, "polyhedron.ID") & 0xFFFFFFFF
        b = self.prim(g, "_b", PT_INT16, "polyhedron.ID") & 0xFFFF
        c = self.prim(g, "_c", PT_INT16, "polyhedron.ID") & 0xFFFF
        tail = bytes(self.prim(g, f"_{ch}", PT_BYTE, "polyhedron.ID") for ch in "defghijk")
        return f"{a:08x}-{b:04x}-{c:04x}-{tail[:2].hex()}-{tail[2:].hex()}"

    def polyhedron(self, root: Any) -> Polyhedron:
        if not isinstance(root, NrbfObject) or not root.class_name.endswith(_ROOT_CLASS):
            raise self.fail(f"root is {_describe(root)}, expected {_ROOT_CLASS}", _offset(root, None))
        library = root.library or ""

        pitems, n_points, pmeta = self.dotnet_list(self.member(root, "point", "polyhedron"), "polyhedron.point", root)
        points = np.empty((n_points, 3), dtype=np.float64)
        for i in range(n_points):
            p = self.obj(pitems[i], f"point {i}", pitems)
            points[i] = (
                self.prim(p, "x", PT_DOUBLE, f"point {i}"),
                self.prim(p, "y", PT_DOUBLE, f"point {i}"),
                self.prim(p, "z", PT_DOUBLE, f"point {i}"),
            )

        eitems, n_edges, emeta = self.dotnet_list(self.member(root, "edge", "polyhedron"), "polyhedron.edge", root)
        edges = np.empty((n_edges, 2), dtype=np.int32)
        for i in range(n_edges):
            e = self.obj(eitems[i], f"edge {i}", eitems)
            begin = self.prim(e, "begin", PT_INT32, f"edge {i}")
            end = self.prim(e, "end", PT_INT32, f"edge {i}")
            # Wire point indices are 1-based (design.md §2).
            if not (1 <= begin <= n_points and 1 <= end <= n_points):
                raise self.fail(f"edge {i} ({begin}, {end}) names a point outside 1..{n_points}", e.offset)
            edges[i] = (begin - 1, end - 1)

        fitems, n_faces, fmeta = self.dotnet_list(self.member(root, "face", "polyhedron"), "polyhedron.face", root)
        chunks: List[np.ndarray] = []
        offsets = np.zeros(n_faces + 1, dtype=np.int64)
        face_lists = np.zeros((n_faces, 2), dtype=np.int32)
        max_face = self.limits.max_face_size
        for i in range(n_faces):
            f = self.obj(fitems[i], f"face {i}", fitems)
            refs, meta = self.primitive_list(self.member(f, "edges", f"face {i}"), PT_INT32, f"face {i}.edges", f)
            if len(refs) > max_face:
                raise LimitError(
                    f"face {i} has {len(refs)} edge references, more than max_face_size={max_face}",
                    offset=f.offset,
                    element_id=self.element_id,
                )
            mags = np.abs(refs.astype(np.int64))
            bad = np.nonzero((mags < 1) | (mags > n_edges))[0]
            if len(bad):
                raise self.fail(
                    f"face {i} references edge {int(refs[bad[0]])}, outside ±1..{n_edges}", f.offset
                )
            chunks.append(refs.astype(np.int32))
            offsets[i + 1] = offsets[i] + len(refs)
            face_lists[i] = meta
        face_edges = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)

        radius = self.count_array(root.members.get("m_Radius"), "polyhedron.m_Radius", root)
        bending = self.count_array(root.members.get("m_Bendingrolle"), "polyhedron.m_Bendingrolle", root)
        wire = WireInfo(library, pmeta, emeta, fmeta, face_lists)
        return Polyhedron(
            points,
            edges,
            face_edges,
            offsets,
            radius=radius,
            bendingrolle=bending,
            polyeder_type=self.polyeder_type(root),
            id=self.guid(root),
            wire=wire,
        )


def _describe(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, NrbfObject):
        return f"an object of class {v.class_name}"
    if isinstance(v, NrbfArray):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (bool, np.bool_)):
        return "a Boolean"
    if isinstance(v, (int, np.integer)):
        return "an integer"
    if isinstance(v, (float, np.floating)):
        return "a number"
    return f"a {type(v).__name__} value"


def _offset(v: Any, parent: Any) -> Optional[int]:
    for x in (v, parent):
        if isinstance(x, (NrbfObject, NrbfArray)):
            return x.offset
    return None


def parse_polyhedron(
    stream: _Buffer, *, element_id: Optional[str] = None, limits: Optional[Limits] = None
) -> Polyhedron:
    """Decode an MS-NRBF ``CBaseElementPolyeder`` stream into a Polyhedron.

    stream: the gunzipped picture bytes (any buffer). Points come out in the
    element's local frame, mm, Z up; edges 0-based; face edge references
    signed and 1-based as on the wire (design.md §2). ``element_id`` only
    names the element in error messages.
    """
    lim = get_default_limits() if limits is None else limits
    root = read_stream(stream, limits=lim, element_id=element_id)
    return _Mapper(element_id, lim).polyhedron(root)


_B64_BAD = re.compile(rb"[^A-Za-z0-9+/=]")


def _unbase64(picture: Union[str, _Buffer], element_id: Optional[str]) -> bytes:
    if isinstance(picture, str):
        try:
            raw = picture.encode("ascii")
        except UnicodeEncodeError as exc:
            raise DecodeError("non-ASCII character in base64 picture", offset=exc.start, element_id=element_id) from None
    elif isinstance(picture, (bytes, bytearray, memoryview)):
        raw = bytes(picture)
    else:
        raise DecodeError(f"picture is a {type(picture).__name__}, expected str or bytes", element_id=element_id)
    bad = _B64_BAD.search(raw)
    if bad is not None:
        raise DecodeError(
            f"invalid character {raw[bad.start():bad.start() + 1]!r} in base64 picture",
            offset=bad.start(),
            element_id=element_id,
        )
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"bad base64 picture: {exc}", offset=len(raw), element_id=element_id) from None


def _gunzip(data: bytes, limits: Limits, element_id: Optional[str]) -> bytes:
    """One gzip member, inflated to at most ``limits.max_decompressed`` bytes."""
    cap = limits.max_decompressed
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as exc:
        raise DecodeError(f"bad gzip data: {exc}", element_id=element_id) from None
    if len(out) > cap:
        raise LimitError(
            f"gzip picture inflates to more than max_decompressed={cap} bytes", offset=len(out), element_id=element_id
        )
    if not d.eof:
        raise DecodeError("truncated gzip data", offset=len(data), element_id=element_id)
    if d.unused_data:
        raise DecodeError(
            f"{len(d.unused_data)} trailing bytes after the gzip data",
            offset=len(data) - len(d.unused_data),
            element_id=element_id,
        )
    return out


def _compress_mode(compress: Any, element_id: Optional[str]) -> int:
    """design.md §2: None/True/1 gzip, False/0 raw, 2 protobuf-net and 3 glTF unsupported."""
    if compress is None:
        return 1
    if isinstance(compress, bool):
        return int(compress)
    if isinstance(compress, int) and compress in (0, 1):
        return compress
    where = f" (element {element_id})" if element_id is not None else ""
    if isinstance(compress, int) and compress == 2:
        raise UnsupportedError(f"compress=2 (protobuf-net picture) is not supported{where}")
    if isinstance(compress, int) and compress == 3:
        raise UnsupportedError(f"compress=3 (glTF picture) is not supported{where}")
    raise UnsupportedError(f"unknown compress value {compress!r}{where}")


def decode_polyhedron(
    picture: Union[str, _Buffer],
    *,
    compress: Any = 1,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Polyhedron:
    """Decode a meshblob ``picture``: base64 -> gzip -> MS-NRBF -> Polyhedron.

    picture: the base64 text (str or ASCII bytes; strict alphabet, padding
    checked). compress: the geometry's ``compress`` field: None/True/1 gzip,
    False/0 plain MS-NRBF, 2 (protobuf-net) and 3 (glTF) raise
    UnsupportedError. The gunzipped size is capped at
    ``limits.max_decompressed`` (LimitError). Output frame as in
    ``parse_polyhedron``: element-local, mm, Z up.
    """
    mode = _compress_mode(compress, element_id)
    lim = get_default_limits() if limits is None else limits
    raw = _unbase64(picture, element_id)
    if mode == 1:
        raw = _gunzip(raw, lim, element_id)
    elif len(raw) > lim.max_decompressed:
        raise LimitError(
            f"picture of {len(raw)} bytes exceeds max_decompressed={lim.max_decompressed}",
            offset=lim.max_decompressed,
            element_id=element_id,
        )
    return parse_polyhedron(raw, element_id=element_id, limits=lim)


def decode_meshblob(
    picture: Union[str, _Buffer],
    *,
    compress: Any = 1,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Mesh:
    """Decode a meshblob ``picture`` straight to triangles: ``decode_polyhedron`` + triangulation.

    The reference for the compiled ``bimgeo._core.nrbf.decode_meshblob``.
    Mesh: vertices = the polyhedron's points ((n, 3) float64, element-local,
    mm, Z up); faces / face_source from ``bimgeo._pure.triangulate``; a
    wire polyhedron (no faces) gives empty faces and its edges as
    ``lines`` (uint32); rgba from ``m_Radius`` or None; id = ``element_id``
    when given, else the payload's Guid (it also names the element in the
    triangulator's errors); polyeder_type as decoded. Errors: those of
    ``decode_polyhedron``, then the triangulator's.
    """
    from .triangulate import triangulate

    lim = get_default_limits() if limits is None else limits
    poly = decode_polyhedron(picture, compress=compress, element_id=element_id, limits=lim)
    return mesh_from_polyhedron(poly, triangulate, element_id=element_id, limits=lim)


def mesh_from_polyhedron(
    poly: Polyhedron,
    triangulate: Any,
    *,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Mesh:
    """A polyhedron's Mesh, triangulated by ``triangulate`` (a backend's function).

    vertices = the points (shared); a wire polyhedron (no faces) gives empty
    faces and its edges as uint32 ``lines``; id = ``element_id`` when given,
    else ``poly.id`` (it also names the element in triangulation errors).
    """
    mesh_id = element_id if element_id is not None else poly.id
    if poly.n_faces == 0:
        return Mesh(
            poly.points,
            np.zeros((0, 3), dtype=np.uint32),
            np.zeros(0, dtype=np.int32),
            poly.edges.astype(np.uint32),
            rgba=poly.rgba,
            id=mesh_id,
            polyeder_type=poly.polyeder_type,
        )
    faces, face_source = triangulate(
        poly.points, poly.edges, poly.face_edges, poly.face_offsets, element_id=mesh_id, limits=limits
    )
    return Mesh(poly.points, faces, face_source, rgba=poly.rgba, id=mesh_id, polyeder_type=poly.polyeder_type)
