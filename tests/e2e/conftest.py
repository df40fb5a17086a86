"""End-to-end helpers: the real server over loopback, polled like an operator would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import AcsServer


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check` returns a truthy value (the read model is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: last {result!r}")
        time.sleep(0.05)


@pytest.fixture
def api(acs_server: AcsServer) -> Iterator[httpx.Client]:
    """An operator's HTTP client for the REST API."""
    with httpx.Client(
        base_url=acs_server.url,
        headers=acs_server.auth_headers,
        timeout=10,
        trust_env=False,
    ) as client:
        yield client
