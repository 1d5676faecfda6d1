"""Projects name the goal they serve; the goal page lists the work beneath it with progress scores, and
the unit page shows the goals that no active work serves."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from spiral.priorities import queries, services
from spiral.priorities.models import ServedGoal
from spiral.projects import services as project_services
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import ResponseFactory, TeamMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(tree):
    return project_services.create_project(unit=tree["team"], title="Safer nights", problem="Falls at night",
                                           aim="Halve falls", status="active", by=None)  # fmt: skip


def test_the_goal_lists_the_work_of_its_cascade_with_the_latest_progress_score(tree, goal, project, member):
    directorate = ResponseFactory(goal=goal, unit=tree["directorate"])
    services.link_project(goal=directorate, project=project, by=None)
    project_services.record_score(project=project, score=2.5, month="2025-06", by=None)
    [found] = queries.work(member, goal)  # the organisation's goal sees the work beneath it
    assert found.project == project and found.score == 2.5
    assert queries.unserved(member, tree["org"]) == []


def test_a_goal_no_active_work_serves_is_shown_as_such(tree, goal, project, member):
    page = client_for(member).get(f"/priorities/units/{tree['org'].code}/").content.decode()
    assert "Goals no active work serves" in page
    services.link_project(goal=goal, project=project, by=None)
    page = client_for(member).get(f"/priorities/units/{tree['org'].code}/").content.decode()
    assert "Goals no active work serves" not in page
    assert "Safer nights" in client_for(member).get(f"/priorities/goals/{goal.pk}/").content.decode()


def test_a_project_serves_only_goals_of_its_unit_or_above_and_each_once(tree, goal, project):
    elsewhere = project_services.create_project(unit=tree["other_team"], title="Elsewhere", by=None)
    with pytest.raises(ValidationError, match="not Riverside Hospitals nor beneath it"):
        services.link_project(goal=goal, project=elsewhere, by=None)
    services.link_project(goal=goal, project=project, by=None)
    with pytest.raises(ValidationError, match="already serves"):
        services.link_project(goal=goal, project=project, by=None)
    assert ServedGoal.objects.count() == 1


def test_the_projects_team_names_the_goal_on_the_page_and_others_may_not(tree, goal, project):
    partner = UserFactory()
    TeamMemberFactory(project=project, user=partner, role="patient_partner")
    response = client_for(partner).post(f"/priorities/projects/{project.pk}/goals/", {"goal": goal.pk})
    assert response.status_code == 302 and ServedGoal.objects.filter(project=project, goal=goal).exists()
    outsider = client_for(UserFactory()).post(f"/priorities/projects/{project.pk}/goals/", {"goal": goal.pk})
    assert outsider.status_code == 403


def test_the_api_names_a_goal_and_lists_the_work(tree, goal, project, leader):
    bad = Client().post(f"/api/v1/projects/{project.pk}/goals", json.dumps({"goal": 999999}),
                        content_type="application/json", **bearer(leader))  # fmt: skip
    assert bad.status_code == 404
    made = Client().post(f"/api/v1/projects/{project.pk}/goals", json.dumps({"goal": goal.pk}),
                         content_type="application/json", **bearer(leader))  # fmt: skip
    assert made.status_code == 201
    work = Client().get(f"/api/v1/goals/{goal.pk}/projects", **bearer(leader)).json()["items"]
    assert [(w["project"], w["status"], w["score"]) for w in work] == [(project.pk, "active", None)]
    served = Client().get(f"/api/v1/projects/{project.pk}/goals", **bearer(leader)).json()["items"]
    assert [g["id"] for g in served] == [goal.pk]
