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
from spiral.projects.models import DriverNode
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


# --- adjusted odds ratios: by hand and against a direct statsmodels fit -------------------------------


def _table(cells: list[tuple[int, int, int]]) -> tuple[list[bool], list[bool], list[bool]]:
    """(outcome, factor f, factor g) lists from (f, outcome, how many) cells; g is on every other project
    of each cell, so it is independent of f and of the outcome."""
    y: list[bool] = []
    f: list[bool] = []
    g: list[bool] = []
    for factor, outcome, count in cells:
        y += [bool(outcome)] * count
        f += [bool(factor)] * count
        g += [i % 2 == 0 for i in range(count)]
    return y, f, g


def test_with_an_independent_second_factor_the_adjusted_odds_ratio_is_the_cross_product_ratio() -> None:
    # f: 60 of 100 achieved with it, 30 of 100 without. g is balanced within every cell, so adjusting for
    # it changes nothing: f's OR is (60·70)/(40·30) = 3.5 by hand, with the Wald SE of the 2×2 table,
    # sqrt(1/60 + 1/40 + 1/30 + 1/70), so 95% CI 1.949 to 6.287; g's OR is exactly 1.
    y, f, g = _table([(1, 1, 60), (1, 0, 40), (0, 1, 30), (0, 0, 70)])
    got = stats.adjusted_odds_ratios(y, {"f": f, "g": g})
    assert got.fitted and got.n == 200 and got.events == 90
    se = math.sqrt(1 / 60 + 1 / 40 + 1 / 30 + 1 / 70)
    assert got.odds["f"].ratio == pytest.approx(3.5, rel=1e-9)
    assert got.odds["f"].low == pytest.approx(3.5 * math.exp(-stats.Z * se), rel=1e-9)
    assert got.odds["f"].high == pytest.approx(3.5 * math.exp(stats.Z * se), rel=1e-9)
    assert (round(got.odds["f"].low, 3), round(got.odds["f"].high, 3)) == (1.949, 6.287)
    assert got.odds["f"].is_finding
    assert got.odds["g"].ratio == pytest.approx(1.0, rel=1e-9) and not got.odds["g"].is_finding


def test_adjusted_odds_ratios_equal_a_direct_statsmodels_fit_on_the_same_data() -> None:
    import numpy as np
    import statsmodels.api as sm

    rng = np.random.default_rng(19)
    n = 400
    x = rng.random((n, 3)) < [0.4, 0.5, 0.3]
    logit = -0.5 + 0.9 * x[:, 0] + 0.4 * x[:, 1] - 0.3 * x[:, 2]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    got = stats.adjusted_odds_ratios(y.tolist(), {"a": x[:, 0].tolist(), "b": x[:, 1].tolist(),
                                                  "c": x[:, 2].tolist()})  # fmt: skip
    fit = sm.Logit(y.astype(float), sm.add_constant(x.astype(float))).fit(disp=0)
    ci = np.exp(fit.conf_int(0.05))
    for j, name in enumerate("abc", start=1):
        assert got.odds[name].ratio == pytest.approx(math.exp(fit.params[j]), rel=1e-6)
        assert (got.odds[name].low, got.odds[name].high) == pytest.approx((ci[j][0], ci[j][1]), rel=1e-6)


def test_a_factor_that_separates_the_outcomes_is_said_so_rather_than_fitted() -> None:
    # Every project with f achieved: its coefficient would run off to infinity.
    y, f, g = _table([(1, 1, 40), (0, 1, 30), (0, 0, 40)])
    got = stats.adjusted_odds_ratios(y, {"f": f, "g": g}, labels={"f": "A coach"})
    assert not got.fitted and got.odds == {}
    assert got.reason == "A coach: every project with it, or every one without it, had the same outcome"


def test_factors_that_always_go_together_cannot_be_told_apart() -> None:
    y, f, _g = _table([(1, 1, 60), (1, 0, 40), (0, 1, 30), (0, 0, 70)])
    got = stats.adjusted_odds_ratios(y, {"f": f, "same": list(f)})
    assert not got.fitted and "always go together" in got.reason


def test_too_few_projects_per_factor_are_said_to_be_too_few_to_adjust() -> None:
    y, f, g = _table([(1, 1, 9), (1, 0, 6), (0, 1, 5), (0, 0, 10)])
    got = stats.adjusted_odds_ratios(y, {"f": f, "g": g})
    assert not got.fitted
    assert got.reason == (
        "too few projects: adjusting for 2 factors needs at least 20 projects with the less common outcome "
        "(10 per factor); there are 14"
    )


def test_a_factor_no_project_has_is_left_out_of_the_model_not_fatal() -> None:
    y, f, g = _table([(1, 1, 60), (1, 0, 40), (0, 1, 30), (0, 0, 70)])
    got = stats.adjusted_odds_ratios(y, {"f": f, "g": g, "none": [False] * len(y)})
    assert got.fitted and got.left_out == ("none",) and set(got.odds) == {"f", "g"}
    assert got.odds["f"].ratio == pytest.approx(3.5, rel=1e-6)


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


def test_too_few_closed_projects_say_the_odds_ratios_could_not_be_adjusted_on_the_page_and_api(
    tree: dict[str, Unit], member: User, portfolio: dict[str, object]
) -> None:
    result = success_factors(member, tree["org"])
    assert result.fit is not None and not result.fit.fitted
    assert all(r.adjusted is None for r in result.rows)
    text = re.sub(r"\s+", " ", client_for(member).get("/reporting/units/RAA/success/").content.decode())
    assert "Adjusted odds ratios could not be worked out: too few projects" in text
    assert f"This page makes {len(result.rows)} comparisons at once" in text  # and so some chance findings
    data = client_for(member).get("/api/v1/reporting/units/RAA/success").json()
    assert data["adjusted"].startswith("Adjusted odds ratios could not be worked out: too few projects")
    assert all(f["adjusted_odds_ratio"] is None for f in data["factors"])


def test_adjusted_odds_ratios_over_closed_projects_equal_a_direct_fit_on_their_factors(
    tree: dict[str, Unit], member: User
) -> None:
    import numpy as np
    import statsmodels.api as sm

    # 160 closed projects: a patient partner on every other one, a coach on every third, a driver diagram
    # on every fifth; achieved more often with a partner or a coach, and not in a pattern that separates.
    rows = []
    for i in range(160):
        partner, coach, diagram = i % 2 == 0, i % 3 == 0, i % 5 == 0
        achieved = (i * 7 + 3 * partner + 2 * coach) % 10 < 3 + 3 * partner + 2 * coach
        project = _closed(tree["team"], "yes" if achieved else "no")
        if partner:
            TeamMemberFactory(project=project, role="patient_partner")
        if coach:
            TeamMemberFactory(project=project, role="coach")
        if diagram:
            DriverNode.objects.create(project=project, kind="primary", text="A primary driver")
        rows.append((achieved, partner, coach, diagram))
    y, x = np.array([r[0] for r in rows], float), np.array([r[1:] for r in rows], float)
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    ci = np.exp(fit.conf_int(0.05))

    result = success_factors(member, tree["org"])

    assert result.fit is not None and result.fit.fitted, result.adjusted
    assert set(result.fit.left_out) == {"trained_lead", "pdsa", "sustainability"}  # nobody had them
    for j, label in enumerate(["A patient or carer partner on the team", "An improvement coach",
                               "A driver diagram (at least one primary driver)"], start=1):  # fmt: skip
        odds = _row(result, label).adjusted
        assert odds is not None
        assert (odds.ratio, odds.low, odds.high) == pytest.approx((math.exp(fit.params[j]), *ci[j]), rel=1e-6)
    partner = next(
        f
        for f in client_for(member).get("/api/v1/reporting/units/RAA/success").json()["factors"]
        if f["factor"] == "patient_partner"
    )
    assert partner["adjusted_odds_ratio"] == pytest.approx(math.exp(fit.params[1]), rel=1e-6)
    text = re.sub(r"\s+", " ", client_for(member).get("/reporting/units/RAA/success/").content.decode())
    assert f"{math.exp(fit.params[1]):.2f} ({ci[1][0]:.2f} to {ci[1][1]:.2f})" in text
