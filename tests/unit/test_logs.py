"""Log records as JSON lines carry the CWMP session being handled; text stays the default."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from acs.adapters.logs import TEXT_FORMAT, JsonFormatter, bind_session, logging_config
from acs.adapters.settings import Settings


def record(message: str = "hello %s", *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord("acs.test", logging.WARNING, __file__, 1, message, args, info)


def test_a_json_line_has_time_level_logger_and_message() -> None:
    line = json.loads(JsonFormatter().format(record("hello %s", "world")))
    assert line["level"] == "WARNING" and line["logger"] == "acs.test"
    assert line["message"] == "hello world"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert "device_id" not in line and "session_id" not in line and "exc_info" not in line


def test_a_line_logged_in_a_session_carries_its_device_and_session_ids() -> None:
    def in_session() -> str:
        bind_session("202BC1-BM632w-SN1", "abc123")
        return JsonFormatter().format(record())

    line = json.loads(contextvars.copy_context().run(in_session))
    assert line["device_id"] == "202BC1-BM632w-SN1" and line["session_id"] == "abc123"
    assert "device_id" not in json.loads(JsonFormatter().format(record())), "context stays"


def test_an_exception_is_one_string_and_the_line_stays_one_line() -> None:
    text = JsonFormatter().format(record("failed\nbadly", exc=True))
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "failed\nbadly"
    assert line["exc_info"].startswith("Traceback") and "ValueError: boom" in line["exc_info"]


def test_text_is_the_default_and_uvicorn_logs_through_the_same_handler() -> None:
    assert Settings().log_format == "text"
    config = logging_config("text", "info")
    assert config["formatters"]["acs"] == {"format": TEXT_FORMAT}
    assert config["root"] == {"handlers": ["stderr"], "level": "INFO"}
    assert config["loggers"]["uvicorn.error"]["propagate"] is True
    assert logging_config("json", "INFO")["formatters"]["acs"]["()"].endswith("JsonFormatter")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the loggers a configuration touches back as they were."""
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"]
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    try:
        yield
    finally:
        for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            lg.handlers[:], lg.propagate = handlers, propagate
            lg.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_the_json_configuration_formats_uvicorns_records_too() -> None:
    config = logging_config("json", "INFO")
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    logging.getLogger("uvicorn.error").warning("worker %d died", 7)
    logging.getLogger("uvicorn.error").info("not shown: uvicorn logs from WARNING")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines == [
        {"time": lines[0]["time"], "level": "WARNING", "logger": "uvicorn.error",
         "message": "worker 7 died"}
    ]  # fmt: skip
