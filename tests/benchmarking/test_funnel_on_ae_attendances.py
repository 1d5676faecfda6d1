"""The funnel maths on real data: A&E attendances and 4-hour breaches in England, April 2016 to March
2019 (spiral/demo/datasets/ae_attendances.md), one point per provider of major (type 1) departments.

Every expected figure is worked here from the formulas of docs/reference/qi.md §5 with plain numpy and
scipy, not with spiral.benchmarking.funnel: the pooled centre, the z-scores on the arcsine scale
winsorised at 10% in each tail (R's type-7 quantile), φ, the χ² test, DerSimonian–Laird τ², and the
limits. The exact binomial limits are recomputed by summing the probabilities (no quantile function).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from spiral.benchmarking import funnel as fm

DATA = Path(__file__).resolve().parents[2] / "spiral" / "demo" / "datasets" / "ae_attendances.csv"
LAST = "2019-03"


def breaches(*, period: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(breaches, attendances) per type 1 provider: one month, or the whole span summed."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with DATA.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] == "1" and (period is None or row["period"] == period):
                totals[row["org_code"]][0] += int(row["breaches"])
                totals[row["org_code"]][1] += int(row["attendances"])
    codes = sorted(code for code, (_, n) in totals.items() if n > 0)
    return np.array([totals[c][0] for c in codes], float), np.array([totals[c][1] for c in codes], float)


def by_hand(r: np.ndarray, n: np.ndarray) -> dict[str, float]:
    """Centre, φ, the χ² p-value and τ², step by step (docs/reference/qi.md §5, steps 1–4)."""
    count = len(r)
    p0 = r.sum() / n.sum()
    z = (np.arcsin(np.sqrt(r / n)) - math.asin(math.sqrt(p0))) * 2 * np.sqrt(n)
    ordered = np.sort(z)

    def type7(q: float) -> float:
        h = (count - 1) * q
        lo = math.floor(h)
        return float(ordered[lo] + (h - lo) * (ordered[min(lo + 1, count - 1)] - ordered[lo]))

    zw = np.minimum(np.maximum(z, type7(0.1)), type7(0.9))
    phi = float((zw**2).sum() / count)
    w = 4 * n  # 1/s² with s = 1/(2√n)
    tau2 = max(0.0, (count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return {"centre": p0, "phi": phi, "p": float(stats.chi2.sf(count * phi, count - 1)), "tau2": tau2}


def exact_binomial_limit(n: int, p0: float, p: float) -> float:
    """Spiegelhalter's interpolated limit from the cumulative sum of the binomial probabilities."""
    cdf = np.cumsum(stats.binom.pmf(np.arange(n + 1), n, p0))
    r = int(np.argmax(cdf >= p))
    before = cdf[r - 1] if r > 0 else 0.0
    return max(0.0, (r - (cdf[r] - p) / (cdf[r] - before)) / n)


@pytest.mark.parametrize("period", [LAST, None], ids=["latest month", "whole span"])
def test_centre_phi_tau2_and_the_chi_square_test_match_the_formulas(period: str | None) -> None:
    r, n = breaches(period=period)
    expected = by_hand(r, n)

    result = fm.funnel(r, n, improvement="decrease")

    assert result.centre == pytest.approx(expected["centre"], rel=1e-12)
    assert result.phi == pytest.approx(expected["phi"], rel=1e-9)
    assert result.tau2 == pytest.approx(expected["tau2"], rel=1e-9)
    assert result.p_value == pytest.approx(expected["p"], abs=1e-12)
    assert result.overdispersed and result.applied == "tau2"


@pytest.mark.parametrize("period", [LAST, None], ids=["latest month", "whole span"])
def test_the_default_limits_are_the_additive_random_effects_ones(period: str | None) -> None:
    r, n = breaches(period=period)
    expected = by_hand(r, n)
    target = math.asin(math.sqrt(expected["centre"]))
    spread = np.sqrt(1 / (4 * n) + expected["tau2"])

    result = fm.funnel(r, n, improvement="decrease")

    for name, z in [("lower_998", -3.090232), ("lower_95", -1.959964), ("upper_95", 1.959964),
                    ("upper_998", 3.090232)]:  # fmt: skip
        limit = np.sin(np.clip(target + z * spread, 0, math.pi / 2)) ** 2
        assert_allclose(getattr(result, name), limit, rtol=1e-9, err_msg=name)


def test_the_exact_limits_match_the_summed_binomial_probabilities() -> None:
    r, n = breaches(period=LAST)
    p0 = r.sum() / n.sum()

    result = fm.funnel(r, n, method="none")

    for i in range(0, len(n), 9):  # every ninth trust: 15 of 134, small and large
        for name, p in [("lower_998", 0.001), ("upper_95", 0.975), ("upper_998", 0.999)]:
            assert getattr(result, name)[i] == pytest.approx(exact_binomial_limit(int(n[i]), p0, p), abs=1e-9)


def test_exact_limits_flag_almost_every_trust_in_the_latest_month() -> None:
    r, n = breaches(period=LAST)

    result = fm.funnel(r, n, method="none")

    assert len(n) == 134
    assert result.phi > 400  # φ ≈ 490: far more spread than chance allows
    assert result.count(outer=True) > 120  # 124 of 134 beyond 99.8%


@pytest.mark.parametrize("period", [LAST, None], ids=["latest month", "whole span"])
def test_the_default_flags_far_fewer_trusts_than_exact_limits(period: str | None) -> None:
    r, n = breaches(period=period)

    default = fm.funnel(r, n, improvement="decrease")
    exact = fm.funnel(r, n, method="none", improvement="decrease")

    assert default.method == "auto" and default.applied == "tau2"
    assert default.count(outer=True) <= 5 < 100 < exact.count(outer=True)
    assert default.count() < len(n) / 5  # beyond 95%: fewer than one trust in five


def test_more_breaches_than_the_limits_allow_are_judged_worse() -> None:
    r, n = breaches()  # whole span: two trusts beyond the 99.8% limits by default

    result = fm.funnel(r, n, improvement="decrease")

    above = np.isin(result.flags, ["above_95", "above_998"])
    below = np.isin(result.flags, ["below_95", "below_998"])
    assert above.any() and below.any()
    assert set(result.judgements[above]) == {"worse"}
    assert set(result.judgements[below]) == {"better"}
    assert set(result.judgements[~(above | below)]) == {"within"}
    assert result.count("worse") + result.count("better") == result.count()
