"""The goal pages and the API: what a person sees, and bad input answered with a clear 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from spiral.priorities.models import Goal, Response
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import ResponseFactory
from tests.priorities.conftest import SHIFT_UP, observe

pytestmark = pytest.mark.django_db


def _post(user: Any, path: str, body: Any, method: str = "post") -> Any:
    return getattr(Client(), method)(path, json.dumps(body), content_type="application/json", **bearer(user))


# --- pages ---------------------------------------------------------------------------------------------


def test_a_leader_sets_a_goal_on_the_page_and_sees_it(tree, indicator, org_leader):
    client = client_for(org_leader)
    response = client.post(f"/priorities/units/{tree['org'].code}/goals/new/", {
        "title": "Zero avoidable harm", "category": "safety", "target_date": "31/03/2027",
        "measure_1": "FALLS", "target_1": "4",
    })  # fmt: skip
    goal = Goal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/priorities/goals/{goal.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Zero avoidable harm" in page and "Falls" in page and "Not yet measuring" in page


def test_an_unknown_measure_on_the_page_is_shown_on_its_field(tree, org_leader):
    response = client_for(org_leader).post(f"/priorities/units/{tree['org'].code}/goals/new/", {
        "title": "Zero harm", "category": "safety", "target_date": "31/03/2027",
        "measure_1": "NOPE", "target_1": "4",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "No measure has the code &#39;NOPE&#39;" in page and 'href="#id_measure_1"' in page
    assert not Goal.objects.exists()


def test_a_bad_date_on_the_page_is_refused(tree, org_leader):
    response = client_for(org_leader).post(f"/priorities/units/{tree['org'].code}/goals/new/", {
        "title": "Zero harm", "category": "safety", "target_date": "31/13/2027",
        "measure_1": "FALLS", "target_1": "4",
    })  # fmt: skip
    assert response.status_code == 200 and 'href="#id_target_date"' in response.content.decode()
    assert not Goal.objects.exists()


def test_a_team_leader_answers_on_the_page_and_the_unit_page_lists_what_awaits(
    tree, goal, directorate_leader
):
    client = client_for(directorate_leader)
    unit_page = client.get(f"/priorities/units/{tree['directorate'].code}/").content.decode()
    assert "awaiting an answer" in unit_page and "Zero avoidable harm" in unit_page
    response = client.post(f"/priorities/goals/{goal.pk}/respond/", {
        "unit": tree["directorate"].code, "response": "adapt", "target": "6",
        "reason": "Our falls are higher: halve them first",
    })  # fmt: skip
    mine = Goal.objects.get(unit=tree["directorate"])
    assert response.status_code == 302 and mine.response == Response.PENDING
    page = client.get(f"/priorities/goals/{mine.pk}/").content.decode()
    assert "Catchball" in page and "Our falls are higher" in page and "Proposal" in page


def test_catchball_on_the_page_records_a_turn_and_shows_errors_in_the_summary(tree, goal, org_leader):
    mine = ResponseFactory(goal=goal, unit=tree["directorate"], response="adapt")
    client = client_for(org_leader)
    bad = client.post(f"/priorities/goals/{mine.pk}/catchball/", {"kind": "reply", "text": ""})
    assert bad.status_code == 200 and 'href="#id_text"' in bad.content.decode()
    good = client.post(f"/priorities/goals/{mine.pk}/catchball/", {"kind": "counter", "text": "5 by March",
                                                                   "target": "5"})  # fmt: skip
    assert good.status_code == 302
    assert mine.messages.count() == 2


def test_the_cascade_page_shows_the_tree_with_icons_and_shares(tree, goal, indicator, member):
    directorate = ResponseFactory(goal=goal, unit=tree["directorate"])
    ResponseFactory(goal=directorate, unit=tree["team"], response="decline")
    observe(indicator, tree["directorate"], SHIFT_UP)
    page = client_for(member).get(f"/priorities/goals/{goal.pk}/cascade/").content.decode()
    assert "Medicine" in page and "Ward 1" in page and "Declined" in page
    assert "Special cause variation: concern (high)" in page  # the MDC icon's meaning
    assert "50%</strong> concerning" in page  # of the two units working to it
    assert "1 declined it" in page


def test_a_member_may_read_goals_but_not_set_them(tree, goal, member):
    client = client_for(member)
    assert client.get(f"/priorities/goals/{goal.pk}/").status_code == 200
    assert client.get(f"/priorities/units/{tree['org'].code}/goals/new/").status_code == 403


# --- API -----------------------------------------------------------------------------------------------


def test_the_api_sets_a_goal_and_reads_it_and_its_cascade(tree, indicator, org_leader):
    created = _post(org_leader, "/api/v1/goals", {
        "unit": "RAA", "title": "Zero avoidable harm", "category": "safety", "target_date": "2027-03-31",
        "measures": [{"measure": "FALLS", "target": 4}],
    })  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["measures"][0] == {"measure": "FALLS", "name": "Falls", "target": 4.0, "latest_value": None,
                                   "variation": "", "assurance": "", "role": "driver", "watch_concern": False}  # fmt: skip
    cascade = Client().get(f"/api/v1/goals/{body['id']}/cascade", **bearer(org_leader)).json()
    assert cascade["tree"]["unit"] == "RAA" and cascade["awaiting"] == 1
    listed = Client().get("/api/v1/goals?unit=RAA", **bearer(org_leader)).json()
    assert [g["id"] for g in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"target_date": "2027-13-45"}, 422, "target_date"),
        ({"target_date": "1999-01-01"}, 400, "target_date"),
        ({"measures": [{"measure": "NOPE", "target": 4}]}, 400, "measures.0.measure"),
        ({"title": "x" * 201}, 422, "title"),
        ({"measures": []}, 422, "measures"),
        ({"category": "luck"}, 422, "category"),
        ({"measures": [{"measure": "FALLS", "target": "four"}]}, 422, "measures.0.target"),
    ],
)
def test_bad_input_to_the_api_is_a_clear_4xx_and_writes_nothing(
    tree, indicator, org_leader, change, status, field
):
    body = {"unit": "RAA", "title": "Zero harm", "target_date": "2027-03-31",
            "measures": [{"measure": "FALLS", "target": 4}]} | change  # fmt: skip
    response = _post(org_leader, "/api/v1/goals", body)
    assert response.status_code == status, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Goal.objects.exists()


def test_a_stale_patch_answers_409_with_the_current_goal(goal, org_leader):
    first = _post(org_leader, f"/api/v1/goals/{goal.pk}", {"version": 1, "title": "No harm"}, "patch")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = _post(org_leader, f"/api/v1/goals/{goal.pk}", {"version": 1, "title": "Other"}, "patch")
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "No harm"


def test_the_api_answers_adapts_and_plays_catchball(tree, goal, org_leader, directorate_leader):
    mine = _post(directorate_leader, f"/api/v1/goals/{goal.pk}/responses", {
        "unit": "RAA-MED", "response": "adapt", "target": 6, "reason": "Halve them first",
    })  # fmt: skip
    assert mine.status_code == 201 and mine.json()["response"] == "pending"
    goal_id = mine.json()["id"]
    counter = _post(org_leader, f"/api/v1/goals/{goal_id}/catchball",
                    {"kind": "counter", "text": "5 by March", "target": 5})  # fmt: skip
    assert counter.status_code == 201 and counter.json()["from_above"] is True
    agreed = _post(
        directorate_leader, f"/api/v1/goals/{goal_id}/catchball", {"kind": "agreement", "text": "Yes"}
    )
    assert agreed.status_code == 201
    turns = Client().get(f"/api/v1/goals/{goal_id}/catchball", **bearer(org_leader)).json()["items"]
    assert [t["kind"] for t in turns] == ["proposal", "counter", "agreement"]
    assert (
        Client().get(f"/api/v1/goals/{goal_id}", **bearer(org_leader)).json()["measures"][0]["target"] == 5.0
    )


def test_the_api_refuses_another_branch_and_an_unknown_unit(tree, goal, outsider, admin_user):
    # The leader of Hillside may not answer for Medicine (403), nor take Riverside's goal up at Hillside.
    assert _post(outsider, f"/api/v1/goals/{goal.pk}/responses",
                 {"unit": "RAA-MED", "response": "adopt"}).status_code == 403  # fmt: skip
    other = _post(outsider, f"/api/v1/goals/{goal.pk}/responses", {"unit": "RBB", "response": "adopt"})
    assert other.status_code == 400 and "another branch" in other.json()["detail"]
    assert _post(admin_user, f"/api/v1/goals/{goal.pk}/responses",
                 {"unit": "NOPE", "response": "adopt"}).status_code == 404  # fmt: skip
    assert Goal.objects.count() == 1


def test_the_api_lists_a_large_cascade_level_by_level_and_counts_the_units_beneath(tree, goal, org_leader):
    from spiral.priorities import services

    mine = services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt")
    services.respond(goal=mine, unit=tree["team"], by=None, response="adopt")
    url = f"/api/v1/goals/{goal.pk}/cascade"
    whole = Client().get(url, **bearer(org_leader)).json()
    assert whole["units"] == 3 and whole["tree"]["children"][0]["children"][0]["unit"] == tree["team"].code
    assert whole["tree"]["beneath"] is None
    cut = Client().get(url, {"listed": 2}, **bearer(org_leader)).json()
    assert (cut["units"], cut["shares"]) == (whole["units"], whole["shares"])
    (directorate,) = cut["tree"]["children"]
    assert directorate["children"] == [] and sum(directorate["beneath"].values()) == 1  # the team
    refused = Client().get(url, {"listed": 0}, **bearer(org_leader))
    assert refused.status_code == 422 and "listed" in refused.content.decode()
