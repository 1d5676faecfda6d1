"""Choosing, not typing: the forms that start a project, add someone to a team or a unit, and pick a peer
group offer the units and people the person may use (a select the autocomplete enhances), pre-fill the
unit they were opened from, and say what is missing in words."""

from __future__ import annotations

import re

import pytest

from spiral.organisations import choices
from spiral.organisations.models import Role
from spiral.projects.models import Project, TeamMember
from tests.conftest import client_for, user_with_role
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def options(html: str, name: str) -> list[str]:
    """The values the <select name=...> offers."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select named {name}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def select_tag(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>', html)
    assert found
    return found.group(0)


def test_starting_a_project_offers_only_the_units_where_the_person_may_start_one(tree, member):
    html = client_for(member).get("/projects/new/").content.decode()
    assert options(html, "unit") == ["", "RAA-MED-01"]  # their ward only: not the sibling trust's
    assert "data-spiral-autocomplete" in select_tag(html, "unit")
    assert 'name="unit" type="text"' not in html  # never a bare code field
    # The one unit they may use is chosen for them.
    assert re.search(r'<option value="RAA-MED-01" selected', html)


def test_a_leader_is_offered_their_organisation_and_everything_beneath_it(tree, leader):
    html = client_for(leader).get("/projects/new/").content.decode()
    offered = options(html, "unit")
    assert {"RAA", "RAA-MED", "RAA-MED-01"} <= set(offered)
    assert "RBB" not in offered and "RBB-T1" not in offered and "QAA" not in offered
    assert offered[1] == "RAA"  # their own unit first


def test_the_project_form_prefills_the_unit_it_was_opened_from(tree, leader):
    html = client_for(leader).get("/projects/new/?unit=RAA-MED").content.decode()
    assert re.search(r'<option value="RAA-MED" selected', html)
    assert not re.search(r'<option value="RAA" selected', html)
    unit_page = client_for(leader).get("/units/RAA-MED/").content.decode()
    assert "/projects/new/?unit=RAA-MED" in unit_page


def test_a_unit_outside_the_persons_roles_is_refused_in_words(tree, member):
    response = client_for(member).post("/projects/new/", {"unit": "RBB", "status": "draft", "title": "X"})
    html = response.content.decode()
    assert response.status_code == 200 and not Project.objects.exists()
    assert "You have no role in Hillside Trust or above it, so cannot start a project there" in html
    html = client_for(member).post("/projects/new/", {"unit": "NOPE", "status": "draft"}).content.decode()
    assert "No team or service has the code NOPE: choose one from the list" in html


def test_a_project_without_a_unit_says_which_field_is_missing(tree, leader):
    html = client_for(leader).post("/projects/new/", {"status": "draft", "title": "X"}).content.decode()
    assert "Choose the team this project belongs to" in html
    assert "This field is required" not in html


def test_choosing_the_unit_starts_the_project_there(tree, member):
    response = client_for(member).post(
        "/projects/new/", {"unit": "RAA-MED-01", "status": "draft", "title": "Quieter nights"}
    )
    assert response.status_code == 302
    assert Project.objects.get().unit == tree["team"]


def test_a_long_list_of_units_is_a_search_and_pick(tree, admin_user):
    offered = choices.offer_units(
        choices.permitted_units(admin_user, choices.Permission.CREATE_PROJECT), admin_user, limit=3
    )
    assert offered.cut and offered.total == 8
    narrowed = choices.offer_units(
        choices.permitted_units(admin_user, choices.Permission.CREATE_PROJECT),
        admin_user, query="district", limit=3,
    )  # fmt: skip
    assert [code for code, _ in narrowed.choices] == ["ENG", "RBB-T1"]  # their own unit, and the match


def test_the_project_page_shows_find_when_there_are_too_many_units(tree, admin_user):
    for n in range(choices.LIMIT + 1):
        UnitFactory(kind="team", code=f"T{n:04d}", name=f"Team {n}", parent=tree["directorate"])
    html = client_for(admin_user).get("/projects/new/?find=Team+12").content.decode()
    assert 'name="find"' in html
    offered = options(html, "unit")
    assert "T0012" in offered and "T0120" in offered and "T0013" not in offered
    # A unit beyond the list is still accepted (it was given in the address, or found).
    response = client_for(admin_user).post(
        "/projects/new/", {"unit": "T0200", "status": "draft", "title": "X"}
    )
    assert response.status_code == 302


def test_adding_a_team_member_offers_the_organisations_people(tree, project, lead):
    nurse = user_with_role(Role.MEMBER, tree["team"], display_name="Nia Nurse")
    elsewhere = user_with_role(Role.MEMBER, tree["other_team"], display_name="Olu Other")
    user_with_role(Role.LEADER, tree["org"], display_name="Lee Leader")
    client = client_for(lead)
    html = client.get(f"/projects/{project.pk}/team/").content.decode()
    offered = options(html, "person")
    assert str(nurse.pk) in offered and str(elsewhere.pk) not in offered
    assert str(lead.pk) not in offered  # already on the team
    assert "data-spiral-autocomplete" in select_tag(html, "person")
    response = client.post(f"/projects/{project.pk}/team/", {"person": nurse.pk, "role": "member"})
    assert response.status_code == 302
    assert TeamMember.objects.filter(project=project, user=nurse).exists()
    # Someone from elsewhere by email.
    response = client.post(f"/projects/{project.pk}/team/", {"email": elsewhere.email, "role": "member"})
    assert response.status_code == 302
    assert TeamMember.objects.filter(project=project, user=elsewhere).exists()


def test_a_team_member_form_left_empty_says_what_is_missing(tree, project, lead):
    html = client_for(lead).post(f"/projects/{project.pk}/team/", {"role": ""}).content.decode()
    assert "Choose the person to add to the team, or give their email address" in html
    assert "Choose the person&#39;s role on the project" in html or "Choose the person's role" in html
    assert "This field is required" not in html


def test_adding_someone_to_a_unit_offers_people_and_says_what_is_missing(tree, leader):
    nurse = user_with_role(Role.MEMBER, tree["team"], display_name="Nia Nurse")
    newcomer = UserFactory(display_name="New Person")
    client = client_for(leader)
    html = client.get("/units/RAA-MED/members/add/").content.decode()
    assert str(nurse.pk) in options(html, "person") and str(newcomer.pk) not in options(html, "person")
    html = client.post("/units/RAA-MED/members/add/", {"role": ""}).content.decode()
    assert "Choose the person to give the role to, or give their email address" in html
    assert "Choose the role to give them" in html and "This field is required" not in html
    response = client.post("/units/RAA-MED/members/add/", {"person": nurse.pk, "role": "member"})
    assert response.status_code == 302
    assert nurse.memberships.filter(unit=tree["directorate"]).exists()


@pytest.fixture
def sepsis(tree):
    from spiral.measurement.models import Measure

    return Measure.objects.create(
        code="SEPSIS", name="Sepsis screening", owner=tree["nation"], chart="p", is_indicator=True
    )


def test_the_funnel_form_offers_regions_and_organisations_not_a_code_box(tree, member, sepsis):
    html = client_for(member).get("/benchmarking/SEPSIS/?unit=RAA").content.decode()
    within = options(html, "within")
    assert within[0] == "" and {"ENG", "Y56", "QAA"} <= set(within) and "RAA" not in within
    units = options(html, "unit")
    assert units[:2] == ["", "RAA"]  # their own organisation first
    assert "RBB" in units and "RAA-MED-01" not in units  # peers of the kind compared
    assert re.search(r'<option value="RAA" selected', html)  # what the address chose
    assert "data-spiral-autocomplete" in select_tag(html, "within")


def test_adopting_a_change_offers_the_units_where_the_person_may_start_a_project(tree, member, lead):
    from tests.factories import ProjectFactory

    source = ProjectFactory(unit=tree["other_team"])
    client = client_for(member)
    html = client.get(f"/projects/{source.pk}/adopt/?unit=RAA-MED-01").content.decode()
    assert options(html, "unit") == ["", "RAA-MED-01"]
    assert re.search(r'<option value="RAA-MED-01" selected', html)
    html = client.post(f"/projects/{source.pk}/adopt/", {"unit": ""}).content.decode()
    assert "Choose the team that will adopt the change" in html


def test_starting_a_community_offers_the_units_that_may_host_it(tree, leader):
    html = client_for(leader).get("/communities/new/").content.decode()
    offered = options(html, "unit")
    assert "RAA" in offered and "RBB" not in offered
    assert "data-spiral-autocomplete" in select_tag(html, "unit")


def test_moving_a_unit_offers_the_parents_the_person_may_add_beneath(tree, leader):
    html = client_for(leader).get("/units/RAA-MED-01/move/").content.decode()
    offered = options(html, "parent_code")
    assert offered == ["", "RAA"]  # not its own parent, not the other trust, not a team
    response = client_for(leader).post("/units/RAA-MED-01/move/", {"parent_code": "RAA"})
    assert response.status_code == 302
    tree["team"].refresh_from_db()
    assert tree["team"].parent == tree["org"]
