"""Reading and checking observation cells: shared by the pages, the API and the imports, so all agree.

A suppressed or empty cell (`*`, `..`, `-`, `N/A`, nothing: the markers of spiral.core.values) is a
missing observation, never zero.
"""

from __future__ import annotations

import math
from typing import Any

from spiral.core.numbers import NumberError, parse_number
from spiral.core.values import is_missing
from spiral.measurement.models import COUNT_CHARTS, PROPORTION_CHARTS, RATIO_CHARTS


class Missing(Exception):
    """The cell holds a suppressed or empty value."""


class BadValue(ValueError):
    """The cell holds something that is not a usable number; the message says why."""


def number(cell: Any, *, percent_ok: bool = False, what: str = "value") -> float:
    """A finite float from a cell, read by the one number parser (spiral.core.numbers): `1,234` and
    (where `percent_ok`) `95%` are read as written; `1_000`, `١٢` and `1e308` are refused."""
    if is_missing(cell):
        raise Missing
    try:
        return parse_number(cell, percent_ok=percent_ok, what=what)
    except NumberError as exc:
        raise BadValue(str(exc)) from None


def _fmt(x: float) -> str:
    return str(int(x)) if x.is_integer() else f"{x:g}"


def check_observation(
    chart: str, value: Any, numerator: Any, denominator: Any
) -> tuple[float | None, float | None, float | None, list[tuple[str, str]], str | None]:
    """(value, numerator, denominator, problems [(column, message)], missing column or None).

    p, p′, u, u′: numerator and denominator (value = their ratio). c: a whole, non-negative count.
    run and XmR: a value, or a numerator and denominator whose ratio is the value.
    """
    problems: list[tuple[str, str]] = []
    missing: str | None = None
    parsed: dict[str, float | None] = {}
    for column, cell in (("value", value), ("numerator", numerator), ("denominator", denominator)):
        try:
            parsed[column] = number(
                cell, percent_ok=(column == "value" and chart not in COUNT_CHARTS), what=column
            )
        except Missing:
            parsed[column] = None
            if not (cell is None or (isinstance(cell, str) and not cell.strip())):
                missing = missing or column  # a suppression marker, not just an empty cell
        except BadValue as exc:
            problems.append((column, str(exc)))
            parsed[column] = math.nan
    if problems:
        return None, None, None, problems, None
    v, n, d = parsed["value"], parsed["numerator"], parsed["denominator"]
    if chart in COUNT_CHARTS and (n is not None or d is not None):
        given = "numerator" if n is not None else "denominator"
        return (
            None,
            None,
            None,
            [
                (
                    given,
                    "a c chart plots a count of events, not a ratio: give the count in the value column "
                    "and leave numerator and denominator empty (they are for p and u charts)",
                )
            ],
            None,
        )
    if chart in RATIO_CHARTS:
        if n is None or d is None:
            if v is not None and n is None and d is None:
                problems.append(
                    ("numerator", f"a {chart} chart needs a numerator and a denominator, not only a value")
                )
                return None, None, None, problems, None
            return None, None, None, [], missing or ("numerator" if n is None else "denominator")
        if n < 0:
            problems.append(("numerator", f"{_fmt(n)} is negative; a numerator counts events"))
        elif not n.is_integer():
            # p and u charts are binomial and Poisson: the numerator counts events, so it is whole.
            problems.append(
                ("numerator", f"{_fmt(n)} is not a whole number; a numerator counts events, like 12")
            )
        if chart in PROPORTION_CHARTS and d > 0 and not d.is_integer():
            problems.append(
                ("denominator", f"{_fmt(d)} is not a whole number; a p chart's denominator counts cases")
            )
        if d <= 0:
            problems.append(
                ("denominator", f"{_fmt(d)} is not a positive number; a denominator counts cases")
            )
        elif chart in PROPORTION_CHARTS and n > d:
            problems.append(
                (
                    "numerator",
                    f"{_fmt(n)} is greater than the denominator {_fmt(d)}; a proportion cannot exceed 1",
                )
            )
        if problems:
            return None, None, None, problems, None
        return n / d, n, d, [], None
    if v is None and n is not None and d is not None and chart not in COUNT_CHARTS:
        if d == 0:
            return None, None, None, [("denominator", "0 is not a usable denominator")], None
        return n / d, n, d, [], None
    if v is None:
        return None, None, None, [], missing or "value"
    if chart in COUNT_CHARTS:
        if v < 0:
            problems.append(("value", f"{_fmt(v)} is a negative count; a c chart counts events"))
        elif not v.is_integer():
            problems.append(("value", f"{_fmt(v)} is not a whole number; a c chart counts events"))
    return (None, None, None, problems, None) if problems else (v, n, d, [], None)
