"""The one screening policy for personal data in free text (docs/screening.md).

`screen(text)` finds what looks like personal data: NHS numbers (the modulus 11 check digit, from the
`nhs-number` package), UK and international phone numbers (candidate digit runs, checked by
`phonenumbers`), email addresses (written with "@" or spelled out: "jo dot bloggs at gmail dot com"),
postcodes, dates of birth (in figures or in words, after "born", "DOB", "birthday"), street addresses and
names (after "my name is", "I'm", "Name:", "this is", "my husband", a title such as "Mrs", or signing off:
"Thanks, Sarah Jones"). Each finding is certain or uncertain: certain ones are redacted; an uncertain one
("I'm Zephyrine", a 10-digit number after "NHS" that fails the check digit, a full date of birth-like
date with no cue) is left in place but tells the caller that a person should look before it is shown.

Each app decides only what happens on a hit: voice redacts and holds the answer for review (uncertain
included); projects, knowledge and measurement refuse staff-written text with `refuse_personal_data`,
whose message names the field and the kind found; audit redacts the snippets it keeps. Nothing here
returns or logs the personal data itself: messages name the kind only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from nhs_number import calculate_checksum

from spiral.core.screening_words import (
    COMMON_WORDS,
    FIRST_NAMES,
    MAIL_PROVIDERS,
    NOT_STREET_WORDS,
    PLACE_WORDS,
    WORD_NAMES,
)

REDACTED = "[redacted]"

# The one mapping from a kind of personal data to words (one of it, several of it): every page, message and
# export that names a kind says it this way, never with the identifier (`nhs_number`).
KIND_WORDS: dict[str, tuple[str, str]] = {
    "nhs_number": ("an NHS number", "NHS numbers"),
    "email": ("an email address", "email addresses"),
    "phone": ("a phone number", "phone numbers"),
    "postcode": ("a postcode", "postcodes"),
    "date_of_birth": ("a date of birth", "dates of birth"),
    "address": ("a street address", "street addresses"),
    "name": ("a name", "names"),
}
KIND_NAMES = {kind: one for kind, (one, _several) in KIND_WORDS.items()}
KINDS = tuple(KIND_NAMES)
# How an answer's `redacted` list records a kind held for review but left in the text (voice.services.unsure).
UNSURE_PREFIX = "unsure: "
_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    start: int
    end: int
    certain: bool = True


@dataclass(frozen=True)
class Screened:
    """What `screen` found in one text: the text with every certain finding redacted, and the findings."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def kinds(self) -> list[str]:
        """Kinds found for certain (and redacted), in order of appearance."""
        return [f.kind for f in self.findings if f.certain]

    @property
    def doubts(self) -> list[str]:
        """Kinds that might be there (left in the text): a person should look before it is shown."""
        return [f.kind for f in self.findings if not f.certain]

    @property
    def needs_review(self) -> bool:
        return bool(self.findings)


# --- NHS numbers ------------------------------------------------------------------------------------

# Ten digits, whole or in groups of two or more ("943 476 5919", "943-4765-919", "9434765919").
_NHS_NUMBER = re.compile(r"(?<![\d+])\d{2,}(?:[ \-.]\d{2,}){0,3}(?![\d])")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number's modulus 11 check (NHS Data Dictionary, "NHS Number"): weights 10..2 on the first
    nine digits, 11 minus the remainder is the check digit (11 → 0; 10 never issued). Computed by the
    `nhs-number` package; ten equal digits are placeholders ("0000000000"), never issued."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    return calculate_checksum(digits[:9]) == int(digits[9])


_DIGIT_GROUP = re.compile(r"\d+")


def _ten_digit_runs(text: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, digits) of each run of whole digit groups holding exactly ten digits."""
    for m in _NHS_NUMBER.finditer(text):
        if len(m.group()) < 10:
            continue
        groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(text, m.start(), m.end())]
        for i in range(len(groups)):
            total = 0
            for j in range(i, len(groups)):
                total += groups[j][1] - groups[j][0]
                if total == 10:
                    start, end = groups[i][0], groups[j][1]
                    yield start, end, re.sub(r"\D", "", text[start:end])
                if total >= 10:
                    break


def _nhs_numbers(text: str, low: str) -> Iterable[Finding]:
    for start, end, digits in _ten_digit_runs(text):
        if is_valid_nhs_number(digits):
            yield Finding("nhs_number", start, end)
        elif "nhs" in low[max(0, start - 30) : start]:
            # Called an NHS number but the check digit fails: a typo of a real one, most likely.
            yield Finding("nhs_number", start, end, certain=False)


# --- email addresses --------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Spelled out: "jo dot bloggs at gmail dot com", "jo.bloggs (at) nhs.net", "jo[at]hotmail[dot]co[dot]uk".
_SEP = r"(?:\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|<dot>)\s*|\s+dot\s+)"
_AT_SIGNS = ("@", "(at)", "[at]", "{at}", "<at>", " at ")


def _at_signs(low: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, sign) of each "@" or spelled "at", the spaces around it included (str.find is far
    faster than a pattern that may start anywhere)."""
    for sign in _AT_SIGNS:
        i = low.find(sign)
        while i >= 0:
            start, end = i, i + len(sign)
            while start > 0 and low[start - 1] in " \t":
                start -= 1
            while end < len(low) and low[end] in " \t":
                end += 1
            yield start, end, sign.strip()
            i = low.find(sign, i + 1)


_DOMAIN = re.compile(
    rf"[a-z0-9\-]+(?:{_SEP}[a-z0-9\-]+)*?{_SEP}"
    rf"(?:(?:co|org|ac|gov|nhs|ltd|plc|net|me)(?:{_SEP}uk)?|com|net|org|uk|info|io|biz|edu|eu|ie)\b",
)
_LOCAL = re.compile(rf"[a-z0-9_%+'\-]+(?:{_SEP}[a-z0-9_%+'\-]+)*\Z")
_SPELLED_DOT = re.compile(r"\bdot\b|\(dot\)|\[dot\]")
# Mail providers people give as home addresses: "jo at gmail.com" is an address, "guidance at nhs.uk" is not.
_PROVIDERS = MAIL_PROVIDERS


_TLD_HINTS = (".com", ".net", ".org", ".uk", ".info", ".io", ".biz", ".edu", ".eu", ".ie")


def _emails(text: str, low: str) -> Iterable[Finding]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield Finding("email", m.start(), m.end())
    # A spelled-out address ends in a top-level domain, written ".com" or "dot com".
    if "at" not in low or not ("dot" in low or any(tld in low for tld in _TLD_HINTS)):
        return
    for at_start, at_end, sign in _at_signs(low):
        domain = _DOMAIN.match(low, at_end)
        if domain is None:
            continue
        local = _LOCAL.search(low, max(0, at_start - 64), at_start)
        if local is None or local.start() == local.end():
            continue
        spelled = _SPELLED_DOT.search(local.group()) or _SPELLED_DOT.search(domain.group())
        provider = re.split(r"[\s.(\[{<]", domain.group().lower(), maxsplit=1)[0] in _PROVIDERS
        dotted_local = "." in local.group() or "_" in local.group()
        if sign != "at" or spelled or provider or dotted_local:
            yield Finding("email", local.start(), domain.end())


# --- phone numbers ----------------------------------------------------------------------------------

# Candidate digit runs only (phonenumbers is slow): a UK number written from 0, +44 or 0044, with the area
# code in brackets or not, in groups of two or more digits; or any other number written from "+".
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)\s?44\s?(?:\(0\)\s?)?\d{2,5}(?:[ \-.]?\d{2,}){1,3}"
    r"|\(0\d{2,5}\)\s?\d{2,4}(?:[ \-.]?\d{2,4}){0,2}"
    r"|\(\+?44\)\s?\(?0?\)?\s?\d{2,5}(?:[ \-.]?\d{2,}){1,3}"
    r"|0\d{1,4}(?:[ \-.]?\d{2,}){1,3}"
    r"|\+[1-9]\d{0,2}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d{1,4}(?:[ \-.]?\d{2,}){1,4}"
    r")(?![\w])"
)
# A local number given as a phone number ("ring 496 0123"): without its area code, not certain.
_LOCAL_PHONE = re.compile(
    r"\b(?:tel|telephone|phone|mobile|mob|ring|call|text|landline)\b\.?:?\s*(?:(?:me|us|him|her|them)\s+)?"
    r"(?:(?:on|at)\s+)?(\d{3,4}[ \-]?\d{3,4})(?![\d])",
)


def _phones(text: str, low: str) -> Iterable[Finding]:
    for m in _PHONE_CANDIDATE.finditer(text):
        candidate = m.group()
        digits = re.sub(r"\D", "", candidate)
        uk = not candidate.startswith("+") or digits.startswith("44")
        if candidate.startswith("0") and not candidate.startswith("00") and not 10 <= len(digits) <= 11:
            continue
        try:
            number = phonenumbers.parse(candidate, "GB" if uk else None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            # Possible, not only valid: Ofcom's drama ranges (07700 900xxx) are not allocated, but a person
            # who writes one means a phone number.
            yield Finding("phone", m.start(), m.end())
        elif 9 <= len(digits) <= 13:
            yield Finding("phone", m.start(), m.end(), certain=False)
    if any(cue in low for cue in ("tel", "phone", "mob", "ring", "call", "text", "landline")):
        for m in _LOCAL_PHONE.finditer(low):
            yield Finding("phone", m.start(1), m.end(1), certain=False)


# --- postcodes --------------------------------------------------------------------------------------

# The shape of a UK postcode with the letters each position may hold (Royal Mail's rules: no Q, V, X
# first; no I, J, Z second; the inward letters never C, I, K, M, O, V): "SW1A 1AA", "m1 1ae", "OL12JH".
_POSTCODE = re.compile(
    r"\b(?:gir\s?0aa|[a-pr-uwyz](?:\d[a-hjkpstuw\d]?|[a-hk-y]\d[abehmnprvwxy\d]?)\s?\d[abd-hjlnp-uw-z]{2})\b"
)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)\Z")


def _postcodes(text: str, low: str) -> Iterable[Finding]:
    for m in _POSTCODE.finditer(low):
        # "ward B3 4th floor", "the A1 2nd": an ordinal in lower case is not an inward code.
        written = text[m.start() : m.end()]
        if _ORDINAL.search(written) and " " in written:
            continue
        yield Finding("postcode", m.start(), m.end())


# --- dates of birth ---------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[\s\-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth"
    r"|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_YEAR = r"(?:\d{4}|'\d{2}|\d{2})"
_DATE_NUMBERS = r"(?:\d{1,2}\s?[/.\-]\s?\d{1,2}\s?[/.\-]\s?(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})"
_DATE_WORDS = (
    rf"(?:(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH},?\s+\d{{4}}|(?:in\s+)?(?:19|20)\d{{2}})"
)
_DOB = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|year\s+of\s+birth|birthday(?:'s|’s)?|born)"
    r"(?:\s*[:\-–(]\s*|\s+(?:is|was|on|in|falls\s+on|:)(?=\s))*\s*"
    rf"(?:{_DATE_NUMBERS}|{_DATE_WORDS})(?![\w/])",
)
# A full date with a year long past and no cue: perhaps a date of birth, perhaps a date in history.
_FULL_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?P<y1>\d{{4}})|{_DAY}(?:\s+of)?\s+{_MONTH},?\s+(?P<y2>\d{{4}})"
    rf"|{_MONTH}\s+{_DAY},?\s+(?P<y3>\d{{4}}))\b",
)
_ADULT_YEARS = 16


def _dates_of_birth(text: str, low: str, has_digit: bool) -> Iterable[Finding]:
    if "born" in low or "birth" in low or "dob" in low or "d.o" in low:
        for m in _DOB.finditer(low):
            yield Finding("date_of_birth", m.start(), m.end())
    if has_digit and ("19" in text or "20" in text):
        latest = dt.date.today().year - _ADULT_YEARS
        for m in _FULL_DATE.finditer(low):
            year = int(m.group("y1") or m.group("y2") or m.group("y3"))
            if 1900 <= year <= latest:
                yield Finding("date_of_birth", m.start(), m.end(), certain=False)


# --- street addresses -------------------------------------------------------------------------------

_STRONG_SUFFIX = r"street|st|road|rd|avenue|ave|lane|crescent|terrace|grove|mews|gardens|boulevard"
_WEAK_SUFFIX = (
    r"way|walk|close|drive|court|place|square|hill|row|parade|view|rise|green|park|vale|wharf|croft|fold|brow"
)
_ADDRESS = re.compile(
    r"(?:\b(?:flat|apartment|apt)\.?\s+\d{1,4}[a-z]?\s*,?\s+)?"
    r"(?<![\d.:/])\b\d{1,4}[a-z]?(?:\s?[-–]\s?\d{1,4})?,?\s+"
    r"(?P<words>(?:[A-Za-z][A-Za-z'’\-]*\s+){1,3}?)"
    rf"(?P<suffix>{_STRONG_SUFFIX}|{_WEAK_SUFFIX})\b\.?",
)
# "I live on Acacia Avenue", "address: Meadow Close": a street named after a cue, without a number.
_ADDRESS_CUE = re.compile(
    r"\b(?i:live|lives|living|lived|address(?:\s+is)?|moved\s+to|staying\s+at|residing\s+at)\s*:?\s+"
    r"(?:(?i:at|on|in)\s+)?"
    r"(?P<street>(?:[A-Z][a-z'’\-]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Crescent|Terrace|Grove|Mews|Gardens|Way|Walk|Close|Drive|Court"
    r"|Place|Square|Hill|Row|Parade|View|Rise|Green|Park)\b)"
)
_STRONG = frozenset(_STRONG_SUFFIX.split("|"))


# The suffixes as substrings, for a cheap test before the pattern (" st" stands for "st" and "street").
_SUFFIX_HINTS = (" st", " rd", "road", " ave", "lane", "crescent", "terrace", "grove", "mews", "gardens",
                 "boulevard", *_WEAK_SUFFIX.split("|"))  # fmt: skip


def _addresses(text: str, low: str, has_digit: bool) -> Iterable[Finding]:
    if has_digit and any(suffix in low for suffix in _SUFFIX_HINTS):
        for m in _ADDRESS.finditer(low):
            words = text[m.start("words") : m.end("words")].split()
            suffix = text[m.start("suffix") : m.end("suffix")]
            lowered = [w.lower() for w in words]
            if lowered[0] in NOT_STREET_WORDS or (lowered[0] in COMMON_WORDS and not words[0][0].isupper()):
                continue
            capitalised = suffix[0].isupper() and all(w[0].isupper() for w in words)
            # In lower case only a strong suffix, and no word of a quantity: "19 ashton old road" is an
            # address, "2 main road entrances" and "a 6 minute walk" are not.
            if not capitalised and (
                suffix.lower() not in _STRONG or any(w in NOT_STREET_WORDS for w in lowered)
            ):
                continue
            yield Finding("address", m.start(), m.end())
    if "liv" in low or "address" in low or "moved" in low or "staying" in low or "resid" in low:
        for m in _ADDRESS_CUE.finditer(text):
            yield Finding("address", m.start("street"), m.end("street"))


# --- names ------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z][A-Za-z'’]*)?")
_GAP = re.compile(r"[ \t]+")
_INITIAL = re.compile(r"[A-Za-z]\.")
_POSSESSIVE = re.compile(r"['’]s?\Z")
# A capitalised word followed by one of these is the name of a place ("this is Victoria Ward").
_PLACE_WORDS = PLACE_WORDS
_FAMILY = re.compile(r"\bthe\s+([A-Z][a-z'’\-]+)\s+family\b")
_END = re.compile(
    r"(?:\s*(?:and|&)\s+(?:the\s+)?(?:family|all|kids|everyone|the\s+team))?[\s.!,;:)\-–—x]*(?:\n|\Z)",
)

# Cues, weakest to strongest; each says what follows may be a name.
_STRONG_CUE = re.compile(
    r"\bmy\s+(?:full\s+|first\s+)?name(?:\s+is|'s|’s)\s+"
    r"|(?<!ward )(?<!unit )(?<!team )(?<!drug )(?<!file )(?<!project )(?<!form )(?<!site )(?<!measure )"
    r"\b(?:full\s+|first\s+|patient(?:'s|’s)?\s+|pt\s+|your\s+)?name\s*(?:[:=–]|-(?=\s))\s*"
    r"|\bi\s+am\s+called\s+|\bi'm\s+called\s+|\bi’m\s+called\s+|\bsigned\s*[:,]?\s+",
)
_I_AM = re.compile(r"\b(?:i'm|i’m|im|i\s+am)\s+")
_THIS_IS = re.compile(r"\b(?:this\s+is|it's|it’s|it\s+is)\s+")
_RELATION = re.compile(  # no leading \b, so that the engine can look for "my" first; checked in code
    r"my\s+(?:late\s+|dear\s+|little\s+|eldest\s+|youngest\s+)?(?:husband|wife|son|daughter|mum|mom|mother"
    r"|dad|father|partner|brother|sister|nan|nana|nanna|gran|granny|grandma|grandad|grandpa|grandmother"
    r"|grandfather|aunt|auntie|uncle|niece|nephew|friend|carer|baby|grandson|granddaughter|boyfriend"
    r"|girlfriend|fianc[eé]e?|child|neighbour|stepson|stepdaughter|stepmum|stepdad)\s*,?\s+",
)
_CALLED = re.compile(r"\b(?:called|named|known\s+as)\s+")
_TITLE = re.compile(
    r"\b(?:[Mm]rs|[Mm]r|[Mm]s|Mx|[Dd]r|Prof|Professor|Miss|Doctor|Nurse|Sister|Matron|Rev|Revd)\.?\s+"
)
_TITLE_HINTS = (
    "Mr",
    "Ms",
    "Mx",
    "Dr",
    "Prof",
    "Miss",
    "Doctor",
    "Nurse",
    "Sister",
    "Matron",
    "Rev",
    "mr",
    "ms",
    "dr",
)
_SIGN_OFF_HINTS = ("thank", "regard", "wish", "best", "cheers", "love", "sign", "sincerely", "faithfully",
                   "truly", "from", "-", "–", "—")  # fmt: skip
_THANKS = re.compile(r"\b(?:thank\s+you|thanks|from)\b\s*[,.!:\-–]*\s+")
_SIGN_OFF = re.compile(
    r"\b(?:many\s+thanks|thanks\s+again|thank\s+you|thanks|kind\s+regards|best\s+regards|warm\s+regards"
    r"|regards|best\s+wishes|all\s+the\s+best|cheers|lots\s+of\s+love|love|signed|yours\s+sincerely"
    r"|yours\s+faithfully|yours\s+truly|sincerely|from)\b\s*[,.!:\-–]*\s+"
    r"|(?:^|\s)[\-–—]\s*",
)


def _name_at(text: str, pos: int, *, lower_ok: bool) -> tuple[int, int, int, bool] | None:
    """(start, end, tokens, known first name) of the name beginning at `pos`, or None.

    Takes up to three words: capitalised ones not in COMMON_WORDS, or lower-case ones when the first is a
    known first name ("sarah jones") or `lower_ok` (after "my name is"). A name followed by a place word
    ("Victoria Ward") is a place.
    """
    end = pos
    count = 0
    known = False
    lower_seen = False
    p = pos
    while count < 3:
        m = _WORD.match(text, p)
        if m is None:
            break
        word = m.group()
        initial = _INITIAL.match(text, m.start())
        if initial and (lower_ok or word.isupper()) and count < 2:
            # "g. harris", "D. Thompson": an initial stands before a name
            gap = _GAP.match(text, initial.end())
            if gap is not None and _WORD.match(text, gap.end()):
                p = gap.end()
                continue
        base = _POSSESSIVE.sub("", word)
        if not base:
            break
        lowered = base.lower()
        if lowered in _PLACE_WORDS:
            if count:
                return None  # "Victoria Ward", "Sarah Jones House": a place
            break
        if len(base) < 2 or lowered in COMMON_WORDS or base.isupper():
            break
        is_cap = base[0].isupper()
        if is_cap:
            if count == 0:
                known = lowered in FIRST_NAMES or lowered in WORD_NAMES
        elif count == 0 and lowered in FIRST_NAMES and lowered not in WORD_NAMES:
            known, lower_seen = True, True
        elif count > 0 and (lower_seen or lower_ok) and not base[0].isupper():
            pass
        elif count == 0 and lower_ok:
            lower_seen = True
        else:
            break
        count += 1
        end = m.start() + len(base)
        if base != word:  # "Sarah's": the name ends at the possessive
            break
        gap = _GAP.match(text, m.end())
        if gap is None:
            break
        p = gap.end()
    if count == 0:
        return None
    return pos, end, count, known


def _names(text: str, low: str) -> Iterable[Finding]:
    if "name" in low or "signed" in low or "called" in low:
        yield from _strong_cue_names(text, low)
    yield from _other_names(text, low)


def _strong_cue_names(text: str, low: str) -> Iterable[Finding]:
    for m in _STRONG_CUE.finditer(low):
        hit = _name_at(text, m.end(), lower_ok=True)
        if hit:
            start, end, _count, known = hit
            capitalised = text[start].isupper()
            yield Finding("name", start, end, known or capitalised)


def _other_names(text: str, low: str) -> Iterable[Finding]:
    def found(start: int, end: int, certain: bool) -> Finding:
        return Finding("name", start, end, certain)

    if "i'm" in low or "i’m" in low or "im " in low or "i am" in low:
        for m in _I_AM.finditer(low):
            hit = _name_at(text, m.end(), lower_ok=False)
            if hit:
                start, end, count, known = hit
                if known or count >= 2:
                    yield found(start, end, True)
                elif text[start].isupper():
                    yield found(start, end, False)  # "I'm Zephyrine"? or "I'm Polish": a person looks
    if "this is" in low or "it's" in low or "it’s" in low or "it is" in low:
        for m in _THIS_IS.finditer(low):
            hit = _name_at(text, m.end(), lower_ok=False)
            if not hit:
                continue
            if hit[3] or text.startswith(" here", hit[1]):  # "this is Phase 2" is not a name
                yield found(hit[0], hit[1], True)
            elif hit[2] == 1 and text[hit[0]].isupper() and text.startswith(",", hit[1]):
                yield found(hit[0], hit[1], False)  # "This is Amira, I was ..."
    if "my " in low:
        for m in _RELATION.finditer(low):
            if m.start() and low[m.start() - 1].isalnum():
                continue  # "army", "economy"
            hit = _name_at(text, m.end(), lower_ok=False)
            if hit:
                start, end, count, known = hit
                if known or (count >= 2 and text[start].isupper()):
                    yield found(start, end, True)
                elif text[start].isupper():
                    yield found(start, end, False)
    if "call" in low or "named" in low or "known as" in low:
        for m in _CALLED.finditer(low):
            hit = _name_at(text, m.end(), lower_ok=False)
            if hit and hit[3]:
                yield found(hit[0], hit[1], True)
    if any(title in text for title in _TITLE_HINTS):
        yield from _titled_names(text)
    if "family" in low:
        for m in _FAMILY.finditer(text):
            hit = _name_at(text, m.start(1), lower_ok=False)
            if hit and hit[2] == 1 and hit[1] == m.end(1):
                yield found(m.start(1), m.end(1), True)  # "the Kowalski family"
    if "thank" in low or "from" in low:
        for m in _THANKS.finditer(low):
            hit = _name_at(text, m.end(), lower_ok=False)
            if hit:
                first = text[hit[0] : hit[1]].split()[0].lower()
                if text[hit[0]].isupper() and first in FIRST_NAMES and first not in WORD_NAMES:
                    yield found(hit[0], hit[1], True)  # "Thank you Sarah for ...", "From Jean and us"
    # Signing off: a name at the very end of the text (or of its last lines).
    tail = max(0, len(low) - 120)
    end_of_text = low[tail:]
    if not any(hint in end_of_text for hint in _SIGN_OFF_HINTS):
        return
    for m in _SIGN_OFF.finditer(low, tail):
        hit = _name_at(text, m.end(), lower_ok=False)
        if not hit or _END.match(low, hit[1]) is None:
            continue
        start, end, count, known = hit
        cue = m.group().strip(" \t\n,.!:-–—")
        if known or (count >= 2 and text[start].isupper()):
            yield found(start, end, True)  # "Thanks, Sarah Jones" / "- Sarah"
        elif text[start].isupper() and cue not in ("from", ""):
            yield found(start, end, False)  # "Regards, Zephyrine"


def _titled_names(text: str) -> Iterable[Finding]:
    for m in _TITLE.finditer(text):
        title = m.group().rstrip(". \t").lower()
        hit = _name_at(text, m.end(), lower_ok=m.group()[0].islower())
        if hit:
            start, end = hit[0], hit[1]
            # "mr smith": Mr, Mrs and Ms are followed by a surname; "dr reviewed" may be a verb.
            yield Finding("name", start, end, text[start].isupper() or title in ("mr", "mrs", "ms"))


# --- the policy -------------------------------------------------------------------------------------


def _lower(text: str) -> str:
    """`text` in lower case, one character for one (patterns run on it, positions read from `text`)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower to two ("İ" → "i̇"): keep those as they are so positions still match.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def find_all(text: str) -> list[Finding]:
    """Every finding in `text`, certain and uncertain, earliest first, without overlaps (a certain finding
    wins over an uncertain one it overlaps)."""
    if not text:
        return []
    low = _lower(text)
    # Cheap tests first: most text has few digits, and each kind needs some (an NHS number ten, a phone
    # number six, a postcode two).
    digits = sum(map(str.isdigit, text))
    found: list[Finding] = []
    found += _emails(text, low)
    if digits >= 10:
        found += _nhs_numbers(text, low)
    if digits >= 6:
        found += _phones(text, low)
    if digits >= 2:
        found += _postcodes(text, low)
    found += _dates_of_birth(text, low, digits >= 4)
    found += _addresses(text, low, digits >= 1)
    found += _names(text, low)
    if not found:
        return []
    found.sort(key=lambda f: (not f.certain, f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        if not any(f.start < k.end and k.start < f.end for k in kept):
            kept.append(f)
    kept.sort(key=lambda f: f.start)
    return kept


def screen(text: str) -> Screened:
    """Screen one text: the text with certain findings replaced by [redacted], and every finding."""
    findings = find_all(text or "")
    if not findings:
        return Screened(text or "", ())
    parts, last = [], 0
    for f in findings:
        if f.certain:
            parts.append(text[last : f.start])
            parts.append(REDACTED)
            last = f.end
    parts.append(text[last:])
    return Screened("".join(parts), tuple(findings))


def find_personal_data(text: str) -> list[Finding]:
    """The certain findings of `text` (what would be redacted)."""
    return [f for f in find_all(text) if f.certain]


def redact(text: str) -> tuple[str, list[str]]:
    """`text` with each certain finding replaced by `[redacted]`, and the kinds found (in order)."""
    result = screen(text)
    return result.text, result.kinds


def describe(kinds: Iterable[str]) -> str:
    """'an NHS number and a phone number' (for messages: never the data itself)."""
    names = [KIND_NAMES.get(k, k) for k in dict.fromkeys(kinds)]
    if not names:
        return "nothing"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def kind_words(kind: str, count: int = 1) -> str:
    """'an NHS number', 'two phone numbers': one kind, as many times as it was found. An unknown kind is
    shown as words made of its identifier ('some_kind' -> 'some kind'), never as the identifier."""
    one, several = KIND_WORDS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
    if count == 1:
        return one
    return f"{_COUNTS[count] if count < len(_COUNTS) else f'{count:,}'} {several}"


def count_kinds(kinds: Iterable[str]) -> str:
    """'an NHS number and two phone numbers' (each kind once, with how often it appears; '' for none)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return _and([kind_words(k, n) for k, n in counts.items()]) if counts else ""


def flagged_words(entries: Iterable[str]) -> str:
    """What screening did to a text, in a sentence, from a stored list of kinds (an answer's `redacted`:
    kinds removed, and kinds held for review as 'unsure: <kind>'):
    'An NHS number and a phone number were removed. A name may be there: it was left as written.'
    '' when the list is empty."""
    entries = list(entries)
    removed = [e for e in entries if not e.startswith(UNSURE_PREFIX)]
    doubts = [e[len(UNSURE_PREFIX) :] for e in entries if e.startswith(UNSURE_PREFIX)]
    sentences = []
    if removed:
        words = count_kinds(removed)
        several = len(removed) > 1
        sentences.append(f"{words[0].upper()}{words[1:]} {'were' if several else 'was'} removed.")
    if doubts:
        words = count_kinds(doubts)
        several = len(doubts) > 1
        sentences.append(
            f"{words[0].upper()}{words[1:]} may be there: {'they were' if several else 'it was'} left as "
            "written for a person to check."
        )
    return " ".join(sentences)


def refusal_message(label: str, kinds: Iterable[str]) -> str:
    """The one wording of a refusal: the field, what it seems to hold, and what to do."""
    return (
        f"{label} looks like it holds {describe(kinds)}: remove it, or write it without identifying details "
        "(everyone who can see this can read it)"
    )


def check_fields(values: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """{field: refusal message} for each text value holding personal data for certain (uncertain findings
    do not refuse: staff text is not held for review, and a refusal must be sure of what it says)."""
    errors: dict[str, str] = {}
    for field, value in values.items():
        if not isinstance(value, str) or not value:
            continue
        kinds = [f.kind for f in find_personal_data(value)]
        if kinds:
            label = (labels or {}).get(field) or field.replace("_", " ").capitalize()
            errors[field] = refusal_message(label, kinds)
    return errors


def refuse_personal_data(values: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> None:
    """Raise ValidationError({field: message}) if any text value holds personal data; else nothing."""
    errors = check_fields(values, labels)
    if errors:
        raise ValidationError(errors)


__all__ = [
    "KINDS",
    "KIND_NAMES",
    "KIND_WORDS",
    "REDACTED",
    "UNSURE_PREFIX",
    "Finding",
    "Screened",
    "check_fields",
    "count_kinds",
    "describe",
    "find_all",
    "find_personal_data",
    "flagged_words",
    "is_valid_nhs_number",
    "kind_words",
    "redact",
    "refusal_message",
    "refuse_personal_data",
    "screen",
]
