"""Reads for benchmarking: an indicator's observations across a peer group, for one period or a run of
them. Every function takes the user and filters the series through permissions.visible_to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db.models import Max, Q, QuerySet

from spiral.benchmarking import funnel as fm
from spiral.core import pagecache, periods
from spiral.core.types import AnyUser
from spiral.measurement.models import RATIO_CHARTS, Measure, Observation, Series
from spiral.organisations.models import OrganisationType, Unit, UnitKind, subtree_q
from spiral.organisations.permissions import Visibility, visibility_of, visible_to

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

    def plural(self) -> str:
        """The peers' kind in the plural: "organisations", "acute trusts"."""
        kind = dict(UnitKind.choices).get(self.kind, self.kind).lower()
        if self.organisation_type:
            kind = dict(OrganisationType.choices).get(self.organisation_type, self.organisation_type).lower()
        return kind if kind.endswith("s") else kind + "s"

    def describe(self) -> str:
        return f"{self.plural()} in {self.within.name}"


@dataclass
class Point:
    unit_id: int
    code: str
    name: str
    path: str
    series_id: int
    numerator: float
    denominator: float


@dataclass(frozen=True)
class Counted:
    """What is compared when it is not a measure's observations (the positive share of feedback answers,
    say): the facts of a measure that a funnel plot and its drawing read."""

    name: str
    label: str = ""
    denominator_definition: str = ""
    is_proportion: bool = True
    improvement: str = "neutral"  # which side of the limits is better: increase, decrease or neutral


@dataclass
class PeerData:
    measure: Measure | Counted
    group: PeerGroup
    period: dt.date | None
    points: list[Point] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "proportion" if self.measure.is_proportion else "rate"


def like_for_like(within: Unit, unit: Unit) -> PeerGroup:
    """The default peers of `unit`: units of its own kind beneath `within`, and for an organisation those
    of its own type (acute trusts with acute trusts, not with GP practices)."""
    own_type = unit.organisation_type if unit.kind == UnitKind.ORGANISATION else ""
    return PeerGroup(within=within, kind=unit.kind, organisation_type=own_type or "")


def top_unit(user: AnyUser) -> Unit | None:
    """The first top unit of the hierarchy the user may see (by path): the default peer group's `within`."""
    return visible_to(user, Unit.objects.filter(parent__isnull=True)).order_by("path").first()


def indicators(user: AnyUser) -> QuerySet[Measure]:
    """Indicators that can be benchmarked: shared measures with a numerator and a denominator."""
    return (
        visible_to(user, Measure.objects.select_related("owner"))
        .filter(is_indicator=True, chart__in=list(RATIO_CHARTS))
        .order_by("name", "id")
    )


def indicator_by_code(user: AnyUser, code: str) -> Measure | None:
    """The measure with this code, if the user may see it (None otherwise), with its owner unit."""
    return visible_to(user, Measure.objects.select_related("owner")).filter(code=code).first()


def check_benchmarkable(measure: Measure) -> None:
    """Raise ValidationError unless the measure is an indicator on a p, p′, u or u′ chart (a funnel needs
    a numerator and a denominator)."""
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


def _peer_series(
    user: AnyUser, measures: Measure | list[Measure], group: PeerGroup, *, everyone: bool = False
) -> QuerySet[Series]:
    """The series of the peer group for one indicator or several (`everyone`: as a signed-in person sees
    them when series are open to all, for the funnels an import computes ahead of its first reader)."""
    of: dict[str, Any] = (
        {"measure_id__in": [m.pk for m in measures]} if isinstance(measures, list) else {"measure": measures}
    )
    qs = (Series.objects.all() if everyone else visible_to(user, Series.objects.all())).filter(
        subtree_q(group.within.path, "unit__"), unit__kind=group.kind, **of
    )
    if group.organisation_type:
        qs = qs.filter(unit__organisation_type=group.organisation_type)
    return qs


def _usable() -> Q:
    return Q(numerator__isnull=False, denominator__gt=0)


def _is_valid(point: Point, proportion: bool) -> bool:
    """An invalid proportion (or a negative count) is left out rather than distorting everyone's limits."""
    return not (point.numerator < 0 or (proportion and point.numerator > point.denominator))


def latest_period(
    user: AnyUser, measure: Measure, group: PeerGroup, *, everyone: bool = False
) -> dt.date | None:
    """The latest period in which any peer of the group has a usable observation (None if none has)."""
    return (
        Observation.objects.filter(
            _usable(), series__in=_peer_series(user, measure, group, everyone=everyone)
        )
        .aggregate(last=Max("period_start"))
        .get("last")
    )


def parse_period(measure: Measure, value: Any) -> dt.date:
    """The start of the period `value` names, on the measure's frequency; a ValidationError on `period`
    if it cannot be read."""
    try:
        return periods.period_start(value, measure.frequency)
    except periods.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from None


# A peer's observation as `Point` takes it (in its fields' order), and the order peers are listed in.
POINT_COLUMNS = (
    "series__unit_id",
    "series__unit__code",
    "series__unit__name",
    "series__unit__path",
    "series_id",
    "numerator",
    "denominator",
)
BY_UNIT_NAME = ("series__unit__name", "series__unit__code")


def peer_data(
    user: AnyUser, *, measure: Measure, group: PeerGroup, period: Any = None, everyone: bool = False
) -> PeerData:
    """Every peer's numerator and denominator for `period` (default: the latest period with data)."""
    check_benchmarkable(measure)
    start = (
        parse_period(measure, period)
        if period not in (None, "")
        else latest_period(user, measure, group, everyone=everyone)
    )
    data = PeerData(measure=measure, group=group, period=start)
    if start is None:
        return data
    rows = (
        Observation.objects.filter(
            _usable(), series__in=_peer_series(user, measure, group, everyone=everyone), period_start=start
        )
        .values_list(*POINT_COLUMNS)
        .order_by(*BY_UNIT_NAME)
    )
    proportion = measure.is_proportion
    data.points.extend(point for point in (Point(*row) for row in rows) if _is_valid(point, proportion))
    return data


def peer_data_many(user: AnyUser, *, measures: list[Measure], group: PeerGroup) -> dict[int, PeerData]:
    """`peer_data` at the latest period for several indicators at once, in two queries (not two per
    indicator): the measures page shows a "compared with peers" cell for each of a unit's indicators."""
    for measure in measures:
        check_benchmarkable(measure)
    out = {m.pk: PeerData(measure=m, group=group, period=None) for m in measures}
    if not measures:
        return out
    qs = _peer_series(user, measures, group)
    latest = (
        Observation.objects.filter(_usable(), series__in=qs)
        .order_by()
        .values("series__measure_id")
        .annotate(last=Max("period_start"))
        .values_list("series__measure_id", "last")
    )
    at = Q(pk__in=[])
    for measure_id, last in latest:
        out[measure_id].period = last
        at |= Q(series__measure_id=measure_id, period_start=last)
    rows = (
        Observation.objects.filter(_usable(), at, series__in=qs)
        .values_list("series__measure_id", *POINT_COLUMNS)
        .order_by(*BY_UNIT_NAME)
    )
    for measure_id, *row in rows:
        data = out[measure_id]
        point = Point(*row)
        if _is_valid(point, data.measure.is_proportion):
            data.points.append(point)
    return out


def counted_data(
    *, of: Counted, within: Unit, period: dt.date | None, counts: list[tuple[Unit, float, float]]
) -> PeerData:
    """Peer data from counts another app has made, one (unit, numerator, denominator) each, in that order,
    for `compute` and `presenters.funnel_svg`; the units are organisations beneath `within`."""
    data = PeerData(measure=of, group=PeerGroup(within=within), period=period)
    data.points = [Point(u.pk, u.code, u.name, u.path, 0, num, den) for u, num, den in counts]
    return data


def compute(data: PeerData, method: str = fm.DEFAULT_METHOD) -> fm.Funnel | None:
    """The funnel plot of the peers' points by `method` (auto, none, phi or tau2), each unit judged by the
    measure's direction of improvement; None when there are no points."""
    if not data.points:
        return None
    improvement = data.measure.improvement if data.measure.improvement in fm.IMPROVEMENTS else "neutral"
    return fm.funnel(
        [p.numerator for p in data.points],
        [p.denominator for p in data.points],
        kind=data.kind,
        method=method,
        improvement=improvement,
    )


COMPARED_METHODS = ("none", "phi", "tau2")

# ------------------------------------------------------------------------------------------------
# Funnel plots kept in the cache
#
# A funnel plot's peers and limits are kept in the `default` cache under the figures generation
# (spiral.core.pagecache: raised after every committed write to observations, series, measures or
# units), the indicator, the peer group, the period
# asked for and the method. Any write starts a new generation, so a kept funnel is never shown after its
# data changed (explicit invalidation, no guessing which writes matter). An import computes the default
# funnels of the indicators it touched once it has finished (`warm_after_import`, registered with
# measurement's after-import extension), so the first person to open one after an import finds it ready.
# Series and observations are open to every signed-in person (measurement registers them "open"), so a
# funnel is the same for all of them and kept once; were that to change, nothing would be kept.


def _cacheable(user: AnyUser, everyone: bool) -> bool:
    if not getattr(settings, "SPIRAL_FUNNEL_CACHE_SECONDS", 0) or pagecache.has_unsaved_writes():
        return False
    if visibility_of(Series).visibility is not Visibility.OPEN:
        return False
    return everyone or bool(user is not None and user.is_authenticated and user.is_active)


def funnel_key(measure: Measure, group: PeerGroup, period: Any, method: str) -> str:
    """The cache key of one funnel plot in the current data generation."""
    parts = [
        pagecache.generation(row=pagecache.FIGURES),
        measure.pk,
        group.within.pk,
        group.kind,
        group.organisation_type,
    ]
    return "funnel:" + ":".join(str(p) for p in [*parts, period or "", method])


def funnel_for(
    user: AnyUser,
    *,
    measure: Measure,
    group: PeerGroup,
    period: Any = None,
    method: str = fm.DEFAULT_METHOD,
    everyone: bool = False,
) -> tuple[PeerData, fm.Funnel | None]:
    """`peer_data` and `compute` together, kept in the cache for the data generation (see above)."""
    if not _cacheable(user, everyone):
        data = peer_data(user, measure=measure, group=group, period=period, everyone=everyone)
        return data, compute(data, method)
    key = funnel_key(measure, group, period, method)
    cache = caches["default"]
    kept = cache.get(key)
    if kept is not None:
        return cast(tuple[PeerData, fm.Funnel | None], kept)
    data = peer_data(user, measure=measure, group=group, period=period, everyone=everyone)
    result = compute(data, method)
    if not pagecache.has_unsaved_writes():
        cache.set(key, (data, result), settings.SPIRAL_FUNNEL_CACHE_SECONDS)
    return data, result


def warm_after_import(series_ids: list[int]) -> int:
    """Compute and keep the default funnel plot (every top unit's organisations, the default method) of
    each indicator among these series' measures: what the first reader after an import would compute.
    Returns how many funnels were kept."""
    if not series_ids or not getattr(settings, "SPIRAL_FUNNEL_CACHE_SECONDS", 0):
        return 0
    measure_ids: set[int] = set()
    for start in range(0, len(series_ids), 5000):
        chunk = series_ids[start : start + 5000]
        measure_ids.update(
            Series.objects.filter(pk__in=chunk).values_list("measure_id", flat=True).distinct()
        )
    measures = list(
        Measure.objects.select_related("owner").filter(
            pk__in=measure_ids, is_indicator=True, chart__in=list(RATIO_CHARTS)
        )
    )
    tops = list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    kept = 0
    for measure in measures:
        for top in tops:
            funnel_for(AnonymousUser(), measure=measure, group=PeerGroup(within=top), everyone=True)
            kept += 1
    return kept


def compute_each_method(data: PeerData, result: fm.Funnel | None) -> dict[str, fm.Funnel]:
    """The funnel by each method the page offers to compare (none, phi, tau2), reusing `result` for the
    one it applied: the page shows how many units each would flag."""
    if result is None:
        return {}
    out: dict[str, fm.Funnel] = {}
    for method in COMPARED_METHODS:
        found = result if result.applied == method else compute(data, method)
        if found is not None:
            out[method] = found
    return out


def trend(user: AnyUser, *, data: PeerData, unit: Unit | None, count: int = 12) -> list[dict[str, Any]]:
    """The last `count` periods: the peers' median value and the chosen unit's value, oldest first."""
    if data.period is None:
        return []
    measure = cast(Measure, data.measure)  # trends are of measures (voice's Counted draws no trend)
    freq = measure.frequency
    last = periods.index(data.period, freq)
    first = periods.from_index(last - count + 1, freq)
    rows = (
        Observation.objects.filter(
            _usable(),
            series__in=_peer_series(user, measure, data.group),
            period_start__gte=first,
            period_start__lte=data.period,
        )
        .values_list("period_start", "series__unit_id", "numerator", "denominator")
        .order_by("period_start")
    )
    by_period: dict[dt.date, list[float]] = {}
    mine: dict[dt.date, float] = {}
    for day, unit_id, num, den in rows:
        by_period.setdefault(day, []).append(num / den)  # type: ignore[operator]  # _usable(): no nulls
        if unit is not None and unit_id == unit.pk:
            mine[day] = num / den  # type: ignore[operator]  # _usable(): no nulls
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
    measure = cast(Measure, data.measure)  # gaps are of measures (voice's Counted has none)
    improvement = measure.improvement
    if improvement not in ("increase", "decrease"):
        raise ValidationError(
            {"measure": f"{measure.code} has no direction of improvement, so it has no gap to potential"}
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


def gaps_by_child(user: AnyUser, *, parent: Unit, rows: list[GapRow]) -> list[ChildGap]:
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


def positions(user: AnyUser, measure: Measure, kinds: set[tuple[str, str]]) -> dict[int, dict[str, Any]]:
    """Each unit's place on the funnel of `measure` among its like-for-like peers (units of its kind and,
    for organisations, its type, across the hierarchy the user sees: the peers of "compared with peers"),
    by the default method at the latest period with data, for each peer group of `kinds` ((unit kind,
    organisation type) pairs): {unit id: {"judgement", "flag", "period", "group", "applied", "peers", "code"}}.
    {} for a measure that cannot be benchmarked. Two queries for all the peer groups, and one for the top unit."""
    if not measure.is_indicator or measure.chart not in RATIO_CHARTS:
        return {}
    root = top_unit(user)
    if root is None:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for group, data in _groups_data(user, measure, root, kinds):
        result = compute(data, fm.DEFAULT_METHOD)
        if result is None:
            continue
        for i, point in enumerate(data.points):
            out[point.unit_id] = {
                "judgement": str(result.judgements[i]), "flag": str(result.flags[i]), "period": data.period,
                "group": group, "applied": result.applied, "peers": len(result), "code": point.code,
            }  # fmt: skip
    return out


def _groups_data(
    user: AnyUser, measure: Measure, root: Unit, kinds: set[tuple[str, str]]
) -> list[tuple[PeerGroup, PeerData]]:
    """`peer_data` at each group's latest period for several peer groups of one indicator, in two queries
    whatever the number of groups (the latest period of each, then every group's observations at it)."""
    groups: dict[tuple[str, str], PeerGroup] = {}
    for kind, organisation_type in sorted(kinds):
        own_type = organisation_type if kind == UnitKind.ORGANISATION else ""
        groups[(kind, own_type)] = PeerGroup(within=root, kind=kind, organisation_type=own_type)
    if not groups:
        return []
    series = _peer_series(user, measure, next(iter(groups.values())))
    for group in list(groups.values())[1:]:
        series = series | _peer_series(user, measure, group)

    def key(kind: str, organisation_type: str | None) -> tuple[str, str]:
        return (kind, (organisation_type or "") if kind == UnitKind.ORGANISATION else "")

    latest: dict[tuple[str, str], dt.date] = {}
    for kind, organisation_type, last in (
        Observation.objects.filter(_usable(), series__in=series)
        .order_by()
        .values_list("series__unit__kind", "series__unit__organisation_type")
        .annotate(last=Max("period_start"))
    ):
        k = key(kind, organisation_type)
        if k in groups and (k not in latest or last > latest[k]):
            latest[k] = last
    found: dict[tuple[str, str], PeerData] = {
        k: PeerData(measure=measure, group=g, period=latest.get(k)) for k, g in groups.items()
    }
    at = Q()
    for (kind, own_type), last in latest.items():
        one = Q(series__unit__kind=kind, period_start=last)
        if own_type:
            one &= Q(series__unit__organisation_type=own_type)
        at |= one
    if latest:
        rows = (
            Observation.objects.filter(_usable(), at, series__in=series)
            .values_list(
                *POINT_COLUMNS, "series__unit__kind", "series__unit__organisation_type", "period_start"
            )
            .order_by(*BY_UNIT_NAME)
        )
        proportion = measure.is_proportion
        for *row, kind, organisation_type, start in rows:
            k = key(kind, organisation_type)
            if k not in found or latest.get(k) != start:
                continue
            point = Point(*row)
            if _is_valid(point, proportion):
                found[k].points.append(point)
    return [(groups[k], found[k]) for k in groups]


def compared_with_peers(user: Any, unit: Unit) -> list[dict[str, Any]]:
    """For each indicator `unit` records: its flag against units of its kind (the measures page's
    "compared with peers" column shows it, through `views.peer_cells`; docs/adr/0005-benchmarking-app.md)."""
    root = top_unit(user)
    out: list[dict[str, Any]] = []
    if root is None:
        return out
    series = (
        visible_to(
            user,
            Series.objects.filter(
                unit=unit, measure__is_indicator=True, measure__chart__in=list(RATIO_CHARTS)
            ),
        )
        .select_related("measure")
        .order_by("measure__name")
    )
    group = like_for_like(root, unit)
    chosen = list(series)  # read once, used twice
    peers = peer_data_many(user, measures=[s.measure for s in chosen], group=group)
    for s in chosen:
        data = peers[s.measure_id]
        result = compute(data, fm.DEFAULT_METHOD)
        row: dict[str, Any] = {
            "measure": s.measure, "series_id": s.pk, "period": data.period, "flag": None, "group": group,
            "applied": result.applied if result is not None else None,
        }  # fmt: skip
        if result is not None:
            for i, point in enumerate(data.points):
                if point.unit_id == unit.pk:
                    row |= {"flag": str(result.flags[i]), "value": float(result.values[i]), "centre": result.centre,
                            "peers": len(result), "proportion": data.kind == "proportion"}  # fmt: skip
        out.append(row)
    return out
