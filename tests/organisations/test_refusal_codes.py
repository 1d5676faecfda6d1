"""Refusals say the truth (docs/permissions.md, "Refusals: 404 or 403"): an object a person may not even
see answers 404; one they may see but not change answers 403; not signed in is a redirect or 401."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.organisations.models import Role, Unit
from spiral.voice.services import submit_answer
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import ApiTokenFactory, FeedbackFormFactory, UserFactory


def api(user, method: str, path: str, body: object = None):
    extra = bearer(user)
    if body is None:
        return getattr(Client(), method)(path, **extra)
    return getattr(Client(), method)(path, json.dumps(body), content_type="application/json", **extra)


def assert_error_shape(response, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]


@pytest.fixture
def answer(tree):
    form = FeedbackFormFactory(unit=tree["other_team"])
    return submit_answer(form=form, rating="good", good="Kind staff")


# --- 404: what a person may not see (or what does not exist: the two look alike on purpose) -----------------


def test_a_unit_that_does_not_exist_answers_404_on_a_page_and_in_the_api(tree, leader):
    assert client_for(leader).get("/units/NOPE/edit/").status_code == 404
    assert_error_shape(api(leader, "patch", "/api/v1/units/NOPE", {"name": "x"}), 404)


def test_a_feedback_answer_of_a_unit_where_one_holds_no_role_answers_404_not_403(tree, leader, answer):
    # Feedback is not open: the answer cannot be seen at all, so it is "not found", as if it did not exist.
    response = client_for(leader).get(f"/feedback/answers/{answer.pk}/")
    assert response.status_code == 404
    assert client_for(leader).get("/feedback/answers/987654/").status_code == 404


def test_someone_elses_token_answers_404_as_a_token_that_does_not_exist(tree, member):
    token = ApiTokenFactory(user=UserFactory())
    assert client_for(member).post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_role_that_does_not_exist_answers_404(tree, leader):
    assert_error_shape(api(leader, "delete", "/api/v1/memberships/987654"), 404)


# --- 403: what a person may see but not change ------------------------------------------------------------


def test_a_unit_one_may_see_but_not_change_answers_403_on_the_page_and_in_the_api(tree, leader):
    assert client_for(leader).get("/units/RBB/edit/").status_code == 403
    response = api(leader, "patch", "/api/v1/units/RBB", {"name": "Renamed"})
    assert_error_shape(response, 403)
    assert Unit.objects.get(code="RBB").name == "Hillside Trust"


def test_moving_beneath_a_unit_one_may_see_but_not_change_answers_403_and_moves_nothing(tree, leader):
    response = client_for(leader).post("/units/RAA-MED-01/move/", {"parent_code": "RBB"})
    assert response.status_code == 403
    assert "You do not have permission to add units beneath Hillside Trust" in response.content.decode()
    assert Unit.objects.get(code="RAA-MED-01").parent.code == "RAA-MED"
    response = api(leader, "patch", "/api/v1/units/RAA-MED-01", {"parent": "RBB"})
    assert_error_shape(response, 403)
    assert not AuditEvent.objects.filter(action="unit.move").exists()


def test_the_feedback_of_a_unit_one_may_see_but_not_read_answers_403_in_the_api(tree, leader, answer):
    assert_error_shape(api(leader, "get", "/api/v1/feedback/responses?unit=RBB-T1"), 403)


def test_a_refused_grant_answers_403_not_400_or_404(tree):
    lead = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    response = api(lead, "post", "/api/v1/memberships", {"user": lead.email, "unit": "RAA", "role": "admin"})
    assert_error_shape(response, 403)


# --- not signed in ------------------------------------------------------------------------------------------


def test_not_signed_in_is_a_redirect_on_pages_and_401_in_the_api(tree):
    assert Client().get("/units/RAA/edit/").status_code == 302
    response = Client().patch("/api/v1/units/RAA", "{}", content_type="application/json")
    assert_error_shape(response, 401)
