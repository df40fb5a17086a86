"""Provisioners installed as entry points (`acs.provisioners`), run apart and time-limited.

Each call runs in a daemon thread of its own and is waited for at most `timeout` seconds: a
provisioner that raises, hangs or returns nonsense gives a `ProvisionerError` (its preset
faults), never an error of the session. A call that times out is abandoned, not stopped
(Python cannot stop a thread): its thread runs on until the function returns, and counts
against the calls that may run at once (`threads`); beyond them a call faults at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from acs.domain.extensions import GROUP, DeviceSnapshot, ProvisionerError, desired_state
from acs.domain.presets import Ensure

log = logging.getLogger(__name__)

Finder = Callable[[], Mapping[str, Callable[..., Any]]]
"""Finds the installed provisioners by name (entry points, or a fixed table in tests)."""


def installed() -> dict[str, Callable[..., Any]]:
    """The installed provisioners by name, loaded lazily: an entry point loads on first use."""
    return {ep.name: _lazy(ep) for ep in metadata.entry_points(group=GROUP)}


def _lazy(entry: metadata.EntryPoint) -> Callable[..., Any]:
    loaded: list[Callable[..., Any]] = []

    def call(*args: Any) -> Any:
        if not loaded:
            loaded.append(entry.load())
        return loaded[0](*args)

    return call


class Provisioners:
    """Calls provisioners by name with a time limit, each call in a daemon thread."""

    def __init__(self, timeout: float, find: Finder = installed, threads: int = 8) -> None:
        self.timeout, self._find = timeout, find
        self._known: Mapping[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(threads)

    def desired(self, name: str, device: DeviceSnapshot, event_codes: tuple[str, ...]) -> Ensure:
        """The desired state provisioner `name` gives this device (`ProvisionerError` if none)."""
        function = self._function(name)
        if not self._slots.acquire(blocking=False):
            raise ProvisionerError(f"provisioner {name} not run: too many calls still running")
        outcome: list[tuple[bool, Any]] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, function(device, event_codes)))
            except BaseException as exc:
                outcome.append((False, exc))
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=run, name=f"provisioner-{name}", daemon=True).start()
        if not done.wait(self.timeout):
            raise ProvisionerError(f"provisioner {name} took longer than {self.timeout:g} s")
        succeeded, answer = outcome[0]
        if not succeeded:
            log.warning("provisioner %s failed on %s", name, device.device_id, exc_info=answer)
            kind = type(answer).__name__
            raise ProvisionerError(f"provisioner {name} failed: {kind}: {answer}")
        return desired_state(name, answer)

    def _function(self, name: str) -> Callable[..., Any]:
        with self._lock:
            if name not in self._known:
                self._known = self._find()
            found = self._known.get(name)
        if found is None:
            known = ", ".join(sorted(self._known)) or "none"
            raise ProvisionerError(f"no provisioner {name} is installed (installed: {known})")
        return found
