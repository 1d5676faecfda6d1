"""Two people's main journeys, in a real browser, through the pages as they would do them:

- a lead of an organisation imports observations: a file with one bad row is previewed with the row and
  column named and nothing written; the corrected file is previewed, confirmed and seen on the series page;
- a coach goes from home to the projects they coach, sees a stuck project's signal and follows it.

Data is set up with factories; everything a person does is done through the pages. Axe (WCAG 2.2 AA) is
run on each page. Debian's Chromium through Playwright (tests/e2e/browser.py); skipped with a reason
without it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from spiral.measurement.models import Observation
from spiral.organisations.models import Role
from tests.e2e.browser import assert_accessible, expect, sign_in
from tests.factories import (
    ChangeIdeaFactory,
    MeasureFactory,
    MembershipFactory,
    ObservationFactory,
    PdsaCycleFactory,
    ProgressScoreFactory,
    ProjectFactory,
    SeriesFactory,
    TeamMemberFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser]

# --- a lead's import: a bad row, then a good file ----------------------------------------------------------

BAD_FILE = (
    b"unit_code,measure_code,period,value,note\n"
    b"RAA-MED-01,FALLS,2025-01,12,\n"
    b"RAA-MED-01,FALLS,2025-02,nine,\n"
    b"RAA-MED-01,FALLS,2025-03,10,\n"
)
GOOD_FILE = (
    b"unit_code,measure_code,period,value,note\n"
    b"RAA-MED-01,FALLS,2025-01,12,\n"
    b"RAA-MED-01,FALLS,2025-02,9,night checks began\n"
    b"RAA-MED-01,FALLS,2025-03,10,\n"
)


def _upload(page: Any, name: str, data: bytes) -> None:
    page.check("input[name='what'][value='observations']")
    # The NHS.UK file upload: its "Choose file" button opens the system's file chooser.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="File (CSV or XLSX)").click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    expect(page.locator("main")).to_contain_text(name)
    page.click("button:has-text('Check file')")
    page.wait_for_load_state()


def _data_periods(page: Any) -> list[str]:
    """The periods the series page's data table shows with a value."""
    rows = page.locator("table.nhsuk-table-responsive tbody tr")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        if row.locator("th").count() and "missing" not in row.inner_text():
            out.append(row.locator("th").inner_text().replace("Period", "").strip())
    return out


def _open_series(page: Any, measure: str, unit: str, pk: int) -> None:
    """The way a person finds a series: Measures in the header, the measure, then the unit's series."""
    page.click(".nhsuk-header__navigation-link:has-text('Measures')")
    page.wait_for_url("**/measures/")
    page.click(f"a:has-text('{measure}')")
    page.wait_for_url("**/measures/*/")
    page.click(f"td a:has-text('{unit}')")
    page.wait_for_url(f"**/measures/series/{pk}/")


@pytest.mark.django_db(transaction=True)
def test_a_lead_imports_a_file_with_a_bad_row_then_the_corrected_file(
    live_server: Any, tree: dict[str, Any], browser_page: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # the uploads waiting between preview and confirmation
    lead = UserFactory(email="lead@example.nhs.uk", display_name="Lena Lead")
    MembershipFactory(user=lead, unit=tree["org"], role=Role.LEADER)
    falls = MeasureFactory(
        code="FALLS", name="Falls per 1,000 bed days", owner=tree["org"], improvement="decrease"
    )
    series = SeriesFactory(measure=falls, unit=tree["team"])
    for month in range(1, 13):  # 2024: what the ward has recorded so far
        ObservationFactory(series=series, period_start=dt.date(2024, month, 1), value=14 + month % 3)
    page, base = browser_page, live_server.url

    sign_in(page, base, "lead@example.nhs.uk")
    page.click(".nhsuk-header__navigation-link:has-text('Measures')")
    page.wait_for_url("**/measures/")
    page.click("a:has-text('Import measures or observations from a file')")
    page.wait_for_url("**/measures/import/")
    expect(page.locator("h1", has_text="Import measures or observations")).to_be_visible()
    assert_accessible(page)

    # The file with a bad value in its second data row (row 3 of the file, counting the header).
    _upload(page, "falls.csv", BAD_FILE)
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Some rows cannot be imported")
    expect(summary).to_contain_text("row 3, column value: 'nine' is not a number")
    problems = page.locator(
        "table", has=page.locator("caption", has_text="1 problem: these rows are rejected")
    )
    expect(problems.locator("tbody tr")).to_have_count(1)
    cells = [c.strip() for c in problems.locator("tbody td").all_inner_texts()]
    assert cells[0] == "3" and cells[1].startswith("value"), cells
    expect(page.locator("caption", has_text="2 observations to add")).to_be_visible()
    # Nothing is imported unless asked: the page offers the valid rows as a choice, not a default.
    expect(page.locator("button", has_text="Import the valid rows (2)")).to_be_visible()
    expect(page.get_by_role("button", name="Import", exact=True)).to_have_count(0)
    assert_accessible(page)

    # The lead chooses another file rather than importing part of this one.
    page.click("a:has-text('Choose another file')")
    expect(page.get_by_role("button", name="Check file")).to_be_visible()

    # Nothing was written: not in the database, and not on the series page.
    assert Observation.objects.filter(series=series).count() == 12
    assert not Observation.objects.filter(series=series, period_start__year=2025).exists()
    _open_series(page, falls.name, tree["team"].name, series.pk)
    assert _data_periods(page)[-1] == "2024-12"

    # The corrected file: previewed with nothing rejected, then confirmed.
    page.click(".nhsuk-header__navigation-link:has-text('Measures')")
    page.click("a:has-text('Import measures or observations from a file')")
    page.wait_for_url("**/measures/import/")
    _upload(page, "falls-corrected.csv", GOOD_FILE)
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page.locator("h2", has_text="Check what will change")).to_be_visible()
    expect(page.locator("main")).to_contain_text("falls-corrected.csv: 3 to add, 0 to change, 0 unchanged")
    added = page.locator("table", has=page.locator("caption", has_text="3 observations to add"))
    expect(added.locator("tbody tr")).to_have_count(3)
    assert not Observation.objects.filter(series=series, period_start__year=2025).exists()  # a preview
    assert_accessible(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url("**/measures/import/")
    expect(page.locator("body")).to_contain_text("falls-corrected.csv has been imported")
    assert_accessible(page)
    assert Observation.objects.filter(series=series, period_start__year=2025).count() == 3

    _open_series(page, falls.name, tree["team"].name, series.pk)
    expect(page.locator("h1", has_text="Falls per 1,000 bed days")).to_be_visible()
    assert _data_periods(page)[-3:] == ["2025-01", "2025-02", "2025-03"]
    expect(page.locator("td", has_text="night checks began")).to_be_visible()
    # The chart draws the 15 points (12 recorded before, 3 imported).
    chart = page.locator("figure.spiral-chart svg:not(.spc-narrow)")  # the wide layout (phones: narrow)
    expect(chart).to_be_visible()
    assert chart.locator("circle").count() >= 15
    assert_accessible(page)


# --- a coach's signals ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_coach_sees_a_stuck_projects_signal_and_follows_it(
    live_server: Any, tree: dict[str, Any], browser_page: Any
) -> None:
    today = timezone.localdate()
    coach = UserFactory(email="coach@example.nhs.uk", display_name="Cora Coach")
    MembershipFactory(user=coach, unit=tree["org"], role=Role.COACH)
    # Stuck: testing changes, but the last cycle started 90 days ago.
    stuck = ProjectFactory(
        unit=tree["team"], title="Fewer falls at night", stage="testing",
        start_date=today - dt.timedelta(days=200),
    )  # fmt: skip
    TeamMemberFactory(project=stuck, user=coach, role="coach")
    idea = ChangeIdeaFactory(project=stuck, text="Hourly checks after 10pm")
    PdsaCycleFactory(change_idea=idea, started_on=today - dt.timedelta(days=90))
    ProgressScoreFactory(project=stuck, month=today.replace(day=1), score=Decimal("2.0"))
    # Moving: a cycle started a fortnight ago; no signal.
    moving = ProjectFactory(
        unit=tree["directorate"], title="Quicker discharge letters", stage="testing",
        start_date=today - dt.timedelta(days=200),
    )  # fmt: skip
    TeamMemberFactory(project=moving, user=coach, role="coach")
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=moving), started_on=today - dt.timedelta(days=14))
    page, base = browser_page, live_server.url

    sign_in(page, base, "coach@example.nhs.uk")
    expect(page.locator("h1", has_text="Welcome")).to_be_visible()
    assert_accessible(page)

    # Home shows the coach's signals; one click to every project they coach.
    expect(page.locator("h2", has_text="Teams I coach: signals")).to_be_visible()
    page.click("a:has-text('Every project I coach, with its signals')")
    page.wait_for_url("**/projects/coaching/")
    expect(page.locator("h1", has_text="Projects I coach")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    stuck_row = rows.filter(has_text="Fewer falls at night")
    expect(stuck_row.locator(".spiral-signal", has_text="No PDSA cycle in 60 days")).to_be_visible()
    began = today - dt.timedelta(days=90)
    expect(stuck_row).to_contain_text(f"{began.day} {began:%B %Y}")  # the last cycle started
    moving_row = rows.filter(has_text="Quicker discharge letters")
    expect(moving_row.locator(".spiral-signal")).to_have_count(0)
    assert_accessible(page)

    stuck_row.locator("a", has_text="Fewer falls at night").click()
    page.wait_for_url(f"**/projects/{stuck.pk}/")
    expect(page.locator("h1", has_text="Fewer falls at night")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Hourly checks after 10pm")
    assert_accessible(page)
