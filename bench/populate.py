"""Generates devices directly in the store, in batches by COPY, as the ACS would have stored them.

`fleet`: N devices (serials `SIM{index:07d}`), each one bootstrap InformReceived event with
twelve parameters, and their read model rows (`devices`, `parameters`, `parameter_history`),
derived by the ACS's own projection functions; the tracking position is moved past them.
`history`: N devices with K events each (a bootstrap, then periodic Informs whose uptime
changes, a snapshot every 100 events as the event store writes them), events only: rebuild the
read model with `acs projections rebuild`.

    python bench/populate.py fleet --url URL --devices 1000000 [--start 0]
    python bench/populate.py history --url URL --devices 1 --events 10000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import msgspec
import psycopg

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acs.domain.device import Device
from acs.domain.events import InformReceived
from acs.domain.summary import host_of, summarize
from bench.copy_text import line
from bench.inform_events import bootstrap_event, history, snapshot_row, stored

CHUNK: Final = 5000
"""Devices per COPY transaction (and per generator task)."""

COLUMNS: Final = {
    "device_events": "originator_id, originator_version, topic, state, notification_id",
    "device_snapshots": "originator_id, originator_version, topic, state",
    "devices": """id, aggregate_id, manufacturer, oui, product_class, serial_number,
        software_version, hardware_version, ip_address, source_ip, connection_request_url,
        periodic_inform_interval, last_inform, last_event_codes, first_seen, event_count""",
    "parameters": "device_id, name, value, type, writable, updated_at, stale",
    "parameter_history": """device_id, name, value, type, changed_at, event_position, cause,
        task_id""",
}


class Chunk(msgspec.Struct):
    """COPY text per table for one batch of devices, and how many events it holds."""

    tables: dict[str, str]
    events: int


def read_model_rows(event: InformReceived, position: int) -> dict[str, list[tuple[object, ...]]]:
    """The read model rows a bootstrap Inform projects to (what `acs.projections` writes)."""
    s = summarize(event.parameters)
    url = s.get("connection_request_url")
    ip = s.get("ip_address") or (host_of(str(url)) if url else None)
    at, public = event.timestamp, event.device_id
    device = (
        *(public, event.originator_id, event.manufacturer, event.oui, event.product_class),
        *(event.serial_number, s.get("software_version"), s.get("hardware_version"), ip),
        *(event.source_ip or None, url, s.get("periodic_inform_interval"), at),
        *(list(event.event_codes), at, event.originator_version),
    )
    values: list[tuple[object, ...]] = [
        (public, p.name, p.value, p.type, None, at, False) for p in event.parameters
    ]
    changes: list[tuple[object, ...]] = [
        (public, p.name, p.value, p.type, at, position, "inform", None) for p in event.parameters
    ]
    return {"devices": [device], "parameters": values, "parameter_history": changes}


def fleet_chunk(start: int, count: int, first_position: int, now: datetime) -> Chunk:
    """Bootstrap events of devices start..start+count and their read model rows."""
    out: dict[str, list[str]] = {table: [] for table in COLUMNS}
    for n in range(count):
        index, position = start + n, first_position + n
        event = bootstrap_event(index, now - timedelta(seconds=index % 300))
        row = stored(event)
        out["device_events"].append(
            line((row.originator_id, row.originator_version, row.topic, row.state, position))
        )
        for table, rows in read_model_rows(event, position).items():
            out[table].extend(line(r) for r in rows)
    return Chunk({table: "".join(lines) for table, lines in out.items()}, count)


def history_chunk(start: int, count: int, events: int, first_position: int) -> Chunk:
    """`events` events of each device start..start+count, interleaved as in time."""
    rows: list[list[str]] = [[] for _ in range(events)]
    snapshots: list[str] = []
    for index in range(start, start + count):
        for item in history(index, events):
            if isinstance(item, Device):
                s = snapshot_row(item)
                snapshots.append(line((s.originator_id, s.originator_version, s.topic, s.state)))
                continue
            s = stored(item)
            rows[s.originator_version - 1].append(
                line((s.originator_id, s.originator_version, s.topic, s.state, "{position}"))
            )
    ordered = [text for version in rows for text in version]
    numbered = [t.replace("{position}", str(first_position + i)) for i, t in enumerate(ordered)]
    tables = {"device_events": "".join(numbered), "device_snapshots": "".join(snapshots)}
    return Chunk(tables, len(numbered))


def _copy(conn: psycopg.Connection[tuple[object, ...]], chunk: Chunk) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for table, text in chunk.tables.items():
            if text:
                with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    copy.write(text)


def _next_position(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    row = conn.execute("SELECT COALESCE(max(notification_id), 0) FROM device_events").fetchone()
    return int(str(row[0])) + 1 if row else 1


def _finish(conn: psycopg.Connection[tuple[object, ...]], *, projected: bool) -> None:
    """Move the id sequence (and, when rows were projected, the tracking position) on, and
    vacuum: otherwise autovacuum works through the COPYed rows during the measurements."""
    last = _next_position(conn) - 1
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('device_events', 'notification_id'), %s)",
        (max(last, 1),),
    )
    if projected:
        conn.execute(
            "UPDATE projection_tracking SET position = %s, lag_seconds = 0 WHERE name = %s",
            (last, "read_model"),
        )
    conn.execute("VACUUM (ANALYZE)")


def _chunks(start: int, devices: int) -> Iterator[tuple[int, int]]:
    for first in range(start, start + devices, CHUNK):
        yield first, min(CHUNK, start + devices - first)


def populate(url: str, mode: str, devices: int, start: int = 0, events: int = 1) -> float:
    """Generate the devices (two generator processes, COPY in this one); returns seconds."""
    began = time.monotonic()
    now = datetime.now(UTC)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        ProcessPoolExecutor(2) as pool,
    ):
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET session_replication_role = replica")  # rows are consistent: no FKs
        position = _next_position(conn)
        pending = []
        for first, count in _chunks(start, devices):
            per_chunk = count * events
            if mode == "fleet":
                pending.append(pool.submit(fleet_chunk, first, count, position, now))
            else:
                pending.append(pool.submit(history_chunk, first, count, events, position))
            position += per_chunk
            if len(pending) >= 3:
                _copy(conn, pending.pop(0).result())
        for future in pending:
            _copy(conn, future.result())
        _finish(conn, projected=mode == "fleet")
    return time.monotonic() - began


def main(argv: list[str] | None = None) -> None:
    """Populate and print how long it took."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("mode", choices=["fleet", "history"])
    cli.add_argument("--url", required=True, help="libpq URL of a migrated database")
    cli.add_argument("--devices", type=int, required=True)
    cli.add_argument("--start", type=int, default=0, help="index of the first device")
    cli.add_argument("--events", type=int, default=1, help="history: events per device")
    args = cli.parse_args(argv)
    seconds = populate(args.url, args.mode, args.devices, args.start, args.events)
    total = args.devices * (1 if args.mode == "fleet" else args.events)
    print(f"{args.mode}: {args.devices} devices, {total} events in {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
