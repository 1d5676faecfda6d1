"""Proportions and risk ratios with honest uncertainty, for "what makes projects succeed".

Pure functions (numpy, scipy's normal quantile, statsmodels' logistic regression); no Django. Definitions:
- Wilson score interval for a proportion k/n (Wilson 1927; Newcombe 1998, method 3).
- Risk ratio RR = (a/n1) / (c/n0) with the log (Katz 1978) interval exp(ln RR ± z·SE),
  SE = sqrt(1/a − 1/n1 + 1/c − 1/n0).
- A zero in any of the four cells (a, b = n1 − a, c, d = n0 − c) would give 0 or infinity: then 0.5 is
  added to every cell (the Haldane–Anscombe correction) and the result says so (`corrected`).
- Too few to judge: fewer than MIN_CELL in any cell, or fewer than MIN_TOTAL projects in all. The numbers
  are still shown; no finding is stated.
- Adjusted odds ratios: a logistic regression of achieving the aim on all the binary factors at once
  (statsmodels `Logit`), exp(β) with the Wald interval exp(β ± z·SE); only with at least
  EVENTS_PER_FACTOR of the less common outcome per factor and no separation (`adjusted_odds_ratios`).
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


# --- adjusted odds ratios ------------------------------------------------------------------------------

EVENTS_PER_FACTOR = 10  # the usual rule of thumb for a logistic model (Peduzzi et al. 1996)


@dataclass(frozen=True)
class OddsRatio:
    ratio: float
    low: float
    high: float

    @property
    def is_finding(self) -> bool:
        return self.low > 1 or self.high < 1


@dataclass(frozen=True)
class AdjustedFit:
    """A logistic regression of achieving the aim on every factor at once: each factor's odds ratio
    adjusted for the others (`odds`, by factor), or why none could be given (`reason`)."""

    n: int
    events: int  # the less common outcome (achieved or not), which limits how many factors a model can hold
    odds: dict[str, OddsRatio]
    reason: str = ""  # empty when fitted
    left_out: tuple[str, ...] = ()  # factors every project had, or none did: nothing to adjust for

    @property
    def fitted(self) -> bool:
        return not self.reason


def adjusted_odds_ratios(
    outcome: list[bool], factors: dict[str, list[bool]], *, labels: dict[str, str] | None = None, z: float = Z
) -> AdjustedFit:
    """Logistic regression (statsmodels `Logit`, with an intercept) of `outcome` on the binary `factors`
    (each aligned with `outcome`; `labels` name them in the reasons), each factor's odds ratio exp(β) with its Wald interval exp(β ± z·SE).

    A factor every project had, or none did, is left out of the model (`left_out`). No model is fitted,
    and `reason` says why, when there are fewer than EVENTS_PER_FACTOR of the less common outcome per
    factor, when a factor is never (or always) seen with one outcome
    (separation: its coefficient would run off to infinity), or when the fit fails (a singular matrix,
    no convergence)."""
    import warnings

    import numpy as np
    import statsmodels.api as sm  # type: ignore[import-untyped]  # no stubs among our dependencies

    n = len(outcome)
    y = np.asarray(outcome, dtype=float)
    events = int(min(y.sum(), n - y.sum()))
    columns = {k: np.asarray(v, dtype=float) for k, v in factors.items()}
    if any(len(c) != n for c in columns.values()):
        raise ValueError("every factor needs one value per project")
    left_out = tuple(k for k, c in columns.items() if n == 0 or c.min() == c.max())
    names = [k for k in columns if k not in left_out]

    def cannot(reason: str) -> AdjustedFit:
        return AdjustedFit(n=n, events=events, odds={}, reason=reason, left_out=left_out)

    needed = EVENTS_PER_FACTOR * len(names)
    if len(names) < 2:
        return cannot("fewer than two factors vary among these projects, so there is nothing to adjust for")
    if events < needed:
        return cannot(
            f"too few projects: adjusting for {len(names)} factors needs at least {needed} projects with the "
            f"less common outcome ({EVENTS_PER_FACTOR} per factor); there are {events}"
        )
    x = np.column_stack([columns[k] for k in names])
    for j, name in enumerate(names):
        has = x[:, j] == 1
        cells = (y[has].sum(), (1 - y[has]).sum(), y[~has].sum(), (1 - y[~has]).sum())
        if min(cells) == 0:
            label = (labels or {}).get(name, name)
            return cannot(f"{label}: every project with it, or every one without it, had the same outcome")
    design = sm.add_constant(x, has_constant="add")
    if np.linalg.matrix_rank(design) < design.shape[1]:
        return cannot("some factors always go together (the model cannot tell them apart)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # separation and non-convergence are warnings in statsmodels
            fit = sm.Logit(y, design).fit(disp=0, maxiter=100)
    except (np.linalg.LinAlgError, ValueError, RuntimeWarning, Warning) as exc:
        return cannot(f"the model could not be fitted ({type(exc).__name__})")
    params, se = np.asarray(fit.params, dtype=float), np.asarray(fit.bse, dtype=float)
    if not fit.mle_retvals.get("converged", False) or not (
        np.isfinite(params).all() and np.isfinite(se).all()
    ):
        return cannot("the model did not converge")
    odds = {
        name: OddsRatio(
            ratio=math.exp(params[j + 1]),
            low=math.exp(params[j + 1] - z * se[j + 1]),
            high=math.exp(params[j + 1] + z * se[j + 1]),
        )
        for j, name in enumerate(names)
    }
    return AdjustedFit(n=n, events=events, odds=odds, left_out=left_out)
