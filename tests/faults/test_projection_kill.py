"""The projection runner killed mid-batch: restarted, its tables equal a rebuild.

A backlog of events is recorded by a server whose projections are off (`acs simulate`
against `ACS_RUN_PROJECTIONS=false`). Then a server with projections on starts applying it;
while its runner is inside a batch (it has written read-model rows, and its tracking
position has moved past some batches but not to the end) the whole process group gets
SIGKILL. That batch must vanish, the restarted runner must apply every event exactly once,
and every read-model table must equal what `acs projections rebuild` makes of a copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Final

import psycopg

from acs.projections.counters import SESSIONS
from acs.projections.runner import BATCH, READ_MODEL_TABLES, TRACKING_NAME
from tests.conftest import ROOT, AcsServer, Databases
from tests.e2e.conftest import eventually
from tests.faults.conftest import copy_database
from tests.faults.invariants import read_model

DEVICES: Final = 3000
RATE: Final = 250
SECONDS: Final = 12
TASK_MIX: Final = "get_params=10,set_params=10"
"""A simulator round: a bootstrap session per CPE, then periodic ones, and tasks."""
BACKLOG: Final = 3 * BATCH
"""Events to record before the runner starts (more simulator rounds while fewer, at most
`ROUNDS`): the first batch, then batches to be killed in."""
ROUNDS: Final = 3
KILLS: Final = 3
"""At most this many kills; at least one must land inside a batch."""
POOLS: Final = {"ACS_DB_POOL_SIZE": "4"}
"""Few connections: throughput matters little here, and the test PostgreSQL is shared."""

_IN_BATCH = """
SELECT l.pid FROM pg_locks l
WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation = 'parameter_history'::regclass AND l.mode = 'RowExclusiveLock'
  AND l.granted AND l.pid <> pg_backend_pid()"""
"""The backend of a runner whose open transaction has written parameter history rows."""


def record_backlog(database_url: str, conn: psycopg.Connection[Any]) -> int:
    """Sessions and tasks recorded with projections off; returns the last event's position."""
    env = {**POOLS, "ACS_RUN_PROJECTIONS": "false"}
    server = AcsServer(database_url, workers=2, env=env).start()
    last = 0
    try:
        for _ in range(ROUNDS):
            simulate(server)
            assert position(conn) == 0, "nothing projected while projections were off"
            last = conn.execute("SELECT max(notification_id) FROM device_events").fetchone()[0]
            if last >= BACKLOG:
                break
    finally:
        server.stop()
    assert last > 2 * BATCH, f"a backlog of several batches: {last} events"
    return int(last)


def simulate(server: AcsServer) -> None:
    """One round of `acs simulate` against the server."""
    command = [sys.executable, "-m", "acs.cli", "simulate", "--url", f"{server.url}/cwmp",
               "--devices", str(DEVICES), "--rate", str(RATE), "--duration", str(SECONDS),
               "--task-mix", TASK_MIX, "--json", "--quiet",
               "--api-key", str(server.api_key)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)
    print(f"backlog: {result['sessions']} sessions, {result['tasks_created']} tasks")


def position(conn: psycopg.Connection[Any]) -> int:
    """The read model's committed tracking position."""
    row = conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
    ).fetchone()
    return int(row[0]) if row else 0


def kill_inside_a_batch(server: AcsServer, conn: psycopg.Connection[Any], last: int) -> bool:
    """SIGKILL the server once its runner is inside a batch past the first; True when the
    batch it was applying was rolled back (False: it committed first, or no batch was seen)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process is not None and server.process.poll() is None, "acs serve exited"
        before = position(conn)
        if before >= last:
            return False
        runner = conn.execute(_IN_BATCH).fetchone()
        if runner is not None and before > 0:
            server.kill()
            eventually(lambda pid=int(runner[0]): not backend_alive(conn, pid))
            after = position(conn)
            print(f"killed inside a batch at position {before} of {last}; after: {after}")
            return after == before
        time.sleep(0.005)
    return False


def backend_alive(conn: psycopg.Connection[Any], pid: int) -> bool:
    """Whether a PostgreSQL backend still runs (it notices its client is gone)."""
    row = conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return row is not None


def test_a_runner_killed_mid_batch_resumes_and_equals_a_rebuild(
    database_url: str, databases: Databases
) -> None:
    rolled_back = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        last = record_backlog(database_url, conn)
        for _ in range(KILLS):
            # Its runner may start before it answers HTTP: no waiting for that.
            server = AcsServer(database_url, workers=1, env=POOLS).start(wait=False)
            try:
                rolled_back += kill_inside_a_batch(server, conn, last)
            finally:
                server.stop()  # when the runner got to the end before a kill
            if rolled_back or position(conn) >= last:
                break
        assert rolled_back, f"no kill landed inside a batch ({last} events: too few?)"
        server = AcsServer(database_url, workers=1, env=POOLS).start()
        try:
            eventually(lambda: position(conn) == last, timeout=120)
        finally:
            server.stop()
        events = conn.execute("SELECT count(*) FROM device_events").fetchone()[0]
        informs = conn.execute(
            "SELECT count(*) FROM device_events WHERE topic = 'InformReceived.v1'"
        ).fetchone()
        sessions = conn.execute(
            "SELECT value FROM metrics_counters WHERE name = %s", (SESSIONS,)
        ).fetchone()
        assert sessions == informs, "each Inform counted once (counters add up per batch)"
        orphans = conn.execute(
            "SELECT count(*) FROM parameter_history h LEFT JOIN device_events e "
            "ON e.notification_id = h.event_position WHERE e.notification_id IS NULL"
        ).fetchone()
        assert orphans == (0,), "every history row comes from a stored event"

    live = read_model(database_url)
    rebuilt_url = copy_database(databases, database_url)
    env = {**os.environ, "ACS_DATABASE_URL": rebuilt_url}
    command = [sys.executable, "-m", "acs.cli", "projections", "rebuild"]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    assert f"rebuilt from {events} events" in done.stdout, "positions have gaps: count them"
    rebuilt = read_model(rebuilt_url)
    for table in READ_MODEL_TABLES:
        assert live[table] == rebuilt[table], f"{table} differs from a rebuild"
    assert live["parameter_history"], "the backlog changed parameters"
