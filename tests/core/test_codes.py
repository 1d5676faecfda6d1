"""The one code validator (spiral.core.codes): the character sets, the messages, and where it applies."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError

from spiral.core import codes
from spiral.measurement import services as measurement_services
from spiral.organisations import services as organisation_services
from tests.factories import MeasureFactory, UnitFactory

GOOD_ODS = ["RJ1", "Y56", "RJ1-W12", "a", "0", "rj1", "ABC-123-X"]
GOOD_MEASURE = [*GOOD_ODS, "FALLS-1000BD", "SHMI_v2", "A.E.4HR", "FFT-ABC_DEF"]
BAD_BOTH = [
    "RJ1/W12",  # a path separator: the parent's page cannot link to it
    "RJ1\\W12",
    "..",
    ".",
    "RJ1 W12",
    "RJ1?x",
    "RJ1#x",
    "RJ1%2F",
    "RJ1\u2013W12",  # en dash, as spreadsheets autocorrect
    "RJ1\u2010W12",
    "RJ1\u2212W12",
    "RJ1\x00",
    "RJ1\x1b",
    "ＲＪ１",  # full-width letters
    "RJé",
    "-RJ1",
    "RJ1-",
    "",
    "X" * 65,
]


@pytest.mark.parametrize("code", GOOD_ODS)
def test_ods_codes_of_letters_digits_and_hyphens_are_accepted(code):
    assert codes.validate_code(code, kind=codes.ODS) == code


@pytest.mark.parametrize("code", GOOD_MEASURE)
def test_measure_codes_may_also_hold_underscores_and_dots(code):
    assert codes.validate_code(code, kind=codes.MEASURE) == code


@pytest.mark.parametrize("code", BAD_BOTH)
@pytest.mark.parametrize("kind", codes.KINDS)
def test_codes_that_cannot_be_a_url_path_segment_are_refused(code, kind):
    with pytest.raises(codes.CodeError):
        codes.validate_code(code, kind=kind)


@pytest.mark.parametrize("code", ["A_B", "A.B", "A..B"])
def test_unit_codes_refuse_underscores_and_dots(code):
    assert codes.code_problem(code, kind=codes.ODS) is not None


def test_two_dots_in_a_row_are_refused_in_a_measure_code():
    assert "two dots" in codes.code_problem("A..B", kind=codes.MEASURE)


def test_a_look_alike_dash_is_named_and_the_fixed_code_suggested():
    message = codes.code_problem("RJ1\u2013W12", kind=codes.ODS)
    assert "U+2013" in message
    assert "RJ1-W12" in message


def test_a_slash_is_named_in_the_message():
    assert "'/'" in codes.code_problem("RJ1/W12", kind=codes.ODS)


def test_a_control_character_is_named_by_its_code_point():
    assert "U+001B" in codes.code_problem("RJ1\x1b", kind=codes.ODS)


def test_the_length_limit_is_the_smaller_of_the_field_and_the_core_limit():
    assert codes.code_problem("X" * 32, kind=codes.ODS, max_length=32) is None
    assert "at most 32" in codes.code_problem("X" * 33, kind=codes.ODS, max_length=32)
    assert "at most 64" in codes.code_problem("X" * 65, kind=codes.MEASURE, max_length=500)


def test_surrounding_spaces_are_removed_and_case_is_kept():
    assert codes.validate_code("  rj1-W12 ", kind=codes.ODS) == "rj1-W12"


@pytest.mark.parametrize("kind", codes.KINDS)
@pytest.mark.parametrize("code", GOOD_MEASURE + BAD_BOTH + ["A_B", "A.B", "A..B", "A._B"])
def test_the_exported_pattern_agrees_with_the_validator(kind, code):
    # API schemas use the pattern (with maxLength): it must refuse exactly what the validator refuses.
    by_pattern = re.fullmatch(codes.PATTERNS[kind], code) is not None and len(code) <= 64
    assert by_pattern == codes.is_valid_code(code, kind=kind)


def test_the_model_field_refuses_a_bad_unit_code_in_full_clean(db):
    unit = UnitFactory.build(code="RJ1/W12", parent=None)
    with pytest.raises(ValidationError) as caught:
        unit.full_clean(exclude=["path", "parent"])
    assert "code" in caught.value.message_dict


@pytest.mark.django_db
def test_creating_a_unit_with_a_slash_in_its_code_is_refused_with_a_message():
    parent = UnitFactory(kind="organisation")
    with pytest.raises(ValidationError) as caught:
        organisation_services.create_unit(code="RJ1/W12", name="Ward", kind="team", parent=parent, by=None)
    assert "'/'" in caught.value.message_dict["code"][0]


@pytest.mark.django_db
def test_creating_a_measure_with_a_slash_in_its_code_is_refused():
    owner = UnitFactory()
    with pytest.raises(ValidationError) as caught:
        measurement_services.create_measure(
            code="FALLS/1", name="Falls", owner=owner, by=None, measure_type="outcome", chart="xmr",
            improvement="decrease", frequency="month",
        )  # fmt: skip
    assert "code" in caught.value.message_dict


@pytest.mark.django_db
def test_the_database_check_reports_stored_codes_that_pages_cannot_link_to():
    bad_unit = UnitFactory(code="RJ1/W12")
    bad_measure = MeasureFactory(code="A\u2013B")
    UnitFactory(code="RJ2")
    warnings = [m for m in run_checks(databases=["default"]) if m.id == "spiral.W001"]
    texts = [str(w) for w in warnings]
    assert len(warnings) == 2
    assert any("RJ1/W12" in t and f"/admin/organisations/unit/{bad_unit.pk}/change/" in t for t in texts)
    assert any(f"measure {bad_measure.pk}" in t for t in texts)


@pytest.mark.django_db
def test_the_database_check_is_silent_when_every_code_is_good():
    UnitFactory(code="RJ1")
    MeasureFactory(code="FALLS-1000BD")
    assert not [m for m in run_checks(databases=["default"]) if m.id == "spiral.W001"]


def test_the_database_check_does_not_run_without_a_database():
    assert codes.check_existing_codes(databases=None) == []


@pytest.mark.parametrize("code", [c for c in [*GOOD_MEASURE, *BAD_BOTH, "A~41", "~", "RJ1~2F"] if c.strip()])
def test_every_code_has_an_address_that_leads_back_to_it(code: str) -> None:
    converter = codes.CodeConverter()
    address = converter.to_url(code)
    assert re.fullmatch(converter.regex, address) and address not in (".", "..")
    assert converter.to_python(address) == code
    if code in GOOD_MEASURE:
        assert address == code  # a good code is its own address


@pytest.mark.django_db
def test_a_unit_stored_with_a_bad_code_leaves_its_parents_page_working_and_has_a_page(tree) -> None:
    from spiral.organisations.models import Role
    from tests.conftest import client_for, user_with_role

    bad = UnitFactory(
        code="RJ1/W12", name="Ward from before the validator", kind="team", parent=tree["directorate"]
    )
    client = client_for(user_with_role(Role.LEADER, tree["org"]))
    parent = client.get(f"/units/{tree['directorate'].code}/")
    assert parent.status_code == 200
    assert 'href="/units/RJ1~2FW12/"' in parent.content.decode()
    page = client.get("/units/RJ1~2FW12/")
    assert page.status_code == 200 and bad.name in page.content.decode()
    assert client.get("/measures/units/RJ1~2FW12/").status_code == 200
