"""Queues one GPV or SPV task per device through the REST API, before a work run.

With every task in place before the CPEs call, each session of the run carries exactly one
task, and the run measures sessions with work rather than how fast an operator can queue.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final
from urllib.parse import quote

import httpx
import psycopg

from bench.inform_events import SOFTWARE_VERSION, public_id
from bench.processes import AUTH

SSID: Final = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
CONCURRENCY: Final = 32
TIMEOUT: Final = 600.0
"""Seconds all the requests may take together."""


def task_body(index: int, run: int) -> dict[str, Any]:
    """A get_params task for even devices, a set_params task for odd ones."""
    if index % 2 == 0:
        return {"type": "get_params", "parameters": {"names": [SOFTWARE_VERSION]}}
    return {"type": "set_params", "parameters": {"values": {SSID: f"bench-{run}-{index}"}}}


async def _queue_all(base_url: str, devices: list[int], run: int) -> tuple[int, dict[int, int]]:
    indexes = iter(devices)
    created, failed = 0, dict[int, int]()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal created
        for index in indexes:
            path = f"/api/devices/{quote(public_id(index), safe='')}/tasks"
            response = await client.post(
                path,
                params={"connection_request": "false"},
                json=task_body(index, run),
                headers={"X-ACS-Actor": "bench"},
            )
            if response.status_code == 201:
                created += 1
            else:
                failed[response.status_code] = failed.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, trust_env=False, headers=AUTH
    ) as client:
        workers = [worker(client) for _ in range(CONCURRENCY)]
        await asyncio.wait_for(asyncio.gather(*workers), TIMEOUT)
    return created, failed


def queue_tasks(base_url: str, devices: list[int], run: int) -> tuple[int, dict[int, int]]:
    """Queue one task for each of these devices: (created, failures by HTTP status)."""
    return asyncio.run(_queue_all(base_url, devices, run))


def without_open_task(url: str, devices: int, wait: float = 60.0) -> list[int]:
    """Devices 0..devices-1 with no pending or sent task, once the read model caught up."""
    deadline = time.monotonic() + wait
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT position FROM projection_tracking LIMIT 1) >= "
                "(SELECT COALESCE(max(notification_id), 0) FROM device_events)"
            ).fetchone()
            if row and row[0]:
                break
            time.sleep(0.2)
        rows = conn.execute(
            "SELECT DISTINCT device_id FROM tasks WHERE status IN ('pending', 'sent')"
        ).fetchall()
    busy = {str(r[0]) for r in rows}
    return [i for i in range(devices) if public_id(i) not in busy]
