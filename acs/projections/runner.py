"""Applies the notification log to the read model in batches, exactly once.

Each batch's rows and the new tracking position commit in one transaction; the tracking row
is locked `FOR UPDATE`, so two runners can never apply the same event twice. Only one runner
is active at a time (a session-level advisory lock); others wait to take over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import EVENTS_TABLE, EventStore, Notification
from acs.adapters.leadership import keep_leading
from acs.projections import (
    activity,
    campaigns,
    counters,
    deferred_indexes,
    devices,
    parameters,
    presets,
    tasks,
)

log = logging.getLogger(__name__)

TRACKING_NAME = "read_model"
BATCH = 1000
REBUILD_BATCH = 5000
"""A rebuild holds every table anyway: larger batches mean fewer, larger statements."""
_LOCK_KEY = 0x0AC5_0002
PACE = 0.05
"""Least seconds between two catch-ups: under load one takes the events of many appends
(fewer, larger transactions) for at most this much more projection lag."""
READ_MODEL_TABLES = (
    "parameter_history",
    "parameter_attributes",
    "parameters",
    "tasks",
    "devices",
    "presets",
    "metrics_counters",
    "activity_by_minute",
    "campaigns",
    "bulk_jobs",
)
"""The tables the projections write: a rebuild empties them and applies every event again."""

_TRACK = """INSERT INTO projection_tracking (position, applied_at, lag_seconds, name)
VALUES (%s, now(), GREATEST(0, EXTRACT(EPOCH FROM now() - %s)), %s)
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position,
    applied_at = EXCLUDED.applied_at, lag_seconds = EXCLUDED.lag_seconds"""
"""The new position, and the age of the oldest event of the batch when it was applied (the
row is made again if a restore left it out)."""


class BatchChanges(msgspec.Struct):
    """The net effect of a batch of events on each read model, in log order."""

    devices: dict[UUID, devices.DeviceChange] = msgspec.field(default_factory=dict)
    parameters: parameters.ParameterChanges = msgspec.field(
        default_factory=parameters.ParameterChanges
    )
    tasks: dict[str, tasks.TaskChange] = msgspec.field(default_factory=dict)
    presets: dict[str, presets.PresetChange] = msgspec.field(default_factory=dict)
    counters: counters.Counters = msgspec.field(default_factory=dict)
    activity: activity.Activity = msgspec.field(default_factory=dict)
    campaigns: campaigns.CampaignChanges = msgspec.field(default_factory=campaigns.CampaignChanges)


Folded = tuple[list[Notification], BatchChanges]


def fold_batch(notifications: Iterable[Notification]) -> BatchChanges:
    """Fold notifications (in log order, or each aggregate's together and in order) into each
    read model's net changes (pure)."""
    changes = BatchChanges()
    for n in notifications:
        devices.fold(changes.devices, n.event)
        parameters.fold(n.event, changes.parameters, n.position)
        tasks.fold(changes.tasks, n.event)
        presets.fold(changes.presets, n.event)
        counters.fold(changes.counters, n.event)
        activity.fold(changes.activity, n.event)
        campaigns.fold(changes.campaigns, n.event)
    return changes


Stage = Callable[[str], None]
_FIRST_KEY = (UUID(int=0), 0)


def flush_batch(
    cur: psycopg.Cursor[Any],
    changes: BatchChanges,
    on_stage: Stage | None = None,
    *,
    rebuilding: bool = False,
) -> None:
    """Write a batch's changes; devices first, since the other tables refer to them."""
    devices.flush(cur, changes.devices)
    _stage(on_stage, "devices")
    parameters.flush(cur, changes.parameters, rebuilding=rebuilding)
    _stage(on_stage, "parameters")
    tasks.flush(cur, changes.tasks)
    _stage(on_stage, "tasks")
    presets.flush(cur, changes.presets)
    counters.flush(cur, changes.counters)
    activity.flush(cur, changes.activity)
    campaigns.flush(cur, changes.campaigns)
    _stage(on_stage, "other tables")


def _stage(on_stage: Stage | None, name: str) -> None:
    if on_stage is not None:
        on_stage(name)


class ProjectionRunner:
    """Keeps the read model up to date with the event store."""

    def __init__(
        self,
        store: EventStore,
        pool: ConnectionPool,
        url: str,
        on_stage: Stage | None = None,
    ) -> None:
        self.store, self.pool, self.url = store, pool, url
        self.on_stage = on_stage
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def position(self) -> int:
        """The position of the last event applied."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
            ).fetchone()
        return int(row[0]) if row else 0

    def run_once(self, batch: int = BATCH) -> int:
        """Apply the next batch of events; returns how many were applied."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            return self._batch(cur, batch)

    def _batch(self, cur: psycopg.Cursor[tuple[object, ...]], batch: int) -> int:
        row = cur.execute(
            "SELECT position FROM projection_tracking WHERE name = %s FOR UPDATE",
            (TRACKING_NAME,),
        ).fetchone()
        after = int(str(row[0])) if row else 0
        notes = self.store.notifications(after, batch)
        if not notes:
            return 0
        flush_batch(cur, fold_batch(notes), self.on_stage)
        cur.execute(_TRACK, (notes[-1].position, notes[0].event.timestamp, TRACKING_NAME))
        return len(notes)

    def catch_up(self) -> int:
        """Apply every event recorded so far; returns how many."""
        total = 0
        while applied := self.run_once():
            total += applied
        return total

    def rebuild(self, batch: int = REBUILD_BATCH) -> int:
        """Drop the read model and replay every event into it, in one transaction; the
        secondary indexes and foreign keys are made again once, after the last batch."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM projection_tracking WHERE name = %s FOR UPDATE", (TRACKING_NAME,)
            )
            cur.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")
            cur.execute(
                "UPDATE projection_tracking SET position = 0 WHERE name = %s", (TRACKING_NAME,)
            )
            set_aside = deferred_indexes.set_aside(
                cur, READ_MODEL_TABLES, keys_of=parameters.HISTORY_KEYS
            )
            _stage(self.on_stage, "set indexes aside")
            total = self._replay(cur, batch)
            deferred_indexes.restore(cur, set_aside)
            _stage(self.on_stage, "make indexes again")
        return total

    def _replay(self, cur: psycopg.Cursor[tuple[object, ...]], batch: int) -> int:
        """Apply every event stored so far, read in the event table's key order (each
        device's events together, so a batch's fold leaves one row write per device and per
        parameter, however long its history); each batch is read and folded (Python's work,
        in a thread) while the one before it is written (PostgreSQL's work). Every read model
        depends only on the order of each aggregate's own events, or sums them."""
        upto, total = self.store.max_position(), 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-reader") as reader:
            pending = reader.submit(self._read_folded, _FIRST_KEY, upto, batch)
            while (folded := pending.result()) is not None:
                _stage(self.on_stage, "wait for the next batch")
                notes, changes = folded
                last = notes[-1].event
                after = (last.originator_id, last.originator_version)
                pending = reader.submit(self._read_folded, after, upto, batch)
                flush_batch(cur, changes, self.on_stage, rebuilding=True)
                total += len(notes)
        cur.execute(_TRACK, (upto, datetime.now(UTC), TRACKING_NAME))
        return total

    def _read_folded(self, after: tuple[UUID, int], upto: int, batch: int) -> Folded | None:
        notes = self.store.events_by_aggregate(after, upto, batch)
        return (notes, fold_batch(notes)) if notes else None

    def start(self) -> None:
        """Run in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        """Hold the runner lock, then apply events as they are notified; survive outages."""
        keep_leading(
            self.url,
            _LOCK_KEY,
            EVENTS_TABLE,
            self._stop,
            label="projection runner",
            work=self.catch_up,
            pace=PACE,
        )
