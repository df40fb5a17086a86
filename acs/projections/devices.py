"""The `devices` read model: one row per CPE with its summary."""

from __future__ import annotations

from functools import singledispatch

from acs.domain.events import ConnectionRequested, DeviceEvent, InformReceived, RpcAnswered
from acs.domain.summary import host_of, summarize
from acs.projections import Row

_UPSERT = """
INSERT INTO devices (id, aggregate_id, manufacturer, oui, product_class, serial_number,
    software_version, hardware_version, ip_address, source_ip, connection_request_url,
    periodic_inform_interval, last_inform, last_event_codes, first_seen, event_count)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET
    manufacturer = EXCLUDED.manufacturer,
    software_version = COALESCE(EXCLUDED.software_version, devices.software_version),
    hardware_version = COALESCE(EXCLUDED.hardware_version, devices.hardware_version),
    ip_address = COALESCE(EXCLUDED.ip_address, devices.ip_address),
    source_ip = EXCLUDED.source_ip,
    connection_request_url =
        COALESCE(EXCLUDED.connection_request_url, devices.connection_request_url),
    periodic_inform_interval =
        COALESCE(EXCLUDED.periodic_inform_interval, devices.periodic_inform_interval),
    last_inform = EXCLUDED.last_inform,
    last_event_codes = EXCLUDED.last_event_codes,
    event_count = EXCLUDED.event_count"""

_SUMMARY = """
UPDATE devices SET
    software_version = COALESCE(%s, software_version),
    hardware_version = COALESCE(%s, hardware_version),
    ip_address = COALESCE(%s, ip_address),
    connection_request_url = COALESCE(%s, connection_request_url),
    periodic_inform_interval = COALESCE(%s, periodic_inform_interval),
    event_count = %s
WHERE aggregate_id = %s"""

_COUNT = "UPDATE devices SET event_count = %s WHERE aggregate_id = %s"

_METHODS = "UPDATE devices SET rpc_methods = %s WHERE aggregate_id = %s"

_CONNECTION_REQUEST = """UPDATE devices SET connection_request_outcome = %s,
    connection_request_at = %s, event_count = %s WHERE aggregate_id = %s"""


@singledispatch
def rows_for(event: DeviceEvent, position: int) -> list[Row]:
    """Every event counts towards the device's event count."""
    return [(_COUNT, (event.originator_version, event.originator_id))]


@rows_for.register
def _(event: InformReceived, position: int) -> list[Row]:
    s = summarize(event.parameters)
    url = s.get("connection_request_url")
    ip = s.get("ip_address") or (host_of(str(url)) if url else None)
    return [
        (
            _UPSERT,
            (
                event.device_id,
                event.originator_id,
                event.manufacturer,
                event.oui,
                event.product_class,
                event.serial_number,
                s.get("software_version"),
                s.get("hardware_version"),
                ip,
                event.source_ip or None,
                url,
                s.get("periodic_inform_interval"),
                event.timestamp,
                list(event.event_codes),
                event.timestamp,
                event.originator_version,
            ),
        )
    ]


@rows_for.register
def _(event: ConnectionRequested, position: int) -> list[Row]:
    return [
        (
            _CONNECTION_REQUEST,
            (
                event.outcome,
                event.timestamp,
                event.originator_version,
                event.originator_id,
            ),
        )
    ]


@rows_for.register
def _(event: RpcAnswered, position: int) -> list[Row]:
    s = summarize(event.parameters)
    rows: list[Row] = []
    if event.method == "GetRPCMethods":
        rows.append((_METHODS, (event.result.get("methods", []), event.originator_id)))
    return [
        *rows,
        (
            _SUMMARY,
            (
                s.get("software_version"),
                s.get("hardware_version"),
                s.get("ip_address"),
                s.get("connection_request_url"),
                s.get("periodic_inform_interval"),
                event.originator_version,
                event.originator_id,
            ),
        ),
    ]
