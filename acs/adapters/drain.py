"""A worker's way out: once told to stop it opens no CWMP session, serves the ones it has
open until they end or the grace period passes, and only then lets the server stop.

A CWMP session is several HTTP requests, often over new connections, so stopping the way
an HTTP server does (close the listening socket, finish the requests in flight) would cut
every session open at that moment. Sessions are tracked per worker, in memory: the ones
whose requests it answered, each until it ends or stays idle past its timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Drain:
    """The stop state of one worker process, shared by its server and its application."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, float] = {}
        self._deadline: float | None = None

    @property
    def draining(self) -> bool:
        """Whether the worker was told to stop: it opens no new CWMP session."""
        return self._deadline is not None

    def begin(self, grace: float) -> None:
        """Stop opening sessions; the open ones have `grace` seconds (from the first call)."""
        with self._lock:
            if self._deadline is None:
                self._deadline = self._clock() + grace

    def remaining(self) -> float:
        """Seconds left of the grace period (0 when not draining or past it)."""
        if self._deadline is None:
            return 0.0
        return max(0.0, self._deadline - self._clock())

    def served(self, session_id: str, *, ended: bool, idle_timeout: float) -> None:
        """A request of this session was answered: it ended, or may go on for `idle_timeout`."""
        with self._lock:
            if ended:
                self._sessions.pop(session_id, None)
            else:
                self._sessions[session_id] = self._clock() + idle_timeout

    def open_sessions(self) -> int:
        """The sessions this worker serves that have neither ended nor expired."""
        now = self._clock()
        with self._lock:
            for session_id, expires in list(self._sessions.items()):
                if expires < now:
                    del self._sessions[session_id]
            return len(self._sessions)

    def drained(self) -> bool:
        """Draining, and no session is left open or the grace period is over."""
        return self.draining and (self.open_sessions() == 0 or self.remaining() == 0.0)


WORKER = Drain()
"""This process's drain: a worker process runs one server and one application."""
