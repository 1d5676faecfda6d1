"""Reads that pages, exports and the API share. Every function takes the user and filters through
permissions.visible_to; analyses are made fresh (recomputed if stale) before they are read."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from spiral.measurement import analyses
from spiral.measurement.models import Measure, Observation, ObservationChange, Series
from spiral.organisations.models import Unit, subtree_q
from spiral.organisations.permissions import visible_to

SORTS = {
    "measure": ("measure__name", "unit__name"),
    "unit": ("unit__path", "measure__name"),
    "latest": ("analysis__latest_value", "measure__name"),
    "period": ("analysis__latest_period", "measure__name"),
    "variation": ("analysis__variation_icon", "measure__name"),
    "assurance": ("analysis__assurance_icon", "measure__name"),
    "type": ("measure__measure_type", "measure__name"),
}


def measures(user: Any, *, q: str | None = None, owner: Unit | None = None) -> QuerySet[Measure]:
    qs = visible_to(user, Measure.objects.select_related("owner"))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if q and q.strip():
        text = q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text) | Q(description__icontains=text))
    return qs.order_by("name", "id")


def measures_for_unit(user: Any, unit: Unit) -> QuerySet[Measure]:
    """The measures `unit` may observe: its own, and indicators of the units above it."""
    ancestors = unit.ancestor_ids()
    return visible_to(
        user,
        Measure.objects.filter(Q(owner=unit) | Q(owner_id__in=ancestors, is_indicator=True)).select_related(
            "owner"
        ),
    ).order_by("name", "id")


def measure_by_code(user: Any, code: str) -> Measure | None:
    return visible_to(user, Measure.objects.select_related("owner")).filter(code=code).first()


def series_queryset(
    user: Any,
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
    """Series with their analyses (made fresh first), filtered and sorted on the server."""
    base = visible_to(user, Series.objects.all())
    if unit is not None:
        base = base.filter(subtree_q(unit.path, "unit__") if include_beneath else Q(unit=unit))
    if measure is not None:
        base = base.filter(measure=measure)
    if measure_type:
        base = base.filter(measure__measure_type=measure_type)
    if q and q.strip():
        base = base.filter(Q(measure__name__icontains=q.strip()) | Q(measure__code__iexact=q.strip()))
    # A page never shows a stale analysis: recompute the stale or missing ones among these first.
    stale = list(base.filter(Q(analysis__isnull=True) | Q(analysis__stale=True)).values_list("pk", flat=True))
    if stale:
        analyses.recompute(stale)
    qs = base.select_related("measure", "unit", "analysis")
    if variation is not None:
        qs = qs.filter(analysis__variation_icon=variation)
    if assurance is not None:
        qs = qs.filter(analysis__assurance_icon=assurance)
    fields = SORTS.get(sort, SORTS["measure"])
    order = [("-" if descending and i == 0 else "") + f for i, f in enumerate(fields)]
    return qs.order_by(*order, "id")


def series_list(user: Any, **filters: Any) -> list[Series]:
    return list(series_queryset(user, **filters))


def icon_counts(qs: QuerySet[Series]) -> dict[tuple[str, str], int]:
    """(variation icon, assurance icon) -> number of series, counted in the database."""
    rows = (
        qs.order_by().values("analysis__variation_icon", "analysis__assurance_icon").annotate(n=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["analysis__variation_icon"] or "", row["analysis__assurance_icon"] or "")
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def series_by_id(user: Any, pk: int) -> Series | None:
    return (
        visible_to(user, Series.objects.select_related("measure", "measure__owner", "unit"))
        .filter(pk=pk)
        .first()
    )


def series_of(user: Any, measure: Measure, unit: Unit) -> Series | None:
    return (
        visible_to(user, Series.objects.select_related("measure", "measure__owner", "unit"))
        .filter(measure=measure, unit=unit)
        .first()
    )


def observations(user: Any, series: Series) -> QuerySet[Observation]:
    if not visible_to(user, Series.objects.filter(pk=series.pk)).exists():
        return Observation.objects.none()
    return series.observations.select_related("updated_by").order_by("period_start")


def history(user: Any, series: Series) -> QuerySet[ObservationChange]:
    if not visible_to(user, Series.objects.filter(pk=series.pk)).exists():
        return ObservationChange.objects.none()
    return series.changes.select_related("by").order_by("-at", "-id")
