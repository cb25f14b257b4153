"""The token bucket, on a clock the test turns by hand, and the buckets that server processes share."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

from service.auth import RateLimiter, SharedBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_a_wait_that_matches_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.acquire("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("a") == 20  # one token every 20 s
    assert limiter.acquire("b") == 0  # callers do not share a bucket
    clock.now += 20
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") >= 1


def test_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.acquire("a") == 0 for _ in range(1000))


# Shared buckets: the limiters of `yuejuan serve --workers N`, one table for all the server processes.

SPAWN = multiprocessing.get_context("spawn")


def _take(buckets: SharedBuckets, per_minute: int, tries: int, start: Any, taken: Any) -> None:
    """In a process of its own: ``tries`` requests of one caller, at one moment (no refill); how many were allowed."""
    limiter = buckets.limiter("check", per_minute, clock=lambda: 1000.0)
    start.wait(30)
    taken.put(sum(limiter.acquire("addr:10.0.0.7") == 0 for _ in range(tries)))


def test_processes_sharing_the_buckets_get_the_limit_together() -> None:
    buckets = SharedBuckets(["check"], context=SPAWN)
    start, taken = SPAWN.Event(), SPAWN.Queue()
    processes = [SPAWN.Process(target=_take, args=(buckets, 300, 400, start, taken)) for _ in range(2)]
    for process in processes:
        process.start()
    start.set()
    counts = [taken.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
    assert sum(counts) == 300, counts
    # This process shares them too: the caller has nothing left, another caller has a bucket of its own.
    limiter = buckets.limiter("check", 300, clock=lambda: 1000.0)
    assert limiter.acquire("addr:10.0.0.7") == 1
    assert limiter.acquire("addr:10.0.0.8") == 0


def _die_holding_the_lock(buckets: SharedBuckets) -> None:
    limiter = buckets.limiter("check", 3)
    assert limiter.acquire("addr:10.0.0.7") == 0
    assert limiter._lock()
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_process_killed_holding_the_lock_does_not_wedge_the_others() -> None:
    buckets = SharedBuckets(["check"], context=SPAWN)
    process = SPAWN.Process(target=_die_holding_the_lock, args=(buckets,))
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    # The kernel released its lock: the bucket it took a token from is still the one counted here.
    limiter = buckets.limiter("check", 3)
    assert [limiter.acquire("addr:10.0.0.7") for _ in range(2)] == [0, 0]
    assert limiter.acquire("addr:10.0.0.7") >= 1


def test_a_full_table_reuses_refilled_buckets_else_counts_in_the_process() -> None:
    clock = Clock()
    buckets = SharedBuckets(["grade"], context=SPAWN, slots=4)
    # Two limiters on one table, as two server processes would have.
    first, second = (buckets.limiter("grade", 2, clock=clock) for _ in range(2))
    for n in range(4):
        assert first.acquire(f"key:{n}") == 0
    # No slot is free and no bucket has refilled: a fifth caller is counted by each process alone.
    assert [first.acquire("key:late") for _ in range(3)] == [0, 0, 30]
    assert [second.acquire("key:late") for _ in range(3)] == [0, 0, 30]
    # The callers of the table are still counted together.
    assert second.acquire("key:0") == 0
    assert first.acquire("key:0") == 30
    # Half a minute on, one token is back for everyone and key:1, key:2, key:3 are full again:
    # a new caller takes one of their slots, and is counted together.
    clock.now += 30
    assert [first.acquire("key:new") for _ in range(2)] == [0, 0]
    assert second.acquire("key:new") == 30
