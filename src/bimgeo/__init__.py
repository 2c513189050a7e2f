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

# --- scenes (issue 4): load, Scene, exports ---

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
        # --- scene names ---
    ]
)
