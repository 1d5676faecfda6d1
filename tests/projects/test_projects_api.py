"""The projects API: shapes, permissions, 409 on a stale version, and errors that change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from spiral.projects.models import DriverNode, PdsaCycle, Project
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider, bearer
from tests.conftest import user_with_role
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user) -> None:
        self.client = Client()
        self.headers = bearer(user)

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api/v1{path}", params, **self.headers)

    def send(self, method: str, path: str, body: Any):
        return getattr(self.client, method)(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self.headers
        )


def assert_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


def test_a_member_of_the_unit_creates_a_project_with_the_minimal_body(tree, member):
    response = Api(member).send(
        "post",
        "/projects",
        {"unit": "RAA-MED-01", "title": "Falls", "problem": "Too many", "aim": "Halve falls",
         "topics": ["falls"], "status": "active"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] and body["status"] == "active" and body["topics"] == ["falls"]
    assert body["team"][0]["role"] == "lead"
    assert "how much: a target value" in body["missing_aim_parts"]


def test_creating_in_a_unit_where_one_has_no_role_is_refused(tree, member):
    assert_refuses_outsider(
        "/api/v1/projects", member, method="post", data={"unit": "RBB-T1", "title": "T", "aim": "A"}
    )
    assert not Project.objects.exists()


def test_the_api_refuses_anonymous_requests(tree):
    assert_refuses_anonymous("/api/v1/projects")


def test_anyone_signed_in_reads_any_project_and_its_parts(tree, outsider, project):
    api = Api(outsider)
    assert api.get(f"/projects/{project.pk}").json()["title"] == project.title
    assert api.get("/projects", unit="RAA").json()["count"] == 1
    assert api.get(f"/projects/{project.pk}/driver-diagram").json()["nodes"][0]["kind"] == "aim"
    assert api.get(f"/projects/{project.pk}/change-ideas").json() == {"items": [], "count": 0}
    assert api.get(f"/projects/{project.pk}/pdsa-cycles").json()["count"] == 0
    assert api.get(f"/projects/{project.pk}/progress").json() == {"items": [], "count": 0}


def test_a_stale_patch_gets_409_with_the_current_record(project, lead):
    api = Api(lead)
    assert api.send("patch", f"/projects/{project.pk}", {"title": "New", "version": 1}).status_code == 200
    body = assert_error(api.send("patch", f"/projects/{project.pk}", {"title": "Mine", "version": 1}), 409)
    assert body["current"]["title"] == "New"
    assert Project.objects.get().title == "New"


def test_an_outsider_may_not_patch_a_project(project, outsider):
    assert_refuses_outsider(f"/api/v1/projects/{project.pk}", outsider, method="patch", data={"title": "X"})


def test_a_leader_above_the_unit_may_patch_any_project_beneath(project, leader):
    response = Api(leader).send("patch", f"/projects/{project.pk}", {"stage": "testing"})
    assert response.status_code == 200 and response.json()["stage"] == "testing"


def test_the_driver_diagram_put_maps_negative_ids_and_refuses_a_loop(project, lead):
    api = Api(lead)
    aim = api.get(f"/projects/{project.pk}/driver-diagram").json()["nodes"][0]["id"]
    body = {
        "nodes": [
            {"id": aim, "kind": "aim", "text": "Aim"},
            {"id": -1, "kind": "primary", "text": "Safe ward"},
            {"id": -2, "kind": "secondary", "text": "Alarms"},
            {"id": -3, "kind": "secondary", "text": "Finer"},
        ],
        "edges": [{"from": aim, "to": -1}, {"from": -1, "to": -2}, {"from": -2, "to": -3}],
    }
    response = api.send("put", f"/projects/{project.pk}/driver-diagram", body)
    assert response.status_code == 200, response.content
    ids = response.json()["ids"]
    assert set(ids) == {"-1", "-2", "-3"}
    assert {"from": ids["-1"], "to": ids["-2"]} in response.json()["edges"]
    looped = response.json()
    looped["edges"].append({"from": ids["-3"], "to": ids["-2"]})
    looped.pop("ids")
    assert (
        "loop"
        in assert_error(api.send("put", f"/projects/{project.pk}/driver-diagram", looped), 400)["detail"]
    )
    assert DriverNode.objects.filter(project=project).count() == 4


def test_change_ideas_cycles_and_scores_by_api(project, lead, tree):
    api = Api(lead)
    idea = api.send("post", f"/projects/{project.pk}/change-ideas", {"title": "Bed alarms"})
    assert idea.status_code == 201, idea.content
    cycle = api.send(
        "post",
        f"/projects/{project.pk}/pdsa-cycles",
        {"change_idea": idea.json()["id"], "objective": "One bed", "prediction": "It rings"},
    )
    assert cycle.status_code == 201, cycle.content
    cycle_id = cycle.json()["id"]
    patched = api.send("patch", f"/pdsa-cycles/{cycle_id}", {"results": "Rang twice", "version": 1})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert assert_error(api.send("patch", f"/pdsa-cycles/{cycle_id}", {"learning": "x", "version": 1}), 409)
    score = api.send("post", f"/projects/{project.pk}/progress", {"score": 2.5, "comment": "Testing"})
    assert score.status_code == 201 and score.json()["score"] == 2.5
    assert_error(api.send("post", f"/projects/{project.pk}/progress", {"score": 2.7}), 400)
    other = ProjectFactory(unit=tree["other_team"])
    foreign = DriverNode.objects.create(project=other, kind="change_idea", text="Elsewhere")
    body = assert_error(
        api.send(
            "post", f"/projects/{project.pk}/pdsa-cycles", {"change_idea": foreign.pk, "objective": "x"}
        ),
        400,
    )
    assert body["errors"][0]["field"] == "change_idea"
    assert PdsaCycle.objects.count() == 1


def test_a_patient_partner_on_the_team_edits_the_project(project, partner):
    response = Api(partner).send("post", f"/projects/{project.pk}/change-ideas", {"title": "Ask patients"})
    assert response.status_code == 201


def test_team_members_can_be_added_and_listed(project, lead, tree):
    newcomer = user_with_role("member", tree["team"])
    api = Api(lead)
    added = api.send("post", f"/projects/{project.pk}/team", {"user": newcomer.email, "role": "member"})
    assert added.status_code == 201, added.content
    assert api.get(f"/projects/{project.pk}/team").json()["count"] == 4
