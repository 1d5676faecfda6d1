"""The one number parser (spiral.core.numbers): what people write is read, Python's extras are not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from spiral.core import numbers, periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4.0),
        ("-4.5", -4.5),
        ("+4.5", 4.5),
        (".5", 0.5),
        ("4.", 4.0),
        ("1,234", 1234.0),
        ("1,234,567.25", 1234567.25),
        ("1 234 567", 1234567.0),
        ("1\u00a0234", 1234.0),
        ("1.5E-05", 0.000015),
        ("2.1E+11", 2.1e11),
        ("  7  ", 7.0),
        (12, 12.0),
        (0.25, 0.25),
        (Decimal("2.5"), 2.5),
    ],
)
def test_numbers_as_people_and_spreadsheets_write_them_are_read(text, expected):
    assert numbers.parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1_000", "underscore"),
        ("\u0661\u0662", "digits other than 0 to 9"),  # Arabic-Indic digits
        ("\uff11\uff12", "digits other than 0 to 9"),  # full-width digits
        ("4,5", "decimal comma"),
        ("1.2.3", "more than one decimal point"),
        ("inf", "not a number"),
        ("nan", "not a number"),
        ("-Infinity", "not a number"),
        ("1e308", "outside the range"),
        ("1e999", "far too large"),
        ("12,34,567", "not a number"),
        ("1 2 3", "not a number"),
        ("four", "not a number"),
        ("", "empty"),
        ("95%", "percentage"),
        (True, "not a number"),
        (None, "not a number"),
        (float("nan"), "not a finite number"),
    ],
)
def test_what_float_would_let_through_is_refused_with_a_reason(text, says):
    with pytest.raises(numbers.NumberError) as caught:
        numbers.parse_number(text)
    assert says in str(caught.value)


def test_a_percentage_is_read_where_the_field_allows_it():
    assert numbers.parse_number("95%", percent_ok=True) == 95.0


def test_every_field_has_a_range_and_the_message_gives_it():
    with pytest.raises(numbers.NumberError) as caught:
        numbers.parse_number("11", minimum=0, maximum=10, what="score")
    assert "0 to 10" in str(caught.value)
    assert "score" in str(caught.value)


def test_a_count_must_be_whole():
    assert numbers.parse_whole("1,200") == 1200
    with pytest.raises(numbers.NumberError, match="not a whole number"):
        numbers.parse_whole("2.5")
    with pytest.raises(numbers.NumberError, match="outside the range"):
        numbers.parse_whole("-1")


def test_number_problem_returns_the_message_or_none():
    assert numbers.number_problem("4") is None
    assert "underscore" in numbers.number_problem("1_0")


TODAY = dt.date(2026, 6, 15)


def test_a_progress_month_of_1066_is_outside_its_window():
    assert "check the year" in periods.PROGRESS_MONTH.problem(dt.date(1066, 10, 1), TODAY)
    assert periods.PROGRESS_MONTH.problem(dt.date(2000, 1, 1), TODAY) is None
    assert periods.PROGRESS_MONTH.problem(dt.date(2027, 12, 1), TODAY) is None
    assert periods.PROGRESS_MONTH.problem(dt.date(2028, 1, 1), TODAY) is not None


def test_an_observation_period_in_the_future_is_a_warning_and_beyond_next_year_a_refusal():
    window = periods.OBSERVATION_PERIOD
    assert window.problem(dt.date(1900, 1, 1), TODAY) is None
    assert window.problem(dt.date(1899, 12, 1), TODAY) is not None
    assert window.warning(dt.date(2026, 6, 15), TODAY) is None
    assert "in the future" in window.warning(dt.date(2026, 7, 1), TODAY)
    assert window.problem(dt.date(2027, 12, 1), TODAY) is None
    assert window.problem(dt.date(2028, 1, 1), TODAY) is not None
    with pytest.raises(periods.PeriodError):
        window.check(dt.date(2205, 1, 1), TODAY)
