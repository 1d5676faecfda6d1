"""`analyse` and `analyse_many`: check the input once, then hand whole arrays to the engine."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _engine
from ._analysis import Analysis, BatchAnalysis, RunsAnalysis, _notes
from ._constants import (
    ASSURANCE_ICONS,
    BASELINE_WARN_BELOW,
    DENOMINATOR_CHARTS,
    IMPROVEMENT_SIGN,
    IMPROVEMENTS,
    PROPORTION_CHARTS,
    VARIATION_ICONS,
)
from ._validate import SPCError, SPCWarning, check_baseline, check_chart, check_improvement, coerce_numbers


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _screen_default(chart: str, screen_outliers: bool | None) -> bool:
    """Moving-range screening: on by default for XmR (NHSRplotthedots) and for Laney's p' and u'
    (qicharts2 as people run it, attached with library(), screens the z-scores' moving ranges)."""
    if screen_outliers is None:
        return chart in ("xmr", "pprime", "uprime")
    if not isinstance(screen_outliers, bool | np.bool_):
        raise SPCError(f"screen_outliers: {screen_outliers!r} is not True, False or None")
    return bool(screen_outliers)


def _plotted(
    chart: str, x: np.ndarray, denominators: Any, where: str = ""
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Plotted values (n,), and numerators and denominators (n,) for p and u charts."""
    n = len(x)
    if chart in DENOMINATOR_CHARTS:
        if denominators is None:
            raise SPCError(
                f"denominators: a {chart} chart needs denominators (the subgroup sizes); "
                "values are then the numerators"
            )
        den = coerce_numbers(denominators, "denominators")
        if len(den) != n:
            raise SPCError(
                f"denominators: {len(den)} given for {n} values; give one per value (None if missing)"
            )
        with np.errstate(invalid="ignore"):
            i = _first(den <= 0)
            if i is not None:
                raise SPCError(
                    f"denominators[{i}]: {_fmt(den[i])} is not a positive number; a period with no "
                    "subgroup has no rate: pass it as missing (None)"
                )
            i = _first(x < 0)
            if i is not None:
                raise SPCError(f"values[{i}]: {_fmt(x[i])} is negative; numerators count events")
            if chart in PROPORTION_CHARTS:
                i = _first(x > den)
                if i is not None:
                    raise SPCError(
                        f"values[{i}]: numerator {_fmt(x[i])} is larger than its denominator {_fmt(den[i])}; "
                        "a proportion cannot exceed 1"
                    )
            y = x / den  # NaN where either is missing: the point is missing
        return y, x, den
    if chart == "c":
        # Denominators are ignored for c charts (docs/reference/spc.md §2).
        i = _first(x < 0)
        if i is not None:
            raise SPCError(f"values[{i}]: {_fmt(x[i])} is negative; a c chart plots counts")
        return x, None, None
    if denominators is not None:
        raise SPCError(
            f"denominators: a {chart} chart takes no denominators; pass the ratio as values, or use a "
            "p or u chart"
        )
    return x, None, None


def _target(target: Any, n: int, chart: str) -> np.ndarray | None:
    if target is None:
        return None
    if isinstance(target, numbers.Real) and not isinstance(target, bool | np.bool_):
        value = float(target)
        if not np.isfinite(value):
            raise SPCError(f"target: {target!r} is not a finite number")
        result = np.full(n, value)
    else:
        if isinstance(target, str):
            raise SPCError(f"target: {target!r} is not a number")
        result = coerce_numbers(target, "target")
        if len(result) != n:
            raise SPCError(
                f"target: a trajectory of {len(result)} values given for {n} values; give one per value"
            )
    _check_proportion_target(result, chart)
    return result


def _check_proportion_target(target: np.ndarray, chart: str, name: str = "target") -> None:
    if chart in PROPORTION_CHARTS:
        with np.errstate(invalid="ignore"):
            i = _first((target > 1) | (target < 0))
        if i is not None:
            suggestion = (
                f"; use {_fmt(target[i] / 100)} for {_fmt(target[i])}%" if 1 < target[i] <= 100 else ""
            )
            raise SPCError(
                f"{name}: {_fmt(target[i])} is not a proportion; targets on {chart} charts are between 0 "
                f"and 1{suggestion}"
            )


def _rebase(rebase: Any, n: int, dates: tuple[Any, ...] | None) -> tuple[int, ...]:
    """Sorted distinct period starts other than 0. Indexes, or labels matched against `dates`."""
    if rebase is None:
        return ()
    if isinstance(rebase, str | numbers.Integral) or not isinstance(rebase, Sequence | np.ndarray):
        rebase = [rebase]
    starts = set()
    for i, item in enumerate(rebase):
        if isinstance(item, numbers.Integral) and not isinstance(item, bool | np.bool_):
            index = int(item)
        elif dates is not None and item in dates:
            index = dates.index(item)
        else:
            hint = " or one of the dates" if dates is not None else ""
            raise SPCError(f"rebase[{i}]: {item!r} is not a point index{hint}")
        if not 0 <= index < n:
            raise SPCError(f"rebase[{i}]: index {index} is out of range for {n} values (0 to {n - 1})")
        starts.add(index)
    starts.discard(0)  # a rebase at the first point changes nothing
    return tuple(sorted(starts))


def _icon_names(variation: np.ndarray, assurance: np.ndarray) -> tuple[str | None, str | None]:
    v, a = int(variation[0]), int(assurance[0])
    return (VARIATION_ICONS[v] if v >= 0 else None, ASSURANCE_ICONS[a] if a >= 0 else None)


def analyse(
    values: Sequence[float | None] | np.ndarray,
    *,
    chart: str = "xmr",
    improvement: str = "increase",
    target: float | Sequence[float | None] | np.ndarray | None = None,
    baseline: int | None = None,
    rebase: Sequence[int] | np.ndarray | None = None,
    denominators: Sequence[float | None] | np.ndarray | None = None,
    dates: Sequence[Any] | None = None,
    screen_outliers: bool | None = None,
) -> Analysis:
    """Analyse one series on an SPC chart (definitions: docs/reference/spc.md).

    values: (n,) numbers in time order, None/NaN for a missing period (never zero);
        numerators when `denominators` (n,) are given (p, p', u, u').
    chart: "run", "xmr", "p", "pprime", "u", "uprime" or "c".
    improvement: "increase", "decrease" or "neutral".
    target: a number, a trajectory (n,), or None.
    baseline: fix centre and limits on the first `baseline` points of each period (>= 2).
    rebase: 0-based indexes (or labels from `dates`) where a new period starts.
    dates: (n,) labels carried into the result and the chart.
    screen_outliers: moving-range screening; default on for XmR and Laney's p' and u'
        (False turns it off).

    >>> a = analyse([20, 24, 21, 23, 22, 26, 21, 23, 30, 22], target=35)
    >>> [round(float(x[0]), 2) for x in (a.centre, a.lcl, a.ucl)], a.assurance_icon
    ([23.2, 12.56, 33.84], 'fail')

    Raises SPCError (a ValueError) naming the argument and position of bad input.
    """
    chart = check_chart(chart)
    improvement = check_improvement(improvement)
    x = coerce_numbers(values, "values")
    n = len(x)
    y, num, den = _plotted(chart, x, denominators)
    date_labels = None
    if dates is not None:
        if isinstance(dates, str):
            raise SPCError("dates: expected a sequence of labels, got a string")
        date_labels = tuple(dates)
        if len(date_labels) != n:
            raise SPCError(f"dates: {len(date_labels)} labels given for {n} values; give one per value")
    target_values = _target(target, n, chart)
    baseline_n = check_baseline(baseline)
    period_starts = (0, *_rebase(rebase, n, date_labels))
    screen = _screen_default(chart, screen_outliers)
    imp = IMPROVEMENT_SIGN[improvement]

    if n == 0:
        empty = np.zeros(0)
        return Analysis(
            chart, improvement, y, *(empty.copy() for _ in range(7)),  # type: ignore[misc, arg-type]  # seven arrays
            flag_bits=np.zeros(0, np.uint8), direction=np.zeros(0, np.int8),
            point_type_codes=np.zeros(0, np.uint8), variation_icon=None, assurance_icon=None,
            target=target_values, numerators=num, denominators=den, dates=date_labels, baseline=baseline_n,
            runs=RunsAnalysis.from_counts(0, 0, 0) if chart == "run" else None,
        )  # fmt: skip

    starts = np.array(period_starts, dtype=np.int64)
    lengths = np.diff(np.append(starts, n))
    out = _engine.compute(
        chart, y, num, den, starts, lengths, np.full(len(starts), baseline_n or 0, dtype=np.int64), screen
    )
    codes = _engine.point_types(out["direction"], np.full(n, imp, dtype=np.int8))
    last = _engine.last_valid(~np.isnan(y), np.zeros(1, dtype=np.int64))
    runs = None
    if chart == "run":
        variation_icon = assurance_icon = None
        # Series-level signals describe the period of the latest point (the last period if none).
        period = int(np.searchsorted(starts, last[0], side="right") - 1) if last[0] >= 0 else len(starts) - 1
        runs = RunsAnalysis.from_counts(
            int(out["n_useful"][period]), int(out["longest_run"][period]), int(out["crossings"][period])
        )
    else:
        target_last = np.array([np.nan if target_values is None or last[0] < 0 else target_values[last[0]]])
        variation, assurance = _engine.icons(
            last, out["direction"], out["lcl"], out["ucl"], np.array([imp], dtype=np.int8), target_last
        )
        variation_icon, assurance_icon = _icon_names(variation, assurance)
    return Analysis(
        chart=chart,
        improvement=improvement,
        values=y,
        centre=out["centre"],
        lcl=out["lcl"],
        ucl=out["ucl"],
        lower_two_sigma=out["lower_two_sigma"],
        upper_two_sigma=out["upper_two_sigma"],
        lower_one_sigma=out["lower_one_sigma"],
        upper_one_sigma=out["upper_one_sigma"],
        flag_bits=out["flags"],
        direction=out["direction"],
        point_type_codes=codes,
        variation_icon=variation_icon,
        assurance_icon=assurance_icon,
        target=target_values,
        numerators=num,
        denominators=den,
        dates=date_labels,
        baseline=baseline_n,
        period_starts=period_starts,
        runs=runs,
        notes=_notes(chart, n, baseline_n, period_starts),
    )


# --------------------------------------------------------------------------------------------------
# Many series


def _series_blocks(series: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series ids (S,), starts (S,) and lengths (S,) of the contiguous blocks of `series` (n,)."""
    ids = np.asarray(series)
    if ids.ndim != 1:
        raise SPCError(f"series: expected a one-dimensional array of ids, got shape {ids.shape}")
    if len(ids) != n:
        raise SPCError(f"series: {len(ids)} ids given for {n} values; give one id per value")
    if ids.dtype.kind not in "iuUSO":
        raise SPCError(f"series: ids must be integers (got dtype {ids.dtype})")
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ids[:0], empty, empty
    starts = np.concatenate([[0], np.flatnonzero(ids[1:] != ids[:-1]) + 1]).astype(np.int64)
    first_ids = ids[starts]
    distinct, counts = np.unique(first_ids, return_counts=True)
    if len(distinct) != len(first_ids):
        dup = distinct[counts > 1][0].item()
        where = starts[first_ids == dup][:2].tolist()
        raise SPCError(
            f"series: id {dup!r} appears in separate blocks (points {where[0]} and {where[1]}); "
            "points of one series must be contiguous and in time order"
        )
    lengths = np.diff(np.append(starts, n))
    return first_ids, starts, lengths


def _per_series_numbers(option: Any, s: int, name: str) -> np.ndarray:
    if option is None:
        return np.full(s, np.nan)
    if isinstance(option, numbers.Real) and not isinstance(option, bool | np.bool_):
        if not np.isfinite(float(option)):
            raise SPCError(f"{name}: {option!r} is not a finite number")
        return np.full(s, float(option))
    result = coerce_numbers(option, name)
    if len(result) != s:
        raise SPCError(f"{name}: {len(result)} entries given for {s} series; give one per series")
    return result


def _per_series_improvement(option: Any, s: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(option, str):
        check_improvement(option)
        names = np.full(s, option, dtype=object)
    else:
        names = np.asarray(option, dtype=object)
        if names.ndim != 1 or len(names) != s:
            raise SPCError(f"improvement: {names.size} entries given for {s} series; give one per series")
        bad = _first(~np.isin(names, np.array(IMPROVEMENTS, dtype=object)))
        if bad is not None:
            check_improvement(names[bad], f"improvement[{bad}]")
    sign = np.zeros(s, dtype=np.int8)
    sign[names == "increase"] = 1
    sign[names == "decrease"] = -1
    return names, sign


def _per_series_baseline(option: Any, s: int) -> np.ndarray:
    if option is None:
        return np.zeros(s, dtype=np.int64)
    if isinstance(option, numbers.Real) and not isinstance(option, np.ndarray):
        return np.full(s, check_baseline(option, warn=False), dtype=np.int64)
    raw = coerce_numbers(option, "baseline")
    if len(raw) != s:
        raise SPCError(f"baseline: {len(raw)} entries given for {s} series; give one per series")
    raw = np.where(np.isnan(raw), 0, raw)  # None/NaN/0: no baseline for that series
    bad = _first((raw != np.round(raw)) | (raw < 0) | (raw == 1))
    if bad is not None:
        check_baseline(float(raw[bad]), f"baseline[{bad}]", warn=False)
    return raw.astype(np.int64)


def analyse_many(
    series: Sequence[Any] | np.ndarray,
    values: Sequence[float | None] | np.ndarray,
    *,
    denominators: Sequence[float | None] | np.ndarray | None = None,
    chart: str = "xmr",
    improvement: str | Sequence[str] | np.ndarray = "increase",
    target: float | Sequence[float | None] | np.ndarray | None = None,
    baseline: int | Sequence[int | None] | np.ndarray | None = None,
    screen_outliers: bool | None = None,
) -> BatchAnalysis:
    """Analyse many series at once, vectorised (no Python loop over points or series).

    series: (n,) an integer id per point; the points of one series contiguous and in time order.
    values, denominators: (n,) floats aligned with `series` (NaN/None missing).
    improvement, target, baseline: a scalar for every series, or (S,) one per series in order of
        first appearance (target NaN/None: none; baseline 0/None: none).
    No rebase and no target trajectory here: analyse such series one by one with `analyse`.

    The result for each series equals `analyse` on that series alone (`.series(id)`).

    >>> b = analyse_many([1, 1, 1, 2, 2, 2], [1.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    >>> b.centre.tolist(), b.variation_icon.tolist()
    ([2.0, 2.0, 2.0, 5.0, 5.0, 5.0], ['common_cause', 'common_cause'])
    """
    chart = check_chart(chart)
    x = coerce_numbers(values, "values")
    n = len(x)
    ids, starts, lengths = _series_blocks(series, n)
    s = len(ids)
    y, num, den = _plotted(chart, x, denominators)
    improvement_names, imp = _per_series_improvement(improvement, s)
    target_values = _per_series_numbers(target, s, "target")
    _check_proportion_target(target_values, chart)
    baseline_n = _per_series_baseline(baseline, s)
    short = _first((baseline_n > 0) & (baseline_n < BASELINE_WARN_BELOW))
    if short is not None:
        warnings.warn(
            f"baseline of {baseline_n[short]} points (series {ids[short].item()!r}): limits fixed on "
            f"fewer than {BASELINE_WARN_BELOW} points are unreliable",
            SPCWarning,
            stacklevel=2,
        )
    screen = _screen_default(chart, screen_outliers)

    out = _engine.compute(chart, y, num, den, starts, lengths, baseline_n, screen)
    codes = _engine.point_types(out["direction"], np.repeat(imp, lengths))
    last = _engine.last_valid(~np.isnan(y), starts)
    runs = None
    if chart == "run":
        variation = np.full(s, -1, dtype=np.int8)
        assurance = np.full(s, -1, dtype=np.int8)
        runs = {key: out[key] for key in _engine.RUN_KEYS}
    else:
        variation, assurance = _engine.icons(
            last, out["direction"], out["lcl"], out["ucl"], imp, target_values
        )
    return BatchAnalysis(
        chart=chart,
        series_ids=ids,
        starts=starts,
        lengths=lengths,
        values=y,
        centre=out["centre"],
        lcl=out["lcl"],
        ucl=out["ucl"],
        lower_two_sigma=out["lower_two_sigma"],
        upper_two_sigma=out["upper_two_sigma"],
        lower_one_sigma=out["lower_one_sigma"],
        upper_one_sigma=out["upper_one_sigma"],
        flag_bits=out["flags"],
        direction=out["direction"],
        point_type_codes=codes,
        improvement=improvement_names,
        target=target_values,
        baseline=baseline_n,
        variation_codes=variation,
        assurance_codes=assurance,
        numerators=num,
        denominators=den,
        runs=runs,
    )
