"""`/cwmp` served in front of the router answers exactly as the router's route does.

`acs serve` runs the app behind `with_cwmp_route`; here the same app also runs without it, on
another port, and both get the same requests, good and bad, over loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from acs.adapters.migrations import migrate
from acs.adapters.settings import Settings
from acs.api.app import create_app
from acs.api.cwmp_route import with_cwmp_route
from tests.conftest import free_port

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cwmp"
INFORM = (FIXTURES / "genieacs-sim_cwmp10_inform.xml").read_bytes()
MAX_BODY = 64 * 1024
VARYING = {"date", "set-cookie", "content-length"}
"""Headers that differ between any two answers (the session id, the time)."""


class Served:
    """An ASGI app under uvicorn in a thread of the test, on a loopback port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def urls(database_url: str) -> Iterator[tuple[str, str]]:
    """The router's `/cwmp` and the front's, on one database."""
    migrate(database_url)
    settings = Settings(database_url=database_url, max_body_bytes=MAX_BODY, db_pool_size=4)
    routed = create_app(settings, database_url)
    fronted = with_cwmp_route(create_app(settings, database_url))
    with Served(routed) as plain, Served(fronted) as front:
        yield plain, front


def inform(serial: str) -> bytes:
    return INFORM.replace(b"<SerialNumber>", f"<SerialNumber>{serial}".encode(), 1)


REQUESTS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("OPTIONS", "/cwmp", {}, b""),
    ("GET", "/cwmp", {}, b""),
    ("POST", "/cwmp", {}, b""),
    ("POST", "/cwmp", {"content-type": "text/xml"}, b"<not-soap"),
    ("POST", "/cwmp", {"content-encoding": "br"}, b"x"),
    ("POST", "/cwmp", {"content-encoding": "gzip"}, b"not gzip"),
    ("POST", "/cwmp?x=%00", {}, b""),
    ("POST", "/cwmp", {"host": "bad host/"}, b""),
    ("POST", "/cwmp", {}, b"x" * (MAX_BODY + 1)),
    ("POST", "/cwmp/", {}, b""),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_the_front_answers_as_the_router(
    urls: tuple[str, str], method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    plain, front = (
        httpx.request(method, url + path, headers=headers, content=body, timeout=10) for url in urls
    )
    assert front.status_code == plain.status_code
    assert _stable(front.headers) == _stable(plain.headers)
    assert front.content == plain.content


def test_an_inform_is_answered_alike_and_its_session_goes_on(urls: tuple[str, str]) -> None:
    answers = []
    for n, url in enumerate(urls):
        with httpx.Client(base_url=url, timeout=10) as cpe:
            informed = cpe.post("/cwmp", content=inform(f"ROUTE{n}"))
            ended = cpe.post("/cwmp", content=b"")
            answers.append((informed, ended))
    (plain_inform, plain_end), (front_inform, front_end) = answers
    assert front_inform.status_code == plain_inform.status_code == 200
    assert b"InformResponse" in front_inform.content
    assert _stable(front_inform.headers) == _stable(plain_inform.headers)
    assert "acs_session=" in front_inform.headers["set-cookie"]
    assert front_end.status_code == plain_end.status_code == 204
    assert _stable(front_end.headers) == _stable(plain_end.headers)


def _stable(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in VARYING}
