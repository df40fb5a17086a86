"""SIGKILL of the server under load loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import httpx
import psycopg

from acs.domain.device_id import aggregate_id
from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe, SimulatorError

DEVICES = 24
SESSIONS_PER_DEVICE = 40


async def busy_cpe(cpe: SimulatedCpe, completed: dict[str, int], stop_at: float) -> None:
    """Bounded loop of sessions; counts the ones the ACS finished."""
    for _ in range(SESSIONS_PER_DEVICE):
        if time.monotonic() > stop_at:
            return
        try:
            await cpe.run_session()
        except SimulatorError:
            return
        completed[cpe.device_id] = completed.get(cpe.device_id, 0) + 1


def stored_informs(url: str, cpes: list[SimulatedCpe]) -> dict[str, int]:
    """How many Informs the event store holds for each device."""
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute(
            "SELECT originator_id, count(*) FROM device_events "
            "WHERE topic = 'InformReceived.v1' GROUP BY 1").fetchall())  # fmt: skip
    return {c.device_id: rows.get(aggregate_id(c.device_id), 0) for c in cpes}


async def test_sigkill_mid_sessions_loses_no_acknowledged_inform_or_task(database_url: str) -> None:
    server = AcsServer(database_url).start()
    cpes = [SimulatedCpe(f"{server.url}/cwmp", serial=f"KILL{n:03d}") for n in range(DEVICES)]
    completed: dict[str, int] = {}
    for cpe in cpes[:4]:
        await cpe.run_session()
        completed[cpe.device_id] = 1
    accepted_tasks = []
    with httpx.Client(base_url=server.url, headers=server.auth_headers, trust_env=False) as api:
        for cpe in cpes[:4]:
            eventually(
                lambda c=cpe: api.get(f"/api/devices/{quote(c.device_id, safe='')}").is_success
            )
            reply = api.post(f"/api/devices/{quote(cpe.device_id, safe='')}/reboot")
            assert reply.status_code == 201
            accepted_tasks.append(reply.json()["id"])
    load = [asyncio.create_task(busy_cpe(c, completed, time.monotonic() + 20)) for c in cpes]
    deadline = time.monotonic() + 20
    while sum(completed.values()) < 2 * DEVICES and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    server.kill()
    await asyncio.gather(*load)

    assert sum(completed.values()) > DEVICES, "the load ran before the kill"
    stored = stored_informs(database_url, cpes)
    for cpe in cpes:
        if cpe.bootstrapped:
            assert stored.get(cpe.device_id, 0) >= completed.get(cpe.device_id, 0), cpe.device_id

    restarted = AcsServer(database_url).start()
    try:
        with httpx.Client(
            base_url=restarted.url, headers=restarted.auth_headers, trust_env=False
        ) as api:
            known = {c.device_id for c in cpes if c.bootstrapped}
            eventually(
                lambda: {d["id"] for d in api.get("/api/devices?limit=1000").json()} == known
            )
            for task_id in accepted_tasks:
                assert api.get(f"/api/tasks/{task_id}").status_code == 200
            with psycopg.connect(database_url) as conn:
                last = conn.execute("SELECT max(notification_id) FROM device_events").fetchone()
                assert eventually(
                    lambda: (
                        conn.execute("SELECT position FROM projection_tracking").fetchone() == last
                    )
                )
    finally:
        restarted.stop()
