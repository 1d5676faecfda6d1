"""What makes projects succeed (issue 19): proportions, risk ratios and their intervals, checked against
hand-worked numbers and against scipy.stats on the same counts; the page, API and export agree."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from decimal import Decimal

import pytest
from scipy.stats import binomtest
from scipy.stats.contingency import relative_risk

from spiral.capability.models import TrainingTier
from spiral.organisations.models import Unit, User
from spiral.reporting import stats
from spiral.reporting.success import achieved_aim, success_factors
from tests.conftest import client_for
from tests.factories import (
    AssessmentResponseFactory,
    ChangeIdeaFactory,
    PdsaCycleFactory,
    ProjectFactory,
    TeamMemberFactory,
    TrainingRecordFactory,
)

# --- the statistics, by hand and by a kept library -------------------------------------------------


def test_wilson_interval_matches_the_hand_worked_example_and_scipy() -> None:
    # 8 of 10: centre (0.8 + 1.92/10) / 1.384, half-width 1.96·sqrt(0.016 + 0.0096) / 1.384.
    got = stats.wilson(8, 10)
    assert got.p == 0.8
    assert got.low == pytest.approx(0.4902, abs=1e-4)
    assert got.high == pytest.approx(0.9433, abs=1e-4)
    ci = binomtest(8, 10).proportion_ci(0.95, method="wilson")
    assert (got.low, got.high) == pytest.approx((ci.low, ci.high), abs=1e-9)


@pytest.mark.parametrize("k, n", [(0, 7), (7, 7), (1, 250), (37, 91)])
def test_wilson_interval_agrees_with_scipy_at_the_edges(k: int, n: int) -> None:
    got = stats.wilson(k, n)
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert (got.low, got.high) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_risk_ratio_and_log_interval_match_the_hand_worked_example_and_scipy() -> None:
    # 20 of 40 with, 10 of 40 without: RR 2; SE = sqrt(1/20 - 1/40 + 1/10 - 1/40) = sqrt(0.1).
    got = stats.risk_ratio(20, 40, 10, 40)
    se = math.sqrt(0.1)
    assert got.ratio == pytest.approx(2.0)
    assert got.low == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-6)  # 1.0761
    assert got.high == pytest.approx(2 * math.exp(1.959964 * se), rel=1e-6)  # 3.7172
    assert got.low == pytest.approx(1.0761, abs=1e-4)
    kept = relative_risk(20, 40, 10, 40)
    ci = kept.confidence_interval(0.95)
    assert (got.ratio, got.low, got.high) == pytest.approx((kept.relative_risk, ci.low, ci.high))
    assert got.is_finding and not got.too_few and not got.corrected


def test_a_zero_cell_is_corrected_by_adding_a_half_never_infinite() -> None:
    got = stats.risk_ratio(12, 20, 0, 20)
    # (12.5 / 21) / (0.5 / 21) = 25; SE = sqrt(1/12.5 - 1/21 + 1/0.5 - 1/21).
    assert got.corrected
    assert got.ratio == pytest.approx(25.0)
    se = math.sqrt(1 / 12.5 - 1 / 21 + 1 / 0.5 - 1 / 21)
    assert got.high == pytest.approx(25 * math.exp(stats.Z * se))
    assert math.isfinite(got.low) and math.isfinite(got.high)
    assert got.too_few  # a cell under 5 is too few, whatever the ratio


def test_an_empty_group_gives_no_ratio_rather_than_an_error() -> None:
    got = stats.risk_ratio(3, 9, 0, 0)
    assert got.ratio is None and got.low is None and got.without_factor.p is None


def test_small_numbers_are_too_few_to_judge() -> None:
    assert stats.risk_ratio(5, 9, 5, 9).too_few  # 18 projects: under 20
    assert stats.risk_ratio(6, 10, 4, 10).too_few  # a cell of 4
    assert not stats.risk_ratio(5, 10, 5, 10).too_few


def test_impossible_counts_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="0 <= achieved <= projects"):
        stats.risk_ratio(5, 4, 1, 10)


def test_the_aim_is_achieved_as_recorded_else_by_the_last_score() -> None:
    assert achieved_aim("yes", None) is True
    assert achieved_aim("partly", Decimal("5.0")) is False  # the team's word wins over the score
    assert achieved_aim("", Decimal("4.0")) is True
    assert achieved_aim("", Decimal("3.5")) is False
    assert achieved_aim("", None) is None


# --- over real projects --------------------------------------------------------------------------------


def _closed(unit: Unit, achieved: str, **kwargs: object) -> object:
    return ProjectFactory(unit=unit, status="closed", aim_achieved=achieved, **kwargs)


@pytest.fixture
def portfolio(tree: dict[str, Unit]) -> dict[str, object]:
    """30 judged closed projects in Riverside: 15 with a patient partner (10 achieved), 15 without (5
    achieved, 2 of them judged by their last score); one with nothing recorded; others that must not count."""
    team, other = tree["team"], tree["directorate"]
    with_partner = [_closed(team, "yes") for _ in range(10)] + [_closed(other, "no") for _ in range(5)]
    for p in with_partner:
        TeamMemberFactory(project=p, role="patient_partner")
    without = (
        [_closed(team, "yes") for _ in range(3)]
        + [_closed(team, "", latest_score=Decimal("4.5")) for _ in range(2)]
        + [_closed(team, "partly") for _ in range(4)]
        + [_closed(other, "no") for _ in range(5)]
        + [_closed(team, "", latest_score=Decimal("2.0"))]
    )
    _closed(team, "")  # nothing recorded, no score: left out
    ProjectFactory(unit=team, status="active")  # not closed
    TeamMemberFactory(project=_closed(tree["other_team"], "yes"), role="patient_partner")  # another trust
    # A coach on 6 projects (4 achieved); three PDSA cycles on two of them; an assessment on one.
    coached = with_partner[:4] + without[9:11]
    for p in coached:
        TeamMemberFactory(project=p, role="coach")
    for p in coached[:2]:
        idea = ChangeIdeaFactory(project=p)
        for n in (1, 2, 3):
            PdsaCycleFactory(change_idea=idea, number=n)
    AssessmentResponseFactory(project=with_partner[0])
    return {"with": with_partner, "without": without}


def _tier(slug: str) -> TrainingTier:
    return TrainingTier.objects.get(slug=slug)


def _row(result: object, label: str) -> object:
    return next(r for r in result.rows if r.label == label)  # type: ignore[attr-defined]


def test_patient_partner_comparison_counts_what_the_test_counts_and_agrees_with_scipy(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    result = success_factors(member, tree["org"])
    assert (result.closed, result.judged, result.unrecorded, result.derived) == (31, 30, 1, 3)
    row = _row(result, "A patient or carer partner on the team")
    assert (row.rr.a, row.rr.n1, row.rr.c, row.rr.n0) == (10, 15, 5, 15)
    kept = relative_risk(10, 15, 5, 15)
    ci = kept.confidence_interval(0.95)
    assert (row.rr.ratio, row.rr.low, row.rr.high) == pytest.approx((kept.relative_risk, ci.low, ci.high))
    assert row.sentence == (
        "Projects with a patient partner achieved their aim 2.0 times as often as those without one "
        "(95% CI 0.9 to 4.5; 30 closed projects): the interval includes 1, so no clear difference."
    )


def test_factors_with_few_projects_say_too_few_to_judge(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    result = success_factors(member, tree["org"])
    coach = _row(result, "An improvement coach")
    assert (coach.rr.a, coach.rr.n1, coach.rr.c, coach.rr.n0) == (4, 6, 11, 24)
    assert coach.rr.too_few and coach.sentence.startswith("Too few to judge (30 closed projects")
    three = _row(result, "3 or more PDSA cycles recorded")
    assert (three.rr.a, three.rr.n1, three.rr.n0) == (2, 2, 28)
    assessed = _row(result, "A Sustainability Model assessment")
    assert (assessed.rr.a, assessed.rr.n1) == (1, 1)
    assert result.unavailable == []
    trained = _row(result, "A lead who was trained in improvement")
    assert (trained.rr.a, trained.rr.n1) == (0, 0)  # no lead in the fixture has a training record


def test_a_lead_counts_as_trained_with_improvement_training_on_or_before_the_start(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    start = dt.date(2025, 6, 1)
    projects = portfolio["with"][:3] + portfolio["without"][:2]  # type: ignore[operator]
    for p in projects:
        p.start_date = start
        p.save(update_fields=["start_date"])
    leads = [TeamMemberFactory(project=p, role="lead").user for p in projects]
    TrainingRecordFactory(person=leads[0], tier=_tier("awareness"), completed_on=start)  # on the day: yes
    TrainingRecordFactory(person=leads[1], tier=_tier("practitioner"), completed_on=dt.date(2024, 1, 9))
    TrainingRecordFactory(person=leads[2], tier=_tier("awareness"), completed_on=dt.date(2025, 6, 2))  # after
    TrainingRecordFactory(person=leads[3], tier=_tier("leaders"), completed_on=dt.date(2024, 1, 9))  # not QI
    TrainingRecordFactory(person=leads[4], tier=_tier("awareness"), completed_on=dt.date(2025, 1, 9))
    row = _row(success_factors(member, tree["org"]), "A lead who was trained in improvement")
    # Trained: the first two (with a partner, both achieved) and the fifth (without one: achieved "yes").
    assert (row.rr.a, row.rr.n1, row.rr.c, row.rr.n0) == (3, 3, 12, 27)


def test_the_page_shows_the_numbers_the_sentence_and_says_associations_not_causes(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    response = client_for(member).get("/reporting/units/RAA/success/")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "associations, not causes" in text
    assert "10 of 15: 67%" in text and "5 of 15: 33%" in text
    assert "achieved their aim 2.0 times as often" in text
    assert "A lead who was trained in improvement" in text
    assert "1 closed project says neither" in text


def test_the_api_gives_the_same_numbers_as_the_page(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    data = client_for(member).get("/api/v1/reporting/units/RAA/success").json()
    assert data["judged"] == 30 and data["overall"]["achieved"] == 15
    partner = next(f for f in data["factors"] if f["factor"] == "patient_partner")
    assert partner["with_factor"] == {
        "achieved": 10, "projects": 15, "proportion": pytest.approx(10 / 15),
        "low": pytest.approx(stats.wilson(10, 15).low), "high": pytest.approx(stats.wilson(10, 15).high),
    }  # fmt: skip
    assert partner["risk_ratio"] == pytest.approx(2.0)
    paged = client_for(member).get("/api/v1/reporting/units/RAA/success/factors?limit=2").json()
    assert paged["count"] == len(data["factors"]) and len(paged["items"]) == 2


def test_the_csv_export_holds_the_page_numbers(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    response = client_for(member).get("/reporting/units/RAA/success.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    partner = next(r for r in rows if r["factor"] == "A patient or carer partner on the team")
    assert (partner["achieved with"], partner["projects with"], partner["risk ratio"]) == ("10", "15", "2")
    assert any(r["factor"] == "A lead who was trained in improvement" for r in rows)


def test_a_unit_beneath_counts_only_its_own_projects(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    result = success_factors(member, tree["other_org"])
    assert (result.closed, result.judged, result.achieved) == (1, 1, 1)
    assert all(r.rr.too_few or r.rr.ratio is None for r in result.rows)


def test_anonymous_people_are_sent_to_sign_in_and_unknown_units_are_not_found(member: User) -> None:
    assert client_for(None).get("/reporting/units/RAA/success/").status_code == 302
    assert client_for(member).get("/reporting/units/NOPE/success/").status_code == 404
    assert client_for(member).get("/reporting/units/RAA/success.pdf").status_code == 404
    assert client_for(None).get("/api/v1/reporting/units/RAA/success").status_code == 401
