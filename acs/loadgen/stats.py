"""What a run measures: a log-bucketed latency histogram and the counters of a run."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

_LOWEST_MS: Final = 0.01
_HIGHEST_MS: Final = 3_600_000.0
_PRECISION: Final = 0.005
"""Relative half-width of a bucket: every percentile is within 0.5 % of an exact one."""
_GROWTH: Final = math.log((1 + _PRECISION) / (1 - _PRECISION))
_BUCKETS: Final = int(math.log(_HIGHEST_MS / _LOWEST_MS) / _GROWTH) + 2


class LatencyHistogram:
    """An HDR-like histogram of milliseconds: log-spaced buckets, bounded memory, O(1) record."""

    __slots__ = ("buckets", "count", "max", "min")

    def __init__(self) -> None:
        """An empty histogram."""
        self.buckets = [0] * _BUCKETS
        self.count = 0
        self.min = math.inf
        self.max = 0.0

    def record(self, ms: float) -> None:
        """Count one value (clamped to the histogram's range)."""
        self.buckets[_bucket(ms)] += 1
        self.count += 1
        self.min = min(self.min, ms)
        self.max = max(self.max, ms)

    def percentile(self, p: float) -> float | None:
        """The nearest-rank p-th percentile (0 < p <= 100) within 0.5 %, None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(p / 100 * self.count))
        if rank >= self.count:
            return self.max
        seen = 0
        for index, count in enumerate(self.buckets):
            seen += count
            if seen >= rank:
                return min(max(_middle(index), self.min), self.max)
        return self.max


def _bucket(ms: float) -> int:
    """The bucket of a value: 0 below the lowest value, the last one above the highest."""
    if ms <= _LOWEST_MS:
        return 0
    return min(_BUCKETS - 1, 1 + int(math.log(ms / _LOWEST_MS) / _GROWTH))


def _middle(index: int) -> float:
    """The value a bucket stands for: the geometric middle of its bounds."""
    if index == 0:
        return _LOWEST_MS
    return _LOWEST_MS * math.exp((index - 0.5) * _GROWTH)


def quantiles(samples: Sequence[float]) -> dict[str, float] | None:
    """p50, p99 and max of a few samples (statistics.quantiles, inclusive), None if none."""
    if not samples:
        return None
    if len(samples) == 1:
        only = float(samples[0])
        return {"p50": only, "p99": only, "max": only}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98], "max": float(max(samples))}


@dataclass
class RunStats:
    """The counters of a run, updated by the sessions and the operator as they finish."""

    sessions: int = 0
    late: int = 0
    tasks_created: int = 0
    session_ms: LatencyHistogram = field(default_factory=LatencyHistogram)
    errors: Counter[str] = field(default_factory=Counter)
    rpcs: Counter[str] = field(default_factory=Counter)

    @property
    def error_count(self) -> int:
        """Every error of every kind."""
        return sum(self.errors.values())
