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
    """Least-recently-used device states: at most `size` of them, holding at most
    `max_parameters` parameters in all. A state's memory grows with its parameters (about
    250 bytes each), from a dozen for a device that only ever informed to thousands for one
    whose whole data model was read, so the parameter budget is what bounds the memory."""

    def __init__(self, size: int, max_parameters: int = 200_000) -> None:
        self.size, self.max_parameters = size, max_parameters
        self._states: OrderedDict[UUID, Device] = OrderedDict()
        self._parameters = 0
        self._lock = threading.Lock()

    def get(self, aggregate: UUID) -> Device | None:
        """The cached state, if any."""
        with self._lock:
            state = self._states.get(aggregate)
            if state is not None:
                self._states.move_to_end(aggregate)
            return state

    def put(self, state: Device) -> None:
        """Remember a state unless an equal or newer one is cached already; the least
        recently used ones go to make room."""
        if self.size <= 0 or len(state.parameters) > self.max_parameters:
            return
        with self._lock:
            known = self._states.get(state.id)
            if known is None or known.version < state.version:
                self._replace(state.id, state)
            self._states.move_to_end(state.id)
            while len(self._states) > self.size or self._parameters > self.max_parameters:
                self._replace(next(iter(self._states)), None)

    def drop(self, aggregate: UUID) -> None:
        """Forget a state."""
        with self._lock:
            self._replace(aggregate, None)

    def _replace(self, aggregate: UUID, state: Device | None) -> None:
        old = self._states.pop(aggregate, None) if state is None else self._states.get(aggregate)
        self._parameters -= len(old.parameters) if old is not None else 0
        if state is not None:
            self._states[aggregate] = state
            self._parameters += len(state.parameters)

    @property
    def parameters(self) -> int:
        """The parameters of every cached state."""
        return self._parameters

    def __len__(self) -> int:
        return len(self._states)
