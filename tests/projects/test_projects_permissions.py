"""Every cell of the "Projects" table in docs/permissions.md, through can() and through the API."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from spiral.organisations.permissions import Permission, can
from spiral.projects.models import Project
from tests import permtable
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import ProjectFactory, TeamMemberFactory, UserFactory

ACTIONS = {
    "see a project": Permission.VIEW_PROJECT,
    "start a project": Permission.CREATE_PROJECT,
    "change a project": Permission.CHANGE_PROJECT,
    "link measures; start a series for the project's unit": Permission.CHANGE_PROJECT,
}


TABLE = permtable.doc_table("Projects")
CASES = permtable.cases(TABLE)


def person(column: str, tree) -> object:
    """Someone in `column`: a role held on the organisation (the project sits on a team beneath it)."""
    if column == "anonymous":
        return AnonymousUser()
    if column in ("no role", "team"):
        return UserFactory()
    if column == "superuser":
        return UserFactory(is_superuser=True)
    return user_with_role(column, tree["org"])


def test_the_table_names_every_action_and_column():
    assert set(TABLE) == set(ACTIONS)
    assert all(len(row) == 11 for row in TABLE.values())


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "column", "cell"), CASES, ids=[f"{a}|{c}" for a, c, _ in CASES])
def test_each_cell_of_the_projects_table_holds(tree, action, column, cell):
    user = person(column, tree)
    here = ProjectFactory(unit=tree["team"])
    elsewhere = ProjectFactory(unit=tree["other_team"])
    if column == "team":
        TeamMemberFactory(project=here, user=user, role="patient_partner")
    permission = ACTIONS[action]
    if permission is Permission.CREATE_PROJECT:
        target, outside = tree["team"], tree["other_team"]
    else:
        target, outside = here, elsewhere
    assert can(user, permission, target) is (cell in ("yes", "beneath", "own")), (action, column)
    assert can(user, permission, outside) is (cell == "yes"), (action, column)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "column", ["team", "leader", "improvement_lead", "admin", "member", "coach", "no role"]
)
def test_the_api_agrees_with_the_table_on_changing_a_project(tree, column):
    user = person(column, tree)
    project = ProjectFactory(unit=tree["team"])
    if column == "team":
        TeamMemberFactory(project=project, user=user, role="member")
    response = Client().patch(
        f"/api/v1/projects/{project.pk}", json.dumps({"stage": "testing"}), content_type="application/json",
        **bearer(user),
    )  # fmt: skip
    allowed = TABLE["change a project"][column] in ("yes", "beneath", "own")
    assert response.status_code == (200 if allowed else 403), response.content
    assert Project.objects.get(pk=project.pk).stage == ("testing" if allowed else "scoping")
