"""The dashboard's pages on the real server, read as HTML (no browser): sign-in redirects,
roles, the live fragments, the device page's forms and the history they leave."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from lxml import html

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SOFTWARE_VERSION, SimulatedCpe

PASSWORD = "correct horse battery"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')

Browser = Callable[[str], httpx.Client]


def token_in(text: str) -> str:
    found = _TOKEN.search(text)
    assert found, text
    return found.group(1)


def page_of(device_id: str) -> str:
    return "/devices/" + quote(device_id, safe="")


def parsed(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    return html.fromstring(reply.text)


@pytest.fixture
def browser(acs_server: AcsServer, api: httpx.Client) -> Iterator[Browser]:
    """Browsers signed in as a new user of a role (cookies kept, redirects not followed)."""
    opened: list[httpx.Client] = []

    def signed_in(role: str) -> httpx.Client:
        user = {"name": f"{role}-{len(opened)}", "role": role, "password": PASSWORD}
        assert api.post("/api/users", json=user).status_code == 201
        client = httpx.Client(base_url=acs_server.url, trust_env=False, timeout=15)
        opened.append(client)
        fields = {"username": user["name"], "password": PASSWORD,
                  "csrf_token": token_in(client.get("/login").text)}  # fmt: skip
        assert client.post("/login", data=fields).status_code == 303
        return client

    yield signed_in
    for client in opened:
        client.close()


async def informed(acs_server: AcsServer, serial: str) -> SimulatedCpe:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial=serial)
    await cpe.run_session()
    return cpe


def form_fields(form: Any) -> dict[str, str]:
    return {i.get("name"): i.get("value") or "" for i in form.xpath(".//input[@name]")}


def task_rows(client: httpx.Client, device_id: str) -> dict[str, str]:
    """The device's tasks as its page's fragment shows them: type → status of the newest."""
    doc = parsed(client.get(f"{page_of(device_id)}/tasks"))
    rows = doc.xpath("//tr[@data-task-id]")
    return {row.get("data-type"): row.get("data-status") for row in reversed(rows)}


def test_signed_out_pages_lead_to_the_sign_in_form_and_back(
    acs_server: AcsServer, browser: Browser
) -> None:
    client = httpx.Client(base_url=acs_server.url, trust_env=False, timeout=15)
    with client:
        for path in ("/devices?online=true", "/devices/A-B-C", "/fragments/overview"):
            reply = client.get(path)
            assert reply.status_code == 303, path
            assert reply.headers["location"] == "/login?next=" + quote(path, safe="")
        polled = client.get("/fragments/devices", headers={"HX-Request": "true"})
        assert polled.status_code == 401
        assert polled.headers["hx-redirect"] == "/login?next=%2Ffragments%2Fdevices"
        assert client.post("/devices/A-B-C/tasks", data={"action": "reboot"}).status_code == 303
        evil = client.get("/login?next=//evil.example/")
        assert 'action="/login"' in evil.text, "only this site's paths are followed"
        form = client.get("/login?next=/devices%3Fonline%3Dtrue")
        assert 'action="/login?next=/devices%3Fonline%3Dtrue"' in form.text
        browser("viewer")
        fields = {"username": "viewer-0", "password": PASSWORD, "csrf_token": token_in(form.text)}
        signed = client.post("/login?next=/devices%3Fonline%3Dtrue", data=fields)
        assert signed.headers["location"] == "/devices?online=true"
        css = client.get("/static/acs.css")
        assert css.status_code == 200 and "max-age=31536000" in css.headers["cache-control"]
        assert client.get("/static/vendor/htmx.min.js").status_code == 200


async def test_a_viewer_sees_every_page_but_no_admin_link_and_cannot_queue_a_task(
    acs_server: AcsServer, browser: Browser
) -> None:
    cpe = await informed(acs_server, "DASH-V1")
    viewer, admin = browser("viewer"), browser("admin")
    home = viewer.get("/")
    assert home.status_code == 200 and "role <strong>viewer</strong>" in home.text
    assert 'href="/devices"' in home.text and 'href="/keys"' not in home.text
    assert 'href="/users"' not in home.text
    assert 'href="/keys"' in admin.get("/").text and 'href="/users"' in admin.get("/").text
    for css in re.findall(r'href="(/static/[^"]+)"', home.text):
        assert viewer.get(css).status_code == 200, css
    device = eventually(lambda: viewer.get(page_of(cpe.device_id)).status_code == 200)
    assert device
    text = viewer.get(page_of(cpe.device_id)).text
    assert "reboot-confirm" not in text and "parameter-save" not in text
    csrf = token_in(text)
    refused = viewer.post(f"{page_of(cpe.device_id)}/tasks",
                          data={"csrf_token": csrf, "action": "reboot"})  # fmt: skip
    assert refused.status_code == 403 and "needs operator" in refused.text
    assert 'id="sign-out"' in refused.text, "the page still says who is signed in"
    api_path = f"/api/devices/{quote(cpe.device_id, safe='')}/reboot"
    assert viewer.post(api_path, headers={"X-CSRF-Token": csrf}).status_code == 403
    assert task_rows(viewer, cpe.device_id) == {}


async def test_a_device_that_informed_shows_in_the_overview_and_list_fragments(
    acs_server: AcsServer, browser: Browser
) -> None:
    operator = browser("operator")
    empty = parsed(operator.get("/fragments/devices"))
    assert empty.xpath("//tr[@data-device-id]") == []
    cpe = await informed(acs_server, "DASH-L1")

    def listed() -> bool:
        doc = parsed(operator.get("/fragments/devices"))
        return bool(doc.xpath("//tr[@data-device-id=$id]", id=cpe.device_id))

    assert eventually(listed)
    overview = parsed(operator.get("/fragments/overview"))
    assert overview.xpath('string(//*[@data-total="devices"]/*[@class="number"])') == "1"
    assert overview.xpath('string(//*[@data-total="online"]/*[@class="number"])') == "1"
    chart = json.loads(overview.xpath('string(//*[@id="informs-chart"]/@data-chart)'))
    assert sum(chart["y"]) == 1 and len(chart["x"]) == len(chart["y"]) == 180
    versions = overview.xpath('//*[@id="software-versions"]//a/text()')
    assert versions == [cpe.values[SOFTWARE_VERSION][0]]
    assert cpe.device_id not in operator.get("/devices?manufacturer=nobody").text
    shared = operator.get("/devices", params={"manufacturer": cpe.manufacturer})
    assert f'data-device-id="{cpe.device_id}"' in shared.text
    tidied = operator.get("/devices", params=[("filter_form", "1"), ("manufacturer", ""),
                          ("new_param_name", "X.Y"), ("new_param_value", "~a")])  # fmt: skip
    assert (tidied.status_code, tidied.headers["location"]) == (303, "/devices?param.X.Y=~a")
    bad = operator.get("/devices?online=maybe")
    assert bad.status_code == 400 and "online must be true or false" in bad.text
    page_total = parsed(shared).xpath('//*[@id="device-total"]')[0]
    assert (page_total.text, page_total.get("data-exact")) == ("1", "true")
    counted = operator.get("/fragments/devices/total", params={"manufacturer": cpe.manufacturer})
    assert parsed(counted).xpath('string(//*[@id="device-total"])') == "1"
    nobody = operator.get("/fragments/devices/total?manufacturer=nobody")
    assert parsed(nobody).xpath('string(//*[@id="device-total"])') == "0"
    assert operator.get("/fragments/devices/total?online=maybe").status_code == 400


async def test_bulk_actions_tag_the_chosen_devices_and_queue_a_bulk_operation(
    acs_server: AcsServer, browser: Browser
) -> None:
    cpe = await informed(acs_server, "DASH-B1")
    operator = browser("operator")
    assert eventually(lambda: cpe.device_id in operator.get("/devices").text)
    csrf = token_in(operator.get("/devices").text)
    fields = {"csrf_token": csrf, "action": "tag", "tag": "lab", "device": cpe.device_id,
              "back": "/devices?tag=lab"}  # fmt: skip
    tagged = operator.post("/bulk", data=fields)
    assert (tagged.status_code, tagged.headers["location"]) == (303, "/devices?tag=lab")
    assert f'data-device-id="{cpe.device_id}"' in operator.get("/devices?tag=lab").text
    reboot = operator.post("/bulk", data={**fields, "action": "reboot"})
    assert reboot.status_code == 303 and reboot.headers["location"].startswith("/bulk/")
    progress = parsed(operator.get(reboot.headers["location"]))
    assert progress.xpath('string(//*[@data-count="matched"]/*[@class="number"])') == "1"
    assert operator.post("/bulk", data={**fields, "csrf_token": "x"}).status_code == 403
    none = operator.post("/bulk", data={"csrf_token": csrf, "action": "reboot"})
    assert none.status_code == 400 and "Choose at least one device" in none.text


async def test_the_inline_form_queues_set_params_with_the_sessions_csrf_token(
    acs_server: AcsServer, browser: Browser
) -> None:
    cpe = await informed(acs_server, "DASH-E1")
    operator = browser("operator")
    path = page_of(cpe.device_id)
    assert eventually(lambda: operator.get(path).status_code == 200)
    refresh = form_fields(parsed(operator.get(path)).xpath('//form[.//*[@id="refresh-button"]]')[0])
    assert operator.post(f"{path}/tasks", data=refresh).status_code == 303
    await cpe.run_session()
    assert eventually(lambda: task_rows(operator, cpe.device_id).get("refresh") == "done")
    doc = parsed(operator.get(path))
    row = doc.xpath("//*[@data-parameter=$n]", n=SSID)[0]
    fields = form_fields(row.xpath('.//form[@data-testid="edit-parameter"]')[0])
    assert fields["name"] == SSID and fields["action"] == "set_params"
    without = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert operator.post(f"{path}/tasks", data={**without, "value": "x"}).status_code == 403
    queued = operator.post(f"{path}/tasks", data={**fields, "value": "dashboard-net"})
    assert queued.status_code == 303 and "?queued=" in queued.headers["location"]
    assert 'id="flash"' in operator.get(queued.headers["location"]).text
    assert task_rows(operator, cpe.device_id)["set_params"] in ("pending", "sent")
    htmx = operator.post(f"{path}/tasks", data={**fields, "value": "again"},
                         headers={"HX-Request": "true"})  # fmt: skip
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<section id="tasks"')


async def test_ssid_change_and_reboot_from_the_device_page_finish_and_leave_history(
    acs_server: AcsServer, browser: Browser
) -> None:
    cpe = await informed(acs_server, "DASH-H1")
    old = cpe.values[SSID][0]
    operator = browser("operator")
    path = page_of(cpe.device_id)
    assert eventually(lambda: operator.get(path).status_code == 200)
    csrf = token_in(operator.get(path).text)
    refresh = {"csrf_token": csrf, "action": "refresh", "path": ""}
    assert operator.post(f"{path}/tasks", data=refresh).status_code == 303
    await cpe.run_session()
    assert eventually(lambda: task_rows(operator, cpe.device_id).get("refresh") == "done")
    before = datetime.now(UTC)
    row = parsed(operator.get(path)).xpath("//*[@data-parameter=$n]", n=SSID)[0]
    fields = form_fields(row.xpath(".//form")[0])
    assert operator.post(f"{path}/tasks", data={**fields, "value": "new-net"}).status_code == 303
    reboot = {"csrf_token": csrf, "action": "reboot"}
    assert operator.post(f"{path}/tasks", data=reboot).status_code == 303
    assert (await cpe.run_session()).rpcs == ["SetParameterValues", "Reboot"]
    await cpe.run_session()
    done = {"refresh": "done", "set_params": "done", "reboot": "done"}
    assert eventually(lambda: task_rows(operator, cpe.device_id) == done)
    history = parsed(operator.get(f"{path}/history", params={"name": SSID}))
    entries = history.xpath('//*[@data-testid="parameter-history"]/li')
    assert [li.get("data-value") for li in entries] == ["new-net", old]
    assert (
        entries[0].get("data-cause") == "task" and entries[0].get("data-actor") == "user:operator-0"
    )
    past = parsed(operator.get(f"{path}/at", params={"at": before.isoformat()}))
    shown = past.xpath("//*[@data-parameter=$n]/@data-value", n=SSID)
    assert shown == [old]
    timeline = parsed(operator.get(f"{path}/timeline", params={"before": 3}))
    assert [li.get("data-version") for li in timeline.xpath("//li[@data-version]")] == [
        "3",
        "2",
        "1",
    ]
