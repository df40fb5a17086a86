"""Every task type round-trips against the simulated CPE through the real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AcsServer
from tests.support.cpe import SimulatedCpe
from tests.support.cpe_requests import GetRPCMethods, RequestDownload

WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
SSID = f"{WLAN}1.SSID"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"


class Operator:
    """The REST API as an operator's script uses it (async, so connection requests can land)."""

    def __init__(self, client: httpx.AsyncClient, cpe: SimulatedCpe) -> None:
        self.client, self.cpe = client, cpe
        self.base = f"/api/devices/{quote(cpe.device_id, safe='')}"

    async def task(self, kind: str, **parameters: Any) -> dict[str, Any]:
        reply = await self.client.post(
            f"{self.base}/tasks",
            params={"connection_request": "false"},
            json={"type": kind, "parameters": parameters},
        )
        assert reply.status_code == 201, reply.text
        return reply.json()

    async def finished(self, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = (await self.client.get(f"/api/tasks/{task_id}")).json()
            if task["status"] in ("done", "fault"):
                return task
            await asyncio.sleep(0.05)
        raise AssertionError(f"task {task_id} did not finish: {task}")

    async def caught_up(self, timeout: float = 10.0) -> None:
        """Wait until the read model has applied every event stored so far (it lags the
        sessions)."""
        deadline = time.monotonic() + timeout
        while (await self.client.get("/api/status/projections")).json()["lag_events"] > 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"the read model did not catch up within {timeout} s")
            await asyncio.sleep(0.05)

    async def status(self, task_id: str) -> str:
        return (await self.client.get(f"/api/tasks/{task_id}")).json()["status"]

    async def parameters(self) -> dict[str, dict[str, Any]]:
        rows = (await self.client.get(f"{self.base}/parameters")).json()
        return {p["name"]: p for p in rows}

    async def device(self) -> dict[str, Any]:
        return (await self.client.get(self.base)).json()

    async def run(self, kind: str, **parameters: Any) -> dict[str, Any]:
        """Queue a task, run the CPE's next session, return the finished task."""
        task = await self.task(kind, **parameters)
        await self.cpe.run_session()
        return await self.finished(task["id"])


@pytest.fixture
async def operator(acs_server: AcsServer) -> AsyncIterator[Operator]:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="ALL-TASKS")
    await cpe.run_session()
    async with httpx.AsyncClient(
        base_url=acs_server.url, headers=acs_server.auth_headers, trust_env=False, timeout=10
    ) as client:
        op = Operator(client, cpe)
        for _ in range(100):
            if (await client.get(op.base)).status_code == 200:
                break
            await asyncio.sleep(0.05)
        yield op


async def test_refresh_discovers_names_writability_types_and_values(operator: Operator) -> None:
    task = await operator.run("refresh", path=WLAN)
    assert task["status"] == "done"
    under = {n: v for n, v in operator.cpe.values.items() if n.startswith(WLAN)}
    assert task["result"] == {"parameters": len(under)}
    params = await operator.parameters()
    for name, (value, kind) in under.items():
        assert params[name]["value"] == value
        assert params[name]["type"] == kind
        assert params[name]["writable"] is operator.cpe.writable[name]


async def test_a_whole_tree_refresh_stores_every_parameter(operator: Operator) -> None:
    task = await operator.run("refresh", path="")
    assert task["result"] == {"parameters": len(operator.cpe.values)}
    assert set(await operator.parameters()) == set(operator.cpe.values)


async def test_attributes_are_read_and_written(operator: Operator) -> None:
    done = await operator.run(
        "set_attributes",
        attributes=[{"name": SSID, "notification": 2, "access_list": ["Subscriber"]}],
    )
    assert done["status"] == "done"
    assert operator.cpe.attributes[SSID].notification == 2
    read = await operator.run("get_attributes", names=[SSID])
    assert read["result"] == {
        "attributes": {SSID: {"notification": 2, "access_list": ["Subscriber"]}}
    }
    await operator.run("get_params", names=[SSID])
    params = await operator.parameters()
    assert (params[SSID]["notification"], params[SSID]["access_list"]) == (2, ["Subscriber"])


async def test_add_and_delete_object_change_the_parameter_list(operator: Operator) -> None:
    added = await operator.run("add_object", object=WLAN)
    assert added["status"] == "done", added
    instance = added["result"]["instance"]
    new_path = f"{WLAN}{instance}."
    assert any(n.startswith(new_path) for n in operator.cpe.values)
    params = await operator.parameters()
    mine = {n for n in params if n.startswith(new_path)}
    assert mine == {n for n in operator.cpe.values if n.startswith(new_path)}
    assert mine
    deleted = await operator.run("delete_object", object=new_path)
    assert deleted["result"] == {"status": 0}
    params = await operator.parameters()
    assert not any(n.startswith(new_path) for n in params)


async def test_a_fault_on_one_task_does_not_stop_the_others(operator: Operator) -> None:
    bad = await operator.task("get_params", names=["InternetGatewayDevice.NoSuchThing"])
    good = await operator.task("get_params", names=[SW])
    read_only = await operator.task("set_params", values={SW: "hacked"})
    log = await operator.cpe.run_session()
    assert log.rpcs == ["GetParameterValues", "GetParameterValues", "SetParameterValues"]
    bad, good, read_only = [await operator.finished(t["id"]) for t in (bad, good, read_only)]
    assert (bad["status"], bad["fault"]["code"]) == ("fault", 9005)
    assert good["status"] == "done"
    assert read_only["fault"]["code"] == 9003
    assert read_only["fault"]["parameter_faults"][0]["code"] == 9008


async def test_get_rpc_methods_is_stored_on_the_device(operator: Operator) -> None:
    task = await operator.run("get_rpc_methods")
    assert "GetParameterValues" in task["result"]["methods"]
    assert (await operator.device())["rpc_methods"] == task["result"]["methods"]


async def test_schedule_inform_is_done_by_the_scheduled_session(operator: Operator) -> None:
    task = await operator.task("schedule_inform", delay_seconds=5)
    assert (await operator.cpe.run_session()).rpcs == ["ScheduleInform"]
    await operator.caught_up()
    assert await operator.status(task["id"]) == "sent"
    log = await operator.cpe.run_session()
    assert "M ScheduleInform" in log.events
    assert (await operator.finished(task["id"]))["status"] == "done"


async def test_a_firmware_download_is_done_only_after_transfer_complete(
    operator: Operator,
) -> None:
    operator.cpe.firmware_version = "V2.0-NEW"
    task = await operator.task(
        "download",
        url="http://firmware.example/fw.bin",
        file_size=1024,
        username="fw",
        password="fw-secret",
    )
    assert task["parameters"]["password"] == "********"
    log = await operator.cpe.run_session()
    assert log.rpcs == ["Download"]
    assert b"fw-secret" in log.responses[1], "the CPE receives the real password"
    await operator.caught_up()
    assert await operator.status(task["id"]) == "sent"
    log = await operator.cpe.run_session()
    assert {"1 BOOT", "M Download", "7 TRANSFER COMPLETE"} <= set(log.events)
    assert ("TransferComplete", "TransferCompleteResponse") in log.request_answers
    done = await operator.finished(task["id"])
    assert done["status"] == "done"
    assert (await operator.device())["software_version"] == "V2.0-NEW"


async def test_a_failed_download_faults_with_the_cpes_code(operator: Operator) -> None:
    operator.cpe.download_fault = 9010
    task = await operator.task("download", url="http://firmware.example/fw.bin")
    await operator.cpe.run_session()
    await operator.cpe.run_session()
    done = await operator.finished(task["id"])
    assert (done["status"], done["fault"]["code"]) == ("fault", 9010)


async def test_an_upload_stores_the_file_the_device_sent(operator: Operator) -> None:
    task = await operator.task("upload", file_type="3 Vendor Configuration File")
    log = await operator.cpe.run_session()
    assert log.rpcs == ["Upload"]
    assert log.transfers and log.transfers[0].http_status in (200, 201, 204)
    await operator.cpe.run_session()
    done = await operator.finished(task["id"])
    assert done["status"] == "done", done
    file_id = done["result"]["file"]
    meta = (await operator.client.get(f"/api/files/{file_id}")).json()
    content = (await operator.client.get(f"/api/files/{file_id}/content")).content
    assert meta["size"] == len(content) > 0
    assert meta["device_id"] == operator.cpe.device_id
    assert f"{SW}={operator.cpe.values[SW][0]}".encode() in content


async def test_an_upload_url_is_useless_to_anyone_else(
    operator: Operator, acs_server: AcsServer
) -> None:
    task = await operator.task("upload")
    log = await operator.cpe.run_session()
    url = next(r for r in log.responses if b"Upload" in r)
    assert task["id"].encode() in url
    forged = f"{acs_server.url}/uploads/00000000-0000-0000-0000-000000000000/{task['id']}/00"
    assert (await operator.client.put(forged, content=b"x")).status_code == 403


async def test_cpe_requests_are_answered_and_recorded(operator: Operator) -> None:
    operator.cpe.queue_autonomous_transfer_complete("http://files.example/fw.bin")
    log = await operator.cpe.run_session(
        requests=[RequestDownload(file_type="1 Firmware Upgrade Image"), GetRPCMethods()]
    )
    answers = dict(log.request_answers)
    assert answers["AutonomousTransferComplete"] == "AutonomousTransferCompleteResponse"
    assert answers["RequestDownload"] == "RequestDownloadResponse"
    assert answers["GetRPCMethods"] == "GetRPCMethodsResponse"
    await operator.caught_up()
    events = (await operator.device())["event_count"]
    assert events >= 4


async def test_a_transfer_that_never_completes_faults_after_the_timeout(
    database_url: str,
) -> None:
    server = AcsServer(database_url, env={"ACS_TRANSFER_TIMEOUT": "1"}).start()
    try:
        cpe = SimulatedCpe(f"{server.url}/cwmp", serial="SLOW", never_complete_transfers=True)
        await cpe.run_session()
        async with httpx.AsyncClient(
            base_url=server.url, headers=server.auth_headers, trust_env=False
        ) as client:
            op = Operator(client, cpe)
            while (await client.get(op.base)).status_code != 200:
                await asyncio.sleep(0.05)
            task = await op.run("download", url="http://firmware.example/fw.bin")
        assert task["status"] == "fault"
        assert task["fault"]["reason"] == "timeout"
    finally:
        server.stop()
