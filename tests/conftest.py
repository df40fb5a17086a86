"""Shared fixtures: a real PostgreSQL per test run, fresh databases, a real ACS server.

The server at ACS_TEST_DATABASE_URL is used when set (CI and developer machines), else an
embedded PostgreSQL is started for the run. Every run creates its own databases, named after
a random run id, and drops them at the end.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from acs.adapters.embedded_postgres import EmbeddedPostgres
from acs.adapters.migrations import migrate

RUN_ID = secrets.token_hex(4)
ROOT = Path(__file__).resolve().parents[1]


def _with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(**{**conninfo_to_dict(url), "dbname": dbname})


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server: the configured one, or an embedded one for this run."""
    configured = os.environ.get("ACS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


class Databases:
    """Creates databases for one test run from a migrated template, and drops them all."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.created: list[str] = []
        self.template = self._create(f"acs_test_{RUN_ID}_template")
        migrate(_with_dbname(server, self.template))

    def _create(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.server, autocommit=True) as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(statement)
        self.created.append(name)
        return name

    def fresh(self) -> str:
        """The URL of a new, migrated, empty database."""
        name = self._create(f"acs_test_{RUN_ID}_{secrets.token_hex(4)}", self.template)
        return _with_dbname(self.server, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.server, autocommit=True) as conn:
            for name in reversed(self.created):
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture(scope="session")
def databases(server_url: str) -> Iterator[Databases]:
    """The run's database factory."""
    dbs = Databases(server_url)
    try:
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture
def database_url(databases: Databases) -> str:
    """A fresh migrated database for one test."""
    return databases.fresh()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AcsServer:
    """The real ACS in a subprocess (`acs serve`), on loopback.

    It starts with an admin API key (`ACS_BOOTSTRAP_API_KEY`, generated unless `env` gives
    one): `api_key`, sent as `auth_headers`. `bootstrap=False` starts it without any key.
    `args` are more `acs serve` flags; `verify`, an SSL context trusting its certificate,
    makes it an HTTPS server (`url` is https).
    """

    def __init__(
        self,
        database_url: str,
        workers: int = 1,
        env: dict[str, str] | None = None,
        bootstrap: bool = True,
        *,
        args: Sequence[str] = (),
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.database_url = database_url
        self.args, self.verify = list(args), verify
        self.workers = workers
        self.env = env or {}
        self.api_key: str | None = None
        if bootstrap:
            self.api_key = self.env.get("ACS_BOOTSTRAP_API_KEY") or (
                "acs_test_" + secrets.token_urlsafe(24)
            )
        self.port = free_port()
        self.url = f"{'http' if verify is None else 'https'}://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"acs-{RUN_ID}-{self.port}.log"

    @property
    def auth_headers(self) -> dict[str, str]:
        """The `Authorization` header of the server's admin key (none without one)."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def start(self, *, wait: bool = True) -> AcsServer:
        """Start `acs serve`; unless `wait` is false, return once it answers HTTP."""
        env = {
            **os.environ,
            "ACS_DATABASE_URL": self.database_url,
            "ACS_LOG_LEVEL": "WARNING",
            "ACS_SHUTDOWN_TIMEOUT": "3",  # a session a test leaves open holds `stop` no longer
            **self.env,
        }
        env.pop("ACS_BOOTSTRAP_API_KEY", None)
        if self.api_key:
            env["ACS_BOOTSTRAP_API_KEY"] = self.api_key
        command = [
            sys.executable,
            "-m",
            "acs.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *self.args,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
            )
        if wait:
            self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"acs serve exited: {self.log.read_text()[-2000:]}")
            try:
                reply = httpx.get(f"{self.url}/api/stats", headers=self.auth_headers, timeout=1,
                                  verify=self.verify or True)  # fmt: skip
                if reply.status_code in (200, 401):  # 401: serving, and that key is refused
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"acs serve did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL to the server and its workers, as a crash would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def acs_server(database_url: str) -> Iterator[AcsServer]:
    """A running ACS on a fresh database, one worker."""
    server = AcsServer(database_url).start()
    try:
        yield server
    finally:
        server.stop()
