"""The API's one request-parsing layer (spiral.core.api): bad input is a 4xx in the errors shape, never a
500 and never stored, on every endpoint alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from spiral.core import limits
from spiral.measurement.models import Measure
from spiral.organisations.models import Role, Unit
from spiral.projects.models import Project
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import ProjectFactory


@pytest.fixture
def headers(tree: dict[str, Unit]) -> dict[str, str]:
    return bearer(user_with_role(Role.LEADER, tree["org"]))


@pytest.fixture
def project(tree: dict[str, Unit]) -> Project:
    return ProjectFactory(unit=tree["team"], title="Fewer falls")


def send(method: str, path: str, body: str | bytes, headers: dict[str, str], **extra: Any) -> Any:
    extra.setdefault("content_type", "application/json")
    return getattr(Client(), method)(f"/api/v1{path}", body, **headers, **extra)


def errors_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


@pytest.mark.parametrize("field", ["title", "status", "stage", "method", "topics", "lessons", "version"])
def test_null_for_a_field_that_cannot_be_null_in_a_patch_is_a_422_naming_it(project, headers, field):
    response = send("patch", f"/projects/{project.pk}", json.dumps({field: None}), headers)
    body = errors_shape(response, 422)
    assert body["errors"][0]["field"] == field
    project.refresh_from_db()
    assert project.title == "Fewer falls"


def test_null_clears_a_field_that_may_be_empty_in_a_patch(project, headers):
    response = send("patch", f"/projects/{project.pk}", json.dumps({"aim_date": None}), headers)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/adoptions", {"source_project": 2**63, "unit": "RBB"}, "source_project"),
        ("/adoptions", {"source_project": 10**40, "unit": "RBB"}, "source_project"),
        ("/projects/{pk}/pdsa-cycles", {"change_idea": 2**64, "objective": "Try"}, "change_idea"),
        ("/projects/{pk}/change-ideas", {"title": "Idea", "parents": [2**63]}, "parents.0"),
        ("/projects/{pk}/driver-diagram", {"nodes": [{"id": -1, "kind": "primary", "text": "x",
                                                      "order": 2**31}]}, "nodes.0.order"),
    ],
)  # fmt: skip
def test_an_id_or_number_beyond_its_database_column_in_a_body_is_a_422(project, headers, path, body, field):
    method = "put" if path.endswith("driver-diagram") else "post"
    response = send(method, path.format(pk=project.pk), json.dumps(body), headers)
    body = errors_shape(response, 422)
    assert body["errors"][0]["field"] == field


def test_a_version_beyond_a_32_bit_column_is_a_422(project, headers):
    response = send("patch", f"/projects/{project.pk}", json.dumps({"version": 2**31}), headers)
    assert errors_shape(response, 422)["errors"][0]["field"] == "version"


def test_an_id_beyond_64_bits_in_the_path_is_a_422(headers):
    assert Client().get(f"/api/v1/projects/{2**64}", **headers).status_code == 422


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '"\\u0000"'])
def test_an_unpaired_surrogate_or_nul_in_any_string_is_a_422_and_nothing_is_stored(project, headers, text):
    response = send("patch", f"/projects/{project.pk}", '{"problem": ' + text + "}", headers)
    body = errors_shape(response, 400 if "0000" in text else 422)  # NUL: the middleware's 400, first
    assert "problem" in body["detail"] or "NUL" in body["detail"]
    project.refresh_from_db()
    assert project.problem == "Too many falls at night"


def test_an_unpaired_surrogate_in_a_key_of_a_free_form_object_is_a_422(tree, headers):
    body = '{"rating": "good", "answers": {"\\ud800": "x"}}'
    response = send("post", "/feedback/forms/nope/responses", body, {})
    assert errors_shape(response, 422)["errors"][0]["field"] == "answers"


@pytest.mark.parametrize("body", ["[1, 2]", '"x"', "3", "null", "true"])
def test_a_body_that_is_not_a_json_object_is_a_422(project, headers, body):
    response = send("patch", f"/projects/{project.pk}", body, headers)
    assert "JSON object" in errors_shape(response, 422)["detail"]
    project.refresh_from_db()
    assert project.title == "Fewer falls"


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity"])
def test_a_non_finite_number_is_a_422(project, headers, number):
    response = send("patch", f"/projects/{project.pk}", '{"aim_target": ' + number + "}", headers)
    errors_shape(response, 422)
    project.refresh_from_db()
    assert project.aim_target is None


def test_a_body_that_is_not_json_is_a_400_saying_where(project, headers):
    response = send("patch", f"/projects/{project.pk}", '{"title": ', headers)
    assert "line 1" in errors_shape(response, 400)["detail"]


def test_a_body_that_is_not_utf8_is_a_400(project, headers):
    response = send("patch", f"/projects/{project.pk}", b'{"title": "\xff"}', headers)
    assert "UTF-8" in errors_shape(response, 400)["detail"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "application/json; charset=latin-1",
    ],
)
def test_a_body_sent_as_anything_but_json_is_a_415_and_stores_nothing(project, headers, content_type):
    response = send("patch", f"/projects/{project.pk}", "title=a%00b", headers, content_type=content_type)
    assert "application/json" in errors_shape(response, 415)["detail"] or "UTF-8" in response.json()["detail"]
    project.refresh_from_db()
    assert project.title == "Fewer falls"


def test_a_multipart_body_is_a_415(project, headers):
    response = Client().patch(
        f"/api/v1/projects/{project.pk}",
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        **headers,
    )
    errors_shape(response, 415)


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/projects", "problem", limits.TEXT),
        ("/projects", "title", limits.NAME),
        ("/measures", "description", limits.TEXT),
    ],
)
def test_text_over_its_documented_limit_is_a_422_saying_the_limit(tree, headers, path, field, limit):
    base = {"unit": "RAA-MED-01", "title": "Falls"} if path == "/projects" else {
        "code": "FALLS-1", "name": "Falls", "owner": "RAA"}  # fmt: skip
    response = send("post", path, json.dumps(base | {field: "x" * (limit + 1)}), headers)
    body = errors_shape(response, 422)
    assert body["errors"][0] == {
        "field": field,
        "message": limits.too_long_message(limit, limit + 1),
    }
    assert not Project.objects.exists() and not Measure.objects.exists()


def test_text_at_its_limit_is_accepted(tree, headers):
    body = {"unit": "RAA-MED-01", "title": "T" * limits.NAME, "problem": "p" * limits.TEXT}
    assert send("post", "/projects", json.dumps(body), headers).status_code == 201


def test_a_200000_character_post_is_refused_with_the_long_text_limit(tree, headers):
    from spiral.knowledge.models import Community

    community = Community.objects.create(name="Falls", unit=tree["org"])
    body = {"title": "Hello", "body": "x" * 200_000}
    response = send("post", f"/communities/{community.pk}/threads", json.dumps(body), headers)
    assert errors_shape(response, 422)["errors"][0]["message"] == limits.too_long_message(
        limits.LONG_TEXT, 200_000
    )


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_name_is_a_422_saying_where(tree, headers, char):
    response = send("post", "/projects", json.dumps({"unit": "RAA-MED-01", "title": f"Fa{char}lls"}), headers)
    message = errors_shape(response, 422)["errors"][0]["message"]
    assert "control character" in message and "position 3" in message


def test_tabs_and_new_lines_are_kept_in_multi_line_text(project, headers):
    response = send("patch", f"/projects/{project.pk}", json.dumps({"problem": "One\n\tTwo\r\n"}), headers)
    assert response.status_code == 200, response.content
    project.refresh_from_db()
    assert project.problem.startswith("One\n\tTwo")


def test_a_new_line_in_a_one_line_name_is_refused(project, headers):
    response = send("patch", f"/projects/{project.pk}", json.dumps({"title": "One\nTwo"}), headers)
    assert errors_shape(response, 422)["errors"][0]["field"] == "title"


def test_a_field_with_its_own_limit_has_the_same_limit_in_the_api_as_its_column(project, headers):
    from spiral.projects import services
    from spiral.projects.models import PdsaCycle

    limit = PdsaCycle._meta.get_field("plan_who").max_length
    idea = services.create_change_idea(project=project, title="Huddle", by=None)
    body = {"change_idea": idea.pk, "objective": "Try", "plan_who": "x" * (limit + 1)}
    response = send("post", f"/projects/{project.pk}/pdsa-cycles", json.dumps(body), headers)
    assert errors_shape(response, 422)["errors"][0] == {
        "field": "plan_who",
        "message": limits.too_long_message(limit, limit + 1),
    }


def test_a_value_the_database_refuses_as_too_large_is_a_422_not_a_500(project, headers, monkeypatch):
    # The last guard, for a column narrower than its schema (PostgreSQL refuses, SQLite stores).
    from django.db import DataError

    from spiral.projects import services

    def refuse(**kwargs: Any) -> Any:
        raise DataError("value too long for type character varying(300)")

    monkeypatch.setattr(services, "update_project", refuse)
    response = send("patch", f"/projects/{project.pk}", json.dumps({"title": "New"}), headers)
    assert "too long" in errors_shape(response, 422)["detail"]


def test_a_null_refusal_says_to_send_a_value_or_leave_the_field_out(project, headers):
    response = send("patch", f"/projects/{project.pk}", json.dumps({"status": None}), headers)
    assert "leave the field out" in errors_shape(response, 422)["errors"][0]["message"]
