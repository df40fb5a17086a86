"""Operators' authentication on every route: the guard, the actor of commands, 401 and 403.

A request presents an API key (`Authorization: Bearer <key>`) or a dashboard session cookie
(`acs_dashboard`). The guard finds the route's rule (`domain.access.required_role`), the
principal behind the credential (cached a couple of seconds per worker) and, for a cookie
and a method that changes something, the session's CSRF token (`X-CSRF-Token` or the form
field `csrf_token`). The principal is then in the scope for `actor_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar import Litestar, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.exceptions.responses import create_exception_response
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.routes import ASGIRoute, HTTPRoute

from acs.api.services import Services
from acs.application.access import Credential
from acs.domain.access import (
    SAFE_METHODS,
    Principal,
    actor_for,
    bearer_key,
    permits,
    required_role,
    same_token,
)

SESSION_COOKIE = "acs_dashboard"
"""The dashboard session cookie (also accepted on `/api`)."""
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
ACTOR_HEADER = "x-acs-actor"
"""A note scripts add to the actor (`key:ops for alice`)."""
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="acs"'}
MISSING = "an API key (Authorization: Bearer <key>) or a dashboard session is needed"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Coroutine[Any, Any, None]]

SECURITY_COMPONENTS = Components(
    security_schemes={
        "apiKey": SecurityScheme(
            type="http",
            scheme="bearer",
            description="An API key (`acs apikey create`, `POST /api/keys`): "
            "`Authorization: Bearer <key>`.",
        ),
        "session": SecurityScheme(
            type="apiKey",
            name=SESSION_COOKIE,
            security_scheme_in="cookie",
            description="A dashboard session (`POST /login`); methods other than GET and "
            f"HEAD also need its CSRF token in `{CSRF_HEADER}`.",
        ),
    }
)
SECURITY: list[SecurityRequirement] = [{"apiKey": []}, {"session": []}]
"""Every documented operation needs one of the two."""


def credential_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Credential | None:
    """The credential a request presents: a bearer key first, else the session cookie."""
    authorization = connection.headers.get("authorization")
    if authorization is not None:
        key = bearer_key(authorization)
        return None if key is None else Credential("key", key)
    token = connection.cookies.get(SESSION_COOKIE)
    return Credential("session", token) if token else None


async def principal_for(services: Services, credential: Credential) -> Principal | None:
    """The principal behind a credential: this worker's recent answer, else the database's."""
    found, principal = services.access.cached(credential)
    if not found:
        principal = await services.run(services.access.authenticate, credential)
    return principal


def unauthorized(detail: str) -> NotAuthorizedException:
    """A 401 with the challenge that names the scheme."""
    return NotAuthorizedException(detail=detail, headers=CHALLENGE)


def access_guard(services_of: Callable[[], Services]) -> Guard:
    """The guard of every route: public routes pass, the others need a principal whose
    role is enough (403 otherwise) and, with a session cookie, the CSRF token."""

    async def authorize(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
        method = str(connection.scope.get("method", "GET"))
        path = connection.scope["path_template"]
        needed = required_role(method, path)
        if needed is None:
            return
        credential = credential_of(connection)
        if credential is None:
            raise unauthorized(MISSING)
        principal = await principal_for(services_of(), credential)
        if principal is None:
            raise unauthorized("unknown, revoked or expired credential")
        connection.scope["user"] = principal  # also for a page saying what the role lacks
        if not permits(principal.role, needed):
            raise PermissionDeniedException(
                detail=f"{principal.actor} has the role {principal.role}; "
                f"{method} {path} needs {needed}"
            )
        if principal.kind == "user" and method not in SAFE_METHODS:
            await _check_csrf(connection, principal.csrf_token)

    return authorize


async def _check_csrf(connection: ASGIConnection[Any, Any, Any, Any], expected: str | None) -> None:
    given = connection.headers.get(CSRF_HEADER)
    content_type = connection.headers.get("content-type", "")
    if not given and isinstance(connection, Request) and content_type.startswith(_FORMS):
        value = (await connection.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same_token(expected, given):
        raise PermissionDeniedException(
            detail=f"missing or wrong CSRF token: send the session's token in {CSRF_HEADER}"
        )


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the guard admitted."""
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise unauthorized(MISSING)
    return principal


def actor_of(request: Request[Any, Any, Any]) -> str:
    """The actor of a command (a dependency): the principal, with `X-ACS-Actor` as a note."""
    return actor_for(principal_of(request), request.headers.get(ACTOR_HEADER))


def needs_credentials(path: str) -> bool:
    """Whether a request path is one of the operators' (`/api/...`, `/metrics`)."""
    return path in ("/api", "/metrics") or path.startswith("/api/")


def unmatched(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """404 and 405 answers: on operators' paths a request without any credential gets 401,
    so that what exists is not told to anonymous callers."""
    if needs_credentials(request.url.path) and credential_of(request) is None:
        return create_exception_response(request, unauthorized(MISSING))
    return create_exception_response(request, exc)


def check_rules(app: Litestar) -> None:
    """Every method of every route has an access rule (`NoAccessRuleError` otherwise)."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.methods:
                required_role(method, route.path_format)
        elif isinstance(route, ASGIRoute):  # a plain ASGI handler names its methods in `opt`
            for method in route.route_handler.opt.get("http_methods", ()):
                required_role(method, route.path_format)
