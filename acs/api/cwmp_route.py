"""`/cwmp` reached without Litestar's router: the served application in front of the app.

Every CPE request goes to `/cwmp`, and for a request that small the router's work (host
check, route lookup, the guard, the exception middleware around each layer, the send
wrapper) costs about as much as the session step's own Python code. `with_cwmp_route` sends
a request for exactly `/cwmp` straight to the same handler through the same middlewares and
exception handlers, and everything else to the app. What the router would have put in the
scope is put there, so the middlewares and handlers see no difference; the guard is skipped,
which is why `/cwmp` must be a public route (CPE authentication is the session's own).
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar
from litestar._asgi.utils import is_valid_host
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, LitestarException
from litestar.exceptions.responses import create_exception_response
from litestar.handlers import ASGIRouteHandler
from litestar.middleware._internal.exceptions.middleware import get_exception_handler
from litestar.response import Response
from litestar.routes import ASGIRoute
from litestar.types import ASGIApp, ExceptionHandlersMap, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from acs.api.cwmp import CWMP_PATH
from acs.domain.access import is_public


def with_cwmp_route(app: Litestar) -> ASGIApp:
    """The app, with `/cwmp` requests served by its handler directly."""
    handler = _cwmp_handler(app)
    if not is_public(CWMP_PATH) or app.before_send:
        raise LitestarException(f"{CWMP_PATH} must be public and no send hook may be set")
    handlers = handler.resolve_exception_handlers()
    served: ASGIApp = _rendering_errors(handler.fn, handlers)
    for middleware in handler.resolve_middleware():  # as Litestar stacks them, outermost last
        if isinstance(middleware, tuple):
            factory, options = cast("tuple[Any, dict[str, Any]]", middleware)
            served = factory(app=served, **options)
        else:
            served = cast("Any", middleware)(app=served)
    served = _rendering_errors(_checking_host(served), handlers)

    async def front(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] != CWMP_PATH or scope.get("root_path"):
            await app(scope, receive, send)
            return
        scope["app"] = scope["litestar_app"] = app
        scope.setdefault("state", {})
        scope["path_params"] = {}
        scope["route_handler"] = handler
        scope["path_template"] = CWMP_PATH
        ScopeState.from_scope(scope).exception_handlers = handlers
        await served(scope, receive, send)

    return front


def _cwmp_handler(app: Litestar) -> ASGIRouteHandler:
    for route in app.routes:
        if isinstance(route, ASGIRoute) and route.path == CWMP_PATH:
            return route.route_handler
    raise LitestarException(f"no ASGI handler at {CWMP_PATH}")


def _checking_host(inner: ASGIApp) -> ASGIApp:
    """`inner`, behind the router's check of the Host header."""

    async def checking(scope: Scope, receive: Receive, send: Send) -> None:
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        if host is not None and not is_valid_host(host):
            raise ClientException("Invalid host header")
        await inner(scope, receive, send)

    return checking


def _rendering_errors(inner: ASGIApp, handlers: ExceptionHandlersMap) -> ASGIApp:
    """`inner`, with an exception answered as the app's exception handlers answer it. One
    sits inside the middlewares, so that their send wrappers see the error response, and one
    outside, for what the middlewares raise themselves (as Litestar places its own)."""

    async def rendering(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await inner(scope, receive, send)
        except Exception as exc:
            await _render(scope, receive, send, exc, handlers)

    return rendering


async def _render(
    scope: Scope, receive: Receive, send: Send, exc: Exception, handlers: ExceptionHandlersMap
) -> None:
    app: Litestar = scope["litestar_app"]
    request = app.request_class(scope=scope, receive=receive, send=send)
    handler = get_exception_handler(handlers, exc) or create_exception_response
    response: Response[Any] = handler(request, exc)
    encoders = scope["route_handler"].resolve_type_encoders()
    await response.to_asgi_response(app=None, request=request, type_encoders=encoders)(
        scope, receive, send
    )
