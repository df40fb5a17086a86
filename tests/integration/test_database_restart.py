"""The pools across a PostgreSQL restart: refused fast while it is down, working at once after.

Every idle connection dies with the server; the first checkout after the restart must not
try them one by one (psycopg_pool pauses longer after each failed check), and while the
server is down a checkout must not hold a thread for the whole timeout each time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import PoolTimeout

from acs.adapters.database import PROBE, UNAVAILABLE, open_pool
from acs.adapters.event_store import EventStore, datastore_for
from acs.adapters.migrations import migrate
from tests.support.private_postgres import PrivatePostgres

TIMEOUT = 2.0
SIZE = 8


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """A PostgreSQL server this test may stop and start."""
    server = PrivatePostgres(tmp_path)
    try:
        server.init().start()
        migrate(server.url)
        yield server
    finally:
        server.remove()


def test_after_a_restart_the_first_checkouts_work_at_once(postgres: PrivatePostgres) -> None:
    pool = open_pool(postgres.url, max_size=SIZE, timeout=TIMEOUT, name="restart")
    store = EventStore(datastore_for(postgres.url, pool_size=SIZE // 2, timeout=TIMEOUT))
    try:
        held = [pool.getconn() for _ in range(SIZE)]
        for conn in held:
            pool.putconn(conn)
        store.max_position()
        store.datastore.pool.wait(timeout=10)
        postgres.stop()
        postgres.start()
        for _ in range(SIZE):
            started = time.monotonic()
            with pool.connection() as conn:
                conn.execute("SELECT 1")
            assert store.max_position() == 0
            assert time.monotonic() - started < 1.0
    finally:
        pool.close()
        store.close()


def test_while_the_server_is_down_checkouts_fail_fast(postgres: PrivatePostgres) -> None:
    pool = open_pool(postgres.url, max_size=SIZE, timeout=TIMEOUT, name="down")
    try:
        pool.wait(timeout=10)
        postgres.stop()
        durations = []
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(UNAVAILABLE), pool.connection() as conn:
                conn.execute("SELECT 1")
            durations.append(time.monotonic() - started)
        assert durations[0] < TIMEOUT + 1.0
        assert max(durations[1:]) < PROBE + 0.5, durations
        with pytest.raises(PoolTimeout):
            pool.getconn()
        postgres.start()
        deadline = time.monotonic() + 10
        while pool.failing and time.monotonic() < deadline:
            try:
                with pool.connection() as conn:
                    conn.execute("SELECT 1")
            except PoolTimeout:
                time.sleep(0.2)
        assert not pool.failing, "the pool did not reconnect within 10 s"
    finally:
        pool.close()
