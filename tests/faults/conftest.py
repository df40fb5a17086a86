"""Fault injection: the real server killed, starved or soaked; what was acknowledged survives.

These tests are heavy (hundreds of CPEs, minutes of load), so `pytest` alone does not collect
them (`norecursedirs` in pyproject.toml): `make test-faults` runs `pytest tests/faults`.
"""

from __future__ import annotations

import os
import random
import secrets
from pathlib import Path
from typing import Final

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from acs.loadgen.monitor import parent_pids, with_descendants
from tests.conftest import RUN_ID, AcsServer, Databases

SMALL_POOLS: Final = {"ACS_DB_POOL_SIZE": "8"}
"""The test PostgreSQL allows 100 connections, shared with the other test processes."""


def fault_random(name: str) -> random.Random:
    """A random generator for where a fault strikes; its seed (ACS_FAULT_SEED, else a fresh
    one) is printed so that a failure can be replayed."""
    seed = int(os.environ.get("ACS_FAULT_SEED") or secrets.randbits(32))
    print(f"{name}: ACS_FAULT_SEED={seed}")
    return random.Random(seed)


def server_pids(server: AcsServer) -> list[int]:
    """The pids of `acs serve` and of every process below it (its workers)."""
    assert server.process is not None
    return with_descendants((server.process.pid,), parent_pids())


def worker_pids(server: AcsServer) -> list[int]:
    """The worker processes of a multi-worker `acs serve` (spawned by uvicorn's supervisor;
    the multiprocessing resource tracker is not one)."""
    assert server.process is not None
    children = [pid for pid, parent in parent_pids().items() if parent == server.process.pid]
    return sorted(pid for pid in children if b"spawn_main" in _cmdline(pid))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def copy_database(databases: Databases, url: str) -> str:
    """A new database copied from `url`'s (no one may be connected to it), dropped at the end
    of the run with the others."""
    name = f"acs_test_{RUN_ID}_{secrets.token_hex(4)}"
    source = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(databases.server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(str(source))
            )
        )
    databases.created.append(name)
    return make_conninfo(**{**conninfo_to_dict(url), "dbname": name})
