"""The bundled sample building (package data ``bimgeo/data/sample_building.json.gz``).

A small two-storey house with a carport and a fence, about 270 elements,
made by ``scripts/make_sample_building.py`` with bimgeo's own encoder. The
file is a gzip of a JSON list of chunk responses, in the order a client
would receive them: two meshblob chunks (design.md §2), a threejs chunk
(§4), a templates chunk and a chunk of template instances (§5).
Coordinates: world Z up, millimetres, around (1 000 000, 2 000 000, 0) mm.
"""
from __future__ import annotations

import atexit
import contextlib
import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["load_sample", "sample_bytes", "sample_chunks", "sample_path"]

_NAME = "data/sample_building.json.gz"
_extracted: Optional[Path] = None


def sample_path() -> Path:
    """Path of ``sample_building.json.gz`` on disk.

    From a zipped install the file is extracted once to a temporary file
    that lives until the interpreter exits.
    """
    global _extracted
    res = resources.files("bimgeo").joinpath(_NAME)
    if isinstance(res, Path):
        return res
    if _extracted is None:
        stack = contextlib.ExitStack()
        atexit.register(stack.close)
        _extracted = Path(stack.enter_context(resources.as_file(res)))
    return _extracted


def sample_bytes() -> bytes:
    """The gzip-compressed file as stored."""
    return resources.files("bimgeo").joinpath(_NAME).read_bytes()


def sample_chunks() -> List[Dict[str, Any]]:
    """The sample as parsed JSON: a list of chunk responses (dicts)."""
    data = json.loads(gzip.decompress(sample_bytes()))
    if not isinstance(data, list):
        data = [data]
    return data


def load_sample(**options: Any) -> Any:
    """The sample as a ``bimgeo.Scene`` (``options`` go to ``bimgeo.load``, e.g. strict=True)."""
    from ._load import load

    return load(sample_chunks(), **options)
