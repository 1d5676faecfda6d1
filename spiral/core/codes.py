"""The one code validator: unit (ODS) codes, measure codes and every other code a person types.

A code goes into page addresses (`/units/RJ1/`), file names of exports and other systems' joins, so it
must be the same text everywhere and a safe URL path segment. The character sets (docs/limits.md):

- **ODS codes** (units): ASCII letters, digits and the hyphen `-`, beginning and ending with a letter or
  a digit: `RJ1`, `Y56`, `RJ1-W12`. This is what NHS ODS codes are made of, plus the hyphen that local
  codes of wards and teams use.
- **Measure codes** (measures, indicators): the same, and also `_` and `.` inside the code:
  `FALLS-1000BD`, `SHMI_v2`, `A.E.4HR`; never two dots in a row (`..` is a step up in a path).

Refused with a message that says which character and how to fix it: spaces, `/`, `\\`, `?`, `#`, `%`,
control characters, look-alike Unicode dashes (`‐ – — −`, which spreadsheets put in for `-`), full-width
or accented letters, and anything longer than the field allows (at most `limits.CODE`).

Case is kept as written (no upper-casing): a code is how another system names the thing, and changing
it would change its address. Measure codes are unique regardless of case (the measure services check).

Use `validate_code(value)` (returns the cleaned code or raises `CodeError`), `code_problem(value)` (the
message or None, for imports that collect problems) or `CodeValidator` on model and form fields; API
schemas can use `CODE_PATTERN` / `ODS_CODE_PATTERN` (JSON Schema `pattern`) with `validate_code`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from spiral.core import limits

ODS: Final = "ods"
MEASURE: Final = "measure"
KINDS: Final = (ODS, MEASURE)

# Anchored patterns, also valid as JSON Schema / OpenAPI `pattern` values (ECMA-262 syntax).
ODS_CODE_PATTERN: Final = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
CODE_PATTERN: Final = r"^(?!.*\.\.)[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$"
PATTERNS: Final = {ODS: ODS_CODE_PATTERN, MEASURE: CODE_PATTERN}
_COMPILED = {kind: re.compile(pattern.replace("$", r"\Z")) for kind, pattern in PATTERNS.items()}

ALLOWED_TEXT: Final = {
    ODS: "letters, digits and hyphens (-)",
    MEASURE: "letters, digits, hyphens (-), underscores (_) and dots (.)",
}
EXAMPLE: Final = {ODS: "RJ1 or RJ1-W12", MEASURE: "FALLS-1000BD"}

# Characters spreadsheets and word processors put in for a hyphen-minus.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


class CodeError(ValueError):
    """A code that cannot be used; the message says what is wrong and how to fix it."""


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    shown = repr(char) if not char.isprintable() or char.isspace() else f"'{char}'"
    return f"{shown} (U+{ord(char):04X}{' ' + name if name else ''})"


def code_problem(value: Any, *, kind: str = MEASURE, max_length: int = limits.CODE) -> str | None:
    """Why `value` (already stripped of surrounding spaces) is not a usable code, or None when it is."""
    if kind not in PATTERNS:
        raise ValueError(f"unknown kind of code {kind!r}; use one of {KINDS}")
    allowed = ALLOWED_TEXT[kind]
    example = EXAMPLE[kind]
    text = "" if value is None else str(value)
    if not text:
        return f"Enter a code, for example {example}"
    limit = min(max_length, limits.CODE)
    if len(text) > limit:
        return f"This code is {len(text):,} characters long; a code has at most {limit}. Shorten it"
    for char in text:
        if char in _DASHES:
            fixed = "".join("-" if c in _DASHES else c for c in text)
            return (
                f"The code has {_describe(char)}, which looks like a hyphen but is not one; "
                f"type the hyphen-minus key instead ({fixed})"
            )
        if unicodedata.category(char).startswith("C"):
            return f"The code has the control character {_describe(char)}; remove it and type the code again"
        if char.isspace():
            return f"A code has no spaces; remove the space or use a hyphen, for example {example}"
        if not char.isascii():
            return f"The code has {_describe(char)}; a code has only ASCII {allowed}, for example {example}"
    if kind == MEASURE and ".." in text:
        return "A code cannot have two dots in a row (..); use one dot or a hyphen"
    if not _COMPILED[kind].match(text):
        bad = sorted({c for c in text if not (c.isalnum() or c in ("-._" if kind == MEASURE else "-"))})
        if bad:
            listed = ", ".join(f"'{c}'" for c in bad)
            return (
                f"A code cannot have {listed}: it is part of page addresses. Use only {allowed}, "
                f"for example {example}"
            )
        return f"A code begins and ends with a letter or a digit; use only {allowed}, for example {example}"
    return None


def validate_code(value: Any, *, kind: str = MEASURE, max_length: int = limits.CODE) -> str:
    """The code with surrounding spaces removed, or CodeError saying what is wrong and how to fix it."""
    text = "" if value is None else str(value).strip()
    problem = code_problem(text, kind=kind, max_length=max_length)
    if problem:
        raise CodeError(problem)
    return text


def is_valid_code(value: Any, *, kind: str = MEASURE, max_length: int = limits.CODE) -> bool:
    return code_problem("" if value is None else str(value), kind=kind, max_length=max_length) is None


@deconstructible
class CodeValidator:
    """A Django validator for model and form fields (ModelForms and the admin site pick it up)."""

    code = "invalid_code"

    def __init__(self, kind: str = MEASURE, max_length: int = limits.CODE) -> None:
        if kind not in PATTERNS:
            raise ValueError(f"unknown kind of code {kind!r}; use one of {KINDS}")
        self.kind = kind
        self.max_length = max_length

    def __call__(self, value: Any) -> None:
        problem = code_problem(value, kind=self.kind, max_length=self.max_length)
        if problem:
            raise ValidationError(problem, code=self.code)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CodeValidator)
            and other.kind == self.kind
            and other.max_length == self.max_length
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.max_length))


# --- existing data: the `spiral check --database default` report -------------------------------------

MAX_REPORTED_PER_FIELD = 50


def coded_fields() -> list[tuple[Any, Any, CodeValidator]]:
    """Every (model, field, validator) whose field carries a CodeValidator, across installed apps."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            for validator in field.validators:
                if isinstance(validator, CodeValidator):
                    found.append((model, field, validator))
    return found


def check_existing_codes(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """A warning for every stored code that the validator would refuse today, with how to fix it.

    Codes written before the validator existed (a unit code with `/`, say) break the pages that link to
    them; they are reported rather than rewritten by a migration, because a code is also the key other
    systems join on and only a person can choose its replacement. A database check: it runs with
    `spiral check --database default` and before `spiral migrate`, not on every command.
    """
    from django.core.checks import Warning as CheckWarning
    from django.db import DatabaseError

    if not databases:
        return []
    messages: list[Any] = []
    for model, field, validator in coded_fields():
        if app_configs is not None and model._meta.app_config not in app_configs:
            continue
        opts = model._meta
        for database in databases:
            bad = 0
            try:
                rows = model._default_manager.using(database).values_list("pk", field.attname).iterator()
                for pk, value in rows:
                    problem = code_problem(value, kind=validator.kind, max_length=validator.max_length)
                    if problem is None:
                        continue
                    bad += 1
                    if bad > MAX_REPORTED_PER_FIELD:
                        continue
                    messages.append(
                        CheckWarning(
                            f"{opts.verbose_name} {pk} has the {field.name} {value!r}, which pages cannot "
                            f"link to: {problem}",
                            hint=(
                                f"Change it in the admin site (/admin/{opts.app_label}/{opts.model_name}/"
                                f"{pk}/change/) to a code of {ALLOWED_TEXT[validator.kind]}, and tell the "
                                "people whose files use the old code"
                            ),
                            obj=f"{opts.label}.{field.name}",
                            id="spiral.W001",
                        )
                    )
            except DatabaseError:
                continue  # not migrated yet: nothing stored to check
            if bad > MAX_REPORTED_PER_FIELD:
                messages.append(
                    CheckWarning(
                        f"{bad - MAX_REPORTED_PER_FIELD:,} more {opts.verbose_name_plural} have a "
                        f"{field.name} that pages cannot link to",
                        hint="Fix those listed above, then run `spiral check --database default` again",
                        obj=f"{opts.label}.{field.name}",
                        id="spiral.W001",
                    )
                )
    return messages


__all__ = [
    "CODE_PATTERN",
    "KINDS",
    "MEASURE",
    "ODS",
    "ODS_CODE_PATTERN",
    "CodeError",
    "CodeValidator",
    "check_existing_codes",
    "code_problem",
    "coded_fields",
    "is_valid_code",
    "validate_code",
]


# ------------------------------------------------------------------------------------------------
# Codes in page addresses

_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_ESCAPED = re.compile(r"(?:~[0-9A-F]{2})+")


class CodeConverter:
    """The `<code:...>` path converter. A good code is its own address (`/units/RJ1-W12/`). A stored code
    that is not a good one (written before the validator, e.g. `RJ1/W12`, which `spiral check` reports)
    still gets an address, so a page that links to it never fails: each other character is written as
    `~XX` per UTF-8 byte (`RJ1~2FW12`), which no good code contains."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return _ESCAPED.sub(
            lambda m: bytes.fromhex(m.group().replace("~", "")).decode("utf-8", "replace"), value
        )

    def to_url(self, value: Any) -> str:
        text = str(value)
        if text.strip(".") == "":  # "." and ".." are steps in a path, not names
            return "".join("~2E" for _ in text)
        return "".join(c if c in _URL_SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in text)
