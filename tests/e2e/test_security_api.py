"""Operators' authentication on the real server: 401 without a credential, the role matrix
of every route, the actor recorded from the key, security headers, the OpenAPI scheme."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from acs.adapters.settings import Settings
from acs.api.app import create_app
from acs.api.auth import needs_credentials
from acs.domain.access import Role, permits, required_role
from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

PARAMS = {"device_id": "00AABB-Box-NONE", "tag": "lab", "name": "nobody"}
"""What fills a route template's parameters (every other one: `none`)."""


def operator_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API route that needs operators' credentials (the
    dashboard's pages send a signed-out browser to the sign-in form instead, and answer in
    HTML: tests/e2e/test_dashboard_pages.py)."""
    app = create_app(Settings(), "postgresql://unused")
    routes = [
        (method, route.path_format)
        for route in app.routes
        for method in sorted(getattr(route, "methods", ()))
        if method != "OPTIONS"
    ]
    needed = [(m, p) for m, p in routes if required_role(m, p) is not None]
    return sorted((m, p) for m, p in needed if needs_credentials(p))


ROUTES = operator_routes()


def concrete(template: str) -> str:
    """A request path for a route template."""
    return re.sub(r"\{(\w+)\}", lambda m: quote(PARAMS.get(m.group(1), "none"), safe=""), template)


def call(client: httpx.Client, method: str, template: str) -> httpx.Response:
    """A minimal request: enough to pass or fail the guard, not necessarily valid."""
    body = {} if method not in ("GET", "HEAD", "DELETE") else None
    return client.request(method, concrete(template), json=body)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(api: httpx.Client) -> dict[Role, str]:
    """A key of each role, made by the bootstrap admin key."""
    made = {}
    for role in Role:
        reply = api.post("/api/keys", json={"name": f"{role}-key", "role": role})
        assert reply.status_code == 201, reply.text
        made[role] = reply.json()["key"]
    return made


@pytest.fixture
def anonymous(acs_server: AcsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=acs_server.url, trust_env=False, timeout=10) as client:
        yield client


def assert_unauthorized(reply: httpx.Response) -> None:
    assert reply.status_code == 401, (reply.request.method, reply.request.url, reply.text)
    assert reply.headers["www-authenticate"] == 'Bearer realm="acs"'
    body = reply.json()
    assert body["status_code"] == 401 and body["detail"]


def test_the_route_table_covers_the_whole_api() -> None:
    paths = {path for _, path in ROUTES}
    assert "/metrics" in paths and "/api/keys" in paths and "/api/users" in paths
    assert len(ROUTES) >= 40


def test_without_a_credential_every_operator_route_is_401(anonymous: httpx.Client) -> None:
    for method, template in ROUTES:
        assert_unauthorized(call(anonymous, method, template))
    assert_unauthorized(anonymous.get("/api/no-such-route"))
    assert_unauthorized(anonymous.delete("/api/stats"))


def test_a_wrong_key_or_another_scheme_is_401(anonymous: httpx.Client) -> None:
    assert_unauthorized(anonymous.get("/api/stats", headers=bearer("acs_not-a-key-at-all")))
    assert_unauthorized(anonymous.get("/api/stats", headers={"Authorization": "Basic YTpi"}))
    assert_unauthorized(anonymous.get("/metrics", headers={"Authorization": "Bearer"}))
    assert_unauthorized(anonymous.get("/api/stats", cookies={"acs_dashboard": "forged"}))


def test_a_revoked_key_stops_working(
    api: httpx.Client, anonymous: httpx.Client, keys: dict[Role, str]
) -> None:
    viewer = bearer(keys[Role.VIEWER])
    assert anonymous.get("/api/stats", headers=viewer).status_code == 200
    assert api.delete("/api/keys/viewer-key").status_code == 204
    eventually(lambda: anonymous.get("/api/stats", headers=viewer).status_code == 401, 3.0)
    assert_unauthorized(anonymous.get("/api/stats", headers=viewer))
    assert api.delete("/api/keys/viewer-key").status_code == 404
    listed = {k["name"]: k for k in api.get("/api/keys").json()}
    assert listed["viewer-key"]["revoked_at"] and listed["viewer-key"]["revoked_by"] == (
        "key:bootstrap"
    )


def test_each_role_may_call_exactly_the_routes_its_rules_allow(
    acs_server: AcsServer, keys: dict[Role, str]
) -> None:
    for role in Role:
        with httpx.Client(
            base_url=acs_server.url, headers=bearer(keys[role]), trust_env=False, timeout=10
        ) as client:
            for method, template in ROUTES:
                needed = required_role(method, template)
                assert needed is not None
                reply = call(client, method, template)
                where = (role.value, method, template, reply.status_code, reply.text[:200])
                assert reply.status_code != 401, where
                if permits(role, needed):
                    assert reply.status_code != 403, where
                else:
                    assert reply.status_code == 403, where
                    assert reply.json()["detail"].endswith(f"needs {needed}"), where


def test_the_management_routes_never_show_keys_or_hashes(api: httpx.Client) -> None:
    created = api.post("/api/keys", json={"name": "ci", "role": "operator"}).json()
    assert created["key"].startswith("acs_") and len(created["key"]) > 40
    listed = api.get("/api/keys").text
    assert created["key"] not in listed and "hash" not in listed
    assert api.post("/api/keys", json={"name": "ci", "role": "viewer"}).status_code == 409
    assert api.post("/api/keys", json={"name": "x", "role": "root"}).status_code == 400
    assert api.post("/api/keys", json={"name": "bad name", "role": "viewer"}).status_code == 400
    user = api.post("/api/users", json={"name": "eve", "role": "viewer", "password": "pw"})
    assert user.status_code == 400, "a password of two characters is refused"
    user = api.post("/api/users", json={"name": "eve", "role": "viewer", "password": "long enough"})
    assert user.status_code == 201 and "password" not in user.text
    assert [u["name"] for u in api.get("/api/users").json()] == ["eve"]
    assert api.delete("/api/users/eve").status_code == 204
    assert api.delete("/api/users/eve").status_code == 404


async def test_a_viewer_cannot_queue_a_task_and_an_operators_task_names_its_key(
    acs_server: AcsServer, api: httpx.Client, keys: dict[Role, str]
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="AUTHZ-1")
    await cpe.run_session()
    path = f"/api/devices/{quote(cpe.device_id, safe='')}"
    eventually(lambda: api.get(path).status_code == 200)
    task = {"type": "get_rpc_methods"}
    query = {"connection_request": "false"}
    viewer = api.post(f"{path}/tasks", json=task, params=query, headers=bearer(keys[Role.VIEWER]))
    assert viewer.status_code == 403, viewer.text
    assert viewer.json() == {
        "status_code": 403,
        "detail": "key:viewer-key has the role viewer; "
        "POST /api/devices/{device_id}/tasks needs operator",
    }
    ops = {**bearer(keys[Role.OPERATOR]), "X-ACS-Actor": "alice"}
    created = api.post(f"{path}/tasks", json=task, params=query, headers=ops)
    assert created.status_code == 201, created.text
    assert created.json()["actor"] == "key:operator-key for alice"
    plain = api.post(f"{path}/reboot", params=query, headers=bearer(keys[Role.OPERATOR]))
    assert plain.json()["actor"] == "key:operator-key"
    events = api.get(f"{path}/events").json()
    queued = [e["actor"] for e in events if e["type"] == "TaskQueued"]
    assert queued == ["key:operator-key for alice", "key:operator-key"]
    assert api.get(f"{path}/events", headers=bearer(keys[Role.VIEWER])).status_code == 200


def test_cpe_endpoints_and_the_openapi_document_need_no_operator_key(
    anonymous: httpx.Client,
) -> None:
    download = anonymous.get("/files/none/none/none")
    assert download.status_code == 403 and download.json()["detail"] == "unknown download URL"
    document = anonymous.get("/schema/openapi.json")
    assert document.status_code == 200
    schema = document.json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert schema["security"] == [{"apiKey": []}, {"session": []}]


def test_every_response_says_nosniff_and_pages_forbid_framing(
    api: httpx.Client, anonymous: httpx.Client
) -> None:
    assert api.get("/api/stats").headers["x-content-type-options"] == "nosniff"
    assert anonymous.get("/api/stats").headers["x-content-type-options"] == "nosniff"
    page = anonymous.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts and all(' src="/static/' in tag for tag in scripts), "no inline script"
    assert "style=" not in page.text and "<style" not in page.text
