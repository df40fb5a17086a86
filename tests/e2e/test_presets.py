"""Presets are applied inside CPE sessions, declaratively: only what differs is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AcsServer
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"


@pytest.fixture
async def api(acs_server: AcsServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=acs_server.url, headers=acs_server.auth_headers, trust_env=False, timeout=15
    ) as client:
        yield client


async def wait_for_preset(api: httpx.AsyncClient, name: str) -> None:
    """The catalog re-reads presets every 2 s: wait until sessions see it."""
    assert (await api.get(f"/api/presets/{name}")).status_code == 200
    await asyncio.sleep(2.2)


async def settled(
    api: httpx.AsyncClient, name: str, done: int = 0, faulted: int = 0
) -> dict[str, object]:
    """The preset once the read model shows its tasks finished (it lags the sessions)."""
    for _ in range(200):
        preset = (await api.get(f"/api/presets/{name}")).json()
        if (preset["tasks_done"], preset["tasks_faulted"]) == (done, faulted):
            return preset
        await asyncio.sleep(0.05)
    raise AssertionError(f"preset {name}: {preset}")


async def test_a_bootstrap_preset_reapplies_after_a_factory_reset(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    created = await api.post("/api/presets", headers={"X-ACS-Actor": "alice"}, json={
        "name": "wifi", "events": ["0 BOOTSTRAP"],
        "ensure": {"values": {SSID: "net-{serial_number}", INTERVAL: "600"}}})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["actor"] == "key:bootstrap for alice"
    await wait_for_preset(api, "wifi")
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="PRESET-1")
    log = await cpe.run_session()
    assert log.rpcs == ["GetParameterValues", "SetParameterValues"]
    assert cpe.values[SSID][0] == "net-PRESET-1"
    assert cpe.values[INTERVAL][0] == "600"
    assert (await cpe.run_session()).rpcs == [], "a periodic Inform does not trigger it"
    path = f"/api/devices/{quote(cpe.device_id, safe='')}"
    reset = await api.post(f"{path}/factory-reset", params={"connection_request": "false"})
    assert (await cpe.run_session()).rpcs == ["FactoryReset"]
    assert cpe.values[SSID][0] != "net-PRESET-1", "the reset restored the factory SSID"
    log = await cpe.run_session()
    assert log.events == ["0 BOOTSTRAP", "1 BOOT"]
    assert log.rpcs == ["GetParameterValues", "SetParameterValues"]
    assert cpe.values[SSID][0] == "net-PRESET-1"
    preset = await settled(api, "wifi", done=4)
    assert preset["tasks_faulted"] == 0
    tasks = (await api.get(f"{path}/tasks")).json()
    assert {t["actor"] for t in tasks} == {"preset:wifi", "key:bootstrap"}
    assert (await api.get(f"/api/tasks/{reset.json()['id']}")).json()["status"] == "done"


async def test_a_value_that_is_already_right_is_never_written(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="PRESET-2")
    factory_ssid = cpe.values[SSID][0]
    reply = await api.put("/api/presets/keep", json={"ensure": {"values": {SSID: factory_ssid}}})
    assert reply.status_code == 200, reply.text
    await wait_for_preset(api, "keep")
    first = await cpe.run_session()
    assert first.rpcs == ["GetParameterValues"], "read, found right, nothing written"
    second = await cpe.run_session()
    assert second.rpcs == [], "known and right: nothing at all"


async def test_a_faulting_preset_backs_off_and_shows_its_faults(
    api: httpx.AsyncClient, acs_server: AcsServer
) -> None:
    name = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
    reply = await api.put("/api/presets/broken", json={"ensure": {"values": {name: "x"}}})
    assert reply.status_code == 200
    await wait_for_preset(api, "broken")
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="PRESET-3")
    log = await cpe.run_session()
    assert log.rpcs == ["SetParameterValues"], "SoftwareVersion is in the Inform: no read"
    assert (await cpe.run_session()).rpcs == [], "after a fault the preset waits"
    preset = await settled(api, "broken", faulted=1)
    assert preset["tasks_done"] == 0


async def test_presets_are_validated_and_their_history_kept(api: httpx.AsyncClient) -> None:
    bad = await api.put("/api/presets/x", json={"ensure": {}})
    assert bad.status_code == 400 and "must ensure something" in bad.json()["detail"]
    assert (
        await api.put("/api/presets/x", json={"ensure": {"values": {"A.": "1"}}})
    ).status_code == 400
    assert (await api.get("/api/presets/nope")).status_code == 404
    assert (await api.delete("/api/presets/nope")).status_code == 404
    ok = {"ensure": {"values": {SSID: "a"}}}
    assert (await api.post("/api/presets", json={"name": "dup", **ok})).status_code == 201
    assert (await api.post("/api/presets", json={"name": "dup", **ok})).status_code == 409
    changed = await api.put("/api/presets/dup", json={"ensure": {"values": {SSID: "b"}}})
    assert changed.json()["version"] == 2
    assert (await api.delete("/api/presets/dup")).status_code == 204
    assert (await api.get("/api/presets/dup")).status_code == 404
