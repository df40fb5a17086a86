"""The `parameters` (current values) and `parameter_history` (every value) read models."""

from __future__ import annotations

from functools import singledispatch

from acs.domain.events import DeviceEvent, InformReceived, RpcAnswered
from acs.projections import Row

_DEVICE = "(SELECT id FROM devices WHERE aggregate_id = %s)"

_UPSERT = f"""
INSERT INTO parameters (device_id, name, value, type, updated_at)
VALUES ({_DEVICE}, %s, %s, %s, %s)
ON CONFLICT (device_id, name) DO UPDATE SET
    value = EXCLUDED.value, type = EXCLUDED.type, updated_at = EXCLUDED.updated_at"""

_HISTORY = f"""
INSERT INTO parameter_history (device_id, name, value, type, changed_at, event_position,
    cause, task_id)
VALUES ({_DEVICE}, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING"""


@singledispatch
def rows_for(event: DeviceEvent, position: int) -> list[Row]:
    """Most events change no parameter."""
    return []


@rows_for.register
def _(event: InformReceived, position: int) -> list[Row]:
    return _rows(event, position, "inform", None)


@rows_for.register
def _(event: RpcAnswered, position: int) -> list[Row]:
    return _rows(event, position, "task", event.task_id)


def _rows(
    event: InformReceived | RpcAnswered, position: int, cause: str, task_id: str | None
) -> list[Row]:
    """An upsert of the current value and a history entry per parameter."""
    at, aggregate = event.timestamp, event.originator_id
    rows: list[Row] = []
    for p in event.parameters:
        rows.append((_UPSERT, (aggregate, p.name, p.value, p.type, at)))
        rows.append((_HISTORY, (aggregate, p.name, p.value, p.type, at, position, cause, task_id)))
    return rows
