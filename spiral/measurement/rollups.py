"""Roll-ups: an indicator observed by organisations, added up to their ICBs, regions and the nation.

Each of those units gets a series of its own marked `derived`: its observations are recomputed here from
the organisations' observations, never typed or imported (services and imports refuse them). For p, p′,
u and u′ charts the numerators and the denominators are summed (the pooled ratio); for run, XmR and c
charts the values are summed only when the measure says so (`Measure.aggregation` = sum); any other
measure is not rolled up.

Coverage: a period is the sum of whatever the organisations beneath reported for it; each derived
observation keeps how many organisations contributed (`Observation.contributors`), which the series page
shows, so a month that few have reported yet is visible as such rather than hidden.

Every level is added up straight from the organisations (one aggregate query per level), so an ICB's
figure never depends on another derived series. A unit that records a series of its own for the measure
(typed, with observations) keeps it and gets no derived series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from spiral.measurement.models import RATIO_CHARTS, Analysis, Measure, Observation, Series
from spiral.organisations.models import Unit, UnitKind

# The organisation's ancestor at each derived level (the hierarchy is nation → region → ICB → organisation).
LEVELS = {
    UnitKind.ICB: "series__unit__parent_id",
    UnitKind.REGION: "series__unit__parent__parent_id",
    UnitKind.NATION: "series__unit__parent__parent__parent_id",
}

Key = tuple[int, int]  # (measure id, unit id)
Row = tuple[float | None, float | None, float | None, int]  # value, numerator, denominator, contributors


def _desired(measures: list[Measure]) -> dict[Key, dict[dt.date, Row]]:
    """What every derived series of these measures should hold, added up from the organisations."""
    ratio = [m.pk for m in measures if m.chart in RATIO_CHARTS]
    summed = [m.pk for m in measures if m.chart not in RATIO_CHARTS]
    usable = Q(series__measure_id__in=ratio, numerator__isnull=False, denominator__isnull=False) | Q(
        series__measure_id__in=summed, value__isnull=False
    )
    base = Observation.objects.filter(
        usable, series__derived=False, series__unit__kind=UnitKind.ORGANISATION
    ).order_by()
    found: dict[Key, dict[dt.date, Row]] = {}
    ratio_ids = set(ratio)
    for ancestor in LEVELS.values():
        rows = base.values_list("series__measure_id", ancestor, "period_start").annotate(
            v=Sum("value"), n=Sum("numerator"), d=Sum("denominator"), k=Count("id")
        )
        for measure_id, unit_id, start, v, n, d, k in rows:
            if unit_id is None:
                continue
            if measure_id in ratio_ids:
                if not d:
                    continue  # no usable denominator: the period stays missing
                row: Row = (n / d, n, d, k)
            else:
                row = (v, None, None, k)
            found.setdefault((measure_id, unit_id), {})[start] = row
    return found


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


@transaction.atomic
def roll_up(measure_ids: Iterable[int]) -> list[int]:
    """Recompute the derived series of these measures from their organisations' observations (set-based:
    one aggregate query per level, then bulk writes). Returns the ids of the derived series now held
    (the caller recomputes their analyses). Safe to repeat: a second run writes nothing."""
    ids = sorted(set(measure_ids))
    if not ids:
        return []
    # One roll-up of a measure at a time (PostgreSQL: row locks; SQLite serialises writers anyway).
    measures = list(Measure.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    owners = dict(Unit.objects.filter(pk__in={m.owner_id for m in measures}).values_list("pk", "path"))
    rolling = [m for m in measures if m.rolls_up]
    desired = _desired(rolling) if rolling else {}
    paths = dict(Unit.objects.filter(pk__in={u for _, u in desired}).values_list("pk", "path"))
    by_measure = {m.pk: m for m in measures}
    # Only where the measure applies: its owner and the units beneath it.
    desired = {
        key: rows
        for key, rows in desired.items()
        if paths.get(key[1], "").startswith(owners[by_measure[key[0]].owner_id])
    }
    existing = {
        (m, u): (pk, derived, has)
        for pk, m, u, derived, has in Series.objects.filter(measure_id__in=ids, unit__kind__in=list(LEVELS))
        .annotate(n=Count("observations"))
        .values_list("pk", "measure_id", "unit_id", "derived", "n")
    }
    # A unit's own typed series with observations is its own figure: left alone, no derived series.
    desired = {
        k: v for k, v in desired.items() if not (k in existing and not existing[k][1] and existing[k][2])
    }
    # Derived series with nothing left to add up (or of a measure that no longer rolls up) go.
    gone = [pk for key, (pk, derived, _has) in existing.items() if derived and key not in desired]
    if gone:
        Series.objects.filter(pk__in=gone).delete()
    adopt = [existing[k][0] for k in desired if k in existing and not existing[k][1]]
    if adopt:
        Series.objects.filter(pk__in=adopt).update(derived=True)
    missing = [k for k in desired if k not in existing]
    if missing:
        Series.objects.bulk_create(
            [Series(measure_id=m, unit_id=u, derived=True) for m, u in missing], ignore_conflicts=True
        )
    series = {
        (m, u): pk
        for pk, m, u in Series.objects.filter(measure_id__in=ids, derived=True).values_list(
            "pk", "measure_id", "unit_id"
        )
    }
    now = timezone.now()
    Analysis.objects.bulk_create(
        [Analysis(series_id=pk, stale=True, computed_at=now) for pk in series.values()], ignore_conflicts=True
    )
    stored: dict[int, dict[dt.date, tuple[Any, ...]]] = {}
    for oid, sid, start, v, n, d, k, version in Observation.objects.filter(
        series_id__in=list(series.values())
    ).values_list(
        "pk", "series_id", "period_start", "value", "numerator", "denominator", "contributors", "version"
    ):
        stored.setdefault(sid, {})[start] = (oid, v, n, d, k, version)
    inserts: list[Observation] = []
    updates: list[Observation] = []
    deletes: list[int] = []
    for key, sid in series.items():
        want = desired.get(key, {})
        have = stored.get(sid, {})
        for start, (v, n, d, k) in want.items():
            old = have.get(start)
            if old is None:
                inserts.append(
                    Observation(
                        series_id=sid, period_start=start, value=v, numerator=n, denominator=d, contributors=k,
                        version=1, updated_at=now,
                    )
                )  # fmt: skip
            elif not (_same(old[1], v) and _same(old[2], n) and _same(old[3], d) and old[4] == k):
                updates.append(
                    Observation(
                        pk=old[0], value=v, numerator=n, denominator=d, contributors=k, version=old[5] + 1,
                        updated_at=now,
                    )
                )  # fmt: skip
        deletes.extend(old[0] for start, old in have.items() if start not in want)
    Observation.objects.bulk_create(inserts, batch_size=2000)
    Observation.objects.bulk_update(
        updates,
        ["value", "numerator", "denominator", "contributors", "version", "updated_at"],
        batch_size=2000,
    )
    for i in range(0, len(deletes), 2000):
        Observation.objects.filter(pk__in=deletes[i : i + 2000]).delete()
    return sorted(series.values())


def measures_concerned(unit: Unit | None = None) -> QuerySet[Measure]:
    """The measures a roll-up would change: indicators, and any measure that still has derived series (so
    one that stopped rolling up loses them); with `unit`, only those observed by an organisation in or
    beneath it, or with a derived series there."""
    qs = Measure.objects.filter(Q(is_indicator=True) | Q(series__derived=True))
    if unit is not None:
        within = Series.objects.filter(unit.subtree_q("unit__")).filter(
            Q(derived=True) | Q(derived=False, unit__kind=UnitKind.ORGANISATION, observations__isnull=False)
        )
        qs = qs.filter(pk__in=within.values("measure_id"))
    return qs.distinct()


def contributing_organisations(series: Series) -> int:
    """How many organisations beneath a derived series' unit have observed its measure (ever)."""
    return (
        Series.objects.filter(
            series_subtree(series),
            measure_id=series.measure_id,
            derived=False,
            unit__kind=UnitKind.ORGANISATION,
        )
        .filter(observations__isnull=False)
        .distinct()
        .count()
    )


def series_subtree(series: Series) -> Q:
    return series.unit.subtree_q("unit__")
