"""The dashboard's configuration pages on the real server, as a browser's forms use them:
presets, files, campaigns, webhooks, API keys and users are created, listed and deleted
through the same services as the API; roles and the session's CSRF token are enforced."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import AcsServer, Databases

PASSWORD = "admin pages password"
_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
_KEY = re.compile(r'<code id="new-key-value">([^<]+)</code>')


@pytest.fixture(scope="module")
def server(databases: Databases) -> Iterator[AcsServer]:
    """One ACS for the module: every test uses names of its own."""
    running = AcsServer(databases.fresh()).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(server: AcsServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=10,
                      trust_env=False) as client:  # fmt: skip
        yield client


class Browser:
    """A signed-in browser: its cookies, and the CSRF token its pages' forms carry."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str) -> httpx.Response:
        reply = self.client.get(path)
        found = _TOKEN.search(reply.text)
        self.csrf = found.group(1) if found else self.csrf
        return reply

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def signed_in(server: AcsServer, api: httpx.Client, name: str, role: str) -> Browser:
    made = api.post("/api/users", json={"name": name, "role": role, "password": PASSWORD})
    assert made.status_code == 201, made.text
    client = httpx.Client(base_url=server.url, trust_env=False, timeout=10)
    form = client.get("/login")
    token = _TOKEN.search(form.text)
    assert token, form.text
    fields = {"username": name, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=fields).status_code == 303
    browser = Browser(client)
    assert browser.get("/").status_code == 200 and browser.csrf
    return browser


@pytest.fixture(scope="module")
def admin(server: AcsServer, api: httpx.Client) -> Iterator[Browser]:
    browser = signed_in(server, api, "page-admin", "admin")
    yield browser
    browser.client.close()


@pytest.fixture(scope="module")
def viewer(server: AcsServer, api: httpx.Client) -> Iterator[Browser]:
    browser = signed_in(server, api, "page-viewer", "viewer")
    yield browser
    browser.client.close()


def closed_window() -> str:
    """A maintenance window that is not open now (so the campaign waits, running)."""
    hour = datetime.now(UTC).hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"


def redirected(reply: httpx.Response, to: str) -> None:
    assert (reply.status_code, reply.headers.get("location")) == (303, to), reply.text[-800:]


def test_presets_are_created_edited_and_deleted_from_their_page(
    admin: Browser, api: httpx.Client
) -> None:
    assert 'id="preset-form"' in admin.get("/presets").text
    interval = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
    form = {
        "name": "inform-600",
        "events": "0 BOOTSTRAP\n1 BOOT",
        "filter": "product_class = BM632w",
        "values": f"{interval} = 600",
        "weight": "3",
    }
    redirected(admin.post("/presets", form), "/presets?saved=inform-600")
    listed = admin.get("/presets?saved=inform-600")
    assert 'data-preset="inform-600"' in listed.text and "Preset inform-600 saved." in listed.text
    stored = api.get("/api/presets/inform-600").json()["definition"]
    assert stored["events"] == ["0 BOOTSTRAP", "1 BOOT"] and stored["weight"] == 3
    assert stored["filter"] == {"product_class": "BM632w"}
    assert stored["ensure"]["values"] == {interval: "600"}
    again = admin.post("/presets", form)
    assert again.status_code == 409 and 'id="form-error"' in again.text

    edit = admin.get("/presets/inform-600")
    assert f"{interval} = 600</textarea>" in edit.text
    changed = {**form, "values": f"{interval} = 900", "ensure": '{"objects": {"X.Y.": 1}}'}
    redirected(admin.post("/presets/inform-600", changed), "/presets?saved=inform-600")
    ensure = api.get("/api/presets/inform-600").json()["definition"]["ensure"]
    assert ensure["values"] == {interval: "900"} and ensure["objects"] == {"X.Y.": 1}
    broken = admin.post("/presets/inform-600", {**form, "ensure": "{not json"})
    assert broken.status_code == 400 and "not JSON" in broken.text

    redirected(admin.post("/presets/inform-600/delete"), "/presets?deleted=inform-600")
    assert api.get("/api/presets/inform-600").status_code == 404
    assert 'data-preset="inform-600"' not in admin.get("/presets").text


def test_files_are_uploaded_listed_and_deleted(admin: Browser, api: httpx.Client) -> None:
    admin.get("/files")
    fields = {"file_type": "1 Firmware Upgrade Image", "name": "bm632w-v2.bin",
              "vendor": "Huawei", "product_class": "BM632w", "version": "V2"}  # fmt: skip
    upload = {"file": ("firmware.bin", b"\x00firmware-v2", "application/octet-stream")}
    redirected(admin.post("/files", fields, files=upload), "/files?created=bm632w-v2.bin")
    stored = next(f for f in api.get("/api/files").json() if f["name"] == "bm632w-v2.bin")
    assert (stored["version"], stored["size"], stored["actor"]) == ("V2", 12, "user:page-admin")
    assert f'data-file-id="{stored["id"]}"' in admin.get("/files").text
    empty = admin.post("/files", fields, files={"file": ("empty.bin", b"", "text/plain")})
    assert empty.status_code == 400 and 'id="form-error"' in empty.text

    deleted = admin.post(f"/files/{stored['id']}/delete")
    redirected(deleted, "/files?deleted=bm632w-v2.bin")
    assert api.get(f"/api/files/{stored['id']}").status_code == 404
    assert admin.post(f"/files/{stored['id']}/delete").status_code == 404


def test_a_campaign_is_started_paused_and_resumed(admin: Browser, api: httpx.Client) -> None:
    made = api.post("/api/files", content=b"image-v3", params={"name": "v3.bin", "version": "V3"})
    file_id = made.json()["id"]
    assert f'value="{file_id}"' in admin.get("/campaigns").text
    form = {
        "file_id": file_id,
        "filter": "software_version = V1",
        "batch_size": "5",
        "rate": "2",
        "max_failure_rate": "0.1",
        "batch_timeout": "600",
        "window": closed_window(),
    }
    started = admin.post("/campaigns", form)
    assert started.status_code == 303, started.text
    campaign_id = started.headers["location"].split("created=")[1]
    shown = api.get(f"/api/campaigns/{campaign_id}").json()
    assert shown["definition"]["batch_size"] == 5 and shown["actor"] == "user:page-admin"
    assert f'data-campaign-id="{campaign_id}"' in admin.get("/campaigns").text

    redirected(admin.post(f"/campaigns/{campaign_id}/pause"), f"/campaigns?paused={campaign_id}")
    assert api.get(f"/api/campaigns/{campaign_id}").json()["state"] == "paused"
    assert 'data-state="paused"' in admin.get("/campaigns").text
    resumed = admin.post(f"/campaigns/{campaign_id}/resume")
    redirected(resumed, f"/campaigns?resumed={campaign_id}")
    assert api.get(f"/api/campaigns/{campaign_id}").json()["state"] == "running"

    neither = admin.post("/campaigns", {**form, "filter": ""})
    assert neither.status_code == 400 and "filter or a list" in neither.text
    not_a_number = admin.post("/campaigns", {**form, "rate": "fast"})
    assert not_a_number.status_code == 400 and "must be a number" in not_a_number.text


def test_webhooks_are_created_and_deleted(admin: Browser, api: httpx.Client) -> None:
    admin.get("/webhooks")
    url = "http://127.0.0.1:9/acs-hook"
    form = {
        "url": url,
        "secret": "s3cr3t-never-shown",
        "event_types": ["TaskCompleted", "TaskFaulted"],
    }
    redirected(admin.post("/webhooks", form), "/webhooks?" + urlencode({"created": url}))
    made = next(w for w in api.get("/api/webhooks").json() if w["url"] == url)
    assert made["event_types"] == ["TaskCompleted", "TaskFaulted"]
    assert made["actor"] == "user:page-admin"
    listed = admin.get("/webhooks").text
    assert f'data-webhook-id="{made["id"]}"' in listed and "s3cr3t-never-shown" not in listed
    refused = admin.post("/webhooks", {**form, "url": "ftp://example.net/x"})
    assert refused.status_code == 400 and "http or https" in refused.text

    admin.post(f"/webhooks/{made['id']}/delete")
    assert api.get(f"/api/webhooks/{made['id']}").status_code == 404


def test_a_new_key_is_shown_once_and_can_be_revoked(
    admin: Browser, server: AcsServer, api: httpx.Client
) -> None:
    admin.get("/keys")
    created = admin.post("/keys", {"name": "grafana", "role": "viewer"})
    assert created.status_code == 201
    key = _KEY.search(created.text)
    assert key, created.text
    with httpx.Client(base_url=server.url, trust_env=False) as script:
        bearer = {"Authorization": f"Bearer {key.group(1)}"}
        assert script.get("/api/stats", headers=bearer).status_code == 200
        listed = admin.get("/keys").text
        assert 'data-key="grafana" data-revoked="false"' in listed
        assert key.group(1) not in listed, "shown once"
        taken = admin.post("/keys", {"name": "grafana", "role": "admin"})
        assert taken.status_code == 409 and 'id="form-error"' in taken.text
        redirected(admin.post("/keys/grafana/revoke"), "/keys?revoked=grafana")
        assert 'data-key="grafana" data-revoked="true"' in admin.get("/keys").text
        deadline = time.monotonic() + 5
        while script.get("/api/stats", headers=bearer).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key still works"
            time.sleep(0.1)


def test_users_are_created_and_deleted(admin: Browser, server: AcsServer) -> None:
    admin.get("/users")
    form = {"name": "dave", "role": "operator", "password": "dave-password-1"}
    redirected(admin.post("/users", form), "/users?created=dave")
    assert 'data-user="dave"' in admin.get("/users").text
    short = admin.post("/users", {**form, "name": "erin", "password": "short"})
    assert short.status_code == 400 and 'id="form-error"' in short.text
    assert 'value="short"' not in short.text, "a password is never sent back"
    assert admin.post("/users", form).status_code == 409
    redirected(admin.post("/users/dave/delete"), "/users?deleted=dave")
    assert 'data-user="dave"' not in admin.get("/users").text


def test_viewers_read_configuration_but_not_access_pages_and_change_nothing(
    viewer: Browser,
) -> None:
    for path in ("/presets", "/files", "/campaigns", "/webhooks"):
        shown = viewer.get(path)
        assert shown.status_code == 200, path
        assert "<form" in shown.text and 'method="post" action="' + path + '"' not in shown.text
    for path in ("/keys", "/users"):
        refused = viewer.get(path)
        assert refused.status_code == 403 and 'id="forbidden"' in refused.text
    tried = viewer.post("/presets", {"name": "mine", "values": "A.B = 1"})
    assert tried.status_code == 403
    assert viewer.post("/keys", {"name": "mine", "role": "admin"}).status_code == 403


def test_changes_need_the_sessions_csrf_token(admin: Browser, api: httpx.Client) -> None:
    forged = admin.client.post("/presets", data={"name": "forged", "values": "A.B = 1"})
    assert forged.status_code == 403
    wrong = {"name": "forged", "values": "A.B = 1", "csrf_token": "not the token"}
    assert admin.client.post("/presets", data=wrong).status_code == 403
    assert api.get("/api/presets/forged").status_code == 404
    assert admin.client.post("/users/page-viewer/delete").status_code == 403


def test_signed_out_the_pages_lead_to_the_sign_in_form(server: AcsServer) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as anonymous:
        for path in ("/presets", "/files", "/campaigns", "/webhooks", "/keys", "/users"):
            reply = anonymous.get(path)
            assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
        tried = anonymous.post("/keys", data={"name": "x", "role": "admin"})
        assert tried.status_code == 303 and tried.headers["location"].startswith("/login")
