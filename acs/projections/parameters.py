"""The `parameters` (current values), `parameter_history` (every value) and
`parameter_attributes` read models.

A batch is folded in log order (`fold`, pure) into its net effect: devices whose values went
stale (`0 BOOTSTRAP`), paths pruned (refreshes, deleted objects), the last value and the
attributes of each parameter, and every history entry. `flush` writes stale marks and
prunes first, then upserts: an upsert that came after a prune in the log survives it, and one
that came before was already dropped by the fold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from acs.domain.events import DeviceEvent, InformReceived, RpcAnswered

Key = tuple[UUID, str]


class Value(msgspec.Struct):
    """A parameter's latest value in the batch (its fields are the columns `flush` reads)."""

    agg: UUID
    name: str
    value: str
    type: str
    writable: bool | None
    updated_at: datetime
    stale: bool = False


class Attributes(msgspec.Struct):
    """A parameter's latest attributes in the batch; None: unchanged."""

    notification: int | None
    access_list: list[str] | None


class HistoryEntry(msgspec.Struct):
    """One value a parameter took, with what caused it."""

    agg: UUID
    name: str
    value: str
    type: str
    at: datetime
    position: int
    cause: str
    task_id: str | None


class ParameterChanges(msgspec.Struct):
    """The net effect of a batch on the parameter tables."""

    stale: list[UUID] = msgspec.field(default_factory=list)
    prunes: list[tuple[UUID, str, list[str]]] = msgspec.field(default_factory=list)
    values: dict[Key, Value] = msgspec.field(default_factory=dict)
    attributes: dict[Key, Attributes] = msgspec.field(default_factory=dict)
    history: list[HistoryEntry] = msgspec.field(default_factory=list)


@singledispatch
def fold(event: DeviceEvent, changes: ParameterChanges, position: int) -> None:
    """Most events change no parameter."""


@fold.register
def _(event: InformReceived, changes: ParameterChanges, position: int) -> None:
    aggregate = event.originator_id
    if "0 BOOTSTRAP" in event.event_codes and event.originator_version > 1:
        changes.stale.append(aggregate)
        for key, value in changes.values.items():
            if key[0] == aggregate:
                value.stale = True
    _values(event, changes, position, cause="inform", task_id=None, writable={})


@fold.register
def _(event: RpcAnswered, changes: ParameterChanges, position: int) -> None:
    aggregate = event.originator_id
    if event.scope is not None:
        kept = [p.name for p in event.parameters]
        _prune(changes, aggregate, event.scope, set(kept))
        changes.prunes.append((aggregate, event.scope, kept))
    _values(event, changes, position, cause="task", task_id=event.task_id, writable=event.writable)
    for a in event.attributes:
        access = list(a.access_list) if a.access_list is not None else None
        known = changes.attributes.get((aggregate, a.name))
        if known is None:
            changes.attributes[(aggregate, a.name)] = Attributes(a.notification, access)
        else:
            known.notification = (
                a.notification if a.notification is not None else known.notification
            )
            known.access_list = access if access is not None else known.access_list


def _prune(changes: ParameterChanges, aggregate: UUID, scope: str, kept: set[str]) -> None:
    """Drop the batch's own values and attributes under `scope` that the device no longer has."""
    for table in (changes.values, changes.attributes):
        for key in [k for k in table if k[0] == aggregate and k[1].startswith(scope)]:
            if key[1] not in kept:
                del table[key]


def _values(
    event: InformReceived | RpcAnswered,
    changes: ParameterChanges,
    position: int,
    *,
    cause: str,
    task_id: str | None,
    writable: dict[str, bool],
) -> None:
    at, aggregate = event.timestamp, event.originator_id
    values, history = changes.values, changes.history
    recorded: set[str] = set()
    for p in event.parameters:
        name, value, kind = p.name, p.value, p.type
        known = values.get((aggregate, name))
        flag = known.writable if known is not None else None
        if writable:
            flag = writable.get(name, flag)
        values[(aggregate, name)] = Value(aggregate, name, value, kind, flag, at)
        if name not in recorded:  # a name listed twice: its first value is the one recorded
            recorded.add(name)
            history.append(HistoryEntry(aggregate, name, value, kind, at, position, cause, task_id))


_DEVICES = "JOIN devices d ON d.aggregate_id = u.agg"

_STALE = """UPDATE parameters SET stale = true FROM devices d
WHERE d.id = parameters.device_id AND d.aggregate_id = ANY(%s::uuid[])"""

_PRUNE = """
DELETE FROM {table} t USING devices d
WHERE d.id = t.device_id AND d.aggregate_id = %s AND starts_with(t.name, %s)
    AND NOT t.name = ANY(%s)"""

_UPSERT = f"""
INSERT INTO parameters (device_id, name, value, type, writable, updated_at, stale)
SELECT d.id, u.name, u.value, u.type, u.writable, u.updated_at, u.stale
FROM json_to_recordset(%s::json) AS u(agg uuid, name text, value text, type text,
    writable boolean, updated_at timestamptz, stale boolean) {_DEVICES}
ON CONFLICT (device_id, name) DO UPDATE SET
    value = EXCLUDED.value, type = EXCLUDED.type, updated_at = EXCLUDED.updated_at,
    writable = COALESCE(EXCLUDED.writable, parameters.writable), stale = EXCLUDED.stale"""

_HISTORY_REBUILT = f"""
INSERT INTO parameter_history (device_id, name, value, type, changed_at, event_position,
    cause, task_id)
SELECT d.id, u.name, u.value, u.type, u.at, u.position, u.cause, u.task_id
FROM json_to_recordset(%s::json) AS u(agg uuid, name text, value text, type text,
    at timestamptz, position bigint, cause text, task_id text) {_DEVICES}"""
"""In a rebuild every event is applied once into an emptied table whose key is set aside
(`HISTORY_KEYS`): no row can conflict, and keeping the key row by row costs more than
making it once at the end."""

_HISTORY = _HISTORY_REBUILT + "\nON CONFLICT DO NOTHING"

HISTORY_KEYS = ("parameter_history",)
"""The tables whose primary key a rebuild sets aside and makes again at the end."""

_ATTRIBUTES = f"""
INSERT INTO parameter_attributes (device_id, name, notification, access_list)
SELECT d.id, u.name, u.notification,
    CASE WHEN u.access IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.access)) END
FROM unnest(%s::uuid[], %s::text[], %s::integer[], %s::jsonb[]) AS u(agg, name, notification,
    access) {_DEVICES}
ON CONFLICT (device_id, name) DO UPDATE SET
    notification = COALESCE(EXCLUDED.notification, parameter_attributes.notification),
    access_list = COALESCE(EXCLUDED.access_list, parameter_attributes.access_list)"""


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _records(rows: Iterable[msgspec.Struct]) -> tuple[str]:
    """Rows as one JSON array of objects: PostgreSQL parses it far faster than psycopg dumps
    arrays of each column."""
    return (msgspec.json.encode(list(rows)).decode(),)


def flush(cur: psycopg.Cursor[Any], changes: ParameterChanges, *, rebuilding: bool = False) -> None:
    """Write the batch's net effect: stale marks and prunes, then values and history
    (`rebuilding`: into tables emptied by a rebuild, their `HISTORY_KEYS` set aside)."""
    from psycopg.types.json import Jsonb  # noqa: PLC0415

    if changes.stale:
        cur.execute(_STALE, (changes.stale,))
    for aggregate, scope, kept in changes.prunes:
        for table in ("parameters", "parameter_attributes"):
            cur.execute(_PRUNE.format(table=table), (aggregate, scope, kept))
    if changes.values:
        cur.execute(_UPSERT, _records(changes.values.values()))
    if changes.history:
        cur.execute(_HISTORY_REBUILT if rebuilding else _HISTORY, _records(changes.history))
    if changes.attributes:
        attributes = [
            (a, n, x.notification, Jsonb(x.access_list) if x.access_list is not None else None)
            for (a, n), x in changes.attributes.items()
        ]
        cur.execute(_ATTRIBUTES, _columns(attributes))
