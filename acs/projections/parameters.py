"""The `parameters` (current values) and `parameter_history` (every value) read models."""

from __future__ import annotations

from functools import singledispatch

from acs.domain.events import DeviceEvent, InformReceived, RpcAnswered
from acs.projections import Row

_DEVICE = "(SELECT id FROM devices WHERE aggregate_id = %s)"

_UPSERT = f"""
INSERT INTO parameters (device_id, name, value, type, writable, updated_at, stale)
VALUES ({_DEVICE}, %s, %s, %s, %s, %s, false)
ON CONFLICT (device_id, name) DO UPDATE SET
    value = EXCLUDED.value, type = EXCLUDED.type, updated_at = EXCLUDED.updated_at,
    writable = COALESCE(EXCLUDED.writable, parameters.writable), stale = false"""

_HISTORY = f"""
INSERT INTO parameter_history (device_id, name, value, type, changed_at, event_position,
    cause, task_id)
VALUES ({_DEVICE}, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING"""

_STALE = f"UPDATE parameters SET stale = true WHERE device_id = {_DEVICE}"
"""After `0 BOOTSTRAP` the device forgot its configuration: what was known may be stale."""

_PRUNE = f"""
DELETE FROM parameters WHERE device_id = {_DEVICE} AND starts_with(name, %s)
    AND NOT name = ANY(%s)"""
"""Parameters under a path that the device no longer has (refreshed or deleted objects)."""

_ATTRIBUTES = f"""
INSERT INTO parameter_attributes (device_id, name, notification, access_list)
VALUES ({_DEVICE}, %s, %s, %s)
ON CONFLICT (device_id, name) DO UPDATE SET
    notification = COALESCE(EXCLUDED.notification, parameter_attributes.notification),
    access_list = COALESCE(EXCLUDED.access_list, parameter_attributes.access_list)"""

_PRUNE_ATTRIBUTES = f"""
DELETE FROM parameter_attributes WHERE device_id = {_DEVICE} AND starts_with(name, %s)
    AND NOT name = ANY(%s)"""


@singledispatch
def rows_for(event: DeviceEvent, position: int) -> list[Row]:
    """Most events change no parameter."""
    return []


@rows_for.register
def _(event: InformReceived, position: int) -> list[Row]:
    rows: list[Row] = []
    if "0 BOOTSTRAP" in event.event_codes and event.originator_version > 1:
        rows.append((_STALE, (event.originator_id,)))
    return rows + _values(event, position, "inform", None, {})


@rows_for.register
def _(event: RpcAnswered, position: int) -> list[Row]:
    rows: list[Row] = []
    if event.scope is not None:
        kept = [p.name for p in event.parameters]
        rows.append((_PRUNE, (event.originator_id, event.scope, kept)))
        rows.append((_PRUNE_ATTRIBUTES, (event.originator_id, event.scope, kept)))
    rows += _values(event, position, "task", event.task_id, event.writable)
    for a in event.attributes:
        access = list(a.access_list) if a.access_list is not None else None
        rows.append((_ATTRIBUTES, (event.originator_id, a.name, a.notification, access)))
    return rows


def _values(
    event: InformReceived | RpcAnswered,
    position: int,
    cause: str,
    task_id: str | None,
    writable: dict[str, bool],
) -> list[Row]:
    """An upsert of the current value and a history entry per parameter."""
    at, aggregate = event.timestamp, event.originator_id
    rows: list[Row] = []
    for p in event.parameters:
        w = writable.get(p.name)
        rows.append((_UPSERT, (aggregate, p.name, p.value, p.type, w, at)))
        rows.append((_HISTORY, (aggregate, p.name, p.value, p.type, at, position, cause, task_id)))
    return rows
