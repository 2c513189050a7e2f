"""From polyhedra to triangle meshes: the public ``triangulate`` and ``decode_meshblob``.

Output meshes are in the element's local frame, millimetres, Z up, with
triangles counter-clockwise seen from outside (design.md §2).
"""
from __future__ import annotations

from typing import Optional, Union

from . import _backend
from ._limits import Limits
from ._model import Mesh, Polyhedron
from ._pure.nrbf import mesh_from_polyhedron

__all__ = ["decode_meshblob", "triangulate"]


def triangulate(poly: Polyhedron, *, limits: Optional[Limits] = None, element_id: Optional[str] = None) -> Mesh:
    """Triangulate a decoded polyhedron.

    Returns a Mesh whose ``vertices`` are the polyhedron's points (shared, so a
    closed solid stays watertight; local frame, mm, Z up), ``faces`` (m, 3)
    uint32 counter-clockwise from outside, ``face_source`` the polyhedron face
    of each triangle, and for a wire polyhedron (edges, no faces) its edges
    as ``lines``. Faces may hold several loops (holes, in any order) and be
    non-convex. Raises DecodeError naming the face and element on broken loops.
    ``element_id`` overrides ``poly.id`` as the mesh id and in errors.
    """
    return mesh_from_polyhedron(poly, _backend.get("triangulate").triangulate, element_id=element_id, limits=limits)


def decode_meshblob(
    picture: Union[str, bytes],
    *,
    compress: Union[bool, int, None] = True,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Mesh:
    """Decode a meshblob ``picture`` (base64 of gzip of MS-NRBF) straight to triangles.

    Equivalent to ``triangulate(decode_polyhedron(picture, ...))``: vertices in
    the element's local frame, mm, Z up; apply the element's ``matrix``
    (``decode_matrix``) for world coordinates. ``element_id`` (the id of the
    element in the response) names the element in errors and becomes the
    mesh's ``id``: the payload's own Guid is all zeros in every sample seen.
    """
    # One call into the active backend: the compiled one goes straight from
    # the stream to the Mesh, without building the intermediate Polyhedron.
    mesh: Mesh = _backend.get("nrbf").decode_meshblob(
        picture, compress=compress, element_id=element_id, limits=limits
    )
    return mesh
