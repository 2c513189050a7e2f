"""Scene-side speed: loading threejs responses, glb export of a loaded building, end-to-end convert.

    python -m pytest benchmarks/bench_scenes.py --benchmark-only
    python -m pytest benchmarks/bench_scenes.py --benchmark-disable   # each once (CI: the suite does not rot)
    BIMGEO_BENCH_LARGE=1 python -m pytest benchmarks/bench_scenes.py --benchmark-only   # + the 50,000-element convert

Groups (pytest-benchmark prints each side by side; ``benchmarks/report.py``
prints the ratios, goals in benchmarks/README.md):

- ``load-threejs``: ``bimgeo.load(bytes)`` (compiled core and the pure twin)
  and ``bimgeo._core.threejs.parse_response`` against ``json.loads`` and
  ``orjson.loads`` of the same bytes: a 2,000-element threejs response
  (``scenes.threejs_bytes``; 17-digit coordinates in ``load-threejs-long``).
- ``export-glb-building``: ``export_glb`` against trimesh's glb export of the
  same Scene, the 2,000-element mixed building loaded from its chunk files
  (the synthetic scene's pair is in bench_export.py, group ``export-glb``).
- ``convert``: ``python -m bimgeo convert CHUNKS... -o out.glb`` in a child
  process, 2,000 elements (50,000 with ``BIMGEO_BENCH_LARGE=1``); the
  child's peak RSS, elements/s, input MB/s and triangles/s go to the
  benchmark's ``extra_info`` (``--benchmark-json``).
"""
from __future__ import annotations

import importlib
import json
import os
from typing import Any, Dict

import pytest

import scenes as S

import bimgeo
from bimgeo import _backend
from bimgeo._glb import export_glb

N = 2000


def _impl(name: str) -> Any:
    try:
        return importlib.import_module(f"bimgeo.{name}.threejs")
    except ImportError:
        pytest.skip(f"bimgeo.{name}.threejs not available")


@pytest.fixture(scope="module")
def threejs_data() -> bytes:
    return S.threejs_bytes(N)


@pytest.fixture(scope="module")
def threejs_data_long() -> bytes:
    return S.threejs_bytes(N, digits="long")


@pytest.fixture(scope="module")
def building_2000() -> Dict[str, Any]:
    return S.cached_building(N)


# -- load-threejs --------------------------------------------------------------


@pytest.mark.benchmark(group="load-threejs")
def test_bench_load_threejs(benchmark, threejs_data, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(_backend._active, "threejs", _impl("_core"))
    scene = benchmark(bimgeo.load, threejs_data)
    assert len(scene) == N and not scene.errors


@pytest.mark.benchmark(group="load-threejs")
def test_bench_load_threejs_pure(benchmark, threejs_data, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(_backend._active, "threejs", _impl("_pure"))
    scene = benchmark.pedantic(bimgeo.load, (threejs_data,), rounds=3, iterations=1)
    assert len(scene) == N and not scene.errors


@pytest.mark.benchmark(group="load-threejs")
def test_bench_parse_response(benchmark, threejs_data):  # type: ignore[no-untyped-def]
    benchmark(_impl("_core").parse_response, threejs_data)


@pytest.mark.benchmark(group="load-threejs")
def test_bench_json_loads(benchmark, threejs_data):  # type: ignore[no-untyped-def]
    benchmark(json.loads, threejs_data)


@pytest.mark.benchmark(group="load-threejs")
def test_bench_orjson_loads(benchmark, threejs_data):  # type: ignore[no-untyped-def]
    orjson = pytest.importorskip("orjson")
    benchmark(orjson.loads, threejs_data)


@pytest.mark.benchmark(group="load-threejs-long")
def test_bench_load_threejs_long(benchmark, threejs_data_long, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(_backend._active, "threejs", _impl("_core"))
    benchmark(bimgeo.load, threejs_data_long)


@pytest.mark.benchmark(group="load-threejs-long")
def test_bench_json_loads_long(benchmark, threejs_data_long):  # type: ignore[no-untyped-def]
    benchmark(json.loads, threejs_data_long)


# -- export-glb-building ---------------------------------------------------------


@pytest.fixture(scope="module")
def building_scene(building_2000):  # type: ignore[no-untyped-def]
    return bimgeo.load(building_2000["paths"])


@pytest.mark.benchmark(group="export-glb-building")
def test_bench_building_export_glb(benchmark, building_scene):  # type: ignore[no-untyped-def]
    data = benchmark(export_glb, building_scene)
    assert data[:4] == b"glTF"


@pytest.mark.benchmark(group="export-glb-building")
def test_bench_building_trimesh_glb(benchmark, building_scene):  # type: ignore[no-untyped-def]
    pytest.importorskip("trimesh")
    tscene = building_scene.to_trimesh()
    benchmark(tscene.export, file_type="glb")


# -- convert ----------------------------------------------------------------------


@pytest.mark.benchmark(group="convert")
@pytest.mark.parametrize(
    "n",
    [
        N,
        pytest.param(
            50_000,
            marks=pytest.mark.skipif(not os.environ.get("BIMGEO_BENCH_LARGE"), reason="set BIMGEO_BENCH_LARGE=1 (about a minute)"),
        ),
    ],
)
def test_bench_convert(benchmark, n, tmp_path):  # type: ignore[no-untyped-def]
    meta = S.cached_building(n)
    out = str(tmp_path / "out.glb")
    runs = []

    def run() -> None:
        runs.append(S.convert(meta["paths"], out))

    benchmark.pedantic(run, rounds=3, iterations=1)
    wall = min(r["wall_s"] for r in runs)
    benchmark.extra_info.update(
        elements=n,
        input_bytes=meta["bytes"],
        output_bytes=runs[-1]["out_bytes"],
        triangles=meta["triangles"],
        peak_rss=max(r["peak_rss"] for r in runs),
        elements_per_s=n / wall,
        input_mb_per_s=meta["bytes"] / wall / 1e6,
        triangles_per_s=meta["triangles"] / wall,
    )
