"""What every dashboard page shares: templates, static assets, the signed-in principal.

Pages are Jinja templates in `acs/api/templates/` that extend `layout.html`; `page` renders
one with what the layout needs (the principal, the CSRF token, the navigation). Page routes
have an access rule like any route (`domain/access.py`), so the guard admits the principal
before the handler runs; a signed-out browser is sent to `/login?next=…` instead of a 401.
Static assets are served from `acs/api/static/` at `/static/`, cached for a year: their URLs
carry a hash of the file (`static_url`), so a new version is a new URL.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.exceptions.responses import create_exception_response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from acs.api.auth import principal_of
from acs.domain.access import Principal, Role, permits

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
NO_STORE = {"cache-control": "no-store"}
YEAR = 365 * 24 * 3600


class NavLink(msgspec.Struct, frozen=True):
    """A link of the header's navigation, shown to roles at least `role`."""

    label: str
    href: str
    role: Role = Role.VIEWER


NAV = (
    NavLink("Overview", "/"),
    NavLink("Devices", "/devices"),
    NavLink("Presets", "/presets"),
    NavLink("Files", "/files"),
    NavLink("Campaigns", "/campaigns"),
    NavLink("Webhooks", "/webhooks"),
    NavLink("API keys", "/keys", Role.ADMIN),
    NavLink("Users", "/users", Role.ADMIN),
)
"""The pages of the dashboard, in the header's order."""


@cache
def static_url(name: str) -> str:
    """The URL of a static asset, with a hash of its content that changes with it."""
    content = (STATIC / name).read_bytes()
    return f"{STATIC_PREFIX}/{name}?v={hashlib.sha256(content).hexdigest()[:12]}"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A moment as people say it: `12 s ago`, `5 min ago`, `3 h ago`, `4 d ago`."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 0:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def instant(moment: datetime | None) -> str:
    """A moment in UTC to the second, for tables (`2026-03-01 12:05:01`)."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def device_url(device_id: str) -> str:
    """A device page's path: the id percent-encoded once more, as the API's paths take it."""
    return "/devices/" + quote(device_id, safe="")


def query(items: list[tuple[str, str]], **changes: str | None) -> str:
    """A query string from pairs, with keys replaced (or removed when None)."""
    kept = [(k, v) for k, v in items if k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(kept)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static_url=static_url, device_url=device_url, nav_links=NAV)
    env.filters.update(ago=ago, instant=instant)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The template engine of the dashboard (autoescaped Jinja)."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def static_router() -> Router:
    """`/static/…`: the dashboard's CSS, scripts and vendored libraries, cached a year."""
    return create_static_files_router(
        path=STATIC_PREFIX,
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=YEAR, public=True, immutable=True),
        include_in_schema=False,
    )


def signed_in(request: Request[Any, Any, Any]) -> Principal:
    """The principal of a page (a dependency): the guard admitted it already."""
    return principal_of(request)


PAGE_DEPENDENCIES = {"principal": Provide(signed_in, sync_to_thread=False)}
"""Dependencies every page handler may ask for: `principal`."""


def layout_context(principal: Principal | None, path: str = "/") -> dict[str, Any]:
    """What `layout.html` needs: who is signed in, the CSRF token, the navigation."""
    role = principal.role if principal is not None else None
    return {
        "principal": principal,
        "csrf_token": (principal.csrf_token or "") if principal is not None else "",
        "is_admin": role is not None and permits(role, Role.ADMIN),
        "can_operate": role is not None and permits(role, Role.OPERATOR),
        "nav": [link for link in NAV if role is not None and permits(role, link.role)],
        "current_path": path,
    }


def page(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A page (or fragment) rendered for the signed-in principal, never cached."""
    return Template(
        template_name=template,
        context={**layout_context(principal, request.url.path), **context},
        status_code=status_code,
        headers=NO_STORE,
    )


def is_page(path: str) -> bool:
    """Whether a path is one of the dashboard's pages (not the API, CPEs' routes or assets)."""
    prefixes = ("/api/", "/static/", "/schema", "/cwmp", "/files/", "/uploads/")
    return path not in ("/api", "/metrics") and not path.startswith(prefixes)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (else `/`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_redirect(connection: ASGIConnection[Any, Any, Any, Any]) -> Response[Any]:
    """Signed out on a page: to the sign-in form, which comes back here afterwards."""
    here = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    target = "/login" if here == "/" else "/login?" + urlencode({"next": here})
    if connection.headers.get("hx-request"):
        return Response("", status_code=401, headers={"HX-Redirect": target, **NO_STORE})
    return Redirect(target, status_code=303, headers=NO_STORE)


def page_errors(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """401 and 403 on a page: the sign-in form, or a page saying what the role lacks; on
    other paths the usual JSON answer."""
    if not is_page(request.url.path):
        return create_exception_response(request, exc)
    if isinstance(exc, NotAuthorizedException):
        return login_redirect(request)
    detail = exc.detail if isinstance(exc, PermissionDeniedException) else "forbidden"
    principal = request.scope.get("user")
    shown = principal if isinstance(principal, Principal) else None
    return page(request, shown, "forbidden.html", status_code=403, detail=detail)
