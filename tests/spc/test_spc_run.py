"""Run charts with Anhøj's rules as qicharts2 applies them (docs/reference/spc.md §7)."""

from __future__ import annotations

import numpy as np
import pytest

from spiral.spc import analyse
from spiral.spc._kernel import crossings_min, longest_run_max

# docs/reference/spc.md §7 threshold table: n_useful -> (longest run must exceed, crossings must be
# fewer than).
THRESHOLDS = {
    10: (6, 2),
    12: (7, 3),
    14: (7, 4),
    16: (7, 4),
    18: (7, 5),
    20: (7, 6),
    22: (7, 7),
    24: (8, 8),
    26: (8, 8),
    28: (8, 9),
    30: (8, 10),
    36: (8, 13),
    40: (8, 14),
}


@pytest.mark.parametrize(("n_useful", "limits"), THRESHOLDS.items())
def test_thresholds_match_the_table_in_spc_md_section_7(n_useful: int, limits: tuple[int, int]) -> None:
    assert (longest_run_max(n_useful), crossings_min(n_useful)) == limits


def test_crossings_min_is_the_binomial_fifth_percentile() -> None:
    # Brute force: smallest k with P(X <= k) >= 0.05 for X ~ Bin(m, 1/2), in floating point.
    from math import comb

    for n in range(1, 80):
        m = n - 1
        cdf = np.cumsum([comb(m, j) / 2**m for j in range(m + 1)])
        assert crossings_min(n) == int(np.argmax(cdf >= 0.05)), n


def test_run_chart_has_a_median_centre_and_no_limits_flags_or_icons() -> None:
    a = analyse([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], chart="run", target=4)

    d = a.to_dict()
    assert d["centre"] == [4.0] * 11
    assert d["lcl"] == [None] * 11 and d["ucl"] == [None] * 11
    assert d["flags"] == [[]] * 11
    assert d["point_type"] == ["common"] * 11
    assert d["variation_icon"] is None and d["assurance_icon"] is None


def test_median_of_an_even_count_is_the_mean_of_the_middle_pair() -> None:
    assert analyse(list(range(10)), chart="run").centre[0] == 4.5


def test_points_on_the_median_are_dropped_from_the_runs_analysis() -> None:
    values = [5, 7, 6, 6, 3, 6, 8, 2, 6, 9, 6, 1, 6]

    r = analyse(values, chart="run").runs

    assert r is not None
    assert r.n_useful == 7
    assert r.longest_run == 1
    assert r.crossings == 6


def test_a_point_on_the_median_inside_a_run_neither_breaks_nor_extends_it() -> None:
    values = [1, 2, 1, 2, 5, 9, 9, 9, 5, 9, 9, 9, 9, 1, 2]

    r = analyse(values, chart="run").runs

    assert analyse(values, chart="run").centre[0] == 5
    assert r.longest_run == 7  # seven 9s either side of the 5 on the median


def test_a_shift_gives_a_long_run_and_few_crossings() -> None:
    values = [1, 2, 1, 3, 2, 1, 2, 3, 1, 2, 8, 9, 8, 7, 9, 8, 9, 7, 8, 9]

    d = analyse(values, chart="run").to_dict()

    assert d["longest_run"] == 10 and d["longest_run_max"] == 7
    assert d["long_run"] is True
    assert d["crossings"] == 1 and d["crossings_min"] == 6
    assert d["few_crossings"] is True


def test_random_looking_data_gives_no_signal() -> None:
    values = [5, 3, 6, 2, 7, 4, 8, 1, 6, 3, 7, 2, 5, 4, 8, 3]

    r = analyse(values, chart="run").runs

    assert not r.long_run and not r.few_crossings


def test_missing_values_are_ignored_by_the_median_and_the_runs() -> None:
    with_gap = analyse([1, 5, None, 2, 6, 3, 7], chart="run")
    without = analyse([1, 5, 2, 6, 3, 7], chart="run")

    assert with_gap.centre[0] == without.centre[0]
    assert with_gap.runs == without.runs


def test_baseline_fixes_the_median_but_the_runs_use_every_point() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]

    with pytest.warns(UserWarning):
        r = analyse(values, chart="run", baseline=4).to_dict()

    assert r["centre"][0] == 2.5
    assert r["n_useful"] == 14
    assert r["longest_run"] == 12


def test_run_chart_with_no_useful_point_has_no_signal() -> None:
    d = analyse([4, 4, 4], chart="run").to_dict()

    assert d["n_useful"] == 0
    assert d["longest_run"] is None and d["crossings"] is None
    assert d["long_run"] is False and d["few_crossings"] is False


def test_run_chart_rebase_reports_the_latest_period() -> None:
    a = analyse([1, 9, 1, 9, 1, 9, 5, 6, 7, 8, 9, 10, 11, 12], chart="run", rebase=[6])

    assert a.centre[0] == 5 and a.centre[6] == 8.5
    assert a.runs.n_useful == 8
    assert a.runs.crossings == 1
