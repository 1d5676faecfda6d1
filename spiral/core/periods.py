"""Periods of a measure: day, week (ISO, starting Monday), month and calendar quarter; and the one
reader of the dates and periods people write, used by every caller (imports, forms, the API, `spiral spc`).

A period is named by its first day. What is read (docs/measurement.md):

- an ISO date, `2025-03-01`, or a UK date, `01/03/2025` (day first; never month first);
- `2025-03` (a month), `2025-W09` (an ISO week), `2025-Q2` (a calendar quarter);
- a month by name, `Mar 2025`, `March 2025`, and Excel's `mmm-yy` label `Mar-25` (read as 2025);
- a date or datetime cell from a spreadsheet, or an Excel serial day number.

The rule for years: a year is written in full. `01/03/25` is refused with a message saying to write
`01/03/2025` (a two-digit year is 1925 or 2025, and year-first or day-first, depending on who saved the
file); the one exception is a month name followed by two digits, `Mar-25`, which is what Excel writes for
a month cell and cannot be read another way. Financial-year labels (`2024/25`) are refused with a message.

- `period_start(value, frequency)`: the first day of a measure's period. A date that is not the first
  day of its period is refused, never moved; a label coarser than the measure's frequency (a month for a
  weekly measure) is refused.
- `first_day(value)`: the first day of whatever period `value` names, of any length (for labels whose
  frequency is not known, as in `spiral spc`).
- `parse_date(value)`: a calendar date (a unit's opening, a record's date).
- `parse_month(value)`: a month, as its first day (a progress score's month); a date gives its month.

Errors are `PeriodError` (a ValueError) with a message that says how to fix it; a two-digit year is
`TwoDigitYear`, a PeriodError, so a reader that also takes free labels can still refuse it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DAY, WEEK, MONTH, QUARTER = "day", "week", "month", "quarter"
FREQUENCIES = (DAY, WEEK, MONTH, QUARTER)
_RANK = {DAY: 0, WEEK: 1, MONTH: 2, QUARTER: 3}
_NOUN = {DAY: "day", WEEK: "week", MONTH: "month", QUARTER: "quarter"}
_ADJ = {DAY: "daily", WEEK: "weekly", MONTH: "monthly", QUARTER: "quarterly"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = {
    name: i + 1
    for i, names in enumerate(
        zip(
            MONTHS,
            ("january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"),
            strict=True,
        )
    )
    for name in (*names, "sept" if i == 8 else names[0])
}  # fmt: skip
# Excel's day zero (it counts a 29 February 1900 that never was, so serials from 61 on start here).
_EXCEL_EPOCH = dt.date(1899, 12, 30)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$", re.ASCII)
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?$", re.ASCII)
_UK_SHORT_YEAR = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE | re.ASCII)
_QUARTER = re.compile(r"^(\d{4})[- ]?Q([1-4])$", re.IGNORECASE | re.ASCII)
_MONTH_NAME = re.compile(r"^([A-Za-z]{3,9})[-\s'](\d{2}|\d{4})$", re.ASCII)
_FINANCIAL_YEAR = re.compile(r"^(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE | re.ASCII)


class PeriodError(ValueError):
    """A period that cannot be read, or is not on the measure's frequency."""


class TwoDigitYear(PeriodError):
    """A date written with a two-digit year (`01/04/25`): refused everywhere, with how to write it."""


class _Unreadable(PeriodError):
    """Text that is no period at all (each reader says what it wanted instead)."""


def check_frequency(frequency: str) -> str:
    if frequency not in _RANK:
        raise PeriodError(f"'{frequency}' is not a frequency; use one of: {', '.join(FREQUENCIES)}")
    return frequency


def is_period_start(day: dt.date, frequency: str) -> bool:
    if frequency == DAY:
        return True
    if frequency == WEEK:
        return day.weekday() == 0
    if frequency == MONTH:
        return day.day == 1
    return day.day == 1 and day.month in (1, 4, 7, 10)


def start_of(day: dt.date, frequency: str) -> dt.date:
    """The first day of the period that holds `day`."""
    if frequency == DAY:
        return day
    if frequency == WEEK:
        return day - dt.timedelta(days=day.weekday())
    if frequency == MONTH:
        return day.replace(day=1)
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def index(day: dt.date, frequency: str) -> int:
    """A whole number per period, consecutive periods differing by one (for laying out calendars)."""
    if frequency == DAY:
        return day.toordinal()
    if frequency == WEEK:
        return (day.toordinal() - 1) // 7  # ordinal 1 (1 January 0001) is a Monday
    if frequency == MONTH:
        return day.year * 12 + day.month - 1
    return day.year * 4 + (day.month - 1) // 3


def from_index(number: int, frequency: str) -> dt.date:
    """The first day of the period numbered `number` by `index`."""
    if frequency == DAY:
        return dt.date.fromordinal(number)
    if frequency == WEEK:
        return dt.date.fromordinal(number * 7 + 1)
    if frequency == MONTH:
        return dt.date(number // 12, number % 12 + 1, 1)
    return dt.date(number // 4, number % 4 * 3 + 1, 1)


def next_start(day: dt.date, frequency: str) -> dt.date:
    return from_index(index(day, frequency) + 1, frequency)


def has_ended(start: dt.date, frequency: str, today: dt.date) -> bool:
    """Has the period starting `start` ended by `today`? (It has once the next period has begun.)"""
    return next_start(start, frequency) <= today


def missing_since(latest: dt.date, frequency: str, today: dt.date) -> int:
    """How many periods after `latest` have ended by `today` (0 when `latest` is the last ended one,
    or later): the periods a series whose latest observation is `latest` is missing."""
    return max(0, index(start_of(today, frequency), frequency) - index(latest, frequency) - 1)


def is_overdue(latest: dt.date | None, frequency: str, allowed: int, today: dt.date) -> bool:
    """More than `allowed` ended periods are missing after `latest` (docs/measurement.md, "Overdue")."""
    return latest is not None and missing_since(latest, frequency, today) > allowed


def calendar(first: dt.date, last: dt.date, frequency: str) -> list[dt.date]:
    """Every period start from `first` to `last` inclusive (both period starts)."""
    a, b = index(first, frequency), index(last, frequency)
    return [from_index(i, frequency) for i in range(a, b + 1)]


def label(day: dt.date, frequency: str) -> str:
    """How a period is written in tables and files: 2025-03-04, 2025-W09, 2025-03, 2025-Q2."""
    if frequency == WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == MONTH:
        return f"{day.year}-{day.month:02d}"
    if frequency == QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def long_label(day: dt.date, frequency: str) -> str:
    """For people: 4 March 2025, week of 24 February 2025, March 2025, 2025 Q2 (April to June)."""
    if frequency == WEEK:
        return f"week of {day.day} {day:%B %Y}"
    if frequency == MONTH:
        return f"{day:%B %Y}"
    if frequency == QUARTER:
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return f"{day.day} {day:%B %Y}"


def _date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise PeriodError(f"'{text}' is not a real date") from None


def _aligned(day: dt.date, frequency: str, text: str, shown: str | None = None) -> dt.date:
    if is_period_start(day, frequency):
        return day
    start = start_of(day, frequency)
    what = {WEEK: "a week (a Monday)", MONTH: "a month", QUARTER: "a quarter"}[frequency]
    raise PeriodError(
        f"'{text}' is not the start of {what}; this measure is {_ADJ[frequency]}: give the first day of "
        f"the period ({start:%d/%m/%Y}) or {label(start, frequency)}"
    )


def _coarser(kind: str, frequency: str, text: str) -> None:
    if _RANK[kind] > _RANK[frequency]:
        raise PeriodError(
            f"'{text}' names a {_NOUN[kind]}, but this measure is {_ADJ[frequency]}; give the first day of "
            f"each {_NOUN[frequency]} (for example {label(dt.date(2025, 3, 3), frequency)})"
        )


@lru_cache(maxsize=65536)
def _parse_text(text: str, frequency: str | None) -> dt.date:
    """The first day `text` names. `frequency` None reads a period of any length, unchecked."""
    per = _NOUN[frequency] if frequency else "period"
    m = _ISO_DATE.match(text)
    if m:
        day = _date(int(m[1]), int(m[2]), int(m[3]), text)
        return day if frequency is None else _aligned(day, frequency, text)
    m = _UK_DATE.match(text)
    if m:
        day = _date(int(m[3]), int(m[2]), int(m[1]), text)
        return day if frequency is None else _aligned(day, frequency, text)
    m = _FINANCIAL_YEAR.match(text)
    if m and (int(m[2]) % 100) == (int(m[1]) + 1) % 100 and ("/" in text or int(m[2]) > 12):
        raise PeriodError(
            f"'{text}' is a financial year; Spiral needs one row per {per}: give the "
            f"start of each period (for example 2025-04-01 or 01/04/2025)"
        )
    m = _MONTH.match(text)
    if m:
        month = int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"'{text}' is not a month; write a month as 2025-03")
        day = dt.date(int(m[1]), month, 1)
        if frequency is None:
            return day
        _coarser(MONTH, frequency, text)
        return _aligned(day, frequency, text)
    m = _WEEK.match(text)
    if m:
        try:
            day = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise PeriodError(
                f"'{text}' is not an ISO week; write a week as 2025-W09 (weeks 1 to 52 or 53)"
            ) from None
        if frequency is None:
            return day
        _coarser(WEEK, frequency, text)
        return _aligned(day, frequency, text)
    m = _QUARTER.match(text)
    if m:
        if frequency is not None:
            _coarser(QUARTER, frequency, text)
        return dt.date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
    m = _MONTH_NAME.match(text)
    if m and m[1].lower() in _MONTH_NAMES:
        if frequency is not None and frequency != MONTH:
            raise PeriodError(
                f"'{text}' names a month, which only monthly measures accept; this measure is "
                f"{_ADJ[frequency]}: give the first day of the period, like 01/04/2025"
            )
        # The one two-digit year read: Excel's "mmm-yy" month label, which means nothing else.
        year = int(m[2]) + (2000 if len(m[2]) == 2 else 0)
        return dt.date(year, _MONTH_NAMES[m[1].lower()], 1)
    if _UK_SHORT_YEAR.match(text):
        raise TwoDigitYear(f"'{text}' has a two-digit year; write the year in full, like 01/04/2025")
    raise _Unreadable(
        f"'{text}' is not a period Spiral can read; write the first day of the period as 2025-04-01 or "
        "01/04/2025, or a month as 2025-04, a week as 2025-W14, a quarter as 2025-Q2"
    )


def period_start(value: Any, frequency: str) -> dt.date:
    """The first day of the period `value` names, for a measure of `frequency`. Raises PeriodError."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise PeriodError(f"'{value}' has a time of day; give the date of the start of the period")
        return _aligned(value.date(), frequency, value.date().strftime("%d/%m/%Y"))
    if isinstance(value, dt.date):
        return _aligned(value, frequency, value.strftime("%d/%m/%Y"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        day = _excel_day(value)
        return _aligned(day, frequency, f"{value} ({day:%d/%m/%Y})")
    if value is None or not str(value).strip():
        raise PeriodError("the period is empty; give the first day of the period, like 01/04/2025")
    check_frequency(frequency)
    return _parse_text(str(value).strip(), frequency)


def _excel_day(value: float) -> dt.date:
    """The day an Excel serial day number counts to (a date cell that lost its format)."""
    if float(value).is_integer() and 1 <= value <= 2_958_465:
        serial = int(value)
        return _EXCEL_EPOCH + dt.timedelta(days=serial if serial >= 61 else serial + 1)
    raise PeriodError(f"'{value}' is not a period; write the first day of the period, like 01/04/2025")


def first_day(value: Any) -> dt.date:
    """The first day of the period `value` names, whatever its length: `2025-03-04`, `04/03/2025`,
    `2025-W10`, `2025-03`, `Mar 2025`, `2025-Q1` or a date cell. Raises PeriodError (TwoDigitYear for
    `04/03/25`). For labels whose frequency is not known (`spiral spc`); a measure's periods use
    `period_start`, which also checks the label against the measure's frequency."""
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return period_start(value, DAY)
    if value is None or not str(value).strip():
        raise PeriodError("the period is empty; give the first day of the period, like 01/04/2025")
    return _parse_text(str(value).strip(), None)


_DATE_FORMATS = "write it as 2025-04-01 or 01/04/2025"


def parse_date(value: Any) -> dt.date:
    """A calendar date: an ISO date (`2025-04-01`), a UK date (`01/04/2025`, day first), a spreadsheet's
    date cell or an Excel serial day number. Raises PeriodError saying how to write it (TwoDigitYear for
    `01/04/25`); the caller checks the date against its field's `Window`."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise PeriodError(f"'{value}' has a time of day; give the date alone, like 01/04/2025")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _excel_day(value)
        except PeriodError:
            raise PeriodError(f"'{value}' is not a date; {_DATE_FORMATS}") from None
    text = "" if value is None else str(value).strip()
    if not text:
        raise PeriodError(f"the date is empty; {_DATE_FORMATS}")
    m = _ISO_DATE.match(text)
    if m:
        return _date(int(m[1]), int(m[2]), int(m[3]), text)
    m = _UK_DATE.match(text)
    if m:
        return _date(int(m[3]), int(m[2]), int(m[1]), text)
    if _UK_SHORT_YEAR.match(text):
        raise TwoDigitYear(f"'{text}' has a two-digit year; write the year in full, like 01/04/2025")
    raise PeriodError(f"'{text}' is not a date; {_DATE_FORMATS}")


def parse_month(value: Any) -> dt.date:
    """A month as its first day: from a date (any day of it), or text naming a month (`2025-03`,
    `Mar 2025`, `March 2025`, or its first day, `2025-03-01` or `01/03/2025`). Raises PeriodError saying
    how to write it; the caller checks the month against its field's `Window`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = "" if value is None else str(value).strip()
    try:
        if not text:
            raise _Unreadable(text)
        return _parse_text(text, MONTH)
    except TwoDigitYear:
        raise
    except PeriodError:
        # One message for every other refusal: the measure-worded ones do not fit a month field.
        raise PeriodError(f"'{text}' is not a month; write it as YYYY-MM, for example 2025-03") from None


# --- sane windows for dates people give ------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The dates a field accepts: from 1 January of `earliest_year` to 31 December `years_ahead` years
    after this one. A date outside is a typo (1066 for 2026, 2205 for 2025) and is refused; with
    `warn_future`, a date after today inside the window is accepted with a warning (docs/limits.md)."""

    what: str
    earliest_year: int
    years_ahead: int
    warn_future: bool = False

    def earliest(self) -> dt.date:
        return dt.date(self.earliest_year, 1, 1)

    def latest(self, today: dt.date | None = None) -> dt.date:
        today = today or dt.date.today()
        return dt.date(min(today.year + self.years_ahead, 9999), 12, 31)

    def problem(self, day: dt.date, today: dt.date | None = None) -> str | None:
        """Why `day` is refused for this field, or None."""
        if isinstance(day, dt.datetime):
            day = day.date()
        earliest, latest = self.earliest(), self.latest(today)
        if earliest <= day <= latest:
            return None
        return (
            f"{day:%d/%m/%Y} is outside the dates {self.what} may have ({earliest:%d/%m/%Y} to "
            f"{latest:%d/%m/%Y}); check the year"
        )

    def warning(self, day: dt.date, today: dt.date | None = None) -> str | None:
        """A warning for a date after today, when this field warns of them."""
        today = today or dt.date.today()
        if self.warn_future and day > today and self.problem(day, today) is None:
            return f"{day:%d/%m/%Y} is in the future; check the year (the row is kept)"
        return None

    def check(self, day: dt.date, today: dt.date | None = None) -> dt.date:
        """`day`, or PeriodError with the message of `problem`."""
        problem = self.problem(day, today)
        if problem:
            raise PeriodError(problem)
        return day


# An observation's period: data reach back to 1900 (long-run series); a period after today is a warning
# (a planned period typed by mistake), one beyond next year a typo.
OBSERVATION_PERIOD = Window("an observation's period", 1900, 1, warn_future=True)
# A project's monthly progress score: Spiral's improvement programmes start in this century.
PROGRESS_MONTH = Window("a progress score's month", 2000, 1)
# A project's and a PDSA cycle's dates (start, aim, planned, done, closed): plans reach a few years on.
PROJECT_DATE = Window("a project's date", 2000, 20)
# Dates of record (a journal entry, consent to a story, a board hearing, a target's start, a field test).
RECORD_DATE = Window("this date", 1900, 10)
# A unit's opening and closing: organisations older than the NHS keep their history; closures are planned.
UNIT_DATE = Window("a unit's opening or closing", 1800, 10)
