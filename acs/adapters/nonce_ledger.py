"""The Digest nonce counts CPEs have used, in PostgreSQL, so that no worker accepts a replay."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool

_USE = """
INSERT INTO cwmp_nonces (nonce, nc, expires_at) VALUES (%s, %s, %s)
ON CONFLICT (nonce) DO UPDATE SET nc = EXCLUDED.nc WHERE cwmp_nonces.nc < EXCLUDED.nc
RETURNING 1"""

_CLEAN = "DELETE FROM cwmp_nonces WHERE expires_at < now()"

CLEAN_EVERY = 60.0
"""Seconds between two clean-ups of expired nonces by one worker."""


class NonceLedger:
    """The highest nonce count used with each unexpired nonce (`cwmp_nonces`)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self._lock = threading.Lock()
        self._cleaned = time.monotonic()

    def use(self, nonce: str, count: int, expires_at: float) -> bool:
        """Record a use of `nonce` with `count`; False if that count or a higher one was
        used already (a replay). One statement, and now and then a clean-up."""
        expiry = datetime.fromtimestamp(expires_at, UTC)
        with self.pool.connection() as conn:
            fresh = conn.execute(_USE, (nonce, count, expiry)).fetchone() is not None
            if self._clean_due():
                conn.execute(_CLEAN)
        return fresh

    def _clean_due(self) -> bool:
        with self._lock:
            if time.monotonic() - self._cleaned < CLEAN_EVERY:
                return False
            self._cleaned = time.monotonic()
            return True
