"""Scratch databases, the servers under test (ACS, null ACS), and their CPU and memory."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final

import httpx
import psycopg
from psycopg import sql

ROOT: Final = Path(__file__).resolve().parents[1]
BIN: Final = Path(sys.executable).parent
ADMIN_URL: Final = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PREFIX: Final = "acs_bench_"
START_TIMEOUT: Final = 60.0
POOL_SIZE: Final = os.environ.get("BENCH_DB_POOL_SIZE", "8")
API_KEY: Final = f"acs-bench-{secrets.token_urlsafe(24)}"
"""The admin key every ACS the bench starts knows (`ACS_BOOTSTRAP_API_KEY`); the bench's
HTTP clients and `acs simulate` (`ACS_API_KEY`) send it."""
AUTH: Final = {"Authorization": f"Bearer {API_KEY}"}
"""ACS_DB_POOL_SIZE of the ACS under test: 2 workers x (8 + up to 16 event-store connections)
fit beside other users of a PostgreSQL server that allows 100 connections."""
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def database_url(name: str) -> str:
    """The URL of a database on the benchmark's server."""
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """A fresh database `acs_bench_<suffix>`, dropped afterwards."""
    name = PREFIX + suffix
    _drop(name)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(name)
    finally:
        _drop(name)


def _drop(name: str) -> None:
    assert name.startswith(PREFIX)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int, marker: bytes = b"") -> list[int]:
    """The direct children of a process whose command line holds `marker`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[1]) == pid and marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    """A process's resident set size in MB, None when it is gone."""
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time of these processes so far."""
    total = 0.0
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


class Server:
    """A uvicorn server we started: its master process, workers, URL and log."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command,
                env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """The master process."""
        return self.process.pid

    def workers(self) -> list[int]:
        """The worker processes (not multiprocessing's resource tracker)."""
        return children(self.pid, b"spawn_main")

    def wait_ready(self, expected_workers: int) -> None:
        """Until every worker answers (bounded); raise with the log's tail otherwise."""
        began = time.monotonic()
        while time.monotonic() < began + START_TIMEOUT:
            if self.process.poll() is not None or self._crashing(began):
                break
            with suppress(httpx.HTTPError):
                ready = httpx.post(f"{self.url}/cwmp", content=b"", timeout=2).status_code < 500
                if ready and len(self.workers()) >= expected_workers:
                    time.sleep(1.0)  # the other worker's startup
                    return
            time.sleep(0.3)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"server did not start: {tail}")

    def _crashing(self, began: float) -> bool:
        """Workers that fail to load keep being restarted: give up after a few seconds."""
        return time.monotonic() - began > 8 and b"Traceback" in self.log.read_bytes()

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers), SIGKILL its group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextmanager
def acs_server(url: str, logs: Path, workers: int = 2, **env: str) -> Iterator[Server]:
    """`acs serve --workers N` on a free loopback port, on the database at `url`."""
    port = free_port()
    command = [str(BIN / "acs"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = Server(
        [*command, "--workers", str(workers)],
        {
            "ACS_DATABASE_URL": url,
            "ACS_LOG_LEVEL": "WARNING",
            "ACS_DB_POOL_SIZE": POOL_SIZE,
            "ACS_BOOTSTRAP_API_KEY": API_KEY,
            **env,
        },
        port,
        logs / f"acs-{port}.log",
    )
    try:
        server.wait_ready(workers)
        yield server
    finally:
        server.stop()


@contextmanager
def null_server(logs: Path, workers: int = 2) -> Iterator[Server]:
    """The null ACS (`bench/null_acs.py`) on a free loopback port."""
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "null_acs.py"), "--port", str(port)]
    env = {"ACS_DB_POOL_SIZE": POOL_SIZE}
    server = Server([*command, "--workers", str(workers)], env, port, logs / f"null-{port}.log")
    try:
        server.wait_ready(workers)
        yield server
    finally:
        server.stop()


def postgres_backends(url: str) -> list[int]:
    """The server processes serving the database at `url` now."""
    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchall()
    except psycopg.OperationalError:  # no connection slot left: CPU is not accounted
        return []
    return [int(row[0]) for row in rows]
