"""One CWMP session per device at a time: a second one is refused (503 + Retry-After) and
stores nothing; a session its CPE abandoned expires after ACS_CWMP_SESSION_TIMEOUT."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from acs.domain.events import (
    InformReceived,
    RpcAnswered,
    RpcSent,
    TaskCompleted,
    TaskQueued,
)
from tests.conftest import AcsServer, Databases
from tests.e2e.conftest import eventually, stored_events
from tests.support.cpe import SimulatedCpe

SESSION_TIMEOUT = 2
"""Seconds an idle session holds its device (ACS_CWMP_SESSION_TIMEOUT)."""
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"


@pytest.fixture(scope="module")
def server(databases: Databases) -> Iterator[AcsServer]:
    """One ACS for the module (each test has its own device), with short-lived sessions and
    two worker processes: the session lock lives in PostgreSQL, not in a worker."""
    acs = AcsServer(
        databases.fresh(), workers=2, env={"ACS_CWMP_SESSION_TIMEOUT": str(SESSION_TIMEOUT)}
    )
    acs.start()
    try:
        yield acs
    finally:
        acs.stop()


def cwmp_client() -> httpx.Client:
    """A CPE's connection of its own (cookies and TCP connection not shared)."""
    return httpx.Client(trust_env=False, timeout=10)


def refused(reply: httpx.Response) -> bool:
    return reply.status_code == 503 and int(reply.headers["retry-after"]) > 0 and not reply.content


async def test_a_second_session_while_the_first_is_open_is_refused_and_stores_nothing(
    server: AcsServer,
) -> None:
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial="EXCLUSIVE")
    await cpe.run_session()
    with httpx.Client(base_url=server.url, headers=server.auth_headers, trust_env=False) as api:
        path = f"/api/devices/{quote(cpe.device_id, safe='')}"
        eventually(lambda: api.get(path).is_success)
        queued = api.post(f"{path}/tasks?connection_request=false",
                          json={"type": "get_params", "parameters": {"names": [SSID]}})  # fmt: skip
        assert queued.status_code == 201
    before = stored_events(server, cpe)
    url = f"{server.url}/cwmp"
    intruder = cpe.build_inform(["6 CONNECTION REQUEST"])
    with cwmp_client() as one, cwmp_client() as two:
        opened = one.post(url, content=cpe.build_inform(["2 PERIODIC"]))
        assert opened.status_code == 200
        session_id = one.cookies["acs_session"]
        assert refused(two.post(url, content=intruder)), "refused after the Inform"
        rpc = one.post(url, content=b"")
        assert rpc.status_code == 200 and b"GetParameterValues" in rpc.content
        assert refused(two.post(url, content=intruder)), "refused with an RPC in flight"
        assert two.post(url, content=b"").status_code == 400, "no session for the intruder"
        assert one.post(url, content=cpe.answer(rpc.content)).status_code == 204
    events = stored_events(server, cpe)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    added = events[len(before) :]
    assert events[: len(before)] == before
    assert [type(e) for e in added] == [InformReceived, RpcSent, RpcAnswered, TaskCompleted]
    inform, sent = added[0], added[1]
    assert isinstance(inform, InformReceived) and isinstance(sent, RpcSent)
    assert inform.event_codes == ("2 PERIODIC",) and inform.session_id == session_id
    assert sent.session_id == session_id
    assert any(isinstance(e, TaskQueued) for e in before)
    with cwmp_client() as two:
        assert two.post(url, content=intruder).status_code == 200, "accepted once it ended"


def test_simultaneous_informs_of_one_device_open_exactly_one_session(server: AcsServer) -> None:
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial="RACE")
    body = cpe.build_inform(["0 BOOTSTRAP", "1 BOOT"])

    async def race() -> list[httpx.Response]:
        async def inform() -> httpx.Response:
            async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
                return await client.post(f"{server.url}/cwmp", content=body)

        return await asyncio.gather(*(inform() for _ in range(8)))

    replies = asyncio.run(race())
    assert sorted(r.status_code for r in replies) == [200] + [503] * 7
    assert all(refused(r) for r in replies if r.status_code != 200)
    assert [type(e) for e in stored_events(server, cpe)] == [InformReceived]


def test_a_session_abandoned_by_a_crashed_cpe_expires_and_the_next_one_is_accepted(
    server: AcsServer,
) -> None:
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial="ABANDONED")
    url = f"{server.url}/cwmp"
    with cwmp_client() as crashed:
        assert crashed.post(url, content=cpe.build_inform(["0 BOOTSTRAP"])).status_code == 200
        stale_cookie = crashed.cookies["acs_session"]
    opened_at = time.monotonic()
    retry = cpe.build_inform(["1 BOOT"])
    with cwmp_client() as rebooted:
        assert refused(rebooted.post(url, content=retry)), "the lock holds while it may be used"
        while (reply := rebooted.post(url, content=retry)).status_code == 503:
            assert time.monotonic() - opened_at < 3 * SESSION_TIMEOUT, "the lock never expired"
            time.sleep(0.2)
        assert reply.status_code == 200
        assert time.monotonic() - opened_at >= SESSION_TIMEOUT / 2
        assert rebooted.post(url, content=b"").status_code == 204
    with cwmp_client() as late:
        late.cookies.set("acs_session", stale_cookie)
        assert late.post(url, content=b"").status_code == 400, "the abandoned session is gone"
    events = stored_events(server, cpe)
    assert [type(e) for e in events] == [InformReceived, InformReceived]
    assert [e.originator_version for e in events] == [1, 2]
    codes = [e.event_codes for e in events if isinstance(e, InformReceived)]
    assert codes == [("0 BOOTSTRAP",), ("1 BOOT",)]
