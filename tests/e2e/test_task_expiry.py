"""Task expiry on the real server: a task for a device that never comes back ends `expired`
(visible in the API and on the dashboard) instead of waiting forever, and is never sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from lxml import html

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
READ = {"type": "get_params", "parameters": {"names": [SW]}}
PASSWORD = "correct horse battery"


@pytest.fixture
def server(database_url: str) -> Iterator[AcsServer]:
    """The ACS with its bulk driver running every second."""
    acs = AcsServer(database_url, env={"ACS_CAMPAIGN_INTERVAL": "1"}).start()
    try:
        yield acs
    finally:
        acs.stop()


@pytest.fixture
def client(server: AcsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=10,
                      trust_env=False) as api:  # fmt: skip
        yield api


async def registered(server: AcsServer, serial: str) -> SimulatedCpe:
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial=serial)
    await cpe.run_session()
    return cpe


def tasks_path(cpe: SimulatedCpe) -> str:
    return f"/api/devices/{quote(cpe.device_id, safe='')}/tasks?connection_request=false"


def status_of(api: httpx.Client, task_id: str) -> str:
    return str(api.get(f"/api/tasks/{task_id}").json()["status"])


async def test_a_task_for_a_device_that_never_comes_back_expires_and_is_never_sent(
    server: AcsServer, client: httpx.Client
) -> None:
    cpe = await registered(server, "EXP-1")
    eventually(lambda: client.get("/api/devices").json())
    reply = client.post(tasks_path(cpe), json={**READ, "expires_in": 1})
    assert reply.status_code == 201, reply.text
    doomed = reply.json()
    assert doomed["status"] == "pending" and doomed["expires_at"] is not None
    deadline = datetime.fromisoformat(doomed["expires_at"])
    assert timedelta(0) < deadline - datetime.fromisoformat(doomed["created_at"]) < timedelta(2)
    kept = client.post(tasks_path(cpe), json=READ).json()
    assert kept["expires_at"] is None
    eventually(lambda: status_of(client, doomed["id"]) == "expired", timeout=15)
    expired = client.get(f"/api/tasks/{doomed['id']}").json()
    assert expired["sent_at"] is None and expired["completed_at"] is not None
    assert expired["fault"] is None and expired["result"] is None
    assert datetime.fromisoformat(expired["expires_at"]) == deadline

    log = await cpe.run_session(["2 PERIODIC"])
    assert log.rpcs == ["GetParameterValues"], "only the task without expiry is sent"
    eventually(lambda: status_of(client, kept["id"]) == "done")
    assert status_of(client, doomed["id"]) == "expired"
    listed = client.get(tasks_path(cpe).split("?")[0]).json()
    assert [t["status"] for t in listed] == ["expired", "done"]
    metrics = client.get("/metrics").text.splitlines()
    (line,) = [m for m in metrics if m.startswith('acs_tasks_finished_total{status="expired"}')]
    assert float(line.split()[-1]) == 1


async def test_an_expiry_at_an_instant_is_kept_and_the_dashboard_shows_expired_tasks(
    server: AcsServer, client: httpx.Client
) -> None:
    cpe = await registered(server, "EXP-2")
    eventually(lambda: client.get("/api/devices").json())
    later = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    reply = client.post(tasks_path(cpe), json={**READ, "expires_at": later.isoformat()})
    assert reply.status_code == 201, reply.text
    assert datetime.fromisoformat(reply.json()["expires_at"]) == later
    doomed = client.post(tasks_path(cpe), json={**READ, "expires_in": 0.5}).json()
    eventually(lambda: status_of(client, doomed["id"]) == "expired", timeout=15)

    user = {"name": "watcher", "role": "viewer", "password": PASSWORD}
    assert client.post("/api/users", json=user).status_code == 201
    with httpx.Client(base_url=server.url, trust_env=False, timeout=15) as browser:
        form = html.fromstring(browser.get("/login").text)
        token = form.xpath("//input[@name='csrf_token']/@value")[0]
        fields = {"username": "watcher", "password": PASSWORD, "csrf_token": token}
        assert browser.post("/login", data=fields).status_code == 303
        page = browser.get(f"/devices/{quote(cpe.device_id, safe='')}/tasks")
    assert page.status_code == 200, page.text
    rows = html.fromstring(page.text)
    (row,) = rows.xpath(f"//tr[@data-task-id='{doomed['id']}']")
    assert row.get("data-status") == "expired"
    assert row.xpath(".//span[contains(@class, 'status') and contains(@class, 'expired')]")
    assert "not sent before" in row.xpath(".//*[contains(@class, 'expiry')]")[0].text_content()


@pytest.mark.parametrize(
    "expiry",
    [
        {"expires_in": 0},
        {"expires_in": -3},
        {"expires_in": "soon"},
        {"expires_at": "next tuesday"},
        {"expires_at": "2030-01-01T00:00:00"},
        {"expires_at": "2001-01-01T00:00:00Z"},
        {"expires_in": 60, "expires_at": "2030-01-01T00:00:00Z"},
    ],
)
async def test_a_malformed_expiry_is_refused_with_a_json_400(
    acs_server: AcsServer, api: httpx.Client, expiry: dict[str, object]
) -> None:
    cpe = await registered(acs_server, "EXP-BAD")
    eventually(lambda: api.get("/api/devices").json())
    reply = api.post(tasks_path(cpe), json={**READ, **expiry})
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["status_code"] == 400 and body["detail"]
    assert api.get(tasks_path(cpe).split("?")[0]).json() == [], "nothing was queued"


async def test_a_bulk_operation_counts_its_expired_tasks_and_finishes(
    server: AcsServer, client: httpx.Client
) -> None:
    cpe = await registered(server, "EXP-BULK")
    eventually(lambda: client.get("/api/devices").json())
    bulk = {"task": {**READ, "expires_in": 1}, "devices": [cpe.device_id], "rate": 100}
    reply = client.post("/api/bulk", json=bulk)
    assert reply.status_code == 201, reply.text
    job = reply.json()
    assert job["definition"]["expires_at"] is not None
    done = eventually(lambda: (j := client.get(f"/api/bulk/{job['id']}").json())["finished"] and j,
                      timeout=20)  # fmt: skip
    assert (done["queued"], done["expired"], done["done"], done["faulted"]) == (1, 1, 0, 0)
    refused = client.post("/api/bulk", json={**bulk, "task": {**READ, "expires_in": 0}})
    assert refused.status_code == 400, refused.text
