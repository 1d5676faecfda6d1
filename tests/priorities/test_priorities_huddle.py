"""The huddle board of a team (a wall screen, A3 print), leader standard work rounds at it, and its
bounded number of queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from spiral.core.models import AuditEvent
from spiral.organisations.models import Role
from spiral.priorities import queries, services
from spiral.priorities.models import RoundNote
from spiral.voice.models import Story
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import (
    ChangeIdeaFactory,
    GoalFactory,
    PdsaCycleFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    UserFactory,
)
from tests.priorities.conftest import SHIFT_UP, observe

pytestmark = pytest.mark.django_db

MAX_BOARD_QUERIES = 16  # the board is read in a fixed number of queries, whatever the team's size


@pytest.fixture
def coach(tree):
    return user_with_role(Role.COACH, tree["directorate"])


def _idea(unit, text="A pharmacist on the morning ward round"):
    return services.add_idea(unit=unit, by=None, problem="Patients wait all day for medicines", idea=text,
                             helps="Patients going home")  # fmt: skip


def _url(unit, wall=False):
    return f"/priorities/units/{unit.code}/board/" + ("?wall=1" if wall else "")


def test_the_board_shows_ideas_by_status_this_weeks_cycles_drivers_the_next_story_and_what_to_celebrate(
    tree, member, indicator
):
    team = tree["team"]
    _idea(team, "Pharmacist on the round")
    done = _idea(team, "Discharge letters typed at the bedside")
    services.move_idea(idea=done, by=None, to="discussion", why="Huddle")
    services.move_idea(idea=done, by=None, to="testing", why="Try it")
    services.move_idea(idea=done, by=None, to="done", why="It works")
    today = timezone.localdate()
    cycle = PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=ProjectFactory(unit=team), text="Red trays"),
                             planned_start=today, planned_end=today + dt.timedelta(days=1))  # fmt: skip
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=ProjectFactory(unit=team), text="Old cycle"),
                     planned_start=today - dt.timedelta(days=60), planned_end=today - dt.timedelta(days=50))  # fmt: skip
    goal = GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)])
    services.respond(goal=services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt"),
                     unit=team, by=None, response="adopt")  # fmt: skip
    observe(indicator, team, SHIFT_UP)
    Story.objects.create(unit=team, title="Mrs A's long night", teller="patient", about="An older patient",
                         text="She waited for her medicines", consent_given_on=today)  # fmt: skip
    sustaining = ProjectFactory(unit=team, stage="sustaining", title="Fewer night falls")
    better = observe(indicator.__class__.objects.create(owner=team, code="NFALL", name="Night falls",
                                                        improvement="increase"), team, SHIFT_UP)  # fmt: skip
    ProjectMeasureFactory(project=sustaining, series=better)

    page = client_for(member).get(_url(team)).content.decode()

    assert "Pharmacist on the round" in page and "Discharge letters typed at the bedside" in page
    assert "Red trays" in page and "Old cycle" not in page
    assert indicator.name in page and "spiral-icon" in page
    assert "Mrs A&#39;s long night" in page or "Mrs A's long night" in page
    assert "Idea done" in page and "Gain held" in page and "Fewer night falls" in page
    board = queries.board(member, team)
    assert [c.pk for c in board.cycles] == [cycle.pk]
    assert board.counts["done"] == 1 and board.counts["new"] == 1


def test_a_wall_screen_refreshes_itself_in_large_type_and_the_page_prints_on_a3(tree, member):
    wall = client_for(member).get(_url(tree["team"], wall=True)).content.decode()
    plain = client_for(member).get(_url(tree["team"])).content.decode()
    # Reloaded by script with a button to stop it; by the page's refresh only without JavaScript.
    assert 'data-reload-seconds="300"' in wall and "data-reload-toggle" in wall
    assert (
        '<noscript><meta http-equiv="refresh" content="300"></noscript>' in wall
        and "spiral-huddle--wall" in wall
    )
    assert (
        'http-equiv="refresh"' not in plain
        and "data-reload" not in plain
        and "spiral-huddle--wall" not in plain
    )
    assert "spiral/huddle.css" in plain
    from pathlib import Path

    import spiral

    css = (Path(spiral.__file__).parent / "static/spiral/huddle.css").read_text()
    assert "size: A3 landscape" in css and "@media print" in css


def test_the_board_is_read_in_a_bounded_number_of_queries_whatever_its_size(tree, member, indicator):
    team = tree["team"]

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            queries.board(member, team)
        return len(captured)

    goal = GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)])
    services.respond(goal=services.respond(goal=goal, unit=tree["directorate"], by=None, response="adopt"),
                     unit=team, by=None, response="adopt")  # fmt: skip
    observe(indicator, team, SHIFT_UP)

    def add_one(n: int) -> None:
        _idea(team, f"Idea number {n}")
        services.leave_round_note(unit=team, by=None, kind="question", text=f"Question {n}?")
        PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=ProjectFactory(unit=team)),
                         planned_start=timezone.localdate())  # fmt: skip

    add_one(0)
    count()  # the person's roles are read once and kept on them (permissions.role_grants)
    small = count()
    for n in range(1, 8):
        add_one(n)
    services.set_idea_weights(unit=tree["org"], by=None, impact=60, effort=20, alignment=20, patient_share=50)
    large = count()
    assert large == small and large <= MAX_BOARD_QUERIES


def test_anonymous_visitors_sign_in_to_see_the_board(tree):
    response = client_for(None).get(_url(tree["team"]))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


# --- leader standard work rounds ---------------------------------------------------------------------------


def test_a_coach_leaves_a_question_which_the_team_sees_and_answers_with_who_and_when(tree, coach, member):
    team = tree["team"]
    left = client_for(coach).post(f"/priorities/units/{team.code}/board/rounds/",
                                  {"kind": "question", "text": "What stops the 10 o'clock discharges?"})  # fmt: skip
    assert left.status_code == 302
    note = RoundNote.objects.get()
    assert note.created_by == coach and note.is_open
    assert "What stops the 10 o&#39;clock discharges?" in client_for(member).get(_url(team)).content.decode()

    answered = client_for(member).post(f"/priorities/rounds/{note.pk}/answer/", {"answer": "Pharmacy at 11"})

    assert answered.status_code == 302
    note.refresh_from_db()
    assert note.answer == "Pharmacy at 11" and note.answered_by == member and note.answered_at is not None
    assert not note.is_open
    actions = set(AuditEvent.objects.filter(action__startswith="round.").values_list("action", flat=True))
    assert actions == {"round.note", "round.answer"}


def test_a_member_may_not_leave_notes_and_an_outsider_may_not_answer(tree, member, coach):
    team = tree["team"]
    refused = client_for(member).post(f"/priorities/units/{team.code}/board/rounds/",
                                      {"kind": "recognition", "text": "Well done"})  # fmt: skip
    assert refused.status_code == 403
    note = services.leave_round_note(unit=team, by=coach, kind="question", text="Why?")
    outsider = user_with_role(Role.MEMBER, tree["other_org"])
    assert (
        client_for(outsider).post(f"/priorities/rounds/{note.pk}/answer/", {"answer": "No"}).status_code
        == 403
    )
    assert (
        client_for(UserFactory()).post(f"/priorities/rounds/{note.pk}/answer/", {"answer": "No"}).status_code
        == 403
    )
    note.refresh_from_db()
    assert note.answer == ""


def test_a_note_with_personal_data_or_too_long_is_refused_and_nothing_is_stored(tree, coach):
    with pytest.raises(ValidationError) as refused:
        services.leave_round_note(unit=tree["team"], by=coach, kind="question",
                                  text="Ask bed 3, NHS number 943 476 5919")  # fmt: skip
    assert "text" in refused.value.message_dict
    with pytest.raises(ValidationError, match=r"2,000|2000"):
        services.leave_round_note(unit=tree["team"], by=coach, kind="recognition", text="x" * 2001)
    with pytest.raises(ValidationError, match="not a kind"):
        services.leave_round_note(unit=tree["team"], by=coach, kind="complaint", text="Hm")
    assert not RoundNote.objects.exists()


def test_the_first_answer_stands(tree, coach, member):
    note = services.leave_round_note(unit=tree["team"], by=coach, kind="question", text="Why?")
    services.answer_round_note(note=note, by=member, answer="Because")
    with pytest.raises(ValidationError, match="first answer stands"):
        services.answer_round_note(note=note, by=member, answer="Another")
    note.refresh_from_db()
    assert note.answer == "Because"


def test_a_bad_answer_on_the_page_shows_the_form_again_with_its_message(tree, coach, member):
    note = services.leave_round_note(unit=tree["team"], by=coach, kind="question", text="Why?")
    response = client_for(member).post(f"/priorities/rounds/{note.pk}/answer/", {"answer": ""})
    assert response.status_code == 200 and "Enter the team&#39;s answer" in response.content.decode()


def test_rounds_through_the_api(tree, coach, member):
    team = tree["team"]
    response = client_for(None).post(f"/api/v1/units/{team.code}/rounds", json.dumps(
        {"kind": "recognition", "text": "A great run of cycles"}), content_type="application/json", **bearer(coach))  # fmt: skip
    assert response.status_code == 201
    note_id = response.json()["id"]
    answered = client_for(None).post(f"/api/v1/rounds/{note_id}/answer", json.dumps({"answer": "Thank you"}),
                                     content_type="application/json", **bearer(member))  # fmt: skip
    assert answered.status_code == 200 and answered.json()["answered_by"] == member.display_name
    board = client_for(None).get(f"/api/v1/units/{team.code}/board", **bearer(member)).json()
    assert board["rounds"][0]["answer"] == "Thank you" and set(board["counts"]) >= {"new", "done"}
    listed = client_for(None).get(f"/api/v1/units/{team.code}/rounds", **bearer(member)).json()
    assert listed["items"][0]["id"] == note_id
