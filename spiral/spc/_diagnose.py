"""Charts that warn: is the chart chosen for a series likely to mislead? (docs/reference/spc.md §11).

Pure numpy. `diagnose` checks one series, `diagnose_many` a long table of many (the layout of
`analyse_many`: points of one series contiguous and in time order). Each warning has a stable `code`,
a plain-English `message` and, where one is right, the chart to use instead (`suggested_chart`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._api import _series_blocks
from ._constants import CHARTS, D2, TRIAL_LIMITS_BELOW
from ._validate import SPCError

# Laney's test: the z-scores of a p or u chart should have variance 1; more than this says the
# between-subgroup variation swamps the binomial (Poisson) sampling error (docs/reference/spc.md §11).
OVERDISPERSION_RATIO = 2.0
# A run chart's rules (Schilling's long run, Chen's crossings) need at least this many points.
RUN_RULES_BELOW = 10
# An XmR chart whose points are mostly zero is a chart of rare counts.
MOSTLY_ZERO_SHARE = 0.5

OVERDISPERSION = "overdispersion"
MOSTLY_ZERO = "mostly_zero"
TOO_FEW_POINTS = "too_few_points"
CODES = (OVERDISPERSION, MOSTLY_ZERO, TOO_FEW_POINTS)

_LANEY = {"p": "pprime", "u": "uprime"}
_WORDS = {"p": ("a p chart", "percentage", "p′ chart"), "u": ("a u chart", "rate", "u′ chart")}


@dataclass(frozen=True)
class ChartWarning:
    """One reason the chart may mislead: `code` (stable), `message` (plain English), `suggested_chart`
    (one of CHARTS or None) and `value` (the figure tested: σz², the share of zeros, the points)."""

    code: str
    message: str
    suggested_chart: str | None
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "suggested_chart": self.suggested_chart,
            "value": self.value,
        }


def _overdispersed(chart: str, ratio: float) -> ChartWarning:
    name, what, laney = _WORDS[chart]
    return ChartWarning(
        OVERDISPERSION,
        f"The points vary far more than {name} expects; a {laney} (Laney) or an XmR chart of the "
        f"{what} is likely to be right.",
        _LANEY[chart],
        ratio,
    )


def _mostly_zero(share: float) -> ChartWarning:
    return ChartWarning(
        MOSTLY_ZERO,
        f"{share:.0%} of the points are zero: an XmR chart of mostly-zero values gives limits that mean "
        "little; a c chart (if these are counts of events) or a run chart is likely to be right.",
        "c",
        share,
    )


def _too_few(chart: str, n: int) -> ChartWarning:
    if chart == "run":
        message = (
            f"Only {n} point{'s' if n != 1 else ''}: a run chart's rules need at least "
            f"{RUN_RULES_BELOW} points, so nothing can be judged yet."
        )
    else:
        message = (
            f"Only {n} point{'s' if n != 1 else ''}: limits from fewer than {TRIAL_LIMITS_BELOW} points "
            "are trial limits and too uncertain to judge a signal by."
        )
    return ChartWarning(TOO_FEW_POINTS, message, None, float(n))


def _check_chart(chart: str) -> None:
    if chart not in CHARTS:
        raise SPCError(f"chart: {chart!r} is not one of: {', '.join(CHARTS)}")


def _arrays(values: Any, denominators: Any, chart: str) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SPCError(f"values: not numbers ({exc})") from None
    if x.ndim != 1:
        raise SPCError(f"values: expected a one-dimensional array, got shape {x.shape}")
    if chart not in ("p", "u"):
        return x, None
    if denominators is None:
        raise SPCError(f"denominators: a {chart} chart needs them (one per value)")
    try:
        d = np.asarray(denominators, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SPCError(f"denominators: not numbers ({exc})") from None
    if d.shape != x.shape:
        raise SPCError(f"denominators: {d.shape[0] if d.ndim else 0} given for {len(x)} values")
    return x, d


def diagnose_many(
    series: Any, values: Any, chart: str = "xmr", denominators: Any = None
) -> dict[Any, tuple[ChartWarning, ...]]:
    """Warnings for each series of a long table: {series id: warnings}. `values` are numerators for
    p and u charts (as in `analyse_many`); missing values (NaN) and points without a positive
    denominator are not counted."""
    _check_chart(chart)
    x, d = _arrays(values, denominators, chart)
    ids, _starts, lengths = _series_blocks(series, len(x))
    s = len(ids)
    block = np.repeat(np.arange(s), lengths)
    ok = np.isfinite(x)
    if d is not None:
        ok &= np.isfinite(d) & (d > 0)
    n = np.bincount(block[ok], minlength=s)
    out: dict[Any, list[ChartWarning]] = {i.item() if hasattr(i, "item") else i: [] for i in ids}
    keys = list(out)

    if chart in ("p", "u") and d is not None:
        num = np.where(ok, x, 0.0)
        den = np.where(ok, d, 0.0)
        centre = np.bincount(block, num, s) / np.where(n > 0, np.bincount(block, den, s), 1.0)
        c = centre[block]
        spread = c * (1 - c) if chart == "p" else c
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (num / np.where(ok, den, 1.0) - c) / np.sqrt(spread / np.where(ok, den, 1.0))
        usable = ok & np.isfinite(z) & (spread > 0)
        # Moving ranges between consecutive usable points of the same series.
        idx = np.flatnonzero(usable)
        pair = block[idx[1:]] == block[idx[:-1]]
        mr = np.abs(np.diff(z[idx]))[pair]
        mr_block = block[idx[1:]][pair]
        count = np.bincount(mr_block, minlength=s)
        amr = np.bincount(mr_block, mr, s) / np.maximum(count, 1)
        ratio = (amr / D2) ** 2
        for k in np.flatnonzero((n >= TRIAL_LIMITS_BELOW) & (count > 0) & (ratio > OVERDISPERSION_RATIO)):
            out[keys[k]].append(_overdispersed(chart, float(ratio[k])))

    if chart == "xmr":
        zeros = np.bincount(block[ok & (x == 0)], minlength=s)
        share = zeros / np.maximum(n, 1)
        for k in np.flatnonzero((n > 0) & (share > MOSTLY_ZERO_SHARE)):
            out[keys[k]].append(_mostly_zero(float(share[k])))

    below = RUN_RULES_BELOW if chart == "run" else TRIAL_LIMITS_BELOW
    for k in np.flatnonzero(n < below):
        out[keys[k]].append(_too_few(chart, int(n[k])))
    return {key: tuple(w) for key, w in out.items()}


def diagnose(values: Any, chart: str = "xmr", denominators: Any = None) -> tuple[ChartWarning, ...]:
    """Warnings for one series: overdispersion on a p or u chart (Laney's σz² > 2 over at least 13
    points), mostly-zero values on an XmR chart (more than half), and too few points (fewer than 13
    for limits, fewer than 10 for a run chart's rules). Empty when the chart looks right.

    >>> [w.code for w in diagnose([0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0], chart="xmr")]
    ['mostly_zero']
    """
    _check_chart(chart)
    x, _ = _arrays(values, denominators, chart)
    return diagnose_many(np.zeros(len(x), dtype=np.int64), x, chart, denominators).get(0, ())
