"""The answer while the database is unavailable: 503 with Retry-After, never a 500."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from litestar import Request, Response

from acs.adapters.database import summary

log = logging.getLogger(__name__)

RETRY_AFTER = "5"
"""Seconds a client is asked to wait before retrying while the database is unavailable."""


class OutageLog:
    """The warning of requests refused while the database is unavailable: the first at once,
    then at most one every `every` seconds per worker, with the count of the others."""

    def __init__(self, every: float = 5.0) -> None:
        self.every, self.refused, self.last = every, 0, -every
        self._lock = threading.Lock()

    def note(self, request: Request[Any, Any, Any], exc: Exception) -> None:
        """Count a refused request; log when the last warning is old enough."""
        with self._lock:
            self.refused += 1
            at = time.monotonic()
            if at - self.last < self.every:
                return
            refused, self.refused, self.last = self.refused, 0, at
        log.warning("database unavailable (%s): %d request(s) answered 503, the last %s %s",
                    summary(exc), refused, request.method, request.url.path)  # fmt: skip


_OUTAGE = OutageLog()


def database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 and Retry-After, so that the client comes back once the database is: a CPE
    retries its session later (TR-069 3.4.4 and 3.7.1.5), with an empty body on /cwmp; a
    REST client or a browser gets the usual JSON error. Nothing half done stays: an append
    committed before the error or not at all, and the InformResponse was not sent."""
    _OUTAGE.note(request, exc)
    headers = {"Retry-After": RETRY_AFTER}
    if request.url.path == "/cwmp":
        return Response(b"", status_code=503, headers=headers)
    detail = {"status_code": 503, "detail": "database unavailable, retry"}
    return Response(detail, status_code=503, headers=headers)
