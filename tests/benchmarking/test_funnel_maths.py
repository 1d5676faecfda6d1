"""The funnel maths against figures computed independently of spiral.benchmarking.funnel.

Sources of the expected figures:
- chi-square quantiles: the standard printed tables (e.g. NIST/SEMATECH e-Handbook of Statistical
  Methods, §1.3.6.7.4, "Critical values of the chi-square distribution"), to the digits printed there;
- exact binomial limits: Spiegelhalter (2005) Stat Med 24:1185, Appendix A.1.1 (r_p and the interpolation
  α), recomputed here by brute force from math.comb, with no numpy;
- exact Poisson limits (FunnelPlotR form, docs/reference/qi.md §5): the gamma distribution with an
  integer shape k has P(X ≤ x) = 1 − Σ_{j<k} e^{−x} x^j / j!, solved here by bisection;
- φ and τ²: docs/reference/qi.md §5 steps 1–4 worked by hand (plain Python, R's type-7 quantile written out).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spiral.benchmarking import funnel as fm


def brute_binomial_limit(n: int, p0: float, p: float) -> float:
    cdf, previous = 0.0, 0.0
    for r in range(n + 1):
        previous = cdf
        cdf += math.comb(n, r) * p0**r * (1 - p0) ** (n - r)
        if cdf >= p:
            alpha = (cdf - p) / (cdf - previous)
            return max(0.0, (r - alpha) / n)  # a proportion below 0 cannot be crossed: clipped
    return 1.0


def brute_gamma_quantile(p: float, k: int) -> float:
    def cdf(x: float) -> float:
        return 1 - sum(math.exp(-x) * x**j / math.factorial(j) for j in range(k))

    low, high = 0.0, 10.0 * k + 50
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf(mid) < p else (low, mid)
    return (low + high) / 2


def type7(values: list[float], q: float) -> float:
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    return xs[lo] + (h - lo) * (xs[min(lo + 1, len(xs) - 1)] - xs[lo])


@pytest.mark.parametrize(
    ("p", "df", "printed"),
    [(0.95, 10, 18.307), (0.975, 1, 5.024), (0.025, 1, 0.001), (0.999, 4, 18.467), (0.05, 20, 10.851)],
)
def test_chi_square_quantiles_match_the_printed_tables(p: float, df: int, printed: float) -> None:
    assert round(fm.chi2_quantile(p, df), 3) == printed


@pytest.mark.parametrize("n", [1, 7, 20, 55, 200, 1000])
@pytest.mark.parametrize("p0", [0.03, 0.5, 0.92])
def test_exact_binomial_limits_match_a_brute_force_sum(n: int, p0: float) -> None:
    probs = (0.001, 0.025, 0.975, 0.999)
    got = fm.binomial_limits(np.array([n]), p0, probs)
    expected = [brute_binomial_limit(n, p0, p) for p in probs]
    assert_allclose([g[0] for g in got], expected, atol=1e-9)


def test_exact_binomial_limits_approach_the_normal_ones_for_large_n() -> None:
    n, p0 = 100_000, 0.3
    lower, upper = fm.binomial_limits(np.array([n]), p0, (0.025, 0.975))
    half = fm.Z_95 * math.sqrt(p0 * (1 - p0) / n)
    assert_allclose([lower[0], upper[0]], [p0 - half, p0 + half], atol=2e-5)


@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_gamma_quantiles_match_bisection_on_the_closed_form(k: int) -> None:
    for p in (0.001, 0.025, 0.975, 0.999):
        assert fm.gamma_quantile(p, np.array([float(k)]))[0] == pytest.approx(
            brute_gamma_quantile(p, k), rel=1e-8
        )


def test_poisson_limits_for_rates_use_the_chi_square_form() -> None:
    # Two units with the same exposure 10 and a pooled rate of 0.5: E = 5 for each.
    result = fm.funnel([4, 6], [10, 10], kind="rate", method="none")
    assert result.centre == 0.5
    lower = brute_gamma_quantile(0.025, 5) / 5 * 0.5  # qχ²(0.025, 2E)/2 / E, times the centre
    upper = brute_gamma_quantile(0.975, 6) / 5 * 0.5  # qχ²(0.975, 2(E+1))/2 / E
    assert_allclose(result.lower_95, [lower, lower], rtol=1e-8)
    assert_allclose(result.upper_95, [upper, upper], rtol=1e-8)


def test_phi_and_tau2_follow_the_reference_steps_by_hand() -> None:
    r = [12, 30, 45, 8, 70, 21, 33, 90, 15, 50]
    n = [100, 150, 300, 90, 320, 100, 200, 400, 160, 210]
    p0 = sum(r) / sum(n)
    target = math.asin(math.sqrt(p0))
    z = [(math.asin(math.sqrt(ri / ni)) - target) * 2 * math.sqrt(ni) for ri, ni in zip(r, n, strict=True)]
    low, high = type7(z, 0.1), type7(z, 0.9)
    zw = [min(max(v, low), high) for v in z]
    phi = sum(v * v for v in zw) / len(zw)
    w = [4 * ni for ni in n]  # 1/s² with s = 1/(2√n)
    tau2 = max(0.0, (len(r) * phi - (len(r) - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))

    result = fm.funnel(r, n, kind="proportion", method="tau2")

    assert result.phi == pytest.approx(phi, rel=1e-12)
    assert result.tau2 == pytest.approx(tau2, rel=1e-12)
    s = 1 / (2 * math.sqrt(n[0]))
    upper = math.sin(target + fm.Z_998 * math.sqrt(s * s + tau2)) ** 2
    assert result.upper_998[0] == pytest.approx(upper, rel=1e-12)


def test_phi_widens_the_limits_only_when_overdispersed() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(100, 2000, 200)
    spread = rng.binomial(n, np.clip(rng.normal(0.6, 0.08, 200), 0.01, 0.99))
    wide = fm.funnel(spread, n, method="phi")
    plain = fm.funnel(spread, n, method="none")
    assert wide.overdispersed and wide.phi > 1
    assert np.all(wide.upper_998 - wide.lower_998 > plain.upper_998 - plain.lower_998 - 1e-3)
    chance = rng.binomial(n, 0.6)
    calm = fm.funnel(chance, n, method="phi")
    assert not calm.overdispersed
    assert_allclose(calm.upper_95, fm.funnel(chance, n, method="none").upper_95)


def test_a_unit_far_above_its_peers_is_flagged_beyond_the_998_exact_limit() -> None:
    result = fm.funnel([50, 52, 48, 51, 90], [100, 100, 100, 100, 100], method="none")
    assert result.flags.tolist() == ["within", "within", "within", "within", "above_998"]


def test_flags_name_the_limit_crossed() -> None:
    limits = {
        "lower_998": np.array([0.1] * 5), "lower_95": np.array([0.2] * 5),
        "upper_95": np.array([0.8] * 5), "upper_998": np.array([0.9] * 5),
    }  # fmt: skip
    flags = fm.flags_for(np.array([0.95, 0.85, 0.5, 0.15, 0.05]), limits)
    assert flags.tolist() == ["above_998", "above_95", "within", "below_95", "below_998"]


def test_gap_to_potential_by_hand() -> None:
    gap = fm.gap_to_potential(
        np.array([0.1, 0.2, 0.3, 0.4, 0.5]), np.array([10, 10, 10, 20, 100]), "decrease"
    )
    assert gap.potential == pytest.approx(0.2)  # type 7: 0.1 + (4 × 0.25 − 1)… = 0.2
    assert_allclose(gap.gaps, [0, 0, 0.1, 0.2, 0.3], atol=1e-12)
    assert_allclose(gap.events, [0, 0, 1, 4, 30], atol=1e-9)
    best_decile = fm.gap_to_potential(np.array([0.1, 0.2, 0.3, 0.4, 0.5]), np.ones(5), "increase", 0.1)
    assert best_decile.potential == pytest.approx(0.46)


def test_distribution_gives_quartiles_and_deciles() -> None:
    d = fm.distribution(np.arange(1, 12, dtype=float))
    assert d["quartiles"] == [3.5, 6.0, 8.5]
    assert d["deciles"][0] == pytest.approx(2.0)
    assert fm.percentile_rank(np.arange(1, 11, dtype=float), 5.0) == 45.0


@pytest.mark.parametrize(
    ("r", "n", "kwargs", "message"),
    [
        ([1], [0], {}, "greater than 0"),
        ([5], [4], {}, "cannot exceed"),
        ([-1], [4], {"kind": "rate"}, "negative"),
        ([], [], {}, "at least one"),
        ([1], [2], {"method": "both"}, "method must be"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(r: list, n: list, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fm.funnel(r, n, **kwargs)


def test_auto_draws_the_exact_limits_when_the_points_vary_no_more_than_chance() -> None:
    rng = np.random.default_rng(11)
    n = rng.integers(100, 2000, 150)
    r = rng.binomial(n, 0.3)

    auto = fm.funnel(r, n)
    exact = fm.funnel(r, n, method="none")

    assert auto.method == "auto" and not auto.overdispersed and auto.applied == "none"
    for name in ("lower_998", "lower_95", "upper_95", "upper_998"):
        assert_allclose(getattr(auto, name), getattr(exact, name), rtol=0, atol=0)


def test_auto_draws_the_additive_random_effects_limits_when_overdispersed() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(100, 2000, 200)
    r = rng.binomial(n, np.clip(rng.normal(0.6, 0.08, 200), 0.01, 0.99))

    auto = fm.funnel(r, n)
    tau2 = fm.funnel(r, n, method="tau2")

    assert auto.overdispersed and auto.applied == "tau2" and auto.p_value < 0.05
    assert_allclose(auto.upper_998, tau2.upper_998, rtol=0, atol=0)
    assert auto.flags.tolist() == tau2.flags.tolist()


def test_the_chi_square_test_gives_its_statistic_and_p_value() -> None:
    r = [12, 30, 45, 8, 70, 21, 33, 90, 15, 50]
    n = [100, 150, 300, 90, 320, 100, 200, 400, 160, 210]

    result = fm.funnel(r, n)

    assert result.statistic == pytest.approx(len(r) * result.phi, rel=1e-12)
    # The 95% point of χ² on 9 degrees of freedom, as printed in the tables (NIST): 16.919.
    assert result.overdispersed == (result.statistic > 16.919)
    assert (result.p_value < 0.05) == result.overdispersed


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", ["better", "better", "within", "worse", "worse"]),
        ("decrease", ["worse", "worse", "within", "better", "better"]),
        ("neutral", ["neutral", "neutral", "within", "neutral", "neutral"]),
    ],
)
def test_units_beyond_a_limit_are_judged_by_the_direction_of_improvement(
    improvement: str, expected: list[str]
) -> None:
    flags = np.array(["above_998", "above_95", "within", "below_95", "below_998"], dtype=object)
    assert fm.judgements_for(flags, improvement).tolist() == expected


def test_a_funnel_counts_its_units_beyond_each_limit_by_judgement() -> None:
    result = fm.funnel([50, 52, 48, 51, 90, 5], [100] * 6, method="none", improvement="increase")

    assert result.judgements.tolist() == ["within", "within", "within", "within", "better", "worse"]
    assert (result.count(), result.count(outer=True)) == (2, 2)
    assert (result.count("better"), result.count("worse", outer=True)) == (1, 1)


def test_a_few_units_with_one_outlier_can_hide_it_from_the_default_alarm() -> None:
    # With 5 units the outlier itself inflates τ²: exact limits call it an alarm, the default an alert.
    # The page shows the counts under every method so that this is seen (docs/clinical-safety.md, H4).
    r, n = [50, 52, 48, 51, 90], [100] * 5
    assert fm.funnel(r, n, method="none").flags[-1] == "above_998"
    assert fm.funnel(r, n).flags[-1] == "above_95"


def test_an_unknown_direction_of_improvement_is_refused() -> None:
    with pytest.raises(ValueError, match="improvement must be one of"):
        fm.funnel([1], [2], improvement="up")
