"""The one number parser for numbers people give: forms, imports (CSV and XLSX cells) and the API.

What is read (docs/limits.md, "Numbers"):

- ASCII digits `0-9` only, with an optional sign (`-4`, `+4`) and at most one decimal point (`4.5`, `.5`);
- thousands grouped by commas or spaces in the usual places (`1,234`, `1 234 567.5`), as Excel writes them;
- an exponent (`1.5E-05`, `2.1E+11`), because Excel's "General" format writes very small and very large
  numbers that way in CSV files;
- numbers that are already numbers (an XLSX cell, a JSON number), but never `True`/`False`.

Refused with a message that says how to write it: Python's own extras that `float()` lets through
(`1_000`, `inf`, `nan`, Arabic-Indic or full-width digits), a decimal comma (`4,5`), two points, a
percentage where a count is wanted, and anything outside the field's range — every field has one, and
`LIMIT` bounds them all (no count or amount Spiral records comes near 10^12; a float keeps every whole
number exact far beyond it). A count (`whole=True`) must be a whole number.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Final

LIMIT: Final = 1e12

_SPACES = str.maketrans("", "", "\u00a0\u202f\u2009")  # no-break, narrow no-break and thin spaces
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_GROUPED = re.compile(
    r"[+-]?[0-9]{1,3}(?:(,)[0-9]{3}(?:,[0-9]{3})*|( )[0-9]{3}(?: [0-9]{3})*)(?:\.[0-9]+)?", re.ASCII
)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]{1,2}|[+-]?[0-9]+,[0-9]{4,}", re.ASCII)


class NumberError(ValueError):
    """Not a number Spiral accepts here; the message says what is wrong and how to write it."""


def _fmt(x: float) -> str:
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,g}"


def _text_to_float(text: str, shown: str) -> float:
    if _PLAIN.fullmatch(text):
        return float(text)
    if _GROUPED.fullmatch(text):
        return float(text.replace(",", "").replace(" ", ""))
    if "_" in text:
        raise NumberError(f"'{shown}' has an underscore; write the number without it, like 1000 or 1,000")
    if any(c.isdigit() and not c.isascii() for c in text):
        raise NumberError(f"'{shown}' has digits other than 0 to 9; type the number with the digits 0 to 9")
    if _DECIMAL_COMMA.fullmatch(text):
        raise NumberError(f"'{shown}' has a decimal comma; write the decimal point as a dot, like 4.5")
    if text.count(".") > 1:
        raise NumberError(f"'{shown}' has more than one decimal point; write one number, like 4.5")
    if text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        raise NumberError(f"'{shown}' is not a number; give a number, like 4.5")
    raise NumberError(f"'{shown}' is not a number; write it with digits, like 4.5 or 1,200")


def parse_number(
    value: Any,
    *,
    minimum: float = -LIMIT,
    maximum: float = LIMIT,
    whole: bool = False,
    what: str = "number",
    percent_ok: bool = False,
) -> float:
    """A finite float within [minimum, maximum] (a whole one if `whole`), or NumberError saying why.

    `what` names the quantity in messages ("count", "target"). With `percent_ok`, `95%` reads as 95.
    Empty input is an error here: callers decide what an empty cell means.
    """
    if isinstance(value, bool) or value is None:
        raise NumberError(f"'{value}' is not a number; give a number, like 4.5")
    if isinstance(value, int | float | Decimal):
        result = float(value)
        shown = str(value)
        if not math.isfinite(result):
            raise NumberError(f"'{shown}' is not a finite number; give a number, like 4.5")
    else:
        shown = str(value).strip()
        if not shown:
            raise NumberError(f"the {what} is empty; give a number, like 4.5")
        text = shown.translate(_SPACES)
        if text.endswith("%"):
            if not percent_ok:
                raise NumberError(f"'{shown}' is a percentage; give the {what} itself, without %")
            text = text[:-1].rstrip()
        try:
            result = _text_to_float(text, shown)
        except OverflowError:  # pragma: no cover - float() saturates to inf instead
            result = math.inf
        if not math.isfinite(result):
            raise NumberError(f"'{shown}' is far too large for a {what}; check the number")
    if whole and not result.is_integer():
        raise NumberError(f"'{shown}' is not a whole number; a {what} is whole, like 12")
    if result < minimum or result > maximum:
        low, high = _fmt(float(minimum)), _fmt(float(maximum))
        raise NumberError(f"'{shown}' is outside the range of a {what}, {low} to {high}; check the number")
    return result


def parse_whole(value: Any, *, minimum: int = 0, maximum: int = int(LIMIT), what: str = "count") -> int:
    """A whole number (a count): `parse_number(..., whole=True)` as an int."""
    return int(parse_number(value, minimum=minimum, maximum=maximum, whole=True, what=what))


def number_problem(value: Any, **kwargs: Any) -> str | None:
    """The message `parse_number` would raise, or None: for code that collects problems."""
    try:
        parse_number(value, **kwargs)
    except NumberError as exc:
        return str(exc)
    return None


__all__ = ["LIMIT", "NumberError", "number_problem", "parse_number", "parse_whole"]
