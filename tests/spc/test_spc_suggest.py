"""spc.suggest_rebase: a recalculation offered where a sustained shift follows an annotated change."""

from __future__ import annotations

import numpy as np
import pytest

from spiral.spc import analyse, suggest_rebase

BEFORE = [10, 11, 9, 10, 12, 9, 11, 10, 12, 9]  # mean 10.3
AFTER = [20, 21, 19, 20, 22, 19, 21, 20, 20, 21, 19, 22]  # 12 points well above the overall mean


def test_a_shift_starting_at_the_change_is_suggested():
    a = analyse(BEFORE + AFTER)
    assert suggest_rebase(a, [10]) == [10]


def test_a_shift_starting_within_the_window_after_the_change_is_suggested_and_not_beyond():
    # The change in period 8; the shift begins at 10, two points later.
    a = analyse(BEFORE + AFTER)
    assert suggest_rebase(a, [8]) == [8]
    assert suggest_rebase(a, [8], window=1) == []
    assert suggest_rebase(a, [6]) == []  # four points before the shift: not this change's doing


def test_no_shift_no_suggestion():
    rng = np.random.default_rng(3)
    values = (10 + rng.normal(0, 1, 30)).round(2)
    a = analyse(values)
    assert not a.rule("shift")[12:].any()  # the hand case really has no shift after the change
    assert suggest_rebase(a, [12]) == []


def test_too_few_points_after_the_change_no_suggestion():
    a = analyse(BEFORE + AFTER[:10])  # a shift of 10 points: a signal, but too few for new limits
    assert a.rule("shift")[10:].all()
    assert suggest_rebase(a, [10]) == []
    assert suggest_rebase(a, [10], min_points=10) == [10]


def test_missing_values_do_not_count_as_points():
    values = [float(v) for v in BEFORE + AFTER]
    values[-1] = np.nan  # 11 observed points from the change
    assert suggest_rebase(analyse(values), [10]) == []


def test_already_rebased_there_no_suggestion():
    a = analyse(BEFORE + AFTER, rebase=[10])
    assert suggest_rebase(a, [10]) == []


def test_a_change_at_the_start_or_outside_the_series_is_ignored():
    a = analyse(AFTER + AFTER)
    assert suggest_rebase(a, [0, -1, 99]) == []


def test_a_downward_shift_is_suggested_too_and_results_are_sorted_unique():
    a = analyse(AFTER[:10] + BEFORE + BEFORE[:2])
    assert suggest_rebase(a, [10, 10, 9]) == [9, 10]


def test_bad_window_or_min_points_is_a_clear_error():
    a = analyse(BEFORE + AFTER)
    with pytest.raises(ValueError, match="window"):
        suggest_rebase(a, [10], window=-1)
    with pytest.raises(ValueError, match="min_points"):
        suggest_rebase(a, [10], min_points=0)
