"""Bytes stored per Inform: relation sizes (indexes and TOAST included) before and after.

`sizes` reads `pg_total_relation_size` of the event store and of each read-model table;
`unchanged_inform_bytes` inserts K truly unchanged periodic Inform events, generated with
`receive_inform` + `to_stored`, into a scratch copy of `device_events` and divides its size.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Final

import msgspec
import psycopg

EVENT_TABLES: Final = ("device_events", "device_snapshots")
READ_MODEL_TABLES: Final = ("devices", "parameters", "parameter_history", "tasks")
SCRATCH: Final = "bench_unchanged_informs"
_DDL = f"""
DROP TABLE IF EXISTS {SCRATCH};
CREATE TABLE {SCRATCH} (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX {SCRATCH}_notification_id_idx ON {SCRATCH} (notification_id ASC);
"""


class Unchanged(msgspec.Struct, frozen=True):
    """Bytes per unchanged periodic Inform event, total and by part."""

    informs: int
    bytes_per_inform: float
    json_bytes: float
    heap_bytes: float
    index_bytes: float


def sizes(url: str) -> dict[str, int]:
    """`pg_total_relation_size` of every event-store and read-model table."""
    tables = EVENT_TABLES + READ_MODEL_TABLES
    query = "SELECT " + ", ".join(f"pg_total_relation_size('{t}')" for t in tables)
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return dict(zip(tables, (int(v) for v in row or ()), strict=True))


def per_inform(before: dict[str, int], after: dict[str, int], informs: int) -> dict[str, float]:
    """Bytes added per Inform: the event store, and the read model (before vacuum)."""
    grown = {table: after[table] - before[table] for table in before}
    return {
        "events": sum(grown[t] for t in EVENT_TABLES) / max(1, informs),
        "read_model": sum(grown[t] for t in READ_MODEL_TABLES) / max(1, informs),
    }


def unchanged_inform_bytes(url: str, informs: int = 20_000, devices: int = 1000) -> Unchanged:
    """Insert `informs` unchanged periodic Inform events of `devices` devices, measure."""
    from acs.domain.device import project  # noqa: PLC0415 - keep the module import light
    from bench.copy_text import line  # noqa: PLC0415
    from bench.inform_events import EPOCH, bootstrap_event, stored, unchanged_periodic  # noqa: PLC0415

    lines, total_json = [], 0
    states = [project(None, [bootstrap_event(i)]) for i in range(devices)]
    for n in range(informs):
        index = n % devices
        state = states[index]
        assert state is not None
        event = unchanged_periodic(state, index, EPOCH + timedelta(seconds=300 * (n + 1)))
        states[index] = project(state, [event])
        row = stored(event)
        total_json += len(row.state)
        lines.append(line((row.originator_id, row.originator_version, row.topic, row.state)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_DDL)
        with conn.cursor().copy(
            f"COPY {SCRATCH} (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            copy.write("".join(lines))
        conn.execute(f"VACUUM ANALYZE {SCRATCH}")
        row_sizes = conn.execute(
            f"SELECT pg_total_relation_size('{SCRATCH}'), pg_relation_size('{SCRATCH}')"
        ).fetchone()
        conn.execute(f"DROP TABLE {SCRATCH}")
    total, heap = (int(v) for v in row_sizes or (0, 0))
    return Unchanged(
        informs, total / informs, total_json / informs, heap / informs, (total - heap) / informs
    )


def main(argv: list[str] | None = None) -> None:
    """Print the unchanged-Inform figure as JSON."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--url", required=True, help="libpq URL of a scratch database")
    cli.add_argument("--informs", type=int, default=20_000)
    args = cli.parse_args(argv)
    print(json.dumps(msgspec.to_builtins(unchanged_inform_bytes(args.url, args.informs))))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
