"""Fuzz bimgeo.load on whole responses (meshblob and threejs JSON, as bytes).

byte 0 picks the form:
  0: the rest of the bytes are the response (raw JSON bytes)
  1: a spec response (byte 1 picks which) with a few nodes deleted or
     replaced by odd values (type confusion: null ids, strings for arrays,
     huge counts, NaN ...), serialised to bytes
Checks: only BimgeoError escapes (a response with broken elements may
also load with per-element errors recorded, which is fine).
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, call, main, mutate_json  # noqa: E402

load = getattr(bimgeo, "load", None)
MISSING = [] if load is not None else ["load"]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import samples  # noqa: E402

RESPONSES = [samples.spec_samples()[k] for k in ("meshblob_object", "meshblob_discipline", "threejs", "threejs_properties")]
LIMITS = bimgeo.Limits(max_decompressed=1 << 22, max_elements=10_000, max_json_bytes=1 << 24)


def response_of(data: bytes) -> bytes:
    p = Provider(data)
    if p.uint(1) % 2 == 0:
        return p.rest()
    base = RESPONSES[p.uint(1) % len(RESPONSES)]
    return json.dumps(mutate_json(base, p, budget=6), allow_nan=True).encode()


def TestOneInput(data: bytes) -> None:
    call(load, response_of(data), limits=LIMITS)


if __name__ == "__main__":
    main(TestOneInput, MISSING)
