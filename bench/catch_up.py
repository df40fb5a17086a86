"""Catch-up of a rebuilt projection: the read model emptied, then applied again from the first
event by the ACS's `ProjectionRunner` in its batched transactions, for at most a time limit.

`python bench/catch_up.py --url URL [--seconds 60]` prints events applied per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Final

import msgspec

READ_MODEL: Final = ("parameter_history", "parameter_attributes", "parameters", "tasks", "devices")


class CatchUp(msgspec.Struct, frozen=True):
    """Events applied, in how long, out of how many stored; seconds spent per stage."""

    events: int
    seconds: float
    events_per_second: float
    stored_events: int
    complete: bool
    stages: dict[str, float] = {}


class Stages:
    """Wall time per stage of each batch: reading the log, then each table's flush (the
    runner's `on_stage` hook marks the end of each flush)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mark = time.perf_counter()

    def start(self) -> None:
        self.mark = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.mark
        self.mark = now


def catch_up(url: str, seconds: float) -> CatchUp:
    """Empty the read model, then apply batches until caught up or `seconds` have passed."""
    from psycopg_pool import ConnectionPool  # noqa: PLC0415 - heavy imports at run time only

    from acs.adapters.event_store import EventStore, datastore_for  # noqa: PLC0415
    from acs.projections import runner  # noqa: PLC0415

    tables = getattr(runner, "READ_MODEL_TABLES", READ_MODEL)
    store = EventStore(datastore_for(url, pool_size=2))
    with ConnectionPool(url, min_size=1, max_size=2, kwargs={"autocommit": True}) as pool:
        with pool.connection() as conn:
            conn.execute(f"TRUNCATE {', '.join(tables)}")
            conn.execute("UPDATE projection_tracking SET position = 0")
        stages = Stages()
        projector = runner.ProjectionRunner(store, pool, url, on_stage=stages)
        read_log = store.notifications

        def timed_read(*args: object, **kwargs: object) -> object:
            stages.start()
            notes = read_log(*args, **kwargs)  # type: ignore[arg-type]
            stages("read and decode the log")
            return notes

        store.notifications = timed_read  # type: ignore[method-assign,assignment]
        applied, began = 0, time.monotonic()
        deadline = began + seconds
        while time.monotonic() < deadline and (batch := projector.run_once()):
            applied += batch
        elapsed = time.monotonic() - began
    total = store.max_position()
    store.close()
    spent = {name: round(value, 2) for name, value in stages.seconds.items()}
    return CatchUp(applied, round(elapsed, 2), applied / elapsed, total, applied >= total, spent)


def main(argv: list[str] | None = None) -> None:
    """Print the catch-up rate as JSON."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--url", required=True, help="libpq URL of a populated database")
    cli.add_argument("--seconds", type=float, default=60.0, help="time limit")
    args = cli.parse_args(argv)
    print(json.dumps(msgspec.to_builtins(catch_up(args.url, args.seconds))), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
