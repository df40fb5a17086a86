"""The single active instance: it works on every notification, paced under a burst."""

from __future__ import annotations

import itertools
import threading
import time

import psycopg

from acs.adapters.leadership import lead

CHANNEL = "leadership_test"
PACE = 0.25


def test_a_burst_of_notifications_is_taken_by_few_runs_and_none_is_left_behind(
    database_url: str,
) -> None:
    stop, runs, notified = threading.Event(), [], 0
    leader = threading.Thread(
        target=lead,
        args=(database_url, 0x7E57, CHANNEL, stop),
        kwargs={"label": "test", "work": lambda: runs.append(time.monotonic()), "pace": PACE},
    )
    leader.start()
    try:
        deadline = time.monotonic() + 10
        while not runs and time.monotonic() < deadline:  # leading, and idle
            time.sleep(0.01)
        with psycopg.connect(database_url, autocommit=True) as conn:
            time.sleep(2 * PACE)
            before = len(runs)
            idle_notify = time.monotonic()
            conn.execute(f"NOTIFY {CHANNEL}")
            while len(runs) == before and time.monotonic() < deadline:
                time.sleep(0.005)
            assert runs[-1] - idle_notify < PACE + 0.15, "a lone notification waits a pace at most"
            burst_start = time.monotonic()
            while time.monotonic() - burst_start < 4 * PACE:  # as one append after another does
                conn.execute(f"NOTIFY {CHANNEL}")
                notified += 1
            last_notify = time.monotonic()
        time.sleep(2 * PACE)
    finally:
        stop.set()
        leader.join(timeout=5)
    during = [t for t in runs if t >= burst_start]
    assert notified > 50 and len(during) <= 6, (notified, len(during))
    assert all(b - a >= PACE - 0.001 for a, b in itertools.pairwise(during))
    assert during[-1] >= last_notify, "the last notification got a run of its own"
