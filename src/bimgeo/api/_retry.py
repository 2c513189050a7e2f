"""When and how long to wait before trying a request again.

Rules (bimgeo.api):
- 429: retried for every method (the server refused the request, nothing
  happened), after ``Retry-After`` when given.
- 5xx (503 included): retried for idempotent methods only (GET, HEAD, PUT,
  DELETE, OPTIONS), after ``Retry-After`` when given, else exponential
  backoff with jitter.
- connection errors: a failed *connect* is retried for every method (the
  request never left); a reset, timeout or cut-short body only for
  idempotent methods.
- ``Retry-After`` (seconds or an HTTP date) is capped at ``max_retry_after``.
- ``attempts`` bounds the retries of one call; a 401 refresh does not count.
"""
from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Awaitable, Callable, Optional

__all__ = ["RetryPolicy", "parse_retry_after"]

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def parse_retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds < 0:  # NaN or negative
            return None
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = datetime.now(timezone.utc).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, the default async sleep."""
    import asyncio

    await asyncio.sleep(seconds)


@dataclass
class RetryPolicy:
    """How a client retries and waits.

    ``attempts``: retries after the first try (0 disables retrying).
    ``backoff``/``max_backoff``: exponential backoff base and cap, seconds;
    each delay is drawn from [d/2, d] (jitter). ``max_retry_after`` caps a
    server's ``Retry-After``. ``poll_interval`` is the default pause between
    polls of a 202 / export job. ``sleep`` and ``async_sleep`` are injectable
    so tests need not wait; ``rng`` draws the jitter.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    poll_interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.attempts < 0:
            raise ValueError("attempts must be >= 0")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("delays must be >= 0")

    def backoff_delay(self, retry: int) -> float:
        """Delay before retry number ``retry`` (1-based): exponential, capped, jittered."""
        base = min(self.max_backoff, self.backoff * (2.0 ** max(0, retry - 1)))
        return base / 2.0 + self.rng.uniform(0.0, base / 2.0)

    def delay(self, retry: int, retry_after: Optional[str]) -> float:
        """Delay before retry ``retry``: the capped ``Retry-After`` if usable, else backoff."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        return self.backoff_delay(retry)
