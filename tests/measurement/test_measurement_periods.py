# ruff: noqa: E501
from __future__ import annotations

import datetime as dt

import pytest

from spiral.core import periods
from spiral.core.periods import PeriodError, period_start

D = dt.date


@pytest.mark.parametrize(
    ("text", "frequency", "expected"),
    [
        ("2025-03-01", "month", D(2025, 3, 1)),
        ("01/03/2025", "month", D(2025, 3, 1)),
        ("1/3/2025", "month", D(2025, 3, 1)),
        ("2025-03", "month", D(2025, 3, 1)),
        ("Mar-25", "month", D(2025, 3, 1)),
        ("March 2025", "month", D(2025, 3, 1)),
        ("2025-W09", "week", D(2025, 2, 24)),
        ("2025-02-24", "week", D(2025, 2, 24)),
        ("2025-Q2", "quarter", D(2025, 4, 1)),
        ("2025-04", "quarter", D(2025, 4, 1)),
        ("01/04/2025", "quarter", D(2025, 4, 1)),
        ("2025-03-04", "day", D(2025, 3, 4)),
        ("04/03/2025", "day", D(2025, 3, 4)),
        ("2025-03-01 00:00:00", "month", D(2025, 3, 1)),
        ("2011-12", "month", D(2011, 12, 1)),
    ],
)
def test_every_written_form_of_a_period_gives_its_first_day(text, frequency, expected):
    assert period_start(text, frequency) == expected


def test_spreadsheet_date_cells_and_excel_serial_numbers_are_read():
    assert period_start(dt.datetime(2025, 4, 1), "month") == D(2025, 4, 1)
    assert period_start(D(2025, 4, 1), "month") == D(2025, 4, 1)
    assert period_start(45748, "month") == D(2025, 4, 1)


@pytest.mark.parametrize(
    ("text", "frequency", "message"),
    [
        (
            "15/03/2025",
            "month",
            "'15/03/2025' is not the start of a month; this measure is monthly: give the first day of the period (01/03/2025) or 2025-03",
        ),
        ("2025-03-05", "week", "is not the start of a week (a Monday)"),
        ("2024/25", "month", "'2024/25' is a financial year"),
        ("2024-25", "month", "is a financial year"),
        ("2025-13", "month", "'2025-13' is not a month"),
        ("2025-03", "week", "names a month, but this measure is weekly"),
        ("2025-Q1", "month", "names a quarter, but this measure is monthly"),
        ("Mar-25", "week", "only monthly measures accept"),
        ("31/02/2025", "day", "is not a real date"),
        ("01/04/25", "month", "two-digit year"),
        ("soon", "month", "is not a period Spiral can read"),
        ("", "month", "the period is empty"),
        ("2025-W60", "week", "is not an ISO week"),
    ],
)
def test_unreadable_or_misaligned_periods_are_refused_with_a_fix(text, frequency, message):
    with pytest.raises(PeriodError) as caught:
        period_start(text, frequency)
    assert message in str(caught.value)


def test_a_datetime_with_a_time_of_day_is_refused_not_moved():
    with pytest.raises(PeriodError, match="time of day"):
        period_start(dt.datetime(2025, 4, 1, 9, 30), "month")


def test_calendar_lists_every_period_between_two_starts():
    assert periods.calendar(D(2024, 11, 1), D(2025, 2, 1), "month") == [
        D(2024, 11, 1),
        D(2024, 12, 1),
        D(2025, 1, 1),
        D(2025, 2, 1),
    ]
    assert periods.calendar(D(2024, 12, 30), D(2025, 1, 13), "week") == [
        D(2024, 12, 30),
        D(2025, 1, 6),
        D(2025, 1, 13),
    ]
    assert periods.calendar(D(2024, 10, 1), D(2025, 1, 1), "quarter") == [D(2024, 10, 1), D(2025, 1, 1)]


@pytest.mark.parametrize(
    ("day", "frequency", "label"),
    [
        (D(2025, 2, 24), "week", "2025-W09"),
        (D(2025, 3, 1), "month", "2025-03"),
        (D(2025, 4, 1), "quarter", "2025-Q2"),
        (D(2025, 3, 4), "day", "2025-03-04"),
    ],
)
def test_labels_read_back_to_the_same_period(day, frequency, label):
    assert periods.label(day, frequency) == label
    assert period_start(label, frequency) == day


def test_period_index_counts_consecutive_periods():
    for frequency in periods.FREQUENCIES:
        start = period_start("2024-01-01", frequency)
        following = periods.next_start(start, frequency)
        assert periods.index(following, frequency) - periods.index(start, frequency) == 1
        assert periods.from_index(periods.index(start, frequency), frequency) == start
