"""Stub of the compiled MS-NRBF / meshblob decoder (twin: bimgeo._pure.nrbf)."""
from typing import Any, Dict, Optional, Union

from .._limits import Limits
from .._model import Mesh, Polyhedron

__all__ = ["decode_meshblob", "decode_polyhedron", "parse_polyhedron"]

_Buffer = Union[bytes, bytearray, memoryview]

RECORD_NAMES: Dict[int, str]
PRIMITIVE_NAMES: Dict[int, str]

def parse_polyhedron(
    stream: _Buffer,
    *,
    element_id: Optional[str] = ...,
    limits: Optional[Limits] = ...,
) -> Polyhedron:
    """Decode an MS-NRBF ``CBaseElementPolyeder`` stream into a Polyhedron.

    Raises DecodeError (LimitError past ``limits``) on malformed input,
    UnsupportedError on a remoting message (MethodCall / MethodReturn).
    """

def decode_polyhedron(
    picture: Union[str, _Buffer],
    *,
    compress: Any = ...,
    element_id: Optional[str] = ...,
    limits: Optional[Limits] = ...,
) -> Polyhedron:
    """Decode a meshblob ``picture``: base64 -> gzip -> MS-NRBF -> Polyhedron.

    compress: None/True/1 gzip, False/0 plain MS-NRBF; 2 and 3 raise
    UnsupportedError. The gunzipped size is capped at
    ``limits.max_decompressed`` (LimitError).
    """

def decode_meshblob(
    picture: Union[str, _Buffer],
    *,
    compress: Any = ...,
    element_id: Optional[str] = ...,
    limits: Optional[Limits] = ...,
) -> Mesh:
    """Decode a meshblob ``picture`` straight to triangles: base64 -> gzip -> MS-NRBF -> Mesh.

    Same result and errors as ``decode_polyhedron`` followed by
    ``bimgeo._core.triangulate.triangulate``, without the intermediate
    Polyhedron. A wire polyhedron (no faces) gives its edges as ``lines``;
    ``id`` is ``element_id`` when given, else the payload's Guid.
    """

# Test hooks (tests/test_nrbf_canonical.py); not part of any public surface.
def _canonical_reader(on: Optional[bool] = ...) -> bool:
    """Whether the canonical reader is tried first; ``on`` switches it (None leaves it)."""

def _reads_canonically(stream: _Buffer, limits: Optional[Limits] = ...) -> bool:
    """Would the canonical reader take ``stream`` under ``limits``?"""

def _slots_in_place() -> bool:
    """Whether result objects get their slots written in place."""
