"""In a real browser, Spiral's pages request nothing from another origin (no font host, no CDN), so a
self-hosted, offline or locked-down deployment never waits for a host it cannot reach. And starting a
project lists overlapping work as the aim is typed (the form's script and its fragment).

Debian's Chromium through Playwright, as tests/e2e/test_browser.py; skipped with a reason without it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from spiral.knowledge import search
from spiral.organisations.models import Role
from tests.e2e.browser import assert_accessible, chromium_page, expect, sign_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page and every URL it requests. A request to another origin is recorded and refused at once
    (so the test is as fast offline as on line); the page's own requests go through."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    origin = urlsplit(live_server.url)
    requested: list[str] = []
    with chromium_page() as page:

        def route(r: Any) -> None:
            url = urlsplit(r.request.url)
            if (url.scheme, url.netloc) == (origin.scheme, origin.netloc) or url.scheme in ("data", "blob"):
                r.continue_()
            else:
                r.abort()

        page.on("request", lambda request: requested.append(request.url))
        page.route("**/*", route)
        yield page, requested


def _foreign(requested: list[str], base: str) -> list[str]:
    origin = urlsplit(base)
    return [
        u
        for u in requested
        if urlsplit(u).scheme not in ("data", "blob")
        and (urlsplit(u).scheme, urlsplit(u).netloc) != (origin.scheme, origin.netloc)
    ]


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
    sign_in(page, base, "offline@example.nhs.uk")
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
    sign_in(page, base, "starter@example.nhs.uk")

    page.goto(f"{base}/projects/new/")
    page.fill("#id_unit", tree["team"].code)
    page.fill("#id_title", "Text reminders for missed outpatient appointments")
    callout = page.locator("#similar-work", has_text="Others nearby may be doing this already")
    expect(callout).to_be_visible(timeout=5000)
    expect(page.locator("#similar-work a", has_text="Text message reminders")).to_be_visible()
    assert page.url == f"{base}/projects/new/"  # nothing was sent: the form is as typed
    assert page.input_value("#id_title") == "Text reminders for missed outpatient appointments"
    assert _foreign(requested, base) == []
    assert_accessible(page)
