"""Breakthrough objectives, driver and watch measures, the drivers' SPC charts and the bowling chart."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from spiral.priorities import presenters, queries, services
from spiral.priorities.models import Breakthrough
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import GoalFactory, MeasureFactory, ResponseFactory
from tests.priorities.conftest import SHIFT_UP, STEADY, observe

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(tree, indicator):
    """Riverside's goal: falls (a driver, lower is better, rising: concern) and sickness (a watch, lower
    is better, rising too: a watch metric slipping)."""
    sickness = MeasureFactory(owner=tree["nation"], code="SICK", name="Sickness", is_indicator=True,
                              improvement="decrease")  # fmt: skip
    observe(indicator, tree["org"], SHIFT_UP)
    observe(sickness, tree["org"], SHIFT_UP)
    return GoalFactory(unit=tree["org"], measures=[(indicator, 4.0, "driver"), (sickness, 30.0, "watch")],
                       confirm_direction=True)  # fmt: skip


def test_a_measure_is_a_driver_unless_marked_watch_and_an_unknown_role_is_refused(tree, indicator):
    goal = GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)])
    assert goal.measures.get().role == "driver"
    with pytest.raises(ValidationError, match="not a role"):
        GoalFactory(unit=tree["org"], measures=[(indicator, 4.0, "bystander")])


def test_a_watch_metric_with_special_cause_concern_is_flagged_on_the_goal_and_the_cascade(
    tree, watched, member
):
    cells = queries.cells(member, watched)
    assert [(c.measure.code, c.is_watch_concern) for c in cells] == [("FALLS", False), ("SICK", True)]
    page = client_for(member).get(f"/priorities/goals/{watched.pk}/").content.decode()
    assert "Watch metric slipping" in page and "Watch: concern" in page
    cascade = client_for(member).get(f"/priorities/goals/{watched.pk}/cascade/").content.decode()
    assert "Watch metrics slipping" in cascade and "Riverside Hospitals (Sickness)" in cascade


def test_answers_keep_the_roles_of_the_goal_above(tree, watched):
    mine = ResponseFactory(goal=watched, unit=tree["directorate"])
    assert list(mine.measures.values_list("measure__code", "role")) == [
        ("FALLS", "driver"),
        ("SICK", "watch"),
    ]


def test_the_bowling_chart_has_twelve_months_of_actuals_with_mdc_icons_not_rag(tree, watched, member):
    months, rows = presenters.bowling(queries.analysed(member, watched, queries.cells(member, watched)))
    assert len(months) == 12 and f"{months[-1]:%Y-%m}" == "2025-08"  # the twentieth month of data
    falls = rows[0]
    assert [c.actual for c in falls.cells] == SHIFT_UP[-12:]
    assert falls.cells[-1].variation == "concern_high"  # more falls: concern, above the centre line
    # The twelve low months before the rise are a shift below the mean too: fewer falls, improvement.
    assert falls.cells[0].variation == "improvement_low"
    assert {c.assurance for c in falls.cells} <= {"pass", "fail", "hit_and_miss"}
    assert falls.cells[-1].assurance == "fail"  # every month's limits above a target of 4 falls
    assert rows[1].flagged and not falls.flagged


def test_the_goal_page_shows_the_drivers_spc_charts_and_the_bowling_chart(tree, watched, member):
    page = client_for(member).get(f"/priorities/goals/{watched.pk}/").content.decode()
    assert "Driver measures on SPC charts" in page and "<svg" in page
    assert "Driver measure: Falls, Riverside Hospitals" in page
    assert "Driver measure: Sickness" not in page  # a watch metric is not a driver
    assert "Bowling chart" in page and "Consistently failing the target" in page


def test_point_assurance_follows_the_improvement_direction():
    assert presenters.point_assurance("increase", 5.0, 9.0, 4.0) == "pass"
    assert presenters.point_assurance("decrease", 5.0, 9.0, 4.0) == "fail"
    assert presenters.point_assurance("decrease", 5.0, 9.0, 7.0) == "hit_and_miss"
    assert presenters.point_assurance("neutral", 5.0, 9.0, 7.0) == ""


def test_a_goal_has_at_most_three_breakthrough_objectives_a_year(tree, goal, org_leader):
    for title in ("Halve falls with harm", "No pressure ulcers", "Safe nights"):
        services.add_breakthrough(goal=goal, by=org_leader, title=title, year=2026)
    with pytest.raises(ValidationError, match="vital few"):
        services.add_breakthrough(goal=goal, by=org_leader, title="One more", year=2026)
    services.add_breakthrough(goal=goal, by=org_leader, title="Next year's", year=2027)
    assert Breakthrough.objects.filter(goal=goal).count() == 4


@pytest.mark.parametrize(("year", "title"), [(1999, "Old"), (2026, ""), ("2026", "A string year")])
def test_a_breakthrough_with_a_bad_year_or_no_title_is_refused(goal, year, title):
    with pytest.raises(ValidationError):
        services.add_breakthrough(goal=goal, by=None, title=title, year=year)
    assert not Breakthrough.objects.exists()


def test_breakthroughs_on_the_page_and_through_the_api(tree, goal, org_leader, member):
    page = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/breakthroughs/",
                                       {"breakthrough-title": "Halve falls", "breakthrough-year": "2026"})  # fmt: skip
    assert page.status_code == 302
    bad = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/breakthroughs/",
                                      {"breakthrough-title": "", "breakthrough-year": "20x6"})  # fmt: skip
    assert bad.status_code == 200 and 'href="#id_breakthrough-year"' in bad.content.decode()
    api = Client().post(f"/api/v1/goals/{goal.pk}/breakthroughs", json.dumps({"title": "Safe nights", "year": 1850}),
                        content_type="application/json", **bearer(org_leader))  # fmt: skip
    assert api.status_code == 422
    refused = Client().post(f"/api/v1/goals/{goal.pk}/breakthroughs", json.dumps({"title": "X", "year": 2026}),
                            content_type="application/json", **bearer(member))  # fmt: skip
    assert refused.status_code == 403
    read = Client().get(f"/api/v1/goals/{goal.pk}", **bearer(member)).json()
    assert [b["title"] for b in read["breakthroughs"]] == ["Halve falls"]


def test_the_api_gives_the_bowling_chart_and_the_watch_flag(watched, member):
    rows = Client().get(f"/api/v1/goals/{watched.pk}/bowling", **bearer(member)).json()["items"]
    assert [r["measure"] for r in rows] == ["FALLS", "SICK"] and rows[1]["watch_concern"] is True
    assert len(rows[0]["months"]) == 12 and rows[0]["months"][-1]["variation"] == "concern_high"
    goal = Client().get(f"/api/v1/goals/{watched.pk}", **bearer(member)).json()
    assert [m["role"] for m in goal["measures"]] == ["driver", "watch"]


def test_a_goal_without_data_has_no_bowling_rows(goal, member):
    assert presenters.bowling(queries.analysed(member, goal, queries.cells(member, goal)))[1] == []
    assert STEADY  # the fixture data stays importable for other modules
