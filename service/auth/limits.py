"""Per-caller rate limits: a token bucket per key, or per client address for anonymous callers.

One process (``yuejuan serve`` without ``--workers``, or an app built by ``create_app`` alone) keeps
its buckets in a dict: :class:`RateLimiter`. With ``--workers N`` the supervisor makes a
:class:`SharedBuckets` before it starts the server processes, and each process takes its limiters
from it (:class:`SharedRateLimiter`): the buckets live in memory shared by all of them, so a limit
holds for the whole server, whichever process a request reaches. Separate servers behind one load
balancer (on several machines, or several ``yuejuan serve`` on one) still count separately, each the
requests it serves.

The shared table, one per limited resource, is open addressing over ``slots`` slots: a 64-bit hash of
the caller (``blake2b``: ``hash()`` differs from process to process), its tokens and the time they
were counted (``time.monotonic``, one clock for every process of a machine). A caller is looked for
in the ``_PROBES`` slots from where its hash points; a new caller takes the first of them that is
empty or whose bucket has refilled completely (as good as a new one). When there is none, or when
the table's lock cannot be had within ``_LOCK_WAIT_SECONDS``, that request is counted by this process
alone (a :class:`RateLimiter` of its own): the limit still holds per process, as it did before, and
the request is neither refused nor held up for the table's sake.

The lock is a POSIX record lock (``fcntl.lockf``) on one byte per table of a file deleted as soon as it
is made (the processes hold it open): the kernel releases it when its holder dies, so a process killed
in the few microseconds it holds the lock cannot wedge the others. Record locks belong to a process, so
a thread lock (one per table and process) is taken first.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from multiprocessing import reduction
from multiprocessing.context import BaseContext
from typing import Any

__all__ = ["RateLimiter", "SharedBuckets", "SharedRateLimiter"]

log = logging.getLogger("yuejuan.limits")

# Above this many tracked callers, buckets that have refilled completely are forgotten.
_PRUNE_ABOVE = 10_000
# Slots of a shared table: the callers it can hold whose buckets have not refilled completely yet
# (those seen in the last minute, at most); 24 bytes each.
SHARED_SLOTS = 1 << 16
# Slots looked at for one caller, from where its hash points.
_PROBES = 16
# Past this the request is counted by its process alone, rather than waiting on the table any longer.
_LOCK_WAIT_SECONDS = 0.05
# Warn at most this often that callers are being counted by their process alone.
_WARN_EVERY_SECONDS = 60.0


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


class SharedBuckets:
    """Token-bucket tables, one per name, in memory shared by processes started from ``context``.

    Made once, by the process that starts the others, and handed to each of them as an argument of
    ``context.Process`` (pickled then, like the shared arrays it holds, and only then); :meth:`limiter`
    gives a process its limiter on one table. The lock file is deleted at once: each process holds it
    open, by a descriptor passed as the arrays' are, and it goes with the last of them."""

    def __init__(self, names: Iterable[str], *, context: BaseContext, slots: int = SHARED_SLOTS) -> None:
        if slots < 1 or slots & (slots - 1):
            raise ValueError(f"slots must be a power of two, not {slots}")
        # Per table: the callers' hashes (0: an empty slot), then tokens and time, two floats a slot.
        self.tables: dict[str, tuple[Any, Any]] = {
            name: (context.RawArray("Q", slots), context.RawArray("d", 2 * slots)) for name in names
        }
        fd, path = tempfile.mkstemp(prefix="yuejuan-limits-", suffix=".lock")
        os.unlink(path)
        self._fd = fd
        self._thread_locks = {name: threading.Lock() for name in self.tables}

    def __getstate__(self) -> dict[str, Any]:
        return {"tables": self.tables, "fd": reduction.DupFd(self._fd)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tables = state["tables"]
        self._fd = state["fd"].detach()
        self._thread_locks = {name: threading.Lock() for name in self.tables}

    def limiter(self, name: str, per_minute: int, clock: Callable[[], float] = time.monotonic) -> SharedRateLimiter:
        """This process's limiter on table ``name``; ``per_minute`` must be the same in every process."""
        keys, values = self.tables[name]
        return SharedRateLimiter(
            per_minute,
            keys=keys,
            values=values,
            lock=(self._thread_locks[name], self._fd, list(self.tables).index(name)),
            clock=clock,
        )


class SharedRateLimiter:
    """:class:`RateLimiter` over a table that several processes share (see :class:`SharedBuckets`):
    ``per_minute`` requests per caller in all of them together."""

    def __init__(
        self,
        per_minute: int,
        *,
        keys: Any,  # shared arrays: slots of uint64, and twice as many doubles
        values: Any,
        lock: tuple[threading.Lock, int, int],  # the table's lock in this process, then the file and byte locked
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        # Shared arrays, read through memoryviews: a little faster than through ctypes. Typed Any: typeshed's
        # memoryview takes only ints.
        self._keys: Any = memoryview(keys).cast("B").cast("Q")
        self._values: Any = memoryview(values).cast("B").cast("d")
        self._mask = len(keys) - 1
        self._probes = min(_PROBES, len(keys))
        self._thread_lock, self._fd, self._byte = lock
        self._alone = RateLimiter(per_minute, clock)  # for a caller the table has no room for
        self._warned = -math.inf

    def acquire(self, caller: str) -> int:
        """Take one token for ``caller``: 0 when allowed, else the seconds to wait before retrying."""
        if self.per_minute <= 0:
            return 0
        key = int.from_bytes(hashlib.blake2b(caller.encode(), digest_size=8).digest(), "little") or 1
        with self._thread_lock:
            if not self._lock():
                return self._counted_alone(caller, "its lock was held too long")
            try:
                wait = self._take(key)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._byte)
        return self._counted_alone(caller, "it is full") if wait is None else wait

    def _lock(self) -> bool:
        """Take the table's lock, waiting at most ``_LOCK_WAIT_SECONDS``; False if it could not be had."""
        deadline = 0.0
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, self._byte)
                return True
            except OSError:  # held by another process (EAGAIN or EACCES)
                now = time.monotonic()
                deadline = deadline or now + _LOCK_WAIT_SECONDS
                if now > deadline:
                    return False
                time.sleep(0.0001)

    def _take(self, key: int) -> int | None:
        """With the lock held: take a token from ``key``'s bucket; None when the table has no room for it."""
        keys, values, full = self._keys, self._values, float(self.per_minute)
        rate = full / 60.0
        now = self.clock()
        start = key & self._mask
        free: int | None = None
        tokens: float
        for probe in range(self._probes):
            slot = (start + probe) & self._mask
            held = keys[slot]
            if held == key:
                break
            if held == 0:  # slots never empty again: the key is in no slot past this one
                slot = slot if free is None else free
                break
            if free is None and values[2 * slot] + (now - values[2 * slot + 1]) * rate >= full:
                free = slot  # a bucket that has refilled completely is as good as none
        else:
            if free is None:
                return None
            slot = free
        if keys[slot] == key:
            tokens = min(full, values[2 * slot] + (now - values[2 * slot + 1]) * rate)
        else:
            keys[slot], tokens = key, full
        if tokens >= 1.0:
            values[2 * slot], values[2 * slot + 1] = tokens - 1.0, now
            return 0
        values[2 * slot], values[2 * slot + 1] = tokens, now
        return max(1, math.ceil((1.0 - tokens) / rate))

    def _counted_alone(self, caller: str, why: str) -> int:
        now = time.monotonic()
        if now - self._warned >= _WARN_EVERY_SECONDS:
            self._warned = now
            log.warning("rate limit table: %s; counting some callers in this process alone", why)
        return self._alone.acquire(caller)
