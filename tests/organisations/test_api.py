"""The JSON API at /api/v1/: units, memberships, people, tokens and the shape of every error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from spiral import cli
from spiral.core.models import AuditEvent
from spiral.organisations.models import ApiToken, Membership, Unit
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import MembershipFactory, UserFactory


class Api:
    """A client that speaks JSON with a bearer token."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.client = Client()
        self.headers = headers

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api/v1{path}", params, **self.headers)

    def post(self, path: str, body: Any):
        return self.client.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self.headers
        )

    def patch(self, path: str, body: Any):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self.headers
        )

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", **self.headers)


@pytest.fixture
def api(admin_user) -> Api:
    return Api(bearer(admin_user))


@pytest.fixture
def member_api(member) -> Api:
    return Api(bearer(member))


def assert_error_shape(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    assert "Traceback" not in response.content.decode()
    return body


def codes_of(response) -> list[str]:
    return [u["code"] for u in response.json()["items"]]


# --- listing and reading units ------------------------------------------------------------------------


def test_units_list_is_items_and_count(tree, member_api):
    body = member_api.get("/units").json()
    assert body["count"] == 8
    assert {u["code"] for u in body["items"]} == {u.code for u in tree.values()}


def test_units_list_pages_with_limit_and_offset(tree, member_api):
    first = member_api.get("/units", limit=3, offset=0).json()
    rest = member_api.get("/units", limit=10, offset=3).json()
    assert first["count"] == rest["count"] == 8
    assert len(first["items"]) == 3 and len(rest["items"]) == 5
    assert not {u["code"] for u in first["items"]} & {u["code"] for u in rest["items"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "team"}, ["RBB-T1", "RAA-MED-01"]),
        ({"parent": "QAA"}, ["RBB", "RAA"]),
        ({"within": "RAA"}, ["RAA-MED", "RAA", "RAA-MED-01"]),
        ({"q": "riverside"}, ["QAA", "RAA"]),
        ({"q": "rbb-t1"}, ["RBB-T1"]),
        ({"kind": "organisation", "within": "QAA"}, ["RBB", "RAA"]),
    ],
    ids=["kind", "parent", "within", "text in the name", "exact code", "kind within"],
)
def test_units_list_filters(tree, member_api, params, expected):
    assert codes_of(member_api.get("/units", **params)) == expected


def test_a_unit_item_names_its_parent_by_code(tree, member_api):
    (item,) = member_api.get("/units", q="RAA").json()["items"]
    assert item == {
        "code": "RAA", "name": "Riverside Hospitals", "kind": "organisation", "parent": "QAA",
        "organisation_type": "acute_trust", "opened_on": None, "closed_on": None, "depth": 3, "version": 1,
    }  # fmt: skip


def test_unit_detail_lists_ancestors_and_counts_children(tree, member_api):
    body = member_api.get("/units/RAA-MED").json()
    assert body["ancestors"] == ["ENG", "Y56", "QAA", "RAA"]
    assert body["children"] == 1
    assert body["parent"] == "RAA"


def test_unit_tree_nests_children_to_the_depth_asked(tree, member_api):
    body = member_api.get("/units/QAA/tree", depth=2).json()
    assert body["code"] == "QAA"
    assert sorted(c["code"] for c in body["children"]) == ["RAA", "RBB"]
    raa = next(c for c in body["children"] if c["code"] == "RAA")
    assert [c["code"] for c in raa["children"]] == ["RAA-MED"]
    assert raa["children"][0]["children"] == []


def test_an_unknown_unit_code_is_404_in_json(tree, member_api):
    body = assert_error_shape(member_api.get("/units/NOPE"), 404)
    assert "NOPE" in body["detail"]


def test_an_unknown_filter_unit_is_404_naming_the_filter(tree, member_api):
    body = assert_error_shape(member_api.get("/units", within="NOPE"), 404)
    assert "within" in body["detail"]


def test_a_bad_filter_value_is_422_naming_the_field(tree, member_api):
    body = assert_error_shape(member_api.get("/units", kind="ward"), 422)
    assert body["errors"][0]["field"] == "kind"


def test_a_limit_that_is_not_a_number_is_422(tree, member_api):
    assert_error_shape(member_api.get("/units", limit="lots"), 422)


# --- creating and changing units ----------------------------------------------------------------------


def test_creating_a_unit_answers_201_with_the_unit(tree, api, admin_user):
    response = api.post(
        "/units", {"code": "RAA-MED-02", "name": "Ward 2", "kind": "team", "parent": "RAA-MED"}
    )
    assert response.status_code == 201
    assert response.json()["parent"] == "RAA-MED"
    unit = Unit.objects.get(code="RAA-MED-02")
    assert unit.path.startswith(tree["directorate"].path)
    assert AuditEvent.objects.get(action="unit.create", object_id=str(unit.pk)).actor == admin_user


def test_creating_a_unit_under_the_wrong_kind_is_400_naming_the_field(tree, api):
    body = assert_error_shape(
        api.post("/units", {"code": "T9", "name": "Stray", "kind": "team", "parent": "QAA"}), 400
    )
    assert body["errors"] == [
        {
            "field": "parent",
            "message": "a team must sit under an organisation or a directorate, not under an icb",
        }
    ]


def test_creating_a_unit_with_a_code_in_use_is_a_409_conflict(tree, api):
    body = assert_error_shape(
        api.post("/units", {"code": "RAA", "name": "Again", "kind": "team", "parent": "RAA-MED"}), 409
    )
    assert body["errors"][0]["field"] == "code"


def test_creating_a_unit_without_a_required_field_is_422(tree, api):
    body = assert_error_shape(api.post("/units", {"code": "X", "kind": "team", "parent": "RAA-MED"}), 422)
    assert body["errors"][0]["field"] == "name"


def test_a_body_that_is_not_json_is_an_error_in_json(tree, api):
    response = api.client.post("/api/v1/units", "{not json", content_type="application/json", **api.headers)
    assert response.status_code in (400, 422)
    assert_error_shape(response, response.status_code)


def test_only_a_superuser_may_create_a_unit_at_the_top(db, admin_user):
    body = {"code": "WAL", "name": "Wales", "kind": "nation"}
    refused = Api(bearer(admin_user)).post("/units", body)
    created = Api(bearer(UserFactory(is_superuser=True))).post("/units", body)
    assert_error_shape(refused, 403)
    assert created.status_code == 201


def test_patch_changes_fields_and_bumps_the_version(tree, api):
    response = api.patch("/units/RAA", {"name": "Riverside University Hospitals", "version": 1})
    assert response.status_code == 200
    assert response.json()["name"] == "Riverside University Hospitals"
    assert response.json()["version"] == 2
    event = AuditEvent.objects.get(action="unit.update")
    assert event.changes == {"name": ["Riverside Hospitals", "Riverside University Hospitals"]}


def test_patch_with_a_stale_version_is_409_with_the_current_record(tree, api):
    api.patch("/units/RAA", {"name": "First change", "version": 1})
    response = api.patch("/units/RAA", {"name": "Second change", "version": 1})
    body = assert_error_shape(response, 409)
    assert body["errors"][0]["field"] == "version"
    assert body["current"]["name"] == "First change"
    assert body["current"]["version"] == 2
    assert Unit.objects.get(code="RAA").name == "First change"


def test_patch_without_a_version_is_applied_and_audited(tree, api):
    api.patch("/units/RAA", {"name": "First change", "version": 1})
    response = api.patch("/units/RAA", {"name": "Last write wins"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="unit.update").count() == 2


def test_patch_with_an_empty_name_is_400(tree, api):
    body = assert_error_shape(api.patch("/units/RAA", {"name": " "}), 400)
    assert body["errors"] == [{"field": "name", "message": "Enter a name"}]


def test_patch_with_a_parent_moves_the_unit_and_everything_beneath(tree, api):
    response = api.patch("/units/RAA-MED", {"parent": "RBB"})
    assert response.status_code == 200
    assert response.json()["parent"] == "RBB"
    assert Unit.objects.get(code="RAA-MED-01").path.startswith(Unit.objects.get(code="RBB").path)


def test_moving_a_unit_under_its_own_descendant_is_400_with_the_field(tree, api):
    body = assert_error_shape(api.patch("/units/RAA", {"parent": "RAA-MED"}), 400)
    assert body["errors"][0]["field"] == "parent"
    assert "cannot move under itself" in body["errors"][0]["message"]
    assert Unit.objects.get(code="RAA").parent == tree["icb"]


def test_a_patch_that_fails_to_move_changes_nothing_at_all(tree, api):
    response = api.patch("/units/RAA", {"name": "Renamed", "parent": "RAA-MED"})
    assert response.status_code == 400
    unit = Unit.objects.get(code="RAA")
    assert (unit.name, unit.version) == ("Riverside Hospitals", 1)
    assert not AuditEvent.objects.filter(action__startswith="unit.").exists()


def test_a_patch_refused_for_the_new_parent_changes_nothing_at_all(tree, leader):
    response = Api(bearer(leader)).patch("/units/RAA-MED", {"name": "Renamed", "parent": "RBB"})
    assert_error_shape(response, 403)
    assert Unit.objects.get(code="RAA-MED").name == "Medicine"


def test_a_move_to_an_unknown_parent_is_404(tree, api):
    body = assert_error_shape(api.patch("/units/RAA-MED", {"parent": "NOPE"}), 404)
    assert "parent" in body["detail"]


def test_patching_an_unknown_unit_is_404(tree, api):
    assert_error_shape(api.patch("/units/NOPE", {"name": "X"}), 404)


def test_patching_a_field_that_does_not_exist_is_refused_or_ignored_not_applied(tree, api):
    response = api.patch("/units/RAA", {"kind": "team"})
    assert response.status_code in (200, 400, 422)
    assert Unit.objects.get(code="RAA").kind == "organisation"


# --- memberships --------------------------------------------------------------------------------------


def test_adding_a_membership_by_email_answers_201(tree, api):
    person = UserFactory()
    response = api.post("/memberships", {"user": person.email, "unit": "RAA-MED", "role": "coach"})
    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["unit"], body["role"]) == (person.pk, "RAA-MED", "coach")
    assert Membership.objects.filter(user=person, unit=tree["directorate"], role="coach").exists()


def test_adding_a_membership_by_id_answers_201(tree, api):
    person = UserFactory()
    response = api.post("/memberships", {"user": str(person.pk), "unit": "RAA", "role": "member"})
    assert response.status_code == 201


def test_adding_a_membership_for_an_unknown_person_is_404(tree, api):
    assert_error_shape(
        api.post("/memberships", {"user": "nobody@x.nhs.uk", "unit": "RAA", "role": "member"}), 404
    )


def test_adding_a_membership_with_an_unknown_role_is_422(tree, api):
    person = UserFactory()
    body = assert_error_shape(
        api.post("/memberships", {"user": person.email, "unit": "RAA", "role": "boss"}), 422
    )
    assert body["errors"][0]["field"] == "role"


def test_listing_a_units_memberships(tree, member, member_api):
    body = member_api.get("/units/RAA-MED-01/memberships").json()
    assert body["count"] == 1
    assert body["items"][0]["user"] == member.pk


def test_deleting_a_membership_answers_204_and_audits(tree, api, member):
    membership = member.memberships.get()
    response = api.delete(f"/memberships/{membership.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove").exists()


def test_deleting_a_membership_outside_ones_tree_is_403(tree, leader):
    other = MembershipFactory(unit=tree["other_team"])
    assert_error_shape(Api(bearer(leader)).delete(f"/memberships/{other.pk}"), 403)
    assert Membership.objects.filter(pk=other.pk).exists()


# --- people -------------------------------------------------------------------------------------------


def test_people_search_by_words_unit_and_role(tree, member_api):
    nurse = user_with_role("coach", tree["team"], display_name="Ada Lovelace", job_title="Ward sister")
    user_with_role("coach", tree["other_team"], display_name="Ada Byron")
    assert [p["id"] for p in member_api.get("/people", q="ada ward").json()["items"]] == [nurse.pk]
    assert [p["id"] for p in member_api.get("/people", unit="RAA", role="coach").json()["items"]] == [
        nurse.pk
    ]
    assert member_api.get("/people", q="ada").json()["count"] == 2


def test_a_person_and_their_memberships(tree, member, member_api):
    assert member_api.get(f"/people/{member.pk}").json()["email"] == member.email
    roles = member_api.get(f"/people/{member.pk}/memberships").json()["items"]
    assert [(m["unit"], m["role"]) for m in roles] == [("RAA-MED-01", "member")]


def test_an_unknown_person_is_404(tree, member_api):
    assert_error_shape(member_api.get("/people/999999"), 404)


# --- tokens -------------------------------------------------------------------------------------------


def test_spiral_token_create_prints_only_the_token_on_one_line(tree, member, capsys):
    code = cli.main(["token", "create", member.email.upper()])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("\n") == 1 and out.startswith("spiral_")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {out.strip()}")
    assert response.json()["email"] == member.email


def test_spiral_token_create_for_an_unknown_person_fails_on_stderr(db, capsys):
    code = cli.main(["token", "create", "nobody@example.nhs.uk"])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    assert "no active person" in captured.err


def test_a_token_made_on_the_profile_page_works_and_is_stored_only_as_a_hash(tree, member):
    client = Client()
    client.force_login(member)
    html = client.post("/profile/tokens/", {"name": "nightly load"}).content.decode()
    raw = html.split('id="token">')[1].split("<")[0]
    token = ApiToken.objects.get(user=member)
    assert token.token_hash == ApiToken.hash(raw) and raw not in token.token_hash
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["id"] == member.pk


def test_a_revoked_token_is_401(tree, member):
    headers = bearer(member)
    client = Client()
    client.force_login(member)
    client.post(f"/profile/tokens/{ApiToken.objects.get(user=member).pk}/revoke/")
    body = assert_error_shape(Client().get("/api/v1/me", **headers), 401)
    assert "revoked" in body["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-spiral-token", "Bearer spiral_short", "Bearer " + "x" * 300, "Token spiral_abc"],
    ids=["wrong prefix", "too short", "too long", "not bearer"],
)
def test_a_malformed_token_is_401_with_a_clear_message(tree, header):
    body = assert_error_shape(Client().get("/api/v1/me", HTTP_AUTHORIZATION=header), 401)
    assert "token" in body["detail"].lower() or "sign in" in body["detail"].lower()


def test_a_well_formed_unknown_token_is_401(tree):
    body = assert_error_shape(Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer spiral_" + "a" * 43), 401)
    assert "not recognised" in body["detail"]


def test_no_credentials_is_401_saying_how_to_authenticate(tree):
    body = assert_error_shape(Client().get("/api/v1/units"), 401)
    assert "Bearer" in body["detail"]


def test_a_signed_in_session_may_use_the_api(tree, member):
    client = Client()
    client.force_login(member)
    assert client.get("/api/v1/me").json()["id"] == member.pk


def test_using_a_token_records_when_it_was_last_used(tree, member):
    headers = bearer(member)
    Client().get("/api/v1/me", **headers)
    assert ApiToken.objects.get(user=member).last_used_at is not None


# --- the schema ---------------------------------------------------------------------------------------


def test_the_openapi_schema_describes_the_endpoints(tree, member_api):
    response = member_api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/units", "/api/v1/units/{code}", "/api/v1/memberships", "/api/v1/people"} <= set(paths)


def test_an_unknown_api_path_is_404_in_json(tree, member_api):
    assert_error_shape(member_api.get("/no-such-thing"), 404)


# --- input no database can take -----------------------------------------------------------------------


def test_an_offset_too_large_for_the_database_is_422(tree, member_api):
    body = assert_error_shape(member_api.get("/units", offset=str(10**20)), 422)
    assert body["errors"][0]["field"] == "offset"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/units", {"q": "a\x00b"}),
        ("/units", {"within": "\x00"}),
        ("/people", {"q": "\x00"}),
        ("/units/A%00B", {}),
    ],
    ids=["text", "unit filter", "people", "address"],
)
def test_a_nul_character_is_400_on_every_database(tree, member_api, path, params):
    body = assert_error_shape(member_api.get(path, **params), 400)
    assert "NUL" in body["detail"]


def test_a_nul_character_in_a_json_body_is_400(tree, api):
    body = {"code": "X1", "name": "Ward\u0000", "kind": "team", "parent": "RAA-MED"}
    assert_error_shape(api.post("/units", body), 400)
    assert not Unit.objects.filter(code="X1").exists()
