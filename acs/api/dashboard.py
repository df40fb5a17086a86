"""Signing in to the dashboard: `GET /` (who is signed in), `GET`/`POST /login`, `POST /logout`.

The pages are small server-rendered HTML without any script or inline style. The sign-in
form carries a CSRF token that must match a short-lived cookie (`acs_login_csrf`); a
session's forms carry the session's own token. The session cookie `acs_dashboard` is
`HttpOnly`, `SameSite=Lax`, and `Secure` when the request came over HTTPS.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from acs.api.auth import CHALLENGE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, principal_for
from acs.api.services import Services
from acs.application.access import SESSION_LIFETIME, Credential, SignedIn
from acs.domain.access import Principal, same_token

LOGIN_CSRF_COOKIE = "acs_login_csrf"
LOGIN_CSRF_SECONDS = 3600
FAILED_SIGN_IN_DELAY = 0.5
"""Seconds a wrong password waits before the answer, on top of the hash's own cost."""
_NO_STORE = {"cache-control": "no-store"}

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""

_LOGIN = """{error}<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{csrf}">
<p><label>User <input name="username" autocomplete="username" required autofocus></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password"
required></label></p>
<p><button type="submit">Sign in</button></p>
</form>"""

_HOME = """<p>Signed in as <strong>{name}</strong>, role <strong>{role}</strong>.</p>
<ul>
<li><a href="/schema">The REST API (OpenAPI)</a></li>
</ul>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{csrf}">
<p><button type="submit">Sign out</button></p>
</form>"""


def _html(title: str, body: str, status: int = 200) -> Response[str]:
    page = _PAGE.format(title=html.escape(title), body=body)
    return Response(page, status_code=status, media_type="text/html", headers=_NO_STORE)


def login_page(csrf: str, error: str = "", status: int = 200) -> Response[str]:
    """The sign-in form, with its CSRF token (and an error from the last attempt)."""
    shown = f'<p role="alert">{html.escape(error)}</p>\n' if error else ""
    body = _LOGIN.format(error=shown, csrf=html.escape(csrf))
    return _html("Sign in to the ACS", body, status)


def home_page(principal: Principal) -> Response[str]:
    """Who is signed in, the API's documentation and the sign-out form."""
    body = _HOME.format(
        name=html.escape(principal.name),
        role=html.escape(principal.role.value),
        csrf=html.escape(principal.csrf_token or ""),
    )
    return _html("ACS", body)


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _login_form(
    request: Request[Any, Any, Any], error: str = "", status: int = 200
) -> Response[str]:
    """The form with a fresh CSRF token, set in its cookie as well."""
    csrf = secrets.token_urlsafe(32)
    response = login_page(csrf, error, status)
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


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any], services: Services) -> Response[Any]:
    """The signed-in user's page; the sign-in form when signed out."""
    principal = await _session(request, services)
    if principal is None:
        return Redirect("/login", status_code=303)
    return home_page(principal)


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
    response: Response[Any] = Redirect("/", status_code=303, headers=_NO_STORE)
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
        return _html("Not signed out", "<p>Missing or wrong CSRF token.</p>", 403)
    await services.run(services.access.sign_out, request.cookies[SESSION_COOKIE])
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
