"""Fuzz the glb writer with random valid scenes, and check the container it writes.

The bytes drive a scene: 0..6 elements with random meshes (far from the
origin or not, degenerate triangles, unused vertices, wire lines), shared
meshes (template instances), matrices (identity, rotation + translation,
mirror, shear, singular), colours (or none), odd ids and names; and random
writer options (units, up, normals, crease angle, instancing).

Checks: export_glb returns bytes for every valid scene (no exception at
all); the glb is well formed: header and chunk lengths, 4-byte padding,
JSON parses, every bufferView inside BIN, every accessor inside its view,
indices below the POSITION count, POSITION min/max finite and matching the
data, one node per element plus the root.
"""
from __future__ import annotations

import json
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Provider, bimgeo, main  # noqa: E402

import numpy as np  # noqa: E402

export_glb = getattr(bimgeo, "export_glb", None)
if export_glb is None:
    try:
        from bimgeo._glb import export_glb
    except ImportError:
        export_glb = None
try:
    from bimgeo._scene import Element, Scene
except ImportError:
    Element = Scene = None
MISSING = [n for n, v in (("export_glb", export_glb), ("Scene", Scene)) if v is None]

COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_COUNT = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def random_mesh(p: Provider):
    nv = p.int_in(0, 24)
    far = p.choice([0.0, 0.0, 1e3, 7.5e7, -7.5e7])
    coords = [[far + p.int_in(-4000, 4000) / p.choice([1, 4, 100]) for _ in range(3)] for _ in range(nv)]
    faces = []
    if nv:
        for _ in range(p.int_in(0, 16)):
            faces.append([p.int_in(0, nv - 1) for _ in range(3)])
    lines = []
    if nv and p.uint(1) < 40:
        lines = [[p.int_in(0, nv - 1), p.int_in(0, nv - 1)] for _ in range(p.int_in(1, 4))]
    rgba = None if p.uint(1) < 60 else (p.int_in(0, 255), p.int_in(0, 255), p.int_in(0, 255), p.choice([255, 255, 128, 0]))
    return bimgeo.Mesh(np.array(coords, dtype=np.float64).reshape(-1, 3), np.array(faces, dtype=np.uint32).reshape(-1, 3), lines=np.array(lines, dtype=np.uint32).reshape(-1, 2), rgba=rgba)


def random_matrix(p: Provider):
    kind = p.uint(1) % 7
    if kind == 0:
        return None
    m = np.eye(4)
    if kind in (1, 2, 3):
        a = p.int_in(0, 359) * math.pi / 180
        c, s = math.cos(a), math.sin(a)
        m[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
        if kind == 3:
            m[:3, :3] = m[:3, :3] @ np.diag([1, 1, -1])  # mirror
    elif kind == 4:
        m[0, 1] = p.int_in(-3, 3) / 2  # shear
    elif kind == 5:
        m[2, 2] = 0.0  # singular
    else:
        m[:3, :3] = np.diag([p.int_in(1, 5) / 2, p.int_in(1, 5) / 2, p.int_in(1, 5) / 2])
    m[:3, 3] = [p.int_in(-10**8, 10**8) / 10 for _ in range(3)]
    return m


def scene_of(data: bytes):
    p = Provider(data)
    meshes = [random_mesh(p) for _ in range(p.int_in(1, 3))]
    elements = []
    for i in range(p.int_in(0, 6)):
        mesh = None if p.uint(1) < 20 else p.choice(meshes)
        name = p.choice([None, "", "Wall", "naïve \"quoted\" \u2603", "x" * 300])
        eid = p.choice([f"{i:08d}-0000-4000-8000-000000000000", f"id{i}", f"dup{i % 2}-{i}"])
        elements.append(
            Element(
                eid,
                type=p.choice([None, "Wall", "Slab"]),
                name=name,
                parent=p.choice([None, "root", elements[0].id if elements else None]),
                matrix=random_matrix(p),
                mesh=mesh,
                rgba=None if p.uint(1) < 128 else (p.int_in(0, 255), p.int_in(0, 255), p.int_in(0, 255), p.choice([255, 64])),
                template=p.choice([None, None, "t1"]),
            )
        )
    options = dict(
        units=p.choice(["m", "mm"]),
        up=p.choice(["y", "z"]),
        normals=p.choice([None, "flat", "smooth"]),
        crease_angle=p.choice([0.5, 0.0, 1.4, 3.2]),
        instancing=bool(p.uint(1) % 2),
    )
    return Scene(elements), options


def check_glb(glb: bytes, n_elements: int) -> None:
    assert isinstance(glb, bytes), type(glb)
    magic, version, length = struct.unpack_from("<4sII", glb, 0)
    assert magic == b"glTF" and version == 2 and length == len(glb), (magic, version, length, len(glb))
    jlen, jtype = struct.unpack_from("<II", glb, 12)
    assert jtype == 0x4E4F534A and jlen % 4 == 0 and 20 + jlen <= len(glb)
    doc = json.loads(glb[20 : 20 + jlen].decode("utf-8"))
    pos = 20 + jlen
    binary = b""
    if pos < len(glb):
        blen, btype = struct.unpack_from("<II", glb, pos)
        assert btype == 0x004E4942 and blen % 4 == 0 and pos + 8 + blen == len(glb), (btype, blen)
        binary = glb[pos + 8 : pos + 8 + blen]
        assert doc["buffers"][0]["byteLength"] <= blen
    views = doc.get("bufferViews", [])
    for v in views:
        assert v.get("buffer", 0) == 0
        assert 0 <= v.get("byteOffset", 0) and v.get("byteOffset", 0) + v["byteLength"] <= len(binary), v
    accessors = doc.get("accessors", [])
    for a in accessors:
        v = views[a["bufferView"]]
        size = COMPONENT_SIZE[a["componentType"]] * TYPE_COUNT[a["type"]]
        stride = v.get("byteStride", size)
        end = a.get("byteOffset", 0) + (a["count"] - 1) * stride + size if a["count"] else 0
        assert end <= v["byteLength"], (a, v)
    for mesh in doc.get("meshes", []):
        for prim in mesh["primitives"]:
            pa = accessors[prim["attributes"]["POSITION"]]
            assert pa["componentType"] == 5126 and pa["type"] == "VEC3"
            assert all(math.isfinite(x) for x in pa["min"] + pa["max"]), pa
            v = views[pa["bufferView"]]
            off = v.get("byteOffset", 0) + pa.get("byteOffset", 0)
            data = np.frombuffer(binary, dtype="<f4", count=3 * pa["count"], offset=off).reshape(-1, 3) if v.get("byteStride", 12) == 12 else None
            if data is not None and len(data):
                assert np.allclose(data.min(axis=0), pa["min"]) and np.allclose(data.max(axis=0), pa["max"]), pa
            if "indices" in prim:
                ia = accessors[prim["indices"]]
                iv = views[ia["bufferView"]]
                dt = {5121: "<u1", 5123: "<u2", 5125: "<u4"}[ia["componentType"]]
                idx = np.frombuffer(binary, dtype=dt, count=ia["count"], offset=iv.get("byteOffset", 0) + ia.get("byteOffset", 0))
                assert not len(idx) or int(idx.max()) < pa["count"], "index past POSITION count"
    nodes = doc.get("nodes", [])
    n_nodes = len(nodes)
    assert n_nodes >= 1 and (n_nodes == n_elements + 1 or any("instances" in (n.get("extras") or {}) for n in nodes)), (n_nodes, n_elements)


def TestOneInput(data: bytes) -> None:
    scene, options = scene_of(data)
    glb = export_glb(scene, **options)
    check_glb(glb, len(scene))


if __name__ == "__main__":
    main(TestOneInput, MISSING)
