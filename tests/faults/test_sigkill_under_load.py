"""SIGKILL of the ACS in the middle of sessions under load: nothing acknowledged is lost.

Hundreds of `acs simulate`'s virtual CPEs run sessions against `acs serve --workers 2` while
an operator queues tasks; at a random moment, with sessions in flight, the whole server
process group gets SIGKILL. The server restarts on the same port and the CPEs keep going.
Then, per device: every InformResponse a CPE received has its Inform in the event store,
every answer to an RPC that the ACS answered in turn is stored, and every task the API
accepted (201) before the kill exists and completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Final

import httpx
import psycopg

from acs.domain.device_id import aggregate_id, device_id
from acs.loadgen.config import loopback_url
from acs.loadgen.cwmp_session import run_session
from acs.loadgen.datamodel import load
from acs.loadgen.task_mix import task_body, tasks_path
from acs.loadgen.virtual_cpe import Profile, VirtualCpe
from tests.conftest import AcsServer
from tests.faults.conftest import SMALL_POOLS, fault_random

DEVICES: Final = 300
PERIOD: Final = 3.0
"""Mean seconds between two sessions of a CPE: about 100 sessions/s for the fleet."""
TASKS_PER_SECOND: Final = 20
IN_FLIGHT: Final = 3
"""Sessions in flight at the moment of the kill, at least."""
EXCHANGE_TIMEOUT: Final = 10.0
SESSION_TIMEOUT: Final = "2"
"""ACS_CWMP_SESSION_TIMEOUT: sessions cut by the kill hold their device this long."""
ANSWER_TOPICS: Final = ("RpcAnswered.v1", "RpcFaulted.v1")


class Fleet:
    """Virtual CPEs that each run sessions in a loop, counting what the ACS acknowledged."""

    def __init__(self, url: str, rng: random.Random) -> None:
        self.model = load(None)
        profile = Profile(self.model, round(PERIOD))
        self.target = loopback_url(f"{url}/cwmp")
        self.cpes = [VirtualCpe(profile, n, time.time()) for n in range(DEVICES)]
        self.rng = rng
        self.informs: Counter[int] = Counter()
        self.answers: Counter[int] = Counter()
        self.in_flight = 0
        self.sessions = 0
        self.running = True

    def public_id(self, index: int) -> str:
        """The device id the ACS gives this CPE."""
        return device_id(self.model.oui, self.model.product_class, self.cpes[index].serial_number)

    async def run(self, index: int) -> None:
        """Sessions, a random pause between them, until told to stop."""
        await asyncio.sleep(self.rng.uniform(0, PERIOD))
        while self.running:
            self.in_flight += 1
            try:
                result = await run_session(self.cpes[index], self.target, EXCHANGE_TIMEOUT)
            finally:
                self.in_flight -= 1
            self.sessions += 1
            self.informs[index] += result.informed
            self.answers[index] += result.answered
            await asyncio.sleep(self.rng.uniform(0.5 * PERIOD, 1.5 * PERIOD))


async def operator(fleet: Fleet, api: httpx.AsyncClient, accepted: list[str]) -> None:
    """Queue get_params and set_params tasks (retried if a session is cut: idempotent) on
    registered CPEs until the kill; the ids of those answered 201 go to `accepted`."""
    pending: set[asyncio.Task[None]] = set()

    async def queue(index: int, number: int) -> None:
        kind = "get_params" if number % 2 else "set_params"
        path = tasks_path(fleet.model, fleet.cpes[index].serial_number)
        with contextlib.suppress(httpx.HTTPError):
            reply = await api.post(path, json=task_body(kind, fleet.model, number))
            if reply.status_code == 201:
                accepted.append(reply.json()["id"])

    number = 0
    try:
        while True:
            await asyncio.sleep(1 / TASKS_PER_SECOND)
            registered = [n for n in range(DEVICES) if fleet.informs[n]]
            if registered and len(pending) < 16:
                number += 1
                task = asyncio.create_task(queue(fleet.rng.choice(registered), number))
                pending.add(task)
                task.add_done_callback(pending.discard)
    finally:
        await asyncio.gather(*pending, return_exceptions=True)


def stored_counts(url: str, topics: tuple[str, ...]) -> Counter[str]:
    """Events of these topics per aggregate id."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT originator_id::text, count(*) FROM device_events "
            "WHERE topic = ANY(%s) GROUP BY 1",
            (list(topics),),
        ).fetchall()
    return Counter({str(aggregate): int(count) for aggregate, count in rows})


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.2
) -> bool:
    """Poll an async check until it holds (True) or the time is up (False), without blocking
    the CPEs' event loop."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)
    return True


async def unfinished(api: httpx.AsyncClient, task_ids: list[str]) -> dict[str, str]:
    """The accepted tasks not done yet, with their status (`missing` for a 404)."""
    statuses = {}
    for task_id in task_ids:
        reply = await api.get(f"/api/tasks/{task_id}")
        statuses[task_id] = reply.json()["status"] if reply.status_code == 200 else "missing"
    return {task_id: status for task_id, status in statuses.items() if status != "done"}


async def test_sigkill_under_load_loses_nothing_the_cpes_saw_acknowledged(
    database_url: str,
) -> None:
    rng = fault_random("sigkill")
    env = {**SMALL_POOLS, "ACS_CWMP_SESSION_TIMEOUT": SESSION_TIMEOUT}
    server = AcsServer(database_url, workers=2, env=env).start()
    fleet = Fleet(server.url, rng)
    accepted: list[str] = []
    headers = {**server.auth_headers, "X-ACS-Actor": "sigkill-test"}
    async with httpx.AsyncClient(headers=headers, timeout=10, trust_env=False) as api:
        api.base_url = httpx.URL(server.url)
        cpes = [asyncio.create_task(fleet.run(n)) for n in range(DEVICES)]
        operating = asyncio.create_task(operator(fleet, api, accepted))
        try:
            await asyncio.sleep(rng.uniform(5.0, 10.0))
            assert await wait_until(lambda: _busy(fleet), 20, every=0.005), "sessions in flight"
            in_flight, before = fleet.in_flight, dict(fleet.informs)
            server.kill()
            operating.cancel()
            await asyncio.gather(operating, return_exceptions=True)
            print(f"killed with {in_flight} sessions in flight after {fleet.sessions} sessions")
            assert sum(before.values()) >= DEVICES // 2, "the load ran before the kill"
            assert len(accepted) >= 10, "tasks were accepted before the kill"

            # A new port: another test may have taken the old one while it was free.
            restart_env = {**env, "ACS_BOOTSTRAP_API_KEY": str(server.api_key)}
            server = AcsServer(database_url, workers=2, env=restart_env).start()
            fleet.target = loopback_url(f"{server.url}/cwmp")
            api.base_url = httpx.URL(server.url)
            await wait_until(lambda: _all_done(api, accepted), 60)
            assert not await unfinished(api, accepted), "accepted before the kill, not done"
            await asyncio.sleep(2)
        finally:
            fleet.running = False
            operating.cancel()
            _, stuck = await asyncio.wait(cpes, timeout=2 * EXCHANGE_TIMEOUT)
            for cpe in stuck:
                cpe.cancel()
            await asyncio.gather(operating, *cpes, return_exceptions=True)
            server.stop()
    assert fleet.in_flight == 0

    informs = stored_counts(database_url, ("InformReceived.v1",))
    answers = stored_counts(database_url, ANSWER_TOPICS)
    lost = {}
    for n in range(DEVICES):
        aggregate = str(aggregate_id(fleet.public_id(n)))
        if informs[aggregate] < fleet.informs[n] or answers[aggregate] < fleet.answers[n]:
            lost[fleet.public_id(n)] = (
                f"informs {informs[aggregate]}/{fleet.informs[n]} acknowledged, "
                f"answers {answers[aggregate]}/{fleet.answers[n]}"
            )
    assert not lost, f"acknowledged but not stored: {lost}"
    assert sum(fleet.answers.values()) > 0, "RPCs were answered"
    print(
        f"{fleet.sessions} sessions, {sum(fleet.informs.values())} Informs and "
        f"{sum(fleet.answers.values())} answers acknowledged, {len(accepted)} tasks accepted "
        "before the kill: all stored, all tasks done"
    )


async def _busy(fleet: Fleet) -> bool:
    return fleet.in_flight >= IN_FLIGHT


async def _all_done(api: httpx.AsyncClient, task_ids: list[str]) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return not await unfinished(api, task_ids)
    return False
