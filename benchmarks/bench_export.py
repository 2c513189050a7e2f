"""Export speed: bimgeo's glb/obj writers against trimesh's glb export of the same scene.

Run as a script (prints CPU times and the ratio)::

    python benchmarks/bench_export.py [n_elements] [rounds]

or through pytest-benchmark::

    python -m pytest benchmarks/bench_export.py --benchmark-only

The synthetic scene (seeded): ``n`` elements (2,000 by default) placed on a
grid 75 km from the origin, mm, Z up; 80 % own meshes (prisms of 8..48
sides), 20 % instances of 5 template meshes; colours from a 12-entry
palette, some transparent. trimesh exports ``scene.to_trimesh()`` (the same
elements, nodes and shared template geometry).
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import pytest

from bimgeo._glb import export_glb
from bimgeo._model import Mesh
from bimgeo._obj import export_obj
from bimgeo._scene import Element, Scene


def prism(sides: int, radius: float, height: float) -> Mesh:
    """Closed n-gon prism, counter-clockwise from outside (2n vertices, 4n - 4 triangles)."""
    a = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros(sides)], axis=1)
    v = np.concatenate([ring, ring + (0.0, 0.0, height)])
    i = np.arange(sides)
    j = (i + 1) % sides
    side = np.concatenate([np.stack([i, j, j + sides], 1), np.stack([i, j + sides, i + sides], 1)])
    k = np.arange(1, sides - 1)
    bottom = np.stack([np.zeros_like(k), k + 1, k], 1)
    top = np.stack([np.full_like(k, sides), k + sides, k + 1 + sides], 1)
    return Mesh(v, np.concatenate([side, bottom, top]).astype(np.uint32))


def synthetic_scene(n: int = 2000, seed: int = 0) -> Scene:
    rng = np.random.default_rng(seed)
    palette = [tuple(float(c) for c in rng.integers(0, 256, 3)) + (255.0 if k % 4 else 128.0,) for k in range(12)]
    templates = [prism(int(s), 150.0, 600.0) for s in (6, 8, 12, 16, 24)]
    elements: List[Element] = []
    for i in range(n):
        m = np.eye(4)
        a = rng.uniform(0, 2 * np.pi)
        m[:2, :2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
        m[:3, 3] = (7.5e7 + (i % 50) * 5000.0, 7.5e7 + (i // 50) * 5000.0, 0.0)
        rgba = palette[int(rng.integers(0, len(palette)))]
        if i % 5 == 0:
            t = int(rng.integers(0, len(templates)))
            elements.append(Element(f"e{i}", type="Column", template=f"T{t}", mesh=templates[t], matrix=m, rgba=rgba))
        else:
            mesh = prism(int(rng.integers(8, 49)), float(rng.uniform(100, 2000)), float(rng.uniform(200, 3000)))
            elements.append(Element(f"e{i}", type="Wall", name=f"Wall {i}", mesh=mesh, matrix=m, rgba=rgba))
    return Scene(elements)


def timings(fn: Callable[[], object], repeat: int) -> List[float]:
    """CPU seconds (process_time) of ``repeat`` calls: less sensitive than wall time to a busy machine."""
    out = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def main(argv: List[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 2000
    rounds = int(argv[2]) if len(argv) > 2 else 5
    scene = synthetic_scene(n)
    import trimesh

    tscene = scene.to_trimesh()
    cases: Dict[str, Callable[[], object]] = {
        "bimgeo export_glb": lambda: export_glb(scene),
        "bimgeo export_glb normals=smooth": lambda: export_glb(scene, normals="smooth"),
        "bimgeo export_glb instancing": lambda: export_glb(scene, instancing=True),
        "bimgeo export_obj": lambda: export_obj(scene),
        "trimesh Scene.export(glb)": lambda: tscene.export(file_type="glb"),
        "bimgeo scene_to_trimesh": lambda: scene.to_trimesh(),
    }
    results: Dict[str, List[float]] = {k: [] for k in cases}
    for _ in range(rounds):  # interleaved, so load changes hit every case alike
        for name, fn in cases.items():
            results[name].extend(timings(fn, 3 if "bimgeo export_glb" == name else 1))
    print(f"scene: {n} elements, {scene.n_triangles} triangles; trimesh {trimesh.__version__}; numpy {np.__version__}")
    print(f"{'':34s} {'min':>9s} {'median':>9s}  (CPU ms)")
    for name, ts in results.items():
        print(f"{name:34s} {min(ts) * 1e3:9.1f} {statistics.median(ts) * 1e3:9.1f}")
    ours, theirs = results["bimgeo export_glb"], results["trimesh Scene.export(glb)"]
    print(
        f"glb speed-up over trimesh: {min(theirs) / min(ours):.1f}x (min/min), "
        f"{statistics.median(theirs) / statistics.median(ours):.1f}x (median/median)"
    )


def glb_candidates(n: int = 2000) -> Dict[str, Callable[[], object]]:
    """The glb comparison as callables, for ``benchmarks/report.py``'s ``compare``:
    ratio = t["trimesh glb"] / t["bimgeo glb"] (goal >= 10x)."""
    scene = synthetic_scene(n)
    tscene = scene.to_trimesh()
    return {"bimgeo glb": lambda: export_glb(scene), "trimesh glb": lambda: tscene.export(file_type="glb")}


# -- pytest-benchmark entry points: python -m pytest benchmarks/bench_export.py --benchmark-only
@pytest.fixture(scope="module")
def export_scene_2000() -> Scene:
    return synthetic_scene()


@pytest.mark.benchmark(group="export-glb")
def test_bench_export_glb(benchmark, export_scene_2000):  # type: ignore[no-untyped-def]
    benchmark(export_glb, export_scene_2000)


@pytest.mark.benchmark(group="export-glb")
def test_bench_trimesh_glb(benchmark, export_scene_2000):  # type: ignore[no-untyped-def]
    tscene = export_scene_2000.to_trimesh()
    benchmark(tscene.export, file_type="glb")


@pytest.mark.benchmark(group="export-obj")
def test_bench_export_obj(benchmark, export_scene_2000):  # type: ignore[no-untyped-def]
    benchmark(export_obj, export_scene_2000)


if __name__ == "__main__":
    main(sys.argv)
