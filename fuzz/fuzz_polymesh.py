"""Fuzz decode_polymesh, the create-object ``geometry.mesh`` JSON (design.md §6).

byte 0 picks the form:
  0: the bytes as JSON text (bytes)    1: the bytes as str (UTF-8, replaced)
  2: a structured polymesh: Color, Vertices and count-prefixed Faces drawn from the bytes
  3: the spec example with some nodes replaced by odd values (type confusion)
Checks: only BimgeoError escapes; triangles index existing vertices.
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, call, has_backend, main, mutate_json  # noqa: E402

import numpy as np  # noqa: E402

decode_polymesh = getattr(bimgeo, "decode_polymesh", None)
if decode_polymesh is None:
    try:
        from bimgeo._polymesh import decode_polymesh
    except ImportError:
        decode_polymesh = None
MISSING = [n for n, ok in (("decode_polymesh", decode_polymesh is not None), ("triangulate", has_backend("triangulate"))) if not ok]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
try:
    import samples

    SPEC = json.loads(samples.polymesh_text())
except Exception:  # noqa: BLE001 - package data missing: mode 3 degrades to mode 2
    SPEC = None


def structured(p: Provider):
    nv = p.int_in(0, 12)
    verts = [p.float() if p.uint(1) < 40 else float(p.int_in(-5, 5) * 1000) for _ in range(3 * nv + p.int_in(0, 1) * p.int_in(0, 2))]
    faces = []
    for _ in range(p.int_in(0, 8)):
        n = p.int_in(-1, 8) if p.uint(1) < 30 else p.int_in(3, 6)
        faces.append(n)
        faces.extend(p.int_in(-2, nv + 1) for _ in range(max(0, n) if p.uint(1) > 10 else p.int_in(0, 3)))
    out = {"Color": p.choice([4278255360, -1, 0, 2**32, 2**40, 1.5, None]), "Vertices": verts, "Faces": faces}
    return json.dumps(out, allow_nan=True)


def value_of(data: bytes):
    p = Provider(data)
    mode = p.uint(1) % 4
    if mode == 0:
        return p.rest()
    if mode == 1:
        return p.rest().decode("utf-8", "replace")
    if mode == 3 and SPEC is not None:
        v = mutate_json(SPEC, p)
        return v if p.uint(1) % 2 else json.dumps(v)
    return structured(p)


def TestOneInput(data: bytes) -> None:
    mesh = call(decode_polymesh, value_of(data))
    if mesh is not None and len(mesh.faces):
        assert int(np.max(mesh.faces)) < len(mesh.vertices), "triangle indexes a missing vertex"


if __name__ == "__main__":
    main(TestOneInput, MISSING)
