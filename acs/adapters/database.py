"""PostgreSQL going away: which errors say so, pools that fail fast and recover by themselves.

While the server is down (restarted, failing over, unreachable) a request waits at most
`timeout` seconds for a connection (`PROBE` once checkouts are failing), then fails with one
of `UNAVAILABLE`, which the API answers with 503 and `Retry-After`. Connections the server
closed are found when they are checked out and replaced, so nothing needs a restart once the
server is back.
"""

from __future__ import annotations

import logging
import select
from typing import Any, TypeVar

import psycopg
from eventsourcing import persistence
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # refused, terminated, timed out; psycopg_pool's PoolTimeout too
    psycopg.InterfaceError,
    persistence.OperationalError,  # the same errors, as the eventsourcing recorders raise them
    persistence.InterfaceError,
)
"""Errors that say the database cannot serve now, rather than that a statement is wrong."""

PROBE = 0.5
"""Seconds a checkout waits for a connection while checkouts are timing out."""

RECONNECT_TIMEOUT = 5.0
"""Seconds a pool keeps retrying a lost connection in the background (1 s, 2 s, …) before it
leaves the next connection to the next request that needs one: a server that comes back is
used again within seconds, however long it was away."""


def unavailable(error: BaseException | None) -> bool:
    """Whether an error, or one it was raised from, says the database is unavailable."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, UNAVAILABLE):
            return True
        error, seen = error.__cause__, seen + 1
    return False


def summary(error: BaseException) -> str:
    """The first line of an error's message (psycopg's run over several)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def log_failure(logger: logging.Logger, what: str, error: BaseException) -> None:
    """A background loop's failure: one warning line while the database is unavailable, the
    traceback for anything else."""
    if unavailable(error):
        logger.warning("%s: database unavailable (%s)", what, summary(error))
    else:
        logger.error("%s", what, exc_info=error)


def connect_timeout(timeout: float) -> int:
    """libpq's `connect_timeout` for a time limit (whole seconds, 2 at least)."""
    return max(2, round(timeout))


def bounded(url: str, timeout: float) -> str:
    """The libpq URL with a `connect_timeout`, so that no connection attempt hangs."""
    return make_conninfo(url, connect_timeout=connect_timeout(timeout))


def usable(conn: psycopg.Connection[Any]) -> None:
    """Raise if the connection is broken. An idle connection has nothing to read, so one with
    something to read (the server's goodbye, then EOF) is the only one asked a round trip."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    if poller.poll(0):
        ConnectionPool.check_connection(conn)


CT = TypeVar("CT", bound="psycopg.Connection[Any]")


class ResilientPool(ConnectionPool[CT]):
    """A pool that survives the server going away. A connection is checked on checkout
    (`usable`); the first found broken makes the pool check all its idle ones at once, as
    they all died with the server, rather than one checkout at a time, each after a longer
    pause. Once a checkout timed out, the next ones wait only `PROBE` seconds until one
    succeeds again: while the server is down, requests are refused at once instead of each
    holding a thread for the whole timeout, and the reconnection attempts that go on in the
    background end it."""

    def __init__(self, conninfo: str = "", **options: Any) -> None:
        super().__init__(conninfo, check=self._verify, **options)
        self.failing = False

    def _verify(self, conn: CT) -> None:
        try:
            usable(conn)
        except Exception:
            self.check()
            raise

    def getconn(self, timeout: float | None = None) -> CT:
        """A checked connection, within `timeout` (`PROBE` while checkouts are failing)."""
        limit = self.timeout if timeout is None else timeout
        try:
            conn = super().getconn(min(limit, PROBE) if self.failing else limit)
        except PoolTimeout:
            self.failing = True
            raise
        self.failing = False
        return conn


def open_pool(
    url: str, *, max_size: int, timeout: float, name: str
) -> ResilientPool[psycopg.Connection[TupleRow]]:
    """An autocommit pool whose checkout waits at most `timeout` s (then `PoolTimeout`)."""
    return ResilientPool(
        bounded(url, timeout),
        min_size=min(2, max_size),
        max_size=max_size,
        open=True,
        name=name,
        kwargs={"autocommit": True},
        timeout=timeout,
        reconnect_timeout=RECONNECT_TIMEOUT,
    )
