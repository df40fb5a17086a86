"""Webhooks in PostgreSQL: their configuration (audited, soft-deleted) and delivery state.

Each webhook has a tracking position in the notification log; a delivery that succeeded
moves it in the same statement (one transaction) that records the success, and only if no
one moved it meanwhile.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import EVENTS_TABLE

PENDING_CAP = 100_000
"""Pending events are counted up to this many."""

_COLUMNS = """w.id, w.url, w.event_types, w.created_at, w.actor, d.position, d.failures,
    d.last_attempt_at, d.last_success_at, d.last_http_status, d.last_error, d.next_attempt_at"""

_FROM = "webhooks w JOIN webhook_deliveries d ON d.webhook_id = w.id"

_CREATE = """INSERT INTO webhooks (id, url, event_types, sealed_secret, actor)
VALUES (%s, %s, %s, %s, %s)"""

_START = f"""INSERT INTO webhook_deliveries (webhook_id, position)
SELECT %s, COALESCE(max(notification_id), 0) FROM {EVENTS_TABLE}"""
"""A new webhook receives the events recorded after its creation."""

_LIST = f"SELECT {_COLUMNS} FROM {_FROM} WHERE w.deleted_at IS NULL ORDER BY w.created_at, w.id"

_GET = f"SELECT {_COLUMNS} FROM {_FROM} WHERE w.deleted_at IS NULL AND w.id = %s"

_DELETE = """UPDATE webhooks SET deleted_at = now(), deleted_by = %s
WHERE id = %s AND deleted_at IS NULL"""

_PENDING = f"""SELECT count(*) FROM (SELECT 1 FROM {EVENTS_TABLE}
    WHERE notification_id > %s AND (%s OR topic = ANY(%s)) LIMIT {PENDING_CAP}) AS pending"""

_DUE = f"""SELECT w.id, w.url, w.event_types, w.sealed_secret, d.position, d.failures
FROM {_FROM}
WHERE w.deleted_at IS NULL AND d.position < %s
    AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())
ORDER BY w.created_at, w.id"""

_SEALED = "SELECT id, sealed_secret FROM webhooks WHERE sealed_secret <> '' ORDER BY id"
"""Every stored secret, deleted webhooks' included (for key rotation)."""

_RESEAL = "UPDATE webhooks SET sealed_secret = %s WHERE id = %s AND sealed_secret = %s"

_DELIVERED = """UPDATE webhook_deliveries SET position = %(to)s, failures = 0,
    last_attempt_at = now(), last_success_at = now(), last_http_status = %(status)s,
    last_error = NULL, next_attempt_at = NULL
WHERE webhook_id = %(id)s AND position = %(at)s"""

_SKIPPED = """UPDATE webhook_deliveries SET position = %(to)s
WHERE webhook_id = %(id)s AND position = %(at)s"""

_FAILED = """UPDATE webhook_deliveries SET failures = %(failures)s, last_attempt_at = now(),
    last_http_status = %(status)s, last_error = %(error)s,
    next_attempt_at = now() + make_interval(secs => %(delay)s)
WHERE webhook_id = %(id)s AND position = %(at)s"""

_LAG = f"""SELECT w.id, d.failures, GREATEST(0, (SELECT COALESCE(max(notification_id), 0)
    FROM {EVENTS_TABLE}) - d.position) FROM {_FROM} WHERE w.deleted_at IS NULL"""


class DeliveryStatus(msgspec.Struct, frozen=True):
    """Where a webhook's deliveries stand: `position` is the last log position delivered
    (or skipped as unwanted); `failures` counts failed attempts in a row."""

    position: int
    pending_events: int
    failures: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_http_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None


class Webhook(msgspec.Struct, frozen=True):
    """A webhook as operators see it (its secret is never shown)."""

    id: str
    url: str
    event_types: list[str]
    created_at: datetime
    actor: str
    status: DeliveryStatus


class _Row(msgspec.Struct, frozen=True):
    id: str
    url: str
    event_types: list[str]
    created_at: datetime
    actor: str
    position: int
    failures: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_http_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None


class Target(msgspec.Struct, frozen=True):
    """What the delivery loop needs of a webhook that is due."""

    id: str
    url: str
    event_types: frozenset[str]
    sealed_secret: str
    position: int
    failures: int


class WebhookStore:
    """Reads and writes the `webhooks` and `webhook_deliveries` tables."""

    def __init__(self, pool: ConnectionPool, topics_of: dict[str, list[str]]) -> None:
        self.pool = pool
        self.topics_of = topics_of
        """The stored topics of each event type name, to count pending events."""

    def create(
        self, webhook_id: str, url: str, event_types: list[str], sealed_secret: str, actor: str
    ) -> Webhook:
        """Record a new webhook; it starts at the end of the log."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(_CREATE, (webhook_id, url, event_types, sealed_secret, actor))
            conn.execute(_START, (webhook_id,))
        found = self.get(webhook_id)
        assert found is not None
        return found

    def all(self) -> list[Webhook]:
        """Every webhook not deleted, oldest first, with its delivery status."""
        with self.pool.connection() as conn:
            rows = conn.cursor(row_factory=class_row(_Row)).execute(_LIST).fetchall()
        return [self._webhook(r) for r in rows]

    def get(self, webhook_id: str) -> Webhook | None:
        """One webhook not deleted, or None."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(_Row))
            row = cur.execute(_GET, (webhook_id,)).fetchone()
        return None if row is None else self._webhook(row)

    def delete(self, webhook_id: str, actor: str) -> bool:
        """Mark a webhook deleted by the actor (its row stays); False if there is none."""
        with self.pool.connection() as conn:
            return conn.execute(_DELETE, (actor, webhook_id)).rowcount == 1

    def sealed_secrets(self) -> list[tuple[str, str]]:
        """Every webhook's id and sealed secret, deleted ones included."""
        with self.pool.connection() as conn:
            return [(str(r[0]), str(r[1])) for r in conn.execute(_SEALED).fetchall()]

    def reseal(self, webhook_id: str, sealed: str, resealed: str) -> bool:
        """Replace a sealed secret by the same secret sealed again; False if it changed."""
        with self.pool.connection() as conn:
            return conn.execute(_RESEAL, (resealed, webhook_id, sealed)).rowcount == 1

    def _webhook(self, row: _Row) -> Webhook:
        fields = {
            f: getattr(row, f) for f in DeliveryStatus.__struct_fields__ if f != "pending_events"
        }
        status = DeliveryStatus(**fields, pending_events=self._pending(row))
        return Webhook(row.id, row.url, row.event_types, row.created_at, row.actor, status)

    def _pending(self, row: _Row) -> int:
        topics = [t for name in row.event_types for t in self.topics_of.get(name, [])]
        with self.pool.connection() as conn:
            found = conn.execute(_PENDING, (row.position, not row.event_types, topics)).fetchone()
        return int(found[0]) if found else 0

    def due(self, up_to: int) -> list[Target]:
        """Webhooks behind `up_to` whose next attempt is due."""
        with self.pool.connection() as conn:
            rows = conn.execute(_DUE, (up_to,)).fetchall()
        return [Target(r[0], r[1], frozenset(r[2]), r[3], int(r[4]), int(r[5])) for r in rows]

    def delivered(self, target: Target, to: int, status: int | None) -> bool:
        """Record a successful delivery and move the position; False if it moved meanwhile."""
        args = {"id": target.id, "at": target.position, "to": to, "status": status}
        return self._update(_DELIVERED, args)

    def skipped(self, target: Target, to: int) -> bool:
        """Move past events the webhook does not want."""
        return self._update(_SKIPPED, {"id": target.id, "at": target.position, "to": to})

    def failed(self, target: Target, status: int | None, error: str, delay: float) -> bool:
        """Record a failed attempt; the next one is due after `delay` seconds."""
        args = {
            "id": target.id,
            "at": target.position,
            "failures": target.failures + 1,
            "status": status,
            "error": error[:500],
            "delay": delay,
        }
        return self._update(_FAILED, args)

    def _update(self, statement: str, args: dict[str, object]) -> bool:
        with self.pool.connection() as conn:
            return conn.execute(statement, args).rowcount == 1

    def lag(self) -> list[tuple[str, int, int]]:
        """Each webhook's failures in a row and events behind the head of the log."""
        with self.pool.connection() as conn:
            rows = conn.execute(_LAG).fetchall()
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]
