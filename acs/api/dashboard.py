"""Signing in to the dashboard: `GET`/`POST /login`, `POST /logout`.

The sign-in form is a template of the dashboard (`login.html`); after signing in the browser
goes back to the page it came from (`next`, a path of this site only). The sign-in
form carries a CSRF token that must match a short-lived cookie (`acs_login_csrf`); a
session's forms carry the session's own token. The session cookie `acs_dashboard` is
`HttpOnly`, `SameSite=Lax`, and `Secure` when the request came over HTTPS.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from acs.api.auth import CHALLENGE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, principal_for
from acs.api.services import Services
from acs.api.web import NO_STORE, page, safe_next
from acs.application.access import SESSION_LIFETIME, Credential, SignedIn
from acs.domain.access import Principal, same_token

LOGIN_CSRF_COOKIE = "acs_login_csrf"
LOGIN_CSRF_SECONDS = 3600
FAILED_SIGN_IN_DELAY = 0.5
"""Seconds a wrong password waits before the answer, on top of the hash's own cost."""


def login_page(
    request: Request[Any, Any, Any], csrf: str, error: str = "", status: int = 200
) -> Response[Any]:
    """The sign-in form, with its CSRF token (and an error from the last attempt)."""
    target = safe_next(request.query_params.get("next"))
    return page(request, None, "login.html", status_code=status, login_csrf=csrf, error=error,
                next=target)  # fmt: skip


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _login_form(
    request: Request[Any, Any, Any], error: str = "", status: int = 200
) -> Response[Any]:
    """The form with a fresh CSRF token, set in its cookie as well."""
    csrf = secrets.token_urlsafe(32)
    response = login_page(request, csrf, error, status)
    if status == 401:
        response.headers.update(CHALLENGE)
    response.set_cookie(
        Cookie(
            key=LOGIN_CSRF_COOKIE,
            value=csrf,
            max_age=LOGIN_CSRF_SECONDS,
            path="/login",
            secure=_secure(request),
            httponly=True,
            samesite="strict",
        )
    )
    return response


def _session_cookie(request: Request[Any, Any, Any], signed: SignedIn) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=signed.token, path="/", secure=_secure(request),
                  max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                  samesite="lax")  # fmt: skip


async def _session(request: Request[Any, Any, Any], services: Services) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await principal_for(services, Credential("session", token))


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], services: Services) -> Response[Any]:
    """The sign-in form (already signed in: the home page)."""
    if await _session(request, services) is not None:
        return Redirect("/", status_code=303)
    return _login_form(request)


@post("/login", include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any], services: Services) -> Response[Any]:
    """Check the form's CSRF token and the password; then a new session and its cookie."""
    form = await _form(request)
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get(CSRF_FIELD)):
        return _login_form(request, "The form expired; please sign in again.", 403)
    signed = await services.run(
        services.access.sign_in, form.get("username", ""), form.get("password", "")
    )
    if signed is None:
        await asyncio.sleep(FAILED_SIGN_IN_DELAY)
        return _login_form(request, "Wrong user name or password.", 401)
    target = safe_next(request.query_params.get("next"))
    response: Response[Any] = Redirect(target, status_code=303, headers=NO_STORE)
    response.set_cookie(_session_cookie(request, signed))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any], services: Services) -> Response[Any]:
    """End the session (its CSRF token is required) and go back to the sign-in form."""
    principal = await _session(request, services)
    response: Response[Any] = Redirect("/login", status_code=303)
    if principal is None:
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    given = request.headers.get(CSRF_HEADER) or (await _form(request)).get(CSRF_FIELD)
    if not same_token(principal.csrf_token, given):
        detail = "Not signed out: missing or wrong CSRF token."
        return page(request, principal, "forbidden.html", status_code=403, detail=detail)
    await services.run(services.access.sign_out, request.cookies[SESSION_COOKIE])
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
