"""Screening free text before it is stored (core.screening, as the voice services use it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from spiral.core.screening import redact
from spiral.organisations.models import Unit
from spiral.voice import services
from spiral.voice.models import Moderation
from spiral.voice.services import screen_text
from tests.factories import FeedbackFormFactory


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


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("you can reach me on jo dot bloggs at gmail dot com", "email"),
        ("my landline is (0161) 496 0123", "phone"),
        ("I was born on the fourth of May 1962", "date_of_birth"),
        ("i'm sarah, the ward was lovely", "name"),
        ("send the letter to Flat 3, 22 High Street", "address"),
    ],
)
def test_an_answer_with_identifiers_the_old_screen_missed_is_redacted_and_held(
    tree: dict[str, Unit], text: str, kind: str
) -> None:
    answer = services.submit_answer(form=FeedbackFormFactory(unit=tree["team"]), rating="good", better=text)
    assert answer.status == Moderation.REVIEW
    assert kind in answer.redacted
    assert "[redacted]" in answer.better


def test_an_answer_whose_screening_is_uncertain_is_held_for_review_as_written(tree: dict[str, Unit]) -> None:
    text = "I'm Zephyrine and the night staff were wonderful"
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["team"]), rating="very_good", good=text
    )
    assert answer.status == Moderation.REVIEW  # not published until a person has looked
    assert answer.redacted == ["unsure: name"]
    assert answer.good == text


def test_a_clean_answer_is_published_at_once(tree: dict[str, Unit]) -> None:
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["team"]), rating="good", good="Ward 7 was spotless, 10/10 at 14:00"
    )
    assert answer.status == Moderation.PUBLISHED and answer.redacted == []


def test_a_feedback_form_whose_introduction_holds_a_phone_number_is_refused(tree: dict[str, Unit]) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_form(
            unit=tree["team"], by=None, title="Ward 1", introduction="Questions? Ring Jo on 07700 900123"
        )
    assert caught.value.message_dict["introduction"][0].startswith(
        "The introduction looks like it holds a phone"
    )
