"""The `devices` read model: one row per CPE with its summary.

A batch of events is folded per device in log order (`fold`, pure); `flush` writes the net
result with two set-based statements, and a third for tags. Fields an event does not know
stay NULL in the fold and leave the stored value as it is.
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
    ConnectionRequested,
    DeviceEvent,
    DeviceTagged,
    DeviceUntagged,
    InformReceived,
    PresetDeleted,
    PresetSaved,
    RpcAnswered,
)
from acs.domain.summary import host_of, summarize


class DeviceChange(msgspec.Struct):
    """What a batch says of one device; None: unknown to the batch."""

    aggregate_id: UUID
    event_count: int
    id: str | None = None
    manufacturer: str | None = None
    oui: str | None = None
    product_class: str | None = None
    serial_number: str | None = None
    software_version: str | None = None
    hardware_version: str | None = None
    ip_address: str | None = None
    source_ip: str | None = None
    connection_request_url: str | None = None
    periodic_inform_interval: int | None = None
    last_inform: datetime | None = None
    last_event_codes: list[str] | None = None
    first_seen: datetime | None = None
    rpc_methods: list[str] | None = None
    connection_request_outcome: str | None = None
    connection_request_at: datetime | None = None
    tagged: dict[str, bool] = msgspec.field(default_factory=dict)
    """Each tag the batch tagged (True) or untagged (False) the device with: the last wins."""


_FIELDS = [f for f in DeviceChange.__struct_fields__ if f not in ("aggregate_id", "id", "tagged")]
_LISTS = ("last_event_codes", "rpc_methods")


def _set_summary(change: DeviceChange, found: dict[str, Any]) -> None:
    for name in (
        "software_version",
        "hardware_version",
        "connection_request_url",
        "periodic_inform_interval",
        "ip_address",
    ):
        if found.get(name) is not None:
            setattr(change, name, found[name])


@singledispatch
def _fold(event: DeviceEvent, change: DeviceChange) -> None:
    """Every event counts towards the device's event count (done by `fold`)."""


@_fold.register
def _(event: InformReceived, change: DeviceChange) -> None:
    found: dict[str, Any] = dict(summarize(event.parameters))
    url = found.get("connection_request_url")
    if not found.get("ip_address") and url:
        found["ip_address"] = host_of(str(url))
    _set_summary(change, found)
    if event.device_id:
        change.id, change.oui, change.serial_number = (
            event.device_id,
            event.oui,
            event.serial_number,
        )
        change.manufacturer, change.product_class = event.manufacturer, event.product_class
    change.source_ip = event.source_ip or change.source_ip
    change.last_inform, change.last_event_codes = event.timestamp, list(event.event_codes)
    if event.device_id:
        change.first_seen = change.first_seen or event.timestamp


@_fold.register
def _(event: RpcAnswered, change: DeviceChange) -> None:
    _set_summary(change, dict(summarize(event.parameters)))
    if event.method == "GetRPCMethods":
        change.rpc_methods = list(event.result.get("methods", []))


@_fold.register
def _(event: ConnectionRequested, change: DeviceChange) -> None:
    change.connection_request_outcome = event.outcome
    change.connection_request_at = event.timestamp


@_fold.register
def _(event: DeviceTagged, change: DeviceChange) -> None:
    change.tagged[event.tag] = True


@_fold.register
def _(event: DeviceUntagged, change: DeviceChange) -> None:
    change.tagged[event.tag] = False


def fold(changes: dict[UUID, DeviceChange], event: DeviceEvent) -> None:
    """Fold one event into the batch's changes (preset events are not about devices)."""
    if isinstance(event, PresetSaved | PresetDeleted):
        return
    aggregate = event.originator_id
    change = changes.get(aggregate)
    if change is None:
        change = changes[aggregate] = DeviceChange(aggregate, event.originator_version)
    change.event_count = max(change.event_count, event.originator_version)
    _fold(event, change)


_COLUMNS = ", ".join(["id", "aggregate_id", *_FIELDS])
_TYPES = {
    "aggregate_id": "uuid",
    "event_count": "bigint",
    "periodic_inform_interval": "integer",
    "last_inform": "timestamptz",
    "first_seen": "timestamptz",
    "connection_request_at": "timestamptz",
    "last_event_codes": "jsonb",
    "rpc_methods": "jsonb",
}


def _value(name: str, source: str) -> str:
    """How a column is read from the batch's records (JSON lists become text arrays)."""
    if name in _LISTS:
        return (
            f"CASE WHEN {source}.{name} IS NULL THEN NULL ELSE ARRAY(SELECT "
            f"jsonb_array_elements_text({source}.{name})) END"
        )
    return f"{source}.{name}"


_RECORD = ", ".join(f"{n} {_TYPES.get(n, 'text')}" for n in ["id", "aggregate_id", *_FIELDS])
_SOURCE = f"json_to_recordset(%s::json) AS u({_RECORD})"
"""The batch as one JSON array of its `DeviceChange`s: PostgreSQL parses it far faster than
psycopg dumps an array per column."""

_KEEP = {
    "first_seen": "LEAST(devices.first_seen, EXCLUDED.first_seen)",
    "event_count": "GREATEST(devices.event_count, EXCLUDED.event_count)",
}

_UPSERT = f"""
INSERT INTO devices ({_COLUMNS})
SELECT u.id, u.aggregate_id, {", ".join(_value(n, "u") for n in _FIELDS)} FROM {_SOURCE}
ON CONFLICT (id) DO UPDATE SET {
    ", ".join(f"{n} = {_KEEP.get(n, f'COALESCE(EXCLUDED.{n}, devices.{n})')}" for n in _FIELDS)
}"""
"""New devices, and changes to devices whose Inform is in the batch."""

_UPDATE = f"""
UPDATE devices d SET {
    ", ".join(
        f"{n} = {_KEEP[n].replace('devices.', 'd.').replace('EXCLUDED.', 'u.')}"
        if n in _KEEP
        else f"{n} = COALESCE({_value(n, 'u')}, d.{n})"
        for n in _FIELDS
    )
}
FROM {_SOURCE} WHERE d.aggregate_id = u.aggregate_id"""
"""Changes to devices without an Inform in the batch."""

_RETAG = """
UPDATE devices d SET tags = ARRAY(
    SELECT t FROM (
        SELECT t FROM unnest(d.tags) AS t WHERE u.tagged -> t IS NULL
        UNION SELECT key FROM jsonb_each_text(u.tagged) WHERE value = 'true'
    ) AS kept(t) ORDER BY t COLLATE "C")
FROM unnest(%s::uuid[], %s::jsonb[]) AS u(aggregate_id, tagged)
WHERE d.aggregate_id = u.aggregate_id"""
"""The tags the batch did not mention stay, the others are as its last event about them
says; kept sorted, as the aggregate keeps them, so any batching yields the same array."""


def flush(cur: psycopg.Cursor[Any], changes: dict[UUID, DeviceChange]) -> None:
    """Write the batch's net changes."""
    informed = [c for c in changes.values() if c.id is not None]
    others = [c for c in changes.values() if c.id is None]
    for statement, batch in ((_UPSERT, informed), (_UPDATE, others)):
        if batch:
            cur.execute(statement, (msgspec.json.encode(batch).decode(),))
    retagged = [c for c in changes.values() if c.tagged]
    if retagged:
        cur.execute(
            _RETAG, ([c.aggregate_id for c in retagged], [Jsonb(c.tagged) for c in retagged])
        )
