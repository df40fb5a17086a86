"""What `/cwmp` reads of a request without Litestar's `Request`: the same as `Request` reads."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Request

from acs.api.cwmp import base_url, read_headers, request_auth


def scope(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "http", "method": "POST", "path": "/cwmp", "root_path": "", "scheme": "http",
        "query_string": b"a=1", "server": ("10.0.0.1", 7547), "client": ("192.0.2.9", 4000),
        "headers": [(b"host", b"acs.example.net:8080")], "state": {}, **overrides,
    }  # fmt: skip


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"headers": []},
        {"headers": [], "server": ("10.0.0.1", 80)},
        {"headers": [], "scheme": "https", "server": ("10.0.0.1", 443)},
        {"scheme": "https", "headers": [(b"host", b"acs.example.net")]},
        {"root_path": "/acs"},
        {"headers": [(b"host", b"first:1"), (b"host", b"second:2")]},
    ],
)
def test_the_base_url_is_the_one_litestar_gives(case: dict[str, Any]) -> None:
    request: Request[Any, Any, Any] = Request(scope(**case))
    assert base_url(scope(**case)) == str(request.base_url)


def test_headers_are_read_as_litestar_reads_them() -> None:
    raw = [
        (b"cookie", b"acs_session=one"),
        (b"cookie", b"acs_session=two"),
        (b"content-type", b"text/xml; charset=\xe9"),
        (b"authorization", b"Digest x"),
    ]
    request: Request[Any, Any, Any] = Request(scope(headers=raw))
    headers = read_headers(scope(headers=raw))
    for name in ("cookie", "content-type", "authorization", "content-encoding"):
        assert headers.get(name.encode(), "") == request.headers.get(name, "")
    auth = request_auth(scope(headers=raw), headers)
    assert (auth.authorization, auth.method, auth.path, auth.secure) == (
        "Digest x", "POST", "/cwmp", False,
    )  # fmt: skip
