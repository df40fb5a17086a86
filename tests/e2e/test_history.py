"""History and audit through the real server: events, parameters at past moments, replay."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import ROOT, AcsServer
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"


class Auditor:
    """The REST API as operators and auditors use it."""

    def __init__(self, client: httpx.AsyncClient, cpe: SimulatedCpe) -> None:
        self.client, self.cpe = client, cpe
        self.base = f"/api/devices/{quote(cpe.device_id, safe='')}"

    async def task(self, kind: str, actor: str, **parameters: Any) -> dict[str, Any]:
        reply = await self.client.post(
            f"{self.base}/tasks",
            params={"connection_request": "false"},
            json={"type": kind, "parameters": parameters},
            headers={"X-ACS-Actor": actor},
        )
        assert reply.status_code == 201, reply.text
        return reply.json()

    async def run(self, kind: str, actor: str, **parameters: Any) -> datetime:
        """Queue a task, run the CPE's session, wait for the task; returns a moment after."""
        task = await self.task(kind, actor, **parameters)
        await self.cpe.run_session()
        for _ in range(200):
            done = (await self.client.get(f"/api/tasks/{task['id']}")).json()
            if done["status"] == "done":
                return datetime.now(UTC)
            await asyncio.sleep(0.05)
        raise AssertionError(f"task {task['id']} did not finish: {done}")

    async def get(self, path: str, **params: Any) -> Any:
        reply = await self.client.get(f"{self.base}{path}", params=params)
        assert reply.status_code == 200, reply.text
        return reply.json()

    async def ssid_at(self, at: datetime) -> str | None:
        rows = await self.get("/parameters", at=at.isoformat())
        return next((p["value"] for p in rows if p["name"] == SSID), None)


@pytest.fixture
async def client(acs_server: AcsServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=acs_server.url, headers=acs_server.auth_headers, timeout=10, trust_env=False
    ) as c:
        yield c


async def ssid_changed_twice(client: httpx.AsyncClient, cpe: SimulatedCpe) -> list[datetime]:
    """The device's SSID read, then set by alice, then by bob; a moment after each."""
    auditor = Auditor(client, cpe)
    await cpe.run_session()
    moments = [await auditor.run("get_params", "carol", names=[SSID])]
    moments.append(await auditor.run("set_params", "alice", values={SSID: "first"}))
    moments.append(await auditor.run("set_params", "bob", values={SSID: "second"}))
    return moments


async def test_parameters_at_three_past_moments_show_the_ssid_of_each(
    acs_server: AcsServer, client: httpx.AsyncClient
) -> None:
    """The issue's acceptance: an SSID changed twice, read at three moments."""
    before = datetime.now(UTC)
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUDIT-1")
    original = cpe.values[SSID][0]
    read, first, second = await ssid_changed_twice(client, cpe)
    auditor = Auditor(client, cpe)
    assert [await auditor.ssid_at(t) for t in (read, first, second)] == [
        original,
        "first",
        "second",
    ]
    assert await auditor.get("/parameters", at=before.isoformat()) == []
    assert await auditor.get("/parameters", at=second.isoformat()) == await auditor.get(
        "/parameters"
    )
    shown = {p["name"]: p for p in await auditor.get("/parameters", at=first.isoformat())}
    assert set(shown[SSID]) == {
        "name",
        "value",
        "type",
        "writable",
        "updated_at",
        "notification",
        "access_list",
        "stale",
    }
    assert read < datetime.fromisoformat(shown[SSID]["updated_at"]) < first


async def test_a_parameters_history_names_each_value_its_cause_and_actor(
    acs_server: AcsServer, client: httpx.AsyncClient
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUDIT-2")
    original = cpe.values[SSID][0]
    await ssid_changed_twice(client, cpe)
    auditor = Auditor(client, cpe)
    changes = await auditor.get("/parameters/history", name=SSID)
    assert [(c["value"], c["cause"], c["actor"]) for c in changes] == [
        (original, "task", "key:bootstrap for carol"),
        ("first", "task", "key:bootstrap for alice"),
        ("second", "task", "key:bootstrap for bob"),
    ]
    assert set(changes[0]) == {
        "name",
        "value",
        "type",
        "changed_at",
        "position",
        "cause",
        "task_id",
        "actor",
    }
    reply = await client.get(
        f"{auditor.base}/parameters/history", params={"name": SSID, "limit": 2}
    )
    assert [c["value"] for c in reply.json()] == [original, "first"]
    after = reply.headers["X-Next-After"]
    rest = await auditor.get("/parameters/history", name=SSID, after=after)
    assert [c["value"] for c in rest] == ["second"]
    subtree = await auditor.get("/parameters/history", name="InternetGatewayDevice.LANDevice.")
    assert [c["value"] for c in subtree if c["name"] == SSID] == [original, "first", "second"]


async def test_every_event_comes_once_in_order_across_pages(
    acs_server: AcsServer, client: httpx.AsyncClient
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUDIT-3")
    await cpe.run_session()
    auditor = Auditor(client, cpe)
    for n in range(130):
        await auditor.task("get_params", f"op{n % 3}", names=[SSID])
    cpe.max_exchanges = 500
    await cpe.run_session()
    pages, after = [], "0"
    while after:
        reply = await client.get(f"{auditor.base}/events", params={"after": after, "limit": 100})
        assert reply.status_code == 200, reply.text
        pages.append(reply.json())
        after = reply.headers.get("X-Next-After", "")
    events = [e for page in pages for e in page]
    assert len(events) > 250 and all(len(page) == 100 for page in pages[:-1])
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert [e["position"] for e in events] == sorted({e["position"] for e in events})
    first = events[0]
    assert (first["type"], first["topic"], first["actor"]) == (
        "InformReceived",
        "InformReceived.v1",
        "cpe",
    )
    assert first["data"]["event_codes"] == ["0 BOOTSTRAP", "1 BOOT"]
    queued = [e for e in events if e["type"] == "TaskQueued"]
    assert [e["actor"] for e in queued[:3]] == [f"key:bootstrap for op{n}" for n in range(3)]
    assert queued[0]["data"]["task"] == {"type": "get_params", "names": [SSID]}
    kinds = {e["type"]: e["actor"] for e in events}
    assert kinds["RpcSent"] == kinds["TaskCompleted"] == "acs"
    assert kinds["RpcAnswered"] == "cpe"
    assert datetime.fromisoformat(events[-1]["time"]) >= datetime.fromisoformat(first["time"])


async def test_unknown_devices_and_zoneless_moments_are_refused(
    acs_server: AcsServer, client: httpx.AsyncClient
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUDIT-4")
    await cpe.run_session()
    base = f"/api/devices/{quote(cpe.device_id, safe='')}"
    for path in ("events", "parameters?at=2026-01-01T00:00:00Z", "parameters/history?name=X"):
        reply = await client.get(f"/api/devices/00AABB-Box-NOPE/{path}")
        assert reply.status_code == 404, path
        assert reply.json()["status_code"] == 404
    # The request's own fault comes first: the same 400 before or after the device is known.
    for device in (base, "/api/devices/00AABB-Box-NOPE"):
        zoneless = await client.get(f"{device}/parameters", params={"at": "2026-01-01T00:00:00"})
        assert zoneless.status_code == 400 and "time zone" in zoneless.text
    assert (await client.get(f"{base}/events", params={"limit": 1001})).status_code == 400
    assert (await client.get(f"{base}/parameters/history")).status_code == 400


def replay(server: AcsServer, *args: str) -> list[str]:
    env = {**os.environ, "ACS_DATABASE_URL": server.database_url, "ACS_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "acs.cli", "replay", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.splitlines()


async def test_replay_prints_the_timeline_and_the_parameters_at_the_end(
    acs_server: AcsServer, client: httpx.AsyncClient
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUDIT-5")
    _, first, _ = await ssid_changed_twice(client, cpe)
    lines = replay(acs_server, cpe.device_id)
    text = "\n".join(lines)
    assert "#1     Inform 0 BOOTSTRAP, 1 BOOT (" in lines[0]
    for expected in (
        "get_params queued by key:bootstrap for carol",
        "set_params queued by key:bootstrap for alice",
        "GetParameterValues sent (task ",
        "SetParameterValues answered: SSID=first",
        "SetParameterValues answered: SSID=second",
        "set_params done",
    ):
        assert expected in text, expected
    assert f"  {SSID} = 'second' (xsd:string)" in lines
    until = replay(acs_server, cpe.device_id, "--until", first.isoformat())
    assert f"  {SSID} = 'first' (xsd:string)" in until
    assert "SSID=second" not in "\n".join(until)
    cut = until.index("")
    assert until[:cut] == lines[:cut] and cut < lines.index(""), "a prefix of the timeline"


def test_replay_of_an_unknown_device_says_so(acs_server: AcsServer) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        replay(acs_server, "00AABB-Box-NOPE")
    assert "no device 00AABB-Box-NOPE" in failed.value.stderr
