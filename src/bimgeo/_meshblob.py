"""Public meshblob decoders: dispatch to the active backend (``bimgeo._backend``).

The compiled ``bimgeo._core.nrbf`` and its twin ``bimgeo._pure.nrbf`` do
the work; both return the same Polyhedron and raise the same errors.
"""
from __future__ import annotations

from typing import Optional, Union

from . import _backend
from ._limits import Limits
from ._model import Polyhedron

__all__ = ["decode_polyhedron", "parse_polyhedron"]

Buffer = Union[bytes, bytearray, memoryview]


def parse_polyhedron(
    stream: Buffer, *, element_id: Optional[str] = None, limits: Optional[Limits] = None
) -> Polyhedron:
    """Decode an MS-NRBF stream (a gunzipped meshblob picture) into a Polyhedron.

    Points come out element-local, mm, Z up; edges 0-based; face edge
    references signed and 1-based as on the wire (design.md §2).
    ``element_id`` names the element in errors. Raises DecodeError (or
    LimitError past ``limits``) on malformed input.
    """
    return _backend.get("nrbf").parse_polyhedron(stream, element_id=element_id, limits=limits)  # type: ignore[no-any-return]


def decode_polyhedron(
    picture: Union[str, Buffer],
    *,
    compress: Union[bool, int, None] = True,
    element_id: Optional[str] = None,
    limits: Optional[Limits] = None,
) -> Polyhedron:
    """Decode a meshblob ``picture`` (base64 of gzip of MS-NRBF) into a Polyhedron.

    compress: the geometry's ``compress`` field (None/True/1 gzip, False/0
    none; 2 protobuf-net and 3 glTF raise UnsupportedError). The inflated
    size is capped by ``limits.max_decompressed``. Output frame as in
    ``parse_polyhedron``; apply the element's ``matrix`` for world coordinates.
    """
    return _backend.get("nrbf").decode_polyhedron(  # type: ignore[no-any-return]
        picture, compress=compress, element_id=element_id, limits=limits
    )
