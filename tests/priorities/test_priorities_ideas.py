"""The ideas backlog: anyone in a team (patient partners too) adds and scores ideas; patient partners'
scores are shown beside the staff's and count in the priority; staff move ideas on, each move recorded."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from spiral.organisations.models import Role
from spiral.priorities import presenters, queries, services
from spiral.priorities.models import Idea, IdeaMove, IdeaScore
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(tree):
    return services.add_idea(unit=tree["team"], by=None, problem="Patients wait all day for medicines",
                             idea="A pharmacist on the morning ward round", helps="Patients going home")  # fmt: skip


@pytest.fixture
def partner(tree):
    return user_with_role(Role.PATIENT_PARTNER, tree["team"])


def test_staff_and_patient_partner_scores_are_shown_side_by_side_and_count_in_the_priority(
    idea, member, partner
):
    services.score_idea(idea=idea, by=member, impact=3, effort=2, alignment=4)
    assert queries.scored(member, idea).priority == pytest.approx(100 * (0.5 * 0.5 + 0.3 * 0.75 + 0.2 * 0.75))
    services.score_idea(idea=idea, by=partner, impact=5, effort=4, alignment=4, is_patient=True)
    found = queries.scored(member, idea)
    assert found.staff == {"impact": 3, "effort": 2, "alignment": 4}
    assert found.patient == {"impact": 5, "effort": 4, "alignment": 4}
    # The patient view is half of the impact: (5 + 3) / 2 = 4 → 0.75; effort (2 + 4) / 2 = 3 → 0.5.
    assert found.priority == pytest.approx(100 * (0.5 * 0.75 + 0.3 * 0.75 + 0.2 * 0.5))


def test_scoring_again_replaces_ones_own_scores(idea, member):
    services.score_idea(idea=idea, by=member, impact=1, effort=1, alignment=1)
    services.score_idea(idea=idea, by=member, impact=5, effort=1, alignment=1)
    assert list(IdeaScore.objects.values_list("impact", flat=True)) == [5]


@pytest.mark.parametrize("value", [0, 6, "3", 2.5, True, None])
def test_scores_outside_the_scale_are_refused(idea, member, value):
    with pytest.raises(ValidationError, match="whole number from 1 to 5"):
        services.score_idea(idea=idea, by=member, impact=value, effort=2, alignment=3)
    assert not IdeaScore.objects.exists()


def test_an_idea_needs_its_problem_idea_and_who_it_helps_and_no_personal_data(tree):
    with pytest.raises(ValidationError) as refused:
        services.add_idea(
            unit=tree["team"], by=None, problem="", idea="Call Mrs Jones on 07700 900123", helps=""
        )
    assert {"problem", "idea", "helps"} <= set(refused.value.message_dict)
    assert not Idea.objects.exists()


def test_ideas_move_on_with_who_and_why_and_a_wrong_move_is_refused(idea, member):
    with pytest.raises(ValidationError, match="moves on to"):
        services.move_idea(idea=idea, by=member, to="done", why="It works")
    services.move_idea(idea=idea, by=member, to="discussion", why="The huddle wants to try it")
    moved = services.move_idea(idea=idea, by=member, to="testing", why="A PDSA cycle next week", version=2)
    assert moved.status == "testing"
    assert list(IdeaMove.objects.values_list("from_status", "to_status", "created_by")) == [
        ("new", "discussion", member.pk), ("discussion", "testing", member.pk)]  # fmt: skip
    with pytest.raises(services.StaleGoal):
        services.move_idea(idea=idea, by=member, to="done", why="Late", version=2)


def test_the_backlog_page_shows_the_pick_chart_and_both_views(tree, idea, member, partner):
    services.score_idea(idea=idea, by=partner, impact=5, effort=2, alignment=3, is_patient=True)
    page = client_for(member).get(f"/priorities/units/{tree['team'].code}/ideas/").content.decode()
    assert "PICK chart of the backlog" in page and "5.0, 2.0, 3.0" in page and "not scored" in page
    assert "<circle" in str(presenters.pick_svg(queries.backlog(member, tree["team"])))


def test_a_patient_partner_adds_and_scores_ideas_but_may_not_move_them(tree, idea, partner):
    client = client_for(partner)
    added = client.post(f"/priorities/units/{tree['team'].code}/ideas/new/", {
        "problem": "The ward is noisy at night", "idea": "Quiet hours after ten", "helps": "Patients sleeping",
        "prompted_by": "feedback", "prompt": "Environment",
    })  # fmt: skip
    assert added.status_code == 302
    scored = client.post(
        f"/priorities/ideas/{idea.pk}/scores/", {"impact": "5", "effort": "2", "alignment": "3"}
    )
    assert scored.status_code == 302 and IdeaScore.objects.get(by=partner).is_patient is True
    moved = client.post(f"/priorities/ideas/{idea.pk}/moves/", {"to": "discussion", "why": "Let us talk"})
    assert moved.status_code == 403 and Idea.objects.get(pk=idea.pk).status == "new"


def test_the_api_adds_scores_and_moves_ideas_and_refuses_scores_off_the_scale(tree, member):
    headers = bearer(member)
    made = Client().post("/api/v1/ideas", json.dumps({"unit": tree["team"].code, "problem": "Long waits",
                         "idea": "Text reminders", "helps": "Patients"}), content_type="application/json",
                         **headers)  # fmt: skip
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    bad = Client().post(f"/api/v1/ideas/{pk}/scores", json.dumps({"impact": 9, "effort": 2, "alignment": 3}),
                        content_type="application/json", **headers)  # fmt: skip
    assert bad.status_code == 422 and not IdeaScore.objects.exists()
    good = Client().post(f"/api/v1/ideas/{pk}/scores", json.dumps({"impact": 4, "effort": 2, "alignment": 3}),
                         content_type="application/json", **headers)  # fmt: skip
    assert good.status_code == 201 and good.json()["staff"]["impact"] == 4
    moved = Client().post(f"/api/v1/ideas/{pk}/moves", json.dumps({"to": "discussion", "why": "Huddle", "version": 1}),
                          content_type="application/json", **headers)  # fmt: skip
    assert moved.status_code == 200 and moved.json()["status"] == "discussion"
    stale = Client().post(f"/api/v1/ideas/{pk}/moves", json.dumps({"to": "testing", "why": "Go", "version": 1}),
                          content_type="application/json", **headers)  # fmt: skip
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "discussion"
    listed = Client().get(f"/api/v1/ideas?unit={tree['team'].code}", **headers).json()
    assert [i["id"] for i in listed["items"]] == [pk]
