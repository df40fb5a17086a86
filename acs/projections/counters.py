"""The `metrics_counters` read model: running totals of sessions, Informs, RPCs, CPE faults,
connection requests and finished tasks, exact across workers and restarts.

A batch of events is folded into counter increments (`fold`, pure); `flush` adds them in the
projection batch's transaction, so each event counts exactly once.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from acs.domain.events import (
    ConnectionRequested,
    DeviceEvent,
    InformReceived,
    RpcFaulted,
    RpcSent,
    TaskCompleted,
    TaskExpired,
    TaskFaulted,
)

Labels = tuple[tuple[str, str], ...]
"""Label names and values, sorted by name."""
Key = tuple[str, Labels]
"""A counter: its metric name and labels."""
Counters = dict[Key, int]

SESSIONS = "acs_sessions_total"
INFORMS = "acs_informs_total"
RPCS = "acs_rpcs_total"
CPE_FAULTS = "acs_cpe_faults_total"
CONNECTION_REQUESTS = "acs_connection_requests_total"
TASKS_FINISHED = "acs_tasks_finished_total"


@singledispatch
def keys_of(event: DeviceEvent) -> list[Key]:
    """The counters an event adds one to (none for most events)."""
    return []


@keys_of.register
def _(event: InformReceived) -> list[Key]:
    codes = [(INFORMS, (("event_code", code),)) for code in dict.fromkeys(event.event_codes)]
    return [(SESSIONS, ()), *codes]


@keys_of.register
def _(event: RpcSent) -> list[Key]:
    return [(RPCS, (("method", event.method),))]


@keys_of.register
def _(event: RpcFaulted) -> list[Key]:
    return [(CPE_FAULTS, (("code", str(event.fault_code)), ("method", event.method)))]


@keys_of.register
def _(event: ConnectionRequested) -> list[Key]:
    return [(CONNECTION_REQUESTS, (("outcome", event.outcome),))]


@keys_of.register
def _(event: TaskCompleted) -> list[Key]:
    return [(TASKS_FINISHED, (("status", "done"),))]


@keys_of.register
def _(event: TaskFaulted) -> list[Key]:
    return [(TASKS_FINISHED, (("status", "fault"),))]


@keys_of.register
def _(event: TaskExpired) -> list[Key]:
    return [(TASKS_FINISHED, (("status", "expired"),))]


def fold(counters: Counters, event: DeviceEvent) -> None:
    """Fold one event into the batch's counter increments."""
    for key in keys_of(event):
        counters[key] = counters.get(key, 0) + 1


_ADD = """
INSERT INTO metrics_counters (name, labels, value)
SELECT * FROM unnest(%s::text[], %s::jsonb[], %s::bigint[])
ON CONFLICT (name, labels) DO UPDATE SET value = metrics_counters.value + EXCLUDED.value"""


def flush(cur: psycopg.Cursor[Any], counters: Counters) -> None:
    """Add the batch's increments to the stored totals."""
    if not counters:
        return
    names = [name for name, _ in counters]
    labels = [Jsonb(dict(labels)) for _, labels in counters]
    cur.execute(_ADD, (names, labels, list(counters.values())))
