"""Shared fixtures: every decoder test runs on both implementations."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from bimgeo import _backend  # noqa: E402

IMPLEMENTATIONS = ["cython", "python"]


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request):
    """The decoder modules of one implementation: impl["nrbf"], impl["triangulate"], impl["threejs"].

    Tests written against this fixture run once per backend (as msgpack's
    suite does), so the compiled core and its pure-Python twin are held to
    the same assertions.
    """
    mods = _backend.modules(request.param)
    mods = dict(mods)
    mods["name"] = request.param
    return mods


@pytest.fixture
def both():
    """Both implementations at once, for equal-output comparisons."""
    return _backend.modules("cython"), _backend.modules("python")
