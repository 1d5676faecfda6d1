"""A team member's PDSA journey in a real browser, from idea to act: start a project choosing the ward
with the autocomplete, link the ward's measure, add a change idea, plan a cycle with its prediction, do
it (the chart is annotated with the cycle's start), study, act, and read and print the record.

Debian's Chromium through Playwright, as tests/e2e/test_browser.py (its fixtures are reused); every page
on the way is checked with axe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from spiral.measurement.models import Annotation
from spiral.organisations.models import Role
from spiral.projects.models import PdsaCycle, Project
from tests.e2e.browser import assert_accessible, expect
from tests.factories import MeasureFactory, MembershipFactory, ObservationFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.browser]


def _save(page: Any, text: str) -> None:
    page.click(f"button:has-text('{text}')")
    page.wait_for_load_state()
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_a_team_member_takes_a_change_idea_from_plan_to_act_with_the_chart_annotated(
    live_server: Any,
    tree: dict[str, Any],
    browser_page: Any,
) -> None:
    nurse = UserFactory(email="nia@example.nhs.uk", display_name="Nia Nurse")
    MembershipFactory(user=nurse, unit=tree["team"], role=Role.MEMBER)
    MembershipFactory(user=nurse, unit=tree["other_team"], role=Role.MEMBER)  # two units: a real choice
    measure = MeasureFactory(
        code="FALLS-W1", name="Falls on Ward 1", owner=tree["team"], improvement="decrease"
    )
    series = SeriesFactory(measure=measure, unit=tree["team"])
    for i, value in enumerate([9, 8, 10, 9, 8, 9, 10, 9, 8, 9, 7, 6]):
        ObservationFactory(
            series=series, period_start=dt.date(2025 + (i + 3) // 12, (i + 3) % 12 + 1, 1), value=value
        )
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/sign-in/")
    page.fill("#id_username", "nia@example.nhs.uk")
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")

    # Start a project: the ward is chosen with the autocomplete (the select it enhances is hidden).
    page.goto(f"{base}/projects/new/")
    combo = page.locator("input#id_unit")
    expect(combo).to_be_visible()
    expect(page.locator("select#id_unit-select")).to_be_hidden()
    assert_accessible(page)
    combo.fill("Ward")
    option = page.locator("#id_unit__listbox li", has_text="Ward 1 (RAA-MED-01)")
    expect(option).to_be_visible()
    expect(page.locator("#id_unit__listbox li", has_text="District nurses")).to_have_count(0)
    option.click()
    assert page.locator("select#id_unit-select").input_value() == "RAA-MED-01"
    page.fill("#id_title", "Bed alarms for fewer falls")
    page.fill("#id_aim", "Reduce falls on Ward 1 from 9 to 5 a month by March")
    page.check("input[name='status'][value='active']")
    _save(page, "Save project")
    project = Project.objects.get(title="Bed alarms for fewer falls")
    assert project.unit == tree["team"]
    page.wait_for_url(f"**/projects/{project.pk}/")

    # Link the ward's falls measure as the outcome.
    page.goto(f"{base}/projects/{project.pk}/measures/")
    page.select_option("#id_link-series", label=f"{measure.name} — {tree['team'].name}")
    page.select_option("#id_link-role", "outcome")
    _save(page, "Link the series")
    assert_accessible(page)

    # A change idea, then a cycle planned with its prediction.
    page.goto(f"{base}/projects/{project.pk}/")
    page.click("a:has-text('Add a change idea')")
    page.fill("#id_title", "Bed alarms at night")
    _save(page, "Add change idea")
    page.goto(f"{base}/projects/{project.pk}/")
    page.click("a:has-text('Plan a PDSA cycle')")
    page.select_option("#id_change_idea", label="Bed alarms at night")
    page.select_option("#id_purpose", "test")
    page.fill("#id_objective", "Try one bed alarm for one night")
    page.fill("#id_prediction", "The alarm rings before the patient stands")
    page.fill("#id_scale_of_test", "1 patient, 1 night")
    assert_accessible(page)
    _save(page, "Save the cycle")
    cycle = PdsaCycle.objects.get(project=project)
    page.wait_for_url(f"**/cycles/{cycle.pk}/")

    # Do: the test begins; the prediction is now text, not a field.
    page.fill("#id_started_on", "2026-02-02")  # a date input: the browser's own format
    page.fill("#id_what_happened", "It rang twice, both before the patient stood")
    _save(page, "Save the cycle")
    expect(page.locator("textarea[name='prediction']")).to_have_count(0)
    expect(page.locator(".spiral-fixed__text")).to_have_text("The alarm rings before the patient stands")
    assert_accessible(page)

    # Study, then act.
    page.fill("#id_results", "As predicted: two alerts, no fall")
    page.select_option("#id_prediction_confirmed", index=1)
    page.fill("#id_learning", "Night staff hear it from the bay")
    page.select_option("#id_decision", "adopt")
    page.fill("#id_rationale", "It worked and staff want it")
    _save(page, "Save the cycle")
    cycle.refresh_from_db()
    assert cycle.decision == "adopt" and cycle.prediction == "The alarm rings before the patient stands"

    # The chart is annotated at the cycle's start, on the project page and the series page.
    annotation = Annotation.objects.get(series=series)
    assert annotation.period_start == dt.date(2026, 2, 1) and "PDSA cycle 1 started" in annotation.text
    page.goto(f"{base}/projects/{project.pk}/")
    expect(page.locator("li", has_text="PDSA cycle 1 started: Bed alarms at night").first).to_be_visible()
    assert_accessible(page)

    # The record, to read and to print without the site's navigation.
    page.goto(f"{base}/projects/{project.pk}/cycles/{cycle.pk}/")
    page.click("a:has-text('Read or print the record')")
    page.wait_for_url(f"**/cycles/{cycle.pk}/record/")
    expect(page.locator("#cycle-1")).to_contain_text("Night staff hear it from the bay")
    expect(page.locator("button[data-spiral-print]")).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".nhsuk-header")).to_be_hidden()
    expect(page.locator(".spiral-subnav")).to_be_hidden()
    expect(page.locator(".nhsuk-footer")).to_be_hidden()
    expect(page.locator("#cycle-1")).to_be_visible()
