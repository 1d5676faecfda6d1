"""A PDSA cycle read and printed as a record: its change idea's ramp one cycle after another, as text,
with a print stylesheet that leaves out the navigation; a prediction that can no longer change is text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from spiral.projects import services
from spiral.projects.models import DriverNode
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PRINT_CSS = Path(__file__).resolve().parents[2] / "spiral" / "projects" / "static" / "projects" / "print.css"


@pytest.fixture
def ramp(project, lead):
    aim = DriverNode.objects.get(project=project, kind="aim")
    idea = services.create_change_idea(project=project, title="Bed alarms", parents=[aim.pk], by=lead)
    first = services.create_cycle(
        project=project, change_idea=idea, objective="One bed, one night", prediction="It rings twice",
        purpose="test", by=lead,
    )  # fmt: skip
    services.update_cycle(
        cycle=first, by=lead, started_on=dt.date(2026, 3, 2), what_happened="It rang four times",
        results="Twice as often as predicted", decision="adapt",
    )  # fmt: skip
    second = services.create_cycle(
        project=project, change_idea=idea, objective="Three beds for a week", prediction="Fewer falls",
        by=lead,
    )  # fmt: skip
    other = services.create_change_idea(project=project, title="Hourly rounds", parents=[aim.pk], by=lead)
    services.create_cycle(project=project, change_idea=other, objective="Elsewhere entirely", by=lead)
    first.refresh_from_db()
    return first, second


def test_the_record_shows_the_ramp_one_cycle_after_another_as_text(project, ramp, outsider):
    second = ramp[1]
    response = client_for(outsider).get(f"/projects/{project.pk}/cycles/{second.pk}/record/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="cycle-1"') < html.index('id="cycle-2"')
    assert "One bed, one night" in html and "Three beds for a week" in html
    assert "Elsewhere entirely" not in html  # another change idea's cycle
    assert "It rang four times" in html and "2 March 2026" in html and "Adapt" in html
    assert "Not recorded yet" in html  # cycle 2 has not begun
    this = html[html.index('id="cycle-2"') :]
    assert (
        "This cycle" in this
        and "This cycle" not in html[html.index('id="cycle-1"') : html.index('id="cycle-2"')]
    )
    assert "<textarea" not in html and '<form method="post" novalidate>' not in html  # a record, not a form


def test_the_record_prints_without_the_navigation(project, ramp, outsider):
    html = client_for(outsider).get(f"/projects/{project.pk}/cycles/{ramp[0].pk}/record/").content.decode()
    link = re.search(r'<link rel="stylesheet" href="([^"]*print[^"]*\.css)" media="print">', html)
    assert link and "projects/print" in link.group(1)
    css = PRINT_CSS.read_text()
    hidden = css[: css.index("{ display: none !important; }")]
    for chrome in (
        ".nhsuk-header",
        ".nhsuk-footer",
        ".nhsuk-breadcrumb",
        ".spiral-subnav",
        ".spiral-no-print",
    ):
        assert chrome in hidden
    assert 'class="spiral-no-print"' in html  # the page's own links back are left off paper


def test_the_record_links_from_the_cycle_and_the_change_idea(project, ramp, lead):
    first, _ = ramp
    client = client_for(lead)
    record = f"/projects/{project.pk}/cycles/{first.pk}/record/"
    assert record in client.get(f"/projects/{project.pk}/cycles/{first.pk}/").content.decode()
    ramp_page = client.get(f"/projects/{project.pk}/ideas/{first.change_idea_id}/").content.decode()
    assert "/record/" in ramp_page


def test_a_record_of_another_projects_cycle_is_not_found(project, ramp, outsider, tree, lead):
    other = services.create_project(unit=tree["other_team"], title="Other", by=lead)
    response = client_for(outsider).get(f"/projects/{other.pk}/cycles/{ramp[0].pk}/record/")
    assert response.status_code == 404


def test_a_prediction_that_can_no_longer_change_is_text_not_a_field(project, ramp, lead):
    first, second = ramp
    client = client_for(lead)
    begun = client.get(f"/projects/{project.pk}/cycles/{first.pk}/").content.decode()
    assert 'name="prediction"' not in begun
    assert "It rings twice" in begun and "It cannot change now the test has begun" in begun
    planned = client.get(f"/projects/{project.pk}/cycles/{second.pk}/").content.decode()
    assert 'name="prediction"' in planned  # before the test it may still be written or changed


def test_saving_a_begun_cycle_keeps_its_prediction(project, ramp, lead):
    first, _ = ramp
    response = client_for(lead).post(
        f"/projects/{project.pk}/cycles/{first.pk}/",
        {"objective": first.objective, "started_on": "02/03/2026", "what_happened": "It rang four times",
         "results": "Twice as often", "learning": "Alarms need a quieter tone", "decision": "adapt",
         "version": first.version, "purpose": "test"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    first.refresh_from_db()
    assert first.prediction == "It rings twice" and first.learning == "Alarms need a quieter tone"


def test_the_service_still_refuses_a_changed_prediction(project, ramp, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cannot change once the test has begun"):
        services.update_cycle(cycle=ramp[0], by=lead, prediction="Something else")
