"""Test vectors from the API documents (extracted by scripts/extract_spec_samples.py
into package data, so they travel with the wheel)."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Dict, List


@lru_cache(maxsize=None)
def spec_samples() -> Dict[str, Any]:
    """The parsed package-data file bimgeo/data/spec_samples.json."""
    text = resources.files("bimgeo").joinpath("data/spec_samples.json").read_text("utf-8")
    return json.loads(text)


def meshblob_elements() -> List[Dict[str, Any]]:
    """The five meshblob elements of the documents: id, picture, matrix, type, compress."""
    s = spec_samples()
    return list(s["meshblob_object"]["objects"]) + list(s["meshblob_discipline"]["objects"])


def pictures() -> List[str]:
    """The five base64 meshblob pictures."""
    return [e["attributes"]["geometry"]["picture"] for e in meshblob_elements()]


def nrbf_streams() -> List[bytes]:
    """The five pictures unpacked with the stdlib: MS-NRBF streams."""
    import base64
    import gzip

    return [gzip.decompress(base64.b64decode(p)) for p in pictures()]


def threejs_volumes() -> Dict[str, float]:
    """quantity.volume (mm³) by element id, from the threejs discipline response."""
    s = spec_samples()
    return {o["id"]: o["attributes"]["quantity"]["volume"] for o in s["threejs"]["objects"]}


def polymesh_text() -> str:
    """The create-object example's geometry.mesh JSON string (the Brickwall)."""
    return spec_samples()["create_object_polymesh"]["attributes"]["geometry"]["mesh"]
