"""The encoder: BinaryFormatter's exact bytes, Polyhedron.from_mesh, round trips."""
from __future__ import annotations

import base64
import gzip
import json
import struct

import numpy as np
import pytest

import samples
from bimgeo import (
    CountArray,
    ListMeta,
    Polyhedron,
    UnsupportedError,
    WireInfo,
    encode_nrbf,
    encode_polyhedron,
)
from bimgeo._model import DEFAULT_LIBRARY
from bimgeo._pure import nrbf as pure

WALL = 0  # 7cf910cb, the Brickwall, no colour


def _polymesh():
    """The create-object example (the same Brickwall) as vertices and polygons."""
    mesh = json.loads(samples.polymesh_text())
    vertices = np.asarray(mesh["Vertices"], dtype=np.float64).reshape(-1, 3)
    faces, polys, i = mesh["Faces"], [], 0
    while i < len(faces):
        n = faces[i]
        polys.append(faces[i + 1 : i + 1 + n])
        i += n + 1
    return vertices, polys


# --- byte-exact round trips of the spec samples ------------------------------------


@pytest.mark.parametrize("k", range(5))
def test_samples_roundtrip_byte_exact(impl, k):
    stream = samples.nrbf_streams()[k]
    poly = impl["nrbf"].parse_polyhedron(stream)
    assert encode_nrbf(poly) == stream
    picture = encode_polyhedron(poly)
    assert gzip.decompress(base64.b64decode(picture)) == stream
    assert impl["nrbf"].decode_polyhedron(picture) == poly


def test_polymesh_gives_the_servers_meshblob():
    """from_mesh on the polymesh example writes exactly the server's 7cf910cb picture:
    same points, edge order, signs, capacities and versions."""
    vertices, polys = _polymesh()
    poly = Polyhedron.from_mesh(vertices, polys)
    assert encode_nrbf(poly) == samples.nrbf_streams()[WALL]
    assert poly == pure.parse_polyhedron(samples.nrbf_streams()[WALL])


def test_deterministic_gzip():
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    a, b = encode_polyhedron(poly), encode_polyhedron(poly)
    assert a == b
    raw = base64.b64decode(a)
    assert raw[:4] == b"\x1f\x8b\x08\x00" and raw[4:8] == b"\0\0\0\0"  # mtime 0
    assert encode_polyhedron(poly, compress=1) == a
    assert base64.b64decode(encode_polyhedron(poly, compress=False)) == samples.nrbf_streams()[1]
    assert base64.b64decode(encode_polyhedron(poly, compress=0)) == samples.nrbf_streams()[1]


@pytest.mark.parametrize("compress", [2, 3, 7])
def test_encode_unsupported(compress):
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    with pytest.raises(UnsupportedError):
        encode_polyhedron(poly, compress=compress)


# --- BinaryFormatter layout rules ---------------------------------------------------


def _records(stream):
    return pure.read_stream(stream)


def test_null_runs(impl):
    """1 null: ObjectNull; < 256: ObjectNullMultiple256; more: ObjectNullMultiple."""
    for n, marker in ((3, b"\x09\x0d\x00\x00\x00\x0a"), (600, b"\x0e" + struct.pack("<i", 1024 - 600))):
        pts = np.arange(3 * n, dtype=np.float64).reshape(n, 3)
        poly = Polyhedron(pts, np.zeros((0, 2)), [], [0])
        stream = encode_nrbf(poly)
        assert marker in stream
        got = impl["nrbf"].parse_polyhedron(stream)
        assert np.array_equal(got.points, pts) and got.wire.points == ListMeta(1024 if n == 600 else 4, n)
    poly = Polyhedron(np.zeros((5, 3)), np.zeros((0, 2)), [], [0])
    assert b"\x0d\x03" in encode_nrbf(poly)  # 5 points in 8


def test_defaults_without_wire(impl):
    poly = Polyhedron(np.eye(3), [[0, 1], [1, 2], [2, 0]], [1, 2, 3], [0, 3])
    got = impl["nrbf"].parse_polyhedron(encode_nrbf(poly))
    assert got.wire == WireInfo(DEFAULT_LIBRARY, (4, 3), (4, 3), (4, 1), [[4, 3]])
    got.wire = None
    assert got == poly


def test_long_and_unicode_library(impl):
    for lib in ("L" * 200, "Bibliothèque, Version=1.0.0.0", "x" * 20000):
        poly = Polyhedron(np.eye(3), [[0, 1]], [], [0], wire=WireInfo(lib, (3, 3), (1, 1), (0, 0), []))
        got = impl["nrbf"].parse_polyhedron(encode_nrbf(poly))
        assert got == poly


def test_object_ids_follow_binaryformatter():
    """Root 1, library 2, root members 3.. in member order, value types negative from the same counter."""
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    root = _records(encode_nrbf(poly))
    assert root.id == 1
    assert [root[m].id for m in ("point", "edge", "face", "m_Radius")] == [3, 4, 5, 6]
    assert root["type"].id == -7 and root["ID"].id == -8
    assert root["point"]["_items"].id == 9 and root["m_Radius"]["m_Counter"].id == 12
    # the CountArray's List<Int32> is described first, the faces' lists reuse it
    face0 = root["face"]["_items"][0]
    assert face0["edges"].cls is root["m_Radius"]["m_Counter"].cls


def test_wire_capacities_and_versions_kept(impl):
    poly = pure.parse_polyhedron(samples.nrbf_streams()[1])
    poly.wire = WireInfo("Lib", (100, 7), (12, -3), (300, 2**31 - 1), [[4, 9]] * 5 + [[64, 0]])
    poly.radius = CountArray([-1, -2, -3, -4, -5], [1, 2, 3, 4, 0.5], (5, 11), (1000, 12))
    poly.bendingrolle = CountArray([], [], (0, 0), (0, 0))
    got = impl["nrbf"].parse_polyhedron(encode_nrbf(poly))
    assert got == poly and got.radius.get(-5) == 0.5


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: setattr(p, "edges", np.array([[0, 99]], dtype=np.int32)),
        lambda p: setattr(p, "edges", np.array([[-1, 0]], dtype=np.int32)),
        lambda p: setattr(p, "face_edges", np.array([0, 1, 2], dtype=np.int32)),
        lambda p: setattr(p, "face_edges", np.array([1, 2, 99], dtype=np.int32)),
        lambda p: setattr(p, "face_offsets", np.array([0, 2], dtype=np.int64)),
        lambda p: setattr(p, "face_offsets", np.array([1, 3], dtype=np.int64)),
        lambda p: setattr(p, "wire", WireInfo("L", (1, 3), (4, 3), (1, 1), [[4, 3]])),
        lambda p: setattr(p, "wire", WireInfo("L", (4, 3), (4, 3), (1, 1), [[2, 3]])),
        lambda p: setattr(p, "wire", WireInfo("L", (4, 3), (4, 3), (1, 1), [])),
        lambda p: setattr(p, "radius", CountArray([1, 2], [1, 2], (1, 2), (2, 2))),
        lambda p: setattr(p, "id", "not a guid"),
        lambda p: setattr(p, "polyeder_type", 2**40),
    ],
)
def test_encoder_rejects_inconsistent(mutate):
    poly = Polyhedron(np.eye(3), [[0, 1], [1, 2], [2, 0]], [1, 2, 3], [0, 3])
    mutate(poly)
    with pytest.raises(ValueError):
        encode_nrbf(poly)


# --- from_mesh ------------------------------------------------------------------------

CUBE_V = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]]
# clockwise seen from outside (meshblob winding)
CUBE_F = [[0, 1, 2, 3], [4, 7, 6, 5], [0, 4, 5, 1], [1, 5, 6, 2], [2, 6, 7, 3], [3, 7, 4, 0]]


def test_from_mesh_cube(impl):
    poly = Polyhedron.from_mesh(CUBE_V, CUBE_F, rgba=(255, 0, 0, 128), id="7CF910CB-E357-43F6-AA3A-B45C26380F75")
    assert (len(poly.points), len(poly.edges), poly.n_faces) == (8, 12, 6)
    # every undirected edge once, walked once each way
    for j in range(1, 13):
        assert (poly.face_edges == j).sum() == 1 and (poly.face_edges == -j).sum() == 1
    # a face's references chain: end of one = begin of the next
    for i in range(poly.n_faces):
        walk = []
        for r in poly.face(i):
            b, e = poly.edges[abs(r) - 1]
            walk.append((b, e) if r > 0 else (e, b))
        assert [w[0] for w in walk] == CUBE_F[i]
        assert all(walk[k][1] == walk[(k + 1) % len(walk)][0] for k in range(len(walk)))
    assert poly.rgba == (255.0, 0.0, 0.0, 128.0)
    assert poly.id == "7cf910cb-e357-43f6-aa3a-b45c26380f75"
    assert poly.polyeder_type == 0x1003
    assert poly.wire == WireInfo(DEFAULT_LIBRARY, (8, 8), (16, 12), (8, 6), [[4, 4]] * 6)
    assert poly.radius.counter_meta == ListMeta(4, 4)
    assert impl["nrbf"].decode_polyhedron(encode_polyhedron(poly)) == poly


def test_from_mesh_holes():
    """A polygon given as loops (outer + hole): one face holding both loops."""
    v = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [3, 3, 0], [6, 3, 0], [6, 6, 0], [3, 6, 0]]
    poly = Polyhedron.from_mesh(v, [[[0, 3, 2, 1], [4, 5, 6, 7]], [0, 1, 2, 3]])
    assert poly.n_faces == 2 and len(poly.face(0)) == 8 and len(poly.face(1)) == 4
    assert len(poly.edges) == 8
    assert poly.wire.face_lists.tolist() == [[8, 8], [4, 4]]
    assert pure.parse_polyhedron(encode_nrbf(poly)) == poly


def test_from_mesh_numpy_and_defaults():
    poly = Polyhedron.from_mesh(np.asarray(CUBE_V, dtype=np.float32), np.asarray(CUBE_F, dtype=np.int64))
    assert poly.id == "00000000-0000-0000-0000-000000000000" and poly.radius is None
    assert poly.points.dtype == np.float64
    empty = Polyhedron.from_mesh(np.zeros((0, 3)), [])
    assert empty.n_faces == 0 and empty.wire.points == ListMeta(0, 0)
    assert pure.parse_polyhedron(encode_nrbf(empty)) == empty


@pytest.mark.parametrize(
    "vertices, polygons, kwargs",
    [
        (CUBE_V, [[0, 1, 8]], {}),
        (CUBE_V, [[0, 1, -1]], {}),
        (CUBE_V, [[0, 1]], {}),
        (CUBE_V, [[0, 1, 1, 2]], {}),
        (CUBE_V, [[[0, 1, 2], [3]]], {}),
        (CUBE_V, [[]], {}),
        (CUBE_V, [[0.5, 1, 2]], {}),
        (np.zeros((4, 2)), [[0, 1, 2]], {}),
        (CUBE_V, [[0, 1, 2]], {"rgba": (1, 2, 3)}),
        (CUBE_V, [[0, 1, 2]], {"id": "nope"}),
    ],
)
def test_from_mesh_errors(vertices, polygons, kwargs):
    with pytest.raises(ValueError):
        Polyhedron.from_mesh(vertices, polygons, **kwargs)


def test_from_mesh_capacity_growth():
    """.NET List growth: 0, 4, 8, 16, ... and version == number of Add calls."""
    n = 17
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    v = np.stack([np.cos(angles), np.sin(angles), np.zeros(n)], axis=1)
    poly = Polyhedron.from_mesh(v, [list(range(n))])
    assert poly.wire.points == ListMeta(32, 17) and poly.wire.edges == ListMeta(32, 17)
    assert poly.wire.faces == ListMeta(4, 1) and poly.wire.face_lists.tolist() == [[32, 17]]


def test_huge_spare_capacity_roundtrip(impl):
    """What the decoder accepts (2**31 - 1 slots of one null run), the encoder writes back cheaply."""
    poly = Polyhedron(np.eye(3), [[0, 1]], [], [0], wire=WireInfo("L", (2**31 - 1, 3), (2**31 - 1, 1), (2**31 - 1, 0), []))
    stream = encode_nrbf(poly)
    assert len(stream) < 2000 and stream.count(b"\x0e") >= 3
    assert impl["nrbf"].parse_polyhedron(stream) == poly
