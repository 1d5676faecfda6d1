"""The portfolio of a unit and beneath (issue 19): counts, shares, time to 3.0 and 4.0, stuck projects,
gains at risk and penetration, counted independently here; page, API and exports agree."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from spiral.organisations.models import Unit, User
from spiral.priorities.models import ServedGoal
from spiral.reporting import presenters
from spiral.reporting.portfolio import portfolio
from spiral.sustainability.models import WatchAlert
from tests.conftest import client_for
from tests.factories import (
    GoalFactory,
    HandoverFactory,
    PdsaCycleFactory,
    ProgressScoreFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    TeamMemberFactory,
    UnitFactory,
)


@pytest.fixture
def work(tree: dict[str, Unit]) -> dict[str, object]:
    today = timezone.localdate()
    ward2 = UnitFactory(kind="team", code="RAA-MED-02", name="Ward 2", parent=tree["directorate"])
    ward3 = UnitFactory(kind="team", code="RAA-MED-03", name="Ward 3", parent=tree["directorate"])
    # Two active projects in Ward 1, one in Ward 2, a draft in Ward 3 (not active), one closed in the other trust.
    # has_patient_partner is kept by the projects services when a partner joins (the factory does not).
    a = ProjectFactory(
        unit=tree["team"], stage="testing", start_date=dt.date(2025, 1, 15), has_patient_partner=True
    )
    b = ProjectFactory(unit=tree["team"], stage="implementing", start_date=dt.date(2025, 2, 1))
    c = ProjectFactory(unit=ward2, stage="testing", start_date=today - dt.timedelta(days=100))
    d = ProjectFactory(unit=ward3, status="draft")
    ProjectFactory(unit=tree["other_team"], status="closed")
    TeamMemberFactory(project=a, role="patient_partner")
    TeamMemberFactory(project=a, role="coach")
    TeamMemberFactory(project=c, role="coach")
    # a: 3.0 three months after its start, 4.0 six months after; b: 3.0 one month after.
    for month, score in (
        (dt.date(2025, 3, 1), "2.5"),
        (dt.date(2025, 4, 1), "3.0"),
        (dt.date(2025, 7, 1), "4.0"),
    ):
        ProgressScoreFactory(project=a, month=month, score=Decimal(score))
    ProgressScoreFactory(project=b, month=dt.date(2025, 3, 1), score=Decimal("3.5"))
    ProgressScoreFactory(project=b, month=today.replace(day=1), score=Decimal("3.5"))
    ProgressScoreFactory(project=c, month=today.replace(day=1), score=Decimal("1.5"))
    # a and b had a cycle this month: not stuck; c began 100 days ago with no cycle: stuck.
    for p in (a, b):
        PdsaCycleFactory(change_idea__project=p, started_on=today)
    goal = GoalFactory(unit=tree["org"], title="Zero avoidable harm")
    ServedGoal.objects.create(goal=goal, project=a)
    ServedGoal.objects.create(goal=goal, project=c)
    link = ProjectMeasureFactory(project=b)
    handover = HandoverFactory(project=b)
    WatchAlert.objects.create(handover=handover, link=link, kind="concern", rule="7 points above",
                              first_period=dt.date(2026, 5, 1))  # fmt: skip
    other = ProjectMeasureFactory(project=a)
    WatchAlert.objects.create(handover=HandoverFactory(project=a), link=other, kind="concern", rule="x",
                              first_period=dt.date(2026, 1, 1), closed_at=timezone.now())  # fmt: skip
    return {"a": a, "b": b, "c": c, "d": d, "goal": goal, "ward2": ward2, "ward3": ward3}


def test_portfolio_counts_shares_and_milestones(tree: dict[str, Unit], member: User, work: dict) -> None:
    pf = portfolio(member, tree["org"])
    assert pf.open == 4
    assert dict((v, n) for v, _l, n in pf.counts.by_stage)["testing"] == 2
    assert dict((v, n) for v, _l, n in pf.statuses) == {"draft": 1, "active": 3, "closed": 0}
    assert (pf.with_patient_partner, pf.with_coach) == (1, 2)
    assert pf.goals == [(work["goal"].pk, "Zero avoidable harm", 2)] and pf.no_goal == 2
    to3, to4 = pf.milestones
    # months to 3.0: a 3, b 1, c not reached → median 2 over 2 reached of 3 with a start date
    assert (to3.reached, to3.started, to3.median_months) == (2, 3, 2.0)
    assert (to4.reached, to4.median_months) == (1, 6.0)


def test_trend_counts_this_months_scores(tree: dict[str, Unit], member: User, work: dict) -> None:
    pf = portfolio(member, tree["org"])
    assert len(pf.trend) == 12
    now = pf.trend[-1]
    assert now.month == timezone.localdate().replace(day=1)
    assert (now.scored, now.median, now.at_least_3, now.at_least_4) == (2, 2.5, 1, 0)


def test_stuck_projects_and_open_gains_at_risk(tree: dict[str, Unit], member: User, work: dict) -> None:
    pf = portfolio(member, tree["org"])
    assert [p.pk for p in pf.stuck] == [work["c"].pk]
    assert [a.link.project_id for a in pf.gains_at_risk] == [work["b"].pk]  # the closed alert is not at risk


def test_penetration_counts_teams_with_an_active_project(
    tree: dict[str, Unit], member: User, work: dict
) -> None:
    pf = portfolio(member, tree["icb"])
    rows = {r.unit.code: (r.teams, r.with_active) for r in pf.penetration}
    # Riverside: Ward 1 (two active), Ward 2 (one), Ward 3 (a draft only); Hillside: one team, a closed project.
    assert rows == {"RAA": (3, 2), "RBB": (1, 0)}
    total = pf.penetration_total
    assert (total.teams, total.with_active, total.share) == (4, 2, 0.5)


def test_the_treemap_is_an_accessible_svg_with_a_box_per_unit(
    tree: dict[str, Unit], member: User, work: dict
) -> None:
    pf = portfolio(member, tree["icb"])
    svg = str(presenters.treemap_svg(pf.penetration, title="Teams"))
    assert svg.startswith("<svg") and 'role="img"' in svg and '<title id="tm-title">Teams</title>' in svg
    assert svg.count("<rect") == 2
    assert "Riverside Hospitals: 2 of 3 teams, 67%" in svg


def test_the_page_api_and_export_show_the_same_numbers(
    tree: dict[str, Unit], member: User, work: dict
) -> None:
    client = client_for(member)
    page = re.sub(r"\s+", " ", client.get("/reporting/units/QAA/portfolio/").content.decode())
    assert "2 of 4 teams (50%) have an active project" in page
    assert "<svg" in page
    data = client.get("/api/v1/reporting/units/QAA/portfolio").json()
    assert data["penetration"] == {"unit": "QAA", "name": "NHS Riverside ICB", "teams": 4,
                                   "with_active_project": 2, "share": 0.5}  # fmt: skip
    assert data["stuck"] == [work["c"].pk] and data["with_coach"] == 2
    paged = client.get("/api/v1/reporting/units/QAA/penetration").json()
    assert paged["count"] == 2
    response = client.get("/reporting/units/QAA/portfolio.csv?table=penetration")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    got = sorted((r["unit code"], r["teams"], r["teams with an active project"]) for r in rows)
    assert got == [("RAA", "3", "2"), ("RBB", "1", "0")]
    assert client.get("/reporting/units/QAA/portfolio.xlsx").status_code == 200
    assert client.get("/reporting/units/QAA/portfolio.csv?table=nothing").status_code == 404
    assert client.get("/reporting/units/QAA/portfolio.csv?table=all").status_code == 404
