"""Every cell of the table in docs/permissions.md, through `can()` and through the pages and the API.

The table is read from the document itself, so the document and the code cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from spiral.organisations import services
from spiral.organisations.models import Role, Unit, User
from spiral.organisations.permissions import Permission, can, scopes, units_where
from tests import permtable
from tests.assertions import _send, assert_refuses_anonymous, assert_refuses_outsider, bearer
from tests.conftest import user_with_role
from tests.factories import ApiTokenFactory, MembershipFactory, UserFactory

ROLE_COLUMNS = list(permtable.ROLES)
COLUMNS = list(permtable.COLUMNS)
CELLS = {"yes", "no", "beneath"}


TABLE = permtable.doc_table()
CASES = permtable.cases(TABLE)


def case_id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}|{case[1]}".replace(" ", "_").replace("'", "")


@pytest.fixture
def person_in(tree: dict[str, Unit]) -> Callable[[str], Any]:
    """The person for a column: roles are held on the organisation RAA."""

    def make(column: str) -> Any:
        if column == "anonymous":
            return AnonymousUser()
        if column == "no role":
            return UserFactory()
        if column == "superuser":
            return UserFactory(is_superuser=True, is_staff=True)
        return user_with_role(column, tree["org"])

    return make


# --- the document -----------------------------------------------------------------------------------


def test_the_table_has_a_column_for_every_role_and_the_three_ways_of_having_none():
    assert set(ROLE_COLUMNS) == set(Role.values)
    assert all(list(row) == COLUMNS for row in TABLE.values())


def test_the_table_has_a_row_for_every_foundation_action_and_a_check_for_each():
    assert set(TABLE) == set(CAN_CHECKS) == set(PAGE_CHECKS) | NO_PAGE
    assert set(API_CHECKS) <= set(TABLE)


def test_every_cell_says_yes_no_or_beneath():
    assert {cell for _, _, cell in CASES} <= CELLS


def test_only_roles_held_on_a_unit_can_be_limited_to_beneath_it():
    for action, row in TABLE.items():
        for column in ("anonymous", "no role", "superuser"):
            assert row[column] != "beneath", (action, column)


# --- can() --------------------------------------------------------------------------------------------


def expect_on(cell: str, where: str) -> bool:
    """Whether `cell` allows the action at `where`: held, beneath, sibling or ancestor of the role."""
    if cell == "yes":
        return True
    if cell == "beneath":
        return where in ("held", "beneath")
    return False


def places(tree: dict[str, Unit]) -> dict[str, Unit]:
    return {
        "held": tree["org"],
        "beneath": tree["team"],
        "sibling": tree["other_org"],
        "ancestor": tree["icb"],
    }


def unit_check(permission: Permission) -> Callable[..., None]:
    def check(user: Any, tree: dict[str, Unit], cell: str) -> None:
        found = {where: can(user, permission, unit) for where, unit in places(tree).items()}
        assert found == {where: expect_on(cell, where) for where in found}

    return check


def check_see_people(user: Any, tree: dict[str, Unit], cell: str) -> None:
    assert can(user, Permission.VIEW_PERSON, UserFactory()) is (cell == "yes")


def check_move(user: Any, tree: dict[str, Unit], cell: str) -> None:
    def may_move(unit: Unit, new_parent: Unit) -> bool:
        return can(user, Permission.CHANGE_UNIT, unit) and can(user, Permission.CHANGE_UNIT, new_parent)

    # Within the tree where the role is held; out of it; into it from a sibling.
    assert may_move(tree["team"], tree["org"]) is (cell in ("yes", "beneath"))
    assert may_move(tree["team"], tree["other_org"]) is (cell == "yes")
    assert may_move(tree["other_team"], tree["org"]) is (cell == "yes")


def check_manage_members(user: Any, tree: dict[str, Unit], cell: str) -> None:
    unit_check(Permission.MANAGE_MEMBERS)(user, tree, cell)
    beneath = MembershipFactory(unit=tree["team"])
    sibling = MembershipFactory(unit=tree["other_team"])
    assert can(user, Permission.MANAGE_MEMBERS, beneath) is (cell in ("yes", "beneath"))
    assert can(user, Permission.MANAGE_MEMBERS, sibling) is (cell == "yes")


def check_own_record(permission: Permission) -> Callable[..., None]:
    def check(user: Any, tree: dict[str, Unit], cell: str) -> None:
        someone_else = UserFactory()
        if permission is Permission.MANAGE_TOKENS:
            own = ApiTokenFactory(user=user) if user.is_authenticated else ApiTokenFactory()
            other = ApiTokenFactory(user=someone_else)
        else:
            own, other = user, someone_else
        assert can(user, permission, own) is (cell == "yes")
        # Another person's record: a superuser only (through the Django admin).
        assert can(user, permission, other) is bool(cell == "yes" and user.is_superuser)

    return check


def check_api_by_can(user: Any, tree: dict[str, Unit], cell: str) -> None:
    # The API has no permission of its own: it needs a signed-in, active person.
    assert can(user, Permission.VIEW_UNIT, tree["org"]) is (cell == "yes")


CAN_CHECKS: dict[str, Callable[..., None]] = {
    "see a unit": unit_check(Permission.VIEW_UNIT),
    "see people": check_see_people,
    "change a unit's details": unit_check(Permission.CHANGE_UNIT),
    "add a unit beneath": unit_check(Permission.CHANGE_UNIT),
    "move a unit": check_move,
    "manage members": check_manage_members,
    "import units": unit_check(Permission.IMPORT_UNITS),
    "view audit history": unit_check(Permission.VIEW_AUDIT),
    "edit own profile": check_own_record(Permission.CHANGE_PERSON),
    "manage own tokens": check_own_record(Permission.MANAGE_TOKENS),
    "use the API": check_api_by_can,
}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_can_answers_as_the_table_says(case, tree, person_in):
    action, column, cell = case
    user = person_in(column)
    CAN_CHECKS[action](user, tree, cell)


# --- pages --------------------------------------------------------------------------------------------

# action -> (method, path given the tree, form data or None); a page allowed answers 200.
PAGE_CHECKS: dict[str, tuple[str, Callable[[dict[str, Unit]], str], dict[str, str] | None]] = {
    "see a unit": ("get", lambda t: f"/units/{t['team'].code}/", None),
    "see people": ("get", lambda t: f"/people/{UserFactory().pk}/", None),
    "change a unit's details": ("get", lambda t: f"/units/{t['directorate'].code}/edit/", None),
    "add a unit beneath": ("get", lambda t: f"/units/{t['directorate'].code}/add/", None),
    "move a unit": ("get", lambda t: f"/units/{t['team'].code}/move/", None),
    "manage members": ("get", lambda t: f"/units/{t['directorate'].code}/members/add/", None),
    "import units": ("get", lambda t: "/units/import/", None),
    "view audit history": ("get", lambda t: "/audit/", None),
    "edit own profile": ("get", lambda t: "/profile/", None),
    "manage own tokens": ("post", lambda t: "/profile/tokens/", {"name": "nightly load"}),
}
NO_PAGE = {"use the API"}


@pytest.mark.parametrize(
    "case", [c for c in CASES if c[0] in PAGE_CHECKS], ids=[case_id(c) for c in CASES if c[0] in PAGE_CHECKS]
)
def test_pages_answer_as_the_table_says(case, tree, person_in):
    action, column, cell = case
    method, path_for, data = PAGE_CHECKS[action]
    user = person_in(column)
    path = path_for(tree)
    if column == "anonymous":
        assert_refuses_anonymous(path, method, data)
    elif cell == "no":
        assert_refuses_outsider(path, user, method, data)
    else:
        client = Client()
        client.force_login(user)
        response = _send(client, method, path, data)
        assert response.status_code == 200


# --- the API ------------------------------------------------------------------------------------------

# action -> (method, path, body given the tree, status when allowed)
API_CHECKS: dict[str, tuple[str, Callable[[dict[str, Unit]], str], Callable[[dict[str, Unit]], Any], int]] = {
    "see a unit": ("get", lambda t: f"/api/v1/units/{t['team'].code}", lambda t: None, 200),
    "see people": ("get", lambda t: f"/api/v1/people/{UserFactory().pk}", lambda t: None, 200),
    "change a unit's details": (
        "patch",
        lambda t: f"/api/v1/units/{t['directorate'].code}",
        lambda t: {"name": "Medicine and surgery"},
        200,
    ),
    "add a unit beneath": (
        "post",
        lambda t: "/api/v1/units",
        lambda t: {"code": "RAA-MED-09", "name": "Ward 9", "kind": "team", "parent": t["directorate"].code},
        201,
    ),
    "move a unit": ("patch", lambda t: f"/api/v1/units/{t['team'].code}", lambda t: {"parent": "RAA"}, 200),
    "manage members": (
        "post",
        lambda t: "/api/v1/memberships",
        lambda t: {"user": UserFactory().email, "unit": t["directorate"].code, "role": "member"},
        201,
    ),
    "use the API": ("get", lambda t: "/api/v1/me", lambda t: None, 200),
}


@pytest.mark.parametrize(
    "case", [c for c in CASES if c[0] in API_CHECKS], ids=[case_id(c) for c in CASES if c[0] in API_CHECKS]
)
def test_the_api_answers_as_the_table_says(case, tree, person_in):
    action, column, cell = case
    method, path_for, body_for, allowed = API_CHECKS[action]
    user = person_in(column)
    path, body = path_for(tree), body_for(tree)
    if column == "anonymous":
        assert_refuses_anonymous(path, method, body)
    elif cell == "no":
        assert_refuses_outsider(path, user, method, body)
    else:
        response = _send(Client(), method, path, body, **bearer(user))
        assert response.status_code == allowed, response.content


# --- a role applies beneath, never to siblings or ancestors ---------------------------------------------


def test_a_leader_of_an_organisation_may_edit_its_team_through_the_page(tree, leader):
    client = Client()
    client.force_login(leader)
    response = client.post(f"/units/{tree['team'].code}/edit/", {"code": "RAA-MED-01", "name": "Ward One"})
    assert response.status_code == 302
    assert Unit.objects.get(code="RAA-MED-01").name == "Ward One"


def test_a_leader_cannot_edit_the_organisation_next_door(tree, leader):
    assert_refuses_outsider(f"/units/{tree['other_org'].code}/edit/", leader)
    assert_refuses_outsider(f"/units/{tree['other_team'].code}/edit/", leader)


def test_a_leader_cannot_edit_the_icb_above_their_organisation(tree, leader):
    assert_refuses_outsider(f"/units/{tree['icb'].code}/edit/", leader)
    assert_refuses_outsider(f"/api/v1/units/{tree['icb'].code}", leader, "patch", {"name": "Renamed"})


def test_a_leader_of_an_organisation_cannot_move_it_out_of_its_icb(tree, leader):
    client = Client()
    client.force_login(leader)
    response = client.post(f"/units/{tree['org'].code}/move/", {"parent_code": tree["icb"].code})
    assert response.status_code == 403
    assert "You do not have permission to add units beneath NHS Riverside ICB" in response.content.decode()


def test_a_role_on_a_team_grants_nothing_on_its_organisation(tree):
    team_leader = user_with_role(Role.LEADER, tree["team"])
    assert can(team_leader, Permission.CHANGE_UNIT, tree["team"])
    assert not can(team_leader, Permission.CHANGE_UNIT, tree["directorate"])
    assert not can(team_leader, Permission.CHANGE_UNIT, tree["org"])


def test_a_role_on_the_nation_applies_to_every_unit(tree, admin_user):
    assert all(can(admin_user, Permission.CHANGE_UNIT, unit) for unit in tree.values())


def test_roles_on_two_units_grant_on_both_trees_and_nothing_between(tree):
    user = user_with_role(Role.LEADER, tree["team"])
    MembershipFactory(user=user, unit=tree["other_org"], role=Role.LEADER)
    assert set(units_where(user, Permission.CHANGE_UNIT).values_list("code", flat=True)) == {
        "RAA-MED-01", "RBB", "RBB-T1",
    }  # fmt: skip


def test_a_grant_beneath_another_grant_adds_nothing_to_the_scopes(tree):
    user = user_with_role(Role.LEADER, tree["org"])
    MembershipFactory(user=user, unit=tree["team"], role=Role.LEADER)
    assert scopes(user, Permission.CHANGE_UNIT) == [tree["org"].path]


def test_a_unit_whose_id_shares_leading_digits_is_not_beneath(tree):
    # Paths are fixed-width segments, so unit 1's path is never a prefix of unit 10's.
    leader_of_team = user_with_role(Role.LEADER, tree["team"])
    assert not can(leader_of_team, Permission.CHANGE_UNIT, tree["other_team"])
    assert not can(leader_of_team, Permission.CHANGE_UNIT, tree["other_org"])


def test_a_new_role_takes_effect_on_the_same_user_object(tree):
    user = UserFactory()
    assert not can(user, Permission.CHANGE_UNIT, tree["org"])
    services.add_membership(user=user, unit=tree["org"], role=Role.LEADER, by=None)
    assert can(user, Permission.CHANGE_UNIT, tree["org"])


def test_a_removed_role_stops_granting_on_the_same_user_object(tree, leader):
    assert can(leader, Permission.CHANGE_UNIT, tree["org"])
    services.remove_membership(membership=leader.memberships.get(), by=None)
    assert not can(leader, Permission.CHANGE_UNIT, tree["org"])


def test_a_deactivated_person_may_do_nothing(tree, admin_user):
    admin_user.is_active = False
    admin_user.save()
    assert not can(admin_user, Permission.VIEW_UNIT, tree["org"])
    assert not can(admin_user, Permission.CHANGE_UNIT, tree["org"])


def test_a_deactivated_persons_token_is_refused(tree, member):
    headers = bearer(member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    response = Client().get("/api/v1/me", **headers)
    assert response.status_code == 401
