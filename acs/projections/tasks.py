"""The `tasks` read model: every task with its status, result and fault."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from acs.domain.events import DeviceEvent, RpcSent, TaskCompleted, TaskFaulted, TaskQueued
from acs.domain.tasks import shown_parameters, task_type
from acs.projections import Row

_QUEUED = """
INSERT INTO tasks (id, device_id, type, parameters, status, actor, created_at)
SELECT %s, d.id, %s, %s, 'pending', %s, %s FROM devices d WHERE d.aggregate_id = %s
ON CONFLICT (id) DO NOTHING"""

_SENT = "UPDATE tasks SET status = 'sent', sent_at = %s WHERE id = %s"

_DONE = "UPDATE tasks SET status = 'done', completed_at = %s, result = %s WHERE id = %s"

_FAULT = "UPDATE tasks SET status = 'fault', completed_at = %s, fault = %s WHERE id = %s"


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=lambda v: msgspec.json.encode(v).decode())


@singledispatch
def rows_for(event: DeviceEvent, position: int) -> list[Row]:
    """Most events do not change a task."""
    return []


@rows_for.register
def _(event: TaskQueued, position: int) -> list[Row]:
    return [
        (
            _QUEUED,
            (
                event.task_id,
                task_type(event.task),
                _json(shown_parameters(event.task)),
                event.actor,
                event.timestamp,
                event.originator_id,
            ),
        )
    ]


@rows_for.register
def _(event: RpcSent, position: int) -> list[Row]:
    return [(_SENT, (event.timestamp, event.task_id))]


@rows_for.register
def _(event: TaskCompleted, position: int) -> list[Row]:
    return [(_DONE, (event.timestamp, _json(event.result), event.task_id))]


@rows_for.register
def _(event: TaskFaulted, position: int) -> list[Row]:
    return [(_FAULT, (event.timestamp, _json(event.fault), event.task_id))]
