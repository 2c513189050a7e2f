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
from test_plain_elements import mode, state  # noqa: E402  (shortcuts on/off, the twin; a scene's content)

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


def load_as(response: bytes, how: str) -> Any:
    """The scene state of ``response`` loaded in one of tests/test_plain_elements.py's modes."""
    with mode(how):
        return state(load(response, limits=LIMITS))


def TestOneInput(data: bytes) -> None:
    response = response_of(data)
    if len(THREEJS) < 2 or not hasattr(THREEJS[0], "_geometry_objects"):
        outcome(load, response, limits=LIMITS)
        return
    results: List[Any] = [outcome(load_as, response, how) for how in ("fast", "general", "python")]
    differential("bimgeo.load with and without the compiled shortcuts", results)


if __name__ == "__main__":
    main(TestOneInput, MISSING)
