"""Resource limits for everything an input controls.

Every decoder takes its bounds from here, so that one hostile payload cannot
make bimgeo allocate without bound, recurse without bound or loop forever.
Change them per call (``limits=Limits(...)``) or process-wide with
``bimgeo.set_default_limits``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Limits", "get_default_limits", "set_default_limits"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one input may ask for.

    max_decompressed: bytes one gzip member may inflate to (default 256 MiB).
    max_elements: elements one response/scene may hold (default 10,000,000).
    max_depth: nesting depth of object graphs and element trees (default 64).
    max_face_size: edge references in one polyhedron face (default 10,000,000).
    max_json_bytes: bytes of one JSON document loaded (default 4 GiB).
    """

    max_decompressed: int = 256 * MiB
    max_elements: int = 10_000_000
    max_depth: int = 64
    max_face_size: int = 10_000_000
    max_json_bytes: int = 4096 * MiB

    def replace(self, **changes: Any) -> "Limits":
        """Return a copy with some limits changed."""
        return replace(self, **changes)


_default = Limits()


def get_default_limits() -> Limits:
    """The limits used when a call passes none."""
    return _default


def set_default_limits(limits: Limits) -> None:
    """Set the process-wide default limits."""
    global _default
    if not isinstance(limits, Limits):
        raise TypeError("limits must be a bimgeo.Limits")
    _default = limits
