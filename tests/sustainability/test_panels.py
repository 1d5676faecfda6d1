"""Gain at risk where people look: the project's overview (the chart and the rule that fired), the unit's
page, the board's section of the home page; and the spread in the project's sustainability picture."""

from __future__ import annotations

import datetime as dt

import pytest

from spiral.knowledge.models import Adoption
from spiral.measurement.models import Analysis
from spiral.organisations.models import Role
from spiral.sustainability import watch
from tests.conftest import client_for, user_with_role
from tests.factories import (
    HandoverFactory,
    ObservationFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    SeriesFactory,
    TeamMemberFactory,
    UserFactory,
)
from tests.sustainability.test_watch import HANDED_OVER, SLIPPED, STEADY, month


@pytest.fixture
def slipped(tree):
    project = ProjectFactory(unit=tree["team"], stage="sustaining", title="Falls huddle")
    lead = TeamMemberFactory(project=project, role="lead").user
    series = SeriesFactory(
        unit=tree["team"],
        measure__owner=tree["team"],
        measure__improvement="increase",
        measure__name="Huddles held",
    )
    link = ProjectMeasureFactory(project=project, series=series)
    HandoverFactory(project=project, handed_over_on=HANDED_OVER).measures.set([link])
    for i, v in enumerate([*STEADY, *SLIPPED]):
        ObservationFactory(series=series, period_start=month(i), value=v)
    watch.run()
    return project, lead


def test_the_overview_shows_the_gain_at_risk_with_its_chart_and_rule_and_a_form_for_the_team(slipped):
    project, lead = slipped
    page = client_for(lead).get(f"/projects/{project.pk}/").content.decode()
    panel = page.split('id="gain-at-risk"')[1].split("</section>")[0]
    assert "Gain at risk: Huddles held" in panel and "<svg" in panel
    assert "The rule that fired" in panel and "Gain at risk here" in panel
    assert 'name="acknowledge"' in panel
    outsider = client_for(UserFactory()).get(f"/projects/{project.pk}/").content.decode()
    assert "Gain at risk: Huddles held" in outsider and 'name="acknowledge"' not in outsider


def test_a_project_nobody_watches_shows_no_panel(tree):
    project = ProjectFactory(unit=tree["team"], stage="testing")
    lead = TeamMemberFactory(project=project, role="lead").user
    assert 'id="gain-at-risk"' not in client_for(lead).get(f"/projects/{project.pk}/").content.decode()


def test_the_unit_page_and_the_board_list_the_gain_at_risk(slipped, tree):
    leader = user_with_role(Role.LEADER, tree["org"])
    unit_page = client_for(leader).get(f"/units/{tree['org'].code}/").content.decode()
    assert "Gains at risk in Riverside Hospitals" in unit_page and "Falls huddle" in unit_page
    other = client_for(leader).get(f"/units/{tree['other_org'].code}/").content.decode()
    assert "Gains at risk in" not in other
    home = client_for(leader).get("/").content.decode()
    board = home.split('id="board-gains-at-risk"')[1].split("<h3>")[0]
    assert "Falls huddle" in board and "Huddles held" in board


def test_the_spread_counts_adopting_units_and_those_improving(slipped, tree):
    project, lead = slipped
    for unit, improving in ((tree["other_team"], True), (tree["directorate"], False)):
        adopted = ProjectFactory(unit=unit, stage="testing")
        series = SeriesFactory(unit=unit, measure__owner=unit)
        ProjectMeasureFactory(project=adopted, series=series, role="outcome")
        Analysis.objects.create(
            series=series, variation_icon="improvement_high" if improving else "common_cause"
        )
        Adoption.objects.create(
            source_project=project, project=adopted, unit=unit, adopted_on=dt.date(2025, 3, 1)
        )
    page = client_for(lead).get(f"/projects/{project.pk}/").content.decode()
    assert "Gain at risk here, adopted by 2 units, improving in 1 (2 measures of their own)" in page


def test_the_api_reads_the_watch_and_acknowledges_with_a_note(slipped):
    project, lead = slipped
    path = f"/api/v1/projects/{project.pk}/watch"
    data = client_for(lead).get(path).json()
    [measure] = data["measures"]
    assert measure["state"] == "at_risk" and measure["alert"] and measure["fixed_from"] == "handover"
    assert data["spread"].startswith("Gain at risk here")
    body = {"alert": measure["alert"], "note": ""}
    assert (
        client_for(lead).post(f"{path}/acknowledge", body, content_type="application/json").status_code == 400
    )
    outsider = client_for(UserFactory()).post(
        f"{path}/acknowledge", {**body, "note": "x"}, content_type="application/json"
    )
    assert outsider.status_code == 403
    body["note"] = "A new rota; huddles restarted"
    done = client_for(lead).post(f"{path}/acknowledge", body, content_type="application/json").json()
    assert done["measures"][0]["note"] == "A new rota; huddles restarted"
    missing = client_for(lead).post(
        f"{path}/acknowledge", {"alert": 999999, "note": "x"}, content_type="application/json"
    )
    assert missing.status_code == 400 and "No open gain at risk" in missing.json()["detail"]
