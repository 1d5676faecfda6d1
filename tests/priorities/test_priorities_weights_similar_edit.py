"""A unit's own weights of an idea's priority (inherited beneath it), similar ideas and projects shown
when an idea is added, and changing a goal on its page (409 with both versions; driver and watch roles)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.organisations.models import Role
from spiral.priorities import queries, services
from spiral.priorities.models import GoalMeasure, Idea, IdeaWeights
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.priorities.conftest import STEADY, observe

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(tree):
    return services.add_idea(unit=tree["team"], by=None, problem="Patients wait all day for medicines",
                             idea="A pharmacist on the morning ward round", helps="Patients going home")  # fmt: skip


@pytest.fixture
def partner(tree):
    return user_with_role(Role.PATIENT_PARTNER, tree["team"])


# --- weights ---------------------------------------------------------------------------------------------


def test_a_unit_without_weights_uses_the_defaults_then_its_nearest_ancestors(tree, member):
    assert queries.weights_for(member, tree["team"]) == queries.DEFAULT_WEIGHTS
    services.set_idea_weights(unit=tree["org"], by=None, impact=40, effort=40, alignment=20, patient_share=50)
    services.set_idea_weights(unit=tree["directorate"], by=None, impact=70, effort=10, alignment=20,
                              patient_share=75)  # fmt: skip
    found = queries.weights_for(member, tree["team"])
    assert found.unit == tree["directorate"] and found.impact == pytest.approx(0.7)
    assert found.patient_share == pytest.approx(0.75)
    assert queries.weights_for(member, tree["other_org"]) == queries.DEFAULT_WEIGHTS


def test_the_priority_counts_the_units_weights_and_its_share_for_the_patient_view(
    tree, idea, member, partner
):
    services.score_idea(idea=idea, by=member, impact=3, effort=2, alignment=4)
    services.score_idea(idea=idea, by=partner, impact=5, effort=4, alignment=4, is_patient=True)
    services.set_idea_weights(
        unit=tree["team"], by=None, impact=100, effort=0, alignment=0, patient_share=100
    )
    # Only impact counts, and only the patient partners' impact: (5 - 1) / 4 = 1 → 100.
    assert queries.scored(member, idea).priority == pytest.approx(100)
    services.set_idea_weights(unit=tree["team"], by=None, impact=100, effort=0, alignment=0, patient_share=0)
    assert queries.scored(member, idea).priority == pytest.approx(50)  # the staff's 3 → 0.5
    assert queries.backlog(member, tree["team"])[0].priority == pytest.approx(50)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"impact": 50, "effort": 30, "alignment": 30, "patient_share": 50}, "impact", "add up to 110%"),
        ({"impact": 0, "effort": 50, "alignment": 50, "patient_share": 50}, "impact", "Give patient impact"),
        ({"impact": 50, "effort": 20, "alignment": 30, "patient_share": 101}, "patient_share", "0 to 100"),
        (
            {"impact": 50.5, "effort": 19.5, "alignment": 30, "patient_share": 50},
            "impact",
            "whole percentage",
        ),
        ({"impact": -10, "effort": 80, "alignment": 30, "patient_share": 50}, "impact", "whole percentage"),
    ],
)
def test_bad_weights_are_refused_with_what_is_wrong_and_nothing_is_saved(tree, values, field, message):
    with pytest.raises(ValidationError) as refused:
        services.set_idea_weights(unit=tree["team"], by=None, **values)
    assert message in refused.value.message_dict[field][0]
    assert not IdeaWeights.objects.exists()


def test_a_leader_sets_the_weights_on_the_page_and_a_member_only_reads_them(tree, member, team_leader):
    url = f"/priorities/units/{tree['team'].code}/ideas/weights/"
    page = client_for(member).get(url).content.decode()
    assert "defaults (patient and staff views count equally)" in page and "Save the weights" not in page
    assert client_for(member).post(url, {"impact": 50}).status_code == 403
    bad = client_for(team_leader).post(
        url, {"impact": "60", "effort": "30", "alignment": "30", "patient_share": "50"}
    )
    assert bad.status_code == 200 and "add up to 120%" in bad.content.decode()
    saved = client_for(team_leader).post(url, {"impact": "60", "effort": "20", "alignment": "20",
                                               "patient_share": "50"})  # fmt: skip
    assert saved.status_code == 302
    assert IdeaWeights.objects.get(unit=tree["team"]).impact == 60
    assert AuditEvent.objects.filter(action="idea_weights.set").count() == 1


def test_the_weights_through_the_api_with_409_on_a_stale_version(tree, team_leader):
    url = f"/api/v1/units/{tree['team'].code}/idea-weights"
    headers = bearer(team_leader)
    assert client_for(None).get(url, **headers).json()["source"] is None
    body = {"impact": 60, "effort": 20, "alignment": 20, "patient_share": 50}
    first = client_for(None).put(url, json.dumps(body), content_type="application/json", **headers)
    assert first.status_code == 200 and first.json()["source"] == tree["team"].code
    version = first.json()["version"]
    client_for(None).put(url, json.dumps(body | {"impact": 70, "effort": 10, "version": version}),
                         content_type="application/json", **headers)  # fmt: skip
    stale = client_for(None).put(url, json.dumps(body | {"version": version}), content_type="application/json",
                                 **headers)  # fmt: skip
    assert stale.status_code == 409 and stale.json()["current"]["impact"] == 70
    bad = client_for(None).put(
        url, json.dumps(body | {"effort": 50}), content_type="application/json", **headers
    )
    assert bad.status_code == 400 and "add up to 130%" in bad.content.decode()


# --- similar ideas and projects ---------------------------------------------------------------------------


def test_similar_ideas_here_and_elsewhere_are_shown_when_an_idea_is_checked(tree, member, idea):
    services.add_idea(unit=tree["other_org"], by=None, problem="Medicines arrive late for discharge",
                      idea="Pharmacist joins the ward round every morning", helps="Patients")  # fmt: skip
    services.add_idea(unit=tree["other_org"], by=None, problem="Falls at night", idea="Low beds",
                      helps="Older patients")  # fmt: skip
    response = client_for(member).post(
        f"/priorities/units/{tree['team'].code}/ideas/new/",
        {"problem": "Medicines are late", "idea": "A pharmacist on the ward round", "helps": "x",
         "check_similar": "1"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and Idea.objects.count() == 3  # only looking: nothing saved
    assert "Perhaps already in your backlog" in page and "A pharmacist on the morning ward round" in page
    assert "Pharmacist joins the ward round every morning" in page and "Low beds" not in page


def test_the_similar_list_alone_and_through_the_api(tree, member, idea):
    alone = client_for(member).post(f"/priorities/units/{tree['team'].code}/ideas/new/similar/",
                                    {"problem": "", "idea": "pharmacist ward round"})  # fmt: skip
    assert "A pharmacist on the morning ward round" in alone.content.decode()
    found = client_for(None).post("/api/v1/ideas/similar", json.dumps(
        {"unit": tree["team"].code, "idea": "pharmacist ward round"}), content_type="application/json",
        **bearer(member)).json()  # fmt: skip
    assert [i["id"] for i in found["ideas"]] == [idea.pk] and found["ideas"][0]["same_unit"] is True
    assert found["projects"] == []


def test_nothing_typed_shows_no_similar_list(tree, member):
    assert queries.similar_work(member, tree["team"], problem="", idea="") is None
    assert queries.similar_ideas(member, tree["team"], "the and of") == []


# --- editing a goal on its page ---------------------------------------------------------------------------


def _form(goal, **changes):
    return {"title": goal.title, "category": goal.category, "description": goal.description,
            "target_date": goal.target_date.strftime("%d/%m/%Y"), "version": str(goal.version)} | changes  # fmt: skip


def test_a_leader_changes_a_goal_on_its_page_and_the_cascade_follows(tree, goal, org_leader):
    below = services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt")
    response = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/edit/", _form(goal, title="No harm"))
    assert response.status_code == 302
    goal.refresh_from_db()
    below.refresh_from_db()
    assert goal.title == "No harm" and below.title == "No harm" and goal.version == 2


def test_a_concurrent_change_shows_both_versions_and_keeps_mine(tree, goal, org_leader):
    read = _form(goal, title="Mine")
    services.change_goal(goal=goal, by=None, version=goal.version, title="Theirs")
    response = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/edit/", read)
    page = response.content.decode()
    assert response.status_code == 200 and "changed by someone else" in page
    assert "Theirs" in page and "Mine" in page and "Saved version (now)" in page
    goal.refresh_from_db()
    assert goal.title == "Theirs"


def test_the_team_leader_may_not_edit_the_organisations_goal(goal, team_leader):
    assert client_for(team_leader).get(f"/priorities/goals/{goal.pk}/edit/").status_code == 403


def test_a_measure_is_marked_watch_on_the_page_and_audited(tree, goal, org_leader, indicator):
    response = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/measures/",
                                           {"measure": indicator.code, "role": "watch"})  # fmt: skip
    assert response.status_code == 302
    assert GoalMeasure.objects.get(goal=goal).role == "watch"
    assert AuditEvent.objects.filter(action="goal.measure_change").count() == 1
    bad = client_for(org_leader).post(f"/priorities/goals/{goal.pk}/measures/", {"measure": "NOPE", "role": "watch"},
                                      follow=True)  # fmt: skip
    assert "No measure has the code" in bad.content.decode()


def test_a_target_against_the_improvement_direction_is_questioned_before_it_is_saved(tree, goal, indicator,
                                                                                     org_leader):  # fmt: skip
    observe(indicator, tree["org"], STEADY)  # about 10; fewer falls are better
    with pytest.raises(ValidationError, match="asks for things to get worse"):
        services.change_goal_measure(goal=goal, measure=indicator, by=None, target=15.0)
    assert GoalMeasure.objects.get(goal=goal).target == 4.0
    below = services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt")
    services.change_goal_measure(goal=goal, measure=indicator, by=None, target=15.0, confirm_direction=True)
    assert GoalMeasure.objects.get(goal=below).target == 15.0  # the adopting unit holds the same target
    response = client_for(None).patch(f"/api/v1/goals/{goal.pk}/measures", json.dumps(
        {"measure": indicator.code, "target": 20.0}), content_type="application/json", **bearer(org_leader))  # fmt: skip
    assert response.status_code == 400 and "asks for things to get worse" in response.content.decode()


def test_an_adopted_goals_targets_are_not_changed_here(tree, goal, indicator):
    below = services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt")
    with pytest.raises(ValidationError, match="propose a new target"):
        services.change_goal_measure(goal=below, measure=indicator, by=None, target=3.0)
    services.change_goal_measure(goal=below, measure=indicator, by=None, role="watch")
    assert GoalMeasure.objects.get(goal=below).role == "watch"
