"""Totals of large device searches, kept briefly per worker.

Counting a search that matches hundreds of thousands of devices reads as many index
entries on every page; a dashboard or a script walking pages asks for the same total again
and again. A total at or above `LARGE` is kept for `TTL` seconds; smaller ones are cheap and
always exact and fresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

LARGE = 10_000
TTL = 30.0
ENTRIES = 256


class TotalCache:
    """Search totals by filter: exact below `large`, up to `ttl` seconds old above it."""

    def __init__(
        self,
        large: int = LARGE,
        ttl: float = TTL,
        entries: int = ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.large, self.ttl, self.entries, self.clock = large, ttl, entries, clock
        self._totals: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, key: Hashable) -> int | None:
        """The total of `key` while it is fresh, else None (nothing is counted)."""
        with self._lock:
            found = self._totals.get(key)
            return found[1] if found is not None and found[0] > self.clock() else None

    def total(self, key: Hashable, count: Callable[[], int]) -> int:
        """The cached total of `key` while it is fresh, else `count()` (kept when large)."""
        now = self.clock()
        with self._lock:
            found = self._totals.get(key)
            if found is not None and found[0] > now:
                return found[1]
        total = count()
        if total >= self.large:
            with self._lock:
                self._totals[key] = (now + self.ttl, total)
                self._totals.move_to_end(key)
                while len(self._totals) > self.entries:
                    self._totals.popitem(last=False)
        return total
