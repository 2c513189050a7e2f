"""Element matrices in their three forms (design.md §3)."""
from __future__ import annotations

import base64
import math

import numpy as np
import pytest

import samples
from bimgeo import DecodeError, decode_matrix, decode_polyhedron, encode_matrix

MATRICES = [e["attributes"]["geometry"]["matrix"] for e in samples.meshblob_elements()]


@pytest.mark.parametrize("text", MATRICES)
def test_sample_matrices(text):
    m = decode_matrix(text)
    assert m.shape == (4, 4) and m.dtype == np.float64
    assert np.array_equal(m[3], [0, 0, 0, 1])
    assert np.allclose(m[:3, :3], np.eye(3))  # the samples: pure translations
    assert m.flags.c_contiguous and m.flags.writeable


def test_sample_translation():
    m = decode_matrix(MATRICES[0])  # the Brickwall 7cf910cb
    assert m[:3, 3].tolist() == pytest.approx([4184.99, 5884.99, -0.01])


def test_matrix_places_layers_like_threejs():
    """design.md §2-§4: meshblob local points · matrix == threejs world vertices (x, -z, y)."""
    three = {o["id"]: o for o in samples.spec_samples()["threejs"]["objects"]}
    checked = 0
    for e in samples.meshblob_elements():
        if e["id"] not in three:
            continue
        g = e["attributes"]["geometry"]
        poly = decode_polyhedron(g["picture"], compress=g.get("compress"))
        m = decode_matrix(g["matrix"])
        world = poly.points @ m[:3, :3].T + m[:3, 3]
        v = np.asarray(three[e["id"]]["attributes"]["geometry"]["threejs"]["vertices"], dtype=np.float64).reshape(-1, 3)
        zup = np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1)
        assert np.allclose(np.sort(world, axis=0), np.sort(zup, axis=0), atol=1e-6)
        checked += 1
    assert checked == 4


def test_three_forms_agree():
    m = decode_matrix(MATRICES[1])
    flat = m.reshape(-1).tolist()
    assert np.array_equal(decode_matrix(flat), m)
    assert np.array_equal(decode_matrix(tuple(flat)), m)
    assert np.array_equal(decode_matrix({"values": flat}), m)
    assert np.array_equal(decode_matrix(np.array(flat)), m)
    assert np.array_equal(decode_matrix(m), m)
    assert np.array_equal(decode_matrix(m.tolist()), m)  # nested 4x4
    assert np.array_equal(decode_matrix(MATRICES[1].encode("ascii")), m)
    assert np.array_equal(decode_matrix([int(round(v)) for v in flat]), np.round(m))


@pytest.mark.parametrize("form", ["base64", "list", "values"])
def test_encode_roundtrip(form):
    rng = np.random.default_rng(3)
    m = rng.normal(size=(4, 4)) * 1e4
    enc = encode_matrix(m, form)
    assert np.array_equal(decode_matrix(enc), m)


def test_encode_forms():
    m = decode_matrix(MATRICES[0])
    assert encode_matrix(m) == MATRICES[0]  # byte-exact to the server's base64
    assert encode_matrix(m, "list") == m.reshape(-1).tolist()
    assert encode_matrix(m, "values") == {"values": m.reshape(-1).tolist()}
    assert isinstance(encode_matrix(m.reshape(-1), "list")[0], float)


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(b"\0" * 120).decode(),  # 15 doubles
        base64.b64encode(b"\0" * 136).decode(),  # 17 doubles
        "",
        "AAAA*AAA",
        "AAA",
        "AAAAÄ",
        [0.0] * 15,
        [0.0] * 17,
        [0.0] * 15 + ["1"],
        [0.0] * 15 + [None],
        [0.0] * 15 + [True],
        [[0.0] * 4] * 3,
        [0.0] * 15 + [math.nan],
        [0.0] * 15 + [math.inf],
        base64.b64encode(np.full(16, np.nan).tobytes()).decode(),
        {"value": [0.0] * 16},
        {"values": 5},
        {"values": "A" * 16},
        {"values": [0.0] * 3},
        np.zeros(15),
        np.array(["a"] * 16),
        None,
        12,
        1.5,
    ],
)
def test_bad_matrices(value):
    with pytest.raises(DecodeError):
        decode_matrix(value)


def test_encode_errors():
    with pytest.raises(ValueError):
        encode_matrix(np.zeros(15))
    with pytest.raises(ValueError):
        encode_matrix(np.eye(4), "json")
    with pytest.raises(ValueError):
        encode_matrix(np.full((4, 4), np.nan), "list")
