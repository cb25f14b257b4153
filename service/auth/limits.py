"""Per-caller rate limits: a token bucket per key, or per client address for anonymous callers.

The buckets live in the process: with N processes each counts only what it serves, so a client
reaching all of them may get up to N times the limit. That is enough to stop one client from
monopolising a worker.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]

# Above this many tracked callers, buckets that have refilled completely are forgotten.
_PRUNE_ABOVE = 10_000


class RateLimiter:
    """Allow ``per_minute`` requests per caller, in bursts of up to ``per_minute``; 0 turns it off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, caller: str) -> int:
        """Take one token for ``caller``: 0 when allowed, else the seconds to wait before retrying."""
        if self.per_minute <= 0:
            return 0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(caller, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                if len(self._buckets) > _PRUNE_ABOVE:
                    self._prune(now, rate)
                return 0
            self._buckets[caller] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))

    def _prune(self, now: float, rate: float) -> None:
        full = [c for c, (tokens, then) in self._buckets.items() if tokens + (now - then) * rate >= self.per_minute]
        for caller in full:
            del self._buckets[caller]
