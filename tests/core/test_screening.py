"""The one screening policy (spiral.core.screening): what it catches, what it holds for review, how it
refuses. The corpus figures are in test_screening_corpus.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from spiral.core.screening import (
    REDACTED,
    check_fields,
    describe,
    flagged_words,
    is_valid_nhs_number,
    kind_words,
    redact,
    refuse_personal_data,
    screen,
)


@pytest.mark.parametrize(
    ("text", "kind", "left"),
    [
        ("write to jo dot bloggs at gmail dot com", "email", "write to [redacted]"),
        ("ring (0161) 496 0123 after six", "phone", "ring [redacted] after six"),
        ("I was born on the fourth of May 1962", "date_of_birth", "I was [redacted]"),
        ("my birthday is 4th May 1962", "date_of_birth", "my [redacted]"),
        ("my name is sarah jones", "name", "my name is [redacted]"),
        ("I'm Sarah Jones, from bay 2", "name", "I'm [redacted], from bay 2"),
        ("Name: Sarah Jones", "name", "Name: [redacted]"),
        ("this is sarah from the night team", "name", "this is [redacted] from the night team"),
        ("Great care. Thanks, Sarah Jones", "name", "Great care. Thanks, [redacted]"),
        ("send it to 14 Acacia Avenue", "address", "send it to [redacted]"),
        ("Flat 3, 22 High Street", "address", REDACTED),
    ],
)
def test_the_ways_people_write_identifiers_that_were_missed_are_caught(
    text: str, kind: str, left: str
) -> None:
    result = screen(text)
    assert result.kinds == [kind]
    assert result.text == left


@pytest.mark.parametrize(
    "text",
    [
        "Ward 7, bed 12: paracetamol 1 g at 14:00; NEWS2 5",
        "Falls fell from 6 to 3 per 1,000 bed days (50%) by March 2025",
        "Spread to Royal Oldham Hospital in Q3 2025/26",
        "This is Victoria Ward's third cycle",
        "a 6 minute walk from the car park",
        "ward B3 4th floor",
        "the leaflet is at england.nhs.uk",
    ],
)
def test_clinical_text_with_numbers_and_places_is_not_flagged(text: str) -> None:
    assert not screen(text).needs_review


def test_an_unknown_capitalised_word_after_im_is_held_for_review_not_redacted() -> None:
    result = screen("I'm Zephyrine and the ward was cold")
    assert result.kinds == []
    assert result.doubts == ["name"]
    assert result.needs_review
    assert result.text == "I'm Zephyrine and the ward was cold"


def test_a_number_called_an_nhs_number_that_fails_the_check_is_held_for_review() -> None:
    # 943 476 5918: the modulus 11 check digit of 943476591 is 9, not 8.
    result = screen("my NHS number is 943 476 5918")
    assert result.kinds == [] and result.doubts == ["nhs_number"]


def test_an_old_full_date_without_a_cue_is_held_for_review() -> None:
    result = screen("admitted, 12/03/1950 on the form")
    assert result.doubts == ["date_of_birth"]


def test_a_local_number_given_to_ring_is_held_for_review() -> None:
    assert screen("ring 496 0123 please").doubts == ["phone"]


def test_the_nhs_number_check_is_the_modulus_11_rule() -> None:
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("0000000000")  # a placeholder, never issued
    assert not is_valid_nhs_number("94347659")


def test_several_identifiers_in_one_text_are_each_redacted_and_named() -> None:
    cleaned, kinds = redact("Jo, DOB 04/05/1962, NHS 943 476 5919, call 07700 900123")
    assert kinds == ["date_of_birth", "nhs_number", "phone"]
    assert "1962" not in cleaned and "5919" not in cleaned and "900123" not in cleaned


def test_characters_that_change_length_in_lower_case_do_not_shift_the_redaction() -> None:
    # "İ" lowers to two characters; the patterns run on a lower-cased copy of the same length.
    cleaned, kinds = redact("İstanbul trip; call 07700 900123 now")
    assert kinds == ["phone"]
    assert cleaned == "İstanbul trip; call [redacted] now"


def test_a_refusal_names_the_field_and_the_kind_but_never_the_data() -> None:
    with pytest.raises(ValidationError) as caught:
        refuse_personal_data(
            {"aim": "Call 07700 900123 to join", "problem": "Falls on Ward 7"}, {"aim": "The aim"}
        )
    errors = caught.value.message_dict
    assert list(errors) == ["aim"]
    assert errors["aim"][0].startswith("The aim looks like it holds a phone number: remove it")
    assert "07700" not in errors["aim"][0]


def test_uncertain_findings_do_not_refuse_staff_text() -> None:
    assert check_fields({"learning": "I'm Zephyrine"}) == {}


def test_text_without_personal_data_passes_the_refusal_check() -> None:
    refuse_personal_data({"aim": "Reduce falls on Ward 7 by 50% by March 2026", "count": 3, "empty": ""})


def test_kind_words_say_one_or_several_of_a_kind() -> None:
    assert kind_words("nhs_number") == "an NHS number"
    assert kind_words("phone", 2) == "two phone numbers"
    assert kind_words("date_of_birth", 12) == "12 dates of birth"
    assert kind_words("new_kind") == "new kind"  # never the identifier


def test_flagged_words_say_what_was_removed_and_what_was_left_with_the_verb_agreeing() -> None:
    assert flagged_words(["nhs_number", "phone"]) == "An NHS number and a phone number were removed."
    assert flagged_words(["email"]) == "An email address was removed."
    assert flagged_words(["phone", "phone"]) == "Two phone numbers were removed."
    assert flagged_words(["postcode", "unsure: name"]) == (
        "A postcode was removed. A name may be there: it was left as written for a person to check."
    )
    assert flagged_words([]) == ""


def test_describe_lists_kinds_once_each() -> None:
    assert describe(["phone", "email", "phone"]) == "a phone number and an email address"
