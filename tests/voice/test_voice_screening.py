"""Screening free text before it is stored (core.screening, as the voice services use it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from spiral.core.screening import redact
from spiral.voice.services import screen_text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My name is Jane Smith and the nurse was kind", "name"),
        ("my name's Bob Jones", "name"),
        ("My NHS number is 943 476 5919", "nhs_number"),
        ("call 07700 900123 please", "phone"),
        ("write to jo.bloggs@example.com", "email"),
        ("I live near SW1A 1AA", "postcode"),
        ("DOB 12/03/1950", "date_of_birth"),
    ],
)
def test_each_kind_of_personal_data_is_redacted_in_place(text: str, kind: str) -> None:
    cleaned, kinds = redact(text)
    assert kinds == [kind]
    assert "[redacted]" in cleaned


def test_a_ten_digit_number_failing_the_nhs_check_digit_is_kept() -> None:
    # 943 476 5918: the modulus 11 check digit of 943476591 is 9, not 8.
    assert redact("Ref 943 476 5918")[1] != ["nhs_number"]


def test_the_name_phrase_stays_and_only_the_name_goes() -> None:
    assert redact("My name is Margaret Holloway, thank you")[0] == "My name is [redacted], thank you"


def test_ordinary_words_about_names_are_not_redacted() -> None:
    assert redact("the name of the ward was confusing")[1] == []


def test_text_of_only_personal_data_is_refused_and_not_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        screen_text("07700 900123", field="better", label="What could be better")
    message = caught.value.message_dict["better"][0]
    assert "only personal details (a phone number)" in message
    assert "07700" not in message


def test_text_over_the_limit_is_refused_with_its_length() -> None:
    with pytest.raises(ValidationError) as caught:
        screen_text("a" * 2001, field="good", label="What was good")
    assert "2,001 characters" in caught.value.message_dict["good"][0]
