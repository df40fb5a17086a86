"""Reads for `GET /metrics`: the counters the projection keeps and gauges of the read model,
the same whichever worker answers."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg_pool import ConnectionPool

from acs.projections.queries import ReadModel

OPEN_TASK_STATUSES = ("pending", "sent")

_COUNTERS = "SELECT name, labels, value FROM metrics_counters ORDER BY name, labels::text"

_OPEN_TASKS = """SELECT status, count(*) FROM tasks WHERE status IN ('pending', 'sent')
GROUP BY status"""

_OPEN_SESSIONS = "SELECT count(*) FROM cwmp_sessions WHERE expires_at > now()"


class Counter(msgspec.Struct, frozen=True):
    """One counter's total."""

    name: str
    labels: dict[str, str]
    value: int


class MetricsSnapshot(msgspec.Struct, frozen=True):
    """Everything `/metrics` reports from the database, read in one go."""

    counters: list[Counter]
    open_tasks: dict[str, int]
    devices_online: int
    devices_offline: int
    open_sessions: int
    events: int
    lag_events: int
    lag_seconds: float


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value).items()}


def read_metrics(pool: ConnectionPool, read: ReadModel) -> MetricsSnapshot:
    """The counters and gauges as they stand now."""
    with pool.connection() as conn:
        counters = [Counter(n, _labels(lb), int(v)) for n, lb, v in conn.execute(_COUNTERS)]
        tasks = {str(s): int(c) for s, c in conn.execute(_OPEN_TASKS)}
        row = conn.execute(_OPEN_SESSIONS).fetchone()
    stats, lag = read.stats(), read.projection_status()
    return MetricsSnapshot(
        counters=counters,
        open_tasks={s: tasks.get(s, 0) for s in OPEN_TASK_STATUSES},
        devices_online=stats.online_devices,
        devices_offline=stats.offline_devices,
        open_sessions=int(row[0]) if row else 0,
        events=lag.events,
        lag_events=lag.lag_events,
        lag_seconds=lag.lag_seconds,
    )
