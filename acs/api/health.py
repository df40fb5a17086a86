"""`GET /health`: liveness, for container health checks and service monitors."""

from __future__ import annotations

from litestar import get


@get("/health", sync_to_thread=False, include_in_schema=False)
def health() -> dict[str, str]:
    """The process answers HTTP: `{"status": "ok"}`, without credentials or database."""
    return {"status": "ok"}
