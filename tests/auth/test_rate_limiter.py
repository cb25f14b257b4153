"""The token bucket, on a clock the test turns by hand."""

from __future__ import annotations

from service.auth import RateLimiter


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
