"""Reads for benchmarking: an indicator's observations across a peer group, for one period or a run of
them. Every function takes the user and filters the series through permissions.visible_to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Max, Q, QuerySet

from spiral.benchmarking import funnel as fm
from spiral.core import periods
from spiral.measurement.models import RATIO_CHARTS, Measure, Observation, Series
from spiral.organisations.models import OrganisationType, Unit, UnitKind, subtree_q
from spiral.organisations.permissions import visible_to

BEST = {"quartile": 0.25, **{f"decile{d}": d / 10 for d in (1, 2, 3, 4)}}
BEST_LABELS = {
    "quartile": "the best quartile (25%)",
    "decile1": "the best decile (10%)",
    "decile2": "the best 20%",
    "decile3": "the best 30%",
    "decile4": "the best 40%",
}


@dataclass(frozen=True)
class PeerGroup:
    """The units of one kind beneath `within` (optionally of one organisation type)."""

    within: Unit
    kind: str = UnitKind.ORGANISATION
    organisation_type: str = ""

    def describe(self) -> str:
        kind = dict(UnitKind.choices).get(self.kind, self.kind).lower()
        if self.organisation_type:
            kind = dict(OrganisationType.choices).get(self.organisation_type, self.organisation_type).lower()
        plural = kind if kind.endswith("s") else kind + "s"
        return f"{plural} in {self.within.name}"


@dataclass
class Point:
    unit_id: int
    code: str
    name: str
    path: str
    series_id: int
    numerator: float
    denominator: float


@dataclass
class PeerData:
    measure: Measure
    group: PeerGroup
    period: dt.date | None
    points: list[Point] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "proportion" if self.measure.is_proportion else "rate"


def indicators(user: Any) -> QuerySet[Measure]:
    """Indicators that can be benchmarked: shared measures with a numerator and a denominator."""
    return (
        visible_to(user, Measure.objects.select_related("owner"))
        .filter(is_indicator=True, chart__in=list(RATIO_CHARTS))
        .order_by("name", "id")
    )


def indicator_by_code(user: Any, code: str) -> Measure | None:
    return visible_to(user, Measure.objects.select_related("owner")).filter(code=code).first()


def check_benchmarkable(measure: Measure) -> None:
    if not measure.is_indicator:
        raise ValidationError(
            {"measure": f"{measure.code} is not an indicator: only indicators are observed by many units"}
        )
    if measure.chart not in RATIO_CHARTS:
        raise ValidationError(
            {
                "measure": f"{measure.code} is plotted on a {measure.chart} chart; funnel plots need a "
                "numerator and a denominator (p, p′, u or u′ charts)"
            }
        )


def _peer_series(user: Any, measure: Measure, group: PeerGroup) -> QuerySet[Series]:
    qs = visible_to(user, Series.objects.all()).filter(
        subtree_q(group.within.path, "unit__"), measure=measure, unit__kind=group.kind
    )
    if group.organisation_type:
        qs = qs.filter(unit__organisation_type=group.organisation_type)
    return qs


def _usable() -> Q:
    return Q(numerator__isnull=False, denominator__gt=0)


def latest_period(user: Any, measure: Measure, group: PeerGroup) -> dt.date | None:
    return (
        Observation.objects.filter(_usable(), series__in=_peer_series(user, measure, group))
        .aggregate(last=Max("period_start"))
        .get("last")
    )


def parse_period(measure: Measure, value: Any) -> dt.date:
    try:
        return periods.period_start(value, measure.frequency)
    except periods.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from None


def peer_data(user: Any, *, measure: Measure, group: PeerGroup, period: Any = None) -> PeerData:
    """Every peer's numerator and denominator for `period` (default: the latest period with data)."""
    check_benchmarkable(measure)
    start = parse_period(measure, period) if period not in (None, "") else latest_period(user, measure, group)
    data = PeerData(measure=measure, group=group, period=start)
    if start is None:
        return data
    rows = (
        Observation.objects.filter(
            _usable(), series__in=_peer_series(user, measure, group), period_start=start
        )
        .values_list(
            "series__unit_id",
            "series__unit__code",
            "series__unit__name",
            "series__unit__path",
            "series_id",
            "numerator",
            "denominator",
        )
        .order_by("series__unit__name", "series__unit__code")
    )
    proportion = measure.is_proportion
    for row in rows:
        point = Point(*row)
        if point.numerator < 0 or (proportion and point.numerator > point.denominator):
            continue  # not a valid proportion: left out rather than distorting everyone's limits
        data.points.append(point)
    return data


def compute(data: PeerData, method: str = "none") -> fm.Funnel | None:
    if not data.points:
        return None
    return fm.funnel(
        [p.numerator for p in data.points],
        [p.denominator for p in data.points],
        kind=data.kind,
        method=method,
    )


def trend(user: Any, *, data: PeerData, unit: Unit | None, count: int = 12) -> list[dict[str, Any]]:
    """The last `count` periods: the peers' median value and the chosen unit's value, oldest first."""
    if data.period is None:
        return []
    freq = data.measure.frequency
    last = periods.index(data.period, freq)
    first = periods.from_index(last - count + 1, freq)
    rows = (
        Observation.objects.filter(
            _usable(),
            series__in=_peer_series(user, data.measure, data.group),
            period_start__gte=first,
            period_start__lte=data.period,
        )
        .values_list("period_start", "series__unit_id", "numerator", "denominator")
        .order_by("period_start")
    )
    by_period: dict[dt.date, list[float]] = {}
    mine: dict[dt.date, float] = {}
    for day, unit_id, num, den in rows:
        by_period.setdefault(day, []).append(num / den)
        if unit is not None and unit_id == unit.pk:
            mine[day] = num / den
    return [
        {
            "period": day,
            "label": periods.label(day, freq),
            "median": float(np.median(by_period[day])) if day in by_period else None,
            "peers": len(by_period.get(day, [])),
            "value": mine.get(day),
        }
        for day in periods.calendar(first, data.period, freq)
    ]


@dataclass
class GapRow:
    point: Point
    value: float
    gap: float
    events: float


@dataclass
class ChildGap:
    unit: Unit
    units: int
    events: float


def gaps(data: PeerData, best: str = "quartile") -> tuple[float | None, list[GapRow]]:
    """(potential, rows) for the peer group: each unit's gap to the potential, largest events first."""
    if best not in BEST:
        raise ValidationError({"best": f"best must be one of {', '.join(BEST)}"})
    if not data.points:
        return None, []
    improvement = data.measure.improvement
    if improvement not in ("increase", "decrease"):
        raise ValidationError(
            {"measure": f"{data.measure.code} has no direction of improvement, so it has no gap to potential"}
        )
    values = np.array([p.numerator / p.denominator for p in data.points])
    dens = np.array([p.denominator for p in data.points])
    gap = fm.gap_to_potential(values, dens, improvement, BEST[best])
    rows = [
        GapRow(point=p, value=float(v), gap=float(g), events=float(e))
        for p, v, g, e in zip(data.points, values, gap.gaps, gap.events, strict=True)
    ]
    rows.sort(key=lambda r: (-r.events, r.point.name))
    return gap.potential, rows


def gaps_by_child(user: Any, *, parent: Unit, rows: list[GapRow]) -> list[ChildGap]:
    """The gap summed over each child of `parent` (the units beneath it), biggest first."""
    children = {c.path: c for c in visible_to(user, Unit.objects.filter(parent=parent))}
    if not children:
        return []
    # Children sit at one depth, so their paths share a length: one dictionary look-up per row.
    width = len(next(iter(children)))
    totals: dict[str, list[float]] = {}
    for r in rows:
        if r.point.path[:width] in children:
            acc = totals.setdefault(r.point.path[:width], [0, 0.0])
            acc[0] += 1
            acc[1] += r.events
    out = [ChildGap(unit=children[path], units=int(n), events=events) for path, (n, events) in totals.items()]
    out.sort(key=lambda c: (-c.events, c.unit.name))
    return out
