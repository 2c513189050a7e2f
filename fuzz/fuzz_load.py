"""Fuzz bimgeo.load on whole responses (meshblob and threejs JSON, as bytes).

byte 0 picks the form:
  0: the rest of the bytes are the response (raw JSON bytes)
  1: a spec response (byte 1 picks which) with a few nodes deleted or
     replaced by odd values (type confusion: null ids, strings for arrays,
     huge counts, NaN ...), serialised to bytes
  2: a small threejs response of boxes (tests/test_load.py's generator,
     byte 1 the seed) mutated the same way: the compiled shortcuts' ground
Checks: only BimgeoError escapes (a response with broken elements may
also load with per-element errors recorded, which is fine); the compiled
shortcuts for threejs responses (parse_response's geometry placeholders,
threejs.plain_elements) give the same scene as the general path and as the
pure-Python twin.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, differential, main, mutate_json, outcome, twins  # noqa: E402

load = getattr(bimgeo, "load", None)
MISSING = [] if load is not None else ["load"]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import samples  # noqa: E402
from test_load import synthetic_response  # noqa: E402

RESPONSES = [samples.spec_samples()[k] for k in ("meshblob_object", "meshblob_discipline", "threejs", "threejs_properties")]
LIMITS = bimgeo.Limits(max_decompressed=1 << 22, max_elements=10_000, max_json_bytes=1 << 24)
THREEJS = twins("threejs")


def response_of(data: bytes) -> bytes:
    p = Provider(data)
    form = p.uint(1) % 3
    if form == 0:
        return p.rest()
    if form == 1:
        base = RESPONSES[p.uint(1) % len(RESPONSES)]
    else:
        base = synthetic_response(3, seed=p.uint(1), mix="boxes")
    return json.dumps(mutate_json(base, p, budget=6), allow_nan=True).encode()


def _arr(a: Any) -> Any:
    return None if a is None else (a.dtype.str, a.shape, a.tobytes())


def _mesh(m: Any) -> Any:
    if m is None:
        return None
    return (_arr(m.vertices), _arr(m.faces), _arr(m.face_source), _arr(m.lines), m.rgba, m.id, m.polyeder_type)


def scene_state(scene: Any) -> Any:
    """Everything a scene holds, as plain comparable values (repr for attributes: NaN-safe)."""
    elements = [
        (e.id, e.type, e.name, e.parent, _arr(e.matrix), _mesh(e.mesh), e.rgba, e.template, repr(e.attributes), e.children)
        for e in scene
    ]
    errors = [(x.id, x.type, x.message) for x in scene.errors]
    return elements, errors, repr(scene.info), {k: _mesh(v) for k, v in scene.templates.items()}


def load_as(response: bytes, how: str) -> Any:
    """The scene state of ``response`` loaded with the compiled shortcuts, without them, or by the twin."""
    from bimgeo import _backend

    compiled = THREEJS[0]
    plain = compiled.plain_elements
    active = _backend._active["threejs"]
    was = compiled._geometry_objects(how == "shortcuts")
    try:
        if how == "general":
            compiled.plain_elements = lambda objects, start, *rest: start
        _backend._active["threejs"] = THREEJS[-1] if how == "twin" else compiled
        return scene_state(load(response, limits=LIMITS))
    finally:
        compiled.plain_elements = plain
        compiled._geometry_objects(was)
        _backend._active["threejs"] = active


def TestOneInput(data: bytes) -> None:
    response = response_of(data)
    if len(THREEJS) < 2 or not hasattr(THREEJS[0], "_geometry_objects"):
        outcome(load, response, limits=LIMITS)
        return
    results: List[Any] = [outcome(load_as, response, how) for how in ("shortcuts", "general", "twin")]
    differential("bimgeo.load with and without the compiled shortcuts", results)


if __name__ == "__main__":
    main(TestOneInput, MISSING)
