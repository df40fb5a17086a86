"""Pinned CPE certificates: with `ACS_TLS_CLIENT_CA`, `/cwmp` answers only CPEs that presented
a certificate signed by that CA.

The TLS handshake already refused any certificate the CA did not sign (`acs.adapters.tls`);
what is left here is to refuse, on `/cwmp`, connections that presented none. The verified
certificate comes from the ASGI TLS extension (`acs.adapters.http_protocol`); a server that
does not provide it gets every `/cwmp` request refused, never accepted unchecked.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Receive, Scope, Send

CPE_PATHS = frozenset({"/cwmp"})
"""The routes that require a client certificate when a client CA is configured."""


def client_certificate(scope: Scope) -> str | None:
    """The subject of the verified client certificate of a request's connection, if any."""
    extensions = scope.get("extensions") or {}
    tls = extensions.get("tls") or {}
    if not tls.get("client_cert_chain"):
        return None
    return str(tls.get("client_cert_name") or "")


def require_client_certificate(app: ASGIApp) -> ASGIApp:
    """An ASGI middleware: a request to a CPE path without a client certificate is a 403."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and scope.get("path_template") in CPE_PATHS
            and client_certificate(scope) is None
        ):
            raise PermissionDeniedException(detail="a client certificate is required on /cwmp")
        await app(scope, receive, send)

    return checked
