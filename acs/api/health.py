"""`GET /health` (liveness) and `GET /ready` (readiness), for load balancers, container
health checks and service monitors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, ParamSpec, TypeVar

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from psycopg.conninfo import make_conninfo

from acs.adapters.database import bounded
from acs.adapters.drain import Drain
from acs.adapters.migrations import unapplied
from acs.api.services import Services
from acs.api.unavailable import RETRY_AFTER
from acs.projections.queries import ReadModel

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

READY_TIMEOUT = 3.0
"""Seconds within which `/ready` answers, whatever the database does."""


class NotReadyError(Exception):
    """A readiness check failed; the message says how."""


@get("/health", sync_to_thread=False, include_in_schema=False)
def health() -> dict[str, str]:
    """The process answers HTTP: `{"status": "ok"}`, without credentials or database."""
    return {"status": "ok"}


class Readiness:
    """Whether this worker should be sent CPEs: not draining, the database answers, no
    migration is pending and the read model is at most `max_lag` seconds behind.

    The checks run on a thread of their own, so a database that hangs delays neither the
    requests' threads nor the answer (at most `READY_TIMEOUT`); a check still running then
    holds back the next ones, which time out too."""

    def __init__(self, database_url: str, max_lag: float, drain: Drain) -> None:
        self.database_url, self.max_lag, self.drain = database_url, max_lag, drain
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acs-ready")
        self._failing: str | None = None

    async def check(self, read: ReadModel) -> tuple[int, dict[str, Any]]:
        """The HTTP status (200 or 503) and the body saying what was checked."""
        if self.drain.draining:
            return 503, {"status": "draining"}
        checks: dict[str, Any] = {}
        step = "database"
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                pending = await self._run(self._unapplied)
                checks["database"], step = "ok", "migrations"
                if pending:
                    raise NotReadyError("pending: " + ", ".join(pending))
                checks["migrations"], step = "ok", "projection_lag"
                lag = (await self._run(read.projection_status)).lag_seconds
                checks["projection_lag_seconds"] = round(lag, 3)
                if lag > self.max_lag:
                    raise NotReadyError(f"{lag:.1f} s behind (more than {self.max_lag:g} s)")
        except NotReadyError as exc:
            detail = cause = str(exc)
        except TimeoutError:
            detail = cause = f"no answer within {READY_TIMEOUT:g} s"
        except Exception as exc:  # whatever fails, the answer is a 503, never a 500
            detail, cause = type(exc).__name__, f"{type(exc).__name__}: {exc}".strip()
        else:
            self._note(None, "")
            return 200, {"status": "ready", **checks}
        self._note(step, cause)
        return 503, {"status": "unavailable", "failed": step, "detail": detail, **checks}

    def _unapplied(self) -> list[str]:
        """The pending migrations, on a connection of its own with short timeouts."""
        url = make_conninfo(bounded(self.database_url, 2), options="-c statement_timeout=2000")
        return unapplied(url)

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    def _note(self, failing: str | None, detail: str) -> None:
        """Log when readiness changes, not at every probe."""
        if failing != self._failing:
            if failing is None:
                log.info("ready again")
            else:
                log.warning("not ready: %s check failed (%s)", failing, detail)
        self._failing = failing

    def close(self) -> None:
        """Stop the checks' thread, without waiting for a check under way."""
        self.executor.shutdown(wait=False, cancel_futures=True)


def ready_endpoint(readiness: Readiness) -> HTTPRouteHandler:
    """The `GET /ready` handler: 200 when this worker should be sent CPEs, else 503 with
    `Retry-After` and which check failed (`draining` while the worker stops)."""

    @get("/ready", include_in_schema=False)
    async def ready(services: Services) -> Response[dict[str, Any]]:
        """200 `{"status": "ready", ...}`, or 503 saying why not; no credential needed."""
        status, body = await readiness.check(services.read)
        headers = {"Cache-Control": "no-store"}
        if status != 200:
            headers["Retry-After"] = RETRY_AFTER
        return Response(body, status_code=status, headers=headers)

    return ready
