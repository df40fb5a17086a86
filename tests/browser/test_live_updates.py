"""A CPE that informs for the first time shows up on an overview and a device list that are
already open, within seconds and without reloading them (the dashboard's first acceptance)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console
from tests.conftest import AcsServer
from tests.support.cpe import SimulatedCpe

SHOWN_WITHIN_MS = 12_000
"""The pages poll every 5 s; the projection follows the Inform within a fraction of that."""


def first_inform(server: AcsServer, serial: str) -> str:
    """One session of a CPE never seen before (in a thread: Playwright's synchronous API
    holds this thread's event loop); its device id."""
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial=serial)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, cpe.run_session(["0 BOOTSTRAP", "1 BOOT"])).result(timeout=30)
    return cpe.device_id


def mark_not_reloaded(page: Page) -> None:
    page.evaluate("window.acsNotReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.acsNotReloaded === true"), "the page was reloaded"


def test_a_new_cpe_appears_on_the_open_overview_without_reload(
    page: Page, dashboard_server: AcsServer, console: Console
) -> None:
    page.goto("/")
    devices = page.locator('[data-total="devices"] .number')
    before = int(devices.inner_text())
    mark_not_reloaded(page)

    informed = time.monotonic()
    first_inform(dashboard_server, "LIVE_0001")
    expect(devices).to_have_text(str(before + 1), timeout=SHOWN_WITHIN_MS)
    shown_after = time.monotonic() - informed

    assert_not_reloaded(page)
    assert shown_after < SHOWN_WITHIN_MS / 1000
    assert console.violations() == []


def test_a_new_cpe_appears_in_the_open_device_list_without_reload(
    page: Page, dashboard_server: AcsServer, console: Console
) -> None:
    page.goto("/devices")
    expect(page.locator("#device-rows")).to_be_attached()
    mark_not_reloaded(page)

    device_id = first_inform(dashboard_server, "LIVE_0002")
    row = page.locator(f'tr[data-device-id="{device_id}"]')
    expect(row).to_have_count(1, timeout=SHOWN_WITHIN_MS)
    expect(row).to_have_attribute("data-online", "true")

    assert_not_reloaded(page)
    assert console.violations() == []


LARGE_FLEET = 10_050
"""Just past the total a list page counts before showing (acs/projections/count_cache.py)."""


def test_a_large_list_shows_at_once_and_its_exact_total_follows(
    page: Page, dashboard_server: AcsServer, console: Console
) -> None:
    with psycopg.connect(dashboard_server.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO devices (id, aggregate_id, manufacturer, oui, product_class,"
            " serial_number, periodic_inform_interval, last_inform, first_seen, tags)"
            " SELECT 'BULK-' || n, gen_random_uuid(), 'Bulk', 'B0B0B0', 'Many', 'BULK-' || n,"
            " 86400, now(), now(), ARRAY['bulk'] FROM generate_series(1, %s) AS n",
            (LARGE_FLEET,),
        )
    served = page.request.get("/devices?tag=bulk&limit=25").text()
    assert 'data-exact="false"' in served and "more than 10,000" in served, "not counted first"
    page.goto("/devices?tag=bulk&limit=25")
    expect(page.locator("tr[data-device-id]")).to_have_count(25)
    total = page.locator("#device-total")
    expect(total).to_have_attribute("data-exact", "true")
    expect(total).to_have_text(f"{LARGE_FLEET:,}")
    assert console.violations() == []
