"""The one form-page POST (spiral.core.forms.submit_form): validate, call the service, put its refusal on
the form or redirect with a message."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from spiral.core.audit import StaleEdit
from spiral.core.forms import submit_form


class NameForm(forms.Form):
    name = forms.CharField(max_length=20)
    code = forms.CharField(max_length=5, required=False)


def post(data: dict[str, str]) -> Any:
    request = RequestFactory().post("/things/new/", data)
    request._messages = CookieStorage(request)
    return request


def messages_of(request: Any) -> list[str]:
    return [str(m) for m in request._messages]


def never(data: dict[str, Any]) -> Any:
    raise AssertionError("the service must not be called")


def test_a_get_shows_the_page_without_calling_the_service():
    request = RequestFactory().get("/things/new/")
    assert submit_form(request, NameForm(), save=never, success_url="/things/") is None


def test_an_invalid_form_shows_the_page_again_with_its_errors():
    request = post({"name": ""})
    form = NameForm(request.POST)
    assert submit_form(request, form, save=never, success_url="/things/") is None
    assert "name" in form.errors


def test_a_saved_form_redirects_with_the_message_worked_out_from_the_result():
    request = post({"name": "Ward 3"})
    form = NameForm(request.POST)
    response = submit_form(
        request,
        form,
        save=lambda data: {"pk": 7, "name": data["name"]},
        success_url=lambda thing: f"/things/{thing['pk']}/",
        message=lambda thing: f"{thing['name']} has been saved.",
    )
    assert (response.status_code, response["Location"]) == (302, "/things/7/")
    assert messages_of(request) == ["Ward 3 has been saved."]


def test_a_fixed_address_and_message_serve_as_they_are():
    request = post({"name": "Ward 3"})
    response = submit_form(
        request, NameForm(request.POST), save=lambda data: None, success_url="/things/", message="Saved"
    )
    assert response["Location"] == "/things/"
    assert messages_of(request) == ["Saved"]


def test_no_message_is_added_unless_one_is_given():
    request = post({"name": "Ward 3"})
    submit_form(request, NameForm(request.POST), save=lambda data: None, success_url="/things/")
    assert messages_of(request) == []


def test_the_services_refusal_goes_on_its_field_through_the_field_map():
    request = post({"name": "Ward 3"})
    form = NameForm(request.POST)

    def refuse(data: dict[str, Any]) -> None:
        raise ValidationError({"unit_code": "That code is taken", "other": "Something else"})

    response = submit_form(
        request, form, save=refuse, success_url="/things/", field_map={"unit_code": "code"}
    )
    assert response is None
    assert form.errors["code"] == ["That code is taken"]
    assert form.non_field_errors() == ["Something else"]
    assert messages_of(request) == []


def test_a_refusal_without_fields_goes_at_the_top_of_the_form():
    request = post({"name": "Ward 3"})
    form = NameForm(request.POST)

    def refuse(data: dict[str, Any]) -> None:
        raise ValidationError("Not today")

    assert submit_form(request, form, save=refuse, success_url="/things/") is None
    assert form.non_field_errors() == ["Not today"]


def stale(data: dict[str, Any]) -> None:
    raise StaleEdit({"version": 4})


def test_a_stale_edit_shows_the_given_words_on_the_form():
    request = post({"name": "Ward 3"})
    form = NameForm(request.POST)
    assert submit_form(request, form, save=stale, success_url="/", on_stale="Reload to see theirs") is None
    assert form.non_field_errors() == ["Reload to see theirs"]


def test_a_stale_edit_can_be_handed_to_the_page_to_show_the_saved_version():
    request = post({"name": "Ward 3"})
    seen: list[Any] = []
    assert (
        submit_form(request, NameForm(request.POST), save=stale, success_url="/", on_stale=seen.append)
        is None
    )
    assert seen[0].current == {"version": 4}


def test_a_stale_edit_the_page_does_not_expect_is_not_caught():
    request = post({"name": "Ward 3"})
    with pytest.raises(StaleEdit):
        submit_form(request, NameForm(request.POST), save=stale, success_url="/")


def test_a_refusal_of_permission_is_not_caught():
    request = post({"name": "Ward 3"})

    def deny(data: dict[str, Any]) -> None:
        raise PermissionDenied("No")

    with pytest.raises(PermissionDenied):
        submit_form(request, NameForm(request.POST), save=deny, success_url="/")
