"""What the browser tests share: Debian's Chromium through Playwright (no downloaded browser), axe
(WCAG 2.2 AA) and signing in through the page. A test module that imports this is skipped, with the
reason, where Chromium is absent; CI installs it, so they run there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections

CHROMIUM = os.environ.get("SPIRAL_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"  # UserFactory's
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}

if not shutil.which(CHROMIUM):
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (CI does), "
        "or set SPIRAL_CHROMIUM to its path",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: make test installs it"
)
expect = sync_api.expect
axe_module = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python missing"
)


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A new page of a headless Chromium, closed (with the ORM connections its loop opened) after."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        try:
            yield browser.new_page()
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs use connections of that context (asgiref
            # locals): close them here, or PostgreSQL keeps them open and the test database cannot be dropped.
            connections.close_all()


def assert_accessible(page: Any) -> None:
    """Fail with axe's report if the page has a WCAG 2.2 AA violation."""
    results = axe_module.Axe().run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, f"{page.url}: axe found accessibility problems:\n{results.generate_report()}"


def sign_in(page: Any, base: str, email: str) -> None:
    """Sign in through the sign-in page as a factory-made person, landing on home."""
    page.context.clear_cookies()
    page.goto(f"{base}/sign-in/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")
