"""Bugs the schemathesis run (`tests/faults/test_api_schemathesis.py`) found, kept fixed."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
NUL = "a\x00b"


def test_errors_of_a_file_s_content_are_json_not_octet_stream(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    missing = api.get("/api/files/nope/content")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json() == {"status_code": 404, "detail": "no file nope"}
    anonymous = httpx.get(f"{acs_server.url}/api/files/nope/content")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", f"/api/tasks/{quote(NUL)}", None),
        ("GET", f"/api/presets/{quote(NUL)}", None),
        ("DELETE", f"/api/keys/{quote(NUL)}", None),
        ("GET", "/api/devices", {"manufacturer": NUL}),
        ("GET", "/api/devices", {f"param.{SSID}": NUL}),
        ("POST", "/api/files", {"name": NUL}),
    ],
)
def test_a_nul_in_a_path_or_query_is_a_400_not_a_500(
    api: httpx.Client, method: str, path: str, params: dict[str, str] | None
) -> None:
    reply = api.request(method, path, params=params, content=b"firmware")
    assert reply.status_code == 400, reply.text
    assert reply.json()["detail"] == "text may not contain the character U+0000 (NUL)"


async def test_a_task_with_a_nul_is_refused_and_the_read_model_keeps_up(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="NUL1")
    await cpe.run_session()
    tasks = f"/api/devices/{quote(cpe.device_id, safe='')}/tasks?connection_request=false"
    eventually(lambda: api.get(tasks).status_code == 200)
    for body in (
        {"type": "set_params", "parameters": {"values": {SSID: NUL}}},
        {"type": "get_params", "parameters": {"names": [NUL]}},
        {"type": "download", "parameters": {"url": f"http://127.0.0.1:9/{NUL}"}},
    ):
        assert api.post(tasks, json=body).status_code == 400, body
    assert api.post("/api/campaigns", json={"file_id": NUL, "devices": ["x"]}).status_code == 400
    fine = api.post(tasks, json={"type": "get_params", "parameters": {"names": [SSID]}})
    assert fine.status_code == 201, "the read model still applies events (it waits for them)"
    projections = api.get("/api/status/projections").json()
    assert projections["lag_events"] == 0


def test_a_literal_backslash_u0000_is_text_like_any_other(api: httpx.Client) -> None:
    preset = {"name": "escaped", "ensure": {"values": {SSID: "\\u0000"}}}
    created = api.post("/api/presets", json=preset)
    assert created.status_code == 201, created.text
    shown = api.get("/api/presets/escaped").json()
    assert shown["definition"]["ensure"]["values"] == {SSID: "\\u0000"}
