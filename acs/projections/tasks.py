"""The `tasks` read model: every task with its status, result and fault.

A batch is folded per task in log order (`fold`, pure); `flush` inserts the tasks queued in
the batch (with where they got to) and updates the others, set-based.
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from acs.domain.events import (
    DeviceEvent,
    RpcSent,
    TaskCompleted,
    TaskExpired,
    TaskFaulted,
    TaskQueued,
)
from acs.domain.tasks import shown_parameters, task_type


class TaskChange(msgspec.Struct):
    """What a batch says of one task; None: unknown to the batch."""

    id: str
    aggregate_id: UUID
    queued: bool = False
    type: str | None = None
    parameters: dict[str, Any] | None = None
    actor: str | None = None
    created_at: datetime | None = None
    status: str | None = None
    sent_at: datetime | None = None
    completed_at: datetime | None = None
    result: dict[str, Any] | None = None
    fault: dict[str, Any] | None = None
    expires_at: datetime | None = None


@singledispatch
def _fold(event: DeviceEvent, change: TaskChange) -> None:
    """Other events do not change a task."""


@_fold.register
def _(event: TaskQueued, change: TaskChange) -> None:
    change.queued, change.status = True, "pending"
    change.type, change.parameters = task_type(event.task), shown_parameters(event.task)
    change.actor, change.created_at = event.actor, event.timestamp
    change.expires_at = event.expires_at


@_fold.register
def _(event: RpcSent, change: TaskChange) -> None:
    change.status, change.sent_at = "sent", event.timestamp


@_fold.register
def _(event: TaskCompleted, change: TaskChange) -> None:
    change.status, change.completed_at, change.result = "done", event.timestamp, event.result


@_fold.register
def _(event: TaskFaulted, change: TaskChange) -> None:
    change.status, change.completed_at, change.fault = "fault", event.timestamp, event.fault


@_fold.register
def _(event: TaskExpired, change: TaskChange) -> None:
    change.status, change.completed_at = "expired", event.timestamp


_TASK_EVENTS = (TaskQueued, RpcSent, TaskCompleted, TaskFaulted, TaskExpired)


def fold(changes: dict[str, TaskChange], event: DeviceEvent) -> None:
    """Fold one event into the batch's task changes."""
    if not isinstance(event, _TASK_EVENTS):
        return
    change = changes.get(event.task_id)
    if change is None:
        change = changes[event.task_id] = TaskChange(event.task_id, event.originator_id)
    _fold(event, change)


_SOURCE = """unnest(%s::text[], %s::uuid[], %s::text[], %s::jsonb[], %s::text[],
    %s::timestamptz[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::jsonb[],
    %s::jsonb[], %s::timestamptz[]) AS u(id, agg, type, parameters, actor, created_at, status,
    sent_at, completed_at, result, fault, expires_at)"""

_INSERT = f"""
INSERT INTO tasks (id, device_id, type, parameters, status, actor, created_at, sent_at,
    completed_at, result, fault, expires_at)
SELECT u.id, d.id, u.type, u.parameters, u.status, u.actor, u.created_at, u.sent_at,
    u.completed_at, u.result, u.fault, u.expires_at
FROM {_SOURCE} JOIN devices d ON d.aggregate_id = u.agg
ON CONFLICT (id) DO NOTHING"""

_UPDATE = f"""
UPDATE tasks t SET status = u.status, sent_at = COALESCE(u.sent_at, t.sent_at),
    completed_at = COALESCE(u.completed_at, t.completed_at),
    result = COALESCE(u.result, t.result), fault = COALESCE(u.fault, t.fault)
FROM {_SOURCE} WHERE t.id = u.id"""


def _dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _json(value: dict[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=_dumps)


def _columns(batch: list[TaskChange]) -> list[list[Any]]:
    rows = [
        (
            c.id,
            c.aggregate_id,
            c.type,
            _json(c.parameters),
            c.actor,
            c.created_at,
            c.status,
            c.sent_at,
            c.completed_at,
            _json(c.result),
            _json(c.fault),
            c.expires_at,
        )
        for c in batch
    ]
    return [list(column) for column in zip(*rows, strict=True)]


def flush(cur: psycopg.Cursor[Any], changes: dict[str, TaskChange]) -> None:
    """Write the batch's net task changes."""
    queued = [c for c in changes.values() if c.queued]
    others = [c for c in changes.values() if not c.queued]
    for statement, batch in ((_INSERT, queued), (_UPDATE, others)):
        if batch:
            cur.execute(statement, _columns(batch))
