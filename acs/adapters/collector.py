"""The garbage collector of a long-running process, tuned once its start-up is done.

A worker builds its application (Litestar, msgspec and lxml types, templates, pools) at start
and keeps those objects for its whole life; every CWMP request then allocates thousands of
short-lived containers. With CPython's default thresholds the youngest generation is collected
every 700 allocations and each older collection walks the start-up objects again. `settle()`
moves what exists after start-up out of the collector's sight (`gc.freeze`) and collects the
young generation less often: memory still returns (reference counting frees almost everything
at once, the collector only breaks cycles), at a fraction of the CPU.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 20_000
"""Allocations between collections of the youngest generation (CPython's default: 700)."""


def settle() -> None:
    """Collect what start-up left, freeze the survivors, collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
