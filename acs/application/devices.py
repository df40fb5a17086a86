"""Operator commands on devices, and the load-decide-append loop they share."""

from __future__ import annotations

import enum
import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from acs.adapters.event_store import ConcurrencyError, EventStore
from acs.adapters.secrets import SecretBox
from acs.domain import decide
from acs.domain.device import Device, DeviceNotFoundError, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent
from acs.domain.tasks import SECRET_FIELDS, AnyTask, task_type

log = logging.getLogger(__name__)

ATTEMPTS = 20
"""How often a command is decided again when another writer changed the device first."""


class Load(enum.Enum):
    """Where `decide_and_append` gets the device's state first."""

    FROM_STORE = "from_store"


def decide_and_append(
    store: EventStore,
    device_id: str,
    decision: Callable[[Device | None], list[DeviceEvent]],
    *,
    state: Device | Load | None = Load.FROM_STORE,
) -> tuple[Device | None, list[DeviceEvent], list[int]]:
    """Load, decide, append; on a concurrent write, reload and decide again. `state`: the
    device as the caller just loaded it, to decide on first (a stale one only costs a retry)."""
    aggregate = aggregate_id(device_id)
    for attempt in range(1, ATTEMPTS + 1):
        device = state if attempt == 1 and not isinstance(state, Load) else store.load(aggregate)
        events = decision(device)
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


def _known(device: Device | None, device_id: str) -> Device:
    """The device, if it ever informed (credentials may make it exist before)."""
    if device is None or not device.informed:
        raise DeviceNotFoundError(device_id)
    return device


class DeviceCommands:
    """What operators ask of devices."""

    def __init__(self, store: EventStore, box: SecretBox, task_expiry: float | None = None) -> None:
        self.store = store
        self.box = box
        self.task_expiry = task_expiry  # seconds, when a request gives no expiry; None: never

    def queue_task(
        self, device_id: str, task: AnyTask, actor: str, expires_at: datetime | None = None
    ) -> tuple[str, int]:
        """Queue a task (its secrets sealed), expiring at `expires_at` if never sent (None:
        after the default expiry, if any); returns its id and the event's log position."""
        task_id, at, sealed = uuid.uuid4().hex, now(), self._sealed(task)
        if expires_at is None and self.task_expiry is not None:
            expires_at = at + timedelta(seconds=self.task_expiry)
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.queue_task(
                _known(d, device_id),
                task_id=task_id,
                task=sealed,
                actor=actor,
                at=at,
                expires_at=expires_at,
            ),
        )
        return task_id, positions[-1]

    def expire_tasks(self, device_id: str) -> int:
        """End the device's tasks never sent whose expiry passed; returns how many."""
        at = now()
        _, events, _ = decide_and_append(
            self.store, device_id, lambda d: decide.expire_tasks(d, at=at) if d else []
        )
        return len(events)

    def _sealed(self, task: AnyTask) -> AnyTask:
        fields = SECRET_FIELDS.get(task_type(task), ())
        changes = {f: self.box.seal(getattr(task, f)) for f in fields if getattr(task, f)}
        return msgspec.structs.replace(task, **changes) if changes else task

    def set_credentials(self, device_id: str, username: str, password: str, actor: str) -> int:
        """Set the connection-request credentials; the password is stored sealed."""
        sealed, at = self.box.seal(password), now()
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.set_credentials(
                _known(d, device_id),
                username=username,
                sealed_password=sealed,
                actor=actor,
                at=at,
            ),
        )
        return positions[-1]

    def tag(self, device_id: str, tag: str, actor: str) -> int | None:
        """Tag a device; returns the event's log position, None if it carried the tag."""
        at = now()
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.tag_device(_known(d, device_id), tag=tag, actor=actor, at=at),
        )
        return positions[-1] if positions else None

    def untag(self, device_id: str, tag: str, actor: str) -> int | None:
        """Untag a device; returns the event's log position, None if it lacked the tag."""
        at = now()
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.untag_device(_known(d, device_id), tag=tag, actor=actor, at=at),
        )
        return positions[-1] if positions else None

    def expire_transfers(self, device_id: str, task_ids: list[str], timeout: float) -> int:
        """Fault the transfers of a device that waited longer than `timeout` seconds."""
        at = now()

        def expire(device: Device | None) -> list[DeviceEvent]:
            events: list[DeviceEvent] = []
            state = device
            for task_id in task_ids:
                assert state is not None
                new = decide.expire_transfer(state, task_id=task_id, timeout=timeout, at=at)
                state = project(state, list(new))
                events += new
            return events

        _, events, _ = decide_and_append(self.store, device_id, expire)
        return len(events)
