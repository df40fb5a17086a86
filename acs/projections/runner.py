"""Applies the notification log to the read model in batches, exactly once.

Each batch's rows and the new tracking position commit in one transaction; the tracking row
is locked `FOR UPDATE`, so two runners can never apply the same event twice. Only one runner
is active at a time (a session-level advisory lock); others wait to take over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import EVENTS_TABLE, EventStore, Notification
from acs.domain.events import DeviceEvent
from acs.projections import Row, devices, parameters, tasks

log = logging.getLogger(__name__)

TRACKING_NAME = "read_model"
BATCH = 1000
_LOCK_KEY = 0x0AC5_0002
_READ_MODEL_TABLES = (
    "parameter_history",
    "parameter_attributes",
    "parameters",
    "tasks",
    "devices",
)

_TRACK = """UPDATE projection_tracking SET position = %s, applied_at = now(),
    lag_seconds = GREATEST(0, EXTRACT(EPOCH FROM now() - %s)) WHERE name = %s"""
"""The new position, and the age of the oldest event of the batch when it was applied."""

RowsFor = Callable[[DeviceEvent, int], list[Row]]
PROJECTIONS: tuple[RowsFor, ...] = (devices.rows_for, parameters.rows_for, tasks.rows_for)
"""Order matters: a device row exists before its parameters and tasks refer to it."""


def rows_for(
    notifications: Iterable[Notification], projections: tuple[RowsFor, ...] = PROJECTIONS
) -> list[Row]:
    """Every row the notifications produce, in log order."""
    return [row for n in notifications for p in projections for row in p(n.event, n.position)]


def _apply(cur: psycopg.Cursor[tuple[object, ...]], rows: list[Row]) -> None:
    """Run rows in order, batching runs of the same statement."""
    i = 0
    while i < len(rows):
        sql = rows[i][0]
        j = i
        while j < len(rows) and rows[j][0] == sql:
            j += 1
        cur.executemany(sql, [params for _, params in rows[i:j]])
        i = j


class ProjectionRunner:
    """Keeps the read model up to date with the event store."""

    def __init__(
        self,
        store: EventStore,
        pool: ConnectionPool,
        url: str,
        projections: tuple[RowsFor, ...] = PROJECTIONS,
    ) -> None:
        self.store, self.pool, self.url = store, pool, url
        self.projections = projections
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
        _apply(cur, rows_for(notes, self.projections))
        cur.execute(_TRACK, (notes[-1].position, notes[0].event.timestamp, TRACKING_NAME))
        return len(notes)

    def catch_up(self) -> int:
        """Apply every event recorded so far; returns how many."""
        total = 0
        while applied := self.run_once():
            total += applied
        return total

    def rebuild(self) -> int:
        """Drop the read model and replay every event into it, in one transaction."""
        total = 0
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM projection_tracking WHERE name = %s FOR UPDATE", (TRACKING_NAME,)
            )
            cur.execute(f"TRUNCATE {', '.join(_READ_MODEL_TABLES)}")
            cur.execute(
                "UPDATE projection_tracking SET position = 0 WHERE name = %s", (TRACKING_NAME,)
            )
            while applied := self._batch(cur, BATCH):
                total += applied
        return total

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
        while not self._stop.is_set():
            try:
                self._lead()
            except psycopg.Error:
                log.exception("projection runner lost its database connection; retrying")
                self._stop.wait(2.0)

    def _lead(self) -> None:
        """Hold the runner lock, then apply events as they are notified."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()[0]:  # type: ignore[index]
                if self._stop.wait(2.0):
                    return
            conn.execute(f"LISTEN {EVENTS_TABLE}")
            log.info("projection runner active")
            while not self._stop.is_set():
                self.catch_up()
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    pass
