"""Proportions and risk ratios with honest uncertainty, for "what makes projects succeed".

Pure functions (numpy, scipy's normal quantile); no Django. Definitions:
- Wilson score interval for a proportion k/n (Wilson 1927; Newcombe 1998, method 3).
- Risk ratio RR = (a/n1) / (c/n0) with the log (Katz 1978) interval exp(ln RR ± z·SE),
  SE = sqrt(1/a − 1/n1 + 1/c − 1/n0).
- A zero in any of the four cells (a, b = n1 − a, c, d = n0 − c) would give 0 or infinity: then 0.5 is
  added to every cell (the Haldane–Anscombe correction) and the result says so (`corrected`).
- Too few to judge: fewer than MIN_CELL in any cell, or fewer than MIN_TOTAL projects in all. The numbers
  are still shown; no finding is stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm  # type: ignore[import-untyped]  # no stubs among our dependencies

CONFIDENCE = 0.95
Z = float(norm.ppf(0.5 + CONFIDENCE / 2))  # 1.959963...
MIN_CELL = 5
MIN_TOTAL = 20
HALDANE = 0.5


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    p: float | None  # None when n is 0
    low: float | None
    high: float | None


@dataclass(frozen=True)
class RiskRatio:
    a: int  # achieved, with the factor
    n1: int  # with the factor
    c: int  # achieved, without it
    n0: int  # without it
    with_factor: Proportion
    without_factor: Proportion
    ratio: float | None  # None when either group is empty
    low: float | None
    high: float | None
    corrected: bool  # Haldane–Anscombe 0.5 added to every cell because one was zero
    too_few: bool

    @property
    def total(self) -> int:
        return self.n1 + self.n0

    @property
    def is_finding(self) -> bool:
        """Enough projects to judge, and an interval that excludes 1 (no difference)."""
        return (
            not self.too_few
            and self.low is not None
            and self.high is not None
            and (self.low > 1 or self.high < 1)
        )


def wilson(k: int, n: int, z: float = Z) -> Proportion:
    """The proportion k/n and its Wilson score interval. ``wilson(0, 0)`` has no proportion.

    >>> round(wilson(8, 10).low, 4), round(wilson(8, 10).high, 4)
    (0.4902, 0.9433)
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"a proportion needs 0 <= k <= n, not k={k}, n={n}")
    if n == 0:
        return Proportion(k=0, n=0, p=None, low=None, high=None)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Proportion(k=k, n=n, p=p, low=max(0.0, centre - half), high=min(1.0, centre + half))


def risk_ratio(a: int, n1: int, c: int, n0: int, z: float = Z) -> RiskRatio:
    """The risk ratio of achieving the aim with (a of n1) and without (c of n0) a factor, its log-method
    95% interval, Wilson intervals for each proportion, and whether there are too few to judge."""
    for name, k, n in (("with", a, n1), ("without", c, n0)):
        if n < 0 or k < 0 or k > n:
            raise ValueError(f"the group {name} the factor needs 0 <= achieved <= projects, not {k} of {n}")
    b, d = n1 - a, n0 - c
    too_few = min(a, b, c, d) < MIN_CELL or n1 + n0 < MIN_TOTAL
    ratio = low = high = None
    corrected = False
    if n1 > 0 and n0 > 0:
        fa, fb, fc, fd = float(a), float(b), float(c), float(d)
        if min(a, b, c, d) == 0:
            corrected = True
            fa, fb, fc, fd = fa + HALDANE, fb + HALDANE, fc + HALDANE, fd + HALDANE
        m1, m0 = fa + fb, fc + fd
        ratio = (fa / m1) / (fc / m0)
        se = math.sqrt(1 / fa - 1 / m1 + 1 / fc - 1 / m0)
        low, high = math.exp(math.log(ratio) - z * se), math.exp(math.log(ratio) + z * se)
    return RiskRatio(
        a=a, n1=n1, c=c, n0=n0, with_factor=wilson(a, n1, z), without_factor=wilson(c, n0, z),
        ratio=ratio, low=low, high=high, corrected=corrected, too_few=too_few,
    )  # fmt: skip
