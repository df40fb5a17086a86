"""Drives campaigns and bulk operations in the background of every worker; one at a time
is active (a PostgreSQL advisory lock), every `ACS_CAMPAIGN_INTERVAL` seconds.

For a running campaign it settles the open batch (outcomes, then the stop rule) or, inside
the maintenance window, starts the next one: download tasks (actor `campaign:<id>`) and
connection requests at the campaign's rate. For a bulk operation it queues the task on
every selected device, then sends the connection requests at its rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from acs.adapters.database import log_failure
from acs.adapters.event_store import EventStore
from acs.adapters.leadership import RETRY_DELAY
from acs.application.campaigns import CampaignCommands
from acs.application.connection_requests import ConnectionRequests
from acs.application.devices import DeviceCommands, now
from acs.domain.campaign_commands import RUNNING, bulk_aggregate
from acs.domain.campaigns import (
    FAILED,
    CampaignDefinition,
    device_outcome,
    failure_rate,
    in_window,
    next_batch,
    pacing,
    should_pause,
)
from acs.domain.device import DeviceNotFoundError
from acs.domain.events import BulkCreated
from acs.domain.tasks import DownloadTask
from acs.projections import bulk_progress, campaign_progress, fleet_filter

log = logging.getLogger(__name__)

Run = Callable[..., Awaitable[Any]]
_LOCK_KEY = 0x0AC5_0011


class JobDriver:
    """The background loop of campaigns and bulk operations."""

    def __init__(
        self,
        *,
        url: str,
        pool: ConnectionPool,
        store: EventStore,
        campaigns: CampaignCommands,
        commands: DeviceCommands,
        requests: ConnectionRequests | None,
        run: Run,
        interval: float,
    ) -> None:
        self.url, self.pool, self.store, self.run = url, pool, store, run
        self.campaigns, self.commands, self.requests = campaigns, commands, requests
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._jobs: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        """Run in the background of the event loop until `stop()`."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the loop and the connection requests under way."""
        self._stop.set()
        for task in [self._task, *self._jobs.values()]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._lead()
            except Exception as exc:  # the loop must outlive any failure; each one is logged
                log_failure(log, f"campaign driver stopped; retrying in {RETRY_DELAY:g} s", exc)
                await self._wait(RETRY_DELAY)

    async def _wait(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()

    async def _lead(self) -> None:
        """Hold the driver lock, then tick."""
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            while not await _locked(conn):
                if await self._wait(max(self.interval, 1.0)):
                    return
            log.info("campaign driver active")
            while not self._stop.is_set():
                await self.tick()
                await conn.execute("SELECT 1")
                await self._wait(self.interval)

    async def tick(self) -> None:
        """One round: every running campaign steps, every unfinished bulk operation runs."""
        for campaign_id in await self.run(campaign_progress.running_campaigns, self.pool):
            try:
                pairs = await self.run(self.step, campaign_id)
            except Exception as exc:  # one campaign's failure holds back no other
                log_failure(log, f"campaign {campaign_id} failed to step; retrying", exc)
                continue
            if pairs:
                rate = pairs[0][2]
                self._spawn(f"campaign:{pairs[0][1]}", self._announce(
                    [(d, t) for d, t, _ in pairs], rate, None))  # fmt: skip
        for bulk_id in await self.run(bulk_progress.unfinished, self.pool):
            self._spawn(f"bulk:{bulk_id}", self._run_bulk(bulk_id))

    def _spawn(self, key: str, work: Awaitable[None]) -> None:
        self._jobs = {k: job for k, job in self._jobs.items() if not job.done()}
        running = self._jobs.get(key)
        if running is not None and not running.done():
            _close(work)
            return
        self._jobs[key] = asyncio.ensure_future(work)

    def step(self, campaign_id: str) -> list[tuple[str, str, float]]:
        """Settle the open batch, or start the next; returns the devices to announce."""
        state = self.campaigns.state(campaign_id)
        if state is None or state.status != RUNNING:
            return []
        definition = state.definition
        batch = campaign_progress.open_batch(self.pool, campaign_id)
        if batch is not None:
            self._settle(campaign_id, definition, batch)
            return []
        if not in_window(definition.window, now()):
            return []
        return self._start_batch(campaign_id, definition)

    def _settle(self, campaign_id: str, definition: CampaignDefinition, batch: int) -> None:
        """Record the outcomes of finished devices; at the batch's end, apply the stop rule."""
        devices = campaign_progress.batch_devices(self.pool, campaign_id, batch)
        found = {d.device_id: device_outcome(d.status, d.software_version, definition.version,
                                             d.age, definition.batch_timeout)
                 for d in devices if d.outcome is None}  # fmt: skip
        campaign_progress.record_outcomes(self.pool, campaign_id, {
            device: outcome for device, outcome in found.items() if outcome})  # fmt: skip
        if any(outcome is None for outcome in found.values()):
            return
        outcomes = [d.outcome or (found[d.device_id] or ("", ""))[0] for d in devices]
        rate = failure_rate(outcomes)
        failed = sum(o == FAILED for o in outcomes)
        campaign_progress.finish_batch(self.pool, campaign_id, batch, failed, rate)
        if should_pause(outcomes, definition.max_failure_rate):
            reason = (f"batch {batch}: {failed} of {len(outcomes)} devices failed ({rate:.0%}), "
                      f"above {definition.max_failure_rate:.0%}")  # fmt: skip
            self.campaigns.pause(campaign_id, f"campaign:{campaign_id}", reason)

    def _start_batch(
        self, campaign_id: str, definition: CampaignDefinition
    ) -> list[tuple[str, str, float]]:
        """Queue the download of the next batch; complete the campaign when none is left."""
        d = definition
        candidates = fleet_filter.campaign_candidates(
            self.pool, campaign_id, (d.filter, d.devices), d.version, d.batch_size
        )
        chosen = next_batch(candidates, set(), d.version, d.batch_size)
        if not chosen:
            self.campaigns.complete(campaign_id)
            return []
        batch = campaign_progress.last_batch(self.pool, campaign_id) + 1
        campaign_progress.start_batch(self.pool, campaign_id, batch, len(chosen))
        task = DownloadTask(file_id=d.file_id, file_type=d.file_type, file_size=d.file_size)
        queued = []
        for device_id in chosen:
            task_id, _ = self.commands.queue_task(device_id, task, f"campaign:{campaign_id}")
            campaign_progress.add_device(self.pool, campaign_id, device_id, batch, task_id)
            queued.append((device_id, task_id, d.rate))
        return queued

    async def _announce(
        self, pairs: list[tuple[str, str]], rate: float, bulk_id: str | None
    ) -> None:
        """Connection requests at `rate` per second, each on its own (a slow CPE holds none)."""
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), []
        for (device_id, task_id), offset in zip(pairs, pacing(len(pairs), rate), strict=True):
            await asyncio.sleep(max(0.0, start + offset - loop.time()))
            sent.append(asyncio.ensure_future(self._request(device_id, task_id, bulk_id)))
        await asyncio.gather(*sent, return_exceptions=True)

    async def _request(self, device_id: str, task_id: str, bulk_id: str | None) -> None:
        outcome = "skipped"
        if self.requests is not None:
            try:
                found, _ = await self.requests.request(device_id, task_id)
                outcome = found.value
            except DeviceNotFoundError:
                outcome = "unknown device"
        if bulk_id is not None:
            await self.run(bulk_progress.record_request, self.pool, bulk_id, device_id, outcome)

    async def _run_bulk(self, bulk_id: str) -> None:
        """Queue the bulk task on every device not done yet, then announce them."""
        try:
            await self.run(self._queue_bulk, bulk_id)
            pending = await self.run(bulk_progress.unrequested, self.pool, bulk_id)
            created = await self.run(self.store.load_events, bulk_aggregate(bulk_id))
            rate = created[0].definition.rate if isinstance(created[0], BulkCreated) else 10.0
            await self._announce(pending, rate, bulk_id)
        except Exception as exc:  # retried at the next tick
            log_failure(log, f"bulk operation {bulk_id} failed; retrying", exc)

    def _queue_bulk(self, bulk_id: str) -> None:
        history = self.store.load_events(bulk_aggregate(bulk_id))
        if not history or not isinstance(history[0], BulkCreated):
            return
        created = history[0]
        done = bulk_progress.queued_devices(self.pool, bulk_id)
        for device_id in created.definition.devices:
            if device_id in done:
                continue
            try:
                task_id: str | None = self.commands.queue_task(
                    device_id, created.definition.task, f"bulk:{bulk_id}",
                    created.definition.expires_at)[0]  # fmt: skip
            except DeviceNotFoundError:
                task_id = None
            bulk_progress.add_task(self.pool, bulk_id, device_id, task_id)


async def _locked(conn: psycopg.AsyncConnection[Any]) -> bool:
    row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,))).fetchone()
    return bool(row and row[0])


def _close(work: Awaitable[None]) -> None:
    """Drop a coroutine that will not run."""
    close = getattr(work, "close", None)
    if close is not None:
        close()
