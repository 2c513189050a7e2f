"""Scene model: elements with ids, types, names, matrices and shared meshes.

Frame: the internal world frame is the server's, Z up, millimetres, float64
(design.md §8). ``Element.mesh`` is in the element's local frame and
``Element.matrix`` maps it to world (world = M · [x y z 1]ᵀ); for threejs
input the mesh is already world (matrix None). Template instances share one
``Mesh`` object: nothing is copied per instance.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._model import RGBA, Mesh, _rgba

__all__ = ["Element", "ElementError", "Scene"]

#: An element's ``parent`` when it has none.
NULL_GUID = "00000000-0000-0000-0000-000000000000"
#: What the id of a virtual element (an opening, ...) ends with; its parent is its first related object.
VIRTUAL_MARK = "-0000-0000-0000-000000000000"


class Element:
    """One element of a response.

    id: GUID string. type: element type ("Wall", ...). name: general.name.
    parent: parent GUID or None. matrix: (4, 4) float64 local->world (Z up,
    mm) or None for identity. mesh: Mesh in the local frame, or None for an
    element without geometry. rgba: (R, G, B, A) in 0..255 or None.
    template: the template id when the mesh is a shared template mesh.
    attributes: the response's other attributes (quantity, general, ...).
    children: ids of child elements (tree responses).
    """

    # ``children`` is made on first use: most elements have none, and an
    # empty list per element was a tenth of loading a small one.
    __slots__ = ("id", "type", "name", "parent", "matrix", "mesh", "rgba", "template", "attributes", "_children")

    def __init__(
        self,
        id: str,
        *,
        type: Optional[str] = None,
        name: Optional[str] = None,
        parent: Optional[str] = None,
        matrix: Optional[npt.ArrayLike] = None,
        mesh: Optional[Mesh] = None,
        rgba: Optional[RGBA] = None,
        template: Optional[str] = None,
        attributes: Optional[Dict[str, Any]] = None,
        children: Optional[List[str]] = None,
    ) -> None:
        self.id = id
        self.type = type
        self.name = name
        self.parent = parent
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float64).reshape(4, 4)
        self.mesh = mesh
        self.rgba: Optional[RGBA] = None if rgba is None else _rgba(rgba)
        self.template = template
        self.attributes = {} if attributes is None else attributes
        self._children = children

    @classmethod
    def _from_values(
        cls,
        id: str,
        type: Optional[str],
        name: Optional[str],
        parent: Optional[str],
        matrix: Optional[npt.NDArray[np.float64]],
        mesh: Optional[Mesh],
        rgba: Optional[RGBA],
        template: Optional[str],
        attributes: Dict[str, Any],
    ) -> "Element":
        """Internal, no validation: matrix already (4, 4) float64 or None, rgba a float tuple or None."""
        e = object.__new__(cls)
        e.id = id
        e.type = type
        e.name = name
        e.parent = parent
        e.matrix = matrix
        e.mesh = mesh
        e.rgba = rgba
        e.template = template
        e.attributes = attributes
        e._children = None
        return e

    @property
    def children(self) -> List[str]:
        """ids of the child elements (tree responses); an empty list when there are none."""
        kids = self._children
        if kids is None:
            kids = self._children = []
        return kids

    @children.setter
    def children(self, value: List[str]) -> None:
        self._children = value

    def world_mesh(self) -> Optional[Mesh]:
        """The mesh in world coordinates (Z up, mm): a new Mesh, or the shared one when matrix is None."""
        if self.mesh is None:
            return None
        if self.matrix is None:
            return self.mesh
        return self.mesh.transformed(self.matrix)

    @property
    def bounds(self) -> Optional[npt.NDArray[np.float64]]:
        """(2, 3) world-space min/max corner of the geometry, or None."""
        mesh = self.world_mesh()
        return None if mesh is None else mesh.bounds

    def __repr__(self) -> str:
        return f"Element(id={self.id!r}, type={self.type!r}, name={self.name!r}, mesh={self.mesh!r})"


class ElementError:
    """An element that could not be decoded: its id, type, and why."""

    __slots__ = ("id", "type", "message", "exception")

    def __init__(self, id: Optional[str], type: Optional[str], message: str, exception: Optional[BaseException] = None) -> None:
        self.id = id
        self.type = type
        self.message = message
        self.exception = exception

    def __repr__(self) -> str:
        return f"ElementError(id={self.id!r}, type={self.type!r}, message={self.message!r})"


class Scene:
    """Elements loaded from one or more responses (chunks).

    Iterating yields elements in input order. ``errors`` lists the elements
    that failed to decode (nothing is dropped silently). ``templates`` maps
    template id to its shared Mesh. ``info`` keeps response-level data
    (viewbox, colors, counts) of the first chunk.
    """

    def __init__(
        self,
        elements: Optional[Iterable[Element]] = None,
        *,
        templates: Optional[Dict[str, Mesh]] = None,
        errors: Optional[List[ElementError]] = None,
        info: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.elements: List[Element] = list(elements or [])
        self.templates: Dict[str, Mesh] = dict(templates or {})
        self.errors: List[ElementError] = list(errors or [])
        self.info: Dict[str, Any] = dict(info or {})
        self._index: Optional[Dict[str, int]] = None

    # -- container protocol -------------------------------------------------
    def __len__(self) -> int:
        return len(self.elements)

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def __getitem__(self, id: str) -> Element:
        if self._index is None or len(self._index) != len(self.elements):
            self._index = {e.id: i for i, e in enumerate(self.elements)}
        return self.elements[self._index[id]]

    def __contains__(self, id: object) -> bool:
        try:
            self[id]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def add(self, element: Element) -> None:
        """Append an element."""
        self.elements.append(element)

    def extend(self, other: "Scene") -> None:
        """Append another scene's elements, templates and errors (chunks)."""
        self.elements.extend(other.elements)
        self.templates.update(other.templates)
        self.errors.extend(other.errors)
        for k, v in other.info.items():
            self.info.setdefault(k, v)

    # -- selection ----------------------------------------------------------
    def select(self, *, type: Union[str, Sequence[str], None] = None, ids: Optional[Iterable[str]] = None) -> "Scene":
        """A new Scene with the elements of the given type(s) and/or ids (meshes shared, not copied)."""
        types = None if type is None else ({type} if isinstance(type, str) else set(type))
        idset = None if ids is None else set(ids)
        keep = [
            e
            for e in self.elements
            if (types is None or e.type in types) and (idset is None or e.id in idset)
        ]
        return Scene(keep, templates=self.templates, info=self.info)

    @property
    def types(self) -> Dict[str, int]:
        """Element count per type."""
        out: Dict[str, int] = {}
        for e in self.elements:
            key = e.type or ""
            out[key] = out.get(key, 0) + 1
        return out

    # -- geometry -----------------------------------------------------------
    @property
    def n_triangles(self) -> int:
        """Triangles over all elements (instances counted once each)."""
        return sum(len(e.mesh.faces) for e in self.elements if e.mesh is not None)

    @property
    def bounds(self) -> Optional[npt.NDArray[np.float64]]:
        """(2, 3) world-space min/max corner over all elements (Z up, mm), or None."""
        lo: Optional[npt.NDArray[np.float64]] = None
        hi: Optional[npt.NDArray[np.float64]] = None
        for e in self.elements:
            b = e.bounds
            if b is None:
                continue
            lo = b[0] if lo is None else np.minimum(lo, b[0])
            hi = b[1] if hi is None else np.maximum(hi, b[1])
        if lo is None or hi is None:
            return None
        return np.stack([lo, hi])

    def merged(self) -> Tuple[Mesh, npt.NDArray[np.int32]]:
        """All elements in one world-space Mesh (Z up, mm), and the element index of each triangle."""
        verts: List[npt.NDArray[np.float64]] = []
        faces: List[npt.NDArray[np.uint32]] = []
        lines: List[npt.NDArray[np.uint32]] = []
        owner: List[npt.NDArray[np.int32]] = []
        base = 0
        for i, e in enumerate(self.elements):
            m = e.world_mesh()
            if m is None:
                continue
            verts.append(m.vertices)
            faces.append(m.faces + np.uint32(base))
            lines.append(m.lines + np.uint32(base))
            owner.append(np.full(len(m.faces), i, dtype=np.int32))
            base += len(m.vertices)
        if not verts:
            return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.uint32)), np.zeros(0, dtype=np.int32)
        mesh = Mesh(np.concatenate(verts), np.concatenate(faces), lines=np.concatenate(lines))
        return mesh, np.concatenate(owner)

    # -- output -------------------------------------------------------------
    def export(self, file: Any, format: Optional[str] = None, **options: Any) -> None:
        """Write the scene to a path or binary file object; format from the suffix when None.

        glb: Y up, metres by default (``units="mm"``, ``up="z"`` to keep the
        server's frame). obj: a group per element, materials by colour.
        Paths are written atomically (temp file + rename).
        """
        from ._export import export_scene

        export_scene(self, file, format=format, **options)

    def to_trimesh(self) -> Any:
        """This scene as a ``trimesh.Scene`` (node names = element ids, metadata attached)."""
        from ._export import scene_to_trimesh

        return scene_to_trimesh(self)

    def __repr__(self) -> str:
        return f"Scene(elements={len(self.elements)}, templates={len(self.templates)}, errors={len(self.errors)})"
