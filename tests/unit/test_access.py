"""Operators' access rules: roles, the rule of every route, actors, keys, the cache, headers."""

from __future__ import annotations

import hashlib

import pytest
from litestar import Litestar, get

from acs.adapters.settings import Settings
from acs.api.app import create_app
from acs.api.auth import check_rules
from acs.api.secure_headers import CONTENT_SECURITY_POLICY, headers_for
from acs.application.access import PrincipalCache
from acs.domain.access import (
    ROUTES,
    AccessError,
    NoAccessRuleError,
    Principal,
    Role,
    actor_for,
    bearer_key,
    checked_key,
    checked_name,
    checked_role,
    digest,
    is_public,
    new_key,
    permits,
    required_role,
    same_token,
)

KEY = Principal("key", "ops", Role.OPERATOR)


def app_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route the ACS serves."""
    app = create_app(Settings(), "postgresql://unused")
    return sorted(
        (method, route.path_format)
        for route in app.routes
        for method in getattr(route, "methods", ())
    )


def test_roles_are_ordered_viewer_operator_admin() -> None:
    assert permits(Role.ADMIN, Role.OPERATOR) and permits(Role.OPERATOR, Role.VIEWER)
    assert permits(Role.VIEWER, Role.VIEWER)
    assert not permits(Role.VIEWER, Role.OPERATOR)
    assert not permits(Role.OPERATOR, Role.ADMIN)


def test_every_route_of_the_app_has_an_access_rule() -> None:
    for method, path in app_routes():
        required_role(method, path)  # raises NoAccessRuleError without a rule


def test_the_rules_name_only_routes_the_app_serves() -> None:
    served = {path for _, path in app_routes()}
    assert set(ROUTES) <= served, sorted(set(ROUTES) - served)
    operators = {p for p in served if p.startswith("/api") or p == "/metrics"}
    assert operators <= set(ROUTES)
    assert {p for p in served if not is_public(p)} == set(ROUTES), "the API's and the pages'"


def test_a_route_without_a_rule_stops_the_app_from_starting() -> None:
    @get("/api/new-thing")
    async def new_thing() -> str:
        return ""

    with pytest.raises(NoAccessRuleError, match="/api/new-thing"):
        check_rules(Litestar([new_thing]))


def test_a_method_without_a_rule_is_refused_too() -> None:
    with pytest.raises(NoAccessRuleError, match="POST /api/stats"):
        required_role("POST", "/api/stats")


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/devices", Role.VIEWER),
        ("GET", "/metrics", Role.VIEWER),
        ("POST", "/api/devices/{device_id}/tasks", Role.OPERATOR),
        ("PUT", "/api/devices/{device_id}/tags/{tag}", Role.OPERATOR),
        ("POST", "/api/bulk", Role.OPERATOR),
        ("PUT", "/api/devices/{device_id}/connection-request-credentials", Role.OPERATOR),
        ("POST", "/api/presets", Role.ADMIN),
        ("GET", "/api/presets", Role.VIEWER),
        ("DELETE", "/api/files/{file_id}", Role.ADMIN),
        ("POST", "/api/webhooks", Role.ADMIN),
        ("POST", "/api/campaigns/{campaign_id}/pause", Role.ADMIN),
        ("GET", "/api/keys", Role.ADMIN),
        ("GET", "/api/users", Role.ADMIN),
        ("DELETE", "/api/keys/{name}", Role.ADMIN),
    ],
)
def test_reads_need_a_viewer_device_actions_an_operator_configuration_an_admin(
    method: str, path: str, role: Role
) -> None:
    assert required_role(method, path) is role


@pytest.mark.parametrize(
    "path",
    [
        "/cwmp",
        "/uploads/{aggregate}/{task_id}/{signature}",
        "/files/{file_id}/{task_id}/{signature}",
        "/schema",
        "/schema/openapi.json",
        "/login",
        "/logout",
        "/static/{file_path}",
    ],
)
def test_cpe_endpoints_the_openapi_document_and_the_sign_in_pages_are_public(path: str) -> None:
    assert is_public(path)
    assert required_role("GET", path) is None


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/", Role.VIEWER),
        ("GET", "/devices", Role.VIEWER),
        ("GET", "/devices/{device_id}", Role.VIEWER),
        ("GET", "/devices/{device_id}/history", Role.VIEWER),
        ("POST", "/devices/{device_id}/tasks", Role.OPERATOR),
        ("POST", "/bulk", Role.OPERATOR),
    ],
)
def test_dashboard_pages_need_a_viewer_and_their_changes_an_operator(
    method: str, path: str, role: Role
) -> None:
    assert not is_public(path)
    assert required_role(method, path) is role


def test_operator_paths_are_not_public_and_preflights_need_nothing() -> None:
    assert not is_public("/api/devices")
    assert not is_public("/schemas")
    assert required_role("OPTIONS", "/api/keys") is None


def test_the_actor_is_the_principal_with_the_scripts_note() -> None:
    assert actor_for(KEY) == "key:ops"
    assert actor_for(KEY, "alice") == "key:ops for alice"
    assert actor_for(Principal("user", "bob", Role.ADMIN, "t"), " ") == "user:bob"
    assert actor_for(KEY, "a\nb") == "key:ops for a b"
    assert len(actor_for(KEY, "x" * 500)) == 200


def test_names_roles_and_chosen_keys_are_checked() -> None:
    assert checked_name("ops-team_1@example.net") == "ops-team_1@example.net"
    for bad in ("", "-x", "a b", "x" * 65, "é"):
        with pytest.raises(AccessError):
            checked_name(bad)
    assert checked_role("operator") is Role.OPERATOR
    with pytest.raises(AccessError, match="viewer, operator, admin"):
        checked_role("root")
    with pytest.raises(AccessError):
        checked_key("short")
    with pytest.raises(AccessError):
        checked_key("a key with spaces in it")
    assert checked_key("k" * 20) == "k" * 20


def test_keys_are_prefixed_and_stored_as_their_sha256() -> None:
    key = new_key("abc")
    assert key == "acs_abc"
    assert digest(key) == hashlib.sha256(b"acs_abc").hexdigest()


def test_only_bearer_authorization_headers_carry_a_key() -> None:
    assert bearer_key("Bearer acs_x") == "acs_x"
    assert bearer_key("bearer   acs_x ") == "acs_x"
    assert bearer_key("Basic dXNlcjpwYXNz") is None
    assert bearer_key("Bearer") is None
    assert bearer_key("") is None


def test_csrf_tokens_match_only_when_equal_and_present() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abc", "abd")
    assert not same_token("abc", None)
    assert not same_token(None, None)
    assert not same_token("", "")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_principal_cache_forgets_after_its_ttl_and_when_cleared() -> None:
    clock = Clock()
    cache = PrincipalCache(ttl=2.0, size=10, clock=clock)
    assert cache.get(("key", "h")) == (False, None)
    cache.put(("key", "h"), KEY)
    cache.put(("key", "unknown"), None)
    assert cache.get(("key", "h")) == (True, KEY)
    assert cache.get(("key", "unknown")) == (True, None)
    clock.now += 2.0
    assert cache.get(("key", "h")) == (False, None)
    cache.put(("key", "h"), KEY)
    cache.clear()
    assert cache.get(("key", "h")) == (False, None)


def test_the_principal_cache_is_bounded() -> None:
    cache = PrincipalCache(ttl=60.0, size=3, clock=Clock())
    for n in range(5):
        cache.put(("key", str(n)), KEY)
    assert [cache.get(("key", str(n)))[0] for n in range(5)] == [False, False, True, True, True]


def test_dashboard_pages_get_a_csp_without_inline_code_and_no_framing() -> None:
    page = headers_for("/login", "text/html; charset=utf-8")
    assert page["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert page["x-frame-options"] == "DENY"
    assert page["referrer-policy"] == "no-referrer"
    assert headers_for("/api/stats", "application/json") == {"x-content-type-options": "nosniff"}
    docs = headers_for("/schema/swagger", "text/html")
    assert "content-security-policy" not in docs and docs["x-frame-options"] == "DENY"
