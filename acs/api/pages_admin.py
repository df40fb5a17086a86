"""The dashboard's access pages, `/keys` and `/users` (admins only), and what every
configuration page shares: the form's fields, the message after an action, a form's error.

A change is a form POST that the guard admits (the route's role, the session's CSRF token);
it goes through the same service calls as the REST API and ends with a redirect to the list
(`?created=NAME`, `?deleted=NAME`, shown as a message), or with the form again, its error on
it, when the service refused. A key is shown once, on the page that answers its creation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from acs.adapters.access_store import NameTakenError
from acs.api.services import Services
from acs.api.web import NO_STORE, PAGE_DEPENDENCIES, page
from acs.application.access import NewKey
from acs.domain.access import AccessError, Principal, Role
from acs.domain.passwords import PasswordError

AnyRequest = Request[Any, Any, Any]


class FormError(ValueError):
    """A form field that cannot be read (a number that is not one, a line without `=`)."""


async def form_of(request: AnyRequest) -> dict[str, str]:
    """A form's text fields (the last value of each)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def lines(text: str) -> list[str]:
    """The non-empty lines of a text area, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def pairs(text: str, what: str) -> dict[str, str]:
    """`name = value` lines as a mapping (split at the first `=`)."""
    found = {}
    for line in lines(text):
        name, separator, value = line.partition("=")
        if not separator or not name.strip():
            raise FormError(f"{what}: write one 'name = value' per line, not {line!r}")
        found[name.strip()] = value.strip()
    return found


def number(text: str, what: str, kind: type[int] | type[float] = int) -> Any:
    """A form's number field, else `FormError`."""
    try:
        return kind(text.strip())
    except ValueError:
        raise FormError(f"{what} must be a number, not {text!r}") from None


def after(path: str, **outcome: str) -> Redirect:
    """The redirect that ends a successful change: back to the list, saying what was done."""
    target = f"{path}?{urlencode(outcome)}" if outcome else path
    return Redirect(target, status_code=303, headers=NO_STORE)


def flash(request: AnyRequest, messages: dict[str, str]) -> str:
    """The message of the action a redirect reported (`?created=alice`: "User alice …")."""
    for outcome, message in messages.items():
        name = request.query_params.get(outcome)
        if name:
            return message.format(name)
    return ""


_KEY_MESSAGES = {"revoked": "Key {} revoked: it is refused from now on."}
_USER_MESSAGES = {
    "created": "User {} created.",
    "deleted": "User {} deleted; their sessions have ended.",
}


async def _keys(
    request: AnyRequest,
    services: Services,
    principal: Principal,
    *,
    status: int = 200,
    error: str = "",
    form: dict[str, str] | None = None,
    new_key: NewKey | None = None,
) -> Template:
    keys = await services.run(services.access.keys)
    return page(request, principal, "admin_keys.html", status_code=status, keys=keys,
                roles=[r.value for r in Role], error=error, form=form or {}, new_key=new_key,
                flash=flash(request, _KEY_MESSAGES))  # fmt: skip


@get("/keys", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def keys_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """The API keys (never the keys themselves), a form to create one, revoke buttons."""
    return await _keys(request, services, principal)


@post("/keys", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def create_key(
    request: AnyRequest, services: Services, principal: Principal, actor: str
) -> Template:
    """Create a key and show it, this once."""
    form = await form_of(request)
    name, role = form.get("name", "").strip(), form.get("role", "")
    try:
        made = await services.run(services.access.create_key, name, role, actor)
    except AccessError as exc:
        return await _keys(request, services, principal, status=400, error=str(exc), form=form)
    except NameTakenError as exc:
        return await _keys(request, services, principal, status=409, error=str(exc), form=form)
    return await _keys(request, services, principal, status=201, new_key=made)


@post("/keys/{name:str}/revoke", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def revoke_key(
    request: AnyRequest, services: Services, principal: Principal, name: str, actor: str
) -> Template | Redirect:
    """Revoke a key."""
    if not await services.run(services.access.revoke_key, name, actor):
        error = f"There is no active key {name}."
        return await _keys(request, services, principal, status=404, error=error)
    return after("/keys", revoked=name)


async def _users(
    request: AnyRequest,
    services: Services,
    principal: Principal,
    *,
    status: int = 200,
    error: str = "",
    form: dict[str, str] | None = None,
) -> Template:
    users = await services.run(services.access.users)
    shown = {k: v for k, v in (form or {}).items() if k != "password"}
    return page(request, principal, "admin_users.html", status_code=status, users=users,
                roles=[r.value for r in Role], error=error, form=shown,
                flash=flash(request, _USER_MESSAGES))  # fmt: skip


@get("/users", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def users_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """The dashboard's users, a form to create one, delete buttons."""
    return await _users(request, services, principal)


@post("/users", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def create_user(
    request: AnyRequest, services: Services, principal: Principal, actor: str
) -> Template | Redirect:
    """Create a user."""
    form = await form_of(request)
    fields = form.get("name", "").strip(), form.get("role", ""), form.get("password", "")
    try:
        made = await services.run(services.access.create_user, *fields, actor)
    except (AccessError, PasswordError) as exc:
        return await _users(request, services, principal, status=400, error=str(exc), form=form)
    except NameTakenError as exc:
        return await _users(request, services, principal, status=409, error=str(exc), form=form)
    return after("/users", created=made.name)


@post("/users/{name:str}/delete", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def delete_user(
    request: AnyRequest, services: Services, principal: Principal, name: str, actor: str
) -> Template | Redirect:
    """Delete a user; their sessions end at once."""
    if not await services.run(services.access.delete_user, name, actor):
        return await _users(request, services, principal, status=404, error=f"No user {name}.")
    return after("/users", deleted=name)


PAGES = [keys_page, create_key, revoke_key, users_page, create_user, delete_user]
"""The routes of the access pages."""
