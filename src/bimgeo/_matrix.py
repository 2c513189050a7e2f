"""4x4 element matrices in the three forms the API uses (design.md §3).

All three hold the same thing: 16 numbers, row-major, translation at
indices 3, 7, 11, mapping element-local to world: world = M · [x y z 1]ᵀ
(mm, Z up for meshblob; templates use the threejs Y-up frame).

- meshblob ``matrix``: base64 of 16 little-endian float64;
- templates: a JSON list of 16 numbers;
- internal object JSON: ``{"values": [16 numbers]}``.
"""
from __future__ import annotations

import base64
import binascii
import math
import numbers
import re
from typing import Any, Dict, List, Union

import numpy as np
import numpy.typing as npt

from ._errors import DecodeError

__all__ = ["decode_matrix", "encode_matrix"]

_B64_BAD = re.compile(r"[^A-Za-z0-9+/=]")


def _from_base64(text: Union[str, bytes, bytearray]) -> npt.NDArray[np.float64]:
    s = text.decode("ascii", "replace") if isinstance(text, (bytes, bytearray)) else text
    bad = _B64_BAD.search(s)
    if bad is not None:
        raise DecodeError(f"invalid character {s[bad.start()]!r} in base64 matrix", offset=bad.start())
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"bad base64 matrix: {exc}") from None
    if len(raw) != 128:
        raise DecodeError(f"base64 matrix holds {len(raw)} bytes, expected 128 (16 float64)")
    return np.frombuffer(raw, dtype="<f8").astype(np.float64)


def _from_numbers(values: Any) -> npt.NDArray[np.float64]:
    if isinstance(values, np.ndarray):
        if values.size != 16 or values.dtype.kind not in "iuf":
            raise DecodeError(f"matrix array of {values.size} {values.dtype} values, expected 16 numbers")
        return values.astype(np.float64).reshape(16)
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise DecodeError(f"matrix values are a {type(values).__name__}, expected 16 numbers")
    seq = list(values)
    if len(seq) == 4 and all(isinstance(r, (list, tuple)) for r in seq):
        seq = [v for r in seq for v in r]  # nested 4x4 lists
    if len(seq) != 16:
        raise DecodeError(f"matrix has {len(seq)} values, expected 16")
    for i, v in enumerate(seq):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise DecodeError(f"matrix value {i} is {type(v).__name__}, expected a number", offset=i, unit="item")
    return np.array([float(v) for v in seq], dtype=np.float64)


def decode_matrix(value: Any) -> npt.NDArray[np.float64]:
    """A (4, 4) float64 matrix from any of the API's three forms (design.md §3).

    value: a base64 string (or bytes) of 16 little-endian float64, a
    list/tuple/ndarray of 16 numbers (or 4x4), or ``{"values": [...16]}``.
    Row-major, translation in the last column; world = M @ [x, y, z, 1].
    Raises DecodeError for anything else or for non-finite entries.
    """
    if isinstance(value, (str, bytes, bytearray)):
        flat = _from_base64(value)
    elif isinstance(value, dict):
        if "values" not in value:
            raise DecodeError("matrix object has no 'values'")
        flat = _from_numbers(value["values"])
    elif isinstance(value, (list, tuple, np.ndarray)):
        flat = _from_numbers(value)
    else:
        raise DecodeError(f"matrix is a {type(value).__name__}, expected base64, a list of 16 or {{'values': [16]}}")
    bad = np.nonzero(~np.isfinite(flat))[0]
    if len(bad):
        raise DecodeError(f"matrix value {int(bad[0])} is not finite", offset=int(bad[0]), unit="item")
    return flat.reshape(4, 4).copy()


def encode_matrix(m: npt.ArrayLike, form: str = "base64") -> Union[str, List[float], Dict[str, List[float]]]:
    """Encode a 4x4 matrix in one of the API's forms (inverse of ``decode_matrix``).

    form: "base64" (meshblob: 16 little-endian float64, row-major),
    "list" (templates: 16 numbers) or "values" (``{"values": [16]}``).
    """
    arr = np.asarray(m, dtype=np.float64)
    if arr.size != 16:
        raise ValueError(f"matrix must hold 16 values, got {arr.size}")
    flat = arr.reshape(16)
    if form == "base64":
        return base64.b64encode(flat.astype("<f8").tobytes()).decode("ascii")
    values = [float(v) for v in flat]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("matrix values must be finite")
    if form == "list":
        return values
    if form == "values":
        return {"values": values}
    raise ValueError(f"unknown matrix form {form!r} (base64, list or values)")
