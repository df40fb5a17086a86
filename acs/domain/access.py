"""Operators' access: roles, who a credential belongs to, and the role each route needs.

Roles are ordered: `viewer` reads, `operator` also acts on devices (tasks, tags, bulk
operations, connection requests), `admin` also configures the ACS (presets, files, webhooks,
campaigns, API keys, users). Every route the ACS serves has a rule here, or is public (the
CPE-facing endpoints, which check their own signatures, the OpenAPI document and the sign-in
pages); `create_app` refuses to start with a route that has neither.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import StrEnum

import msgspec


class Role(StrEnum):
    """What an operator may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


class AccessError(ValueError):
    """A name, role or credential operators may not use."""


class NoAccessRuleError(LookupError):
    """A route with no access rule: add one to `ROUTES` or `PUBLIC_ROUTES`."""


def permits(role: Role, needed: Role) -> bool:
    """Whether an operator with `role` may call a route that needs `needed`."""
    return _RANK[role] >= _RANK[needed]


def checked_role(text: str) -> Role:
    """The role named `text` (`viewer`, `operator`, `admin`), else `AccessError`."""
    try:
        return Role(text)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise AccessError(f"unknown role {text!r}: use one of {roles}") from None


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def checked_name(name: str) -> str:
    """A key or user name: 1 to 64 characters of `A-Z a-z 0-9 _ . @ -`, not starting with
    a punctuation mark; else `AccessError`."""
    if not _NAME.fullmatch(name):
        raise AccessError(
            f"invalid name {name!r}: use 1 to 64 characters of A-Z a-z 0-9 _ . @ - "
            "(starting with a letter or digit)"
        )
    return name


class Principal(msgspec.Struct, frozen=True):
    """Who a request comes from: an API key or a signed-in dashboard user."""

    kind: str
    """`key` or `user`."""
    name: str
    role: Role
    csrf_token: str | None = None
    """A dashboard session's CSRF token (None for API keys, which need none)."""

    @property
    def actor(self) -> str:
        """How events name this principal: `key:<name>` or `user:<name>`."""
        return f"{self.kind}:{self.name}"


MAX_ACTOR = 200


def actor_for(principal: Principal, note: str | None = None) -> str:
    """The actor recorded in an event: the principal, and the note a script added
    (`X-ACS-Actor`) after `for` (`key:ops for alice`)."""
    note = " ".join((note or "").split())
    actor = f"{principal.actor} for {note}" if note else principal.actor
    return actor[:MAX_ACTOR]


KEY_PREFIX = "acs_"
"""Generated API keys start with this, so that they are recognisable in configs and logs."""
MIN_KEY_LENGTH = 20
"""The shortest key accepted (`ACS_BOOTSTRAP_API_KEY`): keys are stored with a fast hash,
which only high-entropy keys make safe."""


def new_key(token: str) -> str:
    """An API key from a random URL-safe token (`secrets.token_urlsafe(32)`)."""
    return KEY_PREFIX + token


def checked_key(key: str) -> str:
    """A key an operator chose (`ACS_BOOTSTRAP_API_KEY`): long enough, printable, no spaces."""
    if len(key) < MIN_KEY_LENGTH or not key.isprintable() or any(c.isspace() for c in key):
        raise AccessError(
            f"an API key needs at least {MIN_KEY_LENGTH} printable characters without spaces"
        )
    return key


def digest(secret: str) -> str:
    """The SHA-256 (hex) an API key or session token is stored and looked up as."""
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_key(authorization: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, None for any other header."""
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def same_token(expected: str | None, given: str | None) -> bool:
    """Whether a CSRF token matches, in constant time."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: no CSRF token needed, reads need only `viewer`."""


class Rule(msgspec.Struct, frozen=True):
    """The role a route needs: `read` for GET and HEAD, `write` for the other methods
    (None: the route has no such method)."""

    read: Role | None = None
    write: Role | None = None


_V, _O, _A = Role.VIEWER, Role.OPERATOR, Role.ADMIN

ROUTES: dict[str, Rule] = {
    "/metrics": Rule(read=_V),
    "/api/stats": Rule(read=_V),
    "/api/status/projections": Rule(read=_V),
    "/api/tasks/{task_id}": Rule(read=_V),
    "/api/devices": Rule(read=_V),
    "/api/devices/{device_id}": Rule(read=_V),
    "/api/devices/{device_id}/parameters": Rule(read=_V),
    "/api/devices/{device_id}/parameters/history": Rule(read=_V),
    "/api/devices/{device_id}/events": Rule(read=_V),
    "/api/devices/{device_id}/tasks": Rule(read=_V, write=_O),
    "/api/devices/{device_id}/reboot": Rule(write=_O),
    "/api/devices/{device_id}/factory-reset": Rule(write=_O),
    "/api/devices/{device_id}/tags/{tag}": Rule(write=_O),
    "/api/devices/{device_id}/connection-request-credentials": Rule(write=_O),
    "/api/devices/{device_id}/cwmp-credentials": Rule(read=_O, write=_O),
    "/api/bulk": Rule(write=_O),
    "/api/bulk/{bulk_id}": Rule(read=_V),
    "/api/presets": Rule(read=_V, write=_A),
    "/api/presets/{name}": Rule(read=_V, write=_A),
    "/api/files": Rule(read=_V, write=_A),
    "/api/files/{file_id}": Rule(read=_V, write=_A),
    "/api/files/{file_id}/content": Rule(read=_V),
    "/api/webhooks": Rule(read=_V, write=_A),
    "/api/webhooks/{webhook_id}": Rule(read=_V, write=_A),
    "/api/campaigns": Rule(read=_V, write=_A),
    "/api/campaigns/{campaign_id}": Rule(read=_V),
    "/api/campaigns/{campaign_id}/devices": Rule(read=_V),
    "/api/campaigns/{campaign_id}/pause": Rule(write=_A),
    "/api/campaigns/{campaign_id}/resume": Rule(write=_A),
    "/api/keys": Rule(read=_A, write=_A),
    "/api/keys/{name}": Rule(write=_A),
    "/api/users": Rule(read=_A, write=_A),
    "/api/users/{name}": Rule(write=_A),
    # the dashboard's pages: reading needs a viewer, what their forms change the API's role
    "/": Rule(read=_V),
    "/fragments/overview": Rule(read=_V),
    "/devices": Rule(read=_V),
    "/fragments/devices": Rule(read=_V),
    "/fragments/devices/total": Rule(read=_V),
    "/bulk": Rule(write=_O),
    "/bulk/{bulk_id}": Rule(read=_V),
    "/devices/{device_id}": Rule(read=_V),
    "/devices/{device_id}/tasks": Rule(read=_V, write=_O),
    "/devices/{device_id}/timeline": Rule(read=_V),
    "/devices/{device_id}/history": Rule(read=_V),
    "/devices/{device_id}/at": Rule(read=_V),
    # the configuration pages: viewers read what the API lets them read, admins change
    "/presets": Rule(read=_V, write=_A),
    "/presets/{name}": Rule(read=_V, write=_A),
    "/presets/{name}/delete": Rule(write=_A),
    "/files": Rule(read=_V, write=_A),
    "/files/{file_id}/delete": Rule(write=_A),
    "/campaigns": Rule(read=_V, write=_A),
    "/campaigns/{campaign_id}/pause": Rule(write=_A),
    "/campaigns/{campaign_id}/resume": Rule(write=_A),
    "/webhooks": Rule(read=_V, write=_A),
    "/webhooks/{webhook_id}/delete": Rule(write=_A),
    "/keys": Rule(read=_A, write=_A),
    "/keys/{name}/revoke": Rule(write=_A),
    "/users": Rule(read=_A, write=_A),
    "/users/{name}/delete": Rule(write=_A),
}
"""Every operator route (by its path template) and the role each of its methods needs."""

PUBLIC_ROUTES = frozenset(
    {
        "/cwmp",
        "/uploads/{aggregate}/{task_id}/{signature}",
        "/files/{file_id}/{task_id}/{signature}",
        "/login",
        "/logout",
        "/static/{file_path}",
        "/health",
        "/ready",
    }
)
"""Routes without operator credentials: CPEs' endpoints (checked by their own signatures),
the sign-in pages (which check the session themselves), the dashboard's static assets and
the liveness and readiness checks."""
PUBLIC_PREFIX = "/schema"
"""The OpenAPI document and its viewers."""


def is_public(path: str) -> bool:
    """Whether the route template `path` answers without operator credentials."""
    return path in PUBLIC_ROUTES or path == PUBLIC_PREFIX or path.startswith(PUBLIC_PREFIX + "/")


def required_role(method: str, path: str) -> Role | None:
    """The least role that may call `method` on the route template `path`; None when the
    route is public (or the method is OPTIONS); `NoAccessRuleError` when no rule says."""
    if is_public(path) or method == "OPTIONS":
        return None
    rule = ROUTES.get(path)
    if rule is None:
        raise NoAccessRuleError(f"no access rule for {path}: add it to acs/domain/access.py")
    role = rule.read if method in SAFE_METHODS else rule.write
    if role is None:
        raise NoAccessRuleError(f"no access rule for {method} {path}")
    return role
