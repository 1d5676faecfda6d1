"""The personal-data screen against its corpus (docs/screening.md): the goals of issue 11, asserted.

Every NHS number with a valid check digit, every email address and every phone number is caught for
certain (redacted); at least 95% of postcodes, dates of birth and street addresses; fewer than 2% of the
clean sentences flagged at all (certain or held for review). bench/screening.py prints the same figures.
"""

from __future__ import annotations

from collections import Counter

import pytest

from spiral.core.screening import REDACTED, is_valid_nhs_number, screen
from tests.core.screening_corpus import CLEAN_SENTENCES, FAILING_CHECK, PERSONAL

GOALS = {
    "nhs_number": 1.0,
    "email": 1.0,
    "phone": 1.0,
    "postcode": 0.95,
    "date_of_birth": 0.95,
    "address": 0.95,
}


def _recall() -> tuple[Counter[str], Counter[str]]:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text, kinds in PERSONAL:
        found = set(screen(text).kinds)
        for kind in kinds:
            total[kind] += 1
            caught[kind] += kind in found
    return caught, total


def test_the_corpus_has_at_least_300_sentences_with_and_without_identifiers() -> None:
    assert len(PERSONAL) + len(CLEAN_SENTENCES) >= 300
    assert len(PERSONAL) >= 150 and len(CLEAN_SENTENCES) >= 150


def test_every_nhs_number_in_the_corpus_has_a_valid_check_digit() -> None:
    # So that the 100% goal means what it says: these are numbers the check accepts.
    for text, kinds in PERSONAL:
        if "nhs_number" in kinds:
            digits = "".join(c for c in text if c.isdigit())
            assert any(is_valid_nhs_number(digits[i : i + 10]) for i in range(len(digits) - 9)), text


@pytest.mark.parametrize("kind", sorted(GOALS))
def test_each_kind_of_identifier_is_caught_as_often_as_the_goal_says(kind: str) -> None:
    caught, total = _recall()
    missed = [t for t, kinds in PERSONAL if kind in kinds and kind not in screen(t).kinds]
    assert total[kind] >= 20, f"too few {kind} sentences to measure"
    assert caught[kind] / total[kind] >= GOALS[kind], f"{kind}: {caught[kind]}/{total[kind]}, missed {missed}"


def test_names_are_caught_or_held_for_review() -> None:
    # No goal in the issue; the figure is reported. A name held as uncertain still keeps an answer from
    # being published without a person looking.
    held = [t for t, kinds in PERSONAL if "name" in kinds and "name" in screen(t).kinds + screen(t).doubts]
    total = [t for t, kinds in PERSONAL if "name" in kinds]
    assert len(held) / len(total) >= 0.95


def test_fewer_than_two_percent_of_clean_sentences_are_flagged() -> None:
    flagged = [t for t in CLEAN_SENTENCES if screen(t).needs_review]
    assert len(flagged) / len(CLEAN_SENTENCES) < 0.02, flagged


def test_the_redacted_text_holds_none_of_the_identifiers_digits() -> None:
    # The kinds with digits: after redaction no run of the original number is left behind.
    for text, kinds in PERSONAL:
        if kinds & {"nhs_number", "phone"}:
            cleaned = screen(text).text
            assert REDACTED in cleaned
            assert sum(c.isdigit() for c in cleaned) < 6, (text, cleaned)


@pytest.mark.parametrize("text", FAILING_CHECK)
def test_a_ten_digit_number_failing_the_check_digit_is_not_redacted(text: str) -> None:
    assert "nhs_number" not in screen(text).kinds
