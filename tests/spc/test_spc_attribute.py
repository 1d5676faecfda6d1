"""p, p', u, u' and c charts against the qicharts2 formulas of docs/reference/spc.md §2, written out
independently."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spiral.spc import SPCError, analyse

NUM = [12, 15, 9, 20, 14, 11, 18, 13, 16, 10, 22, 12]
DEN = [100, 120, 90, 150, 110, 95, 130, 105, 125, 85, 160, 100]


def laney_sigma_z(y: np.ndarray, centre: float, s: np.ndarray) -> float:
    z = (y - centre) / s
    return float(np.mean(np.abs(np.diff(z))) / 1.128)


def test_p_chart_centre_is_pooled_and_limits_vary_with_the_denominator() -> None:
    num, den = np.array(NUM, float), np.array(DEN, float)
    p = num.sum() / den.sum()
    s = np.sqrt(p * (1 - p) / den)

    a = analyse(NUM, chart="p", denominators=DEN)

    assert_allclose(a.values, num / den)
    assert_allclose(a.centre, p)
    assert_allclose(a.ucl, p + 3 * s)
    assert_allclose(a.lcl, np.maximum(p - 3 * s, 0))
    assert_allclose(a.upper_two_sigma, p + 2 * s)
    assert_allclose(a.upper_one_sigma, p + s)


def test_p_chart_lower_limit_is_clamped_at_zero_and_upper_at_one() -> None:
    low = analyse([1, 0, 2, 1], chart="p", denominators=[10, 10, 10, 10])
    high = analyse([9, 10, 9, 10], chart="p", denominators=[10, 10, 10, 10])

    assert (low.lcl == 0).all() and (low.lower_two_sigma == 0).all()
    assert (high.ucl == 1).all()


def test_u_chart_uses_the_rate_per_unit() -> None:
    num, den = np.array(NUM, float), np.array(DEN, float) / 10
    u = num.sum() / den.sum()

    a = analyse(NUM, chart="u", denominators=den)

    assert_allclose(a.centre, u)
    assert_allclose(a.ucl, u + 3 * np.sqrt(u / den))
    assert_allclose(a.lcl, np.maximum(u - 3 * np.sqrt(u / den), 0))


def test_c_chart_uses_the_mean_count_and_ignores_denominators() -> None:
    c = np.mean(NUM)

    a = analyse(NUM, chart="c", denominators=DEN)

    assert_allclose(a.values, NUM)
    assert_allclose(a.centre, c)
    assert_allclose(a.ucl, c + 3 * np.sqrt(c))
    assert_allclose(a.lcl, max(c - 3 * np.sqrt(c), 0))


def test_c_chart_lower_limit_is_clamped_at_zero() -> None:
    assert (analyse([0, 1, 2, 1, 0, 1], chart="c").lcl == 0).all()


def test_laney_p_prime_scales_the_p_sigma_by_sigma_z() -> None:
    num = np.array([480, 530, 455, 610, 500, 470, 580, 515, 545, 440, 600, 505], float)
    den = np.full(12, 1000.0)
    y = num / den
    p = num.sum() / den.sum()
    s = np.sqrt(p * (1 - p) / den)
    sz = laney_sigma_z(y, p, s)

    a = analyse(num, chart="pprime", denominators=den, screen_outliers=False)

    assert sz > 1
    assert_allclose(a.centre, p)
    assert_allclose(a.ucl, np.minimum(p + 3 * s * sz, 1))
    assert_allclose(a.lower_two_sigma, np.maximum(p - 2 * s * sz, 0))


def test_laney_u_prime_scales_the_u_sigma_by_sigma_z() -> None:
    num = np.array([50, 72, 41, 66, 58, 80, 45, 61, 70, 52], float)
    den = np.array([10, 12, 9, 11, 10, 13, 9, 10, 12, 10], float)
    y = num / den
    u = num.sum() / den.sum()
    s = np.sqrt(u / den)
    sz = laney_sigma_z(y, u, s)

    a = analyse(num, chart="uprime", denominators=den, screen_outliers=False)

    assert_allclose(a.ucl, u + 3 * s * sz)


def test_laney_moving_ranges_are_screened_by_default_and_can_be_left_unscreened() -> None:
    num = np.array([50, 52, 49, 51, 50, 90, 50, 51, 49, 52, 50, 51], float)
    den = np.full(12, 100.0)

    default = analyse(num, chart="pprime", denominators=den)
    screened = analyse(num, chart="pprime", denominators=den, screen_outliers=True)
    plain = analyse(num, chart="pprime", denominators=den, screen_outliers=False)

    assert_allclose(default.ucl, screened.ucl)
    assert screened.ucl[0] < plain.ucl[0]


def test_laney_u_prime_screens_by_default_too() -> None:
    num = np.array([50, 52, 49, 51, 50, 95, 50, 51, 49, 52, 50, 51], float)
    den = np.full(12, 10.0)

    default = analyse(num, chart="uprime", denominators=den)
    plain = analyse(num, chart="uprime", denominators=den, screen_outliers=False)

    assert default.ucl[0] < plain.ucl[0]


def test_attribute_rules_compare_each_point_with_its_own_limits() -> None:
    num = [10] * 11 + [40]
    den = [100] * 11 + [100]

    a = analyse(num, chart="p", denominators=den)

    assert a.outside_limits.tolist() == [False] * 11 + [True]
    assert a.variation_icon == "improvement_high"


def test_baseline_on_a_p_chart_pools_the_first_points_only() -> None:
    num, den = np.array(NUM, float), np.array(DEN, float)

    with pytest.warns(UserWarning):
        a = analyse(NUM, chart="p", denominators=DEN, baseline=6)

    assert_allclose(a.centre, num[:6].sum() / den[:6].sum())


def test_rebase_on_a_u_chart_pools_each_period() -> None:
    num, den = np.array(NUM, float), np.array(DEN, float)

    a = analyse(NUM, chart="u", denominators=DEN, rebase=[6])

    assert_allclose(a.centre[:6], num[:6].sum() / den[:6].sum())
    assert_allclose(a.centre[6:], num[6:].sum() / den[6:].sum())


def test_a_missing_numerator_or_denominator_is_a_missing_point() -> None:
    a = analyse([5, None, 7, 6], chart="p", denominators=[50, 60, None, 55])

    assert np.isnan(a.values[1]) and np.isnan(a.values[2])
    # The pooled centre uses complete pairs only.
    assert_allclose(a.centre, (5 + 6) / (50 + 55))
    # Limits are drawn wherever the denominator is known.
    assert not np.isnan(a.ucl[1]) and np.isnan(a.ucl[2])


def test_zero_denominator_is_a_clear_error() -> None:
    with pytest.raises(SPCError, match=r"denominators\[2\]: 0 is not a positive number"):
        analyse([1, 2, 3], chart="p", denominators=[10, 10, 0])


def test_p_chart_target_is_a_proportion() -> None:
    with pytest.raises(SPCError, match=r"use 0\.95 for 95%"):
        analyse(NUM, chart="p", denominators=DEN, target=95)

    assert analyse(NUM, chart="p", denominators=DEN, target=0.01).assurance_icon == "pass"


# Montgomery, Introduction to Statistical Quality Control, Example 7.1 (orange juice cans, 30
# samples of 50; the data of qicharts2's tbl_07.03 and its test_montgomery.R): p-bar = 347/1500 =
# 0.2313, UCL 0.4102, LCL 0.0524; samples 15 and 23 are above the UCL.
JUICE = [
    12,
    15,
    8,
    10,
    4,
    7,
    16,
    9,
    14,
    10,
    5,
    6,
    17,
    12,
    22,
    8,
    10,
    5,
    13,
    11,
    20,
    18,
    24,
    15,
    9,
    12,
    7,
    13,
    9,
    6,
]


def test_montgomery_example_7_1_p_chart() -> None:
    a = analyse(JUICE, chart="p", denominators=[50] * 30)

    assert_allclose(a.centre[0], 0.2313, atol=5e-5)
    assert_allclose(a.ucl[0], 0.4102, atol=5e-5)
    assert_allclose(a.lcl[0], 0.0524, atol=5e-5)
    assert np.flatnonzero(a.outside_limits).tolist() == [14, 22]


# Montgomery, Example 7.3 (nonconformities in 26 samples of 100 printed circuit boards; qicharts2's
# tbl_07.08): c-bar = 516/26 = 19.85, UCL 33.22, LCL 6.48; samples 6 and 20 are outside.
BOARDS = [
    21,
    24,
    16,
    12,
    15,
    5,
    28,
    20,
    31,
    25,
    20,
    24,
    16,
    19,
    10,
    17,
    13,
    22,
    18,
    39,
    30,
    24,
    16,
    19,
    17,
    15,
]


def test_montgomery_example_7_3_c_chart() -> None:
    a = analyse(BOARDS, chart="c")

    assert_allclose(a.centre[0], 19.85, atol=0.005)
    assert_allclose(a.ucl[0], 33.22, atol=0.01)
    assert_allclose(a.lcl[0], 6.48, atol=0.005)
    assert np.flatnonzero(a.outside_limits).tolist() == [5, 19]
