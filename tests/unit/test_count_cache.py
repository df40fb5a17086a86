"""Search totals: small ones always counted afresh, large ones kept for a while."""

from __future__ import annotations

from acs.projections.count_cache import TotalCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_small_total_is_counted_every_time() -> None:
    cache = TotalCache(large=100, ttl=10, clock=Clock())
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return 99 + len(calls) - 1  # 99, then 100

    assert cache.total("f", count) == 99
    assert cache.total("f", count) == 100
    assert len(calls) == 2


def test_a_large_total_is_kept_until_it_expires() -> None:
    clock = Clock()
    cache = TotalCache(large=100, ttl=10, clock=clock)
    totals = iter([500, 700])
    assert cache.total("f", lambda: next(totals)) == 500
    clock.now = 9.9
    assert cache.total("f", lambda: 1 / 0) == 500  # type: ignore[arg-type, return-value]
    clock.now = 10.1
    assert cache.total("f", lambda: next(totals)) == 700


def test_totals_are_kept_per_filter_and_the_oldest_goes_first() -> None:
    cache = TotalCache(large=1, ttl=10, entries=2, clock=Clock())
    for key, total in (("a", 1), ("b", 2), ("c", 3)):
        cache.total(key, lambda total=total: total)  # type: ignore[misc]
    assert cache.total("b", lambda: 20) == 2
    assert cache.total("c", lambda: 30) == 3
    assert cache.total("a", lambda: 10) == 10, "evicted"
