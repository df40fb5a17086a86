"""Files, firmware campaigns and bulk operations against the real server and simulated CPEs."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from tests.conftest import AcsServer
from tests.support.cpe import SOFTWARE_VERSION, SimulatedCpe

FAST = {"ACS_CAMPAIGN_INTERVAL": "0.2", "ACS_CONNECTION_REQUEST_TIMEOUT": "0.5"}
NEW = "V200R001-CAMPAIGN"
Json = dict[str, Any]
ROUNDS = 80


@pytest.fixture
def fleet_server(database_url: str) -> Iterator[AcsServer]:
    """The ACS with a campaign driver that runs five times a second."""
    server = AcsServer(database_url, env=FAST).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def api(fleet_server: AcsServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=fleet_server.url, headers=fleet_server.auth_headers, trust_env=False, timeout=15
    ) as c:
        yield c


async def sessions(cpes: Sequence[SimulatedCpe], chunk: int = 25) -> None:
    """One CWMP session of each CPE, `chunk` at a time."""
    for start in range(0, len(cpes), chunk):
        await asyncio.gather(*(cpe.run_session() for cpe in cpes[start : start + chunk]))


async def upload(api: httpx.AsyncClient, version: str = NEW, **extra: str) -> Json:
    """Store a firmware image as an operator."""
    params = {"version": version, "name": "fw.bin", "vendor": "Huawei", **extra}
    answer = await api.post("/api/files", params=params, content=b"\x7fFW" * 4000,
                            headers={"X-ACS-Actor": "alice"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    body: Json = answer.json()
    return body


async def drive(
    api: httpx.AsyncClient,
    path: str,
    cpes: dict[str, SimulatedCpe],
    busy: Callable[[Json], Awaitable[list[str]]],
    done: Callable[[Json], bool],
) -> Json:
    """Run the sessions of the CPEs the operation still waits for until `done` holds."""
    for _ in range(ROUNDS):
        state: Json = (await api.get(path)).json()
        if done(state):
            return state
        waiting = [cpes[d] for d in await busy(state) if d in cpes]
        await sessions(waiting)
        await asyncio.sleep(0.15)
    raise AssertionError(f"not done after {ROUNDS} rounds: {state}")


async def test_files_are_stored_listed_served_by_signed_url_and_deleted(
    api: httpx.AsyncClient, fleet_server: AcsServer
) -> None:
    stored = await upload(api, product_class="BM632w")
    assert stored["sha256"] == hashlib.sha256(b"\x7fFW" * 4000).hexdigest()
    actor = "key:bootstrap for alice"
    assert (stored["size"], stored["actor"], stored["version"]) == (12000, actor, NEW)
    assert [f["id"] for f in (await api.get("/api/files")).json()] == [stored["id"]]
    assert (await api.get(f"/api/files/{stored['id']}")).json()["product_class"] == "BM632w"
    forged = await api.get(f"/files/{stored['id']}/task/{'0' * 32}")
    assert forged.status_code == 403
    cpe = SimulatedCpe(f"{fleet_server.url}/cwmp", serial="FILE1")
    await cpe.run_session()
    task = await api.post(f"/api/devices/{cpe.device_id}/tasks", json={
        "type": "download", "parameters": {"file_id": stored["id"]}})  # fmt: skip
    assert task.status_code == 201, task.text
    assert task.json()["parameters"]["file_size"] == 12000
    log = await cpe.run_session()
    assert log.rpcs == ["Download"]
    assert log.transfers[0].http_status == 200, "the CPE fetched the file by its signed URL"
    await cpe.run_session()
    assert cpe.values[SOFTWARE_VERSION][0] == NEW
    assert (await api.delete(f"/api/files/{stored['id']}")).status_code == 204
    assert (await api.get("/api/files")).json() == []
    assert (await api.get(f"/api/files/{stored['id']}")).status_code == 404


async def test_a_campaign_upgrades_in_batches_pauses_on_failures_and_resumes(
    api: httpx.AsyncClient, fleet_server: AcsServer
) -> None:
    url = f"{fleet_server.url}/cwmp"
    fleet = [SimulatedCpe(url, serial=f"FW{i:03d}", product_class="FLEET") for i in range(100)]
    await sessions(fleet)
    by_id = {cpe.device_id: cpe for cpe in fleet}
    third_batch = sorted(by_id)[40:60]
    planted = third_batch[::3][:6]
    for device in planted:
        by_id[device].download_fault = 9010
    stored = await upload(api)
    created = await api.post("/api/campaigns", headers={"X-ACS-Actor": "alice"}, json={
        "file_id": stored["id"], "filter": {"product_class": "FLEET"}, "batch_size": 20,
        "rate": 100, "max_failure_rate": 0.2, "batch_timeout": 60})  # fmt: skip
    assert created.status_code == 201, created.text
    campaign = created.json()
    actor = "key:bootstrap for alice"
    assert (campaign["matched"], campaign["state"], campaign["actor"]) == (100, "running", actor)
    path = f"/api/campaigns/{campaign['id']}"

    async def busy(_: Json) -> list[str]:
        rows = (await api.get(f"{path}/devices")).json()
        return [r["device_id"] for r in rows if r["outcome"] is None]

    assert (await api.delete(f"/api/files/{stored['id']}")).status_code == 409

    paused = await drive(api, path, by_id, busy, lambda c: c["state"] == "paused")
    assert paused["updated_by"] == f"campaign:{campaign['id']}"
    assert "batch 3" in paused["reason"] and "6 of 20" in paused["reason"], paused["reason"]
    assert (paused["queued"], paused["verified"], paused["failed"]) == (60, 54, 6)
    await asyncio.sleep(1.0)
    assert (await api.get(path)).json()["queued"] == 60, "no batch starts while paused"

    resumed = await api.post(f"{path}/resume", headers={"X-ACS-Actor": "bob"})
    assert resumed.json()["state"] == "running"
    assert resumed.json()["updated_by"] == "key:bootstrap for bob"
    final = await drive(api, path, by_id, busy, lambda c: c["state"] == "completed")
    assert (final["queued"], final["verified"], final["failed"]) == (100, 94, 6)
    assert [b["batch"] for b in final["batches"]] == [1, 2, 3, 4, 5]
    outcomes = (await api.get(f"{path}/devices")).json()
    assert {d["device_id"] for d in outcomes if d["outcome"] == "failed"} == set(planted)
    upgraded = {d for d, cpe in by_id.items() if cpe.values[SOFTWARE_VERSION][0] == NEW}
    verified = {d["device_id"] for d in outcomes if d["outcome"] == "verified"}
    assert upgraded == verified and len(verified) == 94
    tasks = (await api.get(f"/api/devices/{planted[0]}/tasks")).json()
    assert tasks[-1]["actor"] == f"campaign:{campaign['id']}"
    assert tasks[-1]["fault"]["code"] == 9010


async def test_a_bulk_operation_queues_a_task_on_every_filtered_device(
    api: httpx.AsyncClient, fleet_server: AcsServer
) -> None:
    url = f"{fleet_server.url}/cwmp"
    chosen = [SimulatedCpe(url, serial=f"B{i:02d}", product_class="BULK") for i in range(10)]
    others = [SimulatedCpe(url, serial=f"O{i:02d}", product_class="OTHER") for i in range(3)]
    await sessions([*chosen, *others])
    for _ in range(200):
        if (await api.get("/api/stats")).json()["total_devices"] == 13:
            break
        await asyncio.sleep(0.05)
    created = await api.post("/api/bulk", headers={"X-ACS-Actor": "carol"}, json={
        "filter": {"product_class": "BULK"}, "rate": 50,
        "task": {"type": "get_params", "parameters": {"names": [SOFTWARE_VERSION]}}})  # fmt: skip
    assert created.status_code == 201, created.text
    bulk = created.json()
    actor = "key:bootstrap for carol"
    assert (bulk["matched"], bulk["actor"], bulk["task_type"]) == (10, actor, "get_params")
    by_id = {cpe.device_id: cpe for cpe in chosen}

    async def every(_: Json) -> list[str]:
        return list(by_id)

    done = await drive(api, f"/api/bulk/{bulk['id']}", by_id, every, lambda b: b["done"] == 10)
    assert (done["queued"], done["sent"], done["faulted"], done["finished"]) == (10, 10, 0, True)
    assert done["connection_requests"] == 10
    other = (await api.get(f"/api/devices/{others[0].device_id}/tasks")).json()
    assert other == []


async def test_bulk_and_campaign_requests_are_checked(api: httpx.AsyncClient) -> None:
    task = {"type": "reboot"}
    both = await api.post(
        "/api/bulk", json={"task": task, "devices": ["a"], "filter": {"tag": "x"}}
    )
    assert both.status_code == 400
    assert (
        await api.post("/api/bulk", json={"task": task, "filter": {"bogus": "1"}})
    ).status_code == 400
    missing = await api.post("/api/campaigns", json={"file_id": "nope", "devices": ["a"]})
    assert missing.status_code == 400
    assert (await api.get("/api/campaigns/nope")).status_code == 404
    assert (await api.post("/api/campaigns/nope/resume")).status_code == 404
