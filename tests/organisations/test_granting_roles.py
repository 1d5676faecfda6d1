"""Granting and removing roles (docs/permissions.md): nobody grants a role above their own, nobody raises
their own role, nobody removes a role at or above their own; every grant and removal is audited."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.organisations import services
from spiral.organisations.models import Membership, Role, Unit, User
from spiral.organisations.permissions import (
    ROLE_RANK,
    Permission,
    grantable_roles,
    may_grant,
    may_remove,
    rank_on,
)
from tests import permtable
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def lead(tree: dict[str, Unit]) -> User:
    """Improvement lead of the organisation: may manage its members."""
    return user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])


def post_membership(actor: User, **body: str) -> object:
    return Client().post(
        "/api/v1/memberships", json.dumps(body), content_type="application/json", **bearer(actor)
    )


def delete_membership(user: User, membership: Membership) -> object:
    return Client().delete(f"/api/v1/memberships/{membership.pk}", **bearer(user))


def grants_and_removals() -> int:
    return AuditEvent.objects.filter(action__in=["membership.add", "membership.remove"]).count()


# --- the order of roles ---------------------------------------------------------------------------------


def test_every_role_has_a_rank():
    assert set(ROLE_RANK) == set(Role)


def test_the_role_table_lists_the_roles_lowest_first():
    # The role table's order is the one order of roles the documents and tests show.
    assert set(permtable.ROLES) == set(Role.values)
    ranks = [ROLE_RANK[Role(role)] for role in permtable.ROLES]
    assert ranks == sorted(ranks)


def test_a_role_grants_everything_the_roles_it_outranks_grant():
    # So "a role that does not outrank your own" never hands out a permission you do not hold.
    for high in Role:
        for low in Role:
            if ROLE_RANK[high] > ROLE_RANK[low]:
                assert permtable.grants(low) <= permtable.grants(high), (high, low)


def test_peers_who_may_manage_members_hold_the_same_permissions():
    # Granting a peer's role must not hand out a permission the granter lacks.
    for one in Role:
        for other in Role:
            managers = Permission.MANAGE_MEMBERS in permtable.grants(one) | permtable.grants(other)
            if ROLE_RANK[one] == ROLE_RANK[other] and managers:
                assert permtable.grants(one) == permtable.grants(other), (one, other)


def test_a_rank_counts_roles_held_above_the_unit_and_not_beneath_it(tree):
    person = user_with_role(Role.COACH, tree["org"])
    MembershipFactory(user=person, unit=tree["team"], role=Role.LEADER)
    assert rank_on(person, tree["directorate"]) == ROLE_RANK[Role.COACH]
    assert rank_on(person, tree["team"]) == ROLE_RANK[Role.LEADER]
    assert rank_on(person, tree["icb"]) == 0


def test_a_superuser_outranks_every_role(tree):
    superuser = UserFactory(is_superuser=True)
    assert rank_on(superuser, tree["team"]) > max(ROLE_RANK.values())
    assert grantable_roles(superuser, tree["team"]) == list(Role)


# --- granting, through the API --------------------------------------------------------------------------


def test_an_improvement_lead_cannot_grant_themselves_admin_through_the_api(tree, lead):
    response = post_membership(lead, user=lead.email, unit="RAA", role="admin")
    assert response.status_code == 403, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "raise your own role" in body["detail"]
    assert not Membership.objects.filter(user=lead, role=Role.ADMIN).exists()
    assert grants_and_removals() == 0


def test_an_improvement_lead_who_was_refused_admin_still_cannot_edit_the_unit_or_read_the_audit(tree, lead):
    post_membership(lead, user=lead.email, unit="RAA", role="admin")
    client = client_for(lead)
    assert client.get("/units/RAA/edit/").status_code == 403
    assert client.get("/audit/").status_code == 403


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_an_improvement_lead_cannot_grant_anyone_a_role_above_their_own(tree, lead, role):
    person = UserFactory()
    response = post_membership(lead, user=person.email, unit="RAA-MED", role=role)
    assert response.status_code == 403, response.content
    assert "outranks your role on Medicine" in response.json()["detail"]
    assert not person.memberships.exists()


@pytest.mark.parametrize("role", ["member", "patient_partner", "coach", "analyst", "improvement_lead"])
def test_an_improvement_lead_may_grant_roles_up_to_their_own(tree, lead, role):
    person = UserFactory()
    response = post_membership(lead, user=person.email, unit="RAA-MED", role=role)
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="membership.add")
    assert event.actor == lead
    assert event.changes["role"] == [None, role]


def test_a_leader_may_grant_leader_but_not_admin(tree, leader):
    person = UserFactory()
    assert post_membership(leader, user=person.email, unit="RAA", role="leader").status_code == 201
    assert post_membership(leader, user=person.email, unit="RAA", role="admin").status_code == 403


def test_nobody_raises_their_own_role_where_they_hold_a_higher_one_beneath(tree):
    # A leader of a ward who is improvement lead of the trust may not make themselves leader of the trust:
    # it would apply to every other ward as well.
    person = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    MembershipFactory(user=person, unit=tree["team"], role=Role.LEADER)
    response = post_membership(person, user=person.email, unit="RAA", role="leader")
    assert response.status_code == 403
    assert not Membership.objects.filter(user=person, unit=tree["org"], role=Role.LEADER).exists()


def test_a_role_held_on_an_ancestor_counts_when_granting_beneath(tree):
    trust_admin = user_with_role(Role.ADMIN, tree["org"])
    person = UserFactory()
    assert post_membership(trust_admin, user=person.email, unit="RAA-MED-01", role="admin").status_code == 201


def test_a_superuser_may_grant_admin_anywhere(tree):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    person = UserFactory()
    assert post_membership(superuser, user=person.email, unit="ENG", role="admin").status_code == 201


def test_the_system_may_grant_any_role(tree):
    # The command line and the demo act as the system (by=None): they run on the server.
    person = UserFactory()
    services.add_membership(user=person, unit=tree["org"], role=Role.ADMIN, by=None)
    assert AuditEvent.objects.get(action="membership.add").actor is None


def test_the_service_itself_refuses_so_every_caller_gets_the_rule(tree, lead):
    with pytest.raises(PermissionDenied, match="outranks"):
        services.add_membership(user=UserFactory(), unit=tree["org"], role=Role.ADMIN, by=lead)
    assert grants_and_removals() == 0


def test_a_member_cannot_grant_any_role(tree, member):
    response = post_membership(member, user=UserFactory().email, unit="RAA-MED-01", role="member")
    assert response.status_code == 403
    assert "permission" in response.json()["detail"]


# --- removing, through the API --------------------------------------------------------------------------


def test_an_improvement_lead_cannot_remove_a_leaders_role(tree, lead, leader):
    membership = leader.memberships.get()
    response = delete_membership(lead, membership)
    assert response.status_code == 403, response.content
    assert set(response.json()) == {"detail", "errors"}
    assert "not below your own role" in response.json()["detail"]
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert grants_and_removals() == 0


def test_an_improvement_lead_cannot_remove_another_improvement_lead(tree, lead):
    other = user_with_role(Role.IMPROVEMENT_LEAD, tree["team"])
    assert delete_membership(lead, other.memberships.get()).status_code == 403


def test_an_improvement_lead_may_remove_a_role_below_their_own_and_it_is_audited(tree, lead, member):
    membership = member.memberships.get()
    response = delete_membership(lead, membership)
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(action="membership.remove")
    assert event.actor == lead
    assert event.changes["role"] == ["member", None]


def test_anyone_may_give_up_their_own_role(tree, member):
    membership = member.memberships.get()
    assert delete_membership(member, membership).status_code == 204
    assert AuditEvent.objects.get(action="membership.remove").actor == member


def test_a_person_without_manage_members_cannot_remove_someone_elses_role(tree, member, leader):
    response = delete_membership(member, leader.memberships.get())
    assert response.status_code == 403
    assert leader.memberships.exists()


def test_a_superuser_may_remove_an_admin(tree, admin_user):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert delete_membership(superuser, admin_user.memberships.get()).status_code == 204


def test_removing_a_role_that_does_not_exist_answers_404(tree, lead):
    response = Client().delete("/api/v1/memberships/987654", **bearer(lead))
    assert response.status_code == 404


def test_may_grant_and_may_remove_agree_with_the_api(tree, lead, leader, member):
    assert may_grant(lead, Role.IMPROVEMENT_LEAD, tree["org"])
    assert not may_grant(lead, Role.LEADER, tree["org"])
    assert not may_grant(lead, Role.MEMBER, tree["other_org"])
    assert may_remove(lead, member.memberships.get())
    assert not may_remove(lead, leader.memberships.get())


# --- the members page -----------------------------------------------------------------------------------


def offered_roles(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    return [v for v in re.findall(r'value="([^"]*)"', select) if v]


def test_the_members_page_offers_only_the_roles_the_person_may_grant(tree, lead):
    html = client_for(lead).get("/units/RAA-MED/members/add/").content.decode()
    assert offered_roles(html) == ["member", "patient_partner", "coach", "improvement_lead", "analyst"]


def test_the_members_page_offers_an_admin_every_role(tree):
    trust_admin = user_with_role(Role.ADMIN, tree["org"])
    html = client_for(trust_admin).get("/units/RAA/members/add/").content.decode()
    assert set(offered_roles(html)) == set(Role.values)


def test_the_members_page_refuses_admin_to_an_improvement_lead_with_a_clear_message(tree, lead):
    response = client_for(lead).post("/units/RAA/members/add/", {"email": lead.email, "role": "admin"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "There is a problem" in html
    assert "You do not have permission to grant the role administrator here" in html
    assert 'href="#id_role"' in html
    assert not Membership.objects.filter(user=lead, role=Role.ADMIN).exists()
    assert grants_and_removals() == 0


def test_the_members_page_adds_a_role_the_person_may_grant(tree, lead):
    person = UserFactory()
    response = client_for(lead).post("/units/RAA/members/add/", {"email": person.email, "role": "coach"})
    assert response.status_code == 302
    assert person.memberships.get().role == Role.COACH
    assert AuditEvent.objects.get(action="membership.add").actor == lead


def test_the_unit_page_offers_no_remove_button_for_a_role_at_or_above_ones_own(tree, lead, leader):
    coach = user_with_role(Role.COACH, tree["org"])
    html = client_for(lead).get("/units/RAA/").content.decode()
    assert f'Remove<span class="nhsuk-u-visually-hidden"> {coach.display_name} as' in html
    assert f"> {leader.display_name} as" not in html
    assert "Leave<span" in html  # the lead's own role


def test_the_remove_button_refuses_a_leaders_role_to_an_improvement_lead(tree, lead, leader):
    membership = leader.memberships.get()
    response = client_for(lead).post(f"/units/RAA/members/{membership.pk}/remove/")
    assert response.status_code == 403
    assert "You do not have permission to remove the role leader" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert grants_and_removals() == 0


def test_the_remove_button_lets_a_person_leave(tree, member):
    membership = member.memberships.get()
    response = client_for(member).post(f"/units/RAA-MED-01/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert not member.memberships.exists()
