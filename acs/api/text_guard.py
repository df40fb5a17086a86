"""Requests carrying U+0000 (NUL), which PostgreSQL cannot store, are refused first (400).

PostgreSQL's `text` and `jsonb` hold every character but NUL. A NUL in a path, a query or a
body would fail deep inside a query (a 500), or worse be recorded in an event that the read
model can then never apply, stopping the projection for every device. No route has a use for
it, so the `before_request` hook of the app refuses it: in the path and the query of any
request, and in the JSON or form body of any route but those whose body is raw bytes (a
CPE's SOAP or upload, an operator's file).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request, Response
from litestar.types import Scope

from acs.domain.text import NUL_DETAIL, holds_nul

RAW_BODY_ROUTES = frozenset({"/cwmp", "/uploads/{aggregate}/{task_id}/{signature}", "/api/files"})
"""Route templates whose body is bytes, not text."""
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_holds_nul(body: bytes) -> bool:
    """Whether a JSON body has a NUL in a string (it can only be written `\\u0000`); a body
    that is not JSON is left to the route, which refuses it."""
    if b"\\u0000" not in body:
        return False
    try:
        return holds_nul(msgspec.json.decode(body))
    except msgspec.DecodeError:
        return False


async def _body_holds_nul(request: Request[Any, Any, Any]) -> bool:
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type in _FORMS:
        form = await request.form()
        return any(isinstance(v, str) and "\x00" in k + v for k, v in form.multi_items())
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return json_holds_nul(await request.body())


def nul_in_address(scope: Scope) -> bool:
    """Whether the request's path or query holds a NUL (percent-encoded or not)."""
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query)


async def refuse_nul(request: Request[Any, Any, Any]) -> Response[dict[str, object]] | None:
    """A 400 for a request with a NUL in its path, query or text body; None lets it go on."""
    found = nul_in_address(request.scope)
    if not found and request.scope.get("path_template") not in RAW_BODY_ROUTES:
        found = await _body_holds_nul(request)
    if not found:
        return None
    return Response({"status_code": 400, "detail": NUL_DETAIL}, status_code=400)
