"""Setting True North goals, answering them down the hierarchy, catchball, the cascade (services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.priorities import queries, services
from spiral.priorities.models import CatchballMessage, Goal, GoalMeasure, Kind, Response
from tests.factories import GoalFactory, MeasureFactory, ResponseFactory
from tests.priorities.conftest import SHIFT_UP, STEADY, observe

pytestmark = pytest.mark.django_db


# --- setting a goal -----------------------------------------------------------------------------------


def test_a_goal_is_set_with_its_measures_targets_and_date_and_audited(tree, indicator, org_leader):
    goal = services.set_goal(unit=tree["org"], by=org_leader, title="Zero avoidable harm", category="safety",
                             target_date=dt.date(2027, 3, 31), measures=[(indicator, 4.0)])  # fmt: skip
    assert goal.response == Response.SET and goal.parent is None
    assert [(gm.measure.code, gm.target) for gm in goal.measures.all()] == [("FALLS", 4.0)]
    event = AuditEvent.objects.get(action="goal.set")
    assert event.actor == org_leader and event.scope_path == tree["org"].path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"category": "luck"}, "category"),
        ({"target_date": dt.date(1999, 12, 31)}, "target_date"),
        ({"target_date": "next spring"}, "target_date"),
        ({"description": "Call Ann on 07700 900123"}, "description"),
        ({"measures": []}, "measures"),
    ],
)
def test_a_goal_with_bad_input_is_refused_and_nothing_is_written(tree, indicator, change, field):
    values: dict[str, Any] = {"title": "Zero harm", "target_date": dt.date(2027, 3, 31),
                              "measures": [(indicator, 4.0)]} | change  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.set_goal(unit=tree["org"], by=None, **values)
    assert field in refused.value.message_dict
    assert not Goal.objects.exists() and not AuditEvent.objects.filter(action="goal.set").exists()


def test_a_measure_the_unit_cannot_observe_is_refused(tree):
    elsewhere = MeasureFactory(owner=tree["other_org"], code="HILL-1")
    with pytest.raises(ValidationError, match="not a measure Riverside Hospitals can observe"):
        GoalFactory(unit=tree["org"], measures=[(elsewhere, 1.0)])


def test_a_non_finite_target_is_refused(tree, indicator):
    with pytest.raises(ValidationError, match="target as a number"):
        GoalFactory(unit=tree["org"], measures=[(indicator, float("nan"))])


def test_a_target_against_the_improvement_direction_is_questioned_until_confirmed(tree, indicator):
    observe(indicator, tree["org"], STEADY)  # latest 10 falls; lower is better
    with pytest.raises(ValidationError) as questioned:
        GoalFactory(unit=tree["org"], measures=[(indicator, 15.0)])
    assert "asks for things to get worse" in questioned.value.message_dict["target"][0]
    assert not Goal.objects.exists()
    goal = GoalFactory(unit=tree["org"], measures=[(indicator, 15.0)], confirm_direction=True)
    assert goal.measures.get().target == 15.0


def test_a_unit_has_only_a_handful_of_goals(tree, indicator):
    for i in range(8):
        GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)], title=f"Goal {i}")
    with pytest.raises(ValidationError, match="a handful"):
        GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)])


def test_changing_a_goal_with_a_stale_version_is_refused_and_the_cascade_follows_a_change(tree, goal):
    mine = ResponseFactory(goal=goal, unit=tree["directorate"])
    services.change_goal(goal=goal, by=None, version=1, title="No avoidable harm")
    mine.refresh_from_db()
    assert mine.title == "No avoidable harm"
    with pytest.raises(services.StaleGoal) as stale:
        services.change_goal(goal=goal, by=None, version=1, title="Something else")
    assert stale.value.current.version == 2


# --- answering a goal: adopt, adapt, decline ---------------------------------------------------------


def test_a_child_unit_adopts_the_goal_with_its_measures_and_targets(tree, goal, directorate_leader):
    mine = services.respond(goal=goal, unit=tree["directorate"], by=directorate_leader, response="adopt")
    assert (mine.response, mine.parent, mine.root) == (Response.ADOPTED, goal, goal)
    assert [(gm.measure_id, gm.target) for gm in mine.measures.all()] == [
        (gm.measure_id, gm.target) for gm in goal.measures.all()
    ]
    assert AuditEvent.objects.filter(action="goal.adopt", actor=directorate_leader).exists()


def test_the_goal_cascades_one_level_at_a_time_down_to_teams(tree, goal):
    with pytest.raises(ValidationError, match="one level at a time"):
        ResponseFactory(goal=goal, unit=tree["team"])  # the team is two levels down
    mine = ResponseFactory(goal=goal, unit=tree["directorate"])
    team = ResponseFactory(goal=mine, unit=tree["team"])
    assert team.root == goal and team.parent == mine


def test_a_unit_of_another_branch_cannot_adopt_the_goal(tree, goal):
    with pytest.raises(ValidationError) as refused:
        ResponseFactory(goal=goal, unit=tree["other_team"])
    assert "another branch" in refused.value.message_dict["unit"][0]
    assert Goal.objects.count() == 1


def test_a_unit_answers_once_but_may_take_up_a_goal_it_declined(tree, goal):
    declined = ResponseFactory(goal=goal, unit=tree["directorate"], response="decline")
    assert declined.response == Response.DECLINED and not declined.measures.exists()
    again = ResponseFactory(goal=goal, unit=tree["directorate"])
    assert again.pk == declined.pk and again.response == Response.ADOPTED and again.measures.count() == 1
    with pytest.raises(ValidationError, match="already responded"):
        ResponseFactory(goal=goal, unit=tree["directorate"])


def test_declining_needs_a_reason_and_stops_the_cascade_beneath(tree, goal):
    with pytest.raises(ValidationError) as refused:
        services.respond(goal=goal, unit=tree["directorate"], by=None, response="decline", reason=" ")
    assert "reason" in refused.value.message_dict
    declined = ResponseFactory(goal=goal, unit=tree["directorate"], response="decline")
    with pytest.raises(ValidationError, match="declined this goal"):
        ResponseFactory(goal=declined, unit=tree["team"])


def test_an_unknown_response_is_refused(tree, goal):
    with pytest.raises(ValidationError) as refused:
        services.respond(goal=goal, unit=tree["directorate"], by=None, response="ignore")
    assert "response" in refused.value.message_dict


# --- catchball ---------------------------------------------------------------------------------------


def test_adapting_opens_catchball_with_a_proposal_and_agreement_applies_the_latest_offer(
    tree, goal, indicator, org_leader, directorate_leader
):
    mine = services.respond(goal=goal, unit=tree["directorate"], by=directorate_leader, response="adapt",
                            target=6.0, reason="Our falls are higher: halve them first")  # fmt: skip
    assert mine.response == Response.PENDING
    services.add_message(goal=mine, by=org_leader, kind="reply", text="Can you reach 5 with night checks?")
    services.add_message(goal=mine, by=org_leader, kind="counter", text="5 by March", target=5.0)
    with pytest.raises(ValidationError, match="You made the latest offer"):
        services.add_message(goal=mine, by=org_leader, kind="agreement", text="Agreed")
    services.add_message(goal=mine, by=directorate_leader, kind="agreement", text="Agreed: 5")
    mine.refresh_from_db()
    assert mine.response == Response.ADAPTED and mine.version == 2
    assert [(gm.measure_id, gm.target) for gm in mine.measures.all()] == [(indicator.pk, 5.0)]
    turns = queries.messages(org_leader, mine)
    assert [(m.kind, m.from_above, m.created_by) for m in turns] == [
        (Kind.PROPOSAL, False, directorate_leader),
        (Kind.REPLY, True, org_leader),
        (Kind.COUNTER, True, org_leader),
        (Kind.AGREEMENT, False, directorate_leader),
    ]
    with pytest.raises(ValidationError, match="no longer under discussion"):
        services.add_message(goal=mine, by=org_leader, kind="reply", text="Thanks")


def test_an_adaptation_may_use_the_units_own_measure_in_place_of_the_one_above(tree, goal, indicator):
    own = MeasureFactory(owner=tree["directorate"], code="MED-FALLS", improvement="decrease")
    mine = ResponseFactory(goal=goal, unit=tree["directorate"], response="adapt", measure=own, target=3.0)
    services.add_message(goal=mine, by=None, kind="agreement", text="Agreed")
    assert list(GoalMeasure.objects.filter(goal=mine).values_list("measure__code", "target")) == [
        ("MED-FALLS", 3.0)
    ]


def test_catchball_refuses_an_empty_why_an_unknown_kind_and_a_goal_set_here(tree, goal):
    mine = ResponseFactory(goal=goal, unit=tree["directorate"], response="adapt")
    for kind, text, field in (("reply", "", "text"), ("shout", "Hello", "kind")):
        with pytest.raises(ValidationError) as refused:
            services.add_message(goal=mine, by=None, kind=kind, text=text)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError, match="set here"):
        services.add_message(goal=goal, by=None, kind="reply", text="Hello")
    assert CatchballMessage.objects.count() == 1  # the proposal only


# --- the cascade -------------------------------------------------------------------------------------


def _cascade(tree: dict[str, Any], goal: Any, indicator: Any) -> None:
    directorate = ResponseFactory(goal=goal, unit=tree["directorate"])
    ResponseFactory(goal=directorate, unit=tree["team"], response="adapt", target=5.0)
    observe(indicator, tree["org"], STEADY)  # common cause
    observe(indicator, tree["directorate"], SHIFT_UP)  # more falls: concerning


def test_the_cascade_shows_every_level_with_its_icons_and_the_shares(tree, goal, indicator, member):
    _cascade(tree, goal, indicator)
    found = queries.cascade(member, goal)
    assert found.root.goal == goal
    [directorate] = found.root.children
    [team] = directorate.children
    assert (found.root.state, directorate.state, team.state) == ("no_signal", "concerning", "not_measuring")
    assert directorate.cells[0].variation == "concern_high"
    assert found.total == 3 and found.shares["concerning"] == 1 and found.percent("not_measuring") == 33


def test_the_cascade_counts_units_that_have_not_answered(tree, goal, indicator, member):
    found = queries.cascade(member, goal)
    assert found.root.awaiting == 1  # Medicine, directly beneath, has not answered


def test_the_cascade_of_a_goal_lower_down_shows_only_its_branch(tree, goal, indicator, member):
    _cascade(tree, goal, indicator)
    directorate = Goal.objects.get(unit=tree["directorate"])
    found = queries.cascade(member, directorate)
    assert found.root.goal == directorate and found.total == 2


def test_the_cascade_is_read_in_a_fixed_number_of_queries(
    tree, goal, indicator, member, django_assert_max_num_queries
):
    _cascade(tree, goal, indicator)
    with django_assert_max_num_queries(6):
        found = queries.cascade(member, goal)
        [c.variation for n in found.root.walk() for c in n.cells]
