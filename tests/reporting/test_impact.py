"""Impact (issue 19): sustained special-cause improvement in a project's outcome measure, in its own units
and in events a year, checked against means worked out here; projects without evidence are counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from spiral.organisations.models import Unit, User
from spiral.reporting import impact as rules
from spiral.reporting.impact import impact
from tests.conftest import client_for
from tests.factories import (
    MeasureFactory,
    ObservationFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    SeriesFactory,
)

BEFORE = [10, 11, 9, 10, 12, 9, 11, 10, 10, 11, 9, 10]  # 2024
AFTER = [5, 6, 4, 5, 6, 4, 5, 5, 6, 4]  # January to October 2025


def _series(unit: Unit, values: list[float], chart: str = "c") -> object:
    measure = MeasureFactory(owner=unit, name="Inpatient falls", chart=chart, improvement="decrease",
                             numerator_definition="Inpatient falls", label="falls")  # fmt: skip
    series = SeriesFactory(measure=measure, unit=unit)
    for i, v in enumerate(values):
        ObservationFactory(series=series, period_start=dt.date(2024 + i // 12, i % 12 + 1, 1), value=v)
    return series


@pytest.fixture
def projects(tree: dict[str, Unit]) -> dict[str, object]:
    team = tree["team"]
    falls = ProjectFactory(unit=team, title="Fewer falls", start_date=dt.date(2025, 1, 1))
    ProjectMeasureFactory(project=falls, series=_series(team, BEFORE + AFTER), role="outcome", is_aim=True)
    flat = ProjectFactory(unit=team, title="Flat", start_date=dt.date(2025, 1, 1))
    ProjectMeasureFactory(
        project=flat, series=_series(team, BEFORE + BEFORE[:10]), role="outcome", is_aim=True
    )
    early = ProjectFactory(unit=team, title="Before the data", start_date=dt.date(2024, 2, 1))
    ProjectMeasureFactory(project=early, series=_series(team, BEFORE + AFTER), role="outcome", is_aim=True)
    ProjectFactory(unit=team, title="No measure", status="closed")
    ProjectFactory(unit=team, title="A draft", status="draft")
    return {"falls": falls}


def test_sustained_improvement_is_measured_in_own_units_and_events_a_year(
    tree: dict[str, Unit], member: User, projects: dict[str, object]
) -> None:
    result = impact(member, tree["org"])
    assert result.projects == 4  # the draft is left out
    assert [e.project.title for e in result.evidence] == ["Fewer falls"]
    e = result.evidence[0]
    baseline, current = sum(BEFORE) / 12, sum(AFTER) / 10
    assert e.baseline == pytest.approx(baseline)
    assert e.current == pytest.approx(current)
    assert e.change == pytest.approx(current - baseline)
    assert e.since == dt.date(2025, 1, 1)
    assert e.events_a_year == pytest.approx((baseline - current) * 12)  # 62 falls a year
    assert result.without == {rules.NOT_YET: 1, rules.NO_BASELINE: 1, rules.NO_MEASURE: 1}
    assert result.by_unit == [("Medicine", [("Inpatient falls", pytest.approx(62.0), 1)])]


def test_page_api_and_export_agree(tree: dict[str, Unit], member: User, projects: dict[str, object]) -> None:
    client = client_for(member)
    page = re.sub(r"\s+", " ", client.get("/reporting/units/RAA/impact/").content.decode())
    assert "about 62 fewer inpatient falls a year" in page
    assert "<svg" in page and "No outcome measure linked" in page
    data = client.get("/api/v1/reporting/units/RAA/impact").json()
    assert data["with_evidence"][0]["events_a_year"] == pytest.approx(62.0)
    assert data["without_evidence"][rules.NO_MEASURE] == 1
    rows = list(
        csv.DictReader(io.StringIO(client.get("/reporting/units/RAA/impact.csv").content.decode("utf-8-sig")))
    )
    assert [(r["project"], r["events a year"]) for r in rows] == [("Fewer falls", "62")]


def test_a_rate_measure_counts_events_through_its_denominators(tree: dict[str, Unit], member: User) -> None:
    team = tree["team"]
    measure = MeasureFactory(owner=team, name="Falls per 1,000 bed days", chart="u", improvement="decrease",
                             numerator_definition="Falls")  # fmt: skip
    series = SeriesFactory(measure=measure, unit=team)
    for i, v in enumerate(BEFORE + AFTER):
        ObservationFactory(series=series, period_start=dt.date(2024 + i // 12, i % 12 + 1, 1), value=None,
                           numerator=v, denominator=1000)  # fmt: skip
    project = ProjectFactory(unit=team, start_date=dt.date(2025, 1, 1))
    ProjectMeasureFactory(project=project, series=series, role="outcome", is_aim=True)
    (e,) = impact(member, tree["org"]).evidence
    # rates are events / 1000 a month: the change times 1000 bed days times 12 months
    assert e.events_a_year == pytest.approx((sum(BEFORE) / 12 - sum(AFTER) / 10) * 12, rel=1e-6)


def test_impact_analysed_together_equals_each_project_judged_on_its_own(
    tree: dict[str, Unit], member: User
) -> None:
    """`impact` reads and analyses every outcome series at once (analyse_many where it fits); `judge` reads
    and analyses one series alone. Over every kind of series they must agree exactly."""
    import numpy as np

    from spiral.measurement.models import Annotation, Target
    from spiral.projects.models import Project

    team = tree["team"]
    start = dt.date(2025, 1, 1)
    falls = _series(team, BEFORE + AFTER)  # c chart, improving
    flat = _series(team, BEFORE + BEFORE[:10])  # c chart, no improvement
    xmr = _series(team, [v * 1.5 for v in BEFORE + AFTER], chart="xmr")
    rebased = _series(team, BEFORE + AFTER + AFTER)  # with a rebase point: analysed alone
    Annotation.objects.create(
        series=rebased, period_start=dt.date(2025, 6, 1), kind="rebase", text="New ward"
    )
    trajectory = _series(team, BEFORE + AFTER, chart="xmr")  # a changing target: analysed alone
    Target.objects.create(measure=trajectory.measure, value=9, valid_from=None)
    Target.objects.create(measure=trajectory.measure, value=6, valid_from=dt.date(2025, 1, 1))
    fixed = _series(team, BEFORE + AFTER)
    Target.objects.create(measure=fixed.measure, value=5, valid_from=None)
    rate = MeasureFactory(owner=team, name="Falls per 1,000 bed days", chart="u", improvement="decrease")
    rated = SeriesFactory(measure=rate, unit=team)
    for i, v in enumerate(BEFORE + AFTER):
        ObservationFactory(series=rated, period_start=dt.date(2024 + i // 12, i % 12 + 1, 1), value=None,
                           numerator=v, denominator=900 + 10 * i)  # fmt: skip
    empty = SeriesFactory(measure=MeasureFactory(owner=team, chart="c"), unit=team)
    for series in (falls, flat, xmr, rebased, trajectory, fixed, rated, empty, falls):  # falls twice: shared
        project = ProjectFactory(unit=team, start_date=start, status="active")
        ProjectMeasureFactory(project=project, series=series, role="outcome", is_aim=True)
    ProjectMeasureFactory(project=ProjectFactory(unit=team, start_date=dt.date(2024, 3, 1)), series=falls,
                          role="outcome", is_aim=True)  # fmt: skip  # too little baseline

    together = impact(member, tree["org"])

    alone: list[object] = []
    reasons: dict[str, int] = {}
    for project in Project.objects.filter(status__in=["active", "closed"]).order_by("id"):
        link = project.measures.filter(role="outcome").first()
        if link is None:
            reasons[rules.NO_MEASURE] = reasons.get(rules.NO_MEASURE, 0) + 1
            continue
        found = rules.judge(project, link.series)
        if isinstance(found, str):
            reasons[found] = reasons.get(found, 0) + 1
        else:
            alone.append(found)
    assert together.without == reasons
    assert len(together.evidence) == len(alone) >= 5
    by_project = {e.project.pk: e for e in together.evidence}
    for one in alone:
        got = by_project[one.project.pk]
        assert (got.series.pk, got.start, got.since) == (one.series.pk, one.start, one.since)
        assert (got.baseline, got.current, got.change, got.events_a_year) == (
            one.baseline, one.current, one.change, one.events_a_year,
        )  # fmt: skip  # exactly equal, not approximately
        for name in ("values", "centre", "lcl", "ucl", "flag_bits", "point_type_codes"):
            np.testing.assert_array_equal(getattr(got.result, name), getattr(one.result, name))
        assert got.result.dates == one.result.dates
        assert (got.result.variation_icon, got.result.assurance_icon) == (
            one.result.variation_icon, one.result.assurance_icon,
        )  # fmt: skip
