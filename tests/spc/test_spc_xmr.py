"""XmR chart: centre, moving ranges, screening, limits, baselines and rebasing (docs/reference/spc.md §1
and §6)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spiral.spc import LIMIT, LIMIT_TWO_SIGMA, SPCWarning, analyse

WORKED = [20, 24, 21, 23, 22, 26, 21, 23, 30, 22]


def test_worked_example_matches_spc_md_section_1() -> None:
    # docs/reference/spc.md §1 (NHSRplotthedots output): centre 23.2, AMR 4.0, LCL 12.56, UCL 33.84.
    a = analyse(WORKED, chart="xmr", improvement="increase", target=35)

    assert_allclose(a.centre, 23.2)
    assert_allclose(a.lcl, 12.56)
    assert_allclose(a.ucl, 33.84)
    assert_allclose(a.upper_two_sigma, 23.2 + 2 * 2.66 / 3 * 4.0)
    assert_allclose(a.lower_one_sigma, 23.2 - 2.66 / 3 * 4.0)
    assert a.flags == [[]] * 10
    assert a.variation_icon == "common_cause"
    assert a.assurance_icon == "fail"


def test_worked_example_to_dict_has_spc_md_section_8_keys() -> None:
    d = analyse(WORKED, target=35).to_dict()

    for key in ("centre", "lcl", "ucl", "flags", "point_type", "variation_icon", "assurance_icon"):
        assert key in d
    for key in (
        "lower_two_sigma",
        "upper_two_sigma",
        "lower_one_sigma",
        "upper_one_sigma",
        "values",
        "dates",
    ):
        assert key in d
    assert d["centre"][0] == pytest.approx(23.2)
    assert d["point_type"] == ["common"] * 10
    assert isinstance(d["lcl"][0], float)


def test_limit_constant_is_mdc_2_66_not_3_over_1_128() -> None:
    # docs/reference/spc.md §9.1: MDC and NHSRplotthedots use 2.66; qicharts2 3/1.128 = 2.6596 would give
    # 33.8383.
    assert LIMIT == 2.66
    assert LIMIT_TWO_SIGMA == 2 * (2.66 / 3)
    assert analyse(WORKED).ucl[0] != pytest.approx(23.2 + 3 / 1.128 * 4.0, rel=1e-6)


def test_mean_of_integers_is_exact_so_points_on_it_compare_equal() -> None:
    a = analyse([1, 2, 3])

    assert a.centre[0] == 2.0
    assert a.values[1] == a.centre[1]


def test_mean_of_repeated_decimal_is_exact_like_r() -> None:
    # numpy.mean([0.1] * 10) is 0.09999999999999999; R's two-pass mean gives 0.1 exactly, so no
    # point is "above the mean" and no shift fires.
    a = analyse([0.1] * 10)

    assert a.centre[0] == 0.1
    assert a.flags == [[]] * 10


def test_spike_moving_ranges_are_screened_before_the_limits() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40, 11, 10, 11, 10, 11]
    mr = np.abs(np.diff(values)).astype(float)
    amr = mr.mean()
    kept = mr[mr < 3.267 * amr]  # the two ranges around the spike go

    a = analyse(values)

    assert len(kept) == len(mr) - 2
    assert_allclose(a.ucl[0], np.mean(values) + 2.66 * kept.mean())
    assert a.outside_limits[10]


def test_screening_can_be_switched_off() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40, 11, 10, 11, 10, 11]

    a = analyse(values, screen_outliers=False)

    assert_allclose(a.ucl[0], np.mean(values) + 2.66 * np.abs(np.diff(values)).mean())


def test_screening_keeps_ranges_strictly_below_the_threshold() -> None:
    # MRs 1, 1, 1, 1, x with x = 3.267 * AMR exactly would be dropped (>=); check the strictness by
    # building ranges where one MR is just below the threshold and is kept.
    values = [0, 1, 0, 1, 0, 4.0]
    mr = np.abs(np.diff(values))
    assert mr[-1] < 3.267 * mr.mean()

    a = analyse(values)

    assert_allclose(a.ucl[0], np.mean(values) + 2.66 * mr.mean())


def test_all_equal_values_give_limits_equal_to_the_centre() -> None:
    # docs/reference/spc.md §9.11: NHSRplotthedots (screening on) reports no limits; Spiral reports
    # lcl == ucl == centre.
    a = analyse([5, 5, 5, 5, 5, 5, 5, 5])

    assert_allclose(a.lcl, 5.0)
    assert_allclose(a.ucl, 5.0)
    assert a.flags == [[]] * 8
    assert a.variation_icon == "common_cause"


def test_all_equal_baseline_then_a_change_is_outside_the_limits() -> None:
    a = analyse([5.0] * 12 + [6.0], baseline=12)

    assert a.outside_limits.tolist() == [False] * 12 + [True]
    assert a.variation_icon == "improvement_high"


def test_one_point_has_a_centre_and_no_limits() -> None:
    a = analyse([7.5], target=3)

    assert a.centre.tolist() == [7.5]
    assert np.isnan(a.lcl[0]) and np.isnan(a.ucl[0])
    assert a.to_dict()["ucl"] == [None]
    assert a.variation_icon == "common_cause"
    # NHSRplotthedots compares the target with missing limits and falls through to "inconsistent".
    assert a.assurance_icon == "hit_and_miss"


def test_two_points_have_one_moving_range_and_limits() -> None:
    a = analyse([5, 7])

    assert_allclose(a.centre, 6.0)
    assert_allclose(a.lcl, 6 - 2.66 * 2)
    assert_allclose(a.ucl, 6 + 2.66 * 2)


def test_negative_values_give_unclamped_negative_limits() -> None:
    values = [-5, -3, -8, -2, -6, -4, -7, -5, -3, -6]
    a = analyse(values)

    assert a.centre[0] == pytest.approx(-4.9)
    assert a.lcl[0] < -10
    assert_allclose(a.lcl[0], np.mean(values) - 2.66 * np.abs(np.diff(values)).mean())


def test_missing_values_are_skipped_not_zero_and_gaps_are_not_bridged() -> None:
    values = [10, 12, 11, None, 13, 12, 11, 12]
    present = [10, 12, 11, 13, 12, 11, 12]
    # Moving ranges 2, 1, (11->None), (None->13), 1, 1, 1: the gap removes two of them.
    amr = np.mean([2, 1, 1, 1, 1])

    a = analyse(values)

    assert_allclose(a.centre, np.mean(present))
    assert_allclose(a.ucl, np.mean(present) + 2.66 * amr)
    assert np.isnan(a.values[3])
    assert a.point_type[3] == "common"
    assert a.to_dict()["values"][3] is None


def test_nan_is_missing_like_none() -> None:
    assert analyse([1, float("nan"), 3, 4]).to_dict() == analyse([1, None, 3, 4]).to_dict()


def test_all_missing_series_has_no_centre_and_no_icons() -> None:
    a = analyse([None, None, None], target=4)

    assert np.isnan(a.centre).all()
    assert a.point_type == ["common"] * 3
    assert a.variation_icon is None
    assert a.assurance_icon is None


def test_empty_series_is_an_empty_analysis() -> None:
    a = analyse([])

    assert len(a) == 0
    assert a.variation_icon is None
    assert a.to_dict()["centre"] == []


def test_baseline_fixes_centre_and_limits_on_the_first_points() -> None:
    values = [10, 11, 9, 10, 12, 10, 9, 11, 10, 11, 9, 10, 20, 21, 22, 20]
    base = values[:12]

    a = analyse(values, baseline=12)

    assert_allclose(a.centre, np.mean(base))
    assert_allclose(a.ucl, np.mean(base) + 2.66 * np.abs(np.diff(base)).mean())
    assert a.outside_limits[12:].all()
    assert a.baseline == 12


def test_baseline_under_12_is_accepted_with_a_warning() -> None:
    with pytest.warns(SPCWarning, match="baseline of 5 points"):
        a = analyse([1, 2, 3, 4, 5, 6, 7, 8], baseline=5)

    assert_allclose(a.centre, 3.0)


def test_baseline_longer_than_the_series_uses_every_point() -> None:
    assert_allclose(analyse(WORKED, baseline=50).ucl, analyse(WORKED).ucl)


def test_rebase_gives_each_period_its_own_centre_and_limits() -> None:
    first = [10, 11, 9, 10, 12, 10, 9, 11, 10, 11]
    second = [20, 22, 21, 19, 20, 21, 22, 20]

    a = analyse(first + second, rebase=[10])

    assert_allclose(a.centre[:10], np.mean(first))
    assert_allclose(a.centre[10:], np.mean(second))
    # No moving range across the boundary: the jump 11 -> 20 does not widen either period.
    assert_allclose(a.ucl[10:], np.mean(second) + 2.66 * np.abs(np.diff(second)).mean())
    assert a.periods.tolist() == [0] * 10 + [1] * 8
    assert a.to_dict()["rebase"] == [10]


def test_rebase_at_the_first_point_changes_nothing() -> None:
    assert analyse(WORKED, rebase=[0]).to_dict() == analyse(WORKED).to_dict()


def test_rebase_at_the_last_point_makes_a_one_point_period() -> None:
    a = analyse(WORKED, rebase=[9])

    assert a.centre[9] == 22.0
    assert np.isnan(a.ucl[9])
    assert a.variation_icon == "common_cause"
    assert_allclose(a.centre[:9], np.mean(WORKED[:9]))


def test_rebase_accepts_date_labels() -> None:
    dates = [f"2025-{m:02d}" for m in range(1, 11)]

    a = analyse(WORKED, dates=dates, rebase=["2025-06"])

    assert a.period_starts == (0, 5)


def test_baseline_applies_within_each_period() -> None:
    values = list(range(1, 21))

    with pytest.warns(SPCWarning):
        a = analyse(values, baseline=3, rebase=[10])

    assert_allclose(a.centre[:10], 2.0)
    assert_allclose(a.centre[10:], 12.0)


def test_short_periods_carry_a_trial_limits_note() -> None:
    assert analyse(WORKED).notes
    assert not analyse(list(range(20))).notes


def test_docstring_examples_run() -> None:
    import doctest

    import spiral.spc
    import spiral.spc._api
    import spiral.spc._validate

    for module in (spiral.spc, spiral.spc._api, spiral.spc._validate):
        assert doctest.testmod(module).failed == 0
