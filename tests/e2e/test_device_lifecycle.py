"""A CPE's sessions reach the REST API through the event store: the issue's acceptance."""

from __future__ import annotations

from urllib.parse import quote as _quote

import httpx
import psycopg

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
DEVICE_FIELDS = {
    "id",
    "manufacturer",
    "oui",
    "product_class",
    "serial_number",
    "online",
    "last_inform",
    "software_version",
    "hardware_version",
    "ip_address",
    "tags",
}
TASK_FIELDS = {
    "id",
    "device_id",
    "type",
    "parameters",
    "status",
    "created_at",
    "sent_at",
    "completed_at",
    "result",
    "fault",
}


def quote(device_id: str) -> str:
    """Device ids go into URLs percent-encoded, as with GenieACS (`encodeURIComponent`)."""
    return _quote(device_id, safe="")


def cwmp(server: AcsServer, **kwargs: object) -> SimulatedCpe:
    return SimulatedCpe(f"{server.url}/cwmp", **kwargs)  # type: ignore[arg-type]


def task_status(api: httpx.Client, task_id: str) -> dict:
    return api.get(f"/api/tasks/{task_id}").json()


def finished(api: httpx.Client, task_id: str) -> dict | None:
    task = task_status(api, task_id)
    return task if task["status"] in ("done", "fault") else None


async def test_bootstrap_registers_the_device_with_every_field(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = cwmp(acs_server, serial="BOOT-1")
    log = await cpe.run_session()
    assert log.events == ["0 BOOTSTRAP", "1 BOOT"]
    assert log.inform_response_ok and log.inform_id_echoed and log.cookies_sent
    devices = eventually(lambda: api.get("/api/devices").json())
    assert len(devices) == 1
    device = devices[0]
    assert set(device) >= DEVICE_FIELDS
    assert device["id"] == cpe.device_id == "202BC1-BM632w-BOOT%2D1"
    assert (device["oui"], device["product_class"], device["serial_number"]) == (
        "202BC1",
        "BM632w",
        "BOOT-1",
    )
    assert device["manufacturer"] == cpe.manufacturer
    assert device["software_version"] == cpe.values[SW][0]
    assert device["online"] is True
    assert device["tags"] == []
    detail = api.get(f"/api/devices/{quote(cpe.device_id)}").json()
    assert detail["periodic_inform_interval"] == int(cpe.values[INTERVAL][0])
    assert detail["connection_request_url"].startswith("http://127.0.0.1")
    assert detail["first_seen"] == detail["last_inform"]
    assert detail["event_count"] == 1


async def test_get_params_runs_in_the_next_session(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = cwmp(acs_server, serial="GPV-1")
    await cpe.run_session()
    eventually(lambda: api.get(f"/api/devices/{quote(cpe.device_id)}").status_code == 200)
    created = api.post(
        f"/api/devices/{quote(cpe.device_id)}/tasks",
        json={"type": "get_params", "parameters": {"names": [SSID, SW]}},
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert set(task) >= TASK_FIELDS
    assert task["status"] == "pending" and task["device_id"] == cpe.device_id
    log = await cpe.run_session()
    assert log.events == ["2 PERIODIC"] and log.rpcs == ["GetParameterValues"]
    done = eventually(lambda: finished(api, task["id"]))
    assert done["status"] == "done"
    assert done["result"] == {"values": {SSID: cpe.values[SSID][0], SW: cpe.values[SW][0]}}
    assert done["sent_at"] and done["completed_at"]
    params = {
        p["name"]: p for p in api.get(f"/api/devices/{quote(cpe.device_id)}/parameters").json()
    }
    assert params[SSID]["value"] == cpe.values[SSID][0]
    assert params[SSID]["type"] == cpe.values[SSID][1]
    assert set(params[SSID]) >= {"name", "value", "type", "writable", "updated_at"}


async def test_set_params_changes_the_value_and_keeps_its_history(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = cwmp(acs_server, serial="SPV-1")
    await cpe.run_session()
    eventually(lambda: api.get(f"/api/devices/{quote(cpe.device_id)}").status_code == 200)
    read = api.post(
        f"/api/devices/{quote(cpe.device_id)}/tasks",
        json={"type": "get_params", "parameters": {"names": [SSID]}},
    ).json()
    await cpe.run_session()
    eventually(lambda: finished(api, read["id"]))
    old = cpe.values[SSID][0]
    task = api.post(
        f"/api/devices/{quote(cpe.device_id)}/tasks",
        json={"type": "set_params", "parameters": {"values": {SSID: "guest-net"}}},
        headers={"X-ACS-Actor": "alice"},
    ).json()
    log = await cpe.run_session()
    assert log.rpcs == ["SetParameterValues"]
    assert cpe.values[SSID][0] == "guest-net"
    done = eventually(lambda: finished(api, task["id"]))
    assert (done["status"], done["result"]) == ("done", {"status": 0})
    params = {
        p["name"]: p["value"]
        for p in api.get(f"/api/devices/{quote(cpe.device_id)}/parameters").json()
    }
    assert params[SSID] == "guest-net"
    with psycopg.connect(acs_server.database_url) as conn:
        history = conn.execute(
            "SELECT value FROM parameter_history WHERE device_id = %s AND name = %s "
            "ORDER BY event_position",
            (cpe.device_id, SSID),
        ).fetchall()
        actor = conn.execute("SELECT actor FROM tasks WHERE id = %s", (task["id"],)).fetchone()
    assert [v for (v,) in history] == [old, "guest-net"]
    assert actor == ("key:bootstrap for alice",)


async def test_reboot_and_factory_reset_end_done_when_the_cpe_comes_back(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = cwmp(acs_server, serial="RB-1")
    await cpe.run_session()
    eventually(lambda: api.get(f"/api/devices/{quote(cpe.device_id)}").status_code == 200)
    reboot = api.post(f"/api/devices/{quote(cpe.device_id)}/reboot")
    assert reboot.status_code == 201 and reboot.json()["type"] == "reboot"
    log = await cpe.run_session()
    assert log.rpcs == ["Reboot"]
    assert eventually(lambda: task_status(api, reboot.json()["id"])["status"] == "sent")
    log = await cpe.run_session()
    assert log.events == ["1 BOOT", "M Reboot"]
    assert eventually(lambda: finished(api, reboot.json()["id"]))["status"] == "done"

    set_ssid = api.post(
        f"/api/devices/{quote(cpe.device_id)}/tasks",
        json={"type": "set_params", "parameters": {"values": {SSID: "mine"}}},
    )
    reset = api.post(f"/api/devices/{quote(cpe.device_id)}/factory-reset").json()
    assert (await cpe.run_session()).rpcs == ["SetParameterValues", "FactoryReset"]
    assert eventually(lambda: finished(api, set_ssid.json()["id"]))["status"] == "done"
    log = await cpe.run_session()
    assert log.events == ["0 BOOTSTRAP", "1 BOOT"]
    assert eventually(lambda: finished(api, reset["id"]))["status"] == "done"
    detail = api.get(f"/api/devices/{quote(cpe.device_id)}").json()
    assert detail["last_event_codes"] == ["0 BOOTSTRAP", "1 BOOT"]
    params = {
        p["name"]: p for p in api.get(f"/api/devices/{quote(cpe.device_id)}/parameters").json()
    }
    assert params[SSID]["stale"] is True, "what was set before the reset may be gone"
    assert params[SW]["stale"] is False, "what the bootstrap Inform reported is fresh"


async def test_stats_agree_with_the_device_list(acs_server: AcsServer, api: httpx.Client) -> None:
    cpes = [cwmp(acs_server, serial=f"ST-{n}") for n in range(3)]
    for cpe in cpes:
        await cpe.run_session()
    eventually(lambda: len(api.get("/api/devices").json()) == 3)
    api.post(f"/api/devices/{quote(cpes[0].device_id)}/reboot")
    devices = api.get("/api/devices").json()
    stats = api.get("/api/stats").json()
    online = sum(d["online"] for d in devices)
    assert stats == {
        "total_devices": 3,
        "online_devices": online,
        "offline_devices": 3 - online,
        "pending_tasks": 1,
    }


async def test_a_session_continues_across_new_connections_and_two_workers(
    database_url: str,
) -> None:
    server = AcsServer(database_url, workers=2).start()
    try:
        cpe = cwmp(server, serial="W2-1", new_connection_per_request=True)
        await cpe.run_session()
        with httpx.Client(base_url=server.url, headers=server.auth_headers, trust_env=False) as api:
            eventually(lambda: api.get(f"/api/devices/{quote(cpe.device_id)}").status_code == 200)
            tasks = [
                api.post(
                    f"/api/devices/{quote(cpe.device_id)}/tasks",
                    json={"type": "get_params", "parameters": {"names": [SW]}},
                ).json()
                for _ in range(4)
            ]
            log = await cpe.run_session()
            assert log.rpcs == ["GetParameterValues"] * 4
            assert len(set(log.request_cookie_headers[1:])) == 1
            for task in tasks:
                assert eventually(lambda t=task: finished(api, t["id"]))["status"] == "done"
    finally:
        server.stop()


async def test_projection_status_shows_the_read_model_caught_up(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = cwmp(acs_server, serial="LAG-1")
    await cpe.run_session()
    status = eventually(
        lambda: (s := api.get("/api/status/projections").json())["lag_events"] == 0 and s
    )
    assert status["events"] == status["projected"] == 1
    assert 0 <= status["lag_seconds"] < 5
    assert status["applied_at"]
