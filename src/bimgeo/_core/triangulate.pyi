"""Stub of the compiled triangulation (twin: bimgeo._pure.triangulate)."""
from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

from .._limits import Limits

__all__ = ["triangulate", "triangulate_polygons"]

def triangulate(
    points: npt.ArrayLike,
    edges: npt.ArrayLike,
    face_edges: npt.ArrayLike,
    face_offsets: npt.ArrayLike,
    *,
    element_id: Optional[str] = ...,
    limits: Optional[Limits] = ...,
) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]: ...
def triangulate_polygons(
    points: npt.ArrayLike,
    indices: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    loop_offsets: Optional[npt.ArrayLike] = ...,
    clockwise_outer: bool = ...,
    element_id: Optional[str] = ...,
    limits: Optional[Limits] = ...,
) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32]]: ...
