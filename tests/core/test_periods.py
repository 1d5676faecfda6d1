"""The one reader of dates and periods (spiral.core.periods): every form accepted, every refusal with its fix.

Measure periods (`period_start`, aligned to a frequency) are tested in tests/measurement/test_measurement_periods.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from spiral.core import periods
from spiral.core.periods import PeriodError, TwoDigitYear

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", D(2024, 3, 1)),
        ("2024-03-05", D(2024, 3, 5)),
        ("2024-3-5", D(2024, 3, 5)),
        ("2024-03-01 00:00:00", D(2024, 3, 1)),
        ("05/03/2024", D(2024, 3, 5)),
        ("5/3/2024", D(2024, 3, 5)),
        ("2024-03", D(2024, 3, 1)),
        ("Mar 2024", D(2024, 3, 1)),
        ("March 2024", D(2024, 3, 1)),
        ("Sept 2024", D(2024, 9, 1)),
        ("Mar-24", D(2024, 3, 1)),
        ("Mar'24", D(2024, 3, 1)),
        ("2024-W10", D(2024, 3, 4)),
        ("2024-Q2", D(2024, 4, 1)),
    ],
)
def test_first_day_reads_every_written_form_of_any_period(text, expected):
    assert periods.first_day(text) == expected


def test_first_day_reads_spreadsheet_cells():
    assert periods.first_day(dt.datetime(2024, 3, 5)) == D(2024, 3, 5)
    assert periods.first_day(D(2024, 3, 5)) == D(2024, 3, 5)
    assert periods.first_day(45748) == D(2025, 4, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01/03/24", "'01/03/24' has a two-digit year; write the year in full, like 01/04/2025"),
        ("2024/25", "'2024/25' is a financial year"),
        ("31/02/2024", "'31/02/2024' is not a real date"),
        ("2024-13", "'2024-13' is not a month"),
        ("03/01/2024 09:30", "is not a period Spiral can read"),
        ("soon", "'soon' is not a period Spiral can read; write the first day of the period as 2025-04-01"),
        ("", "the period is empty"),
    ],
)
def test_first_day_refuses_what_it_cannot_read_with_a_fix(text, message):
    with pytest.raises(PeriodError) as caught:
        periods.first_day(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("reader", [periods.first_day, periods.parse_date, periods.parse_month])
def test_a_two_digit_year_is_refused_by_every_reader_as_its_own_kind(reader):
    with pytest.raises(TwoDigitYear, match="write the year in full"):
        reader("01/04/25")
    assert issubclass(TwoDigitYear, PeriodError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-01", D(2025, 4, 1)),
        ("2025-04-17", D(2025, 4, 17)),
        ("17/04/2025", D(2025, 4, 17)),
        (" 1/4/2025 ", D(2025, 4, 1)),
        (D(2025, 4, 17), D(2025, 4, 17)),
        (dt.datetime(2025, 4, 17), D(2025, 4, 17)),
        (45748, D(2025, 4, 1)),
    ],
)
def test_parse_date_reads_iso_and_uk_dates_and_date_cells(value, expected):
    assert periods.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-04", "'2025-04' is not a date; write it as 2025-04-01 or 01/04/2025"),
        ("April 2025", "'April 2025' is not a date; write it as 2025-04-01 or 01/04/2025"),
        ("04/17/2025", "'04/17/2025' is not a real date"),
        ("01/04/25", "'01/04/25' has a two-digit year; write the year in full, like 01/04/2025"),
        ("٢٠٢٥-٠٤-٠١", "is not a date"),
        (dt.datetime(2025, 4, 1, 9, 30), "has a time of day; give the date alone"),
        (1.5, "'1.5' is not a date"),
        ("", "the date is empty"),
    ],
)
def test_parse_date_refuses_what_is_not_a_day_with_a_fix(value, message):
    with pytest.raises(PeriodError) as caught:
        periods.parse_date(value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03", D(2025, 3, 1)),
        ("Mar 2025", D(2025, 3, 1)),
        ("March 2025", D(2025, 3, 1)),
        ("2025-03-01", D(2025, 3, 1)),
        ("01/03/2025", D(2025, 3, 1)),
        (D(2025, 3, 17), D(2025, 3, 1)),
        (dt.datetime(2025, 3, 17, 12), D(2025, 3, 1)),
    ],
)
def test_parse_month_reads_a_month_as_its_first_day(value, expected):
    assert periods.parse_month(value) == expected


@pytest.mark.parametrize("text", ["2025-13", "2025-03-17", "2025-Q1", "2024/25", "soon", ""])
def test_parse_month_refuses_anything_else_with_one_message(text):
    with pytest.raises(PeriodError) as caught:
        periods.parse_month(text)
    assert str(caught.value) == f"'{text}' is not a month; write it as YYYY-MM, for example 2025-03"


def test_the_forms_date_field_reads_with_parse_date():
    from django.core.exceptions import ValidationError

    from spiral.core.forms import WindowedDateField

    field = WindowedDateField(window=periods.RECORD_DATE)
    assert field.clean("2025-04-17") == D(2025, 4, 17)
    assert field.clean("17/04/2025") == D(2025, 4, 17)
    with pytest.raises(ValidationError, match="two-digit year; write the year in full, like 01/04/2025"):
        field.clean("17/04/25")
    for text in ("٢٠٢٥-٠٤-١٧", "31/02/2025", "April 2025"):
        with pytest.raises(ValidationError, match="Enter a valid date"):
            field.clean(text)
