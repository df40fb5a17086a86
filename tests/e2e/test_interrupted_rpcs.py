"""A CPE that drops the connection after taking an RPC: idempotent RPCs are sent again in
its next session; any other is never sent twice, and its task ends from the next Inform's
evidence or visibly faulted `outcome_unknown`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
import pytest

from acs.domain.events import RpcSent
from tests.conftest import AcsServer, Databases
from tests.e2e.conftest import eventually, stored_events
from tests.support.cpe import SessionLog, SimulatedCpe, SimulatorError

SESSION_TIMEOUT = 2
"""Seconds before the session the CPE walked away from expires (ACS_CWMP_SESSION_TIMEOUT)."""
WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
SSID = f"{WLAN}1.SSID"


@pytest.fixture(scope="module")
def server(databases: Databases) -> Iterator[AcsServer]:
    """One ACS for the module (each test has its own device), with short-lived sessions."""
    acs = AcsServer(databases.fresh(), env={"ACS_CWMP_SESSION_TIMEOUT": str(SESSION_TIMEOUT)})
    acs.start()
    try:
        yield acs
    finally:
        acs.stop()


@pytest.fixture
def api(server: AcsServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, headers=server.auth_headers, timeout=10, trust_env=False
    ) as client:
        yield client


def rpcs_sent(server: AcsServer, cpe: SimulatedCpe, task_id: str) -> list[str]:
    """The RPC methods the event store says were sent for a task."""
    return [
        e.method
        for e in stored_events(server, cpe)
        if isinstance(e, RpcSent) and e.task_id == task_id
    ]


async def next_session(cpe: SimulatedCpe, timeout: float = 3 * SESSION_TIMEOUT) -> SessionLog:
    """The CPE's next session, once the ACS lets the one it walked away from expire."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await cpe.run_session()
        except SimulatorError as error:
            if "HTTP 503" not in str(error) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


async def registered(server: AcsServer, api: httpx.Client, serial: str) -> SimulatedCpe:
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial=serial)
    await cpe.run_session()
    eventually(lambda: api.get(f"/api/devices/{quote(cpe.device_id, safe='')}").is_success)
    return cpe


def queue(api: httpx.Client, cpe: SimulatedCpe, kind: str, **parameters: Any) -> str:
    reply = api.post(
        f"/api/devices/{quote(cpe.device_id, safe='')}/tasks",
        params={"connection_request": "false"},
        json={"type": kind, "parameters": parameters},
    )
    assert reply.status_code == 201, reply.text
    task_id: str = reply.json()["id"]
    return task_id


def finished(api: httpx.Client, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = eventually(
        lambda: (t := api.get(f"/api/tasks/{task_id}").json())["status"] in ("done", "fault") and t
    )
    return task


@pytest.mark.parametrize(
    ("kind", "parameters", "method"),
    [
        ("get_params", {"names": [SSID]}, "GetParameterValues"),
        ("set_params", {"values": {SSID: "after-the-drop"}}, "SetParameterValues"),
    ],
)
async def test_an_idempotent_rpc_the_cpe_dropped_is_sent_again_and_done_next_session(
    server: AcsServer, api: httpx.Client, kind: str, parameters: dict[str, Any], method: str
) -> None:
    cpe = await registered(server, api, f"DROP-{kind}")
    task_id = queue(api, cpe, kind, **parameters)
    cpe.disconnect_after = method
    dropped = await cpe.run_session()
    assert (dropped.rpcs, dropped.disconnected_after) == ([method], method)
    eventually(lambda: api.get(f"/api/tasks/{task_id}").json()["status"] == "sent")

    again = await next_session(cpe)
    assert again.rpcs == [method], "sent again in the next session"
    assert finished(api, task_id)["status"] == "done"
    assert rpcs_sent(server, cpe, task_id) == [method, method]
    if kind == "set_params":
        assert cpe.values[SSID][0] == "after-the-drop"


class Drop(NamedTuple):
    """A task whose RPC the CPE takes before dropping the connection, and how it ends."""

    kind: str
    parameters: dict[str, Any]
    method: str
    forgets: bool
    """The CPE loses the RPC (no evidence in its next Inform) rather than carrying it out."""
    status: str


FIRMWARE = {"url": "http://firmware.example/fw.bin"}
DROPS = [
    Drop("reboot", {}, "Reboot", False, "done"),
    Drop("reboot", {}, "Reboot", True, "fault"),
    Drop("factory_reset", {}, "FactoryReset", False, "done"),
    Drop("factory_reset", {}, "FactoryReset", True, "fault"),
    Drop("download", FIRMWARE, "Download", False, "done"),
    Drop("download", FIRMWARE, "Download", True, "fault"),
    Drop("add_object", {"object": WLAN}, "AddObject", False, "fault"),
    Drop("schedule_inform", {"delay_seconds": 1}, "ScheduleInform", False, "done"),
    Drop("schedule_inform", {"delay_seconds": 1}, "ScheduleInform", True, "fault"),
]


@pytest.mark.parametrize("drop", DROPS, ids=lambda d: f"{d.kind}-{d.status}")
async def test_a_non_idempotent_rpc_the_cpe_dropped_is_never_sent_again(
    server: AcsServer, api: httpx.Client, drop: Drop
) -> None:
    kind, parameters, method, forgets, status = drop
    cpe = await registered(server, api, f"DROP-{kind}-{'lost' if forgets else 'done'}")
    instances = sum(1 for path in cpe.objects if path.count(".") == 5 and path.startswith(WLAN))
    task_id = queue(api, cpe, kind, **parameters)
    cpe.disconnect_after, cpe.disconnect_forgets = method, forgets
    dropped = await cpe.run_session()
    assert (dropped.rpcs, dropped.disconnected_after) == ([method], method)

    settled = await next_session(cpe)
    assert method not in settled.rpcs
    task = finished(api, task_id)
    assert task["status"] == status, task
    if status == "fault":
        assert task["fault"]["code"] == "outcome_unknown"
        assert task["fault"]["string"] == (
            f"the CPE never answered {method}; not resent: "
            "check the device and queue it again if needed"
        )
        listed = api.get(f"/api/devices/{quote(cpe.device_id, safe='')}/tasks").json()
        assert [(t["status"], t["fault"]["code"]) for t in listed if t["id"] == task_id] == [
            ("fault", "outcome_unknown")
        ]
    later = await next_session(cpe)
    assert method not in later.rpcs
    assert rpcs_sent(server, cpe, task_id) == [method], "one RpcSent for the task, ever"
    if kind == "add_object":
        now = sum(1 for path in cpe.objects if path.count(".") == 5 and path.startswith(WLAN))
        assert now == instances + 1, "one instance, not two"
