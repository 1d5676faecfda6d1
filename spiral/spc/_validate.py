"""Input checking for `spiral.spc`: coerce once at the door, fail with one exception type.

Every message names the argument and, where there is one, the 0-based position
(`values[3]: 'abc' is not a number`), so a caller can point a user at the cell.
"""

from __future__ import annotations

import decimal
import fractions
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._constants import BASELINE_WARN_BELOW, CHARTS, IMPROVEMENTS

__all__ = [
    "SPCError",
    "SPCWarning",
    "check_baseline",
    "check_chart",
    "check_improvement",
    "coerce_numbers",
]


class SPCError(ValueError):
    """Bad input to `spiral.spc`: the message says what is wrong and where."""


class SPCWarning(UserWarning):
    """Input that is accepted but weak (a baseline under 12 points, for instance)."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _element_to_float(value: Any, name: str, index: int) -> float:
    if value is None:
        return float("nan")
    # bool is an int to Python but a number here would be a slip (a mask passed as values).
    if isinstance(value, bool | np.bool_):
        raise SPCError(f"{name}[{index}]: {value!r} is not a number")
    if isinstance(value, numbers.Real | decimal.Decimal | fractions.Fraction):
        result = float(value)
    else:
        raise SPCError(f"{name}[{index}]: {_describe(value)} is not a number")
    if np.isinf(result):
        raise SPCError(f"{name}[{index}]: {value!r} is not a finite number")
    return result


def coerce_numbers(data: Any, name: str) -> np.ndarray:
    """Return `data` as a float64 array of shape (n,), NaN for missing (None/NaN).

    Strings, booleans and infinities are refused with an `SPCError` naming `name[i]`.

    >>> coerce_numbers([1, None, 2.5], "values")
    array([1. , nan, 2.5])
    """
    if isinstance(data, str | bytes):
        raise SPCError(f"{name}: expected a sequence of numbers, got a string")
    if isinstance(data, np.ndarray):
        if data.ndim != 1:
            raise SPCError(f"{name}: expected a one-dimensional sequence, got shape {data.shape}")
        kind = data.dtype.kind
        if kind in "iu":
            return data.astype(np.float64)
        if kind == "f":
            result = data.astype(np.float64, copy=True)
            bad = np.isinf(result)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise SPCError(f"{name}[{i}]: {data[i]!r} is not a finite number")
            return result
        if kind == "O":
            data = data.tolist()
        elif kind == "b":
            raise SPCError(f"{name}: expected numbers, got booleans")
        else:
            i = 0
            raise SPCError(
                f"{name}[{i}]: {_describe(data[i]) if len(data) else ''} is not a number "
                f"(array of dtype {data.dtype})"
            )
    if not isinstance(data, Sequence):
        try:
            data = list(data)
        except TypeError:
            raise SPCError(f"{name}: expected a sequence of numbers, got {type(data).__name__}") from None
    return np.fromiter(
        (_element_to_float(v, name, i) for i, v in enumerate(data)), dtype=np.float64, count=len(data)
    )


def check_chart(chart: Any) -> str:
    if not isinstance(chart, str) or chart not in CHARTS:
        raise SPCError(f"chart: {_describe(chart)} is not a chart type; use one of {', '.join(CHARTS)}")
    return chart


def check_improvement(improvement: Any, name: str = "improvement") -> str:
    if not isinstance(improvement, str) or improvement not in IMPROVEMENTS:
        raise SPCError(
            f"{name}: {_describe(improvement)} is not an improvement direction; "
            f"use one of {', '.join(IMPROVEMENTS)}"
        )
    return improvement


def check_baseline(baseline: Any, name: str = "baseline", *, warn: bool = True) -> int | None:
    """Return the baseline length (an int >= 2) or None; warn below 12 (docs/reference/spc.md §9.10)."""
    if baseline is None:
        return None
    if isinstance(baseline, bool | np.bool_) or not isinstance(baseline, numbers.Integral):
        if isinstance(baseline, float) and baseline.is_integer():
            baseline = int(baseline)
        else:
            raise SPCError(f"{name}: {_describe(baseline)} is not a whole number of points")
    baseline = int(baseline)
    if baseline < 2:
        raise SPCError(
            f"{name}: {baseline} is too short; a baseline needs at least 2 points (12 or more advised)"
        )
    if warn and baseline < BASELINE_WARN_BELOW:
        warnings.warn(
            f"baseline of {baseline} points: limits fixed on fewer than {BASELINE_WARN_BELOW} points are "
            "unreliable (NHSRplotthedots refuses them; Spiral accepts them)",
            SPCWarning,
            stacklevel=3,
        )
    return baseline
