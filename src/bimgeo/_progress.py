"""A one-line progress bar for the command line (no dependency).

Drawn on a text stream (stderr by default) only when that stream is a
terminal, so logs and pipes stay clean; redrawn at most every
``min_interval`` seconds; erased when closed.
"""
from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Optional, TextIO, Type

__all__ = ["Progress"]


class Progress:
    """``with Progress(total, "loading") as bar: ... bar.update(n)``.

    total: units of work (elements, bytes, ...), 0 or None for an unknown
    total (then a counter is shown). enabled: None = only when ``stream``
    is a TTY. Never raises on a closed or broken stream.
    """

    def __init__(
        self,
        total: Optional[float] = None,
        label: str = "",
        *,
        stream: Optional[TextIO] = None,
        enabled: Optional[bool] = None,
        min_interval: float = 0.1,
        width: int = 30,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            try:
                enabled = bool(self.stream.isatty())
            except (AttributeError, ValueError, OSError):
                enabled = False
        self.enabled = enabled
        self.total = total or 0
        self.label = label
        self.done = 0.0
        self.min_interval = min_interval
        self.width = width
        self._start = time.perf_counter()
        self._last = 0.0
        self._drawn = 0

    def update(self, n: float = 1, label: Optional[str] = None) -> None:
        """Add ``n`` units of work done (and optionally change the label)."""
        self.done += n
        if label is not None:
            self.label = label
        if self.enabled:
            now = time.perf_counter()
            if now - self._last >= self.min_interval or (self.total and self.done >= self.total):
                self._last = now
                self._draw(now)

    def set_label(self, label: str) -> None:
        """Change the text in front of the bar and redraw."""
        self.update(0, label)

    def _draw(self, now: float) -> None:
        elapsed = now - self._start
        if self.total:
            frac = min(max(self.done / self.total, 0.0), 1.0)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "." * (self.width - filled)
            text = f"{self.label} [{bar}] {frac * 100:3.0f}% {self.done:.0f}/{self.total:.0f} {elapsed:.1f}s"
        else:
            text = f"{self.label} {self.done:.0f} {elapsed:.1f}s"
        pad = max(self._drawn - len(text), 0)
        self._write("\r" + text + " " * pad)
        self._drawn = len(text)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        """Erase the bar (the line is left empty for what is printed next)."""
        if self.enabled and self._drawn:
            self._write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._draw(time.perf_counter())
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
