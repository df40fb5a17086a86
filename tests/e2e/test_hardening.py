"""What a hostile or broken request gets: no stack trace, bounded bodies on every route that
reads one, bounded request heads, and signed download URLs that stop working."""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from litestar.routes import ASGIRoute, HTTPRoute

from acs.adapters.settings import Settings
from acs.api.app import create_app
from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

MAX_BODY, MAX_FILE = 4096, 16384
LIMITS = {"ACS_MAX_BODY_BYTES": str(MAX_BODY), "ACS_MAX_FILE_BYTES": str(MAX_FILE)}
RAW_BODIES = {"/cwmp", "/api/files", "/uploads/{aggregate:uuid}/{task_id:str}/{signature:str}"}
"""Routes that read their raw body (the others that read one declare `data`)."""
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def small_limits(database_url: str) -> Iterator[AcsServer]:
    """The ACS with 4 KiB bodies (16 KiB files), so that tests send little."""
    server = AcsServer(database_url, env=LIMITS).start()
    try:
        yield server
    finally:
        server.stop()


def renamed(server: AcsServer, table: str, to: str) -> None:
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {table} RENAME TO {to}")


def test_an_unexpected_error_is_a_500_without_a_trace_and_logged(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="BROKEN")
    renamed(acs_server, "devices", "devices_gone")
    renamed(acs_server, "cwmp_sessions", "cwmp_sessions_gone")
    try:
        replies = [
            api.get("/api/devices"),
            httpx.post(f"{acs_server.url}/cwmp", content=cpe.build_inform(["0 BOOTSTRAP"])),
        ]
    finally:
        renamed(acs_server, "devices_gone", "devices")
        renamed(acs_server, "cwmp_sessions_gone", "cwmp_sessions")
    for reply in replies:
        assert reply.status_code == 500
        assert reply.json() == {"status_code": 500, "detail": "internal error"}
        assert "Traceback" not in reply.text and "devices" not in reply.text
    log = acs_server.log.read_text()
    assert "GET /api/devices failed" in log and "POST /cwmp failed" in log
    assert "Traceback" in log and "UndefinedTable" in log
    assert api.get("/api/devices").status_code == 200, "the server keeps serving"


def body_routes() -> list[tuple[str, str, int, bool]]:
    """(method, path, body limit, surely reads its body) of every route that may take a body,
    from the application itself, path parameters filled in."""
    app = create_app(Settings(max_body_bytes=MAX_BODY, max_file_bytes=MAX_FILE), "unused")
    found = []
    for route in app.routes:
        if isinstance(route, ASGIRoute):  # the handler says what it takes in its `opt`
            opt = route.route_handler.opt
            found += [(m, route.path, opt["max_body"], True) for m in opt["http_methods"]]
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path
        for name, param in route.path_parameters.items():
            value = str(uuid.uuid4()) if param.type is uuid.UUID else "x"
            path = path.replace(f"{{{param.full}}}", value).replace(f"{{{name}}}", value)
        for handler in route.route_handlers:
            reads = route.path in RAW_BODIES or "data" in handler.parsed_fn_signature.parameters
            limit = handler.resolve_request_max_body_size() or 0
            found += [(m, path, limit, reads) for m in handler.http_methods & BODY_METHODS]
    return sorted(found)


def oversized(
    server: AcsServer, method: str, path: str, limit: int, *, chunked: bool
) -> tuple[int, Any]:
    """Announce (Content-Length) or stream (chunked) one byte more than `limit`, never end
    the body, and read the answer: a route that waited for the whole body would time out."""
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        *(f"{k}: {v}" for k, v in server.auth_headers.items()),
    ]
    if chunked:
        head.append("Transfer-Encoding: chunked")
        body = b"%x\r\n%s\r\n" % (limit + 1, b"x" * (limit + 1))
    else:
        head.append(f"Content-Length: {limit + 1}")
        body = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        reply = sock.makefile("rb")
        status = int(reply.readline().split()[1])
        length = 0
        while (line := reply.readline().strip()) != b"":
            name, _, value = line.decode().partition(":")
            length = int(value) if name.lower() == "content-length" else length
        text = reply.read(length)
    return status, httpx.Response(status, content=text).json() if text[:1] == b"{" else text


def test_every_route_that_reads_a_body_refuses_one_over_its_limit(
    small_limits: AcsServer,
) -> None:
    routes = body_routes()
    assert ("POST", "/api/files", MAX_FILE, True) in routes
    assert ("POST", "/cwmp", MAX_BODY, True) in routes
    assert {("POST", "/uploads"), ("PUT", "/uploads")} <= {(m, p[:8]) for m, p, _, _ in routes}
    for method, path, limit, reads in routes:
        for chunked in (False, True):
            status, body = oversized(small_limits, method, path, limit, chunked=chunked)
            where = (method, path, "chunked" if chunked else "Content-Length", status, body)
            if reads or status == 413:
                assert status == 413, where
                assert body["status_code"] == 413, where
            else:
                assert status < 500, where


def test_a_request_head_over_32_kib_is_431_and_the_connection_closed(
    acs_server: AcsServer,
) -> None:
    auth = "".join(f"{k}: {v}\r\n" for k, v in acs_server.auth_headers.items())
    for pad, expected in ((20_000, 200), (40_000, 431)):
        with socket.create_connection(("127.0.0.1", acs_server.port), timeout=10) as sock:
            request = f"GET /api/stats HTTP/1.1\r\nHost: x\r\n{auth}X-Pad: {'a' * pad}\r\n\r\n"
            sock.sendall(request.encode())
            reply = sock.recv(65536)
        assert reply.startswith(f"HTTP/1.1 {expected} ".encode()), reply[:100]
    assert b"connection: close" in reply and b'"status_code": 431' in reply


def download_url(responses: list[bytes]) -> str:
    found = re.search(rb"<URL>([^<]+)</URL>", next(r for r in responses if b"Download" in r))
    assert found
    return found.group(1).decode()


async def stored_file_download(server: AcsServer, cpe: SimulatedCpe) -> tuple[str, str]:
    """Register the CPE, store a file and queue its download; (task id, device path)."""
    await cpe.run_session()
    path = "/api/devices/" + cpe.device_id.replace("%", "%25")
    async with httpx.AsyncClient(base_url=server.url, headers=server.auth_headers) as api:
        stored = (await api.post("/api/files", content=b"FW" * 64)).json()
        while (await api.get(path)).status_code != 200:
            await asyncio.sleep(0.05)
        task = await api.post(
            f"{path}/tasks",
            params={"connection_request": "false"},
            json={"type": "download", "parameters": {"file_id": stored["id"]}},
        )
    assert task.status_code == 201, task.text
    return task.json()["id"], path


async def test_a_signed_download_url_is_gone_once_its_task_is_done(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="URL-DONE")
    task_id, _ = await stored_file_download(acs_server, cpe)
    log = await cpe.run_session()
    url = download_url(log.responses)
    assert log.transfers[0].http_status == 200
    await cpe.run_session()
    eventually(lambda: api.get(f"/api/tasks/{task_id}").json()["status"] == "done")
    assert httpx.get(url).status_code == 410


async def test_a_signed_download_url_expires_with_the_transfer_timeout(
    database_url: str,
) -> None:
    server = AcsServer(database_url, env={"ACS_TRANSFER_TIMEOUT": "2"}).start()
    try:
        cpe = SimulatedCpe(f"{server.url}/cwmp", serial="URL-LATE", never_complete_transfers=True)
        task_id, _ = await stored_file_download(server, cpe)
        url = download_url((await cpe.run_session()).responses)
        assert httpx.get(url).status_code == 200, "valid while the transfer may run"
        with httpx.Client(base_url=server.url, headers=server.auth_headers) as api:
            eventually(lambda: api.get(f"/api/tasks/{task_id}").json()["status"] == "fault")
        assert httpx.get(url).status_code == 410
    finally:
        server.stop()
