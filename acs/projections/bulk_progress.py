"""Progress of bulk operations: the tasks their driver queued, read with the `tasks` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg_pool import ConnectionPool


class BulkJob(msgspec.Struct, frozen=True):
    """A bulk operation and how far it got.

    `matched`: devices selected; `queued`: tasks created; `connection_requests`: requests
    sent; `sent`: tasks whose RPC went to the device (finished ones included); `done`,
    `faulted`, `expired` (never sent before their expiry): finished tasks; `unknown`: listed
    devices the ACS does not know.
    """

    id: str
    task_type: str
    definition: dict[str, Any]
    rate: float
    actor: str
    created_at: datetime
    matched: int
    queued: int
    connection_requests: int
    sent: int
    done: int
    faulted: int
    unknown: int
    finished: bool
    expired: int = 0


_JOB = """
SELECT j.id, j.task_type, j.definition, j.rate, j.actor, j.created_at, j.matched,
    count(b.task_id),
    count(*) FILTER (WHERE b.connection_request IS NOT NULL AND b.task_id IS NOT NULL),
    count(*) FILTER (WHERE t.status IN ('sent', 'done', 'fault')),
    count(*) FILTER (WHERE t.status = 'done'), count(*) FILTER (WHERE t.status = 'fault'),
    count(b.device_id) FILTER (WHERE b.task_id IS NULL),
    count(*) FILTER (WHERE t.status = 'expired')
FROM bulk_jobs j
LEFT JOIN bulk_tasks b ON b.bulk_id = j.id
LEFT JOIN tasks t ON t.id = b.task_id
WHERE j.id = %s
GROUP BY j.id"""


def bulk_job(pool: ConnectionPool, bulk_id: str) -> BulkJob | None:
    """One bulk operation with its progress."""
    with pool.connection() as conn:
        row = conn.execute(_JOB, (bulk_id,)).fetchone()
    if row is None:
        return None
    *counts, expired = row
    finished = row[10] + row[11] + row[12] + expired == row[6]
    return BulkJob(*[*counts, finished, expired])


_UNFINISHED = """
SELECT j.id FROM bulk_jobs j WHERE j.matched > (SELECT count(*) FROM bulk_tasks b
    WHERE b.bulk_id = j.id)
OR EXISTS (SELECT 1 FROM bulk_tasks b WHERE b.bulk_id = j.id AND b.connection_request IS NULL)
ORDER BY j.created_at"""


def unfinished(pool: ConnectionPool) -> list[str]:
    """Bulk operations with tasks to queue or connection requests to send."""
    with pool.connection() as conn:
        return [str(r[0]) for r in conn.execute(_UNFINISHED).fetchall()]


def queued_devices(pool: ConnectionPool, bulk_id: str) -> set[str]:
    """Devices the bulk operation queued its task for already."""
    with pool.connection() as conn:
        rows = conn.execute("SELECT device_id FROM bulk_tasks WHERE bulk_id = %s", (bulk_id,))
        return {str(r[0]) for r in rows.fetchall()}


def add_task(pool: ConnectionPool, bulk_id: str, device_id: str, task_id: str | None) -> None:
    """Record a queued task (None with an outcome: the device is unknown)."""
    outcome = None if task_id else "unknown device"
    with pool.connection() as conn:
        conn.execute("INSERT INTO bulk_tasks (bulk_id, device_id, task_id, connection_request) "
                     "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                     (bulk_id, device_id, task_id, outcome))  # fmt: skip


_UNREQUESTED = """SELECT device_id, task_id FROM bulk_tasks WHERE bulk_id = %s
AND connection_request IS NULL ORDER BY device_id"""


def unrequested(pool: ConnectionPool, bulk_id: str) -> list[tuple[str, str]]:
    """Devices and tasks whose connection request is still to send."""
    with pool.connection() as conn:
        rows = conn.execute(_UNREQUESTED, (bulk_id,))
        return [(str(d), str(t)) for d, t in rows.fetchall()]


def record_request(pool: ConnectionPool, bulk_id: str, device_id: str, outcome: str) -> None:
    """Record the outcome of a device's connection request."""
    with pool.connection() as conn:
        conn.execute("UPDATE bulk_tasks SET connection_request = %s WHERE bulk_id = %s "
                     "AND device_id = %s", (outcome, bulk_id, device_id))  # fmt: skip
