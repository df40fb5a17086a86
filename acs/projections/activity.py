"""The `activity_by_minute` read model (Informs and faulted tasks per minute) and the other
reads of the dashboard's overview: devices by software version and the recent faults.

A batch of events is folded into per-minute increments (`fold`, pure); `flush` adds them in
the projection batch's transaction, so each event counts exactly once. Every read here is
bounded at any fleet size: minutes of a window, one index range, or a grouped count kept a
while per worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from acs.domain.events import DeviceEvent, InformReceived, TaskFaulted

Activity = dict[datetime, list[int]]
"""Increments by minute: [Informs, faulted tasks]."""

_ADD = """
INSERT INTO activity_by_minute (minute, informs, faults)
SELECT * FROM unnest(%s::timestamptz[], %s::bigint[], %s::bigint[])
ON CONFLICT (minute) DO UPDATE SET informs = activity_by_minute.informs + EXCLUDED.informs,
    faults = activity_by_minute.faults + EXCLUDED.faults"""

_WINDOW = """SELECT minute, informs, faults FROM activity_by_minute
WHERE minute >= date_trunc('minute', now()) - make_interval(mins => %s) ORDER BY minute"""

_VERSIONS = """SELECT COALESCE(software_version, '') AS version, count(*) AS devices
FROM devices GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s"""

_RECENT_FAULTS = """SELECT id, device_id, type, actor, completed_at, fault FROM tasks
WHERE status = 'fault' ORDER BY completed_at DESC LIMIT %s"""

VERSIONS_TTL = 30.0
"""Seconds the software versions' counts are kept per worker (they read every device)."""


def minute_of(moment: datetime) -> datetime:
    """The minute a moment falls in."""
    return moment.replace(second=0, microsecond=0)


def fold(changes: Activity, event: DeviceEvent) -> None:
    """Count an Inform or a faulted task in its minute (other events change nothing)."""
    if isinstance(event, InformReceived):
        changes.setdefault(minute_of(event.timestamp), [0, 0])[0] += 1
    elif isinstance(event, TaskFaulted):
        changes.setdefault(minute_of(event.timestamp), [0, 0])[1] += 1


def flush(cur: psycopg.Cursor[Any], changes: Activity) -> None:
    """Add the batch's increments to the stored minutes."""
    if not changes:
        return
    minutes = list(changes)
    informs = [changes[m][0] for m in minutes]
    faults = [changes[m][1] for m in minutes]
    cur.execute(_ADD, (minutes, informs, faults))


class Minute(msgspec.Struct, frozen=True):
    """One minute of activity."""

    minute: datetime
    informs: int
    faults: int


class VersionCount(msgspec.Struct, frozen=True):
    """How many devices report a software version (`""`: none known)."""

    version: str
    devices: int


class Fault(msgspec.Struct, frozen=True):
    """A task that faulted."""

    id: str
    device_id: str
    type: str
    actor: str
    completed_at: datetime | None
    fault: dict[str, Any] | None


class Overview:
    """The overview's reads over the projections."""

    def __init__(self, pool: ConnectionPool, clock: Callable[[], float] = time.monotonic) -> None:
        self.pool, self.clock = pool, clock
        self._versions: tuple[float, int, list[VersionCount]] | None = None
        self._lock = threading.Lock()

    def minutes(self, window: int) -> list[Minute]:
        """Every minute of the last `window` minutes, those without activity as zeros."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Minute))
            rows = {m.minute: m for m in cur.execute(_WINDOW, (window,)).fetchall()}
            now = conn.execute("SELECT date_trunc('minute', now())").fetchone()
        end: datetime = now[0] if now else minute_of(datetime.now(UTC))
        steps = (end - timedelta(minutes=window - i) for i in range(window + 1))
        return [rows.get(m) or Minute(m, 0, 0) for m in steps]

    def software_versions(self, limit: int = 12) -> list[VersionCount]:
        """The most common software versions and their device counts (up to 30 s old)."""
        now = self.clock()
        with self._lock:
            kept = self._versions
        if kept is not None and kept[0] > now and kept[1] == limit:
            return kept[2]
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(VersionCount))
            rows = cur.execute(_VERSIONS, (limit,)).fetchall()
        with self._lock:
            self._versions = (now + VERSIONS_TTL, limit, rows)
        return rows

    def recent_faults(self, limit: int = 10) -> list[Fault]:
        """The tasks that faulted last, newest first."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Fault))
            return cur.execute(_RECENT_FAULTS, (limit,)).fetchall()
