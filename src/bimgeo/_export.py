"""Scene output: the writer registry, the file dispatcher and the trimesh bridge.

Writers (``export_glb``, ``export_obj``) take a Scene and options and return
bytes, or a dict {file name: bytes} when one format makes several files
(obj + mtl). ``export_scene`` picks the writer from ``format`` or the file
suffix and puts the result on disk atomically (``_io``) or into a binary
file object.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from ._glb import FLOAT32_MAX, _segment_minmax, _stack_matrices, element_extras, element_rgba, export_glb, frame_transform
from ._io import atomic_write_many
from ._obj import export_obj

__all__ = ["EXPORTERS", "drop_unwritable", "export_scene", "scene_to_trimesh", "unwritable"]

Writer = Callable[..., Union[bytes, Dict[str, bytes]]]

EXPORTERS: Dict[str, Writer] = {"glb": export_glb, "obj": export_obj}


def unwritable(scene: Any, format: str = "glb", units: str = "m", up: str = "y") -> List[Tuple[Any, str]]:
    """The elements ``format`` cannot hold, each with the reason, in scene order.

    A non-finite matrix, or coordinates that are not finite once placed
    (world, mm: the matrix applied to the mesh's bounding box); for glb
    also an element wider than its float32 positions hold (3.4e38 output
    units, half that here to stay clear of rounding), before or after its
    matrix; for obj world coordinates past 1e307 (near float64's end, where
    the writer's own arithmetic may overflow). The writers raise
    ValueError on such an element; ``bimgeo convert`` reports it and writes
    the rest (``drop_unwritable``). Bounding boxes only, all elements at
    once: the box of an affinely mapped box is centre ``A c + t``,
    half-extents ``|A| h``, and it holds every mapped point.
    """
    scale, _ = frame_transform(units, up)
    elements = list(scene)
    out: Dict[int, str] = {}
    if not elements:
        return []
    mats = _stack_matrices([e.matrix for e in elements])
    finite_m = np.isfinite(mats).reshape(len(elements), -1).all(axis=1)
    for i in np.flatnonzero(~finite_m).tolist():
        out[i] = "its matrix is not finite"
    # one bounding box per distinct mesh, from one pass over all their vertices
    slot: Dict[int, int] = {}
    meshes: List[Any] = []
    rows: List[int] = []
    which: List[int] = []
    for i, e in enumerate(elements):
        mesh = e.mesh
        if mesh is None or len(mesh.vertices) == 0 or i in out:
            continue
        k = slot.get(id(mesh))
        if k is None:
            k = slot[id(mesh)] = len(meshes)
            meshes.append(mesh.vertices)
        rows.append(i)
        which.append(k)
    if rows:
        counts = np.fromiter(map(len, meshes), dtype=np.intp, count=len(meshes))
        lo, hi = _segment_minmax(np.concatenate(meshes), counts)
        lo, hi = lo[which], hi[which]
        A = mats[rows, :3, :3]
        t = mats[rows, :3, 3]
        with np.errstate(over="ignore", invalid="ignore"):
            half = hi * 0.5 - lo * 0.5
            centre = lo * 0.5 + hi * 0.5
            w_centre = np.einsum("nij,nj->ni", A, centre) + t
            w_half = np.einsum("nij,nj->ni", np.abs(A), half)
            finite = (np.isfinite(lo) & np.isfinite(hi) & np.isfinite(w_centre) & np.isfinite(w_half)).all(axis=1)
            if format == "glb":
                span = 2.0 * np.maximum(half.max(axis=1), w_half.max(axis=1))
                bad = finite & ~(span * 0.5 * scale <= FLOAT32_MAX / 2)
            else:
                reach = (np.abs(w_centre) + w_half).max(axis=1)
                bad = finite & ~(reach * scale <= 1e307)
        for j in np.flatnonzero(~finite).tolist():
            out[rows[j]] = "its coordinates are not finite once placed"
        for j in np.flatnonzero(bad).tolist():
            if format == "glb":
                out[rows[j]] = f"it spans {float(span[j]):.3g} mm, more than glb's float32 positions hold"
            else:
                out[rows[j]] = f"its coordinates reach {float(reach[j]):.3g} mm"
    return [(elements[i], out[i]) for i in sorted(out)]


def drop_unwritable(scene: Any, format: str = "glb", units: str = "m", up: str = "y") -> int:
    """Move the elements ``unwritable`` names from ``scene`` to ``scene.errors``; returns how many."""
    from ._scene import ElementError

    bad = unwritable(scene, format, units, up)
    if bad:
        gone = {id(e) for e, _ in bad}
        scene.elements = [e for e in scene.elements if id(e) not in gone]
        scene._index = None
        for e, why in bad:
            msg = f"element {e.id}: cannot be written to {format}: {why}"
            scene.errors.append(ElementError(e.id, e.type, msg, ValueError(msg)))
    return len(bad)


def _format_of(file: Any, format: Optional[str]) -> str:
    if format is None:
        name = file if isinstance(file, (str, os.PathLike)) else getattr(file, "name", None)
        if not isinstance(name, (str, os.PathLike)):
            raise ValueError(f"cannot tell the format of {file!r}: pass format=, one of {sorted(EXPORTERS)}")
        format = os.path.splitext(os.fspath(name))[1].lstrip(".")
    key = format.lower().lstrip(".")
    if key not in EXPORTERS:
        raise ValueError(f"unknown export format {format!r}; known formats: {', '.join(sorted(EXPORTERS))}")
    return key


def export_scene(scene: Any, file: Any, format: Optional[str] = None, **options: Any) -> None:
    """Write ``scene`` to a path (atomically) or a writable binary file object.

    format: "glb" or "obj"; None takes it from the path's suffix (or the file
    object's ``name``). options go to the writer (glb: units, up, normals,
    crease_angle, instancing; obj: units, up, precision, materials). Both
    default to Y up, metres (design.md §8).

    obj to a path writes ``<stem>.obj`` and ``<stem>.mtl`` beside it (both
    staged first, the mtl renamed into place before the obj). obj to a file
    object writes the obj alone, without materials (``materials=True``
    there is a ValueError: the mtl would have nowhere to go).

    Raises ValueError for an unknown format (listing the known ones) or bad
    options. A failing writer leaves no file behind and a pre-existing file
    unchanged.
    """
    key = _format_of(file, format)
    writer = EXPORTERS[key]
    is_path = isinstance(file, (str, os.PathLike))
    if key == "obj":
        if is_path:
            options["filename"] = os.path.basename(os.fspath(file))
        else:
            if options.get("materials", False):
                raise ValueError("obj with materials makes two files (.obj + .mtl): give a path, or pass materials=False")
            options["materials"] = False
    result = writer(scene, **options)
    if is_path:
        path = os.fspath(file)
        if isinstance(result, dict):
            directory = os.path.dirname(path)
            main = os.path.basename(path)
            # referenced files first, the main file last
            ordered = {os.path.join(directory, n): d for n, d in result.items() if n != main}
            ordered[path] = result[main]
            atomic_write_many(ordered)
        else:
            atomic_write_many({path: result})
        return
    if isinstance(result, dict):
        if len(result) != 1:
            raise ValueError(f"format {key!r} makes {len(result)} files: give a path")
        result = next(iter(result.values()))
    file.write(result)


def scene_to_trimesh(scene: Any, *, units: str = "mm", up: str = "z") -> Any:
    """The scene as a ``trimesh.Scene`` (needs trimesh).

    Frame: the internal one by default (Z up, millimetres; ``units="m"``,
    ``up="y"`` convert like the glb writer). One graph node per element,
    named by its id, child of the base frame, carrying the element's
    local->world matrix and metadata {id, type, name, parent, rgba,
    template}. Elements that share one Mesh (templates) with the same colour
    share one geometry, named by the template id (else the mesh id, else
    ``mesh_<k>``). Wire meshes (lines, no faces) become ``Path3D``;
    elements without geometry are nodes without geometry.
    """
    import trimesh

    scale_factor, axes = frame_transform(units, up)
    frame = np.eye(4)
    frame[:3, :3] = scale_factor * axes
    out = trimesh.Scene()
    if units == "mm":
        out.units = "mm"
    elif units == "m":
        out.units = "m"
    geom_names: Dict[Any, str] = {}
    base = out.graph.base_frame
    for e in scene:
        rgba = element_rgba(e)
        metadata = dict(element_extras(e, rgba), id=e.id)
        matrix = frame @ (np.eye(4) if e.matrix is None else e.matrix)
        mesh = e.mesh
        geometry_name: Optional[str] = None
        if mesh is not None and len(mesh.vertices):
            key = (id(mesh), rgba)
            geometry_name = geom_names.get(key)
            if geometry_name is None:
                stem = e.template or mesh.id or f"mesh_{len(geom_names)}"
                geometry_name = stem
                k = 1
                while geometry_name in out.geometry:
                    geometry_name = f"{stem}_{k}"
                    k += 1
                out.geometry[geometry_name] = _to_trimesh_geometry(mesh, rgba)
                geom_names[key] = geometry_name
        kwargs: Dict[str, Any] = {"matrix": matrix, "metadata": metadata}
        if geometry_name is not None:
            kwargs["geometry"] = geometry_name
        out.graph.update(frame_to=e.id, frame_from=base, **kwargs)  # type: ignore[no-untyped-call]
    return out


def _to_trimesh_geometry(mesh: Any, rgba: Any) -> Any:
    import trimesh

    if len(mesh.faces) == 0 and len(mesh.lines):
        path = trimesh.load_path(mesh.vertices[mesh.lines.astype(np.intp)])
        if rgba is not None:
            path.colors = np.tile(np.round(np.asarray(rgba)).astype(np.uint8), (len(path.entities), 1))
        path.metadata.update({"id": mesh.id})
        return path
    tm = mesh.to_trimesh()
    if rgba is not None and rgba != mesh.rgba:
        tm.visual.face_colors = np.round(np.asarray(rgba)).astype(np.uint8)
    return tm
