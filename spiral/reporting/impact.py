"""The impact of improvement (issue 19): for each project of a unit and beneath whose outcome measure
shows sustained special-cause improvement since the project started, the change in the measure's own
units and, where the measure counts events, in events a year; summed by unit, topic and goal. Projects
without such evidence are counted, by reason, not hidden.

The rules, stated once (and on the page):
- The outcome measure is the series linked as the aim's measure (`ProjectMeasure.is_aim`), else the first
  outcome link. Drafts are left out (their work has not begun).
- Baseline: the points before the project started (its start date, else the day it was recorded); at
  least MIN_BASELINE of them.
- Sustained special-cause improvement: a run of at least SHIFT_LENGTH (7, Making Data Count) points on or
  after the start flagged by the shift rule as improvement.
- The change is the mean from the first point of the latest such run to the latest point, minus the
  baseline mean, in the measure's units.
- Events a year: for count and rate charts (c, u, u′, p, p′) only: the change a period (for a rate or a
  proportion, times the mean denominator of those periods) times the periods in a year. XmR and run
  charts measure anything (minutes, days, scores), so they get the change in their own units only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone

from spiral import spc
from spiral.core.types import AnyUser
from spiral.measurement import analyses
from spiral.measurement.models import Annotation, AnnotationKind, Observation, Series
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.priorities.models import ServedGoal
from spiral.projects import queries as project_queries
from spiral.projects.models import MeasureRole, Project, ProjectMeasure, Status

MIN_BASELINE = 3
PERIODS_A_YEAR = {"day": 365, "week": 52, "month": 12, "quarter": 4}
EVENT_CHARTS = {"c", "u", "uprime", "p", "pprime"}
RATIO_CHARTS = {"u", "uprime", "p", "pprime"}
NO_MEASURE = "no outcome measure linked"
NO_BASELINE = f"fewer than {MIN_BASELINE} points before the project started"
NOT_YET = "no sustained special-cause improvement since the project started"
NO_ANALYSIS = "the measure cannot be analysed yet"
CHUNK = 500  # series per grouped read (SQLite's limit on a query's parameters)


@dataclass
class Evidence:
    project: Project
    series: Series
    start: dt.date
    baseline: float
    current: float
    change: float  # current - baseline, in the measure's units (negative is a fall)
    since: dt.date  # the first period of the sustained run
    events_a_year: float | None  # improvement in events a year (positive), None when not a count or rate
    result: Any = None  # the spc.Analysis (for the chart)

    @property
    def measure(self) -> Any:
        return self.series.measure


@dataclass
class Impact:
    unit: Unit
    projects: int  # active and closed projects considered
    evidence: list[Evidence]
    without: dict[str, int]  # reason -> projects without such evidence
    by_unit: list[tuple[str, list[tuple[str, float, int]]]] = field(default_factory=list)
    by_topic: list[tuple[str, list[tuple[str, float, int]]]] = field(default_factory=list)
    by_goal: list[tuple[str, list[tuple[str, float, int]]]] = field(default_factory=list)


def _outcome_links(projects: list[Project]) -> dict[int, ProjectMeasure]:
    links: dict[int, ProjectMeasure] = {}
    for link in (
        ProjectMeasure.objects.filter(project__in=[p.pk for p in projects], role=MeasureRole.OUTCOME)
        .select_related("series__measure", "series__unit")
        .order_by("project_id", "-is_aim", "order", "id")
    ):
        links.setdefault(link.project_id, link)
    return links


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end exclusive) of each run of True in `mask`."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


@dataclass
class _Read:
    """What analysing many series needs, read at once: observations, rebase annotations, targets."""

    observations: dict[int, list[Any]]
    annotations: dict[int, list[Any]]
    targets: dict[int, list[tuple[dt.date | None, float]]]


def _read(series: list[Series]) -> _Read:
    """Three grouped queries (in chunks of CHUNK series) in place of three for every series."""
    ids = sorted({s.pk for s in series})
    observations: dict[int, list[Any]] = {i: [] for i in ids}
    annotations: dict[int, list[Any]] = {i: [] for i in ids}
    for n in range(0, len(ids), CHUNK):
        chunk = ids[n : n + CHUNK]
        for row in (
            Observation.objects.filter(series_id__in=chunk)
            .order_by("series_id", "period_start")
            .values_list("series_id", "period_start", "value", "numerator", "denominator", named=True)
        ):
            observations[row.series_id].append(row)
        for note in (
            Annotation.objects.filter(series_id__in=chunk, kind=AnnotationKind.REBASE)
            .order_by("series_id", "period_start")
            .values_list("series_id", "period_start", "kind", named=True)
        ):
            annotations[note.series_id].append(note)
    targets = analyses._targets_by_measure({s.measure_id for s in series})
    return _Read(observations, annotations, targets)


def judge(project: Project, series: Series, *, today: dt.date | None = None) -> Evidence | str:
    """The project's evidence of sustained improvement on `series`, or why there is none, reading and
    analysing the series on its own (`impact` does many at once, with equal results)."""
    try:
        analysed = analyses.analyse_series(series, today=today)
    except spc.SPCError:
        return NO_ANALYSIS
    return _evidence(project, series, *analysed)


def _evidence(project: Project, series: Series, result: spc.Analysis, laid: analyses.Laid) -> Evidence | str:
    """The evidence in one analysed series (the rules: module docstring)."""
    start = project.start_date or timezone.localdate(project.created_at)
    starts = np.array(laid.starts, dtype="datetime64[D]")
    values = np.asarray(result.values, dtype=float)
    before = (starts < np.datetime64(start)) & ~np.isnan(values)
    if before.sum() < MIN_BASELINE:
        return NO_BASELINE
    improving = np.array([t == "improvement" for t in result.point_type]) & result.shift
    improving &= starts >= np.datetime64(start)
    runs = [r for r in _runs(improving) if r[1] - r[0] >= spc.SHIFT_LENGTH]
    if not runs:
        return NOT_YET
    first = runs[-1][0]
    after = np.zeros(len(values), dtype=bool)
    after[first:] = True
    after &= ~np.isnan(values)
    baseline = float(values[before].mean())
    current = float(values[after].mean())
    change = current - baseline
    measure = series.measure
    events = None
    if measure.chart in EVENT_CHARTS and measure.frequency in PERIODS_A_YEAR:
        per_period = abs(change)
        if measure.chart in RATIO_CHARTS:
            if laid.denominators is None:
                per_period = float("nan")
            else:
                per_period *= float(np.nanmean(np.asarray(laid.denominators, dtype=float)[after]))
        if np.isfinite(per_period):
            events = per_period * PERIODS_A_YEAR[measure.frequency]
    return Evidence(
        project=project, series=series, start=start, baseline=baseline, current=current, change=change,
        since=laid.starts[first], events_a_year=events, result=result,
    )  # fmt: skip


def _sum(groups: dict[str, list[Evidence]]) -> list[tuple[str, list[tuple[str, float, int]]]]:
    """For each group: (measure name, events a year summed, projects) per measure with events a year."""
    out = []
    for name in sorted(groups):
        totals: dict[str, list[float]] = {}
        for e in groups[name]:
            if e.events_a_year is not None:
                totals.setdefault(e.measure.name, []).append(e.events_a_year)
        out.append((name, [(m, sum(v), len(v)) for m, v in sorted(totals.items())]))
    return out


def impact(user: AnyUser, unit: Unit, *, today: dt.date | None = None) -> Impact:
    """The impact of the active and closed projects of `unit` and beneath (the rules: module docstring).
    The outcome series' data are read in a few grouped queries and analysed together
    (`analyses.analyse_many_series`: equal to analysing each alone, as `judge` does)."""
    qs = project_queries.projects(user, within=unit).filter(status__in=[Status.ACTIVE, Status.CLOSED])
    projects = list(qs)
    links = _outcome_links(projects)
    outcome_series = list({link.series_id: link.series for link in links.values()}.values())
    read = _read(outcome_series)
    analysed = analyses.analyse_many_series(outcome_series, observations=read.observations,
                                            annotations=read.annotations, targets=read.targets, today=today)  # fmt: skip
    evidence: list[Evidence] = []
    without: dict[str, int] = {}
    for project in projects:
        link = links.get(project.pk)
        found: Evidence | str = NO_MEASURE
        if link is not None:
            got = analysed[link.series_id]
            found = NO_ANALYSIS if isinstance(got, spc.SPCError) else _evidence(project, link.series, *got)
        if isinstance(found, str):
            without[found] = without.get(found, 0) + 1
        else:
            evidence.append(found)
    children = [c.unit for c in org_queries.children_with_counts(user, unit)]
    by_unit: dict[str, list[Evidence]] = {}
    for e in evidence:
        home = next((c for c in children if e.project.unit.path.startswith(c.path)), unit)
        by_unit.setdefault(home.name, []).append(e)
    by_topic: dict[str, list[Evidence]] = {}
    ids = {e.project.pk: e for e in evidence}
    order = {pid: i for i, pid in enumerate(ids)}  # in the evidence's order, so each group sums the same way
    for pid, name in sorted(
        Project.topics.through.objects.filter(project_id__in=list(ids)).values_list(
            "project_id", "topic__name"
        ),
        key=lambda row: order[row[0]],
    ):  # the topics of the projects with evidence only
        by_topic.setdefault(name, []).append(ids[pid])
    by_goal: dict[str, list[Evidence]] = {}
    for pid, title in ServedGoal.objects.filter(project_id__in=list(ids)).values_list(
        "project_id", "goal__title"
    ):
        by_goal.setdefault(title, []).append(ids[pid])
    return Impact(
        unit=unit, projects=len(projects), evidence=evidence, without=without,
        by_unit=_sum(by_unit), by_topic=_sum(by_topic), by_goal=_sum(by_goal),
    )  # fmt: skip
