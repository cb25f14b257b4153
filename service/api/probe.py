"""Blocking calls with a bound on the wait: the database round trips of /readyz and /metrics.

A database that does not answer (a network that drops packets rather than refusing them, a server
that hangs) can hold a query for minutes, and a probe or a scrape must answer within seconds all the
same. Nor may probes pile up threads behind a stuck call: one call runs at a time, in a thread of its
own, and whoever asks while it is still running waits on that same call. The wait is awaited, so it
holds neither the event loop nor a thread of the pool that requests stuck on the database may fill.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["BoundedCall"]

T = TypeVar("T")


class BoundedCall(Generic[T]):
    """Run a blocking call in a thread of its own and wait for it at most ``seconds``."""

    def __init__(self, name: str, seconds: float) -> None:
        self.seconds = seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._running: Future[T] | None = None

    async def __call__(self, call: Callable[[], T]) -> T:
        """The call's result, or its exception; TimeoutError when it takes longer than ``seconds``."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(call)
            running = self._running
        return await asyncio.wait_for(asyncio.wrap_future(running), self.seconds)
