"""The one set of missing-value markers (spiral.core.values), shared by observation cells and `spiral spc`."""

from __future__ import annotations

import math

import pytest

from spiral.core.values import MISSING_MARKERS, is_missing


@pytest.mark.parametrize(
    "cell",
    [
        None,
        math.nan,
        "",
        "  ",
        "*",
        "**",
        "..",
        ".",
        "-",
        "–",
        "—",
        "N/A",
        "na",
        "#N/A",
        "NULL",
        "None",
        "x",
        "c",
    ],
)
def test_blank_and_suppression_markers_are_missing(cell):
    assert is_missing(cell)


@pytest.mark.parametrize("cell", [0, 0.0, "0", "nil", "n.a", "xx", "***", "12", "NaN text"])
def test_values_and_other_text_are_not_missing(cell):
    assert not is_missing(cell)


def test_the_markers_are_written_in_lower_case_and_trimmed():
    assert all(marker == marker.strip().casefold() for marker in MISSING_MARKERS)
