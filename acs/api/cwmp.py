"""The CWMP endpoint `/cwmp`: HTTP in, one session step, HTTP out (TR-069 3.4)."""

from __future__ import annotations

import asyncio
import functools
import zlib
from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from litestar import HttpMethod, Request, asgi, route
from litestar.datastructures import URL
from litestar.exceptions import ClientException, HTTPException, MethodNotAllowedException
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

from acs.adapters.drain import Drain
from acs.api.metrics import CWMP_AUTH_FAILURES
from acs.api.services import Services
from acs.api.text_guard import nul_in_address
from acs.application.cwmp import Exchange, Reply
from acs.application.cwmp_auth import RequestAuth
from acs.application.uploads import UPLOAD_PATH
from acs.domain.text import NUL_DETAIL

COOKIE = "acs_session"
CWMP_PATH = "/cwmp"
"""Where CPEs send their sessions (the ACS URL's path)."""


def session_cookie(header: str) -> str | None:
    """The session id from a Cookie header, also in RFC 2109 form (`$Version="0"; k=v`)."""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip() == COOKIE:
            return value.strip().strip('"') or None
    return None


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo gzip or deflate Content-Encoding, refusing more than `limit` bytes out."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise HTTPException(status_code=415, detail=f"unsupported Content-Encoding {encoding}")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    try:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise HTTPException(status_code=400, detail="body does not decompress") from exc
    if len(out) > limit:
        raise HTTPException(status_code=413, detail="decompressed body too large")
    return out


_COOKIE_ATTRIBUTES = b"; HttpOnly; Path=/; SameSite=lax"
_XML_TYPE = (b"content-type", b"text/xml; charset=utf-8")
_ALLOW = "POST, OPTIONS"


def response_head(reply: Reply) -> list[tuple[bytes, bytes]]:
    """The headers of the HTTP response to a session step (the server adds date and
    server; the security headers middleware adds its own)."""
    head = [(name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers.items()]  # fmt: skip
    if reply.retry_after:
        head.append((b"retry-after", str(reply.retry_after).encode()))
    if reply.session_id and not reply.end_session:
        head.append((b"set-cookie", f"{COOKIE}={reply.session_id}".encode() + _COOKIE_ATTRIBUTES))
    if reply.body:
        head.append(_XML_TYPE)
    if reply.status not in (204, 304):
        head.append((b"content-length", str(len(reply.body)).encode()))
    return head


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes (413): at once when its
    Content-Length says so, else as soon as that many have come."""
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientException(detail="client disconnected")
        chunk = cast("bytes", message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def cwmp_endpoint(
    services_of: Callable[[], Services], drain: Drain, max_body: int
) -> ASGIRouteHandler:
    """`/cwmp` as a plain ASGI handler. Every CPE request of every session comes here, so
    it skips the parts of a Litestar handler it has no use for (parameter parsing,
    dependency injection, response objects), which cost more CPU than the session step
    itself. The app's guard, middlewares and exception handlers still apply. Its `opt`
    says what a Litestar handler's attributes would: the methods and the body limit."""

    @asgi(CWMP_PATH, copy_scope=False, opt={"http_methods": {"POST"}, "max_body": max_body})
    async def cwmp(scope: Scope, receive: Receive, send: Send) -> None:
        """One CPE request of a CWMP session; a stopping worker opens no new one."""
        method = scope.get("method")
        if method == "OPTIONS":
            await _send(send, 204, [(b"allow", _ALLOW.encode())], b"")
            return
        if method != "POST":
            raise MethodNotAllowedException(headers={"Allow": _ALLOW})
        if nul_in_address(scope):  # the app's `refuse_nul` hook does not run for ASGI handlers
            raise ClientException(detail=NUL_DETAIL)
        services = services_of()
        headers = read_headers(scope)
        body = await read_body(scope, receive, max_body)
        body = inflate(body, headers.get(b"content-encoding", ""), max_body)
        client = scope.get("client")
        exchange = Exchange(
            body=body,
            session_id=session_cookie(headers.get(b"cookie", "")),
            source_ip=client[0] if client else "",
            charset=charset_of(headers.get(b"content-type", "")),
            base_url=services.settings.public_url or base_url(scope),
            auth=request_auth(scope, headers),
            draining=drain.draining,
        )
        reply = await services.run(services.cwmp.handle, exchange)
        if reply.session_id:
            drain.served(reply.session_id, ended=reply.end_session,
                         idle_timeout=services.settings.session_timeout)  # fmt: skip
        if reply.auth_failure:
            CWMP_AUTH_FAILURES.labels(reply.auth_failure).inc()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        await _send(send, reply.status, response_head(reply), reply.body)

    return cwmp


_READ_HEADERS = frozenset((b"content-encoding", b"cookie", b"content-type", b"authorization"))


def read_headers(scope: Scope) -> dict[bytes, str]:
    """The request headers `/cwmp` reads, the first of each name (ASGI names are lower
    case; values are latin-1, as Litestar's `Headers` reads them)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _READ_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


def base_url(scope: Scope) -> str:
    """The request's base URL as Litestar's `Request.base_url` gives it (Host header, else
    the server's address; the root path), for the URLs sent to CPEs."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    root = scope.get("app_root_path") or scope.get("root_path", "")
    server = scope.get("server")
    return _base_url(scope.get("scheme", "http"), host, tuple(server) if server else None, root)


@functools.lru_cache(maxsize=256)
def _base_url(scheme: str, host: bytes | None, server: tuple[Any, ...] | None, root: str) -> str:
    scope = {"type": "http", "scheme": scheme, "server": server, "path": "/", "root_path": root,
             "headers": [(b"host", host)] if host is not None else []}  # fmt: skip
    return str(URL.from_scope(cast("Scope", scope)))


def request_auth(scope: Scope, headers: dict[bytes, str]) -> RequestAuth:
    """What CPE authentication looks at (TR-069 3.4.4): the Authorization header, the
    method and path a Digest response covers, and whether TLS carried the request."""
    return RequestAuth(
        authorization=headers.get(b"authorization", ""),
        method=str(scope.get("method", "")),
        path=scope["path"],
        secure=scope.get("scheme") == "https",
    )


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


@route(
    f"{UPLOAD_PATH}/{{aggregate:uuid}}/{{task_id:str}}/{{signature:str}}",
    http_method=[HttpMethod.PUT, HttpMethod.POST],
    status_code=204,
    include_in_schema=False,
)
async def upload_endpoint(
    request: Request[Any, Any, Any],
    services: Services,
    aggregate: UUID,
    task_id: str,
    signature: str,
) -> None:
    """A device uploads a file for an `upload` task (TR-069 A.4.1.5), to a signed URL."""
    body = await request.body()
    content_type = request.headers.get("content-type", "application/octet-stream")
    await services.run(services.uploads.receive, aggregate, task_id, signature, body, content_type)
