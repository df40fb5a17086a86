"""One active instance among workers: hold a PostgreSQL advisory lock, then work on NOTIFY."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from acs.adapters.database import log_failure

log = logging.getLogger(__name__)

RETRY_DELAY = 2.0
"""Seconds between a failure of the lock holder (the database went away) and its next try."""


def keep_leading(
    url: str, lock_key: int, channel: str, stop: threading.Event, *, label: str,
    work: Callable[[], object], pace: float = 0.0,
) -> None:  # fmt: skip
    """`lead` until `stop`, and again after every failure: while the database is unavailable
    each attempt logs one warning and waits `RETRY_DELAY`; once it is back, the lock is taken
    again and `work` resumes where the database says it stopped."""
    while not stop.is_set():
        try:
            lead(url, lock_key, channel, stop, label=label, work=work, pace=pace)
        except Exception as exc:  # the loop must outlive any failure; each one is logged
            log_failure(log, f"{label} stopped; retrying in {RETRY_DELAY:g} s", exc)
            stop.wait(RETRY_DELAY)


def lead(
    url: str, lock_key: int, channel: str, stop: threading.Event, *, label: str,
    work: Callable[[], object], pace: float = 0.0,
) -> None:  # fmt: skip
    """Wait for the lock (or `stop`), then run `work` on every notification on `channel` and
    at least every half second, until `stop`; two runs start at least `pace` seconds apart,
    so that under load one run takes what many notifications announced (each append
    notifies) rather than each costing a run of its own. The lock goes with the connection,
    so a crashed process hands it over by itself."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not _try_lock(conn, lock_key):
            if stop.wait(2.0):
                return
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        log.info("%s active", label)
        while not stop.is_set():
            started = time.monotonic()
            work()
            for _ in conn.notifies(timeout=0.5, stop_after=1):
                pass
            rest = pace - (time.monotonic() - started)
            if rest > 0:
                stop.wait(rest)


def _try_lock(conn: psycopg.Connection[tuple[object, ...]], key: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])
