"""Fuzz decode_matrix: base64 of 16 float64 (meshblob), a JSON list of 16 (templates), {"values": [...]} (design.md §3).

byte 0 picks the form: 0 the bytes as base64 text; 1 base64 of the bytes;
2 a list of numbers / odd values drawn from the bytes; 3 {"values": that list};
4 the raw bytes. Checks: only BimgeoError escapes; a result is a finite-shaped
(4, 4) float64 array.
"""
from __future__ import annotations

import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, call, main  # noqa: E402

import numpy as np  # noqa: E402

decode_matrix = getattr(bimgeo, "decode_matrix", None)
if decode_matrix is None:
    try:
        from bimgeo._matrix import decode_matrix
    except ImportError:
        decode_matrix = None
MISSING = [] if decode_matrix is not None else ["decode_matrix"]


def value_of(data: bytes):
    p = Provider(data)
    mode = p.uint(1) % 5
    if mode == 0:
        return p.rest().decode("latin-1")
    if mode == 1:
        return base64.b64encode(p.rest()).decode("ascii")
    if mode == 4:
        return p.rest()
    n = 16 if p.uint(1) < 200 else p.int_in(0, 20)
    values = [p.float() if p.uint(1) < 230 else p.weird() for _ in range(n)]
    return values if mode == 2 else {"values": values}


def TestOneInput(data: bytes) -> None:
    m = call(decode_matrix, value_of(data))
    if m is not None:
        m = np.asarray(m)
        assert m.shape == (4, 4) and m.dtype == np.float64, (m.shape, m.dtype)


if __name__ == "__main__":
    main(TestOneInput, MISSING)
