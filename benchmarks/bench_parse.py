"""parse_polyhedron against the ``nrbf`` package on the same MS-NRBF streams (goal: >= 200x)."""
from __future__ import annotations

import pytest

import workloads as W

nrbf = pytest.importorskip("nrbf")

STREAMS = {
    "spec": lambda: W.spec_streams(),
    "building200": lambda: list(W.building_streams(2000))[:200],
}


def _all(fn, items):
    for x in items:
        fn(x)


@pytest.mark.parametrize("inputs", sorted(STREAMS))
def test_parse_polyhedron(benchmark, inputs):
    items = STREAMS[inputs]()
    benchmark.group = f"parse {inputs} ({len(items)} streams)"
    benchmark(_all, W.api("parse_polyhedron"), items)


@pytest.mark.parametrize("inputs", sorted(STREAMS))
def test_nrbf_loads(benchmark, inputs):
    items = STREAMS[inputs]()
    benchmark.group = f"parse {inputs} ({len(items)} streams)"
    benchmark(_all, nrbf.loads, items)
