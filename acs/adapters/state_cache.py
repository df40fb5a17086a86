"""A bounded, thread-safe cache of device states, so that a session loads each device once.

A cached state is never trusted blindly: loading always asks the store for the events after
the cached version (one indexed query that usually returns nothing), and appending with a
stale state fails on the event store's version check.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

from acs.domain.device import Device


class StateCache:
    """Least-recently-used device states, at most `size` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._states: OrderedDict[UUID, Device] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate: UUID) -> Device | None:
        """The cached state, if any."""
        with self._lock:
            state = self._states.get(aggregate)
            if state is not None:
                self._states.move_to_end(aggregate)
            return state

    def put(self, state: Device) -> None:
        """Remember a state unless an equal or newer one is cached already."""
        if self.size <= 0:
            return
        with self._lock:
            known = self._states.get(state.id)
            if known is None or known.version < state.version:
                self._states[state.id] = state
            self._states.move_to_end(state.id)
            while len(self._states) > self.size:
                self._states.popitem(last=False)

    def drop(self, aggregate: UUID) -> None:
        """Forget a state."""
        with self._lock:
            self._states.pop(aggregate, None)

    def __len__(self) -> int:
        return len(self._states)
