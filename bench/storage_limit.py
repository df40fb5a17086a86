"""The storage limit: raw psycopg inserts of the event row a periodic Inform stores.

Into a scratch copy of `device_events` (same columns, keys and index), from as many
connections as the ACS has (2 processes x 16 threads), one transaction per row with and
without the event store's `LOCK TABLE ... IN EXCLUSIVE MODE` (and its NOTIFY), and with
batches of 100 rows: `python bench/storage_limit.py --url URL [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import msgspec
import psycopg

TABLE: Final = "bench_storage_limit"
_DDL = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX {TABLE}_notification_id_idx ON {TABLE} (notification_id ASC);
"""
_LOCK = (
    "SET LOCAL lock_timeout = '10s'",
    f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE",
    f"NOTIFY {TABLE}",
)
_INSERT = f"""INSERT INTO {TABLE} (originator_id, originator_version, topic, state)
VALUES (%s, %s, %s, %s) RETURNING notification_id"""


class Variant(msgspec.Struct, frozen=True):
    """How rows go in: rows per transaction, and whether the table is locked first."""

    name: str
    batch: int
    lock: bool


VARIANTS: Final = (
    Variant("1 row/txn, no lock", 1, lock=False),
    Variant("1 row/txn, LOCK TABLE (as the ACS)", 1, lock=True),
    Variant("100 rows/txn, LOCK TABLE", 100, lock=True),
)


class Result(msgspec.Struct, frozen=True):
    """Rows per second of one variant."""

    variant: str
    rows: int
    seconds: float
    rows_per_second: float
    row_bytes: int


def event_row() -> tuple[str, bytes]:
    """Topic and JSON of a periodic Inform event as the ACS stores it (uptime changed)."""
    from acs.domain.events import DeviceEvent  # noqa: PLC0415 - keep workers light
    from bench.inform_events import history, stored  # noqa: PLC0415

    events = [e for e in history(0, 3) if isinstance(e, DeviceEvent)]
    third = stored(events[2])
    return third.topic, third.state


@dataclass
class _Run:
    """What the threads of one process share: the start line, the deadline, the counts."""

    url: str
    variant: Variant
    row: tuple[str, bytes]
    ready: threading.Barrier
    seconds: float
    limit: int
    stop_at: float = 0.0
    counts: list[int] = field(default_factory=list)


def _thread(run: _Run) -> None:
    (topic, state), variant, done = run.row, run.variant, 0
    with psycopg.connect(run.url) as conn:
        if run.ready.wait() == 0:
            run.stop_at = time.monotonic() + run.seconds
        run.ready.wait()
        while time.monotonic() < run.stop_at and done < run.limit:
            with conn.transaction(), conn.cursor() as cur:
                for statement in _LOCK if variant.lock else ():
                    cur.execute(statement)
                rows = [(uuid.uuid4(), 1, topic, state) for _ in range(variant.batch)]
                cur.executemany(_INSERT, rows, returning=True)
            done += variant.batch
    run.counts.append(done)


def _process(url: str, variant: Variant, threads: int, seconds: float, limit: int) -> float:
    """Rows per second of this process's threads, from their common start."""
    run = _Run(url, variant, event_row(), threading.Barrier(threads), seconds, limit)
    workers = [threading.Thread(target=_thread, args=(run,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(run.counts) / (time.monotonic() - run.stop_at + seconds)


def measure(
    url: str, variant: Variant, *, processes: int = 2, threads: int = 16, seconds: float = 5.0
) -> Result:
    """Insert for `seconds` (at most 200,000 rows per thread) into a fresh scratch table."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_DDL)
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_process, url, variant, threads, seconds, 200_000) for _ in range(processes)
        ]
        rate = sum(f.result() for f in futures)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    count = int(rows[0]) if rows else 0
    return Result(variant.name, count, seconds, round(rate, 1), len(event_row()[1]))


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line per variant."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--url", required=True, help="libpq URL of a scratch database")
    cli.add_argument("--seconds", type=float, default=5.0)
    cli.add_argument("--processes", type=int, default=2)
    cli.add_argument("--threads", type=int, default=16)
    args = cli.parse_args(argv)
    for variant in VARIANTS:
        result = measure(
            args.url,
            variant,
            processes=args.processes,
            threads=args.threads,
            seconds=args.seconds,
        )
        print(json.dumps(msgspec.to_builtins(result)), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
