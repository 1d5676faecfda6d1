"""In a real browser, Spiral's pages request nothing from another origin (no font host, no CDN), so a
self-hosted, offline or locked-down deployment never waits for a host it cannot reach. And starting a
project lists overlapping work as the aim is typed (the form's script and its fragment).

Debian's Chromium through Playwright, as tests/e2e/test_browser.py; skipped with a reason without it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections

from spiral.knowledge import search
from spiral.organisations.models import Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

CHROMIUM = os.environ.get("SPIRAL_CHROMIUM", "/usr/bin/chromium")
pytestmark = [pytest.mark.browser]

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
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.fixture(autouse=True)
def _default_scale(transactional_db: Any) -> None:
    """A transactional test empties every table after it, the progress scale its data migration made
    too: put it back (the projects these tests make need it)."""
    from django.apps import apps

    from spiral.projects.models import ProgressScale

    if not ProgressScale.objects.filter(is_default=True).exists():
        importlib.import_module("spiral.projects.migrations.0002_progress_scale_ihi").add_ihi_scale(
            apps, None
        )


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page and every URL it requests. A request to another origin is recorded and refused at once
    (so the test is as fast offline as on line); the page's own requests go through."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    origin = urlsplit(live_server.url)
    requested: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        page = browser.new_page()

        def route(r: Any) -> None:
            url = urlsplit(r.request.url)
            if (url.scheme, url.netloc) == (origin.scheme, origin.netloc) or url.scheme in ("data", "blob"):
                r.continue_()
            else:
                r.abort()

        page.on("request", lambda request: requested.append(request.url))
        page.route("**/*", route)
        try:
            yield page, requested
        finally:
            browser.close()
            connections.close_all()  # as test_browser.py: Playwright's loop opened connections of its own


def _foreign(requested: list[str], base: str) -> list[str]:
    origin = urlsplit(base)
    return [
        u
        for u in requested
        if urlsplit(u).scheme not in ("data", "blob")
        and (urlsplit(u).scheme, urlsplit(u).netloc) != (origin.scheme, origin.netloc)
    ]


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.fill("#id_username", email)
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


@pytest.mark.django_db(transaction=True)
def test_no_page_requests_anything_from_another_origin(
    live_server: Any, tree: dict[str, Any], recorded: tuple[Any, list[str]]
) -> None:
    page, requested = recorded
    person = UserFactory(email="offline@example.nhs.uk")
    MembershipFactory(user=person, unit=tree["team"], role=Role.MEMBER)
    project = ProjectFactory(unit=tree["team"], title="Fewer falls at night")
    base = live_server.url

    page.goto(f"{base}/sign-in/")
    _sign_in(page, base, "offline@example.nhs.uk")
    timings = {}
    for path in (
        "/", "/projects/", "/projects/mine/", f"/projects/{project.pk}/", "/projects/new/", "/units/",
        f"/units/{tree['team'].code}/", "/search/?q=falls", "/no-such-page/",
    ):  # fmt: skip
        started = time.monotonic()
        page.goto(f"{base}{path}", wait_until="load")
        timings[path] = time.monotonic() - started
        # The page's fonts are settled: nothing is still loading from anywhere.
        page.evaluate("document.fonts.ready.then(() => true)")
    assert any(u.endswith(".css") for u in requested) and any(u.endswith(".js") for u in requested)
    assert _foreign(requested, base) == []
    assert page.evaluate("[...document.fonts].filter(f => f.status !== 'unloaded').length") == 0
    print("page load times (s):", {p: round(t, 3) for p, t in timings.items()})


@pytest.mark.django_db(transaction=True)
def test_starting_a_project_lists_overlapping_work_as_the_aim_is_typed(
    live_server: Any, tree: dict[str, Any], recorded: tuple[Any, list[str]]
) -> None:
    page, requested = recorded
    person = UserFactory(email="starter@example.nhs.uk")
    MembershipFactory(user=person, unit=tree["team"], role=Role.MEMBER)
    ProjectFactory(
        unit=tree["directorate"],
        title="Text message reminders for missed appointments",
        aim="Fewer missed outpatient appointments through text reminders",
    )
    search.rebuild()
    base = live_server.url
    _sign_in(page, base, "starter@example.nhs.uk")

    page.goto(f"{base}/projects/new/")
    page.fill("#id_unit", tree["team"].code)
    page.fill("#id_title", "Text reminders for missed outpatient appointments")
    callout = page.locator("#similar-work", has_text="Others nearby may be doing this already")
    expect(callout).to_be_visible(timeout=5000)
    expect(page.locator("#similar-work a", has_text="Text message reminders")).to_be_visible()
    assert page.url == f"{base}/projects/new/"  # nothing was sent: the form is as typed
    assert page.input_value("#id_title") == "Text reminders for missed outpatient appointments"
    assert _foreign(requested, base) == []
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    results = axe.Axe().run(page, options=AXE_OPTIONS)
    assert not results.response["violations"], results.generate_report()
