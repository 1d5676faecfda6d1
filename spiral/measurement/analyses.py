"""SPC analyses of series: derived from the observations, cached in `Analysis`, recomputed in bulk.

Before analysis a series is laid on its full calendar of periods, from its first observation to its
last; a period without an observation goes to spiral.spc as missing (NaN), never skipped over.
Series without rebase points or a changing target go through `analyse_many`, one call per chart type;
the others through `analyse`, one by one (analyse_many takes no rebase and no target trajectory).

A period that has not ended by `today` (its data may still be coming in) is left out of the analysis,
its icons and its headline; its start is kept as `Analysis.incomplete_period`, so pages show it as
incomplete, and `recompute_ended` recomputes the analysis once the period has ended (docs/measurement.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from spiral import spc
from spiral.core import periods
from spiral.measurement.models import RATIO_CHARTS, Analysis, Annotation, AnnotationKind, Series, Target

logger = logging.getLogger(__name__)

SPARKLINE_POINTS = 24
CHUNK = 5000  # ids per IN (...) clause: well under SQLite's variable limit


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


@dataclass
class Laid:
    """A series on its full calendar: one entry per period, NaN where nothing was observed."""

    starts: list[dt.date]
    values: np.ndarray  # plotted values for run/XmR/c; numerators for ratio charts
    denominators: np.ndarray | None
    incomplete: dt.date | None = None  # the latest observed period not yet ended (left out of the above)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def split_incomplete(rows: list[Any], frequency: str, today: dt.date) -> tuple[list[Any], dt.date | None]:
    """Rows (period_start first, in period order) of ended periods, and the latest unended period."""
    ended = [r for r in rows if periods.has_ended(_as_date(r[0]), frequency, today)]
    later = [_as_date(r[0]) for r in rows[len(ended) :]]
    return ended, (later[-1] if later else None)


def _targets_by_measure(measure_ids: Iterable[int]) -> dict[int, list[tuple[dt.date | None, float]]]:
    found: dict[int, list[tuple[dt.date | None, float]]] = defaultdict(list)
    for measure_id, valid_from, value in Target.objects.filter(measure_id__in=list(measure_ids)).values_list(
        "measure_id", "valid_from", "value"
    ):
        found[measure_id].append((valid_from, value))
    for items in found.values():
        items.sort(key=lambda t: t[0] or dt.date.min)
    return found


def target_trajectory(
    targets: list[tuple[dt.date | None, float]], starts: list[dt.date]
) -> list[float | None]:
    """The target in force at each period (None before the first one)."""
    result: list[float | None] = []
    for day in starts:
        current = None
        for valid_from, value in targets:
            if valid_from is None or valid_from <= day:
                current = value
        result.append(current)
    return result


def _is_trajectory(targets: list[tuple[dt.date | None, float]]) -> bool:
    return bool(targets) and (len(targets) > 1 or targets[0][0] is not None)


def lay_out(rows: list[tuple[Any, Any, Any, Any]], frequency: str, ratio: bool) -> Laid:
    """rows: (period_start, value, numerator, denominator) in period order."""
    if not rows:
        return Laid([], np.zeros(0), np.zeros(0) if ratio else None)
    index = [periods.index(_as_date(r[0]), frequency) for r in rows]
    first = index[0]
    n = index[-1] - first + 1
    values = np.full(n, np.nan)
    dens = np.full(n, np.nan) if ratio else None
    for i, (_, value, numerator, denominator) in zip(index, rows, strict=True):
        if ratio:
            values[i - first] = np.nan if numerator is None else numerator
            dens[i - first] = np.nan if denominator is None else denominator  # type: ignore[index]
        else:
            values[i - first] = np.nan if value is None else value
    starts = [periods.from_index(first + k, frequency) for k in range(n)]
    return Laid(starts, values, dens)


def _laid(measure: Any, rows: list[Any], today: dt.date) -> Laid:
    """A series' rows (period start, value, numerator, denominator; in period order) laid out for its
    chart, the period not yet ended left out and kept as `incomplete`."""
    rows, incomplete = split_incomplete(rows, measure.frequency, today)
    laid = lay_out(rows, measure.frequency, measure.chart in RATIO_CHARTS)
    laid.incomplete = incomplete
    return laid


def analyse_series(
    series: Series,
    *,
    observations: Sequence[Any] | None = None,
    annotations: Sequence[Annotation] | None = None,
    targets: list[tuple[dt.date | None, float]] | None = None,
    extra_rebase: Iterable[dt.date] = (),
    today: dt.date | None = None,
) -> tuple[spc.Analysis, Laid]:
    """The full analysis of one series (with its rebase points and target trajectory), for its page.

    A page charting several series passes what it has already read for all of them at once (the
    series' observations in period order, its annotations, its measure's targets), so that charting N
    series costs a few queries, not 3 N. `extra_rebase`: period starts to rebase at as well, in memory
    only (the "after" chart of a suggested recalculation; nothing is stored)."""
    measure = series.measure
    if observations is None:
        rows = list(
            series.observations.order_by("period_start").values_list(
                "period_start", "value", "numerator", "denominator"
            )
        )
    else:
        rows = [(o.period_start, o.value, o.numerator, o.denominator) for o in observations]
    laid = _laid(measure, rows, _today(today))
    if targets is None:
        targets = _targets_by_measure([measure.pk]).get(measure.pk, [])
    if annotations is None:
        rebase_days = set(
            series.annotations.filter(kind=AnnotationKind.REBASE).values_list("period_start", flat=True)
        )
    else:
        rebase_days = {a.period_start for a in annotations if a.kind == AnnotationKind.REBASE}
    rebase_days |= set(extra_rebase)
    rebase = [i for i, d in enumerate(laid.starts) if d in rebase_days]
    target: Any = None
    if _is_trajectory(targets):
        target = target_trajectory(targets, laid.starts)
    elif targets:
        target = targets[0][1]
    result = spc.analyse(
        laid.values,
        chart=measure.chart,
        improvement=measure.improvement,
        target=target,
        rebase=rebase or None,
        denominators=laid.denominators,
        dates=[periods.label(d, measure.frequency) for d in laid.starts],
    )
    return result, laid


def analyse_many_series(
    series: Sequence[Series],
    *,
    observations: Mapping[int, Sequence[Any]],
    annotations: Mapping[int, Sequence[Any]],
    targets: Mapping[int, list[tuple[dt.date | None, float]]],
    today: dt.date | None = None,
) -> dict[int, tuple[spc.Analysis, Laid] | spc.SPCError]:
    """`analyse_series` of many series at once, from what was read for all of them (each series'
    observations in period order and its annotations, by series id; the targets by measure id): by
    series id, the same (analysis, laid) as `analyse_series` gives, or the SPCError it raises.

    Series without a rebase point or a target trajectory are analysed together, one `spc.analyse_many`
    call per chart type (equal by its contract to `analyse` one by one; the period labels are added
    after); the others, and a batch that analyse_many refuses, through `analyse_series` one by one."""
    day = _today(today)
    out: dict[int, tuple[spc.Analysis, Laid] | spc.SPCError] = {}
    laid_of: dict[int, Laid] = {}
    groups: dict[str, list[Series]] = defaultdict(list)
    one_by_one: list[Series] = []
    for s in series:
        measure = s.measure
        notes = annotations.get(s.pk, ())
        measure_targets = targets.get(measure.pk, [])
        rows = [(o.period_start, o.value, o.numerator, o.denominator) for o in observations.get(s.pk, ())]
        laid = _laid(measure, rows, day)
        rebase_days = {a.period_start for a in notes if a.kind == AnnotationKind.REBASE}
        if not laid.starts or _is_trajectory(measure_targets) or rebase_days.intersection(laid.starts):
            one_by_one.append(s)
        else:
            laid_of[s.pk] = laid
            groups[measure.chart].append(s)
    labels: dict[tuple[dt.date, str], Any] = {}  # the same months recur across series: label each once
    for chart, members in groups.items():
        values = np.concatenate([laid_of[s.pk].values for s in members])
        ids = np.repeat(np.array([s.pk for s in members], dtype=np.int64),
                        [len(laid_of[s.pk].starts) for s in members])  # fmt: skip
        dens = None
        if chart in RATIO_CHARTS:
            dens = np.concatenate([laid_of[s.pk].denominators for s in members])
        target = [t[0][1] if (t := targets.get(s.measure.pk)) else np.nan for s in members]
        try:
            batch = spc.analyse_many(ids, values, denominators=dens, chart=chart,
                                     improvement=[s.measure.improvement for s in members], target=target)  # fmt: skip
        except spc.SPCError:
            one_by_one.extend(members)
            continue
        for s in members:
            laid = laid_of[s.pk]
            frequency = s.measure.frequency
            for d in laid.starts:
                if (d, frequency) not in labels:
                    labels[(d, frequency)] = periods.label(d, frequency)
            dates = tuple(labels[(d, frequency)] for d in laid.starts)
            out[s.pk] = (replace(batch.series(s.pk), dates=dates), laid)
    for s in one_by_one:
        try:
            out[s.pk] = analyse_series(
                s, observations=observations.get(s.pk, ()), annotations=annotations.get(s.pk, ()),
                targets=targets.get(s.measure.pk, []), today=day,
            )  # fmt: skip
        except spc.SPCError as exc:
            out[s.pk] = exc
    return out


def _summary(
    series_id: int, values: np.ndarray, starts: list[dt.date], variation: Any, assurance: Any, target: Any
) -> Analysis:
    valid = np.flatnonzero(~np.isnan(values))
    last = int(valid[-1]) if len(valid) else None
    spark = [None if math.isnan(v) else round(v, 6) for v in values[-SPARKLINE_POINTS:].tolist()]
    target_value = None
    if target is not None:
        t = target[last] if isinstance(target, list | np.ndarray) and last is not None else target
        target_value = None if t is None or (isinstance(t, float) and math.isnan(t)) else float(t)
        if isinstance(target, list | np.ndarray) and last is None:
            target_value = None
    return Analysis(
        series_id=series_id,
        variation_icon=variation or "",
        assurance_icon=assurance or "",
        latest_period=starts[last] if last is not None else None,
        latest_value=float(values[last]) if last is not None else None,
        target=target_value,
        points=len(valid),
        sparkline=spark,
        stale=False,
        computed_at=timezone.now(),
    )


def chart_warnings(chart: str, values: np.ndarray, denominators: np.ndarray | None) -> list[dict[str, Any]]:
    """spc.diagnose's warnings for one laid-out series (values are numerators on ratio charts), as
    stored on Analysis.warnings."""
    try:
        return [w.to_dict() for w in spc.diagnose(values, chart=chart, denominators=denominators)]
    except spc.SPCError:
        return []  # the analysis itself reports the input problem


def _batch_warnings(
    chart: str, ids: np.ndarray, values: np.ndarray, dens: np.ndarray | None, rows: list[Analysis]
) -> None:
    """Fill Analysis.warnings for a batch in one vectorised spc.diagnose_many call."""
    try:
        found = spc.diagnose_many(ids, values, chart=chart, denominators=dens)
    except spc.SPCError:
        return
    for row in rows:
        row.warnings = [w.to_dict() for w in found.get(row.series_id, ())]


def _analysed_row(series: Series, result: spc.Analysis, laid: Laid) -> Analysis:
    """The stored summary of one series' full analysis, with its chart warnings (store_one and the
    one-by-one path of recompute)."""
    row = _summary(
        series.pk, result.values, laid.starts, result.variation_icon, result.assurance_icon, result.target
    )
    row.warnings = chart_warnings(series.measure.chart, laid.values, laid.denominators)
    return row


def store_one(series: Series, today: dt.date | None = None) -> Analysis:
    """Recompute and store one series' analysis, including its full result."""
    try:
        result, laid = analyse_series(series, today=today)
    except spc.SPCError as exc:
        row = Analysis(series_id=series.pk, error=str(exc)[:300], computed_at=timezone.now())
        row.incomplete_period = _incomplete_of(series.pk, series.measure.frequency, _today(today))
    else:
        row = _analysed_row(series, result, laid)
        row.result = result.to_dict()
        row.incomplete_period = laid.incomplete
    _save([row], with_result=True)
    return row


_FIELDS = [
    "variation_icon",
    "assurance_icon",
    "latest_period",
    "latest_value",
    "incomplete_period",
    "target",
    "points",
    "sparkline",
    "error",
    "warnings",
    "stale",
    "computed_at",
]


def _save(rows: list[Analysis], *, with_result: bool = False) -> None:
    for row in rows:
        if not with_result:
            row.result = None  # the full result is filled in when a page or the API first asks for it
    Analysis.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["series"],
        update_fields=[*_FIELDS, "result"],
    )


def period_column() -> str:
    """`period_start` as raw SQL selects it. On SQLite as text: Django's converter would otherwise
    parse a million date strings one by one (a second of a bulk recomputation); we index dates once."""
    return "period_start || ''" if connection.vendor == "sqlite" else "period_start"


def _observations(series_ids: Sequence[int]) -> Iterable[tuple[Any, ...]]:
    """(series_id, period_start, value, numerator, denominator) ordered by series and period: raw SQL,
    because a bulk recomputation reads up to millions of rows."""
    from spiral.measurement.models import Observation

    table = connection.ops.quote_name(Observation._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(list(series_ids)):
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT series_id, {period_column()}, value, numerator, denominator FROM {table} "  # noqa: S608
                f"WHERE series_id IN ({marks}) ORDER BY series_id, period_start",
                list(chunk),
            )
            yield from cursor.fetchall()


@dataclass
class _Columns:
    """Observations of many series as columns, in series and period order (NaN where None)."""

    sids: np.ndarray  # (n,) int64
    index: np.ndarray  # (n,) int64: the period index (periods.index) of each row
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    blocks: dict[int, tuple[int, int]]  # series id -> (first row, number of rows)


def _incomplete_of(series_id: int, frequency: str, today: dt.date) -> dt.date | None:
    from spiral.measurement.models import Observation

    latest = Observation.objects.filter(series_id=series_id).order_by("-period_start").first()
    if latest is None or periods.has_ended(latest.period_start, frequency, today):
        return None
    return latest.period_start


def _load(
    ids: Sequence[int],
    info: dict[int, tuple[int, str, str, str]],
    today: dt.date,
    incomplete: dict[int, dt.date],
) -> _Columns:
    """Read the observations of these series into columns (vectorised, no Python object per row kept).
    Rows of periods not ended by `today` are left out; each series' latest such period goes in
    `incomplete`."""
    rows = list(_observations(ids))
    if rows:
        current = {f: periods.index(periods.start_of(today, f), f) for f in periods.FREQUENCIES}
        cut = {f: periods.from_index(current[f], f) for f in periods.FREQUENCIES}
        kept = []
        for row in rows:
            day = _as_date(row[1])
            if day >= cut[info[row[0]][3]]:
                incomplete[row[0]] = day  # rows are in period order: the last one wins
            else:
                kept.append(row)
        rows = kept
    n = len(rows)
    if not n:
        empty = np.zeros(0)
        return _Columns(np.zeros(0, np.int64), np.zeros(0, np.int64), empty, empty, empty, {})
    sid_col, day_col, value_col, numerator_col, denominator_col = zip(*rows, strict=True)
    del rows
    sids = np.array(sid_col, dtype=np.int64)
    # A million rows hold a few hundred distinct dates: index each date once per frequency.
    distinct: dict[Any, int] = {}
    position = np.fromiter((distinct.setdefault(d, len(distinct)) for d in day_col), dtype=np.int64, count=n)
    days = [_as_date(d) for d in distinct]
    table = np.array([[periods.index(d, f) for d in days] for f in periods.FREQUENCIES], dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sids[1:] != sids[:-1]]))
    counts = np.diff(np.append(starts, n))
    code = {f: i for i, f in enumerate(periods.FREQUENCIES)}
    frequency = np.repeat(np.array([code[info[s][3]] for s in sids[starts].tolist()], dtype=np.int64), counts)
    return _Columns(
        sids=sids,
        index=table[frequency, position],
        value=np.array(value_col, dtype=float),  # None becomes NaN
        numerator=np.array(numerator_col, dtype=float),
        denominator=np.array(denominator_col, dtype=float),
        blocks={s: (int(a), int(c)) for s, a, c in zip(sids[starts].tolist(), starts, counts, strict=True)},
    )


def recompute(series_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Recompute the analyses of these series in bulk (call inside the writing transaction)."""
    ids = sorted(set(series_ids))
    if not ids:
        return 0
    info: dict[int, tuple[int, str, str, str]] = {}
    for chunk in _chunks(ids):
        for sid, mid, chart, improvement, frequency in Series.objects.filter(pk__in=chunk).values_list(
            "id", "measure_id", "measure__chart", "measure__improvement", "measure__frequency"
        ):
            info[sid] = (mid, chart, improvement, frequency)
    targets = _targets_by_measure({v[0] for v in info.values()})
    rebased: set[int] = set()
    for chunk in _chunks(ids):
        rebased.update(
            Annotation.objects.filter(series_id__in=chunk, kind=AnnotationKind.REBASE).values_list(
                "series_id", flat=True
            )
        )
    day = _today(today)
    incomplete: dict[int, dt.date] = {}
    columns = _load([s for s in ids if s in info], info, day, incomplete)

    rows: list[Analysis] = []
    one_by_one: list[int] = []
    batches: dict[str, list[int]] = defaultdict(list)
    for sid in ids:
        if sid not in info:
            continue
        mid, chart = info[sid][0], info[sid][1]
        if sid in rebased or _is_trajectory(targets.get(mid, [])):
            one_by_one.append(sid)  # rebase or target trajectory: analyse_many takes neither
        elif sid not in columns.blocks:
            rows.append(Analysis(series_id=sid, points=0, stale=False, computed_at=timezone.now()))
        else:
            batches[chart].append(sid)

    for chart, sids in batches.items():
        rows.extend(_batch(chart, sids, columns, info, targets))
    if one_by_one:
        for series in Series.objects.select_related("measure").filter(pk__in=one_by_one):
            try:
                result, laid = analyse_series(series, today=day)
            except spc.SPCError as exc:
                rows.append(Analysis(series_id=series.pk, error=str(exc)[:300], computed_at=timezone.now()))
                continue
            rows.append(_analysed_row(series, result, laid))
    # In series order: two processes recomputing overlapping series lock their analyses in the same order
    # (PostgreSQL), so neither waits for the other in a cycle (a deadlock, the task failed).
    rows.sort(key=lambda row: row.series_id)
    for row in rows:
        row.incomplete_period = incomplete.get(row.series_id)
    _save(rows)
    return len(rows)


def _batch(
    chart: str,
    sids: list[int],
    columns: _Columns,
    info: dict[int, tuple[int, str, str, str]],
    targets: dict[int, list[tuple[dt.date | None, float]]],
) -> list[Analysis]:
    """One `analyse_many` call for these series (one chart type), each laid on its full calendar."""
    ratio = chart in RATIO_CHARTS
    starts = np.array([columns.blocks[s][0] for s in sids], dtype=np.int64)
    counts = np.array([columns.blocks[s][1] for s in sids], dtype=np.int64)
    firsts = columns.index[starts]
    lengths = columns.index[starts + counts - 1] - firsts + 1
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    # The rows of these series, and where each lands on the laid-out calendar.
    row_starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    rows = np.repeat(starts - row_starts, counts) + np.arange(int(counts.sum()), dtype=np.int64)
    positions = np.repeat(offsets - firsts, counts) + columns.index[rows]
    total = int(lengths.sum())
    ids = np.repeat(np.array(sids, dtype=np.int64), lengths)
    values = np.full(total, np.nan)
    values[positions] = (columns.numerator if ratio else columns.value)[rows]
    dens = None
    if ratio:
        dens = np.full(total, np.nan)
        dens[positions] = columns.denominator[rows]
    improvements = [info[s][2] for s in sids]
    target_values = [targets[info[s][0]][0][1] if targets.get(info[s][0]) else np.nan for s in sids]
    try:
        batch = spc.analyse_many(
            ids, values, denominators=dens, chart=chart, improvement=improvements, target=target_values
        )
    except spc.SPCError:
        logger.warning("analyse_many refused a batch; analysing one by one", extra={"chart": chart})
        for series in Series.objects.select_related("measure").filter(pk__in=sids):
            store_one(series)
        return []
    plotted = batch.values
    variation = batch.variation_icon
    assurance = batch.assurance_icon
    result = []
    now = timezone.now()
    for k, sid in enumerate(sids):
        a, n = int(offsets[k]), int(lengths[k])
        segment = plotted[a : a + n]
        valid = np.flatnonzero(~np.isnan(segment))
        last = int(valid[-1]) if len(valid) else None
        target = target_values[k]
        result.append(
            Analysis(
                series_id=sid,
                variation_icon=variation[k] or "",
                assurance_icon=assurance[k] or "",
                latest_period=periods.from_index(int(firsts[k]) + last, info[sid][3])
                if last is not None
                else None,
                latest_value=float(segment[last]) if last is not None else None,
                target=None if math.isnan(target) else float(target),
                points=len(valid),
                sparkline=[
                    None if math.isnan(v) else round(v, 6) for v in segment[-SPARKLINE_POINTS:].tolist()
                ],
                stale=False,
                computed_at=now,
            )
        )
    _batch_warnings(chart, ids, values, dens, result)
    return result


def recompute_ended(today: dt.date | None = None) -> int:
    """Recompute the analyses whose incomplete period has ended by `today` (the periodic sweep: the
    period's data now count towards the icons and headline, and a newer period may be incomplete)."""
    day = _today(today)
    due = [
        sid
        for sid, start, frequency in Analysis.objects.filter(incomplete_period__isnull=False).values_list(
            "series_id", "incomplete_period", "series__measure__frequency"
        )
        if start is not None and periods.has_ended(start, frequency, day)
    ]
    return recompute(due, today=day)


def full_result(series: Series) -> dict[str, Any]:
    """The series' Analysis.to_dict() with its `warnings` (spc.diagnose): the stored one when it is current, otherwise computed now in
    memory from the observations as they are (one series is quick; nothing is written by a read)."""
    row = Analysis.objects.filter(series=series).only("result", "stale", "warnings").first()
    if row is not None and not row.stale and row.result is not None:
        return {**row.result, "warnings": row.warnings}
    try:
        result, laid = analyse_series(series)
    except spc.SPCError as exc:
        return {"error": str(exc), "warnings": []}
    return result.to_dict() | {
        "warnings": chart_warnings(series.measure.chart, laid.values, laid.denominators)
    }


@dataclass(frozen=True)
class SuggestedRebase:
    """A recalculation Spiral offers (never makes): from `period`, because of the change `annotation`."""

    period: dt.date
    label: str  # the period as people write it ("Apr 2025")
    annotation: Annotation

    @property
    def reason(self) -> str:
        return self.annotation.text


def suggested_rebase(
    series: Series, result: spc.Analysis | None = None, laid: Laid | None = None
) -> SuggestedRebase | None:
    """The first annotated change (a "change tested") that a sustained shift follows, with enough
    points after it, where no rebase exists yet (spc.suggest_rebase); None when there is none or the
    series cannot be analysed. The first, because the change that began a shift is its reason (a
    second PDSA cycle a month later falls in the same window); once it is confirmed, a later change
    with a shift of its own is offered next. Pass the page's `analyse_series` result to spare
    recomputing it."""
    changes = list(series.annotations.filter(kind=AnnotationKind.CHANGE).order_by("period_start", "pk"))
    if not changes:
        return None
    if result is None or laid is None:
        try:
            result, laid = analyse_series(series)
        except spc.SPCError:
            return None
    position = {d: i for i, d in enumerate(laid.starts)}
    by_index: dict[int, Annotation] = {}
    for a in changes:
        if a.period_start in position:
            by_index.setdefault(position[a.period_start], a)  # the first note at a period
    found = spc.suggest_rebase(result, by_index)
    if not found:
        return None
    index = found[0]
    return SuggestedRebase(
        laid.starts[index], periods.label(laid.starts[index], series.measure.frequency), by_index[index]
    )
