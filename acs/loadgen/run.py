"""A simulation run: sessions started on schedule, operator tasks, samples, drain, summary."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import random
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final, cast

import httpx

from acs.adapters.collector import settle
from acs.loadgen.config import SimulationConfig
from acs.loadgen.cwmp_session import SessionResult, run_session
from acs.loadgen.datamodel import DataModel, load
from acs.loadgen.monitor import LagSampler, RssTracker
from acs.loadgen.report import progress_line, summary, table
from acs.loadgen.schedule import arrivals, period, task_arrivals
from acs.loadgen.stats import RunStats
from acs.loadgen.task_mix import task_body, tasks_path
from acs.loadgen.virtual_cpe import Profile, VirtualCpe

REQUEST_TIMEOUT: Final = 30.0
"""Seconds each HTTP exchange of a session may take."""
DRAIN_SECONDS: Final = 10.0
"""Seconds to wait for sessions and task requests still in flight when the run ends."""
LATE_AFTER: Final = 0.5
"""A session that starts this many seconds after its due time is late."""
READY_AFTER: Final = 0.25
"""Seconds after its first session (plus the projection lag) before a CPE gets tasks."""
MAX_TASK_REQUESTS: Final = 64
PROGRESS_EVERY: Final = 0.5


class Run:
    """The state of one run: the fleet, the sessions in flight and the measurements."""

    def __init__(self, config: SimulationConfig, model: DataModel) -> None:
        """A run that has not started yet."""
        self.config, self.model = config, model
        interval = max(1, round(period(config.devices, config.rate)))
        self.profile = Profile(model, interval)
        self.stats = RunStats()
        self.cpes: list[VirtualCpe | None] = [None] * config.devices
        self.bootstrapped = bytearray([config.registered] * config.devices)
        self.fresh: deque[tuple[float, int]] = deque()
        self.ready: list[int] = list(range(config.devices)) if config.registered else []
        self.busy: set[int] = set()
        self.sessions: set[asyncio.Task[None]] = set()
        self.requests: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(config.concurrency)
        self.rss = RssTracker(config.server_pids)
        status_base = config.status_base or config.target.base
        self.lag = LagSampler(f"{status_base}/api/status/projections")
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time()

    async def execute(self) -> dict[str, Any]:
        """Run for the configured duration, drain, and summarise."""
        self.start = self.loop.time()
        key = self.config.api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        base = self.config.target.base
        async with httpx.AsyncClient(base_url=base, headers=headers, trust_env=False) as client:
            background = [
                asyncio.create_task(self._monitor(client)),
                asyncio.create_task(self._operator(client)),
            ]
            if self.config.progress:
                background.append(asyncio.create_task(self._progress()))
            try:
                await self._dispatch()
                await self._drain()
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
            elapsed = self.loop.time() - self.start
            self.rss.sample()
        if self.config.progress:
            sys.stderr.write(progress_line(self.stats, elapsed, self.config.duration) + "\n")
        return summary(
            self.stats,
            devices=self.config.devices,
            target_rate=self.config.rate,
            duration=self.config.duration,
            elapsed=elapsed,
            projection_lag=self.lag.summary(),
            server_rss=self.rss.summary(),
        )

    async def _dispatch(self) -> None:
        """Start each session at its due time, within the concurrency cap, until the end."""
        config, end = self.config, self.start + self.config.duration
        for offset, index in arrivals(config.devices, config.rate, config.duration, config.seed):
            due = self.start + offset
            if (delay := due - self.loop.time()) > 0:
                await asyncio.sleep(delay)
            if index in self.busy:  # its previous session is still running
                self.stats.late += 1
                continue
            late = self.slots.locked()
            try:
                async with asyncio.timeout_at(end):
                    await self.slots.acquire()
            except TimeoutError:
                return
            if late or self.loop.time() - due > LATE_AFTER:
                self.stats.late += 1
            self.busy.add(index)
            task = asyncio.create_task(self._session(index))
            self.sessions.add(task)
            task.add_done_callback(self.sessions.discard)

    async def _session(self, index: int) -> None:
        """One session of one CPE, recorded when it ends."""
        try:
            cpe = self.cpes[index]
            if cpe is None:
                cpe = self.cpes[index] = VirtualCpe(
                    self.profile, index, time.time(), registered=self.config.registered
                )
            result = await run_session(cpe, self.config.target, REQUEST_TIMEOUT, self.config.login)
            self._record(index, result)
        finally:
            self.busy.discard(index)
            self.slots.release()

    def _record(self, index: int, result: SessionResult) -> None:
        """Count a finished session."""
        self.stats.rpcs.update(result.rpcs)
        if result.error is not None or result.elapsed_ms is None:
            self.stats.errors[result.error or "unknown"] += 1
            return
        self.stats.sessions += 1
        self.stats.session_ms.record(result.elapsed_ms)
        if not self.bootstrapped[index]:
            self.bootstrapped[index] = 1
            self.fresh.append((self.loop.time(), index))

    async def _drain(self) -> None:
        """Wait (bounded) for sessions and task requests in flight; cancel the rest."""
        pending = self.sessions | self.requests
        if pending:
            _, pending = await asyncio.wait(pending, timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
            self.stats.errors["unfinished"] += len(pending)

    async def _operator(self, client: httpx.AsyncClient) -> None:
        """Queue tasks through the REST API at the task mix's rates, on bootstrapped CPEs."""
        rng = random.Random(self.config.seed + 1)  # noqa: S311 - reproducible, not secret
        schedule = task_arrivals(self.config.task_mix, self.config.duration)
        for number, (offset, kind) in enumerate(schedule):
            if (delay := self.start + offset - self.loop.time()) > 0:
                await asyncio.sleep(delay)
            self._promote()
            if not self.ready:
                continue
            if len(self.requests) >= MAX_TASK_REQUESTS:
                self.stats.errors["task_backlog"] += 1
                continue
            request = asyncio.create_task(
                self._queue_task(client, kind, rng.choice(self.ready), number)
            )
            self.requests.add(request)
            request.add_done_callback(self.requests.discard)

    def _promote(self) -> None:
        """CPEs whose first session the read model has had time to apply can get tasks."""
        horizon = self.loop.time() - READY_AFTER - self.lag.latest
        while self.fresh and self.fresh[0][0] <= horizon:
            self.ready.append(self.fresh.popleft()[1])

    async def _queue_task(self, client: httpx.AsyncClient, kind: str, index: int, n: int) -> None:
        """POST one task; 201 counts as created, anything else as an error."""
        serial = f"SIM{index:07d}"
        try:
            response = await client.post(
                tasks_path(self.model, serial),
                json=task_body(kind, self.model, n),
                headers={"X-ACS-Actor": "acs-simulate"},
                timeout=REQUEST_TIMEOUT,
            )
        except httpx.TimeoutException:
            self.stats.errors["task_timeout"] += 1
            return
        except httpx.HTTPError:
            self.stats.errors["task_connection_error"] += 1
            return
        if response.status_code == 201:
            self.stats.tasks_created += 1
        else:
            self.stats.errors[f"task_http_{response.status_code}"] += 1

    async def _monitor(self, client: httpx.AsyncClient) -> None:
        """Every second: the server's RSS and the projection lag."""
        samples = int(self.config.duration + DRAIN_SECONDS) + 5
        for second in range(samples):
            self.rss.sample()
            await self.lag.sample(client)
            if (delay := self.start + second + 1 - self.loop.time()) > 0:
                await asyncio.sleep(delay)

    async def _progress(self) -> None:
        """The progress line on stderr, at most twice a second."""
        updates = int((self.config.duration + DRAIN_SECONDS) / PROGRESS_EVERY) + 5
        for _ in range(updates):
            elapsed = self.loop.time() - self.start
            sys.stderr.write(progress_line(self.stats, elapsed, self.config.duration))
            sys.stderr.flush()
            await asyncio.sleep(PROGRESS_EVERY)


def simulate(config: SimulationConfig) -> int:
    """Run `acs simulate` and print its summary; 0 when the run completed, 2 on a bad model."""
    try:
        model = load(config.data_model)
    except (OSError, ValueError, KeyError) as exc:
        print(f"acs simulate: error: cannot load the data model: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        result = runner.run(_execute(config, model))
    print(json.dumps(result) if config.as_json else table(result), flush=True)
    return 0


async def _execute(config: SimulationConfig, model: DataModel) -> dict[str, Any]:
    """Build the run inside the event loop and execute it."""
    run = Run(config, model)
    settle()
    return await run.execute()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed, else the default one."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    return cast(Callable[[], asyncio.AbstractEventLoop], uvloop.new_event_loop)
