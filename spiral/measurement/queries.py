"""Reads that pages, exports and the API share. Every function takes the user and filters through
permissions.visible_to; they never recompute: a stale analysis is read as updating (measurement.tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, overload

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from spiral.core import periods
from spiral.core.types import AnyUser
from spiral.measurement.models import Annotation, Measure, Observation, ObservationChange, Series
from spiral.organisations.models import PATH_WIDTH, Unit, subtree_q
from spiral.organisations.permissions import Permission, get_or_deny, visible_to

SORTS = {
    "measure": ("measure__name", "unit__name"),
    "unit": ("unit__path", "measure__name"),
    "latest": ("analysis__latest_value", "measure__name"),
    "period": ("analysis__latest_period", "measure__name"),
    "variation": ("analysis__variation_icon", "measure__name"),
    "assurance": ("analysis__assurance_icon", "measure__name"),
    "type": ("measure__measure_type", "measure__name"),
}


def measures(user: AnyUser, *, q: str | None = None, owner: Unit | None = None) -> QuerySet[Measure]:
    """Measures the user may see, by name: optionally one owner's, or matching `q` (name, code or
    description)."""
    qs = visible_to(user, Measure.objects.select_related("owner"))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if q and q.strip():
        text = q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text) | Q(description__icontains=text))
    return qs.order_by("name", "id")


def measures_for_unit(user: AnyUser, unit: Unit) -> QuerySet[Measure]:
    """The measures `unit` may observe: its own, and indicators of the units above it."""
    ancestors = unit.ancestor_ids()
    return visible_to(
        user,
        Measure.objects.filter(Q(owner=unit) | Q(owner_id__in=ancestors, is_indicator=True)).select_related(
            "owner"
        ),
    ).order_by("name", "id")


def measure_by_code(user: AnyUser, code: str) -> Measure | None:
    """The measure with this code, if the user may see it (None otherwise), with its owner unit."""
    return visible_to(user, Measure.objects.select_related("owner")).filter(code=code).first()


def series_queryset(
    user: AnyUser,
    *,
    unit: Unit | None = None,
    include_beneath: bool = False,
    measure: Measure | None = None,
    variation: str | None = None,
    assurance: str | None = None,
    measure_type: str | None = None,
    q: str | None = None,
    sort: str = "measure",
    descending: bool = False,
) -> QuerySet[Series]:
    """Series with their analyses (stale ones marked so: `Analysis.stale`), filtered and sorted on the server."""
    base = visible_to(user, Series.objects.all())
    if unit is not None:
        base = base.filter(subtree_q(unit.path, "unit__") if include_beneath else Q(unit=unit))
    if measure is not None:
        base = base.filter(measure=measure)
    if measure_type:
        base = base.filter(measure__measure_type=measure_type)
    if q and q.strip():
        base = base.filter(Q(measure__name__icontains=q.strip()) | Q(measure__code__iexact=q.strip()))
    # A read never recomputes: a stale analysis is shown as updating (its task is queued), never as current.
    qs = base.select_related("measure", "unit", "analysis")
    if variation is not None:
        qs = qs.filter(analysis__variation_icon=variation)
    if assurance is not None:
        qs = qs.filter(analysis__assurance_icon=assurance)
    fields = SORTS.get(sort, SORTS["measure"])
    order = [("-" if descending and i == 0 else "") + f for i, f in enumerate(fields)]
    return qs.order_by(*order, "id")


def series_list(user: AnyUser, **filters: Any) -> list[Series]:
    """`series_queryset` with the same filters, as a list."""
    return list(series_queryset(user, **filters))


def icon_counts(qs: QuerySet[Series]) -> dict[tuple[str, str], int]:
    """(variation icon, assurance icon) -> number of series whose analysis is current, counted in the
    database (those being recomputed are counted by `updating_count`, not under their old icons)."""
    rows = (
        qs.filter(analysis__stale=False)
        .order_by()
        .values("analysis__variation_icon", "analysis__assurance_icon")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["analysis__variation_icon"] or "", row["analysis__assurance_icon"] or "")
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def icon_counts_by_branch(user: AnyUser, unit: Unit) -> dict[str, dict[str, int]]:
    """For each child of `unit` (by its path), the current series beneath it by the tone of their
    variation icon ("improvement", "concern", "common", "neither", "none"): one grouped query, for the
    comparison of the units beneath a regional or national lead."""
    width = len(unit.path) + PATH_WIDTH  # every child's path: the unit's path and one segment
    rows = (
        visible_to(user, Series.objects.filter(subtree_q(unit.path, "unit__")))
        .exclude(unit=unit)
        .filter(analysis__stale=False)
        .annotate(branch=Substr("unit__path", 1, width))
        .order_by()
        .values("branch", "analysis__variation_icon")
        .annotate(n=Count("id"))
    )
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        tone = (row["analysis__variation_icon"] or "none").split("_")[0]  # improvement_high -> improvement
        tones = out.setdefault(row["branch"], {})
        tones[tone] = tones.get(tone, 0) + row["n"]
    return out


def overdue_count(qs: QuerySet[Series], today: dt.date | None = None) -> int:
    """How many of these series are overdue (periods.is_overdue on their latest observed period)."""
    day = today or timezone.localdate()
    rows = qs.order_by().values_list(
        "analysis__latest_period",
        "analysis__incomplete_period",
        "measure__frequency",
        "measure__overdue_after_periods",
    )
    return sum(
        1
        for latest, incomplete, frequency, allowed in rows.iterator()
        if periods.is_overdue(latest or incomplete, frequency, allowed, day)
    )


def measure_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_UNIT) -> Measure:
    """The measure with this id, with its owner unit: 404 if the user may not see it, 403 if they may see
    it but not act (`permission`)."""
    return get_or_deny(user, permission, Measure.objects.select_related("owner"), pk=pk)


def observation_for(user: AnyUser, pk: int, *, series: Series | None = None) -> Observation:
    """The observation with this id (of `series`, if given) for the user to change: 404 if they may not
    see it, 403 if they may not record data for its series."""
    lookup: dict[str, Any] = {"pk": pk} | ({"series": series} if series is not None else {})
    return get_or_deny(
        user, Permission.RECORD_DATA, Observation.objects.select_related("series__unit"), **lookup
    )


def annotation_for(user: AnyUser, pk: int, *, series: Series) -> Annotation:
    """The annotation with this id on `series` for the user to change: 404 if they may not see it, 403 if
    they may not record data for the series."""
    return get_or_deny(
        user, Permission.RECORD_DATA, Annotation.objects.select_related("series__unit"), pk=pk, series=series
    )


def updating_count(qs: QuerySet[Series]) -> int:
    """How many of these series have an analysis being recomputed (stale) or none yet."""
    return qs.filter(Q(analysis__isnull=True) | Q(analysis__stale=True)).count()


def series_by_id(user: AnyUser, pk: int) -> Series | None:
    """The series with this id, if the user may see it (None otherwise), with its measure and unit."""
    return (
        visible_to(user, Series.objects.select_related("measure", "measure__owner", "unit"))
        .filter(pk=pk)
        .first()
    )


def series_of(user: AnyUser, measure: Measure, unit: Unit) -> Series | None:
    """The series of `measure` for `unit`, if it exists and the user may see it (None otherwise)."""
    return (
        visible_to(user, Series.objects.select_related("measure", "measure__owner", "unit"))
        .filter(measure=measure, unit=unit)
        .first()
    )


def observations(user: AnyUser, series: Series) -> QuerySet[Observation]:
    """The series' observations in period order; none if the user may not see the series."""
    if not visible_to(user, Series.objects.filter(pk=series.pk)).exists():
        return Observation.objects.none()
    return series.observations.select_related("updated_by").order_by("period_start")


def history(user: AnyUser, series: Series) -> QuerySet[ObservationChange]:
    """Every recorded change to the series' observations, newest first; none if the user may not see it."""
    if not visible_to(user, Series.objects.filter(pk=series.pk)).exists():
        return ObservationChange.objects.none()
    return series.changes.select_related("by").order_by("-at", "-id")


# --- one indicator across every unit that reports it -----------------------------------------------

INDICATOR_SORTS = {
    "unit": ("unit__name", "unit__code"),
    "code": ("unit__code",),
    "kind": ("unit__kind", "unit__organisation_type", "unit__name"),
    "period": ("analysis__latest_period", "unit__name"),
    "latest": ("analysis__latest_value", "unit__name"),
    "target": ("analysis__target", "unit__name"),
    "variation": ("analysis__variation_icon", "unit__name"),
    "assurance": ("analysis__assurance_icon", "unit__name"),
    "position": (),  # by funnel position: ordered in Python (`IndicatorRows`), the funnel is not stored
}
# Funnel positions from worst to best, as a board reads them; units not placed come last either way.
POSITION_ORDER = {"worse": 0, "neutral": 1, "within": 2, "better": 3}


def indicator_series(
    user: AnyUser,
    *,
    measure: Measure,
    unit: Unit,
    kind: str | None = None,
    organisation_type: str | None = None,
    variation: str | None = None,
    assurance: str | None = None,
    sort: str = "unit",
    descending: bool = False,
) -> QuerySet[Series]:
    """The series of `measure` of `unit` and every unit beneath it that reports it, one per unit, with
    the unit and its analysis, optionally of one unit kind and organisation type, sorted on the server
    (empty values last whichever the direction, on SQLite and PostgreSQL alike)."""
    qs = visible_to(user, Series.objects.filter(subtree_q(unit.path, "unit__"), measure=measure))
    if kind:
        qs = qs.filter(unit__kind=kind)
    if organisation_type:
        qs = qs.filter(unit__organisation_type=organisation_type)
    if variation is not None:
        qs = qs.filter(analysis__variation_icon=variation)
    if assurance is not None:
        qs = qs.filter(analysis__assurance_icon=assurance)
    fields = INDICATOR_SORTS.get(sort) or INDICATOR_SORTS["unit"]
    order = [
        F(f).desc(nulls_last=True) if descending and i == 0 else F(f).asc(nulls_last=True)
        for i, f in enumerate(fields)
    ]
    return qs.select_related("measure", "unit", "analysis").order_by(*order, "id")


def reporting_units(qs: QuerySet[Series]) -> list[tuple[int, str, str]]:
    """(unit id, kind, organisation type) of each series of `qs`, in one query: the peer groups to place
    on the funnel, and the units whose positions the page counts."""
    return [
        (unit_id, kind, org_type or "")
        for unit_id, kind, org_type in qs.order_by().values_list(
            "unit_id", "unit__kind", "unit__organisation_type"
        )
    ]


class IndicatorRows(Sequence[Series]):
    """The rows of the indicator page, API and exports: `qs` in its own order, or (sort "position") by
    each unit's funnel position, each series carrying `.position` (a dict, or None when not placed).

    A sequence that reads only the slice asked for (Django's Paginator and the API's pagination take a
    slice), so a page of 50 rows reads 50 rows whatever the number of units.
    """

    def __init__(
        self,
        qs: QuerySet[Series],
        positions: dict[int, dict[str, Any]],
        *,
        by_position: bool = False,
        descending: bool = False,
    ) -> None:
        self.qs = qs
        self.positions = positions
        self.ids: list[int] | None = None
        if by_position:
            # One query for the ids in the queryset's order (by unit name), then a stable sort by position.
            pairs = list(qs.values_list("id", "unit_id"))
            last = len(POSITION_ORDER)

            def rank(pair: tuple[int, int]) -> int:
                found = positions.get(pair[1])
                r = POSITION_ORDER.get(found["judgement"], last) if found else last
                return (last - 1 - r if r < last else last) if descending else r

            self.ids = [series_id for series_id, _ in sorted(pairs, key=rank)]
        self._count: int | None = None

    def __len__(self) -> int:
        if self.ids is not None:
            return len(self.ids)
        if self._count is None:
            self._count = self.qs.count()
        return self._count

    @overload
    def __getitem__(self, index: int) -> Series: ...
    @overload
    def __getitem__(self, index: slice) -> list[Series]: ...
    def __getitem__(self, index: int | slice) -> Series | list[Series]:
        if isinstance(index, int):
            position = index + len(self) if index < 0 else index
            rows = self[position : position + 1] if position >= 0 else []
            if not rows:
                raise IndexError(index)
            return rows[0]
        if self.ids is not None:
            wanted = self.ids[index]
            found = self.qs.order_by().in_bulk(wanted)
            rows = [found[i] for i in wanted if i in found]
        else:
            rows = list(self.qs[index])
        for series in rows:
            series.position = self.positions.get(series.unit_id)  # type: ignore[attr-defined]  # display extra
        return rows

    def __iter__(self) -> Iterator[Series]:
        return iter(self[0 : len(self)])


def position_counts(
    positions: dict[int, dict[str, Any]], units: list[tuple[int, str, str]]
) -> dict[str, int]:
    """How many of `units` are better, worse, neutral or within the limits on their funnel ("unplaced":
    no usable observation at the latest period of their peers)."""
    counts = dict.fromkeys((*POSITION_ORDER, "unplaced"), 0)
    for unit_id, _kind, _type in units:
        found = positions.get(unit_id)
        counts[found["judgement"] if found else "unplaced"] += 1
    return counts
