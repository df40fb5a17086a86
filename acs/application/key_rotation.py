"""Key rotation: secrets sealed with an older key are sealed again with the newest one.

Events are immutable, so a device's current secrets (its connection-request credentials and
the credentials the CPE authenticates with) are re-sealed by recording them again: the same
user name and password, sealed with the newest key, actor `acs:key-rotation`. The ciphertext
in past events stays as it was and opens only while its key is configured. Webhook secrets
live in a table and are replaced in place. A task's password is in the event that queued it
and cannot be re-sealed: open tasks with one are counted, and need their key until they end.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from acs.adapters.event_store import EventStore
from acs.adapters.secrets import PREFIX, SecretBox, SecretError
from acs.adapters.webhook_store import WebhookStore
from acs.application.devices import decide_and_append, now
from acs.domain import decide
from acs.domain.device import Device, project
from acs.domain.events import DeviceEvent
from acs.domain.tasks import SECRET_FIELDS

ACTOR = "acs:key-rotation"
"""The actor of the events that record re-sealed credentials."""


class RotationReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a rotation did, and what still needs an older key."""

    devices: int = 0
    """Devices whose current credentials were recorded again, sealed with the newest key."""
    webhooks: int = 0
    """Webhook secrets sealed again with the newest key."""
    open_tasks: int = 0
    """Open tasks whose password is sealed with an older key (it cannot be re-sealed)."""
    unreadable: int = 0
    """Secrets that no configured key opens (sealed with a key no longer listed)."""

    def lines(self) -> list[str]:
        """The report as text, one line per fact."""
        lines = [
            f"devices whose credentials were sealed again: {self.devices}",
            f"webhook secrets sealed again: {self.webhooks}",
        ]
        if self.open_tasks:
            lines.append(
                f"open tasks whose password needs an older key: {self.open_tasks} "
                "(keep the older keys listed until they finish)"
            )
        if self.unreadable:
            lines.append(f"secrets no configured key opens: {self.unreadable}")
        if not (self.open_tasks or self.unreadable):
            lines.append("every current secret is sealed with the newest key")
        return lines


def resealed_credentials(box: SecretBox, device: Device | None, at: datetime) -> list[DeviceEvent]:
    """The events that record a device's current credentials sealed with the newest key
    (none when they already are)."""
    if device is None:
        return []
    events: list[DeviceEvent] = []
    cr = device.credentials
    if cr is not None and not box.is_current(cr.sealed_password):
        sealed = box.reseal(cr.sealed_password)
        events += decide.set_credentials(
            device, username=cr.username, sealed_password=sealed, actor=ACTOR, at=at
        )
    current = project(device, events) or device
    cpe = current.cwmp_credentials
    if cpe is not None and not box.is_current(cpe.sealed_password):
        events += decide.set_cwmp_credentials(
            current,
            aggregate=current.id,
            public_id=current.device_id,
            username=cpe.username,
            sealed_password=box.reseal(cpe.sealed_password),
            actor=ACTOR,
            at=at,
        )
    return events


def stale_task_secrets(box: SecretBox, device: Device) -> int:
    """How many of the device's tasks not sent yet hold a secret sealed with an older key
    (a sent task's secret has reached the CPE; tasks with secrets are never sent twice)."""
    return sum(
        any(not box.is_current(getattr(t.task, f, "")) for f in SECRET_FIELDS.get(t.type, ()))
        for t in device.tasks
        if t.status == "pending"
    )


class KeyRotation:
    """Seals again, with the newest key, every stored secret that can be sealed again."""

    def __init__(self, store: EventStore, webhooks: WebhookStore, box: SecretBox) -> None:
        self.store, self.webhooks, self.box = store, webhooks, box

    def run(self) -> RotationReport:
        """Rotate device credentials and webhook secrets; report what remains."""
        devices, tasks, unreadable = self._devices()
        hooks, unreadable_hooks = self._webhooks()
        return RotationReport(devices=devices, webhooks=hooks, open_tasks=tasks,
                              unreadable=unreadable + unreadable_hooks)  # fmt: skip

    def _devices(self) -> tuple[int, int, int]:
        resealed = tasks = unreadable = 0
        for aggregate in self.store.holding(PREFIX.encode()):
            device = self.store.load(aggregate)
            if device is None:
                continue
            try:
                after, events, _ = decide_and_append(
                    self.store, device.device_id, lambda d: resealed_credentials(self.box, d, now())
                )
            except SecretError:
                unreadable += 1
                continue
            resealed += bool(events)
            tasks += stale_task_secrets(self.box, after or device)
        return resealed, tasks, unreadable

    def _webhooks(self) -> tuple[int, int]:
        resealed = unreadable = 0
        for webhook_id, sealed in self.webhooks.sealed_secrets():
            if self.box.is_current(sealed):
                continue
            try:
                resealed += self.webhooks.reseal(webhook_id, sealed, self.box.reseal(sealed))
            except SecretError:
                unreadable += 1
        return resealed, unreadable
