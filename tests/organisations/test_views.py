"""The pages: signing in and out, home, units, people, profile, memberships, moving units, the audit history.

Django's test client has no `response.context` for Jinja2 pages, so these tests read the HTML.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.organisations.models import Membership, Unit, User
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider
from tests.conftest import client_for, user_with_role
from tests.factories import UserFactory

PASSWORD = "correct horse battery"


def text(response) -> str:
    """The page's text with tags removed and white space collapsed, for reading like a person."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- signing in and out -------------------------------------------------------------------------------


def test_every_page_sends_anonymous_visitors_to_sign_in(tree):
    for path in ("/", "/units/", "/units/RAA/", "/people/", "/profile/", "/audit/", "/admin/", "/password/"):
        assert_refuses_anonymous(path)


def test_the_sign_in_page_is_open(db):
    response = Client().get("/sign-in/")
    assert response.status_code == 200
    assert "Sign in to Spiral" in text(response)


def test_signing_in_with_email_and_password_goes_home(tree, member):
    client = Client()
    response = client.post("/sign-in/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "My units" in text(client.get("/"))


def test_signing_in_returns_to_the_page_asked_for(tree, member):
    client = Client()
    asked = client.get("/units/RAA/")["Location"]
    response = client.post(asked, {"username": member.email, "password": PASSWORD, "next": "/units/RAA/"})
    assert response["Location"] == "/units/RAA/"


def test_a_wrong_password_shows_the_error_summary(tree, member):
    response = Client().post("/sign-in/", {"username": member.email, "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "The email address or password is not right" in text(response)


def test_an_empty_form_says_what_to_enter_and_links_to_each_field(db):
    html = Client().post("/sign-in/", {"username": "", "password": ""}).content.decode()
    assert 'href="#id_username"' in html and "Enter your email address" in html
    assert 'href="#id_password"' in html and "Enter your password" in html


def test_five_wrong_passwords_lock_the_sign_in(tree, member):
    client = Client()
    for _ in range(5):
        client.post("/sign-in/", {"username": member.email, "password": "wrong"})
    response = client.post("/sign-in/", {"username": member.email, "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "Too many sign-in attempts" in text(response)
    assert "_auth_user_id" not in client.session


def test_a_locked_sign_in_does_not_lock_out_someone_else_at_the_same_address(tree, member, leader):
    client = Client()
    for _ in range(5):
        client.post("/sign-in/", {"username": member.email, "password": "wrong"})
    response = client.post("/sign-in/", {"username": leader.email, "password": PASSWORD})
    assert response.status_code == 302


def test_signing_out_is_a_post_and_ends_the_session(tree, member):
    client = client_for(member)
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert client.get("/")["Location"].startswith("/sign-in/")


def test_signing_out_with_a_get_does_not_sign_out(tree, member):
    client = client_for(member)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


# --- home and units -----------------------------------------------------------------------------------


def test_home_shows_my_units_and_roles(tree, member):
    page = text(client_for(member).get("/"))
    assert "My units" in page
    assert "Ward 1 Team · RAA-MED-01 · in Medicine" in page
    assert "Member, Ward 1" in page


def test_home_for_someone_without_a_unit_says_how_to_join(db):
    assert "You do not belong to any unit yet" in text(client_for(UserFactory()).get("/"))


def test_the_unit_index_lists_the_top_and_finds_by_text_and_kind(tree, member):
    client = client_for(member)
    assert "England" in text(client.get("/units/"))
    html = client.get("/units/", {"q": "riverside", "kind": "organisation"}).content.decode()
    assert 'href="/units/RAA/"' in html and 'href="/units/RBB/"' not in html


def test_a_unit_page_shows_breadcrumbs_from_the_top(tree, member):
    html = client_for(member).get("/units/RAA-MED-01/").content.decode()
    crumbs = re.findall(r'nhsuk-breadcrumb__link" href="([^"]+)"', html)
    assert crumbs == ["/", "/units/ENG/", "/units/Y56/", "/units/QAA/", "/units/RAA/", "/units/RAA-MED/"]


def test_a_unit_page_counts_organisations_teams_and_people_beneath_each_child(tree, member):
    user_with_role("coach", tree["other_team"])
    user_with_role("coach", tree["other_team"])
    page = text(client_for(member).get("/units/QAA/"))
    # Unit, code, kind, organisations, teams, people.
    assert "Hillside Trust RBB Kind Organisation Organisations 1 Teams 1 People 2" in page
    assert "Riverside Hospitals RAA Kind Organisation Organisations 1 Teams 1 People 1" in page


def test_a_unit_page_lists_people_and_their_roles(tree, member):
    page = text(client_for(member).get("/units/RAA-MED-01/"))
    assert f"{member.display_name} Member Staff nurse" in page


def test_a_unit_page_offers_changes_only_to_those_who_may_make_them(tree, member, leader):
    assert "Edit details" not in text(client_for(member).get("/units/RAA/"))
    assert "Edit details" in text(client_for(leader).get("/units/RAA/"))


def test_an_unknown_unit_is_404(tree, member):
    assert client_for(member).get("/units/NOPE/").status_code == 404


# --- people -------------------------------------------------------------------------------------------


@pytest.fixture
def people(tree):
    return {
        "ada": user_with_role("coach", tree["team"], display_name="Ada Lovelace", job_title="Ward sister"),
        "grace": user_with_role("leader", tree["directorate"], display_name="Grace Hopper"),
        "alan": user_with_role("coach", tree["other_team"], display_name="Alan Turing"),
    }


def found(client: Client, **params: str) -> str:
    return text(client.get("/people/", params))


def test_people_are_found_by_name(tree, member, people):
    page = found(client_for(member), q="lovelace")
    assert "1 person found" in page and "Ada Lovelace" in page


def test_people_are_found_by_unit_including_beneath(tree, member, people):
    page = found(client_for(member), unit="RAA-MED")
    assert "Ada Lovelace" in page and "Grace Hopper" in page and "Alan Turing" not in page


def test_people_are_found_by_role(tree, member, people):
    page = found(client_for(member), role="coach")
    assert "Ada Lovelace" in page and "Alan Turing" in page and "Grace Hopper" not in page


def test_people_search_with_an_unknown_unit_shows_the_error_summary(tree, member):
    html = client_for(member).get("/people/", {"unit": "NOPE"}).content.decode()
    assert "There is a problem" in html and 'href="#id_unit"' in html


def test_a_person_page_lists_their_roles(tree, member, people):
    page = text(client_for(member).get(f"/people/{people['ada'].pk}/"))
    assert "Ada Lovelace" in page and "Improvement coach, Ward 1" in page


# --- profile and password ----------------------------------------------------------------------------


def test_profile_changes_are_saved_and_audited(tree, member):
    client = client_for(member)
    response = client.post(
        "/profile/", {"display_name": "Tia Okafor", "job_title": "Sister", "profession": ""}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.job_title) == ("Tia Okafor", "Sister")
    event = AuditEvent.objects.get(action="user.update")
    assert event.actor == member and event.changes["job_title"] == ["Staff nurse", "Sister"]


def test_an_empty_name_shows_the_error_summary_linking_to_the_field(tree, member):
    response = client_for(member).post("/profile/", {"display_name": " ", "job_title": "", "profession": ""})
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_display_name"' in html
    assert User.objects.get(pk=member.pk).display_name == member.display_name


def test_changing_the_password_keeps_the_person_signed_in(tree, member):
    client = client_for(member)
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer secret",
            "new_password2": "a much longer secret",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert User.objects.get(pk=member.pk).check_password("a much longer secret")


def test_a_wrong_old_password_is_refused_with_the_error_summary(tree, member):
    response = client_for(member).post(
        "/password/", {"old_password": "nope", "new_password1": "a much longer secret", "new_password2": "x"}
    )
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_old_password"' in html


def test_a_token_can_be_revoked_only_by_its_owner(tree, member, leader):
    client_for(member).post("/profile/tokens/", {"name": "script"})
    token = member.api_tokens.get()
    assert client_for(leader).post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    client_for(member).post(f"/profile/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- memberships --------------------------------------------------------------------------------------


def test_a_leader_adds_a_person_to_a_team(tree, leader):
    person = UserFactory()
    response = client_for(leader).post(
        "/units/RAA-MED-01/members/add/", {"email": person.email.upper(), "role": "patient_partner"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=person, unit=tree["team"], role="patient_partner").exists()
    assert AuditEvent.objects.get(action="membership.add").actor == leader


def test_adding_someone_unknown_shows_the_error_summary(tree, leader):
    html = (
        client_for(leader)
        .post("/units/RAA-MED-01/members/add/", {"email": "nobody@example.nhs.uk", "role": "member"})
        .content.decode()
    )
    assert "There is a problem" in html and "No one with the email address nobody@example.nhs.uk" in html


def test_a_leader_removes_a_role(tree, leader, member):
    membership = member.memberships.get()
    response = client_for(leader).post(f"/units/RAA-MED-01/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.get(action="membership.remove").changes["role"] == ["member", None]


def test_a_role_cannot_be_removed_through_another_units_address(tree, leader, outsider):
    membership = outsider.memberships.get()  # on RBB, where the leader of RAA has no say
    response = client_for(leader).post(f"/units/RAA/members/{membership.pk}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_member_pages_refuse_anonymous_visitors_and_outsiders(tree, outsider, member):
    membership = member.memberships.get()
    for path, method in (("/units/RAA-MED-01/members/add/", "get"),
                         (f"/units/RAA-MED-01/members/{membership.pk}/remove/", "post")):  # fmt: skip
        assert_refuses_anonymous(path, method)
        assert_refuses_outsider(path, outsider, method)
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- editing, adding and moving units ------------------------------------------------------------------


def test_a_leader_edits_a_unit(tree, leader):
    response = client_for(leader).post(
        "/units/RAA/edit/", {"code": "RAA", "name": "Riverside University Hospitals",
                              "organisation_type": "acute_trust", "opened_on": "01/04/2019"}
    )  # fmt: skip
    assert response.status_code == 302
    unit = Unit.objects.get(code="RAA")
    assert unit.name == "Riverside University Hospitals" and str(unit.opened_on) == "2019-04-01"
    assert AuditEvent.objects.get(action="unit.update").changes["opened_on"] == [None, "2019-04-01"]


def test_editing_with_an_empty_name_shows_the_error_summary(tree, leader):
    html = client_for(leader).post("/units/RAA-MED/edit/", {"code": "RAA-MED", "name": ""}).content.decode()
    assert "There is a problem" in html and 'href="#id_name"' in html


def test_a_closing_date_before_the_opening_date_is_refused(tree, leader):
    html = (
        client_for(leader)
        .post(
            "/units/RAA-MED/edit/",
            {"code": "RAA-MED", "name": "Medicine", "opened_on": "2020-01-01", "closed_on": "2019-01-01"},
        )
        .content.decode()
    )
    assert "There is a problem" in html and 'href="#id_closed_on"' in html


def test_a_leader_adds_a_team_beneath_a_directorate(tree, leader):
    response = client_for(leader).post(
        "/units/RAA-MED/add/", {"kind": "team", "code": "RAA-MED-02", "name": "Ward 2"}
    )
    assert response.status_code == 302
    assert Unit.objects.get(code="RAA-MED-02").parent == tree["directorate"]


def test_a_kind_that_cannot_sit_there_is_refused(tree, admin_user):
    html = (
        client_for(admin_user)
        .post("/units/QAA/add/", {"kind": "team", "code": "T9", "name": "Stray team"})
        .content.decode()
    )
    assert "There is a problem" in html and 'href="#id_kind"' in html
    assert not Unit.objects.filter(code="T9").exists()


def test_the_add_page_offers_only_kinds_that_may_sit_there(tree, leader):
    html = client_for(leader).get("/units/RAA/add/").content.decode()
    assert 'value="directorate"' in html and 'value="team"' in html and 'value="region"' not in html


def test_a_leader_moves_a_team_within_their_organisation(tree, leader):
    response = client_for(leader).post("/units/RAA-MED-01/move/", {"parent_code": "RAA"})
    assert response.status_code == 302
    team = Unit.objects.get(code="RAA-MED-01")
    assert team.parent == tree["org"] and team.depth == 4


def test_moving_a_unit_under_its_own_descendant_shows_the_error_summary(tree, leader):
    html = client_for(leader).post("/units/RAA-MED/move/", {"parent_code": "RAA-MED-01"}).content.decode()
    assert "There is a problem" in html and 'href="#id_parent_code"' in html
    assert "cannot move under itself" in html
    assert Unit.objects.get(code="RAA-MED").parent == tree["org"]


def test_moving_to_an_unknown_code_says_so(tree, leader):
    html = client_for(leader).post("/units/RAA-MED/move/", {"parent_code": "NOPE"}).content.decode()
    assert "No unit has the code NOPE" in html


def test_unit_change_pages_refuse_anonymous_visitors_and_outsiders(tree, outsider):
    for path in ("/units/RAA/edit/", "/units/RAA/add/", "/units/RAA-MED/move/"):
        assert_refuses_anonymous(path)
        assert_refuses_outsider(path, outsider)
        assert_refuses_outsider(path, outsider, "post", {"name": "Taken over", "parent_code": "RBB"})
    assert Unit.objects.get(code="RAA-MED").parent == tree["org"]


# --- the audit history --------------------------------------------------------------------------------


def test_the_audit_page_lists_the_changes_just_made_with_who_and_when(tree, admin_user, leader):
    client_for(leader).post(
        "/units/RAA/edit/", {"code": "RAA", "name": "Riverside General", "organisation_type": "acute_trust"}
    )
    page = text(client_for(admin_user).get("/audit/"))
    assert (
        f"{leader.display_name} unit.update: Riverside General (RAA) "
        "name: Riverside Hospitals → Riverside General Support links"
    ) in page
    assert re.search(r"\d{1,2} \w{3} \d{4} \d{2}:\d{2} " + re.escape(leader.display_name), page)


def test_the_audit_page_can_be_limited_to_a_unit_and_beneath(tree, admin_user):
    client = client_for(admin_user)
    client.post("/units/RAA-MED/edit/", {"code": "RAA-MED", "name": "Medicine and surgery"})
    client.post("/units/RBB-T1/edit/", {"code": "RBB-T1", "name": "Community nurses"})
    client.get("/")  # shows (and so clears) the "has been updated" messages
    page = text(client.get("/audit/", {"unit": "RAA"}))
    assert "Medicine and surgery" in page and "Community nurses" not in page


def test_an_admin_of_an_organisation_sees_only_its_history(tree, admin_user):
    org_admin = user_with_role("admin", tree["org"])
    client = client_for(admin_user)
    client.post("/units/RAA-MED/edit/", {"code": "RAA-MED", "name": "Medicine and surgery"})
    client.post("/units/RBB-T1/edit/", {"code": "RBB-T1", "name": "Community nurses"})
    page = text(client_for(org_admin).get("/audit/"))
    assert "Medicine and surgery" in page and "Community nurses" not in page


def test_the_audit_page_is_for_admins_only(tree, leader):
    assert_refuses_anonymous("/audit/")
    assert_refuses_outsider("/audit/", leader)


def test_a_nul_character_in_a_search_is_refused_not_a_server_error(tree, member):
    response = client_for(member).get("/units/", {"q": "ward\x00"})
    assert response.status_code == 400


def test_the_audit_page_shows_nothing_for_an_unknown_unit_code(tree, admin_user):
    from spiral.organisations import services

    services.update_unit(unit=tree["team"], by=admin_user, name="Renamed ward")
    response = client_for(admin_user).get("/audit/?unit=NOPE")
    html = response.content.decode()
    assert "No unit has the code NOPE" in html
    assert "Renamed ward" not in html
