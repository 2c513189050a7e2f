"""Wavefront obj + mtl writer (design.md §8).

Frame: like the glb writer, Y up and metres by default (world (x, y, z) in
mm, Z up -> (x, z, -y) / 1000), ``units="mm"`` / ``up="z"`` to keep the
server's frame; obj has no instancing, so every element's vertices are
written in that output frame (template meshes transformed per element,
mirroring matrices get their winding flipped so faces stay counter-
clockwise from outside).

Layout: a header comment, ``mtllib <stem>.mtl``, then per element
``o <id>`` and ``g <id>`` (whitespace in ids replaced by ``_``), its ``v``
lines, ``usemtl <material>`` and its ``f`` (triangles) and ``l`` (wire
segments) lines with 1-based global vertex indices. Elements without
geometry keep their ``o``/``g`` lines, so no element is lost. Materials are
deduplicated by RGBA: ``Kd`` = rgb / 255, ``d`` = alpha / 255; elements
without colour use ``default`` (grey).
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ._glb import DEFAULT_RGBA, _matrices, check_mesh, element_rgba, frame_transform

__all__ = ["export_obj"]

_WS = re.compile(r"\s+")


def _name(text: Any) -> str:
    return _WS.sub("_", str(text)) or "_"


def _rows(template: str, array: np.ndarray) -> str:
    """One formatted line per row; the format string is repeated and applied once (no per-row Python)."""
    if len(array) == 0:
        return ""
    return (template * len(array)) % tuple(array.ravel().tolist())


def export_obj(
    scene: Any,
    *,
    units: str = "m",
    up: str = "y",
    precision: int = 6,
    materials: bool = True,
    filename: str = "scene.obj",
) -> Dict[str, bytes]:
    """The scene as {"<stem>.obj": bytes, "<stem>.mtl": bytes} (UTF-8 text).

    units: "m" (default) or "mm"; up: "y" (default, world (x, y, z) Z up ->
    (x, z, -y)) or "z". precision: decimals of vertex coordinates (6: a
    micrometre in metres). materials: False writes no mtl, ``mtllib`` or
    ``usemtl`` (one file: {"<stem>.obj": bytes}). filename: the obj's file
    name; the mtl is named after its stem.
    Raises ValueError on bad options or invalid meshes.
    """
    scale_factor, axes = frame_transform(units, up)
    precision = int(precision)
    if not 0 <= precision <= 17:
        raise ValueError(f"precision must be in 0..17, not {precision}")
    stem = os.path.splitext(os.path.basename(filename))[0] or "scene"
    mtl_name = f"{stem}.mtl"
    vfmt = "v " + " ".join([f"%.{precision}f"] * 3) + "\n"

    mat_names: Dict[Tuple[float, ...], str] = {}
    out: List[str] = [f"# bimgeo obj: units {units}, {up.upper()} up\n"]
    if materials:
        out.append(f"mtllib {mtl_name}\n")
    elements = list(scene)
    mats = _matrices(elements)
    if not np.isfinite(mats).all():
        bad = int(np.flatnonzero(~np.isfinite(mats).reshape(len(elements), -1).all(axis=1))[0])
        raise ValueError(f"element {elements[bad].id!r}: non-finite matrix")
    to_out = scale_factor * axes
    linear = to_out @ mats[:, :3, :3]  # output = S R (A v + t)
    offset = mats[:, :3, 3] @ to_out.T
    with np.errstate(over="ignore"):  # a determinant past float64 still has its sign
        mirror = (np.linalg.det(mats[:, :3, :3]) < 0).tolist() if len(elements) else []
    checked = set()
    base = 1
    for i, e in enumerate(elements):
        ident = _name(e.id)
        out.append(f"o {ident}\ng {ident}\n")
        mesh = e.mesh
        if mesh is None or len(mesh.vertices) == 0:
            continue
        if id(mesh) not in checked:
            check_mesh(mesh, e.id)
            checked.add(id(mesh))
        faces = mesh.faces[:, ::-1] if mirror[i] else mesh.faces
        with np.errstate(over="ignore", invalid="ignore"):
            world = mesh.vertices @ linear[i].T + offset[i]
        if not np.isfinite(world).all():
            raise ValueError(f"element {e.id!r}: its placement overflows (matrix times coordinates)")
        out.append(_rows(vfmt, world))
        if materials:
            out.append(f"usemtl {_material_name(mat_names, element_rgba(e))}\n")
        if len(faces):
            out.append(_rows("f %d %d %d\n", faces.astype(np.int64) + base))
        if len(mesh.lines):
            out.append(_rows("l %d %d\n", mesh.lines.astype(np.int64) + base))
        base += len(mesh.vertices)
    result = {f"{stem}.obj": "".join(out).encode("utf-8")}
    if materials:
        result[mtl_name] = _mtl(mat_names).encode("utf-8")
    return {k: result[k] for k in sorted(result, key=lambda n: n != f"{stem}.obj")}


def _material_name(names: Dict[Tuple[float, ...], str], rgba: Optional[Tuple[float, ...]]) -> str:
    key = DEFAULT_RGBA if rgba is None else tuple(float(c) for c in rgba)
    name = names.get(key)
    if name is None:
        if rgba is None:
            name = "default"
        else:
            hexa = "".join(f"{min(max(int(round(c)), 0), 255):02x}" for c in key)
            name = f"m{len(names)}_{hexa}"
        names[key] = name
    return name


def _mtl(names: Dict[Tuple[float, ...], str]) -> str:
    lines = ["# bimgeo materials\n"]
    for rgba, name in names.items():
        r, g, b, a = (min(max(c / 255.0, 0.0), 1.0) for c in rgba)
        lines.append(f"newmtl {name}\nKa 0 0 0\nKd {r:.6g} {g:.6g} {b:.6g}\nKs 0 0 0\nd {a:.6g}\nillum 1\n\n")
    return "".join(lines)
