"""Simulated CPEs that stay online in a background thread, as devices in the field do.

Each CPE bootstraps once, then answers every connection request the ACS sends it with a
session (TR-069 3.2.2) and comes back after a reboot with `1 BOOT` and `M Reboot`, so that
tasks queued from a synchronous test (a browser's, say) run within a second or two::

    with CpeFleet(acs_url, {"FLEET-1": "V1", "FLEET-2": "V2"}) as fleet:
        fleet.cpes["FLEET-1"].device_id

The ACS still needs each device's connection request credentials (`USERNAME`, `PASSWORD`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from tests.support.connection_request_server import ConnectionRequestServer
from tests.support.cpe import SOFTWARE_VERSION, SimulatedCpe

USERNAME = "acs"
PASSWORD = "fleet-cr-Pa55word"
_T = TypeVar("_T")
_STEP_TIMEOUT = 30.0
_IDLE = 3600.0


class CpeFleet:
    """CPEs by serial number, each with its software version, on their own event loop."""

    def __init__(self, acs_url: str, versions: Mapping[str, str]) -> None:
        self.cpes = {
            serial: SimulatedCpe(
                f"{acs_url}/cwmp", serial=serial, overrides={SOFTWARE_VERSION: version}
            )
            for serial, version in versions.items()
        }
        self.errors: list[Exception] = []
        """What sessions failed with (a test may assert it stayed empty)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cpe-fleet")
        self._stack = contextlib.AsyncExitStack()
        self._keepers: list[asyncio.Task[None]] = []

    def __enter__(self) -> CpeFleet:
        self._thread.start()
        try:
            self._call(self._start())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=_STEP_TIMEOUT)
        self._loop.close()

    def _call(self, work: Coroutine[Any, Any, _T]) -> _T:
        """Run a coroutine on the fleet's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(_STEP_TIMEOUT * 2)

    async def _start(self) -> None:
        """Listen for connection requests, then bootstrap every CPE."""
        for cpe in self.cpes.values():
            server = ConnectionRequestServer(cpe, USERNAME, PASSWORD, max_sessions=100_000)
            await self._stack.enter_async_context(server)
            await cpe.run_session()
            self._keepers.append(asyncio.create_task(self._keep_answering(cpe, server)))

    async def _keep_answering(self, cpe: SimulatedCpe, server: ConnectionRequestServer) -> None:
        """After each requested session, the sessions a real CPE would open on its own."""
        while True:
            try:
                await server.wait_for_session(_IDLE)
                while cpe.reboot_command_key is not None:
                    await cpe.run_session()
            except Exception as error:  # recorded; the CPE keeps answering
                self.errors.append(error)

    async def _stop(self) -> None:
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)
        await self._stack.aclose()
