"""The four MDC rules, the winning rule per point and the icons (docs/reference/spc.md §3, §4 and §5)."""

from __future__ import annotations

import numpy as np
import pytest

from spiral.spc import analyse

# A quiet stretch starting and ending on its mean, exactly 10; AMR 20/11, so limits 5.16 .. 14.84
# and two-sigma lines 6.78 .. 13.22.
QUIET = [10, 9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 10]


def flagged(a, rule: str) -> list[int]:
    return np.flatnonzero(a.rule(rule)).tolist()


# -- outside_limits ---------------------------------------------------------------------------


def test_a_point_beyond_the_ucl_is_flagged_and_one_on_it_is_not() -> None:
    base = analyse([*QUIET, 10], baseline=12)
    ucl = base.ucl[0]

    a = analyse([*QUIET, ucl, ucl + 0.01], baseline=12)

    assert flagged(a, "outside_limits") == [13]


def test_a_point_below_the_lcl_is_concern_under_increase() -> None:
    a = analyse([*QUIET, 1], baseline=12)

    assert a.point_type[-1] == "concern"
    assert a.variation_icon == "concern_low"


# -- shift ------------------------------------------------------------------------------------


def test_seven_points_above_the_mean_are_a_shift_and_six_are_not() -> None:
    seven = analyse(QUIET + [12] * 7, baseline=12)
    six = analyse(QUIET + [12] * 6, baseline=12)

    assert flagged(seven, "shift") == list(range(12, 19))
    assert flagged(six, "shift") == []


def test_every_point_of_a_long_shift_is_flagged() -> None:
    a = analyse(QUIET + [8] * 9, baseline=12)

    assert flagged(a, "shift") == list(range(12, 21))
    assert set(a.point_type[12:]) == {"concern"}


def test_a_point_exactly_on_the_mean_breaks_a_shift() -> None:
    # docs/reference/spc.md §9.3 (NHSRplotthedots): the point on the mean is neither above nor below.
    a = analyse([*QUIET, 12, 12, 12, 10, 12, 12, 12, 12, 12, 12], baseline=12)

    assert a.centre[0] == 10.0
    assert flagged(a, "shift") == []


def test_a_missing_value_inside_a_shift_window_stops_it_firing() -> None:
    a = analyse([*QUIET, 12, 12, 12, None, 12, 12, 12, 12], baseline=12)

    assert flagged(a, "shift") == []


# -- trend ------------------------------------------------------------------------------------


def test_seven_rising_points_are_a_trend_and_six_are_not() -> None:
    seven = analyse([5, 1, 2, 3, 4, 5, 6, 7, 5])
    six = analyse([5, 1, 2, 3, 4, 5, 6, 5])

    assert flagged(seven, "trend") == list(range(1, 8))
    assert flagged(six, "trend") == []


def test_a_tie_breaks_a_trend() -> None:
    a = analyse([5, 1, 2, 3, 4, 4, 5, 6, 7, 5])

    assert flagged(a, "trend") == []


def test_a_trend_may_cross_the_mean_and_takes_its_own_direction() -> None:
    a = analyse([9, 11, 9, 11, 9, 11, 8, 9, 10, 11, 12, 13, 14, 10], improvement="decrease")

    assert flagged(a, "trend") == list(range(6, 13))
    assert set(a.point_type[6:13]) == {"concern"}


def test_a_falling_trend_above_the_mean_is_concern_under_increase() -> None:
    # docs/reference/spc.md §4: the trend beats the shift even though the points sit above the mean.
    values = [*QUIET, 14, 13.8, 13.6, 13.4, 13.2, 13.0, 12.8]

    a = analyse(values, baseline=12)

    assert flagged(a, "shift") == list(range(12, 19))
    assert flagged(a, "trend") == list(range(12, 19))
    assert set(a.point_type[12:]) == {"concern"}
    assert a.variation_icon == "concern_low"


def test_trend_junction_takes_the_step_to_the_next_point() -> None:
    # docs/reference/spc.md §4: the peak belongs to a rising and a falling trend; its next point is in a
    # trend, so it takes the downward step (NHSRplotthedots ptd_special_cause_type).
    values = [10, 0, 20, 10, 8, 9, 10, 11, 12, 13, 14, 13, 12, 11, 10, 9, 8]

    a = analyse(values, improvement="decrease")

    assert not a.outside_limits[4:].any()
    assert a.direction[4:].tolist() == [1] * 6 + [-1] * 7
    assert a.point_type[10] == "improvement"


def test_trend_junction_at_the_end_of_the_series_uses_the_previous_step() -> None:
    a = analyse([1, 2, 3, 4, 5, 6, 7])

    assert a.direction[-1] == 1
    assert a.variation_icon == "improvement_high"


def test_trend_junction_with_a_tie_between_two_trends_counts_as_decreasing_like_the_peer() -> None:
    # Points 0-6 rise, 7-13 rise again from the same level: at point 6 the next point is in a trend
    # and the step to it is 0; NHSRplotthedots labels any non-rising step "Decreasing".
    values = [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13]

    a = analyse(values)

    assert flagged(a, "trend") == list(range(14))
    assert a.direction[6] == -1
    assert a.point_type[6] == "concern"


def test_a_missing_value_inside_a_trend_window_stops_it_firing() -> None:
    a = analyse([5, 1, 2, 3, None, 5, 6, 7, 8, 5])

    assert flagged(a, "trend") == []


# -- two of three ---------------------------------------------------------------------------


def test_two_of_three_beyond_two_sigma_on_one_side_flags_the_close_points_only() -> None:
    a = analyse([*QUIET, 14, 11, 14], baseline=12)

    assert flagged(a, "two_of_three") == [12, 14]
    assert a.point_type[13] == "common"


def test_two_of_three_needs_all_three_points_on_the_same_side() -> None:
    a = analyse([*QUIET, 14, 9, 14], baseline=12)

    assert flagged(a, "two_of_three") == []


def test_a_point_outside_the_limits_is_not_close_for_two_of_three() -> None:
    # docs/reference/spc.md §9.6: close, outside, close -> the close points fire, the outside point is
    # outside only.
    a = analyse([*QUIET, 14, 16, 14], baseline=12)

    assert flagged(a, "two_of_three") == [12, 14]
    assert flagged(a, "outside_limits") == [13]


def test_one_close_point_and_one_outside_point_do_not_make_two_of_three() -> None:
    a = analyse([*QUIET, 14, 16, 11], baseline=12)

    assert flagged(a, "two_of_three") == []


# -- short series and precedence -----------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_rules_needing_more_points_than_there_are_do_not_fire(n: int) -> None:
    a = analyse(list(range(n)))

    assert flagged(a, "shift") == [] and flagged(a, "trend") == []


def test_flags_list_every_rule_that_fires() -> None:
    a = analyse([*QUIET, 12, 12.5, 13, 13.5, 14, 16, 20], baseline=12)

    assert set(a.flags[-1]) == {"outside_limits", "shift", "trend"}


def test_outside_limits_wins_over_a_trend_in_the_other_direction() -> None:
    # A rising trend whose first point is below the LCL: that point is down (outside wins), the
    # rest up (the trend beats the close point at 6 too).
    a = analyse([*QUIET, 1, 6, 7, 8, 9, 9.5, 10], baseline=12)

    assert a.direction[12:].tolist() == [-1, 1, 1, 1, 1, 1, 1]


# -- point types and icons -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "last", "point_type", "icon"),
    [
        ("increase", 30, "improvement", "improvement_high"),
        ("increase", -10, "concern", "concern_low"),
        ("decrease", 30, "concern", "concern_high"),
        ("decrease", -10, "improvement", "improvement_low"),
        ("neutral", 30, "neutral", "neither_high"),
        ("neutral", -10, "neutral", "neither_low"),
        ("increase", 10, "common", "common_cause"),
        ("neutral", 10, "common", "common_cause"),
    ],
)
def test_variation_icon_table_of_spc_md_section_5(
    improvement: str, last: float, point_type: str, icon: str
) -> None:
    a = analyse([*QUIET, last], baseline=12, improvement=improvement)

    assert a.point_type[-1] == point_type
    assert a.variation_icon == icon


def test_a_signal_that_has_ended_gives_common_cause() -> None:
    a = analyse([*QUIET, 30, 10], baseline=12)

    assert a.point_type[12] == "improvement"
    assert a.variation_icon == "common_cause"


def test_icons_describe_the_latest_non_missing_point() -> None:
    a = analyse([*QUIET, 30, None], baseline=12)

    assert a.variation_icon == "improvement_high"
    assert a.latest_index == 12


@pytest.mark.parametrize(
    ("improvement", "target", "icon"),
    [
        ("increase", 20, "fail"),
        ("increase", 10, "hit_and_miss"),
        ("increase", 0, "pass"),
        ("decrease", 20, "pass"),
        ("decrease", 10, "hit_and_miss"),
        ("decrease", 0, "fail"),
        ("neutral", 20, None),
    ],
)
def test_assurance_icon_table_of_spc_md_section_5(improvement: str, target: float, icon: str | None) -> None:
    assert analyse(QUIET, improvement=improvement, target=target).assurance_icon == icon


def test_a_target_exactly_on_a_limit_is_hit_and_miss() -> None:
    a = analyse(QUIET)

    assert analyse(QUIET, target=a.ucl[0]).assurance_icon == "hit_and_miss"
    assert analyse(QUIET, target=a.lcl[0], improvement="decrease").assurance_icon == "hit_and_miss"


def test_no_target_gives_no_assurance_icon() -> None:
    assert analyse(QUIET).assurance_icon is None


def test_a_trajectory_is_compared_at_the_latest_point() -> None:
    trajectory = [20] * 11 + [0]

    a = analyse(QUIET, target=trajectory)

    assert a.assurance_icon == "pass"
    assert a.to_dict()["target"] == [20.0] * 11 + [0.0]


def test_assurance_uses_the_latest_period_limits() -> None:
    a = analyse([*QUIET, 50, 52, 50, 52, 50, 52], rebase=[12], target=40)

    assert a.assurance_icon == "pass"
