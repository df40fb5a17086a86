"""Which errors mean "the database is unavailable", and what the API answers then."""

from __future__ import annotations

import msgspec
import psycopg
import pytest
from eventsourcing import persistence
from litestar import Litestar, get
from litestar.testing import TestClient
from psycopg_pool import PoolTimeout

from acs.adapters.database import UNAVAILABLE, summary, unavailable
from acs.api.unavailable import database_unavailable


class WrappedError(Exception):
    """An application error raised from a database error."""


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: Connection refused"),
        psycopg.InterfaceError("the connection is closed"),
        PoolTimeout("couldn't get a connection after 3.00 sec"),
        persistence.OperationalError("consuming input failed"),
        persistence.InterfaceError("the connection is lost"),
    ],
)
def test_connection_errors_mean_the_database_is_unavailable(error: Exception) -> None:
    assert unavailable(error)
    wrapped = WrappedError("append failed")
    wrapped.__cause__ = error
    assert unavailable(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        persistence.IntegrityError("duplicate key"),
        psycopg.errors.UniqueViolation("duplicate key"),
        psycopg.ProgrammingError("syntax error"),
        ValueError("a bug"),
        None,
    ],
)
def test_other_errors_do_not(error: Exception | None) -> None:
    assert not unavailable(error)


def test_the_summary_is_one_line() -> None:
    error = psycopg.OperationalError("connection failed\n\tIs the server running?")
    assert summary(error) == "OperationalError: connection failed"


def _app() -> Litestar:
    @get("/api/thing", sync_to_thread=False)
    def thing() -> None:
        raise PoolTimeout("couldn't get a connection after 3.00 sec")

    @get("/cwmp", sync_to_thread=False)
    def cwmp() -> None:
        raise persistence.OperationalError("terminating connection")

    return Litestar(
        [thing, cwmp], exception_handlers={**dict.fromkeys(UNAVAILABLE, database_unavailable)}
    )


def test_the_api_answers_503_with_retry_after_and_cwmp_an_empty_503() -> None:
    with TestClient(_app()) as client:
        api = client.get("/api/thing")
        cwmp = client.get("/cwmp")
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert msgspec.json.decode(api.content) == {
        "status_code": 503,
        "detail": "database unavailable, retry",
    }
    assert cwmp.status_code == 503 and cwmp.headers["retry-after"] == "5"
    assert cwmp.content == b""
