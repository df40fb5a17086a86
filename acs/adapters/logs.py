"""Log records as text or as one JSON object per line, with the CWMP session they belong to.

`configure` is applied by `acs` itself and by every worker `acs serve` spawns, and its
dictionary is uvicorn's `log_config` too, so uvicorn's own records share the format.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

DEVICE_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("device_id", default=None)
"""The device whose CWMP session the current thread or task handles."""
SESSION_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("session_id", default=None)
"""The CWMP session the current thread or task handles."""


def bind_session(device_id: str, session_id: str | None = None) -> None:
    """Tag the records logged from here on, in this context, with a CWMP session (its
    device alone until the session has an id)."""
    DEVICE_ID.set(device_id)
    SESSION_ID.set(session_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the CWMP session's
    `device_id` and `session_id` when one is being handled, `exc_info` as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        device, session = DEVICE_ID.get(), SESSION_ID.get()
        if device is not None:
            entry["device_id"] = device
        if session is not None:
            entry["session_id"] = session
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` dictionary: every record, uvicorn's included, goes to
    stderr in one format; uvicorn's own loggers only from WARNING (no access log)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "acs", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"acs": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": "WARNING"}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
    }


def log_level(environ: Mapping[str, str] | None = None) -> str:
    """ACS_LOG_LEVEL, `INFO` when unset."""
    env = os.environ if environ is None else environ
    return env.get("ACS_LOG_LEVEL") or "INFO"


def configure(log_format: LogFormat, level: str) -> None:
    """Send every record to stderr in this format, from this level on, Python's warnings
    included (as records of `py.warnings`)."""
    logging.config.dictConfig(logging_config(log_format, level))
    logging.captureWarnings(True)
