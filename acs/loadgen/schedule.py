"""Open-loop arrival schedules (pure): when each CPE opens a session, when each task is queued."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Mapping
from typing import Final

JITTER: Final = 0.1
"""Each periodic interval is the mean period times a factor drawn in [1 - JITTER, 1 + JITTER]."""


def period(devices: int, rate: float) -> float:
    """The mean Inform interval of each CPE so that all of them make `rate` sessions/s."""
    return devices / rate


def arrivals(
    devices: int, rate: float, duration: float, seed: int, jitter: float = JITTER
) -> Iterator[tuple[float, int]]:
    """(seconds from the start, CPE index) of every session before `duration`, in time order.

    The first sessions are spread evenly over the first period (CPE i in slot i, at a random
    point of it); each later one follows its CPE's previous one by the period with a bounded
    jitter, so the CPEs together make `rate` sessions/s. The heap holds one entry per CPE.
    """
    if devices < 1 or rate <= 0 or not 0 <= jitter < 1:
        raise ValueError("need devices >= 1, rate > 0 and 0 <= jitter < 1")
    rng = random.Random(seed)  # noqa: S311 - a reproducible schedule, not a secret
    mean = period(devices, rate)
    heap = [((index + rng.random()) / rate, index) for index in range(devices)]  # sorted
    while heap and heap[0][0] < duration:
        at, index = heap[0]
        yield at, index
        heapq.heapreplace(heap, (at + mean * (1 + rng.uniform(-jitter, jitter)), index))


def task_arrivals(mix: Mapping[str, float], duration: float) -> Iterator[tuple[float, str]]:
    """(seconds from the start, task type) of every task before `duration`, in time order.

    Each type is queued at its own steady rate, the first one after one interval.
    """
    heap = [(1 / rate, kind, 1) for kind, rate in mix.items() if rate > 0]
    heapq.heapify(heap)
    while heap and heap[0][0] < duration:
        at, kind, count = heap[0]
        yield at, kind
        heapq.heapreplace(heap, ((count + 1) / mix[kind], kind, count + 1))
