"""Dashboard sign-in on the real server: the form and its CSRF token, the session cookie's
flags, CSRF on cookie-authenticated API calls, signing out; the Secure flag over HTTPS."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx
import pytest
from litestar.testing import TestClient

from acs.adapters.settings import Settings
from acs.api.app import create_app
from tests.conftest import AcsServer

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def token_in(page: str) -> str:
    found = _TOKEN.search(page)
    assert found, page
    return found.group(1)


def set_cookies(reply: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie of a response, parsed, by cookie name."""
    parsed = {}
    for header in reply.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        parsed.update(dict.fromkeys(cookie, cookie))
    return parsed


@pytest.fixture
def browser(acs_server: AcsServer, api: httpx.Client) -> Iterator[httpx.Client]:
    """A browser-like client (it keeps cookies) and a user `alice` with the operator role."""
    user = {"name": "alice", "role": "operator", "password": PASSWORD}
    assert api.post("/api/users", json=user).status_code == 201
    with httpx.Client(base_url=acs_server.url, trust_env=False, timeout=10) as client:
        yield client


def sign_in(browser: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    form = browser.get("/login")
    assert form.status_code == 200
    fields = {"username": "alice", "password": password, "csrf_token": token_in(form.text)}
    return browser.post("/login", data=fields)


def test_signed_out_the_home_page_leads_to_the_sign_in_form(browser: httpx.Client) -> None:
    home = browser.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/login")
    form = browser.get("/login")
    assert 'action="/login"' in form.text and token_in(form.text)
    assert form.headers["cache-control"] == "no-store"
    csrf = set_cookies(form)["acs_login_csrf"]["acs_login_csrf"]
    assert csrf.value == token_in(form.text)
    assert csrf["httponly"] and csrf["path"] == "/login"


def test_signing_in_sets_an_httponly_lax_session_cookie_and_shows_who(
    browser: httpx.Client,
) -> None:
    signed = sign_in(browser)
    assert (signed.status_code, signed.headers["location"]) == (303, "/")
    session = set_cookies(signed)["acs_dashboard"]["acs_dashboard"]
    assert session["httponly"] and session["samesite"].lower() == "lax"
    assert session["path"] == "/" and not session["secure"], "plain HTTP: not Secure"
    assert int(session["max-age"]) > 0
    home = browser.get("/")
    assert home.status_code == 200
    assert "Signed in as <strong>alice</strong>, role <strong>operator</strong>" in home.text
    assert 'href="/schema"' in home.text and 'action="/logout"' in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "DENY"
    assert browser.get("/api/stats").status_code == 200, "the cookie authenticates /api"
    assert browser.get("/login").status_code == 303, "signed in already"


def test_a_wrong_password_shows_the_form_again_after_a_delay(browser: httpx.Client) -> None:
    began = time.monotonic()
    wrong = sign_in(browser, "not the password")
    assert time.monotonic() - began >= 0.4
    assert wrong.status_code == 401
    assert "Wrong user name or password." in wrong.text and token_in(wrong.text)
    assert "acs_dashboard" not in set_cookies(wrong)
    assert browser.get("/").status_code == 303


def test_the_sign_in_form_needs_its_csrf_token(browser: httpx.Client) -> None:
    browser.get("/login")
    forged = browser.post("/login", data={"username": "alice", "password": PASSWORD})
    assert forged.status_code == 403 and "acs_dashboard" not in set_cookies(forged)
    other = {"username": "alice", "password": PASSWORD, "csrf_token": secrets.token_urlsafe(32)}
    assert browser.post("/login", data=other).status_code == 403


def test_cookie_authenticated_changes_need_the_sessions_csrf_token(
    browser: httpx.Client,
) -> None:
    sign_in(browser)
    csrf = token_in(browser.get("/").text)
    path = "/api/devices/00AABB-Box-NONE/tags/lab"
    refused = browser.put(path)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert browser.put(path, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    passed = browser.put(path, headers={"X-CSRF-Token": csrf})
    assert passed.status_code == 404, "past the guard: the device is unknown"
    in_form = browser.put(path, data={"csrf_token": csrf})
    assert in_form.status_code == 404
    admin_only = browser.post("/api/keys", json={"name": "k", "role": "viewer"},
                              headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert admin_only.status_code == 403, "an operator may not create keys"


def test_signing_out_needs_the_csrf_token_and_ends_the_session(browser: httpx.Client) -> None:
    sign_in(browser)
    session = browser.cookies["acs_dashboard"]
    csrf = token_in(browser.get("/").text)
    assert browser.post("/logout").status_code == 403
    out = browser.post("/logout", data={"csrf_token": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert browser.get("/").status_code == 303
    with httpx.Client(base_url=str(browser.base_url), trust_env=False) as stale:
        reply = stale.get("/api/stats", cookies={"acs_dashboard": session})
        assert reply.status_code == 401


def test_deleting_a_user_ends_their_sessions(browser: httpx.Client, api: httpx.Client) -> None:
    sign_in(browser)
    assert browser.get("/api/stats").status_code == 200
    assert api.delete("/api/users/alice").status_code == 204
    deadline = time.monotonic() + 3
    while browser.get("/api/stats").status_code != 401:
        assert time.monotonic() < deadline


def test_over_https_the_session_cookie_is_secure(database_url: str) -> None:
    key = "acs_test_" + secrets.token_urlsafe(24)
    settings = Settings(bootstrap_api_key=key, db_pool_size=4, run_projections=False)
    app = create_app(settings, database_url)
    with TestClient(app, base_url="https://acs.example.net") as client:
        user = {"name": "tls", "role": "viewer", "password": PASSWORD}
        made = client.post("/api/users", json=user, headers={"Authorization": f"Bearer {key}"})
        assert made.status_code == 201, made.text
        form = client.get("/login")
        assert set_cookies(form)["acs_login_csrf"]["acs_login_csrf"]["secure"]
        fields = {"username": "tls", "password": PASSWORD, "csrf_token": token_in(form.text)}
        signed = client.post("/login", data=fields, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        session = set_cookies(signed)["acs_dashboard"]["acs_dashboard"]
        assert session["secure"] and session["httponly"]
