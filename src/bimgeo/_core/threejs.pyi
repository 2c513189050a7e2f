"""Stub of the compiled threejs decoder (twin: bimgeo._pure.threejs)."""
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from .._pure.threejs import FaceData as FaceData
from .._pure.threejs import MAX_UV_LAYERS as MAX_UV_LAYERS
from .._pure.threejs import argb_to_rgba as argb_to_rgba
from .._pure.threejs import matrix_to_zup as matrix_to_zup
from .._pure.threejs import vertices_to_zup as vertices_to_zup

__all__ = [
    "ArrayTable",
    "FaceData",
    "MAX_UV_LAYERS",
    "argb_to_rgba",
    "decode_faces",
    "decode_geometry",
    "matrix_to_zup",
    "parse_response",
    "plain_elements",
    "vertices_to_zup",
]

def decode_faces(
    faces: Any,
    n_vertices: int,
    *,
    n_uv_layers: int = ...,
    n_normals: Optional[int] = ...,
    n_colors: Optional[int] = ...,
    n_materials: Optional[int] = ...,
    n_uvs: Union[None, int, Sequence[int]] = ...,
    element_id: Optional[str] = ...,
) -> FaceData: ...

def decode_geometry(
    geometry: Any, table: Optional[Any] = ..., element_id: Optional[str] = ...
) -> Tuple[npt.NDArray[np.float64], FaceData, Any]: ...

class ArrayTable:
    extracted: int
    used: int
    def resolve(self, value: Any) -> Any: ...
    def vertices(self, value: Any, element_id: Optional[str] = ...) -> npt.NDArray[np.float64]: ...
    def faces(self, value: Any) -> Any: ...

def parse_response(data: Union[bytes, bytearray, memoryview, str]) -> Tuple[Any, ArrayTable]: ...

def plain_elements(
    objects: List[Any],
    start: int,
    stop: int,
    parent: Optional[str],
    table: Any,
    colors: Any,
    out: List[Any],
    owned: bool,
) -> int: ...
def _plain_in_place() -> bool: ...
def _geometry_objects(on: bool) -> bool: ...
