"""decode_meshblob (picture -> triangles) against unpacking alone, on the same pictures.

Goal: decode_meshblob no slower than stdlib ``gzip.decompress(base64.b64decode(p))``.
Groups: the five spec pictures, a 2,000-element building, a 20,000-sided
prism, a plate with 500 holes, and prisms / plates of growing size.
"""
from __future__ import annotations

import pytest

import workloads as W

WORKLOADS = {
    "spec": lambda: W.spec_pictures(),
    "building2000": lambda: list(W.building(2000)),
    "prism20000": lambda: [W.prism(20000)],
    "plate500holes": lambda: [W.holed_plate(500)],
}
for _n in (100, 1000, 10000, 100000):
    WORKLOADS[f"prism{_n:06d}"] = lambda n=_n: [W.prism(n)]
for _n in (10, 100, 1000, 3000):
    WORKLOADS[f"plate{_n:04d}holes"] = lambda n=_n: [W.holed_plate(n)]

CANDIDATES = {"decode_meshblob": lambda: W.api("decode_meshblob"), "decode_polyhedron": lambda: W.api("decode_polyhedron"), "stdlib_unpack": lambda: W.unpack_stdlib}
CANDIDATES.update({name.replace("+", "_"): (lambda fn=fn: fn) for name, fn in W.unpackers().items()})


def _all(fn, items):
    for x in items:
        fn(x)


@pytest.mark.parametrize("candidate", list(CANDIDATES))
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_decode(benchmark, workload, candidate):
    items = WORKLOADS[workload]()
    benchmark.group = f"meshblob {workload}"
    benchmark(_all, CANDIDATES[candidate](), items)


def test_workload_volumes():
    """The big workloads decode to the exact solids (so nothing above times an error path)."""
    W.check_volume(W.prism(20000), W.prism_volume(20000), rel=1e-6)
    W.check_volume(W.holed_plate(500), W.holed_plate_volume(500))
