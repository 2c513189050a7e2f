"""Polymesh (geometry.mesh) decoding and encoding."""
from __future__ import annotations

import json

import numpy as np
import pytest

import bimgeo
from bimgeo._polymesh import argb_to_rgba, rgba_to_argb
from samples import polymesh_text


def box_polymesh(w=1000.0, d=200.0, h=3000.0, color=None):
    v = [0, 0, 0, w, 0, 0, w, d, 0, 0, d, 0, 0, 0, h, w, 0, h, w, d, h, 0, d, h]
    # clockwise seen from outside (design.md §6)
    faces = [[0, 1, 2, 3], [4, 7, 6, 5], [0, 4, 5, 1], [1, 5, 6, 2], [2, 6, 7, 3], [3, 7, 4, 0]]
    doc = {"Vertices": v, "Faces": [x for f in faces for x in [4] + f]}
    if color is not None:
        doc["Color"] = color
    return json.dumps(doc)


def test_box_volume_and_colour():
    m = bimgeo.decode_polymesh(box_polymesh(color=0x80FF0000))
    assert m.is_watertight()
    assert m.volume == pytest.approx(1000 * 200 * 3000)
    assert m.rgba == (255.0, 0.0, 0.0, 128.0)
    assert len(m.faces) == 12 and set(m.face_source.tolist()) == set(range(6))


def test_dict_input_and_missing_colour():
    m = bimgeo.decode_polymesh(json.loads(box_polymesh()))
    assert m.rgba is None


@pytest.mark.parametrize("argb", [0, 0xFFFFFFFF, 0xFFBECCBA, -4272966, 4278255360])
def test_argb_round_trip(argb):
    assert rgba_to_argb(argb_to_rgba(argb)) == argb & 0xFFFFFFFF


def test_encode_round_trip_brickwall():
    wall = bimgeo.decode_polymesh(polymesh_text())
    text = bimgeo.encode_polymesh(wall)
    again = bimgeo.decode_polymesh(text)
    assert again.volume == pytest.approx(wall.volume, rel=1e-12)
    assert again.is_watertight()
    doc = json.loads(text)
    assert doc["Color"] == 4278255360
    # the ten polygons (two non-convex 8-gons) come back as ten polygons
    sizes = []
    i = 0
    while i < len(doc["Faces"]):
        sizes.append(doc["Faces"][i])
        i += doc["Faces"][i] + 1
    assert sorted(sizes) == sorted([4, 4, 4, 4, 8, 8, 4, 4, 4, 4])


@pytest.mark.parametrize(
    "doc, what",
    [
        ("{", "JSON"),
        ("[]", "object"),
        ('{"Vertices": [0, 0], "Faces": []}', "multiple of 3"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [3, 0, 1]}', "past the end"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [3, 0, 1, 7]}', "out of range"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [2, 0, 1]}', ">= 3"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [3, 0, 1, -1]}', "out of range"),
        ('{"Vertices": [0,0,"x"], "Faces": []}', "non-number"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [3, 0, 1, 2], "Color": "red"}', "Color"),
        ('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [1e400, 0, 1, 2]}', "integer"),
    ],
)
def test_bad_polymesh(doc, what):
    with pytest.raises(bimgeo.DecodeError, match=what):
        bimgeo.decode_polymesh(doc, element_id="e1")


def test_face_offset_in_error():
    with pytest.raises(bimgeo.DecodeError) as info:
        bimgeo.decode_polymesh('{"Vertices": [0,0,0, 1,0,0, 0,1,0], "Faces": [3, 0, 1, 2, 3, 0, 1, 9]}', element_id="abc")
    assert info.value.offset == 7 and info.value.element_id == "abc"
