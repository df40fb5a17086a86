"""The services a running ACS holds, built once by `create_app` and shared by controllers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import msgspec
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import EventStore
from acs.adapters.file_store import FileStore
from acs.adapters.settings import Settings
from acs.application.access import Access
from acs.application.connection_requests import ConnectionRequests
from acs.application.cwmp import CwmpService
from acs.application.cwmp_credentials import CwmpCredentialCommands
from acs.application.devices import DeviceCommands
from acs.application.fleet import Fleet
from acs.application.presets import PresetCommands
from acs.application.uploads import Uploads
from acs.application.webhook_delivery import WebhookDelivery
from acs.application.webhooks import Webhooks
from acs.projections.queries import ReadModel
from acs.projections.runner import ProjectionRunner

P = ParamSpec("P")
T = TypeVar("T")


class Services(msgspec.Struct, kw_only=True):
    """Everything a request may need; blocking calls go through `run`."""

    settings: Settings
    store: EventStore
    pool: ConnectionPool
    cwmp: CwmpService
    commands: DeviceCommands
    read: ReadModel
    files: FileStore
    uploads: Uploads
    projector: ProjectionRunner
    executor: ThreadPoolExecutor
    presets: PresetCommands
    webhooks: Webhooks
    access: Access
    connection_requests: ConnectionRequests | None = None
    webhook_delivery: WebhookDelivery | None = None
    fleet: Fleet | None = None
    cwmp_credentials: CwmpCredentialCommands | None = None

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking call (database, event store) in the worker's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))

    async def wait_for_read_model(self, position: int, timeout: float = 2.0) -> bool:
        """Wait until the read model has applied the event at `position` (read your writes)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.run(self.read.position) < position:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True
