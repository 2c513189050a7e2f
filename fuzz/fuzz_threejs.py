"""Fuzz decode_faces, the threejs format-3 flag-word stream decoder (design.md §4).

Input layout: byte 0 mode, then table sizes, then the stream.
  mode 0: the stream is an int32 little-endian array
  mode 1: a Python list of ints drawn from the bytes (huge, negative, bool ...)
  mode 2: an int64 array (values past int32)
Checks: only BimgeoError escapes; the twins agree; triangles index existing
vertices and face_source / material are consistent.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, differential, main, outcome, twins  # noqa: E402

import numpy as np  # noqa: E402

THREEJS = twins("threejs")
MISSING = [] if THREEJS else ["threejs.decode_faces"]


def table(p: Provider):
    v = p.uint(1)
    return None if v == 255 else v % 70


def args_of(data: bytes):
    p = Provider(data)
    mode = p.uint(1) % 3
    kw = dict(
        n_uv_layers=p.uint(1) % 5,
        n_normals=table(p),
        n_colors=table(p),
        n_materials=table(p),
        n_uvs=table(p),
    )
    n_vertices = p.uint(2) % 2000
    rest = p.rest()
    if mode == 0:
        faces = np.frombuffer(rest[: len(rest) // 4 * 4], dtype="<i4")
    elif mode == 2:
        faces = np.frombuffer(rest[: len(rest) // 8 * 8], dtype="<i8")
    else:
        q = Provider(rest)
        faces = []
        while q.remaining():
            k = q.uint(1)
            faces.append(
                k % 64 if k < 200 else [-1, 2**31, 2**63, -(2**31) - 1, True, 255, 256, 0, 1, 2, 3, 2**32 + 1][k % 12]
            )
    return faces, n_vertices, kw


def TestOneInput(data: bytes) -> None:
    faces, n_vertices, kw = args_of(data)
    results = [outcome(mod.decode_faces, faces, n_vertices, **kw) for mod in THREEJS]
    if len(results) > 1:
        differential("decode_faces", results)
    if results and results[0][0] == "ok":
        fd = results[0][1]
        tri = np.asarray(fd.triangles)
        assert tri.ndim == 2 and tri.shape[1] == 3
        if tri.size:
            assert int(tri.max()) < n_vertices, "triangle indexes a missing vertex"
        assert len(fd.face_source) == len(tri) == len(fd.material)
        if len(tri):
            assert 0 <= int(np.min(fd.face_source)) and int(np.max(fd.face_source)) < fd.n_faces


if __name__ == "__main__":
    main(TestOneInput, MISSING)
