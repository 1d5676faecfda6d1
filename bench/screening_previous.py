"""The screen as it was before issue 11 (spiral/core/screening.py at 281acdf), kept verbatim as the named
baseline of bench/screening.py and bench/benchmarking.py: regular expressions only, names only after
"my name is", no spelled-out emails, no addresses. Not used by Spiral."""

from __future__ import annotations

import re
from dataclasses import dataclass

REDACTED = "[redacted]"

_NHS_NUMBER = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\d+])(?:\+44\s?\(?0?\)?\s?|0)(?:\d[\s-]?){8,9}\d(?![\d])")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b", re.IGNORECASE)
_DOB = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\.?|date of birth|born(?: on)?)\s*[:\-]?\s*"
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\s+\d{2,4})",
    re.IGNORECASE,
)
# "my name is Jane Smith": the one to three capitalised words after the phrase (the phrase itself stays).
_NAME = re.compile(r"\b(?i:my\s+name\s*(?:is|'s|’s))\s+([A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2})")


@dataclass(frozen=True)
class Finding:
    kind: str  # nhs_number, email, phone, postcode, date_of_birth, name
    start: int
    end: int


KIND_NAMES = {
    "nhs_number": "an NHS number",
    "email": "an email address",
    "phone": "a phone number",
    "postcode": "a postcode",
    "date_of_birth": "a date of birth",
    "name": "a name",
}


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number's modulus 11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_personal_data(text: str) -> list[Finding]:
    """Every stretch of `text` that looks like personal data, earliest first, without overlaps."""
    if not text:
        return []
    found: list[Finding] = []
    # Cheap tests first: most answers hold no digit and no "@", and skip the patterns that need them.
    has_digit = any(c.isdigit() for c in text)
    if has_digit:
        for m in _DOB.finditer(text):
            found.append(Finding("date_of_birth", m.start(), m.end()))
    if "@" in text:
        for m in _EMAIL.finditer(text):
            found.append(Finding("email", m.start(), m.end()))
    if has_digit:
        for m in _NHS_NUMBER.finditer(text):
            if is_valid_nhs_number("".join(m.groups())):
                found.append(Finding("nhs_number", m.start(), m.end()))
        for m in _PHONE.finditer(text):
            found.append(Finding("phone", m.start(), m.end()))
        for m in _POSTCODE.finditer(text):
            found.append(Finding("postcode", m.start(), m.end()))
    if "name" in text.lower():
        for m in _NAME.finditer(text):
            found.append(Finding("name", m.start(1), m.end(1)))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        if kept and f.start < kept[-1].end:
            continue
        kept.append(f)
    return kept


def redact(text: str) -> tuple[str, list[str]]:
    """`text` with each finding replaced by `[redacted]`, and the kinds found (in order)."""
    findings = find_personal_data(text)
    if not findings:
        return text, []
    parts, last = [], 0
    for f in findings:
        parts.append(text[last : f.start])
        parts.append(REDACTED)
        last = f.end
    parts.append(text[last:])
    return "".join(parts), [f.kind for f in findings]


def describe(kinds: list[str]) -> str:
    """'an NHS number and a phone number' (for messages: never the data itself)."""
    names = [KIND_NAMES.get(k, k) for k in dict.fromkeys(kinds)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
