"""Oracles from the seed data (design.md §7), on both implementations."""
from __future__ import annotations

import numpy as np
import pytest

import bimgeo
from bimgeo import _backend
from samples import meshblob_elements, polymesh_text, spec_samples, threejs_volumes

BRICKWALL_VOLUME = 4450 * 115 * 2750 - 885 * 115 * 2190  # 1 184 425 250 mm³, design.md §6


@pytest.fixture(params=["cython", "python"])
def use_impl(request, monkeypatch):
    """Route the public API through one implementation."""
    monkeypatch.setattr(_backend, "_active", _backend.modules(request.param))
    return request.param


def test_meshblob_volumes_equal_quantity_volume(use_impl):
    volumes = threejs_volumes()
    checked = 0
    for el in meshblob_elements():
        if el["id"] not in volumes:
            continue
        geo = el["attributes"]["geometry"]
        mesh = bimgeo.decode_meshblob(geo["picture"], compress=geo["compress"], element_id=el["id"])
        assert mesh.is_watertight()
        assert mesh.volume == pytest.approx(volumes[el["id"]], rel=1e-9)
        checked += 1
    assert checked == 4


def test_every_sample_is_a_closed_positive_solid(use_impl):
    for el in meshblob_elements():
        mesh = bimgeo.decode_meshblob(el["attributes"]["geometry"]["picture"], element_id=el["id"])
        assert mesh.id == el["id"]
        assert mesh.is_watertight()
        assert mesh.volume > 0
        assert len(mesh.vertices) == len(np.unique(mesh.faces))


def test_m_radius_colour_equals_threejs_colour(use_impl):
    s = spec_samples()
    argb = s["threejs"]["colors"][0]
    expected = bimgeo._polymesh.argb_to_rgba(argb)
    three_ids = {o["id"] for o in s["threejs"]["objects"]}
    seen = 0
    for el in meshblob_elements():
        if el["id"] in three_ids:
            poly = bimgeo.decode_polyhedron(el["attributes"]["geometry"]["picture"])
            assert poly.rgba == expected
            seen += 1
    assert seen == 4


def test_polymesh_brickwall_equals_meshblob_7cf910cb(use_impl):
    wall = bimgeo.decode_polymesh(polymesh_text())
    (el,) = spec_samples()["meshblob_object"]["objects"]
    blob = bimgeo.decode_meshblob(el["attributes"]["geometry"]["picture"])
    assert wall.is_watertight() and blob.is_watertight()
    assert wall.volume == pytest.approx(BRICKWALL_VOLUME, rel=1e-9)
    assert blob.volume == pytest.approx(BRICKWALL_VOLUME, rel=1e-9)
    np.testing.assert_array_equal(np.unique(wall.vertices, axis=0), np.unique(blob.vertices, axis=0))
    assert wall.rgba == (0.0, 255.0, 0.0, 255.0)
