"""Funnel plots for comparing units (Spiegelhalter 2005; docs/reference/qi.md §5). Pure numpy and
scipy.stats, no Django.

Two kinds of indicator:
- ``proportion``: y = r/n, target p0 = Σr/Σn (pooled). Exact limits are binomial quantiles with
  Spiegelhalter's interpolation: r_p = the p-quantile of Binomial(n, p0),
  α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)), limit = (r_p − α)/n.
- ``rate``: y = O/n (events per unit of denominator), target θ0 = ΣO/Σn, expected count E = θ0·n.
  Exact limits are the Poisson (chi-square) limits in FunnelPlotR's form:
  lower = qχ²(p, 2E)/2 / E, upper = qχ²(1−p, 2(E+1))/2 / E, on the ratio scale, times θ0.

Methods:
- ``auto`` (the default; docs/adr/0011-funnel-default.md): the χ² test on the winsorised z-scores
  decides. Overdispersed (I·φ above the 95% point of χ² on I − 1 degrees of freedom): additive random
  effects, as ``tau2`` (FunnelPlotR's default adjustment); otherwise the exact limits, as ``none``.
- ``none``: the exact limits, whatever the spread.
- ``phi``: multiplicative overdispersion, applied only when the χ² test finds it.
- ``tau2``: additive random effects (DerSimonian–Laird τ²), always applied.
Overdispersion works on the transformed scale (proportions: y = arcsin √(r/n), s = 1/(2√n); rates:
y = √(O/E), s = 1/(2√E), target 1), with z-scores winsorised at 10% in each tail; limits are taken
back (sin², or squared). ``Funnel.applied`` says which limits were drawn.

Each unit beyond a limit is judged by the measure's direction of improvement: ``better`` or ``worse``
(``neutral`` when the measure has no direction); inside both limits, ``within``.

    >>> f = funnel([3, 10, 40], [50, 100, 400], kind="proportion")
    >>> round(f.centre, 4), f.applied, f.flags.tolist()
    (0.0964, 'none', ['within', 'within', 'within'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats  # type: ignore[import-untyped]  # no stubs among our dependencies

Z_95 = 1.959964  # two-sided 95%
Z_998 = 3.090232  # two-sided 99.8%
KINDS = ("proportion", "rate")
METHODS = ("auto", "none", "phi", "tau2")
DEFAULT_METHOD = "auto"
IMPROVEMENTS = ("increase", "decrease", "neutral")
FLAGS = ("above_998", "above_95", "within", "below_95", "below_998")
JUDGEMENTS = ("better", "worse", "neutral", "within")
TRIM = 0.1  # winsorise 10% in each tail
SIGNIFICANCE = 0.05  # the χ² test of overdispersion (docs/reference/qi.md §5, step 3)
# The probabilities of the four limits: lower 99.8%, lower 95%, upper 95%, upper 99.8%.
_P = {"lower_998": 0.001, "lower_95": 0.025, "upper_95": 0.975, "upper_998": 0.999}
_Z = {"lower_998": -Z_998, "lower_95": -Z_95, "upper_95": Z_95, "upper_998": Z_998}


@dataclass(frozen=True)
class Dispersion:
    """How much more the units vary than chance allows, on the transformed scale."""

    phi: float  # Σ z²/I over winsorised z
    tau2: float  # additive between-unit variance (DerSimonian–Laird); 0 when I·φ ≤ I − 1
    statistic: float  # I·φ, compared with χ² on I − 1 degrees of freedom
    p_value: float  # P(χ²_{I−1} ≥ I·φ); 1.0 when there are fewer than 2 units
    overdispersed: bool  # p_value below SIGNIFICANCE


@dataclass(frozen=True)
class Funnel:
    """A funnel plot's numbers: one entry per unit in each array, in the order given."""

    kind: str
    method: str  # as asked: auto, none, phi or tau2
    applied: str  # the limits drawn: none (exact), phi or tau2
    improvement: str  # increase, decrease or neutral: what "better" means
    centre: float  # pooled proportion, or rate per unit of denominator
    phi: float  # Σ z²/I over winsorised z (shown whatever the method)
    tau2: float  # additive between-unit variance on the transformed scale
    statistic: float  # I·φ, the χ² test's statistic
    p_value: float  # the χ² test's p-value on I − 1 degrees of freedom
    overdispersed: bool  # I·φ above the 95% point of χ² on I − 1 degrees of freedom
    numerators: np.ndarray
    denominators: np.ndarray
    values: np.ndarray
    lower_998: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    upper_998: np.ndarray
    flags: np.ndarray  # str: above_998, above_95, within, below_95, below_998
    judgements: np.ndarray  # str: better, worse, neutral (beyond a limit) or within

    def __len__(self) -> int:
        return len(self.values)

    def curve(self, denominators: np.ndarray | list[float]) -> dict[str, np.ndarray]:
        """The four limits at any denominators (for drawing the funnel as smooth lines)."""
        x = np.asarray(denominators, dtype=float)
        return _limits(self.kind, self.applied, self.centre, x, self.phi, self.tau2)

    def count(self, judgement: str | None = None, *, outer: bool = False) -> int:
        """How many units are beyond the 95% limits (the 99.8% ones if `outer`), of one judgement if
        given: ``count()`` is every unit flagged, ``count("worse", outer=True)`` the worse alarms."""
        beyond = np.isin(self.flags, ("above_998", "below_998")) if outer else self.flags != "within"
        if judgement is not None:
            beyond &= self.judgements == judgement
        return int(beyond.sum())


# ------------------------------------------------------------------------------------------------
# Distributions (scipy.stats; docs/adr/0011-funnel-default.md says why not hand-written)


def binomial_limits(n: np.ndarray, p0: float, probs: tuple[float, ...]) -> list[np.ndarray]:
    """(r_p − α)/n for each n and each p in `probs`: the interpolated p-quantile of Binomial(n, p0),
    as a proportion (one array per p, each of n's shape).

    r_p is the smallest r with F(r) ≥ p and α = (F(r_p) − p) / (F(r_p) − F(r_p − 1))
    (Spiegelhalter 2005, Appendix A.1.1; docs/reference/qi.md §5).

        >>> [round(float(x[0]), 4) for x in binomial_limits(np.array([100]), 0.5, (0.025, 0.975))]
        [0.3968, 0.5932]
    """
    n = np.asarray(n, dtype=np.int64)
    if p0 <= 0 or p0 >= 1:
        return [np.full(n.shape, float(min(max(p0, 0.0), 1.0))) for _ in probs]
    unique, inverse = np.unique(n, return_inverse=True)
    out = []
    for p in probs:
        r = stats.binom.ppf(p, unique, p0)
        at = stats.binom.cdf(r, unique, p0)
        before = stats.binom.cdf(r - 1, unique, p0)  # 0 when r = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(at > before, (at - p) / (at - before), 0.0)
        limit = (r - np.clip(alpha, 0.0, 1.0)) / unique
        out.append(np.clip(limit, 0.0, 1.0)[inverse.reshape(n.shape)])
    return out


def gamma_quantile(p: float, a: np.ndarray) -> np.ndarray:
    """x with P(a, x) = p for each shape a (scale 1), that is qχ²(p, 2a)/2; 0 where a ≤ 0."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(a > 0, stats.gamma.ppf(p, np.where(a > 0, a, 1.0)), 0.0)


def chi2_quantile(p: float, df: float) -> float:
    """The p-quantile of χ² on `df` degrees of freedom."""
    return float(stats.chi2.ppf(p, df))


# ------------------------------------------------------------------------------------------------
# The funnel


def _transformed(
    kind: str, r: np.ndarray, n: np.ndarray, centre: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """(y, s, target) on the variance-stabilising scale."""
    if kind == "proportion":
        return np.arcsin(np.sqrt(np.clip(r / n, 0, 1))), 1 / (2 * np.sqrt(n)), math.asin(math.sqrt(centre))
    expected = centre * n
    return np.sqrt(r / expected), 1 / (2 * np.sqrt(expected)), 1.0


def winsorise(z: np.ndarray, trim: float = TRIM) -> np.ndarray:
    """Clip z to its `trim` and 1 − `trim` quantiles (R's type 7, numpy's default, as FunnelPlotR)."""
    low, high = np.quantile(z, [trim, 1 - trim])
    return np.clip(z, low, high)


def overdispersion(kind: str, r: np.ndarray, n: np.ndarray, centre: float, trim: float = TRIM) -> Dispersion:
    """φ, τ² and the χ² test from winsorised z-scores on the transformed scale (docs/reference/qi.md §5,
    steps 1–4). Fewer than 2 units, or a centre of 0 (or 1 for a proportion), cannot be overdispersed."""
    count = len(r)
    if count < 2 or centre <= 0 or (kind == "proportion" and centre >= 1):
        return Dispersion(phi=1.0, tau2=0.0, statistic=float(count), p_value=1.0, overdispersed=False)
    y, s, target = _transformed(kind, r, n, centre)
    z = winsorise((y - target) / s, trim)
    phi = float(np.mean(z**2))
    w = 1 / s**2
    statistic = count * phi
    if statistic <= count - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, float((statistic - (count - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return Dispersion(
        phi=phi,
        tau2=tau2,
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, count - 1)),
        overdispersed=statistic > chi2_quantile(1 - SIGNIFICANCE, count - 1),
    )


def applied_method(method: str, overdispersed: bool) -> str:
    """The limits `method` draws: ``auto`` is ``tau2`` when overdispersed, else ``none``; ``phi`` is left
    unapplied (``none``) when not overdispersed (docs/reference/qi.md §5, step 3)."""
    if method == "auto":
        return "tau2" if overdispersed else "none"
    if method == "phi" and not overdispersed:
        return "none"
    return method


def _limits(
    kind: str, applied: str, centre: float, n: np.ndarray, phi: float, tau2: float
) -> dict[str, np.ndarray]:
    """The four limits at denominators `n` for an applied method (none, phi or tau2)."""
    out: dict[str, np.ndarray] = {}
    if applied == "none":
        if kind == "proportion":
            whole = np.maximum(np.rint(n), 1)
            found = binomial_limits(whole, centre, tuple(_P.values()))
            out = dict(zip(_P, found, strict=True))
        else:
            expected = centre * n
            for name, p in _P.items():
                with np.errstate(divide="ignore", invalid="ignore"):
                    if name.startswith("lower"):
                        ratio = gamma_quantile(p, expected) / expected
                    else:
                        ratio = gamma_quantile(p, expected + 1) / expected
                out[name] = np.where(expected > 0, ratio * centre, np.nan)
        return out
    if centre <= 0:
        return {name: np.zeros(n.shape) for name in _P}
    _, s, target = _transformed(kind, np.zeros_like(n), n, centre)
    spread = np.sqrt(phi) * s if applied == "phi" else np.sqrt(s**2 + tau2)
    for name, z in _Z.items():
        t = target + z * spread
        if kind == "proportion":
            out[name] = np.sin(np.clip(t, 0, math.pi / 2)) ** 2
        else:
            out[name] = np.clip(t, 0, None) ** 2 * centre
    return out


def flags_for(values: np.ndarray, limits: dict[str, np.ndarray]) -> np.ndarray:
    """above_998, above_95, within, below_95 or below_998 for each value (on a limit is within)."""
    flags = np.full(values.shape, "within", dtype=object)
    flags[values > limits["upper_95"]] = "above_95"
    flags[values > limits["upper_998"]] = "above_998"
    flags[values < limits["lower_95"]] = "below_95"
    flags[values < limits["lower_998"]] = "below_998"
    return flags


def judgements_for(flags: np.ndarray, improvement: str) -> np.ndarray:
    """better, worse, neutral or within for each flag: above a limit is better when higher is better
    (``increase``), below one when lower is better (``decrease``); a measure with no direction
    (``neutral``) is neither, so every unit beyond a limit is ``neutral``.

        >>> judgements_for(np.array(["above_95", "within", "below_998"]), "decrease").tolist()
        ['worse', 'within', 'better']
    """
    flags = np.asarray(flags, dtype=object)
    out = np.full(flags.shape, "within", dtype=object)
    above = np.isin(flags, ("above_95", "above_998"))
    below = np.isin(flags, ("below_95", "below_998"))
    if improvement == "neutral":
        out[above | below] = "neutral"
        return out
    high_is_good = improvement == "increase"
    out[above] = "better" if high_is_good else "worse"
    out[below] = "worse" if high_is_good else "better"
    return out


def funnel(
    numerators: np.ndarray | list[float],
    denominators: np.ndarray | list[float],
    *,
    kind: str = "proportion",
    method: str = DEFAULT_METHOD,
    improvement: str = "neutral",
    trim: float = TRIM,
) -> Funnel:
    """Limits, flags and judgements for each unit: numerators and denominators of shape (I,).
    Raises ValueError for bad input (said once, at the door)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENTS)}, not {improvement!r}")
    r = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    if r.ndim != 1 or r.shape != n.shape:
        raise ValueError("numerators and denominators must be 1-D and of the same length")
    if len(r) == 0:
        raise ValueError("a funnel plot needs at least one unit")
    if not (np.isfinite(r).all() and np.isfinite(n).all()):
        raise ValueError("numerators and denominators must be finite numbers")
    if (n <= 0).any():
        raise ValueError("every denominator must be greater than 0")
    if (r < 0).any():
        raise ValueError("numerators cannot be negative")
    if kind == "proportion" and (r > n).any():
        raise ValueError("a proportion's numerator cannot exceed its denominator")
    centre = float(r.sum() / n.sum())
    spread = overdispersion(kind, r, n, centre, trim)
    applied = applied_method(method, spread.overdispersed)
    values = r / n
    limits = _limits(kind, applied, centre, n, spread.phi, spread.tau2)
    flags = flags_for(values, limits)
    return Funnel(
        kind=kind,
        method=method,
        applied=applied,
        improvement=improvement,
        centre=centre,
        phi=spread.phi,
        tau2=spread.tau2,
        statistic=spread.statistic,
        p_value=spread.p_value,
        overdispersed=spread.overdispersed,
        numerators=r,
        denominators=n,
        values=values,
        flags=flags,
        judgements=judgements_for(flags, improvement),
        **limits,
    )


# ------------------------------------------------------------------------------------------------
# Distribution and the gap to potential


@dataclass(frozen=True)
class Gap:
    potential: float  # the value at the best quartile (or chosen decile) of the peers
    gaps: np.ndarray  # per unit, in the measure's units: how far from the potential (0 if there already)
    events: np.ndarray  # per unit: events per period that closing the gap would mean (gap × denominator)


def potential(values: np.ndarray, improvement: str, best_share: float = 0.25) -> float:
    """The peers' value at the edge of their best `best_share` (0.25: best quartile; 0.1: best decile)."""
    if not 0 < best_share < 1:
        raise ValueError("best_share must be between 0 and 1")
    values = np.asarray(values, dtype=float)
    q = best_share if improvement == "decrease" else 1 - best_share
    return float(np.quantile(values, q))


def gap_to_potential(
    values: np.ndarray, denominators: np.ndarray, improvement: str, best_share: float = 0.25
) -> Gap:
    """Each unit's distance from the potential, and the events a period that closing it would mean."""
    if improvement not in ("increase", "decrease"):
        raise ValueError("a gap to potential needs a direction of improvement (increase or decrease)")
    values = np.asarray(values, dtype=float)
    target = potential(values, improvement, best_share)
    gaps = np.maximum(0.0, values - target) if improvement == "decrease" else np.maximum(0.0, target - values)
    return Gap(potential=target, gaps=gaps, events=gaps * np.asarray(denominators, dtype=float))


def distribution(values: np.ndarray) -> dict[str, list[float]]:
    """Quartiles (25, 50, 75) and deciles (10 … 90) of the units' values."""
    values = np.asarray(values, dtype=float)
    return {
        "quartiles": np.quantile(values, [0.25, 0.5, 0.75]).tolist(),
        "deciles": np.quantile(values, np.arange(1, 10) / 10).tolist(),
    }


def percentile_rank(values: np.ndarray, value: float) -> float:
    """The share of units (0–100) whose value is below `value` (ties count half)."""
    values = np.asarray(values, dtype=float)
    below = float((values < value).sum()) + 0.5 * float((values == value).sum())
    return 100 * below / len(values)
