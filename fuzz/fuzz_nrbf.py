"""Fuzz parse_polyhedron on raw MS-NRBF streams (then triangulate what parses).

    python fuzz/fuzz_nrbf.py fuzz/corpus/nrbf            # atheris / libFuzzer
    python fuzz/fuzz_nrbf.py --mutate 30 fuzz/corpus/nrbf  # without atheris

Checks: only BimgeoError escapes; the compiled core and the pure-Python twin
agree (same result, or the same error class); inside the compiled core, the
canonical reader and the general reader agree (same result, or the same
error and message); a parsed polyhedron triangulates or raises
BimgeoError, and its triangles index its points.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import ACCEPTED, bimgeo, differential, main, outcome, same, twins  # noqa: E402

import numpy as np  # noqa: E402

NRBF = twins("nrbf")
TRI = twins("triangulate")
MISSING = [] if NRBF else ["nrbf.parse_polyhedron"]
LIMITS = bimgeo.Limits(max_decompressed=1 << 22, max_face_size=1 << 16)


def check_triangulation(poly) -> None:
    results = []
    for mod in TRI:
        results.append(
            outcome(
                mod.triangulate, poly.points, poly.edges, poly.face_edges, poly.face_offsets, element_id=poly.id, limits=LIMITS
            )
        )
    if not results:
        return
    if len(results) > 1:
        differential("triangulate", results)
    if results[0][0] == "ok":
        faces, source = results[0][1]
        assert faces.dtype == np.uint32 and faces.ndim == 2 and faces.shape[1] == 3, faces.dtype
        assert source.shape == (faces.shape[0],) and source.dtype == np.int32
        if faces.size:
            assert int(faces.max()) < len(poly.points), "triangle indexes a missing point"
            assert 0 <= int(source.min()) and int(source.max()) < poly.n_faces, "face_source out of range"


# The compiled core, whose canonical reader (nrbf_canonical.pxi) can be switched off, if built.
CORE = next((m for m in NRBF if hasattr(m, "_canonical_reader")), None)


def general_reader_agrees(data: bytes) -> None:
    """The compiled core with its canonical reader off gives what it gave with it on."""

    def detailed(**kwargs: object) -> object:
        try:
            return ("ok", CORE.parse_polyhedron(data, limits=LIMITS, **kwargs))
        except bimgeo.BimgeoError as exc:
            return ("error", type(exc), str(exc))

    on = detailed()
    was = CORE._canonical_reader(False)
    try:
        off = detailed()
    finally:
        CORE._canonical_reader(was)
    if on[0] != off[0] or not same(on[1:], off[1:]):
        raise AssertionError(f"canonical and general readers disagree: {on!r} != {off!r}")


def TestOneInput(data: bytes) -> None:
    results = [outcome(mod.parse_polyhedron, data, limits=LIMITS) for mod in NRBF]
    if len(results) > 1:
        differential("parse_polyhedron", results)
    if CORE is not None:
        general_reader_agrees(data)
    if results and results[0][0] == "ok":
        check_triangulation(results[0][1])
    # memoryview / bytearray inputs take the same path
    if NRBF and len(data) < 4096:
        r2 = outcome(NRBF[0].parse_polyhedron, memoryview(bytearray(data)), limits=LIMITS)
        if r2[0] != results[0][0] or not same(r2[1], results[0][1]):
            raise AssertionError(f"parse_polyhedron(memoryview) differs from parse_polyhedron(bytes): {r2!r} != {results[0]!r}")


if __name__ == "__main__":
    main(TestOneInput, MISSING)
