"""Every cell of the "Knowledge" table in docs/permissions.md, through can(), the pages and the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from spiral.knowledge import services
from spiral.knowledge.models import Resource
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can
from tests import permtable
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider, bearer
from tests.conftest import client_for, user_with_role
from tests.factories import UserFactory

ACTIONS = {
    "search and read the catalogue (`search_catalogue`)": Permission.SEARCH_CATALOGUE,
    "join a community, post and reply as a member (`join_community`)": Permission.JOIN_COMMUNITY,
    "publish and edit resources (`curate_resource`)": Permission.CURATE_RESOURCE,
    "start a community hosted by a unit (`create_community`)": Permission.CREATE_COMMUNITY,
    "sponsor a field test (`sponsor_field_test`)": Permission.SPONSOR_FIELD_TEST,
    "sign a unit up to a field test; adopt a change (`create_project`)": Permission.CREATE_PROJECT,
}


TABLE = permtable.doc_table("Knowledge")
CASES = permtable.cases(TABLE)


def person(column: str, tree: dict[str, Unit]) -> Any:
    if column == "anonymous":
        return AnonymousUser()
    if column == "no role":
        return UserFactory()
    if column == "superuser":
        return UserFactory(is_superuser=True)
    return user_with_role(column, tree["org"])


def test_the_table_names_every_action_and_column() -> None:
    assert set(TABLE) == set(ACTIONS)
    assert all(len(row) == 10 for row in TABLE.values())


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "column", "cell"), CASES, ids=[f"{a[:20]}|{c}" for a, c, _ in CASES])
def test_each_cell_of_the_knowledge_table_holds(
    tree: dict[str, Unit], action: str, column: str, cell: str
) -> None:
    user = person(column, tree)
    permission = ACTIONS[action]
    assert can(user, permission, tree["team"]) is (cell in ("yes", "beneath")), (action, column)
    assert can(user, permission, tree["other_team"]) is (cell == "yes"), (action, column)


RESOURCE = {"title": "A guide", "kind": "guide", "summary": "How to", "body": "", "unit": "RAA-MED-01"}


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["member", "patient_partner", "coach", "analyst", "leader", "no role"])
def test_the_api_agrees_with_the_table_on_publishing_a_resource(tree: dict[str, Unit], column: str) -> None:
    user = person(column, tree)
    response = Client().post(
        "/api/v1/resources", json.dumps(RESOURCE), content_type="application/json", **bearer(user)
    )
    allowed = TABLE["publish and edit resources (`curate_resource`)"][column] in ("yes", "beneath")
    assert response.status_code == (201 if allowed else 403), response.content
    assert Resource.objects.exists() is allowed


@pytest.mark.django_db
def test_a_curator_cannot_edit_a_resource_of_another_organisation(
    tree: dict[str, Unit], outsider: Any
) -> None:
    resource = services.create_resource(
        unit=tree["team"], title="Ours", kind="tool", summary="A tool", by=None
    )
    assert_refuses_outsider(f"/resources/{resource.pk}/edit/", outsider)
    assert_refuses_outsider(f"/api/v1/resources/{resource.pk}", outsider, method="patch", data={"title": "X"})


@pytest.mark.django_db
def test_a_member_cannot_sponsor_a_field_test(tree: dict[str, Unit], member: Any) -> None:
    body = {
        "title": "T", "sponsor": "RAA", "change_idea": "x", "measure": "M", "starts_on": "2026-01-01",
        "ends_on": "2026-06-01",
    }  # fmt: skip
    assert_refuses_outsider("/api/v1/field-tests", member, method="post", data=body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/search/?q=falls",
        "/resources/",
        "/communities/",
        "/field-tests/",
        "/api/v1/search?q=falls",
        "/api/v1/resources",
        "/api/v1/communities",
        "/api/v1/field-tests",
        "/api/v1/adoptions",
    ],
)
def test_every_knowledge_page_and_endpoint_refuses_anonymous_visitors(path: str) -> None:
    assert_refuses_anonymous(path)


@pytest.mark.django_db
def test_a_person_with_no_role_may_search_and_join_a_community(tree: dict[str, Unit]) -> None:
    community = services.create_community(unit=tree["org"], name="Falls", by=None)
    nobody = UserFactory()
    client = client_for(nobody)
    assert client.get("/search/?q=falls").status_code == 200
    response = client.post(f"/communities/{community.pk}/join/")
    assert response.status_code == 302
    assert community.is_member(nobody)
