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


@pytest.mark.django_db
def test_an_annotation_naming_a_patient_is_refused_not_silently_changed() -> None:
    from django.core.exceptions import ValidationError

    from spiral.measurement import services
    from spiral.measurement.models import Annotation
    from tests.factories import SeriesFactory

    series = SeriesFactory()
    with pytest.raises(ValidationError) as caught:
        services.add_annotation(
            series=series, period="2025-03", kind="event", text="Mrs Patel fell in bay 2", by=None
        )
    assert caught.value.message_dict["text"][0].startswith("The annotation looks like it holds a name")
    assert not Annotation.objects.exists()
    services.add_annotation(
        series=series, period="2025-03", kind="event", text="New bed alarms on Ward 7", by=None
    )
    assert Annotation.objects.get().text == "New bed alarms on Ward 7"


@pytest.mark.django_db
def test_a_measure_description_with_a_phone_number_is_refused(tree) -> None:
    from django.core.exceptions import ValidationError

    from spiral.measurement import services
    from spiral.measurement.models import Measure

    with pytest.raises(ValidationError) as caught:
        services.create_measure(
            code="FALLS-1", name="Falls", owner=tree["org"], by=None, chart="xmr", improvement="decrease",
            description="Questions to Jo on (0161) 496 0123",
        )  # fmt: skip
    assert "The description looks like it holds a phone number" in caught.value.message_dict["description"][0]
    assert not Measure.objects.filter(code="FALLS-1").exists()
