"""`suggest_rebase`: where a sustained shift follows an annotated change, offer to recalculate from it.

Making Data Count's advice (docs/reference/spc.md §6): recalculate limits only after a sustained change
that is understood - a shift following a change that was made - with enough points in the new period for
meaningful limits. This never recalculates anything: it names the change points a person may confirm.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._analysis import Analysis
from ._constants import SHIFT_LENGTH

MIN_POINTS = 12  # docs/reference/spc.md §6: 12 or more points in the new period (ideally 20)
WINDOW = 3  # a shift may start up to this many points after the change


def _shift_starts(values: np.ndarray, centre: np.ndarray, boundaries: np.ndarray) -> list[int]:
    """Indexes where a run of >= SHIFT_LENGTH points on one side of the centre begins (the shift rule's
    windows: a missing value or a point on the centre breaks a run, and so does a period boundary)."""
    with np.errstate(invalid="ignore"):
        side = np.where(values > centre, 1, np.where(values < centre, -1, 0))
    starts: list[int] = []
    n = len(side)
    i = 0
    while i < n:
        if side[i] == 0:
            i += 1
            continue
        j = i + 1
        while j < n and side[j] == side[i] and not boundaries[j]:
            j += 1
        if j - i >= SHIFT_LENGTH:
            starts.append(i)
        i = j
    return starts


def suggest_rebase(
    analysis: Analysis,
    change_indices: Iterable[int],
    *,
    window: int = WINDOW,
    min_points: int = MIN_POINTS,
) -> list[int]:
    """The change indexes (0-based points of `analysis`) from which recalculating the limits is suggested.

    A change index `c` is suggested when a shift (SHIFT_LENGTH points one side of the centre, judged on
    the analysis as it stands) starts at one of the points `c .. c + window` within the same period,
    at least `min_points` observed points lie from `c` to the end of its period, and no period starts
    at `c` already (a rebase there exists). Sorted, de-duplicated; an index outside the series is
    ignored.

    >>> from spiral.spc import analyse
    >>> a = analyse([10, 11, 9, 10, 12, 9, 11, 10] + [20, 21, 19, 20, 22, 19, 21, 20, 20, 21, 19, 22])
    >>> suggest_rebase(a, [8])
    [8]
    """
    if window < 0:
        raise ValueError(f"window must be 0 or more points, not {window}")
    if min_points < 1:
        raise ValueError(f"min_points must be 1 or more, not {min_points}")
    values = np.asarray(analysis.values, dtype=float)
    n = len(values)
    boundaries = np.zeros(n, dtype=bool)
    period_starts = sorted({int(k) for k in analysis.period_starts if 0 <= int(k) < n})
    boundaries[period_starts] = True
    shift_starts = np.array(_shift_starts(values, np.asarray(analysis.centre, dtype=float), boundaries))
    observed = np.concatenate([[0], np.cumsum(~np.isnan(values))])  # observed[k]: points before k
    ends = [*period_starts[1:], n]
    found: list[int] = []
    for c in sorted({int(c) for c in change_indices}):
        if c <= 0 or c >= n or boundaries[c]:
            continue  # outside the series, at its start (nothing to recalculate), or already rebased
        end = next(e for e in ends if e > c)  # the end (exclusive) of c's period
        if observed[end] - observed[c] < min_points:
            continue
        if len(shift_starts) and np.any((shift_starts >= c) & (shift_starts <= min(c + window, end - 1))):
            found.append(c)
    return found
