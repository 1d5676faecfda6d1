"""Environment readers: safe defaults, and a loud, fix-it message for anything they cannot read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from spiral.core.env import env_bool, env_choice, env_int, env_list, env_str


def test_a_string_falls_back_to_its_default(monkeypatch):
    monkeypatch.delenv("SPIRAL_X", raising=False)
    assert env_str("SPIRAL_X", "fallback") == "fallback"


def test_a_required_string_that_is_missing_names_the_variable_and_how_to_set_it(monkeypatch):
    monkeypatch.delenv("SPIRAL_X", raising=False)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_str("SPIRAL_X", required=True)
    assert "SPIRAL_X is not set" in str(caught.value)
    assert "export SPIRAL_X=" in str(caught.value)


def test_a_required_string_that_is_empty_counts_as_missing(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", "")
    with pytest.raises(ImproperlyConfigured):
        env_str("SPIRAL_X", required=True)


YES_NO = [("1", True), ("TRUE", True), (" yes ", True), ("on", True),
          ("0", False), ("false", False), ("No", False), ("", False)]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), YES_NO)
def test_yes_no_values_are_read_in_any_case(monkeypatch, value, expected):
    monkeypatch.setenv("SPIRAL_X", value)
    assert env_bool("SPIRAL_X", default=not expected) is expected


def test_a_yes_no_value_that_is_neither_is_refused(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", "maybe")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_bool("SPIRAL_X")
    assert "SPIRAL_X='maybe' is not a yes/no value" in str(caught.value)


def test_a_whole_number_is_read_and_anything_else_refused(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", " 42 ")
    assert env_int("SPIRAL_X", 1) == 42
    monkeypatch.setenv("SPIRAL_X", "forty")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_int("SPIRAL_X", 1)
    assert "SPIRAL_X='forty' is not a whole number" in str(caught.value)


def test_a_blank_number_uses_the_default(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", " ")
    assert env_int("SPIRAL_X", 7) == 7


def test_a_list_is_split_on_commas_ignoring_blanks(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", "a.nhs.uk, b.nhs.uk,,")
    assert env_list("SPIRAL_X") == ["a.nhs.uk", "b.nhs.uk"]
    monkeypatch.delenv("SPIRAL_X")
    assert env_list("SPIRAL_X", ["localhost"]) == ["localhost"]


def test_a_choice_is_one_of_a_list_and_anything_else_names_the_choices(monkeypatch):
    monkeypatch.setenv("SPIRAL_X", "Production")
    assert env_choice("SPIRAL_X", ("development", "production"), "development") == "production"
    monkeypatch.setenv("SPIRAL_X", "staging")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_choice("SPIRAL_X", ("development", "production"), "development")
    assert "is not one of: development, production" in str(caught.value)
