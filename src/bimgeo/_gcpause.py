"""Automatic garbage collection held back during bulk work (``bimgeo.load``, the glb writer).

Both make tens of thousands of small acyclic objects (parsed JSON, elements,
meshes, JSON fragments of the glb). Automatic collections during that work
traverse them again and again and find nothing: on a response of 2,000 small
threejs elements they were about a fifth of ``bimgeo.load`` and most of its
run-to-run spread. So the youngest generation's threshold is set to 0 (no
automatic collection; allocations are still counted) for the block, and put
back after it. With ``settle``, one object is then allocated so that the
collector makes, at once, the collection its own rules call for (the young
generation, or an older one when due): cyclic garbage is still collected on
CPython's schedule, only batched. Process-wide; nested and concurrent pauses
(threads) restore the thresholds when the last one ends.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator, Tuple

__all__ = ["gc_paused"]

_lock = threading.Lock()
_depth = 0
_thresholds: Tuple[int, ...] = ()


class _Nudge:
    """A GC-tracked object with no free list: allocating one runs the collector's threshold check."""


@contextmanager
def gc_paused(settle: bool = False) -> Iterator[None]:
    """Hold back automatic garbage collection for the ``with`` block.

    settle: when the block ends, let the collector make the collection it
    is due for now (so its cost is paid here, not at the caller's next
    allocation).
    """
    global _depth, _thresholds
    with _lock:
        if _depth == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(0, *_thresholds[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            last = _depth == 0
            if last:
                gc.set_threshold(*_thresholds)
        if last and settle:
            _Nudge()
