"""End to end in a real browser: sign in, walk the hierarchy, check every page with axe (WCAG 2.2 AA).

Debian's Chromium through Playwright (tests/e2e/browser.py); skipped with a reason where it is absent.
"""

from __future__ import annotations

from typing import Any

import pytest

from spiral.organisations.models import Role
from tests.e2e.browser import assert_accessible, expect, sign_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_a_person_signs_in_and_walks_the_hierarchy_with_no_accessibility_violations(
    live_server: Any, tree: dict[str, Any], browser_page: Any
) -> None:
    person = UserFactory(email="walker@example.nhs.uk", display_name="Wendy Walker")
    MembershipFactory(user=person, unit=tree["team"], role=Role.MEMBER)
    page = browser_page

    page.goto(f"{live_server.url}/")
    assert "/sign-in/" in page.url
    assert_accessible(page)

    # A wrong password first: the error summary is shown and is accessible.
    page.fill("#id_username", "walker@example.nhs.uk")
    page.fill("#id_password", "not the password")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.fill("#id_username", "walker@example.nhs.uk")
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("h2", has_text="My units")).to_be_visible()
    expect(page.locator("#my-units + ul a", has_text=tree["team"].name)).to_be_visible()
    assert_accessible(page)

    page.click(".nhsuk-header__navigation-link:has-text('Units')")
    page.wait_for_url("**/units/")
    expect(page.locator("h1", has_text="Units")).to_be_visible()
    assert_accessible(page)

    # Down the tree, one level at a time, checking breadcrumbs on the way.
    walked = []
    for key in ("nation", "region", "icb", "org", "directorate", "team"):
        unit = tree[key]
        page.click(f"a:has-text('{unit.name}')")
        page.wait_for_url(f"**/units/{unit.code}/")
        expect(page.locator("h1", has_text=unit.name)).to_be_visible()
        crumbs = page.locator(".nhsuk-breadcrumb__list .nhsuk-breadcrumb__link").all_inner_texts()
        assert [c.strip() for c in crumbs] == ["Home", *walked]
        assert_accessible(page)
        walked.append(unit.name)

    # The team page lists its people with their roles.
    expect(page.get_by_role("cell", name="Wendy Walker", exact=True)).to_be_visible()

    page.click("td a:has-text('Wendy Walker')")
    page.wait_for_url("**/people/*/")
    expect(page.locator("h1", has_text="Wendy Walker")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/people/?q=Walker")
    expect(page.locator("td a", has_text="Wendy Walker")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/profile/")
    page.fill("#id_display_name", "")
    page.click("button:has-text('Save profile')")
    page.wait_for_load_state()
    expect(page.locator(".nhsuk-error-summary a[href='#id_display_name']")).to_be_visible()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_board_member_reaches_the_matrix_and_stories_from_home_and_a_partner_gives_feedback_from_home(
    live_server: Any, tree: dict[str, Any], browser_page: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from spiral.measurement import analyses
    from spiral.voice import services as voice
    from spiral.voice.models import Answer
    from tests.factories import (
        FeedbackFormFactory,
        MeasureFactory,
        ObservationFactory,
        ProjectFactory,
        SeriesFactory,
        TeamMemberFactory,
    )

    board = UserFactory(email="board@example.nhs.uk", display_name="Bea Board")
    MembershipFactory(user=board, unit=tree["org"], role=Role.LEADER)
    partner = UserFactory(email="partner@example.nhs.uk", display_name="Pat Partner")
    MembershipFactory(user=partner, unit=tree["team"], role=Role.PATIENT_PARTNER)
    project = ProjectFactory(unit=tree["team"], title="Quieter nights on Ward 1")
    TeamMemberFactory(project=project, user=partner, role="patient_partner")
    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"], name="Falls on the ward"))
    for i, value in enumerate([5.0, 6, 5, 7, 6, 5, 6, 5, 6, 7, 5, 6]):
        ObservationFactory(series=series, period_start=dt.date(2025, i + 1, 1), value=value)
    analyses.recompute([series.pk])
    voice.create_story(
        unit=tree["org"], by=None, title="A night on the ward", teller="patient", about="an older man",
        text="The nurses listened.", consent_given_on=timezone.localdate(),
    )  # fmt: skip
    form = FeedbackFormFactory(unit=tree["team"], title="Ward 1: tell us about your care")
    page, base = browser_page, live_server.url

    # A board member: home, then one click to the integrated performance report and its summary matrix.
    sign_in(page, base, "board@example.nhs.uk")
    expect(page.locator("h2", has_text="Riverside Hospitals: for the board")).to_be_visible()
    assert_accessible(page)
    page.click("a:has-text('The board’s integrated performance report')")
    page.wait_for_url("**/measures/units/RAA/?beneath=on")
    expect(page.locator("table.spiral-matrix")).to_be_visible()
    expect(page.locator("a", has_text="Falls on the ward")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/")
    page.click("a:has-text('Stories for the board of Riverside Hospitals')")
    page.wait_for_url("**/feedback/units/RAA/stories/")
    expect(page.get_by_text("A night on the ward").first).to_be_visible()
    assert_accessible(page)

    # A patient partner: home, then the form of their project's ward; what they write is screened.
    sign_in(page, base, "partner@example.nhs.uk")
    expect(page.locator("a", has_text="Quieter nights on Ward 1")).to_be_visible()
    assert_accessible(page)
    page.click("a:has-text('Give feedback on Ward 1')")
    page.wait_for_url(f"**/f/{form.slug}/")
    assert_accessible(page)
    page.check("input[name='rating'][value='good']")
    page.fill("#id_better", "Quieter nights please, ring me on 07700 900123")
    page.click("button:has-text('Send your feedback')")
    expect(page.get_by_text("a member of staff will check it")).to_be_visible()
    assert_accessible(page)
    answer = Answer.objects.get(form=form)
    assert answer.better == "Quieter nights please, ring me on [redacted]" and answer.status == "review"

    # ...and, as a member of the project's team, writes in its journal: from home to the project, then
    # its journal; what they write is screened there too.
    page.goto(f"{base}/")
    page.click("a:has-text('Quieter nights on Ward 1')")
    page.click("a:has-text('The journal')")
    assert_accessible(page)
    page.fill("#id_text", "Patients told us the 2am observations wake them; call Mrs Jones on 07700 900123")
    page.click("button:has-text('Add the update')")
    # Identifying details are refused, saying why; nothing is saved until they are taken out.
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("a name and a phone number")
    assert_accessible(page)
    page.fill("#id_text", "Patients told us the 2am observations wake them")
    page.click("button:has-text('Add the update')")
    expect(page.get_by_text("The update has been added to the journal.")).to_be_visible()
    expect(page.get_by_text("Patients told us the 2am observations wake them")).to_be_visible()
    assert "07700 900123" not in page.content()
    assert_accessible(page)
