"""Reads that pages, exports and the API share. Every function takes the user and filters through
permissions.visible_to; they never recompute: a stale analysis is read as updating (measurement.tasks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from spiral.core import periods
from spiral.core.types import AnyUser
from spiral.measurement.models import Annotation, Measure, Observation, ObservationChange, Series
from spiral.organisations.models import Unit, subtree_q
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
