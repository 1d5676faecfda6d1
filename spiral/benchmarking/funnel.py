"""Funnel plots for comparing units (Spiegelhalter 2005; shared/reference/qi.md §5). Pure numpy, no Django.

Two kinds of indicator:
- ``proportion``: y = r/n, target p0 = Σr/Σn (pooled). Limits for ``method="none"`` are exact binomial
  quantiles with Spiegelhalter's interpolation: r_p = the p-quantile of Binomial(n, p0),
  α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)), limit = (r_p − α)/n.
- ``rate``: y = O/n (events per unit of denominator), target θ0 = ΣO/Σn, expected count E = θ0·n.
  Limits for ``method="none"`` are the exact Poisson (chi-square) limits in FunnelPlotR's form:
  lower = qχ²(p, 2E)/2 / E, upper = qχ²(1−p, 2(E+1))/2 / E, on the ratio scale, times θ0.

Overdispersion (``phi``: multiplicative; ``tau2``: additive random effects) works on the transformed
scale (proportions: y = arcsin √(r/n), s = 1/(2√n); rates: y = √(O/E), s = 1/(2√E), target 1), with
z-scores winsorised at 10% in each tail; limits are back-transformed (sin², or squared).

    >>> f = funnel([3, 10, 40], [50, 100, 400], kind="proportion", method="none")
    >>> round(f.centre, 4), f.flags.tolist()
    (0.0964, ['within', 'within', 'within'])

Every quantile here is computed in this module (no scipy): the binomial by summing its probabilities in
a window around the mean, the gamma (chi-square) by Newton's method on the regularised incomplete gamma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Z_95 = 1.959964  # two-sided 95%
Z_998 = 3.090232  # two-sided 99.8%
KINDS = ("proportion", "rate")
METHODS = ("none", "phi", "tau2")
FLAGS = ("above_998", "above_95", "within", "below_95", "below_998")
TRIM = 0.1  # winsorise 10% in each tail
# The probabilities of the four limits: lower 99.8%, lower 95%, upper 95%, upper 99.8%.
_P = {"lower_998": 0.001, "lower_95": 0.025, "upper_95": 0.975, "upper_998": 0.999}
_Z = {"lower_998": -Z_998, "lower_95": -Z_95, "upper_95": Z_95, "upper_998": Z_998}
_lgamma = np.vectorize(math.lgamma, otypes=[float])


@dataclass(frozen=True)
class Funnel:
    """A funnel plot's numbers: one entry per unit in each array, in the order given."""

    kind: str
    method: str
    centre: float  # pooled proportion, or rate per unit of denominator
    phi: float  # Σ z²/I over winsorised z (shown whatever the method)
    tau2: float  # additive between-unit variance on the transformed scale
    overdispersed: bool  # I·φ above the 95% point of χ² on I − 1 degrees of freedom
    numerators: np.ndarray
    denominators: np.ndarray
    values: np.ndarray
    lower_998: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    upper_998: np.ndarray
    flags: np.ndarray  # str: above_998, above_95, within, below_95, below_998

    def __len__(self) -> int:
        return len(self.values)

    def curve(self, denominators: np.ndarray | list[float]) -> dict[str, np.ndarray]:
        """The four limits at any denominators (for drawing the funnel as smooth lines)."""
        x = np.asarray(denominators, dtype=float)
        return _limits(self.kind, self.method, self.centre, x, self.phi, self.tau2, self.overdispersed)


# ------------------------------------------------------------------------------------------------
# Distributions


def normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def binomial_limits(n: np.ndarray, p0: float, probs: tuple[float, ...]) -> list[np.ndarray]:
    """(r_p − α)/n for each n and each p in `probs`: the interpolated p-quantile of Binomial(n, p0),
    as a proportion (one array per p)."""
    n = np.asarray(n, dtype=np.int64)
    if p0 <= 0 or p0 >= 1:
        return [np.full(n.shape, float(min(max(p0, 0.0), 1.0))) for _ in probs]
    unique, inverse = np.unique(n, return_inverse=True)
    results = [np.empty(unique.shape, dtype=float) for _ in probs]
    q0 = 1 - p0
    sd = np.sqrt(unique * p0 * q0)
    # Beyond 7.5 sd (and a margin for small n) the tails hold far less than the 0.001 asked for.
    lo = np.maximum(0, np.floor(unique * p0 - 7.5 * sd - 10)).astype(np.int64)
    hi = np.minimum(unique, np.ceil(unique * p0 + 7.5 * sd + 10)).astype(np.int64)
    width = hi - lo + 1
    # Chunks of similar width keep the (rows × width) arrays small.
    order = np.argsort(width, kind="stable")
    budget = 4_000_000
    start = 0
    log_ratio_pq = math.log(p0 / q0)
    while start < len(order):
        w = int(width[order[start]])
        rows = max(1, budget // max(w, 1))
        idx = order[start : start + rows]
        w = int(width[idx].max())
        nn = unique[idx][:, None].astype(float)
        k0 = lo[idx][:, None].astype(float)
        k = k0 + np.arange(w)[None, :]
        first = (
            _lgamma(nn[:, 0] + 1) - _lgamma(k0[:, 0] + 1) - _lgamma(nn[:, 0] - k0[:, 0] + 1)
            + k0[:, 0] * math.log(p0) + (nn[:, 0] - k0[:, 0]) * math.log(q0)
        )  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            # log pmf(k+1) − log pmf(k) = log((n − k)/(k + 1)) + log(p/q)
            steps = np.log((nn - k[:, :-1]) / (k[:, :-1] + 1)) + log_ratio_pq
            steps = np.where(k[:, :-1] < nn, steps, -np.inf)
            logpmf = np.concatenate([first[:, None], first[:, None] + np.cumsum(steps, axis=1)], axis=1)
        pmf = np.exp(logpmf)
        pmf[k > nn] = 0.0
        cdf = np.cumsum(pmf, axis=1)
        rows_at = np.arange(len(idx))
        for p, result in zip(probs, results, strict=True):
            # r_p: the first k with F(k) ≥ p (the count of columns below p, as F is increasing).
            j = np.minimum((cdf < p - 1e-15).sum(axis=1), w - 1)
            f_r = cdf[rows_at, j]
            f_before = np.where(j > 0, cdf[rows_at, np.maximum(j - 1, 0)], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                alpha = np.where(f_r > f_before, (f_r - p) / (f_r - f_before), 0.0)
            alpha = np.clip(alpha, 0.0, 1.0)
            result[idx] = (lo[idx] + j - alpha) / unique[idx]
        start += len(idx)
    return [np.clip(result[inverse.reshape(n.shape)], 0.0, 1.0) for result in results]


def gamma_cdf(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The regularised lower incomplete gamma P(a, x), elementwise (series below a + 1, else Lentz)."""
    x = np.asarray(x, dtype=float)
    a = np.asarray(a, dtype=float)
    x, a = np.broadcast_arrays(x, a)
    out = np.zeros(x.shape)
    positive = x > 0
    lg = _lgamma(a)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        front = np.exp(a * np.log(np.where(positive, x, 1.0)) - x - lg)
    series = positive & (x < a + 1)
    if series.any():
        xs, as_ = x[series], a[series]
        term = 1.0 / as_
        total = term.copy()
        active = np.ones(xs.shape, dtype=bool)
        for i in range(1, 100_000):
            term = np.where(active, term * xs / (as_ + i), 0.0)
            total += term
            active &= np.abs(term) > np.abs(total) * 1e-15
            if not active.any():
                break
        out[series] = total * front[series]
    frac = positive & ~series
    if frac.any():
        xs, as_ = x[frac], a[frac]
        tiny = 1e-300
        b = xs + 1 - as_
        c = np.full(xs.shape, 1 / tiny)
        d = 1 / b
        h = d.copy()
        active = np.ones(xs.shape, dtype=bool)
        for i in range(1, 100_000):
            an = -i * (i - as_)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = np.where(active, h * delta, h)
            active &= np.abs(delta - 1) > 1e-15
            if not active.any():
                break
        out[frac] = 1 - front[frac] * h
    return np.clip(out, 0.0, 1.0)


def gamma_quantile(p: float, a: np.ndarray) -> np.ndarray:
    """x with P(a, x) = p for each shape a (scale 1); qχ²(p, 2a)/2. Newton from Wilson–Hilferty."""
    a = np.asarray(a, dtype=float)
    out = np.zeros(a.shape)
    ok = a > 0
    if not ok.any():
        return out
    aa = a[ok]
    z = normal_quantile(p)
    # Wilson–Hilferty on χ² with 2a degrees of freedom, halved.
    v = 2 * aa
    x = np.maximum(v * (1 - 2 / (9 * v) + z * np.sqrt(2 / (9 * v))) ** 3 / 2, 1e-8)
    small = aa < 1
    if small.any():
        # For small shapes P(a, x) ≈ x^a / Γ(a + 1): invert that.
        x = np.where(small, np.exp((math.log(p) + _lgamma(aa + 1)) / aa), x)
    lg = _lgamma(aa)
    for _ in range(100):
        f = gamma_cdf(x, aa) - p
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            pdf = np.exp((aa - 1) * np.log(x) - x - lg)
        step = np.where(pdf > 0, f / np.where(pdf > 0, pdf, 1), 0.0)
        new = x - step
        new = np.where(new <= 0, x / 10, new)
        if np.all(np.abs(new - x) <= 1e-12 * np.maximum(1.0, np.abs(x))):
            x = new
            break
        x = new
    out[ok] = x
    return out


def chi2_quantile(p: float, df: float) -> float:
    return float(2 * gamma_quantile(p, np.array([df / 2.0]))[0])


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


def overdispersion(
    kind: str, r: np.ndarray, n: np.ndarray, centre: float, trim: float = TRIM
) -> tuple[float, float, bool]:
    """(φ, τ², overdispersed) from winsorised z-scores on the transformed scale (qi.md §5, steps 1–4)."""
    count = len(r)
    if count < 2 or centre <= 0 or (kind == "proportion" and centre >= 1):
        return 1.0, 0.0, False
    y, s, target = _transformed(kind, r, n, centre)
    z = winsorise((y - target) / s, trim)
    phi = float(np.mean(z**2))
    w = 1 / s**2
    if count * phi <= count - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, float((count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    overdispersed = count * phi > chi2_quantile(0.95, count - 1)
    return phi, tau2, overdispersed


def _limits(
    kind: str, method: str, centre: float, n: np.ndarray, phi: float, tau2: float, overdispersed: bool
) -> dict[str, np.ndarray]:
    if method == "phi" and not overdispersed:
        method = "none"  # qi.md §5: if not overdispersed, leave the limits alone
    out: dict[str, np.ndarray] = {}
    if method == "none":
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
    _, s, target = _transformed(kind, np.zeros_like(n), n, centre) if centre > 0 else (None, None, 0.0)
    if centre <= 0 or s is None:
        return {name: np.zeros(n.shape) for name in _P}
    spread = np.sqrt(phi) * s if method == "phi" else np.sqrt(s**2 + tau2)
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


def funnel(
    numerators: np.ndarray | list[float],
    denominators: np.ndarray | list[float],
    *,
    kind: str = "proportion",
    method: str = "none",
    trim: float = TRIM,
) -> Funnel:
    """Limits and flags for each unit. Raises ValueError for bad input (said once, at the door)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
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
    phi, tau2, overdispersed = overdispersion(kind, r, n, centre, trim)
    values = r / n
    limits = _limits(kind, method, centre, n, phi, tau2, overdispersed)
    return Funnel(
        kind=kind,
        method=method,
        centre=centre,
        phi=phi,
        tau2=tau2,
        overdispersed=overdispersed,
        numerators=r,
        denominators=n,
        values=values,
        flags=flags_for(values, limits),
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
