"""Progress of campaigns and bulk operations: the rows their driver keeps, read with the
`tasks` and `devices` read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg_pool import ConnectionPool


class BatchDevice(msgspec.Struct, frozen=True):
    """A device of a campaign batch: its task's status, its reported version, its outcome."""

    device_id: str
    status: str
    software_version: str | None
    age: float
    outcome: str | None


class CampaignDevice(msgspec.Struct, frozen=True):
    """A device's outcome in a campaign (`outcome` null while it is in progress)."""

    device_id: str
    batch: int
    task_id: str
    task_status: str | None
    software_version: str | None
    outcome: str | None
    detail: str
    queued_at: datetime
    finished_at: datetime | None


class Batch(msgspec.Struct, frozen=True):
    """One batch of a campaign."""

    batch: int
    size: int
    started_at: datetime
    finished_at: datetime | None
    failed: int | None
    failure_rate: float | None


def _rows(pool: ConnectionPool, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with pool.connection() as conn:
        return conn.execute(query, params).fetchall()


def _write(pool: ConnectionPool, query: str, params: tuple[Any, ...]) -> None:
    with pool.connection() as conn:
        conn.execute(query, params)


def running_campaigns(pool: ConnectionPool) -> list[str]:
    """Ids of the campaigns the driver must work on."""
    return [str(r[0]) for r in _rows(pool, "SELECT id FROM campaigns WHERE state = 'running'")]


def open_batch(pool: ConnectionPool, campaign_id: str) -> int | None:
    """The campaign's unfinished batch, if any."""
    rows = _rows(pool, "SELECT max(batch) FROM campaign_batches WHERE campaign_id = %s "
                       "AND finished_at IS NULL", (campaign_id,))  # fmt: skip
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def last_batch(pool: ConnectionPool, campaign_id: str) -> int:
    """The number of the campaign's latest batch (0 before the first)."""
    rows = _rows(pool, "SELECT max(batch) FROM campaign_batches WHERE campaign_id = %s",
                 (campaign_id,))  # fmt: skip
    return int(rows[0][0] or 0) if rows else 0


_BATCH_DEVICES = """
SELECT c.device_id, COALESCE(t.status, 'pending'), d.software_version,
       EXTRACT(EPOCH FROM now() - c.queued_at)::float8, c.outcome
FROM campaign_devices c
LEFT JOIN tasks t ON t.id = c.task_id
LEFT JOIN devices d ON d.id = c.device_id
WHERE c.campaign_id = %s AND c.batch = %s ORDER BY c.device_id"""


def batch_devices(pool: ConnectionPool, campaign_id: str, batch: int) -> list[BatchDevice]:
    """Every device of a batch with its task status and reported version."""
    return [BatchDevice(*r) for r in _rows(pool, _BATCH_DEVICES, (campaign_id, batch))]


_OUTCOMES = """
UPDATE campaign_devices c SET outcome = u.outcome, detail = u.detail, finished_at = now()
FROM unnest(%s::text[], %s::text[], %s::text[]) AS u (device_id, outcome, detail)
WHERE c.campaign_id = %s AND c.device_id = u.device_id AND c.outcome IS NULL"""


def record_outcomes(
    pool: ConnectionPool, campaign_id: str, outcomes: dict[str, tuple[str, str]]
) -> None:
    """Record the outcome (and why) of devices that finished."""
    if not outcomes:
        return
    devices = list(outcomes)
    kinds, details = [outcomes[d][0] for d in devices], [outcomes[d][1] for d in devices]
    _write(pool, _OUTCOMES, (devices, kinds, details, campaign_id))


def start_batch(pool: ConnectionPool, campaign_id: str, batch: int, size: int) -> None:
    """Record the start of a batch."""
    _write(pool, "INSERT INTO campaign_batches (campaign_id, batch, size, started_at) "
                 "VALUES (%s, %s, %s, now())", (campaign_id, batch, size))  # fmt: skip


def add_device(
    pool: ConnectionPool, campaign_id: str, device_id: str, batch: int, task_id: str
) -> None:
    """Record a device's download task in a batch."""
    _write(pool, "INSERT INTO campaign_devices (campaign_id, device_id, batch, task_id, "
                 "queued_at) VALUES (%s, %s, %s, %s, now())",
           (campaign_id, device_id, batch, task_id))  # fmt: skip


def finish_batch(
    pool: ConnectionPool, campaign_id: str, batch: int, failed: int, rate: float
) -> None:
    """Record the end of a batch and its failure rate."""
    _write(pool, "UPDATE campaign_batches SET finished_at = now(), failed = %s, "
                 "failure_rate = %s, size = (SELECT count(*) FROM campaign_devices "
                 "WHERE campaign_id = %s AND batch = %s) WHERE campaign_id = %s AND batch = %s",
           (failed, rate, campaign_id, batch, campaign_id, batch))  # fmt: skip


def file_in_use(pool: ConnectionPool, file_id: str) -> bool:
    """Whether an unfinished campaign rolls this file out."""
    return bool(_rows(pool, "SELECT 1 FROM campaigns WHERE file_id = %s "
                            "AND state <> 'completed' LIMIT 1", (file_id,)))  # fmt: skip


_DEVICES = """
SELECT c.device_id, c.batch, c.task_id, t.status, d.software_version, c.outcome, c.detail,
       c.queued_at, c.finished_at
FROM campaign_devices c
LEFT JOIN tasks t ON t.id = c.task_id
LEFT JOIN devices d ON d.id = c.device_id
WHERE c.campaign_id = %s AND c.device_id > %s ORDER BY c.device_id LIMIT %s"""


def campaign_devices(
    pool: ConnectionPool, campaign_id: str, after: str = "", limit: int = 1000
) -> list[CampaignDevice]:
    """A page of the campaign's devices and their outcomes, by device id."""
    return [CampaignDevice(*r) for r in _rows(pool, _DEVICES, (campaign_id, after, limit))]


def batches(pool: ConnectionPool, campaign_id: str) -> list[Batch]:
    """The campaign's batches, first first."""
    rows = _rows(pool, "SELECT batch, size, started_at, finished_at, failed, failure_rate "
                       "FROM campaign_batches WHERE campaign_id = %s ORDER BY batch",
                 (campaign_id,))  # fmt: skip
    return [Batch(*r) for r in rows]


_COUNTS = """
SELECT count(*), count(*) FILTER (WHERE t.status = 'done'),
       count(*) FILTER (WHERE c.outcome = 'failed'),
       count(*) FILTER (WHERE c.outcome = 'verified'), count(*) FILTER (WHERE c.outcome IS NULL)
FROM campaign_devices c LEFT JOIN tasks t ON t.id = c.task_id WHERE c.campaign_id = %s"""


def campaign_counts(pool: ConnectionPool, campaign_id: str) -> dict[str, int]:
    """`queued`, `done`, `failed`, `verified` and `in_progress` devices of a campaign."""
    row = _rows(pool, _COUNTS, (campaign_id,))[0]
    names = ("queued", "done", "failed", "verified", "in_progress")
    return {name: int(value) for name, value in zip(names, row, strict=True)}


_CAMPAIGN = """SELECT id, file_id, definition, state, reason, actor, created_at, updated_at,
    updated_by FROM campaigns"""


class CampaignRow(msgspec.Struct, frozen=True):
    """A campaign as the read model knows it."""

    id: str
    file_id: str
    definition: dict[str, Any]
    state: str
    reason: str
    actor: str
    created_at: datetime
    updated_at: datetime
    updated_by: str


def campaign(pool: ConnectionPool, campaign_id: str) -> CampaignRow | None:
    """One campaign."""
    rows = _rows(pool, _CAMPAIGN + " WHERE id = %s", (campaign_id,))
    return CampaignRow(*rows[0]) if rows else None


def campaigns(pool: ConnectionPool) -> list[CampaignRow]:
    """Every campaign, newest first."""
    return [CampaignRow(*r) for r in _rows(pool, _CAMPAIGN + " ORDER BY created_at DESC")]
