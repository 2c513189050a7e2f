"""The decoded data: Polyhedron (the meshblob's own structure) and Mesh (triangles).

Frames and units: everything here is in the element's local frame as the
server sends it, millimetres, Z up (design.md §2, §8), unless a docstring
says otherwise. Both backends (compiled ``bimgeo._core`` and pure-Python
``bimgeo._pure``) build these same classes.
"""
from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional, Tuple

import numpy as np
import numpy.typing as npt

__all__ = ["CountArray", "ListMeta", "Mesh", "Polyhedron", "WireInfo"]

RGBA = Tuple[float, float, float, float]

#: The ``lines`` of every decoded mesh without wire edges: one shared, read-only (0, 2) uint32 array.
NO_LINES = np.zeros((0, 2), dtype=np.uint32)
NO_LINES.flags.writeable = False


class ListMeta(NamedTuple):
    """What a .NET ``List<T>`` carries besides its items (design.md §2).

    capacity: length of the backing ``_items`` array (>= the list's size).
    version: the list's ``_version`` counter (BinaryFormatter writes it).
    """

    capacity: int
    version: int


class CountArray:
    """``Nemetschek.NUtilLibrary.CountArray``: paired counters and values.

    For ``m_Radius`` the counters -1..-4 hold R, G, B, A (0..255) and -5 a
    smoothing value (design.md §2).

    counters: (k,) int32; values: (k,) float32;
    counter_meta / value_meta: the two lists' capacity and version.
    """

    __slots__ = ("counters", "values", "counter_meta", "value_meta")

    def __init__(
        self,
        counters: npt.ArrayLike,
        values: npt.ArrayLike,
        counter_meta: Optional[ListMeta] = None,
        value_meta: Optional[ListMeta] = None,
    ) -> None:
        self.counters = np.ascontiguousarray(counters, dtype=np.int32).reshape(-1)
        self.values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        if counter_meta is None:
            counter_meta = ListMeta(_dotnet_capacity(len(self.counters)), len(self.counters))
        if value_meta is None:
            value_meta = ListMeta(_dotnet_capacity(len(self.values)), len(self.values))
        self.counter_meta = ListMeta(*counter_meta)
        self.value_meta = ListMeta(*value_meta)

    def get(self, counter: int) -> Optional[float]:
        """The value paired with ``counter`` (its first occurrence), or None."""
        for c, v in zip(self.counters.tolist(), self.values.tolist()):
            if c == counter:
                return v
        return None

    @property
    def rgba(self) -> Optional[RGBA]:
        """(R, G, B, A) in 0..255 when counters -1..-4 are all present, else None."""
        # One .tolist() each (Python ints / floats), then a dict of first occurrences:
        # the same answer as get() per counter, without looping over numpy scalars.
        first: Dict[int, float] = {}
        for c, v in zip(self.counters.tolist(), self.values.tolist()):
            if c not in first:
                first[c] = v
        try:
            return (first[-1], first[-2], first[-3], first[-4])
        except KeyError:
            return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CountArray):
            return NotImplemented
        return (
            np.array_equal(self.counters, other.counters)
            and np.array_equal(self.values, other.values)
            and self.counter_meta == other.counter_meta
            and self.value_meta == other.value_meta
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pairs = ", ".join(f"{int(c)}: {float(v):g}" for c, v in zip(self.counters, self.values))
        return f"CountArray({{{pairs}}})"


class WireInfo:
    """What re-encoding needs beyond the geometry (design.md §2).

    library: the BinaryLibrary name of PPAttribPictureType3 (its version differs
        between payloads).
    points / edges / faces: ListMeta of the three root lists.
    face_lists: (f, 2) int32, [capacity, version] of each face's List<Int32>.
    """

    __slots__ = ("library", "points", "edges", "faces", "face_lists")

    def __init__(
        self,
        library: str,
        points: ListMeta,
        edges: ListMeta,
        faces: ListMeta,
        face_lists: npt.ArrayLike,
    ) -> None:
        self.library = library
        self.points = ListMeta(*points)
        self.edges = ListMeta(*edges)
        self.faces = ListMeta(*faces)
        self.face_lists = np.ascontiguousarray(face_lists, dtype=np.int32).reshape(-1, 2)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WireInfo):
            return NotImplemented
        return (
            self.library == other.library
            and self.points == other.points
            and self.edges == other.edges
            and self.faces == other.faces
            and np.array_equal(self.face_lists, other.face_lists)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WireInfo(library={self.library!r}, points={self.points}, edges={self.edges}, faces={self.faces})"


DEFAULT_LIBRARY = (
    "PPAttribPictureType3, Version=2011.0.4906.41750, Culture=neutral, PublicKeyToken=null"
)


def _rgba(values: Any) -> RGBA:
    """Four floats from any 4-sequence of numbers (colour components in 0..255)."""
    r, g, b, a = (float(c) for c in values)
    return (r, g, b, a)


def _dotnet_capacity(n: int) -> int:
    """Capacity a .NET List<T> has after n Add() calls: 0, then 4, 8, 16, ..."""
    if n <= 0:
        return 0
    cap = 4
    while cap < n:
        cap *= 2
    return cap


class Polyhedron:
    """A meshblob polyhedron as decoded (``CBaseElementPolyeder``, design.md §2).

    points: (n, 3) float64, element-local, mm, Z up.
    edges: (e, 2) int32, 0-based point indices (the wire's are 1-based).
    face_edges: (k,) int32, signed 1-based edge references exactly as on the
        wire: +j walks edge j-1 begin->end, -j walks it end->begin.
    face_offsets: (f + 1,) int64; face i is face_edges[face_offsets[i]:face_offsets[i+1]].
    radius: the ``m_Radius`` CountArray (colour), or None.
    bendingrolle: the ``m_Bendingrolle`` CountArray, or None.
    polyeder_type: the PolyederType bit flags (int).
    id: the element GUID as a lower-case string.
    wire: WireInfo for byte-exact re-encoding, or None (then defaults are used).
    """

    __slots__ = (
        "points",
        "edges",
        "face_edges",
        "face_offsets",
        "radius",
        "bendingrolle",
        "polyeder_type",
        "id",
        "wire",
    )

    def __init__(
        self,
        points: npt.ArrayLike,
        edges: npt.ArrayLike,
        face_edges: npt.ArrayLike,
        face_offsets: npt.ArrayLike,
        *,
        radius: Optional[CountArray] = None,
        bendingrolle: Optional[CountArray] = None,
        polyeder_type: int = 0x1003,
        id: str = "00000000-0000-0000-0000-000000000000",
        wire: Optional[WireInfo] = None,
    ) -> None:
        self.points = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 3)
        self.edges = np.ascontiguousarray(edges, dtype=np.int32).reshape(-1, 2)
        self.face_edges = np.ascontiguousarray(face_edges, dtype=np.int32).reshape(-1)
        self.face_offsets = np.ascontiguousarray(face_offsets, dtype=np.int64).reshape(-1)
        if len(self.face_offsets) == 0:
            self.face_offsets = np.zeros(1, dtype=np.int64)
        self.radius = radius
        self.bendingrolle = bendingrolle
        self.polyeder_type = int(polyeder_type)
        self.id = str(id)
        self.wire = wire

    @classmethod
    def from_mesh(
        cls,
        vertices: npt.ArrayLike,
        polygons: Any,
        *,
        rgba: Optional[RGBA] = None,
        polyeder_type: int = 0x1003,
        id: Optional[str] = None,
    ) -> "Polyhedron":
        """Build a polyhedron from vertices and polygon loops, as the server would store it.

        vertices: (n, 3) element-local mm, Z up. polygons: one entry per face,
        either a loop of 0-based vertex indices or a list of loops (outer
        boundary and holes). Loops are kept as given: meshblob winding is
        the outer loop clockwise seen from outside (design.md §2, §6).
        Undirected edges are shared between faces (a face refers to an
        edge walked backwards with a negative reference); list capacities
        and versions are what .NET's List.Add leaves. rgba (0..255) goes
        to ``m_Radius`` counters -1..-4; id defaults to the zero GUID.
        """
        from ._encode import polyhedron_from_mesh

        return polyhedron_from_mesh(vertices, polygons, rgba=rgba, polyeder_type=polyeder_type, id=id)

    @property
    def n_faces(self) -> int:
        """Number of faces."""
        return len(self.face_offsets) - 1

    def face(self, i: int) -> npt.NDArray[np.int32]:
        """Signed 1-based edge references of face ``i``."""
        return self.face_edges[self.face_offsets[i] : self.face_offsets[i + 1]]

    @property
    def rgba(self) -> Optional[RGBA]:
        """(R, G, B, A) in 0..255 from ``m_Radius``, or None when it has no colour."""
        return None if self.radius is None else self.radius.rgba

    @property
    def is_wire(self) -> bool:
        """True for a polyhedron with edges but no faces (a polyline, e.g. a bar path)."""
        return self.n_faces == 0 and len(self.edges) > 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Polyhedron):
            return NotImplemented
        return (
            np.array_equal(self.points, other.points)
            and np.array_equal(self.edges, other.edges)
            and np.array_equal(self.face_edges, other.face_edges)
            and np.array_equal(self.face_offsets, other.face_offsets)
            and self.radius == other.radius
            and self.bendingrolle == other.bendingrolle
            and self.polyeder_type == other.polyeder_type
            and self.id == other.id
            and self.wire == other.wire
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Polyhedron(id={self.id!r}, points={len(self.points)}, edges={len(self.edges)}, "
            f"faces={self.n_faces}, rgba={self.rgba}, polyeder_type={self.polyeder_type:#x})"
        )


class Mesh:
    """Triangles with shared vertices.

    vertices: (n, 3) float64 (for a meshblob: the polyhedron's points, local mm Z up).
    faces: (m, 3) uint32, counter-clockwise seen from outside (outward normals).
    face_source: (m,) int32, the source polygon (polyhedron face) of each triangle.
    lines: (k, 2) uint32 vertex index pairs for wire geometry (no faces).
    rgba: (R, G, B, A) in 0..255, or None.
    id: element GUID or None. polyeder_type: int or None.
    """

    __slots__ = ("vertices", "faces", "face_source", "lines", "rgba", "id", "polyeder_type", "__weakref__")

    def __init__(
        self,
        vertices: npt.ArrayLike,
        faces: npt.ArrayLike,
        face_source: Optional[npt.ArrayLike] = None,
        lines: Optional[npt.ArrayLike] = None,
        *,
        rgba: Optional[RGBA] = None,
        id: Optional[str] = None,
        polyeder_type: Optional[int] = None,
    ) -> None:
        self.vertices = np.ascontiguousarray(vertices, dtype=np.float64).reshape(-1, 3)
        self.faces = np.ascontiguousarray(faces, dtype=np.uint32).reshape(-1, 3)
        if face_source is None:
            face_source = np.arange(len(self.faces), dtype=np.int32)
        self.face_source = np.ascontiguousarray(face_source, dtype=np.int32).reshape(-1)
        if lines is None:
            lines = np.zeros((0, 2), dtype=np.uint32)
        self.lines = np.ascontiguousarray(lines, dtype=np.uint32).reshape(-1, 2)
        self.rgba: Optional[RGBA] = None if rgba is None else _rgba(rgba)
        self.id = id
        self.polyeder_type = polyeder_type

    @classmethod
    def _from_arrays(
        cls,
        vertices: npt.NDArray[np.float64],
        faces: npt.NDArray[np.uint32],
        face_source: npt.NDArray[np.int32],
        lines: npt.NDArray[np.uint32],
        rgba: Optional[RGBA],
        id: Optional[str],
        polyeder_type: Optional[int],
    ) -> "Mesh":
        """Internal, no validation: a Mesh from arrays a decoder just made.

        The caller guarantees what ``__init__`` would otherwise enforce:
        vertices (n, 3) float64, faces (m, 3) uint32, face_source (m,) int32,
        lines (k, 2) uint32, all C-contiguous and owned by this mesh; rgba a
        tuple of 4 Python floats or None. Skips the constructor's
        conversions, which cost more than decoding a small element.
        """
        m = object.__new__(cls)
        m.vertices = vertices
        m.faces = faces
        m.face_source = face_source
        m.lines = lines
        m.rgba = rgba
        m.id = id
        m.polyeder_type = polyeder_type
        return m

    @property
    def volume(self) -> float:
        """Signed volume enclosed by the triangles (mm³ for meshblob); positive when closed and outward."""
        if len(self.faces) == 0:
            return 0.0
        v = self.vertices
        # Translate to a vertex for precision far from the origin.
        o = v[0]
        a = v[self.faces[:, 0]] - o
        b = v[self.faces[:, 1]] - o
        c = v[self.faces[:, 2]] - o
        return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)

    @property
    def bounds(self) -> Optional[npt.NDArray[np.float64]]:
        """(2, 3) min/max corner of the vertices used, or None when empty."""
        used = self.used_vertices()
        if len(used) == 0:
            return None
        pts = self.vertices[used]
        return np.stack([pts.min(axis=0), pts.max(axis=0)])

    def used_vertices(self) -> npt.NDArray[np.intp]:
        """Indices of vertices referenced by faces or lines."""
        idx = np.concatenate([self.faces.reshape(-1), self.lines.reshape(-1)]).astype(np.intp)
        return np.unique(idx)

    def is_watertight(self) -> bool:
        """True when every undirected edge is shared by exactly two triangles, in opposite directions."""
        if len(self.faces) == 0:
            return False
        f = self.faces.astype(np.int64)
        e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        n = int(self.vertices.shape[0]) + 1
        directed = e[:, 0] * n + e[:, 1]
        if len(np.unique(directed)) != len(directed):
            return False
        reverse = e[:, 1] * n + e[:, 0]
        return bool(np.isin(reverse, directed).all())

    def transformed(self, matrix: npt.ArrayLike) -> "Mesh":
        """A copy with vertices mapped by a 4x4 affine ``matrix`` (world = M @ [x y z 1]).

        A matrix with negative determinant mirrors; the winding is flipped so
        the faces stay counter-clockwise from outside.
        """
        m = np.asarray(matrix, dtype=np.float64).reshape(4, 4)
        v = self.vertices @ m[:3, :3].T + m[:3, 3]
        faces = self.faces
        if np.linalg.det(m[:3, :3]) < 0:
            faces = faces[:, ::-1]
        return Mesh(v, faces, self.face_source, self.lines, rgba=self.rgba, id=self.id, polyeder_type=self.polyeder_type)

    def to_trimesh(self, **kwargs: Any) -> Any:
        """This mesh as a ``trimesh.Trimesh`` (process=False: vertices kept as they are).

        Needs the optional dependency trimesh. Colour goes to face colours;
        id, polyeder_type and face_source to ``metadata``.
        """
        import trimesh

        tm = trimesh.Trimesh(vertices=self.vertices, faces=self.faces, process=False, **kwargs)
        if self.rgba is not None:
            tm.visual.face_colors = np.round(np.asarray(self.rgba)).astype(np.uint8)  # type: ignore[union-attr]
        tm.metadata.update({"id": self.id, "polyeder_type": self.polyeder_type, "face_source": self.face_source})
        return tm

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mesh):
            return NotImplemented
        return (
            np.array_equal(self.vertices, other.vertices)
            and np.array_equal(self.faces, other.faces)
            and np.array_equal(self.face_source, other.face_source)
            and np.array_equal(self.lines, other.lines)
            and self.rgba == other.rgba
            and self.id == other.id
            and self.polyeder_type == other.polyeder_type
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Mesh(id={self.id!r}, vertices={len(self.vertices)}, faces={len(self.faces)}, "
            f"lines={len(self.lines)}, rgba={self.rgba})"
        )
