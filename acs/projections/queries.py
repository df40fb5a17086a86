"""Reads of the read model: plain functions over SQL kept in module constants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from psycopg import Connection
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from acs.projections.activity import Overview
from acs.projections.count_cache import TotalCache
from acs.projections.device_filter import (
    DeviceQuery,
    cursor_after,
    encode_cursor,
    parse_device_query,
)
from acs.projections.device_search import (
    ONLINE,
    bounded_count_statement,
    count_statement,
    page_statement,
)

_ONLINE = ONLINE
"""A device is online while its next-but-one periodic Inform is not overdue (index-friendly)."""

_DEVICE_COLUMNS = f"""id, manufacturer, oui, product_class, serial_number, {_ONLINE} AS online,
    last_inform, software_version, hardware_version, ip_address, tags"""


_GET_DEVICE = f"""SELECT {_DEVICE_COLUMNS}, connection_request_url, periodic_inform_interval,
    first_seen, event_count, last_event_codes, rpc_methods, connection_request_outcome,
    connection_request_at FROM devices WHERE id = %s"""

_DEVICE_EXISTS = "SELECT 1 FROM devices WHERE id = %s"

_PARAMETERS = """SELECT p.name, p.value, p.type, p.writable, p.updated_at, a.notification,
    a.access_list, p.stale
FROM parameters p LEFT JOIN parameter_attributes a USING (device_id, name)
WHERE p.device_id = %s ORDER BY p.name"""

_TASK_COLUMNS = """id, device_id, type, parameters, status, actor, created_at, sent_at,
    completed_at, result, fault, expires_at"""

_DEVICE_TASKS = f"SELECT {_TASK_COLUMNS} FROM tasks WHERE device_id = %s ORDER BY created_at, id"

_TASK = f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = %s"

_OVERDUE_TRANSFERS = """SELECT device_id, array_agg(id) FROM tasks
WHERE status = 'sent' AND type IN ('download', 'upload')
    AND sent_at < now() - make_interval(secs => %s)
GROUP BY device_id LIMIT 1000"""

_OVERDUE_TASKS = """SELECT device_id FROM tasks
WHERE status = 'pending' AND expires_at <= now()
GROUP BY device_id LIMIT 1000"""

_PROJECTION_STATUS = """SELECT
    COALESCE((SELECT max(notification_id) FROM device_events), 0), t.position, t.lag_seconds,
    t.applied_at, (SELECT min(notification_id) FROM device_events
                   WHERE notification_id > t.position) IS NOT NULL
FROM projection_tracking t"""

_STATS = f"""SELECT
    (SELECT count(*) FROM devices) AS total_devices,
    (SELECT count(*) FROM devices WHERE {_ONLINE}) AS online_devices,
    (SELECT count(*) FROM tasks WHERE status IN ('pending', 'sent')) AS pending_tasks"""


class DeviceSummary(msgspec.Struct, frozen=True):
    """A device in the list."""

    id: str
    manufacturer: str
    oui: str
    product_class: str
    serial_number: str
    online: bool
    last_inform: datetime
    software_version: str | None
    hardware_version: str | None
    ip_address: str | None
    tags: list[str]


class DeviceDetail(DeviceSummary, frozen=True):
    """A device with everything the read model knows of it."""

    connection_request_url: str | None
    periodic_inform_interval: int | None
    first_seen: datetime
    event_count: int
    last_event_codes: list[str]
    rpc_methods: list[str] | None
    connection_request_outcome: str | None
    connection_request_at: datetime | None


class DevicePage(msgspec.Struct, frozen=True):
    """A page of a device search: its devices, how many match, the next page's cursor.
    `total_exact` is False when `total` only says that at least that many match."""

    devices: list[DeviceSummary]
    total: int
    next_cursor: str | None
    total_exact: bool = True


class Parameter(msgspec.Struct, frozen=True):
    """A parameter's current value."""

    name: str
    value: str
    type: str
    writable: bool | None
    updated_at: datetime
    notification: int | None
    access_list: list[str] | None
    stale: bool


class Task(msgspec.Struct, frozen=True):
    """A task and where it stands: `pending`, `sent`, `done`, `fault` or `expired` (never
    sent before `expires_at`, null when it never expires)."""

    id: str
    device_id: str
    type: str
    parameters: dict[str, Any]
    status: str
    actor: str
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    result: dict[str, Any] | None
    fault: dict[str, Any] | None
    expires_at: datetime | None = None


class ProjectionStatus(msgspec.Struct, frozen=True):
    """How far the read model is behind the event log."""

    events: int
    projected: int
    lag_events: int
    lag_seconds: float
    applied_at: datetime | None


class Stats(msgspec.Struct, frozen=True):
    """Fleet totals."""

    total_devices: int
    online_devices: int
    offline_devices: int
    pending_tasks: int


class ReadModel:
    """Queries over the projections."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.totals = TotalCache()
        self.overview = Overview(pool)

    def devices(self, limit: int, offset: int) -> list[DeviceSummary]:
        """A page of devices, ordered by id: an unfiltered search."""
        query = parse_device_query([("limit", str(limit)), ("offset", str(offset))])
        return self.search_devices(query).devices

    def search_devices(self, query: DeviceQuery, *, exact_total: bool = True) -> DevicePage:
        """The devices of a search's page, the total that match, the next page's cursor.
        Without `exact_total`, a total beyond `LARGE` that no worker has counted lately is
        given as a lower bound (counting it exactly reads every match: seconds at a
        million devices); `search_total` counts it.

        Not prepared: each search is planned with its values (a prefix becomes an index
        range only when the planner sees it)."""
        page = page_statement(query, _DEVICE_COLUMNS)
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(DeviceSummary))
            found = cur.execute(page.text, page.params, prepare=False).fetchall()
            if exact_total:
                total, exact = self.totals.total(query.filter, _counter(conn, query)), True
            else:
                total, exact = self._bounded_total(conn, query)
        shown = found[: query.page.limit]
        more = len(found) > len(shown)
        after = encode_cursor(cursor_after(query.page.sort, shown[-1])) if more else None
        return DevicePage(shown, total, after, exact)

    def search_total(self, query: DeviceQuery) -> int:
        """How many devices a search matches, exactly (kept a while when large)."""
        with self.pool.connection() as conn:
            return self.totals.total(query.filter, _counter(conn, query))

    def _bounded_total(self, conn: Connection[Any], query: DeviceQuery) -> tuple[int, bool]:
        cached = self.totals.cached(query.filter)
        if cached is not None:
            return cached, True
        bounded = bounded_count_statement(query.filter, self.totals.large)
        row = conn.execute(bounded.text, bounded.params, prepare=False).fetchone()
        counted = int(row[0]) if row else 0
        return (counted, True) if counted <= self.totals.large else (self.totals.large, False)

    def device(self, device_id: str) -> DeviceDetail | None:
        """One device, or None."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(DeviceDetail))
            return cur.execute(_GET_DEVICE, (device_id,)).fetchone()

    def device_exists(self, device_id: str) -> bool:
        """Whether the read model knows this device."""
        with self.pool.connection() as conn:
            return conn.execute(_DEVICE_EXISTS, (device_id,)).fetchone() is not None

    def parameters(self, device_id: str) -> list[Parameter]:
        """A device's current parameter values, by name."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Parameter))
            return cur.execute(_PARAMETERS, (device_id,)).fetchall()

    def tasks(self, device_id: str) -> list[Task]:
        """A device's tasks, oldest first."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Task))
            return cur.execute(_DEVICE_TASKS, (device_id,)).fetchall()

    def task(self, task_id: str) -> Task | None:
        """One task, or None."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Task))
            return cur.execute(_TASK, (task_id,)).fetchone()

    def overdue_transfers(self, timeout: float) -> dict[str, list[str]]:
        """Downloads and uploads sent more than `timeout` seconds ago, by device."""
        with self.pool.connection() as conn:
            rows = conn.execute(_OVERDUE_TRANSFERS, (timeout,)).fetchall()
        return {str(device): list(ids) for device, ids in rows}

    def overdue_tasks(self) -> list[str]:
        """Devices with a task still pending past its expiry (up to 1000)."""
        with self.pool.connection() as conn:
            rows = conn.execute(_OVERDUE_TASKS).fetchall()
        return [str(device) for (device,) in rows]

    def stats(self) -> Stats:
        """Fleet totals; offline is total minus online."""
        with self.pool.connection() as conn:
            row = conn.execute(_STATS).fetchone()
        assert row is not None
        total, online, pending = (int(v) for v in row)
        return Stats(total, online, total - online, pending)

    def projection_status(self) -> ProjectionStatus:
        """Events in the log, events applied, and the lag of the last batch applied."""
        with self.pool.connection() as conn:
            row = conn.execute(_PROJECTION_STATUS).fetchone()
        assert row is not None
        head, position, lag, applied_at, behind = row
        if behind and applied_at is not None:
            waited = datetime.now(applied_at.tzinfo) - applied_at
            lag = max(float(lag), waited.total_seconds())
        return ProjectionStatus(
            int(head), int(position), int(head) - int(position), float(lag), applied_at
        )

    def position(self) -> int:
        """The position of the last event in the read model."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT position FROM projection_tracking").fetchone()
        return int(row[0]) if row else 0


class Preset(msgspec.Struct, frozen=True):
    """A preset with its definition, last change, and how its tasks fare."""

    name: str
    definition: dict[str, Any]
    version: int
    updated_at: datetime
    actor: str
    tasks_done: int
    tasks_faulted: int
    tasks_open: int


_PRESETS = """SELECT p.name, p.definition, p.version, p.updated_at, p.actor,
    count(t.id) FILTER (WHERE t.status = 'done'),
    count(t.id) FILTER (WHERE t.status = 'fault'),
    count(t.id) FILTER (WHERE t.status IN ('pending', 'sent'))
FROM presets p LEFT JOIN tasks t ON t.actor = 'preset:' || p.name
WHERE NOT p.deleted AND (%(name)s::text IS NULL OR p.name = %(name)s)
GROUP BY p.name ORDER BY p.weight, p.name"""


def presets(pool: ConnectionPool, name: str | None = None) -> list[Preset]:
    """Active presets (or one of them), with counts of their tasks by outcome."""
    with pool.connection() as conn:
        rows = conn.execute(_PRESETS, {"name": name}).fetchall()
    return [Preset(*row) for row in rows]


def _counter(conn: Connection[Any], query: DeviceQuery) -> Callable[[], int]:
    """Counts the devices a search matches, on this connection."""
    count = count_statement(query.filter)

    def counted() -> int:
        row = conn.execute(count.text, count.params, prepare=False).fetchone()
        return int(row[0]) if row else 0

    return counted
