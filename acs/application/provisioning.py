"""Provisioning inside CWMP sessions: which presets apply, and the tasks they need now.

A preset that names a provisioner gets its desired state from it first; a provisioner that
fails faults its own preset (`PresetFaulted`, with backoff) and the session goes on.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime
from typing import Protocol

import msgspec
from psycopg_pool import ConnectionPool

from acs.domain import decide
from acs.domain.device import Device, project
from acs.domain.events import DeviceEvent
from acs.domain.extensions import DeviceSnapshot, ProvisionerError, snapshot, with_desired
from acs.domain.presets import Ensure, PresetDefinition, matches
from acs.domain.provisioning import PRESET_ACTOR, DeviceView, plan, ready
from acs.domain.tasks import AnyTask

MAX_ROUNDS = 4
"""Planning rounds per session: read unknown values, then write what differs, then a little."""

_ACTIVE = "SELECT name, definition FROM presets WHERE NOT deleted ORDER BY weight, name"
_DECODER = msgspec.json.Decoder(PresetDefinition)


class PresetCatalog:
    """The active presets, read from the read model at most every `ttl` seconds."""

    def __init__(self, pool: ConnectionPool, ttl: float = 2.0) -> None:
        self.pool, self.ttl = pool, ttl
        self._presets: list[tuple[str, PresetDefinition]] = []
        self._read_at = -1e9
        self._lock = threading.Lock()

    def active(self) -> list[tuple[str, PresetDefinition]]:
        """Presets by weight, then name."""
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl:
                with self.pool.connection() as conn:
                    rows = conn.execute(_ACTIVE).fetchall()
                self._presets = [(str(n), msgspec.convert(d, PresetDefinition)) for n, d in rows]
                self._read_at = time.monotonic()
            return self._presets


def view(device: Device) -> DeviceView:
    """What the planner sees of a device."""
    identity = {"serial_number": device.serial_number, "oui": device.oui,
                "product_class": device.product_class, "manufacturer": device.manufacturer,
                "device_id": device.device_id}  # fmt: skip
    return DeviceView(
        identity=identity,
        values={n: p.value for n, p in device.parameters.items()},
        open_actors=frozenset(t.actor for t in device.tasks),
        runs=device.presets,
    )


def _facts(device: Device, values: dict[str, str]) -> dict[str, str]:
    software = next((v for n, v in values.items() if n.endswith(".DeviceInfo.SoftwareVersion")), "")
    return {"manufacturer": device.manufacturer, "oui": device.oui,
            "product_class": device.product_class, "software_version": software}  # fmt: skip


class DesiredState(Protocol):
    """Where provisioners' desired state comes from (`acs.adapters.provisioners`)."""

    def desired(self, name: str, device: DeviceSnapshot, event_codes: tuple[str, ...]) -> Ensure:
        """The desired state of provisioner `name`; `ProvisionerError` when it has none."""
        ...


class Provisioner:
    """Plans the presets that apply to a device in a session into queued tasks."""

    def __init__(self, catalog: PresetCatalog, extensions: DesiredState | None = None) -> None:
        self.catalog, self.extensions = catalog, extensions

    def queue(
        self, device: Device, event_codes: tuple[str, ...], at: datetime
    ) -> list[DeviceEvent]:
        """`TaskQueued` events (actor `preset:<name>`) for what the presets need now."""
        presets = self.catalog.active()
        if not presets:
            return []  # the device's view costs a copy of every parameter value
        seen = view(device)
        facts = _facts(device, seen.values)
        tags: tuple[str, ...] = getattr(device, "tags", ())
        events: list[DeviceEvent] = []
        state = device
        for name, preset in presets:
            if not matches(preset, event_codes, facts, seen.values, tags):
                continue
            try:
                tasks = self._plan(name, preset, seen, tags, event_codes=event_codes, at=at)
            except ProvisionerError as exc:
                new = decide.fault_preset(state, name=name, reason=str(exc), at=at)
                state = project(state, list(new)) or state
                events += new
                continue
            for task in tasks:
                new = decide.queue_task(state, task_id=uuid.uuid4().hex, task=task,
                                        actor=PRESET_ACTOR + name, at=at)  # fmt: skip
                state = project(state, list(new)) or state
                events += new
        return events

    def _plan(
        self,
        name: str,
        preset: PresetDefinition,
        seen: DeviceView,
        tags: tuple[str, ...],
        *,
        event_codes: tuple[str, ...],
        at: datetime,
    ) -> list[AnyTask]:
        """The preset's tasks this round, its provisioner's desired state added if it names one."""
        if preset.provisioner and ready(name, seen, at):
            if self.extensions is None:
                raise ProvisionerError("provisioners are not enabled in this process")
            device = snapshot(seen.identity, seen.values, tags)
            desired = self.extensions.desired(preset.provisioner, device, event_codes)
            preset = with_desired(preset, desired)
        return plan(name, preset, seen, at)
