"""Whole-array SPC kernels on a time-major block of shape (T, S): T periods by S columns.

A column is one *segment*: a whole series (`analyse_many`) or one rebase period of a series
(`analyse`). Shorter columns are padded at the end with NaN; every kernel here treats a trailing
NaN exactly like a missing value, which changes nothing (a missing value is skipped by the means,
breaks moving ranges and rule windows, and is never the latest point), so a column's results do not
depend on the block it was computed in. That is what makes `analyse_many` equal `analyse` by
construction.

Time-major (rows are periods) because numpy reduces axis 0 of a C-ordered array row by row, so a
column sum is accumulated in time order, as R's `sum()`/`mean()` do (see `r_mean`).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._constants import (
    D2,
    LIMIT,
    LIMIT_ONE_SIGMA,
    LIMIT_TWO_SIGMA,
    MR_SCREEN,
    OUTSIDE_LIMITS,
    SHIFT,
    SHIFT_LENGTH,
    TREND,
    TREND_LENGTH,
    TWO_OF_THREE,
    TWO_OF_THREE_WINDOW,
)

_LD = np.longdouble


# --------------------------------------------------------------------------------------------------
# Means and sums as R computes them


def r_sum(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column sums of `x` (T, S) over `mask` (T, S), accumulated in long double in time order.

    R's `sum()` of doubles accumulates in `LDOUBLE` and rounds once; doing the same keeps
    `sum(num) / sum(den)` (p and u centres) identical to qicharts2's. Returns (S,) float64.
    """
    return np.where(mask, x, 0.0).astype(_LD).sum(axis=0).astype(np.float64)


def r_mean(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column means of `x` (T, S) over `mask` (T, S), exactly as R's `mean()`; NaN where empty.

    R (summary.c, `real_mean`) sums in long double, divides, then adds the mean of the residuals
    (a second pass) before rounding to double. The result is the correctly rounded mean in practice,
    so a value equal to the mean compares equal, as in NHSRplotthedots: mean(1, 2, 3) is exactly 2
    and ten copies of 0.1 have mean exactly 0.1 (numpy's `mean` gives 0.09999999999999999, which would
    put every point "above the mean" and fire a shift). Returns (S,) float64.
    """
    n = mask.sum(axis=0)
    xl = np.where(mask, x, 0.0).astype(_LD)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = xl.sum(axis=0) / n
        xl -= s
        xl[~mask] = 0.0
        s += xl.sum(axis=0) / n
    return s.astype(np.float64)


def r_median(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column medians of `x` (T, S) over `mask`; the mean of the two middle values for even n."""
    n = mask.sum(axis=0)
    ordered = np.sort(np.where(mask, x, np.nan), axis=0)  # NaN sorts last
    lo = np.clip((n - 1) // 2, 0, None)[None, :]
    hi = np.clip(n // 2, 0, None)[None, :]
    if ordered.shape[0] == 0:
        return np.full(x.shape[1], np.nan)
    a = np.take_along_axis(ordered, lo, axis=0)[0].astype(_LD)
    b = np.take_along_axis(ordered, hi, axis=0)[0].astype(_LD)
    median = ((a + b) / 2).astype(np.float64)
    median[n == 0] = np.nan
    return median


# --------------------------------------------------------------------------------------------------
# Sliding windows over axis 0


def window_all(x: np.ndarray, k: int) -> np.ndarray:
    """(T, S) bool -> (T-k+1, S) bool: True at j where x[j], ..., x[j+k-1] are all True.

    Doubling: log2(k) + 1 shifted ANDs instead of k.
    """
    t = x.shape[0]
    if t < k:
        return np.zeros((0, *x.shape[1:]), dtype=bool)
    acc, span = x, 1
    while span * 2 <= k:
        acc = acc[:-span] & acc[span:]
        span *= 2
    if span < k:
        rest = k - span
        acc = acc[:-rest] & acc[rest:]
    return acc


def spread(starts: np.ndarray, k: int, t: int) -> np.ndarray:
    """Window starts (T-k+1, S) -> (T, S) bool: True at every point covered by a True window.

    A window starting at j covers points j..j+k-1 ("every point of the window is flagged").
    """
    shape = (t, *starts.shape[1:])
    if starts.shape[0] == 0:
        return np.zeros(shape, dtype=bool)
    padded = np.zeros((t + k - 1, *starts.shape[1:]), dtype=bool)
    padded[k - 1 : k - 1 + starts.shape[0]] = starts
    acc, span = padded, 1
    while span * 2 <= k:
        acc = acc[:-span] | acc[span:]
        span *= 2
    if span < k:
        rest = k - span
        acc = acc[:-rest] | acc[rest:]
    return acc


# --------------------------------------------------------------------------------------------------
# Centre and limits


def xmr_lines(y: np.ndarray, base: np.ndarray, screen: bool) -> dict[str, np.ndarray]:
    """XmR centre and lines per column (docs/reference/spc.md §1). `y`, `base` (T, S); returns (S,) arrays.

    `base` marks the baseline rows of each column (all rows without a baseline); missing rows may
    be inside it. Moving ranges are taken between consecutive baseline rows only and are NaN
    (dropped) when either neighbour is missing: a gap is not bridged.
    """
    fixed = np.where(base, y, np.nan)
    centre = r_mean(fixed, ~np.isnan(fixed))
    mr = np.abs(fixed[1:] - fixed[:-1])
    mr_ok = ~np.isnan(mr)
    amr = r_mean(mr, mr_ok)
    if screen:
        # Nelson's screening, one pass, strict `<` as NHSRplotthedots: MR >= 3.267 AMR is dropped.
        with np.errstate(invalid="ignore"):
            keep = mr_ok & (mr < MR_SCREEN * amr)
        screened = r_mean(mr, keep)
        # All-equal values: every MR is 0 and `0 < 0` keeps none; Spiral keeps AMR = 0 so the
        # limits equal the centre (docs/reference/spc.md §9.11) where the peer reports no limits.
        amr = np.where(keep.any(axis=0), screened, np.where(amr == 0, 0.0, np.nan))
    return {
        "centre": centre,
        "lcl": centre - LIMIT * amr,
        "ucl": centre + LIMIT * amr,
        "lower_two_sigma": centre - LIMIT_TWO_SIGMA * amr,
        "upper_two_sigma": centre + LIMIT_TWO_SIGMA * amr,
        "lower_one_sigma": centre - LIMIT_ONE_SIGMA * amr,
        "upper_one_sigma": centre + LIMIT_ONE_SIGMA * amr,
    }


def attribute_lines(
    chart: str, y: np.ndarray, num: np.ndarray, den: np.ndarray | None, base: np.ndarray, screen: bool
) -> dict[str, np.ndarray]:
    """p, p', u, u', c centre (S,) and lines (T, S) as qicharts2 computes them (docs/reference/spc.md §2).

    `y` is the plotted value (num / den, or the count for c), NaN where missing; `den` (T, S) may
    be NaN where the denominator is unknown (no limits there).
    """
    ok = base & ~np.isnan(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        if chart == "c":
            centre = r_mean(y, ok)
            sigma = np.broadcast_to(np.sqrt(centre), y.shape)
        else:
            assert den is not None
            centre = r_sum(num, ok) / r_sum(den, ok)
            if chart in ("p", "pprime"):
                sigma = np.sqrt(centre * (1 - centre) / den)
            else:
                sigma = np.sqrt(centre / den)
            if chart in ("pprime", "uprime"):
                # Laney: sigma_z from the moving ranges of the z-scores over the baseline rows.
                z = np.where(ok, (y - centre) / sigma, np.nan)
                mr = np.abs(z[1:] - z[:-1])
                mr_ok = ~np.isnan(mr)
                amr = r_mean(mr, mr_ok)
                if screen:
                    keep = mr_ok & (mr < MR_SCREEN * amr)
                    amr = r_mean(mr, keep)
                sigma = sigma * (amr / D2)
        lines = {
            "lcl": centre - 3 * sigma,
            "ucl": centre + 3 * sigma,
            "lower_two_sigma": centre - 2 * sigma,
            "upper_two_sigma": centre + 2 * sigma,
            "lower_one_sigma": centre - sigma,
            "upper_one_sigma": centre + sigma,
        }
    for key in ("lcl", "lower_two_sigma", "lower_one_sigma"):
        line = lines[key]
        line[line < 0] = 0.0  # qicharts2 clamps lower lines of p, u and c charts at 0
    if chart in ("p", "pprime"):
        for key in ("ucl", "upper_two_sigma", "upper_one_sigma"):
            line = lines[key]
            line[line > 1] = 1.0  # a proportion cannot exceed 1
    lines["centre"] = centre
    return lines


# --------------------------------------------------------------------------------------------------
# The four MDC rules and the winning direction per point


def mdc_rules(
    y: np.ndarray,
    centre: np.ndarray,
    lcl: np.ndarray,
    ucl: np.ndarray,
    lower_two: np.ndarray,
    upper_two: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply docs/reference/spc.md §3 and §4 to every column of `y` (T, S).

    Lines broadcast against `y`: (S,) for XmR and c, (T, S) when limits vary by point.
    Returns `flags` (T, S) uint8 (rule bits) and `direction` (T, S) int8: +1 / -1 from the winning
    rule (outside_limits > trend > two_of_three > shift), 0 for an unflagged point.
    """
    t = y.shape[0]
    with np.errstate(invalid="ignore"):
        above = y > centre  # NaN compares False: a missing value is on neither side
        below = y < centre  # and a point exactly on the mean is on neither side (breaks a shift)
        outside = (y > ucl) | (y < lcl)
        close = ~outside & ((y < lower_two) | (y > upper_two))
        step = y[1:] - y[:-1]
    rises = step > 0  # ties and gaps break a trend
    falls = step < 0

    shift = spread(window_all(above, SHIFT_LENGTH), SHIFT_LENGTH, t)
    shift |= spread(window_all(below, SHIFT_LENGTH), SHIFT_LENGTH, t)

    # A trend of 7 points is 6 consecutive steps; the window of steps starting at j covers points
    # j..j+6.
    trend_up = spread(window_all(rises, TREND_LENGTH - 1), TREND_LENGTH, t)
    trend_down = spread(window_all(falls, TREND_LENGTH - 1), TREND_LENGTH, t)
    in_trend = trend_up | trend_down

    w = TWO_OF_THREE_WINDOW
    if t >= w:
        count = close[:-2].astype(np.int8) + close[1:-1] + close[2:]
        same_side = window_all(above, w) | window_all(below, w)
        two_of_three = close & spread((count >= 2) & same_side, w, t)
    else:
        two_of_three = np.zeros_like(close)

    # Trend direction at each point, as NHSRplotthedots (ptd_special_cause_type): the step to the
    # next point when the next point is also in a trend (the junction of two trends takes the later
    # one), else the step from the previous point; "increasing" only for a strict rise, so a tie
    # at a junction counts as decreasing, as in the peer.
    sign_step = rises.astype(np.int8) - falls
    step_next = np.zeros(y.shape, dtype=np.int8)
    step_next[:-1] = sign_step
    step_prev = np.zeros(y.shape, dtype=np.int8)
    step_prev[1:] = sign_step
    next_in_trend = np.zeros(y.shape, dtype=bool)
    next_in_trend[:-1] = in_trend[1:]
    trend_step = np.where(in_trend & next_in_trend, step_next, step_prev)
    trend_dir = np.where(trend_step == 1, 1, -1).astype(np.int8)

    # outside_limits, two_of_three and shift: up if above the mean, down otherwise.
    side_dir = np.where(above, 1, -1).astype(np.int8)
    direction = np.where(
        outside, side_dir, np.where(in_trend, trend_dir, np.where(two_of_three | shift, side_dir, 0))
    ).astype(np.int8)

    flags = outside.astype(np.uint8) * np.uint8(OUTSIDE_LIMITS)
    flags |= shift.astype(np.uint8) * np.uint8(SHIFT)
    flags |= in_trend.astype(np.uint8) * np.uint8(TREND)
    flags |= two_of_three.astype(np.uint8) * np.uint8(TWO_OF_THREE)
    return flags, direction


# --------------------------------------------------------------------------------------------------
# Anhøj runs analysis (run charts)


@lru_cache(maxsize=4096)
def crossings_min(n_useful: int) -> int:
    """qbinom(0.05, n_useful - 1, 0.5): the smallest k with P(X <= k) >= 0.05, X ~ Bin(n-1, 1/2).

    Exact integer arithmetic (20 * sum C(m, j) >= 2**m); 0.05 is never a dyadic rational, so there
    are no ties for R's fuzz to decide. Very long series fall back to log-space sums.
    """
    m = max(n_useful - 1, 0)
    if m <= 20000:
        total, term, k = 0, 1, 0
        target = 1 << m
        while True:
            total += term
            if 20 * total >= target:
                return k
            term = term * (m - k) // (k + 1)
            k += 1
    log_half = m * math.log(0.5)
    cum = 0.0
    for k in range(m + 1):
        cum += math.exp(math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) + log_half)
        if cum >= 0.05:
            return k
    return m  # pragma: no cover


def longest_run_max(n_useful: int) -> int:
    """round(log2(n_useful)) + 3 (Schilling); log2 of an integer is never exactly x.5."""
    return round(math.log2(n_useful)) + 3


def runs_analysis(y: np.ndarray, centre: np.ndarray) -> dict[str, np.ndarray]:
    """Anhøj runs analysis per column of `y` (T, S) against `centre` (S,) (docs/reference/spc.md §7).

    Points on the centre line and missing points are dropped (not useful). Returns (S,) arrays:
    n_useful, longest_run, crossings (-1 where n_useful == 0).
    """
    t, s = y.shape
    with np.errstate(invalid="ignore"):
        side = (y > centre).astype(np.int8) - (y < centre)
    useful = side != 0
    n_useful = useful.sum(axis=0)
    rows = np.arange(t)[:, None]
    last_useful = np.maximum.accumulate(np.where(useful, rows, -1), axis=0)
    prev_useful = np.vstack([np.full((1, s), -1), last_useful[:-1]])
    prev_side = np.take_along_axis(side, np.clip(prev_useful, 0, None), axis=0)
    prev_side[prev_useful < 0] = 0
    run_start = useful & (side != prev_side)
    n_runs = run_start.sum(axis=0)
    position = np.cumsum(useful, axis=0)
    start_position = np.maximum.accumulate(np.where(run_start, position, 0), axis=0)
    run_length = np.where(useful, position - start_position + 1, 0)
    longest = run_length.max(axis=0) if t else np.zeros(s, dtype=np.int64)
    has = n_useful > 0
    return {
        "n_useful": n_useful,
        "longest_run": np.where(has, longest, -1),
        "crossings": np.where(has, np.maximum(n_runs - 1, 0), -1),
    }
