"""The one SVG axis module (spiral.core.axes): nice ticks and linear scales, pure Python."""

from __future__ import annotations

import math

import pytest

from spiral.core.axes import linear_scale, nice_step, nice_ticks


def test_ticks_are_round_steps_across_the_range():
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3, 47) == [10.0, 20.0, 30.0, 40.0]
    assert nice_ticks(0, 0.9, 4) == [0.0, 0.25, 0.5, 0.75]


def test_the_step_is_one_two_two_and_a_half_or_five_times_a_power_of_ten():
    assert [nice_step(0, high) for high in (1, 9, 12, 30, 4000)] == [0.2, 2, 2.5, 10, 1000]


def test_ticks_carry_no_floating_point_noise():
    assert nice_ticks(0.1, 0.7, 6) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


@pytest.mark.parametrize("low, high", [(5, 5), (5, 1)])
def test_an_empty_or_reversed_range_gives_its_low_end(low, high):
    assert nice_ticks(low, high) == [low]


def test_a_range_with_a_missing_end_gives_no_ticks_past_what_is_known():
    assert nice_ticks(math.nan, 1) == []
    assert nice_ticks(0, math.inf) == [0]


def test_the_funnels_own_enumeration_can_stop_short_of_the_top():
    # 0.7 + 3 * 0.1 lands a hair above 1.0: the funnel and trend charts have always left that tick out.
    assert nice_ticks(0.6158, 1.0, 4) == [0.7, 0.8, 0.9, 1.0]
    assert nice_ticks(0.6158, 1.0, 4, through_high=False) == pytest.approx([0.7, 0.8, 0.9])


def test_the_funnels_enumeration_otherwise_gives_the_same_ticks():
    assert nice_ticks(0, 1234, through_high=False) == nice_ticks(0, 1234)


def test_a_scale_maps_the_ends_of_its_domain_to_the_ends_of_its_span():
    y = linear_scale((10, 20), (300, 100))
    assert (y(10), y(15), y(20)) == (300, 200, 100)


def test_a_scale_extends_past_its_domain():
    x = linear_scale((0, 4), (0, 100))
    assert (x(-1), x(5)) == (-25, 125)


def test_an_empty_domain_is_one_unit_wide():
    y = linear_scale((3, 3), (22, 2))
    assert (y(3), y(4)) == (22, 42)
