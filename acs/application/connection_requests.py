"""Asking a CPE to open a session now (TR-069 3.2.2), without blocking a worker thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from acs.adapters.connection_request import Outcome, send_connection_request
from acs.adapters.event_store import EventStore
from acs.adapters.secrets import SecretBox, SecretError
from acs.adapters.session_store import SessionStore
from acs.application.devices import decide_and_append, now
from acs.domain import decide
from acs.domain.device import Device, DeviceNotFoundError
from acs.domain.device_id import aggregate_id

T = TypeVar("T")
Run = Callable[..., Awaitable[Any]]
_URL_SUFFIX = ".ManagementServer.ConnectionRequestURL"


def connection_request_url(device: Device) -> str | None:
    """The latest ConnectionRequestURL the device reported."""
    return next((p.value for n, p in device.parameters.items() if n.endswith(_URL_SUFFIX)), None)


class ConnectionRequests:
    """Sends connection requests, deduplicated while a session is pending, and records them."""

    def __init__(
        self,
        store: EventStore,
        sessions: SessionStore,
        box: SecretBox,
        *,
        timeout: float,
        pending_for: float,
        run: Run,
    ) -> None:
        self.store, self.sessions, self.box = store, sessions, box
        self.timeout, self.pending_for, self.run = timeout, pending_for, run

    async def request(self, device_id: str, task_id: str = "") -> tuple[Outcome, str]:
        """Ask the device to connect; returns the outcome and a short detail."""
        device = await self.run(self.store.load, aggregate_id(device_id))
        if device is None or not device.informed:
            raise DeviceNotFoundError(device_id)
        skip = await self._reason_to_skip(device)
        if skip:
            return Outcome.SKIPPED, skip
        url = connection_request_url(device)
        assert url is not None
        username, password = self._credentials(device)
        outcome, detail = await send_connection_request(url, username, password, self.timeout)
        await self.run(self._record, device_id, url, outcome, detail, task_id)
        return outcome, detail

    async def _reason_to_skip(self, device: Device) -> str:
        if not connection_request_url(device):
            return "the device reported no ConnectionRequestURL"
        if await self.run(self.sessions.is_open, device.device_id):
            return "a session is open: the task runs in it"
        last = device.last_connection_request
        waiting = last is not None and (device.last_inform is None or last > device.last_inform)
        if waiting and last is not None and now() - last < timedelta(seconds=self.pending_for):
            return "a connection request is pending"
        return ""

    def _credentials(self, device: Device) -> tuple[str, str]:
        if device.credentials is None:
            return "", ""
        try:
            password = self.box.open(device.credentials.sealed_password)
        except SecretError:
            password = ""
        return device.credentials.username, password

    def _record(
        self, device_id: str, url: str, outcome: Outcome, detail: str, task_id: str
    ) -> None:
        at = now()
        decide_and_append(
            self.store,
            device_id,
            lambda d: (
                decide.record_connection_request(
                    d,
                    url=url,
                    outcome=outcome.value,
                    detail=detail,
                    task_id=task_id,
                    at=at,
                )
                if d
                else []
            ),
        )
