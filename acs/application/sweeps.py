"""Background sweeps: a function a worker runs every few seconds in a daemon thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from acs.adapters.database import log_failure

log = logging.getLogger(__name__)


class Sweep:
    """Runs `sweep` every `interval` seconds until `stop`; a failure is logged (one line
    while the database is unavailable) and the next round tries again."""

    def __init__(self, what: str, sweep: Callable[[], int], interval: float) -> None:
        self.what, self._sweep, self.interval = what, sweep, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=what.replace(" ", "-"), daemon=True)

    def start(self) -> None:
        """Sweep in a daemon thread until `stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping (the sweep under way finishes first, for up to 5 s)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def run_once(self) -> int:
        """Sweep now; returns how many things it changed."""
        return self._sweep()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception as exc:  # the loop must outlive any failure; each one is logged
                log_failure(log, f"{self.what} failed; retrying later", exc)
