"""The one SVG axis module: nice tick values and linear scales for every chart Spiral draws.

Pure Python (no Django, no numpy, no I/O), so the statistics core (`spiral.spc`) may use it as well as the
apps' presenters.

>>> nice_ticks(0, 1)
[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
>>> y = linear_scale((0, 10), (200, 0))  # values 0..10 drawn from y=200 (bottom) up to y=0 (top)
>>> y(2.5)
150.0
"""

from __future__ import annotations

import math
from collections.abc import Callable

NICE_MULTIPLES = (1, 2, 2.5, 5, 10)


def nice_step(low: float, high: float, count: int = 5) -> float:
    """The gap between ticks: 1, 2, 2.5 or 5 times a power of ten, the smallest that gives at most
    `count` gaps between `low` and `high` (which must be finite, high > low)."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in NICE_MULTIPLES if m * power >= raw)


def nice_ticks(low: float, high: float, count: int = 5, *, through_high: bool = True) -> list[float]:
    """Round values for an axis from `low` to `high`: every multiple of `nice_step` in the range.

    An empty or reversed range gives `[low]`, and a range with a missing end (NaN, infinity) gives
    `[low]` or `[]`.

    `through_high=False` is the funnel and trend charts' own enumeration (`first + i * step`, not
    rounded), which can leave out a tick that falls exactly on `high` when the arithmetic lands a hair
    above it (a proportion axis ending at 100%). It is kept so that those charts draw exactly as they did
    before the axis code had one home; dropping it is a visible change to make on purpose.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    step = nice_step(low, high, count)
    first = math.ceil(low / step) * step
    if not through_high:
        return [first + i * step for i in range(int((high - first) / step) + 1)]
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def linear_scale(domain: tuple[float, float], span: tuple[float, float]) -> Callable[[float], float]:
    """The linear map taking `domain[0]` to `span[0]` and `domain[1]` to `span[1]` (pixels), e.g.
    `linear_scale((low, high), (bottom, top))` for a y axis. An empty domain (both ends equal) is
    treated as one unit wide rather than dividing by zero."""
    d0, d1 = domain
    r0, r1 = span
    width = (d0 - d1) or 1
    reach = r1 - r0

    def scale(value: float) -> float:
        return r0 + (d0 - value) / width * reach

    return scale
