"""Security headers: `nosniff` on every response, and on HTML pages a strict Content Security
Policy (no inline script or style), no framing and no referrer."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
EVERY_RESPONSE = {"x-content-type-options": "nosniff"}
HTML_PAGES = {
    **EVERY_RESPONSE,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
DASHBOARD_PAGES = {**HTML_PAGES, "content-security-policy": CONTENT_SECURITY_POLICY}
DOCS_PREFIX = "/schema"
"""The OpenAPI viewers load their scripts from a CDN, so they get all but the CSP."""


def headers_for(path: str, content_type: str) -> dict[str, str]:
    """The security headers a response to `path` with this content type gets."""
    if not content_type.startswith("text/html"):
        return EVERY_RESPONSE
    if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"):
        return HTML_PAGES
    return DASHBOARD_PAGES


def secure_headers(app: ASGIApp) -> ASGIApp:
    """An ASGI middleware adding the security headers a response lacks."""

    async def secured(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(str(scope["path"]), list(message["headers"]))
            await send(message)

        await app(scope, receive, sending)

    return secured


def _with_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    extra = headers_for(path, content_type.decode("latin-1").lower())
    return headers + [
        (name.encode(), value.encode()) for name, value in extra.items()
        if name.encode() not in present
    ]  # fmt: skip
