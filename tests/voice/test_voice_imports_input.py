"""FFT imports read counts with the one number parser and refuse periods outside their window."""

from __future__ import annotations

import datetime as dt

import pytest

from spiral.organisations.models import Unit
from spiral.voice.imports import import_fft
from spiral.voice.models import ImportedCounts
from tests.factories import FeedbackFormFactory

HEADER = "unit_code,period,very_good,good,neither,poor,very_poor,dont_know,total\n"


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ('RAA,2025-03,"1_000",5,1,1,0,3,', "very_good", "underscore"),
        ("RAA,2025-03,\u0661\u0662,5,1,1,0,3,", "very_good", "digits other than 0 to 9"),
        ("RAA,2025-03,2.5,5,1,1,0,3,", "very_good", "not a whole number"),
        ("RAA,2025-03,99999999999,5,1,1,0,3,", "very_good", "outside the range"),
        ("RAA,1066-10,1,5,1,1,0,3,", "period", "check the year"),
        ("RAA\x1b,2025-03,1,5,1,1,0,3,", "unit_code", "control character"),
        ("RAA,2025-03,1,5,1,1,0", "dont_know", "the header has 9 columns"),
    ],
)
def test_a_bad_fft_row_is_refused_with_its_row_and_column(tree: dict[str, Unit], row, column, says) -> None:
    FeedbackFormFactory(unit=tree["org"])
    result = import_fft((HEADER + row + "\n").encode(), by=None, filename="fft.csv")
    assert not result.ok and not result.applied
    assert [(p.row, p.column) for p in result.problems] == [(2, column)]
    assert says in result.problems[0].message
    assert not ImportedCounts.objects.exists()


def test_a_return_for_a_month_still_to_come_is_refused(tree: dict[str, Unit]) -> None:
    FeedbackFormFactory(unit=tree["org"])
    later = (dt.date.today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    result = import_fft((HEADER + f"RAA,{later:%Y-%m},1,1,0,0,0,0,\n").encode(), by=None, filename="fft.csv")
    assert [(p.row, p.column) for p in result.problems] == [(2, "period")]
    assert "in the future" in result.problems[0].message


def test_a_header_without_rows_is_refused_naming_the_header_row(tree: dict[str, Unit]) -> None:
    result = import_fft(HEADER.encode(), by=None, filename="fft.csv")
    assert [(p.row, p.column) for p in result.problems] == [(1, None)]
    assert "no rows of data" in result.problems[0].message
