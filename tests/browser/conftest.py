"""Browser tests: the dashboard in real headless Chromium (Debian's), driven by Playwright.

One ACS, one browser and one signed-in page per module. Without a
Chromium binary (a developer machine without it) the tests are skipped; CI installs it
(`.ci/run`). `screenshots(page, name)` saves the page at desktop and phone width into
`var/screenshots/` (artefacts, not committed).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import ROOT, AcsServer, Databases

SCREENSHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ADMIN = "ops-admin"
ADMIN_PASSWORD = "browser-" + secrets.token_urlsafe(12)
CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (execute|apply|load)")


def chromium_path() -> str | None:
    """Debian's Chromium (`/usr/bin/chromium`) or another on the PATH; None without one."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for a module. Playwright's synchronous API runs an event loop in
    this thread while it is started, so it stops with the module: the asynchronous tests
    that follow in this process start their own loops."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium binary: install Debian's chromium (.ci/run does) to run these")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def dashboard_server(databases: Databases) -> Iterator[AcsServer]:
    """The module's ACS on its own database."""
    server = AcsServer(databases.fresh()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(dashboard_server: AcsServer) -> Iterator[httpx.Client]:
    """The REST API with the server's admin key (for setting up what a page shows)."""
    with httpx.Client(
        base_url=dashboard_server.url,
        headers=dashboard_server.auth_headers,
        timeout=15,
        trust_env=False,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def admin(api: httpx.Client) -> str:
    """A dashboard user with the admin role, made through the API; its name."""
    user = {"name": ADMIN, "role": "admin", "password": ADMIN_PASSWORD}
    made = api.post("/api/users", json=user)
    assert made.status_code == 201, made.text
    return ADMIN


class Console:
    """What the page logged: a Content Security Policy violation is a failure."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def violations(self) -> list[str]:
        """The errors that tell of something the CSP refused (inline script or style)."""
        return [text for text in self.errors if CSP_VIOLATION.search(text)]


@pytest.fixture(scope="module")
def console() -> Console:
    """The signed-in page's console errors."""
    return Console()


@pytest.fixture(scope="module")
def page(
    browser: Browser, dashboard_server: AcsServer, admin: str, console: Console
) -> Iterator[Page]:
    """A page signed in as the admin through the real sign-in form."""
    context = browser.new_context(base_url=dashboard_server.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    signed_in = context.new_page()
    signed_in.on("console", console.record)
    try:
        sign_in(signed_in, admin, ADMIN_PASSWORD)
        yield signed_in
    finally:
        context.close()


def sign_in(page: Page, name: str, password: str) -> None:
    """Fill in and send `/login`'s form; the overview follows."""
    page.goto("/login")
    page.locator("input[name=username]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))


def screenshots(page: Page, name: str) -> list[Path]:
    """Save the top of the page at desktop (1280x800) and phone (390x844) width:
    `var/screenshots/<name>-desktop.png` and `<name>-phone.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=path)
        saved.append(path)
    page.set_viewport_size(DESKTOP)
    return saved
