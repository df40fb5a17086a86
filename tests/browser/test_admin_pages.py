"""The configuration pages in a real browser: an admin creates a preset, a campaign, a
webhook, an API key (shown once) and a user through their forms, deletes with the
confirmation, and every page is saved at desktop and phone width."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, screenshots

CHANNEL = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel"


def closed_window() -> str:
    """A maintenance window that is not open now (so the campaign waits, running)."""
    hour = datetime.now(UTC).hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"


def test_an_admin_manages_presets_campaigns_webhooks_keys_and_users(
    page: Page, api: httpx.Client, console: Console
) -> None:
    firmware = {"name": "bm632w-V2.bin", "version": "V2", "product_class": "BM632w"}
    assert api.post("/api/files", content=b"firmware", params=firmware).status_code == 201

    page.goto("/presets")
    page.locator("#preset-name").fill("wifi-channel")
    page.locator("#preset-filter").fill("product_class = BM632w")
    page.locator("#preset-values").fill(f"{CHANNEL} = 6")
    page.locator("#preset-form [type=submit]").click()
    expect(page.locator("#flash")).to_have_text("Preset wifi-channel saved.")
    expect(page.locator('tr[data-preset="wifi-channel"]')).to_contain_text(f"{CHANNEL} = 6")
    screenshots(page, "presets")

    page.goto("/files")
    expect(page.locator("tr[data-file-id]")).to_contain_text("bm632w-V2.bin")
    screenshots(page, "files")

    page.goto("/campaigns")
    page.locator("#campaign-filter").fill("software_version = V1")
    page.locator("#campaign-window").fill(closed_window())
    page.locator("#campaign-form [type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("started")
    expect(page.locator("tr[data-campaign-id]")).to_have_attribute("data-state", "running")
    screenshots(page, "campaigns")

    page.goto("/webhooks")
    page.locator("#webhook-url").fill("http://127.0.0.1:9/hooks/acs")
    page.locator("#webhook-secret").fill("a-webhook-secret")
    page.get_by_label("TaskCompleted").check()
    page.locator("#webhook-form [type=submit]").click()
    expect(page.locator("tr[data-webhook-id]")).to_contain_text("TaskCompleted")
    screenshots(page, "webhooks")

    page.goto("/keys")
    page.locator("#key-name").fill("monitoring")
    page.locator("#key-form [type=submit]").click()
    expect(page.locator("#new-key-value")).to_have_text(re.compile(r"^acs_\S{40,}$"))
    screenshots(page, "keys")
    page.goto("/keys")
    expect(page.locator("#new-key")).to_have_count(0)

    page.goto("/users")
    page.locator("#user-name").fill("carol")
    page.locator("#user-role").select_option("operator")
    page.locator("#user-password").fill("carol-password")
    page.locator("#user-form [type=submit]").click()
    row = page.locator('tr[data-user="carol"]')
    expect(row).to_contain_text("operator")
    screenshots(page, "users")
    row.locator("details.confirm > summary").click()
    row.locator("button.danger").click()
    expect(page.locator("#flash")).to_contain_text("User carol deleted")
    expect(row).to_have_count(0)

    page.goto("/presets")
    preset = page.locator('tr[data-preset="wifi-channel"]')
    preset.locator("details.confirm > summary").click()
    preset.locator("button.danger").click()
    expect(preset).to_have_count(0)
    assert console.violations() == []
