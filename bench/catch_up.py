"""Catch-up of a rebuilt projection: `ProjectionRunner.rebuild`, as `acs projections rebuild`
runs it: the read model emptied, its secondary indexes set aside, every event applied again in
batched statements, the indexes made again, all in one transaction.

`python bench/catch_up.py --url URL` prints events applied per second, the index work included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import msgspec


class CatchUp(msgspec.Struct, frozen=True):
    """Events applied, in how long, out of how many stored; seconds spent per stage."""

    events: int
    seconds: float
    events_per_second: float
    stored_events: int
    complete: bool
    stages: dict[str, float] = {}


class Stages:
    """Wall time per stage of the writing side: waiting for the reader's next folded batch,
    each table's flush, the index work (the runner's `on_stage` hook marks each stage's end)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mark = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.mark
        self.mark = now


def catch_up(url: str) -> CatchUp:
    """Rebuild the read model; the count of stored events bounds the run."""
    from psycopg_pool import ConnectionPool  # noqa: PLC0415 - heavy imports at run time only

    from acs.adapters.event_store import EventStore, datastore_for  # noqa: PLC0415
    from acs.projections import runner  # noqa: PLC0415

    store = EventStore(datastore_for(url, pool_size=2))
    with ConnectionPool(url, min_size=1, max_size=2, kwargs={"autocommit": True}) as pool:
        stages = Stages()
        projector = runner.ProjectionRunner(store, pool, url, on_stage=stages)
        began = time.monotonic()
        applied = projector.rebuild()
        elapsed = time.monotonic() - began
    total = store.max_position()
    store.close()
    spent = {name: round(value, 2) for name, value in stages.seconds.items()}
    return CatchUp(applied, round(elapsed, 2), applied / elapsed, total, applied >= total, spent)


def main(argv: list[str] | None = None) -> None:
    """Print the catch-up rate as JSON."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--url", required=True, help="libpq URL of a populated database")
    args = cli.parse_args(argv)
    print(json.dumps(msgspec.to_builtins(catch_up(args.url))), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
