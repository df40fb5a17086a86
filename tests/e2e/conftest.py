"""End-to-end helpers: the real server over loopback, polled like an operator would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from acs.adapters.event_store import from_stored
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent
from tests.conftest import AcsServer
from tests.support.cpe import SimulatedCpe


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check` returns a truthy value (the read model is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: last {result!r}")
        time.sleep(0.05)


def stored_events(server: AcsServer, cpe: SimulatedCpe) -> list[DeviceEvent]:
    """The device's events as the event store holds them, in version order."""
    aggregate = aggregate_id(cpe.device_id)
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT originator_version, topic, state FROM device_events "
            "WHERE originator_id = %s ORDER BY originator_version",
            (aggregate,),
        ).fetchall()
    return [from_stored(topic, bytes(state), aggregate, version) for version, topic, state in rows]


@pytest.fixture
def api(acs_server: AcsServer) -> Iterator[httpx.Client]:
    """An operator's HTTP client for the REST API."""
    with httpx.Client(
        base_url=acs_server.url,
        headers=acs_server.auth_headers,
        timeout=10,
        trust_env=False,
    ) as client:
        yield client
