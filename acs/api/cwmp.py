"""The CWMP endpoint `/cwmp`: HTTP in, one session step, HTTP out (TR-069 3.4)."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any
from uuid import UUID

from litestar import HttpMethod, Request, post, route
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.response import Response

from acs.adapters.drain import Drain
from acs.api.metrics import CWMP_AUTH_FAILURES
from acs.api.services import Services
from acs.application.cwmp import Exchange, Reply
from acs.application.cwmp_auth import RequestAuth
from acs.application.uploads import UPLOAD_PATH

COOKIE = "acs_session"
_XML = "text/xml"


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


def to_response(reply: Reply) -> Response[bytes]:
    """The HTTP response for a session step."""
    headers = dict(reply.headers)
    if reply.retry_after:
        headers["Retry-After"] = str(reply.retry_after)
    cookies = []
    if reply.session_id and not reply.end_session:
        cookies.append(Cookie(key=COOKIE, value=reply.session_id, httponly=True, path="/"))
    media = _XML if reply.body else None
    return Response(
        reply.body, status_code=reply.status, media_type=media, headers=headers, cookies=cookies
    )


@post("/cwmp", status_code=200, include_in_schema=False)
async def cwmp_endpoint(
    request: Request[Any, Any, Any], services: Services, drain: Drain
) -> Response[bytes]:
    """One CPE request of a CWMP session; a stopping worker opens no new one."""
    limit = services.settings.max_body_bytes
    body = inflate(await request.body(), request.headers.get("content-encoding", ""), limit)
    exchange = Exchange(
        body=body,
        session_id=session_cookie(request.headers.get("cookie", "")),
        source_ip=request.client.host if request.client else "",
        charset=charset_of(request.headers.get("content-type", "")),
        base_url=services.settings.public_url or str(request.base_url),
        auth=request_auth(request),
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
    return to_response(reply)


def request_auth(request: Request[Any, Any, Any]) -> RequestAuth:
    """What CPE authentication looks at (TR-069 3.4.4): the Authorization header, the
    method and path a Digest response covers, and whether TLS carried the request."""
    return RequestAuth(
        authorization=request.headers.get("authorization", ""),
        method=request.method,
        path=request.scope["path"],
        secure=request.scope.get("scheme") == "https",
    )


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
