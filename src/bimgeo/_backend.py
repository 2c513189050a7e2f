"""Chooses the implementation of the hot decoders.

The compiled modules live in ``bimgeo._core``, their slow, obvious twins
with identical names and behaviour in ``bimgeo._pure``. By default the
compiled ones are used; ``BIMGEO_IMPLEMENTATION=python`` (read at import)
forces the pure-Python twins. ``BIMGEO_REQUIRE_COMPILED=1`` turns a missing
or broken compiled module into an ImportError instead of a silent slowdown
(CI sets it).

``IMPLEMENTATION`` is ``"cython"`` or ``"python"``.
"""
from __future__ import annotations

import os
from types import ModuleType
from typing import Dict

__all__ = ["IMPLEMENTATION", "get", "modules"]

_NAMES = ("nrbf", "triangulate", "threejs")


def _load(pkg: str) -> Dict[str, ModuleType]:
    import importlib

    out = {}
    for name in _NAMES:
        try:
            out[name] = importlib.import_module(f"bimgeo.{pkg}.{name}")
        except ImportError:
            if pkg == "_core":
                raise
            # A twin not written yet must not hide the others.
            continue
    return out


def modules(implementation: str) -> Dict[str, ModuleType]:
    """The decoder modules of one implementation ("cython" or "python")."""
    if implementation == "python":
        return _load("_pure")
    if implementation == "cython":
        return _load("_core")
    raise ValueError(f"unknown implementation {implementation!r}")


_forced = os.environ.get("BIMGEO_IMPLEMENTATION", "").strip().lower()
if _forced in ("python", "pure", "py"):
    IMPLEMENTATION = "python"
    _active = modules("python")
else:
    try:
        _active = modules("cython")
        IMPLEMENTATION = "cython"
    except ImportError:
        if os.environ.get("BIMGEO_REQUIRE_COMPILED") == "1" or _forced == "cython":
            raise
        import warnings

        warnings.warn(
            "bimgeo's compiled core is not available; using the slow pure-Python twin",
            RuntimeWarning,
            stacklevel=2,
        )
        IMPLEMENTATION = "python"
        _active = modules("python")


def get(name: str) -> ModuleType:
    """The active module for ``name`` ("nrbf", "triangulate" or "threejs")."""
    return _active[name]
