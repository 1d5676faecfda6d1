"""On a phone (390 px wide), on the small demo: no main page scrolls sideways, charts keep readable type,
their points can be reached with the keyboard and show their tooltip, and the chart pages pass axe.

Debian's Chromium through Playwright, as tests/e2e/test_browser.py (which skips this module, with its
reason, where Chromium or Playwright is missing).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from spiral.demo.builder import build_demo
from spiral.measurement.models import Measure, Series
from spiral.organisations.models import Membership, User
from spiral.projects.models import PdsaCycle, Project
from spiral.voice.models import FeedbackForm
from tests.e2e.browser import assert_accessible

pytestmark = [pytest.mark.browser]

PHONE = 390

# The rendered size of the smallest text of each chart shown, in CSS pixels (its font size times the
# scale the chart is drawn at).
SMALLEST_CHART_TEXT = """() => [...document.querySelectorAll('svg[viewBox]')]
  .filter(s => s.getBoundingClientRect().width > 0 && s.querySelector('text'))
  .map(s => {
    const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
    const sizes = [...s.querySelectorAll('text')]
      .filter(t => getComputedStyle(t).visibility !== 'hidden' && t.getBoundingClientRect().width > 0)
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return [s.getAttribute('class') || s.getAttribute('aria-label') || 'svg', Math.min(...sizes)];
  })"""


SCROLL_BOXES_FOCUSABLE_WHEN_SCROLLING = """() => [...document.querySelectorAll('.spiral-table-scroll')]
  .every(b => (b.scrollWidth > b.clientWidth + 1) === b.hasAttribute('tabindex'))"""


def _home_unit(person: User) -> Any:
    return Membership.objects.filter(user=person).select_related("unit").order_by("unit__depth").first().unit


def _pages() -> dict[str, tuple[str, str]]:
    """Each main page as (who looks at it, its address)."""
    team = _home_unit(User.objects.get(email="team@example.com"))
    org = _home_unit(User.objects.get(email="lead@example.com"))
    series = Series.objects.filter(unit=team, observations__isnull=False).order_by("pk").distinct().first()
    project = Project.objects.filter(unit=team).order_by("pk").first()
    cycle = PdsaCycle.objects.filter(project__unit=team).order_by("pk").first()
    form = FeedbackForm.objects.filter(unit__path__startswith=team.path).order_by("pk").first() or (
        FeedbackForm.objects.order_by("pk").first()
    )
    indicator = (
        Measure.objects.filter(is_indicator=True, series__unit=org, numerator_definition__gt="")
        .order_by("pk")
        .first()
    )
    return {
        "home": ("team@example.com", "/"),
        "unit's measures": ("team@example.com", f"/measures/units/{team.code}/"),
        "series page": ("team@example.com", f"/measures/series/{series.pk}/"),
        "project": ("team@example.com", f"/projects/{project.pk}/"),
        "PDSA cycle": ("team@example.com", f"/projects/{cycle.project_id}/cycles/{cycle.pk}/"),
        "search": ("team@example.com", "/search/?q=missed+appointments"),
        "feedback form": ("team@example.com", f"/f/{form.slug}/"),
        "lead's home": ("lead@example.com", "/"),
        "measures beneath an organisation": ("lead@example.com", f"/measures/units/{org.code}/?beneath=on"),
        "compared with peers": ("lead@example.com", f"/benchmarking/units/{org.code}/"),
        "funnel plot": ("lead@example.com", f"/benchmarking/{indicator.code}/?unit={org.code}"),
        "indicator across": ("lead@example.com", f"/measures/{indicator.pk}/units/{org.code}/across/"),
        "feedback of an organisation": ("lead@example.com", f"/feedback/units/{org.code}/"),
    }


CHART_PAGES = ("series page", "project", "funnel plot", "compared with peers", "feedback of an organisation")


def _tip_shown(point: Any) -> bool:
    return point.locator(".spiral-svg-tip").evaluate("t => getComputedStyle(t).visibility") == "visible"


def _sign_in(page: Any, live_server: Any, email: str) -> None:
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.django_db(transaction=True)
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_on_a_phone_no_main_page_scrolls_sideways_and_charts_stay_readable(
    live_server: Any,
    browser_page: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPIRAL_EMBEDDINGS", "off")  # search on words: the widths do not need the model
    build_demo(size="small", seed=1)
    pages = _pages()
    page = browser_page
    page.set_viewport_size({"width": PHONE, "height": 844})

    too_wide, small_type = [], []
    signed_in = None
    for name, (email, path) in pages.items():
        if email != signed_in:
            _sign_in(page, live_server, email)
            signed_in = email
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{name}: {path} answered {response.status}"
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE:
            too_wide.append(f"{name} ({path}): {width} px")
        for chart, smallest in page.evaluate(SMALLEST_CHART_TEXT):
            if smallest < 12:
                small_type.append(f"{name}: {chart}: {smallest:.1f} px")
        if name in CHART_PAGES:
            assert_accessible(page)
    assert not too_wide, "pages wider than the phone: " + "; ".join(too_wide)
    assert not small_type, "chart text smaller than 12 px: " + "; ".join(small_type)

    # The series page's points: the keyboard reaches the first, its tooltip shows, the arrows move on.
    _sign_in(page, live_server, "team@example.com")
    page.goto(f"{live_server.url}{pages['series page'][1]}")
    points = page.locator(".spiral-svg-narrow svg").first.locator(".spiral-svg-point")
    assert points.count() > 2
    assert points.nth(1).get_attribute("tabindex") == "-1"  # one tab stop per chart (init.js)
    first, second = points.nth(0), points.nth(1)
    first.focus()
    assert (_tip_shown(first), _tip_shown(second)) == (True, False)
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == second.get_attribute(
        "aria-label"
    )
    assert (_tip_shown(first), _tip_shown(second)) == (False, True)

    # A wide table scrolls in its own box, which the keyboard can reach (and scroll) on the phone.
    measures_page = pages["unit's measures"][1]
    page.goto(f"{live_server.url}{measures_page}")
    box = page.locator(".spiral-table-scroll:has(table.nhsuk-table:not(.spiral-matrix))").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    assert box.get_attribute("aria-label")
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("b => b.scrollLeft > 0", arg=box.element_handle())
    page.wait_for_function(SCROLL_BOXES_FOCUSABLE_WHEN_SCROLLING)

    # On a wide screen the wide layouts are shown instead, and pass axe too; a table that fits is no
    # tab stop (init.js), one that still overflows is.
    page.set_viewport_size({"width": 1280, "height": 900})
    for name in ("series page", "funnel plot"):
        email, path = pages[name]
        _sign_in(page, live_server, email)
        page.goto(f"{live_server.url}{path}")
        assert page.locator(".spiral-svg-wide").first.is_visible()
        assert not page.locator(".spiral-svg-narrow").first.is_visible()
        assert_accessible(page)
    page.wait_for_function(SCROLL_BOXES_FOCUSABLE_WHEN_SCROLLING)
    assert page.evaluate(
        "() => [...document.querySelectorAll('.spiral-table-scroll')].some(b => !b.hasAttribute('tabindex'))"
    )  # the funnel page's small tables fit
