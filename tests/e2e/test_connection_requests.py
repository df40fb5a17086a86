"""Connection requests: a task runs within seconds, and every outcome is reported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest

from tests.conftest import AcsServer
from tests.support.connection_request_server import ConnectionRequestServer
from tests.support.cpe import SimulatedCpe

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
CR_URL = "InternetGatewayDevice.ManagementServer.ConnectionRequestURL"
PASSWORD = "cr-Pa55word-never-shown"


@pytest.fixture
async def api(acs_server: AcsServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=acs_server.url, headers=acs_server.auth_headers, trust_env=False, timeout=15
    ) as client:
        yield client


async def registered(api: httpx.AsyncClient, cpe: SimulatedCpe) -> str:
    """Run the CPE's bootstrap (with its current CR URL) and wait for the read model."""
    await cpe.run_session()
    path = f"/api/devices/{quote(cpe.device_id, safe='')}"
    for _ in range(200):
        if (await api.get(path)).status_code == 200:
            return path
        await asyncio.sleep(0.05)
    raise AssertionError("device not registered")


async def credentials(api: httpx.AsyncClient, path: str, password: str = PASSWORD) -> None:
    reply = await api.put(
        f"{path}/connection-request-credentials", json={"username": "acs", "password": password}
    )
    assert reply.status_code == 204, reply.text


async def get_params(api: httpx.AsyncClient, path: str) -> dict[str, Any]:
    reply = await api.post(
        f"{path}/tasks", json={"type": "get_params", "parameters": {"names": [SW]}}
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


async def finished(api: httpx.AsyncClient, task_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = (await api.get(f"/api/tasks/{task_id}")).json()
        if task["status"] in ("done", "fault"):
            return task
        await asyncio.sleep(0.02)
    raise AssertionError(f"not finished within {timeout} s")


async def test_a_task_runs_within_seconds_through_a_digest_connection_request(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-OK")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD) as server:
        path = await registered(api, cpe)
        await credentials(api, path)
        started = time.monotonic()
        task = await get_params(api, path)
        assert task["connection_request"] == "ok"
        log = await server.wait_for_session(timeout=5)
        assert log.events == ["6 CONNECTION REQUEST"]
        assert log.rpcs == ["GetParameterValues"]
        done = await finished(api, task["id"], timeout=5)
        assert done["status"] == "done"
        assert time.monotonic() - started < 2.0
        assert server.hits == 1
    device = (await api.get(path)).json()
    assert device["connection_request_outcome"] == "ok"


async def test_the_wrong_password_is_reported(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-BAD")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD) as server:
        path = await registered(api, cpe)
        await credentials(api, path, password="wrong")
        task = await get_params(api, path)
        assert task["connection_request"] == "auth_failed"
        assert server.failed_auth >= 1 and server.hits == 0


async def test_basic_authentication_is_used_when_the_cpe_asks_for_it(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-BASIC")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD, allow_basic=True) as server:
        path = await registered(api, cpe)
        await credentials(api, path)
        task = await get_params(api, path)
        assert task["connection_request"] == "ok"
        await server.wait_for_session(timeout=5)


async def test_unreachable_and_silent_cpes_are_reported_without_blocking(
    database_url: str,
) -> None:
    silent = await asyncio.start_server(lambda r, w: asyncio.sleep(30), "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    server = AcsServer(database_url, env={"ACS_CONNECTION_REQUEST_TIMEOUT": "1"}).start()
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers=server.auth_headers, trust_env=False, timeout=15
        ) as api:
            down = SimulatedCpe(
                f"{server.url}/cwmp", serial="CR-DOWN", overrides={CR_URL: "http://127.0.0.1:9/cr"}
            )
            mute = SimulatedCpe(
                f"{server.url}/cwmp",
                serial="CR-MUTE",
                overrides={CR_URL: f"http://127.0.0.1:{silent_port}/cr"},
            )
            down_path, mute_path = await registered(api, down), await registered(api, mute)
            slow = asyncio.create_task(get_params(api, mute_path))
            started = time.monotonic()
            assert (await get_params(api, down_path))["connection_request"] == "unreachable"
            assert time.monotonic() - started < 1.0, "a silent CPE holds no request thread"
            assert (await slow)["connection_request"] == "timeout"
    finally:
        server.stop()
        silent.close()


async def test_requests_are_deduplicated_while_a_session_is_pending(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-DEDUP")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD, max_sessions=0) as server:
        path = await registered(api, cpe)
        await credentials(api, path)
        first, second = await get_params(api, path), await get_params(api, path)
        assert first["connection_request"] in ("ok", "unreachable")
        assert second["connection_request"] == "skipped"
        assert second["connection_request_detail"] == "a connection request is pending"
        assert server.hits == 1, "the second task sent no request"
        await cpe.run_session()
        third = await get_params(api, path)
        assert third["connection_request"] != "skipped"


async def test_skipping_the_connection_request_is_possible(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-SKIP")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD) as server:
        path = await registered(api, cpe)
        reply = await api.post(f"{path}/reboot", params={"connection_request": "false"})
        assert reply.json()["connection_request"] == "skipped"
        assert server.hits == 0


async def test_the_password_is_never_shown_nor_stored_in_plain_text(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="CR-SECRET")
    async with ConnectionRequestServer(cpe, "acs", PASSWORD) as server:
        path = await registered(api, cpe)
        await credentials(api, path)
        task = await get_params(api, path)
        await server.wait_for_session(timeout=5)
        await finished(api, task["id"], timeout=5)
    seen = [
        (await api.get(url)).text
        for url in (
            path,
            f"{path}/tasks",
            f"{path}/parameters",
            "/api/devices",
            "/schema/openapi.json",
        )
    ]
    assert not any(PASSWORD in text for text in seen)
    with psycopg.connect(acs_server.database_url) as conn:
        stored = conn.execute("SELECT state FROM device_events").fetchall()
        tables = conn.execute("SELECT * FROM devices").fetchall()
    assert stored and not any(PASSWORD.encode() in bytes(row[0]) for row in stored)
    assert PASSWORD not in str(tables)
    assert PASSWORD not in acs_server.log.read_text()
