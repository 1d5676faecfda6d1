from __future__ import annotations

import pytest

from spiral.core.screening import REDACTED, find_personal_data, is_valid_nhs_number, redact


def test_nhs_numbers_are_recognised_by_their_check_digit():
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("1111111111")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Patient 943 476 5919 fell", "nhs_number"),
        ("see 943-476-5919", "nhs_number"),
        ("ring 07700 900123 after 5", "phone"),
        ("ring +44 20 7946 0958", "phone"),
        ("email jo.bloggs@nhs.net please", "email"),
        ("lives at LS1 4AP", "postcode"),
        ("DOB 01/02/1950", "date_of_birth"),
        ("born on 3 March 1948", "date_of_birth"),
    ],
)
def test_personal_data_is_found_and_redacted(text, kind):
    cleaned, kinds = redact(text)
    assert kinds == [kind]
    assert REDACTED in cleaned


def test_ordinary_notes_are_left_alone():
    text = "New falls bundle started on ward 7; 24 beds, 12 staff; audit 2025-03"
    assert find_personal_data(text) == []
    assert redact(text) == (text, [])


def test_a_ten_digit_number_failing_the_check_is_not_an_nhs_number():
    assert [f.kind for f in find_personal_data("batch 1234567890")] != ["nhs_number"]
