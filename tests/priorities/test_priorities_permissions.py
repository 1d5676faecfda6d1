"""Who may set goals, answer them and play catchball (docs/permissions.md, "Priorities")."""

from __future__ import annotations

import pytest

from spiral.organisations.models import Role
from spiral.organisations.permissions import Permission, can
from tests.conftest import client_for, user_with_role
from tests.factories import ResponseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.MEMBER, False), (Role.PATIENT_PARTNER, False), (Role.COACH, False), (Role.ANALYST, False),
     (Role.IMPROVEMENT_LEAD, False), (Role.LEADER, True), (Role.ADMIN, True)],
)  # fmt: skip
def test_only_leaders_and_admins_set_goals_on_their_unit_and_beneath(tree, role, allowed):
    person = user_with_role(role, tree["org"])
    assert can(person, Permission.SET_GOALS, tree["team"]) is allowed
    assert can(person, Permission.SET_GOALS, tree["other_org"]) is False
    status = client_for(person).get(f"/priorities/units/{tree['team'].code}/goals/new/").status_code
    assert status == (200 if allowed else 403)


def test_every_signed_in_person_reads_goals_and_anonymous_visitors_sign_in(tree, goal):
    assert client_for(UserFactory()).get(f"/priorities/goals/{goal.pk}/cascade/").status_code == 200
    response = client_for(None).get(f"/priorities/goals/{goal.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_a_patient_partner_sees_catchball_but_may_not_reply(tree, goal):
    mine = ResponseFactory(goal=goal, unit=tree["team"].parent, response="adapt")
    partner = user_with_role(Role.PATIENT_PARTNER, tree["directorate"])
    client = client_for(partner)
    page = client.get(f"/priorities/goals/{mine.pk}/").content.decode()
    assert "Catchball" in page and "Your turn" not in page
    refused = client.post(f"/priorities/goals/{mine.pk}/catchball/", {"kind": "reply", "text": "Hello"})
    assert refused.status_code == 403 and mine.messages.count() == 1


def test_a_leader_of_another_branch_may_not_answer_for_a_unit_here(tree, goal, outsider):
    response = client_for(outsider).post(f"/priorities/goals/{goal.pk}/respond/",
                                         {"unit": tree["directorate"].code, "response": "adopt"})  # fmt: skip
    assert response.status_code == 403 and not goal.responses.exists()


def test_a_leader_above_answers_for_a_unit_beneath(tree, goal, org_leader):
    response = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/respond/",
                                           {"unit": tree["directorate"].code, "response": "adopt"})  # fmt: skip
    assert response.status_code == 302 and goal.responses.get().unit == tree["directorate"]
