"""The dashboard's acceptance in a real browser: an operator finds a device with the filter,
changes its SSID from the parameter tree, reboots it, and sees both tasks finish and the
SSID's history show the old and the new value, without reloading the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Console, screenshots
from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe_fleet import PASSWORD, USERNAME, CpeFleet

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1."
VERSIONS = {
    "BRW_0001": "V100R001C00SPC100",
    "BRW_0002": "V100R001C00SPC110",
    "BRW_0003": "V100R001C00SPC120",
    "BRW_0004": "V100R001C00SPC100",
}
TARGET = "BRW_0002"
NEW_SSID = "Ops-Lab-5G"


def device_path(device_id: str) -> str:
    return f"/api/devices/{quote(device_id, safe='')}"


def task_done(api: httpx.Client, task_id: str) -> bool:
    return api.get(f"/api/tasks/{task_id}").json()["status"] == "done"


@pytest.fixture(scope="module")
def fleet(browser: Browser, dashboard_server: AcsServer, api: httpx.Client) -> Iterator[CpeFleet]:
    """Four CPEs online, each reachable by connection requests, their Wi-Fi settings read
    (after the browser: without Chromium the test is skipped before they start)."""
    with CpeFleet(dashboard_server.url, VERSIONS) as running:
        for cpe in running.cpes.values():
            path = device_path(cpe.device_id)
            eventually(lambda path=path: api.get(path).status_code == 200)
            credentials = {"username": USERNAME, "password": PASSWORD}
            put = api.put(f"{path}/connection-request-credentials", json=credentials)
            assert put.status_code == 204, put.text
            refresh = {"type": "refresh", "parameters": {"path": WLAN}}
            task = api.post(f"{path}/tasks", json=refresh).json()
            assert task["connection_request"] == "ok", task
            eventually(lambda task=task: task_done(api, task["id"]))
        yield running


def test_an_operator_changes_the_ssid_reboots_and_sees_both_in_the_devices_history(
    fleet: CpeFleet, page: Page, console: Console
) -> None:
    target = fleet.cpes[TARGET]
    old_ssid = target.values[SSID][0]
    page.goto("/")
    screenshots(page, "overview")

    page.goto("/devices")
    expect(page.locator("tr[data-device-id]")).to_have_count(len(VERSIONS))
    screenshots(page, "devices")
    page.locator("#device-filters input[name=software_version]").fill(VERSIONS[TARGET])
    page.locator("#apply-filters").click()
    found = page.locator("tr[data-device-id]")
    expect(found).to_have_count(1)
    expect(found).to_have_attribute("data-device-id", target.device_id)
    found.locator("a.device-id").click()
    expect(page).to_have_url(re.compile(r"/devices/[^/]+$"))

    set_done = page.locator('tr[data-type="set_params"][data-status="done"]')
    reboot_done = page.locator('tr[data-type="reboot"][data-status="done"]')
    row = page.locator(f'#parameter-tree [data-parameter="{SSID}"]')
    expect(row).to_have_attribute("data-value", old_ssid)
    page.locator("#parameter-search").fill("SSID")
    page.evaluate("window.acsNotReloaded = true")
    row.get_by_test_id("parameter-value-input").fill(NEW_SSID)
    row.get_by_test_id("parameter-save").click()
    expect(set_done).to_have_count(1)
    assert page.evaluate("window.acsNotReloaded === true"), "saving reloaded the page"

    page.locator("#reboot-button").click()
    page.locator("#reboot-confirm").click()
    expect(page.locator('tr[data-type="reboot"]')).to_have_count(1)
    page.evaluate("window.acsNotReloaded = true")
    expect(reboot_done).to_have_count(1, timeout=20_000)
    assert page.evaluate("window.acsNotReloaded === true"), "the page was reloaded"
    expect(set_done).to_have_count(1)
    expect(row).to_have_attribute("data-value", NEW_SSID)
    assert target.values[SSID][0] == NEW_SSID, "the CPE itself has the new SSID"
    screenshots(page, "device")

    page.locator("#parameter-search").fill("SSID")
    row.get_by_test_id("parameter-history-link").click()
    history = page.get_by_test_id("parameter-history")
    expect(history.locator(f'li[data-value="{old_ssid}"]')).to_have_count(1)
    expect(history.locator(f'li[data-value="{NEW_SSID}"]')).to_have_count(1)
    expect(history).to_contain_text(NEW_SSID)
    screenshots(page, "parameter-history")
    assert console.violations() == []
    assert fleet.errors == []
