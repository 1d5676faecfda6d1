"""Bad input raises SPCError (a ValueError) that names the problem and its position."""

from __future__ import annotations

import numpy as np
import pytest

from spiral.spc import SPCError, analyse, analyse_many


def test_spc_error_is_a_value_error() -> None:
    assert issubclass(SPCError, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1, 2, 3, "abc"]}, r"values\[3\]: 'abc' is not a number"),
        ({"values": [1, True, 3]}, r"values\[1\]: True is not a number"),
        ({"values": [1, float("inf")]}, r"values\[1\]: inf is not a finite number"),
        ({"values": "1,2,3"}, r"values: expected a sequence of numbers, got a string"),
        ({"values": np.array(["1", "2"])}, r"values\[0\]: .* is not a number"),
        ({"values": [1, 2], "chart": "xbar"}, r"chart: 'xbar' is not a chart type"),
        ({"values": [1, 2], "improvement": "up"}, r"improvement: 'up' is not an improvement direction"),
        ({"values": [1, 2], "baseline": 1}, r"baseline: 1 is too short"),
        ({"values": [1, 2], "baseline": 2.5}, r"baseline: 2.5 is not a whole number"),
        ({"values": [1, 2, 3], "rebase": [5]}, r"rebase\[0\]: index 5 is out of range for 3 values"),
        ({"values": [1, 2, 3], "rebase": [-1]}, r"rebase\[0\]: index -1 is out of range"),
        ({"values": [1, 2, 3], "rebase": ["May"]}, r"rebase\[0\]: 'May' is not a point index"),
        ({"values": [1, 2, 3], "dates": ["a", "b"]}, r"dates: 2 labels given for 3 values"),
        ({"values": [1, 2, 3], "target": [1, 2]}, r"target: a trajectory of 2 values given for 3 values"),
        ({"values": [1, 2, 3], "target": "high"}, r"target: 'high' is not a number"),
        ({"values": [1, 2], "chart": "p"}, r"denominators: a p chart needs denominators"),
        ({"values": [1, 2], "chart": "u", "denominators": [1]}, r"denominators: 1 given for 2 values"),
        (
            {"values": [1, 2], "chart": "p", "denominators": [5, -5]},
            r"denominators\[1\]: -5 is not",
        ),
        (
            {"values": [1, 7], "chart": "p", "denominators": [5, 5]},
            r"values\[1\]: numerator 7 is",
        ),
        ({"values": [1, -1], "chart": "u", "denominators": [5, 5]}, r"values\[1\]: -1 is negative"),
        ({"values": [1, -1], "chart": "c"}, r"values\[1\]: -1 is negative"),
        ({"values": [1, 2], "denominators": [5, 5]}, r"denominators: a xmr chart takes no denominators"),
        ({"values": [1, 2], "screen_outliers": "yes"}, r"screen_outliers"),
    ],
)
def test_bad_input_to_analyse_raises_spc_error_naming_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(SPCError, match=message):
        analyse(**kwargs)


def test_numerators_above_denominators_are_fine_on_a_u_chart() -> None:
    assert analyse([12, 30], chart="u", denominators=[5, 10]).centre[0] == pytest.approx(42 / 15)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 1, 2], [1.0, 2.0]), {}, r"series: 3 ids given for 2 values"),
        (([1, 1, 2, 2, 1], [1.0] * 5), {}, r"series: id 1 appears in separate blocks \(points 0 and 4\)"),
        (([1.5, 1.5], [1.0, 2.0]), {}, r"series: ids must be integers"),
        (([1, 1], [1.0, "x"]), {}, r"values\[1\]: 'x' is not a number"),
        (([1, 1, 2], [1.0, 2.0, 3.0]), {"improvement": ["increase"]}, r"improvement: 1 entries given for 2"),
        (([1, 1, 2], [1.0, 2.0, 3.0]), {"improvement": ["increase", "up"]}, r"improvement\[1\]: 'up'"),
        (([1, 1, 2], [1.0, 2.0, 3.0]), {"target": [1.0, 2.0, 3.0]}, r"target: 3 entries given for 2 series"),
        (([1, 1, 2], [1.0, 2.0, 3.0]), {"baseline": [12, 1]}, r"baseline\[1\]: 1 is too short"),
        (([1, 1], [1.0, 2.0]), {"chart": "p", "denominators": [1.0, 0.0]}, r"denominators\[1\]: 0"),
    ],
)
def test_bad_input_to_analyse_many_raises_spc_error(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(SPCError, match=message):
        analyse_many(*args, **kwargs)
