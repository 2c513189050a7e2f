"""bimgeo: decode Bimplus BIM geometry into meshes you can render.

Frames: decoded meshblob geometry is element-local, millimetres, Z up;
threejs input is world Y-up and is brought into the internal world Z-up
frame; glb output is Y-up metres by default (design.md §8).
"""
from __future__ import annotations

from ._backend import IMPLEMENTATION
from ._errors import BimgeoError, DecodeError, LimitError, UnsupportedError
from ._limits import Limits, get_default_limits, set_default_limits
from ._model import CountArray, ListMeta, Mesh, Polyhedron, WireInfo

# --- codec (issue 3): meshblob, matrices, polymesh, encoder ---
from ._encode import encode_nrbf, encode_polyhedron
from ._matrix import decode_matrix, encode_matrix
from ._meshblob import decode_polyhedron, parse_polyhedron
from ._pure.nrbf import read_stream as read_nrbf

# --- meshing and polymesh ---
from ._meshing import decode_meshblob, triangulate
from ._polymesh import decode_polymesh, encode_polymesh

# --- scenes (issue 4): load, Scene, exports ---
from ._load import load
from ._scene import Element, ElementError, Scene

__version__ = "0.1.0"

__all__ = sorted(
    [
        "IMPLEMENTATION",
        "BimgeoError",
        "CountArray",
        "DecodeError",
        "LimitError",
        "Limits",
        "ListMeta",
        "Mesh",
        "Polyhedron",
        "UnsupportedError",
        "WireInfo",
        "get_default_limits",
        "set_default_limits",
        # --- codec names ---
        "decode_matrix",
        "decode_polyhedron",
        "encode_matrix",
        "encode_nrbf",
        "encode_polyhedron",
        "parse_polyhedron",
        "read_nrbf",
        "decode_meshblob",
        "decode_polymesh",
        "encode_polymesh",
        "triangulate",
        # --- scene names ---
        "Element",
        "ElementError",
        "Scene",
        "load",
    ]
)
