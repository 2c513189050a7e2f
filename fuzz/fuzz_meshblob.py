"""Fuzz decode_polyhedron / decode_meshblob on pictures, compress 0 and 1.

The first input byte picks how the rest becomes a picture:
  0: the bytes are the picture text itself (base64 alphabet errors, padding)
  1: base64(gzip(rest)), compress=1   (gzip + NRBF path)
  2: base64(rest), compress=1         (corrupt gzip members)
  3: base64(rest), compress=0         (plain NRBF)
  4: the bytes as picture, compress given by byte 2 (0..3, True, False, None, odd values)
Checks: only BimgeoError escapes; the twins agree.
"""
from __future__ import annotations

import base64
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, call, differential, has_backend, main, outcome, twins  # noqa: E402

NRBF = twins("nrbf")
MISSING = [] if NRBF else ["nrbf.decode_polyhedron"]
LIMITS = bimgeo.Limits(max_decompressed=1 << 22, max_face_size=1 << 16)
COMPRESS = [0, 1, 2, 3, True, False, None, -1, 4, 1.0, "1", 2**70]


def picture_of(data: bytes):
    p = Provider(data)
    mode = p.uint(1) % 5
    if mode == 4:
        compress = COMPRESS[p.uint(1) % len(COMPRESS)]
        raw = p.rest()
        return (raw if len(raw) % 2 else raw.decode("latin-1")), compress
    rest = p.rest()
    if mode == 0:
        return rest.decode("latin-1"), 1
    if mode == 1:
        return base64.b64encode(gzip.compress(rest, mtime=0)).decode("ascii"), 1
    if mode == 2:
        return base64.b64encode(rest), 1
    return base64.b64encode(rest).decode("ascii"), 0


def TestOneInput(data: bytes) -> None:
    picture, compress = picture_of(data)
    results = [outcome(mod.decode_polyhedron, picture, compress=compress, limits=LIMITS) for mod in NRBF]
    if len(results) > 1:
        differential("decode_polyhedron", results)
    decode_meshblob = getattr(bimgeo, "decode_meshblob", None)
    if decode_meshblob is not None and has_backend("triangulate"):
        call(decode_meshblob, picture, compress=compress, limits=LIMITS)


if __name__ == "__main__":
    main(TestOneInput, MISSING)
