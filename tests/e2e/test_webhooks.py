"""Webhooks end to end: a receiver that is down for a while, across an ACS restart, receives
every event, in order per device, each request signed (the issue's acceptance)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

from acs.domain.device_id import aggregate_id
from acs.domain.webhooks import verify
from tests.conftest import AcsServer, free_port
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe
from tests.support.webhook_receiver import Received, WebhookReceiver

SECRET = "webhook-secret-never-shown"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
FAST_RETRIES = {"ACS_WEBHOOK_RETRY_BASE": "0.05", "ACS_WEBHOOK_RETRY_MAX": "0.3"}


def create(api: httpx.Client, url: str, event_types: list[str]) -> dict[str, Any]:
    body = {"url": url, "event_types": event_types, "secret": SECRET}
    reply = api.post("/api/webhooks", json=body, headers={"X-ACS-Actor": "ops"})
    assert reply.status_code == 201, reply.text
    assert SECRET not in reply.text
    return dict(reply.json())


async def sessions_with_a_task(api: httpx.Client, cpes: list[SimulatedCpe]) -> None:
    """A session per CPE, then a get_params task each and the session that runs it."""
    for cpe in cpes:
        await cpe.run_session()
    for cpe in cpes:
        path = f"/api/devices/{quote(cpe.device_id, safe='')}"
        eventually(lambda p=path: api.get(p).status_code == 200)
        task = {"type": "get_params", "parameters": {"names": [SW]}}
        reply = api.post(f"{path}/tasks?connection_request=false", json=task)
        assert reply.status_code == 201, reply.text
        await cpe.run_session()


def stored_events(url: str, after: int) -> list[tuple[int, str, Any]]:
    """Position, type and aggregate of every event after a position, in log order."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT notification_id, split_part(topic, '.', 1), originator_id FROM device_events "
            "WHERE notification_id > %s ORDER BY notification_id",
            (after,),
        ).fetchall()
    return [(int(p), str(t), a) for p, t, a in rows]


def failing_status(api: httpx.Client, hook_id: str) -> dict[str, Any] | None:
    status = api.get(f"/api/webhooks/{hook_id}").json()["status"]
    return status if status["failures"] >= 2 and status["pending_events"] > 0 else None


def requests_of(receiver: WebhookReceiver, hook_id: str) -> list[Received]:
    return [r for r in receiver.received if r.headers["X-ACS-Webhook"] == hook_id]


def pending(api: httpx.Client, hook_id: str) -> int:
    return int(api.get(f"/api/webhooks/{hook_id}").json()["status"]["pending_events"])


def check_signed_requests(requests: list[Received], hook_id: str) -> None:
    for request in requests:
        assert verify(SECRET, request.body, request.headers["X-ACS-Signature"])
        assert request.headers["X-ACS-Webhook"] == hook_id
        first, last = request.events[0]["id"], request.events[-1]["id"]
        assert request.headers["X-ACS-Delivery"] == f"{hook_id}:{first}-{last}"
        assert len(request.events) <= 100


async def test_a_receiver_down_for_a_while_gets_every_event_in_order_after_a_restart(
    database_url: str,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    cpes = [SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"HOOK{n}") for n in range(3)]
    first = AcsServer(database_url, env=FAST_RETRIES).start()
    try:
        with httpx.Client(
            base_url=first.url, headers=first.auth_headers, trust_env=False, timeout=10
        ) as api:
            hook = create(api, url, [])
            only_tasks = create(api, url + "?tasks", ["TaskCompleted"])
            for cpe in cpes:
                cpe.acs_url = f"{first.url}/cwmp"
            await sessions_with_a_task(api, cpes)
            status = eventually(lambda: failing_status(api, hook["id"]), timeout=15)
            assert status["last_error"] and status["next_attempt_at"]
            assert status["position"] == hook["status"]["position"]
    finally:
        first.stop()

    receiver = WebhookReceiver(port, failing=True).start()
    second = AcsServer(database_url, env=FAST_RETRIES).start()
    try:
        with httpx.Client(
            base_url=second.url, headers=second.auth_headers, trust_env=False, timeout=10
        ) as api:
            for cpe in cpes:
                cpe.acs_url = f"{second.url}/cwmp"
            await sessions_with_a_task(api, cpes)
            eventually(lambda: receiver.refused >= 2, timeout=15)
            receiver.failing = False
            expected = stored_events(database_url, hook["status"]["position"])
            everything = {p for p, _, _ in expected}
            eventually(lambda: everything <= {e["id"] for e in receiver.events()}, timeout=30)
            eventually(lambda: pending(api, hook["id"]) == 0)
            eventually(lambda: pending(api, only_tasks["id"]) == 0, timeout=30)
    finally:
        second.stop()
        receiver.stop()

    mine = requests_of(receiver, hook["id"])
    received = [e for r in mine for e in r.events]
    assert [e["id"] for e in received] == [p for p, _, _ in expected], "all, once, in log order"
    devices = {aggregate_id(c.device_id): c.device_id for c in cpes}
    per_device: dict[str, list[int]] = defaultdict(list)
    for event, (position, kind, aggregate) in zip(received, expected, strict=True):
        assert (event["type"], event["device_id"]) == (kind, devices[aggregate])
        per_device[event["device_id"]].append(position)
    assert set(per_device) == set(devices.values())
    assert all(p == sorted(p) for p in per_device.values())
    check_signed_requests(mine, hook["id"])
    tasks = [e for r in requests_of(receiver, only_tasks["id"]) for e in r.events]
    assert [e["type"] for e in tasks] == ["TaskCompleted"] * 6
    assert [e["id"] for e in tasks] == [p for p, kind, _ in expected if kind == "TaskCompleted"]


def test_webhooks_are_validated_listed_and_deleted_and_never_show_their_secret(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    for body in (
        {"url": "ftp://127.0.0.1/x", "secret": SECRET},
        {"url": "http://127.0.0.1/x", "secret": SECRET, "event_types": ["Nope"]},
        {"url": "http://127.0.0.1/x", "secret": ""},
        {"url": "http://127.0.0.1/x"},
    ):
        reply = api.post("/api/webhooks", json=body)
        assert reply.status_code == 400, body
        assert reply.json()["status_code"] == 400
    hook = create(api, "http://127.0.0.1:9/x", ["InformReceived"])
    assert hook["actor"] == "key:bootstrap for ops" and hook["event_types"] == ["InformReceived"]
    assert set(hook["status"]) == {
        "position",
        "pending_events",
        "failures",
        "last_attempt_at",
        "last_success_at",
        "last_http_status",
        "last_error",
        "next_attempt_at",
    }
    listed = api.get("/api/webhooks")
    assert [h["id"] for h in listed.json()] == [hook["id"]] and SECRET not in listed.text
    assert api.get(f"/api/webhooks/{hook['id']}").json()["url"] == "http://127.0.0.1:9/x"
    assert api.delete(f"/api/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/webhooks/{hook['id']}").status_code == 404
    assert api.delete(f"/api/webhooks/{hook['id']}").status_code == 404
    assert api.get("/api/webhooks").json() == []
