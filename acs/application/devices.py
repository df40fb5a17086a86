"""Operator commands on devices."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from acs.adapters.event_store import ConcurrencyError, EventStore
from acs.domain.decide import queue_task
from acs.domain.device import Device, DeviceNotFoundError, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent
from acs.domain.tasks import AnyTask

log = logging.getLogger(__name__)

ATTEMPTS = 20
"""How often a command is decided again when another writer changed the device first."""


def decide_and_append(
    store: EventStore,
    device_id: str,
    decide: Callable[[Device | None], list[DeviceEvent]],
) -> tuple[Device | None, list[DeviceEvent], list[int]]:
    """Load, decide, append; on a concurrent write, reload and decide again."""
    aggregate = aggregate_id(device_id)
    for attempt in range(1, ATTEMPTS + 1):
        device = store.load(aggregate)
        events = decide(device)
        if not events:
            return device, events, []
        after = project(device, list(events))
        try:
            positions = store.append(events, after)
        except ConcurrencyError:
            log.debug("concurrent write to %s, attempt %d", device_id, attempt)
            time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - jitter, not crypto
            continue
        return after, events, positions
    raise ConcurrencyError(device_id)


def now() -> datetime:
    """The ACS clock (UTC)."""
    return datetime.now(UTC)


class DeviceCommands:
    """What operators ask of devices."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def queue_task(self, device_id: str, task: AnyTask, actor: str) -> tuple[str, int]:
        """Queue a task; returns its id and the event's log position."""
        task_id = uuid.uuid4().hex
        at = now()
        try:
            _, _, positions = decide_and_append(
                self.store,
                device_id,
                lambda device: queue_task(device, task_id=task_id, task=task, actor=actor, at=at),
            )
        except DeviceNotFoundError:
            raise DeviceNotFoundError(device_id) from None
        return task_id, positions[-1]
