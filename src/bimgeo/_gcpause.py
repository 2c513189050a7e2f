"""The cyclic garbage collector paused around bulk work (``bimgeo.load``, the glb writer).

Both make tens of thousands of small acyclic objects (parsed JSON, elements,
meshes, JSON fragments of the glb). Automatic collections during that work
traverse them again and again and find nothing: on a response of 2,000 small
threejs elements they were about a fifth of ``bimgeo.load``. The pause is
process-wide; nested and concurrent pauses (threads) re-enable the collector
when the last one ends, and only if it was enabled when the first began.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def gc_paused(collect_young: bool = False) -> Iterator[None]:
    """Pause automatic garbage collection for the ``with`` block.

    collect_young: when the collector is re-enabled, collect the youngest
    generation at once (one pass over what the block made and kept), so
    that this cost is paid here and not at the caller's next allocation.
    """
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            resume = _depth == 0 and _resume
            if resume:
                gc.enable()
        if resume and collect_young:
            gc.collect(0)
