"""The demo's True North goals: every organisation has goals cascaded to its teams, most adopted, some
adapted with a catchball conversation, a few declined; the demo sign-ins see them."""

from __future__ import annotations

from django.test import Client

from spiral.organisations.models import Unit, User
from spiral.priorities import queries
from spiral.priorities.models import CatchballMessage, Goal, Kind, Response


def test_every_organisation_has_goals_cascaded_to_its_teams(demo):
    orgs = Unit.objects.filter(kind="organisation")
    set_at = Goal.objects.filter(response=Response.SET).exclude(unit__kind="nation")
    assert set(set_at.values_list("unit_id", flat=True)) == set(orgs.values_list("id", flat=True))
    teams_answering = Goal.objects.filter(unit__kind="team").values("unit_id").distinct().count()
    assert teams_answering >= 0.8 * Unit.objects.filter(kind="team").count()
    counts = {r: Goal.objects.filter(response=r).exclude(parent=None).count() for r in Response.values}
    assert counts[Response.ADOPTED] > counts[Response.ADAPTED] > counts[Response.DECLINED] > 0
    assert counts[Response.PENDING] > 0


def test_the_nations_goal_cascades_over_nearly_every_unit_and_its_cascade_page_shows_it(demo):
    national = User.objects.get(email="national@example.com")
    goal = Goal.objects.get(unit__kind="nation", response=Response.SET)
    found = queries.cascade(national, goal)
    units = Unit.objects.count()
    assert 0.8 * units <= found.root.size <= units
    assert {n.goal.unit.kind for n in found.root.walk()} == {
        "nation", "region", "icb", "organisation", "directorate", "team"}  # fmt: skip
    assert found.shares["improving"] + found.shares["concerning"] + found.shares["no_signal"] > 0
    client = Client()
    client.force_login(national)
    assert client.get(f"/priorities/goals/{goal.pk}/cascade/").status_code == 200


def test_goals_have_watch_metrics_and_breakthrough_objectives(demo):
    from spiral.priorities.models import Breakthrough, GoalMeasure

    assert GoalMeasure.objects.filter(role="watch", goal__response=Response.SET).exists()
    assert GoalMeasure.objects.filter(role="watch", goal__unit__kind="team").exists()  # carried down
    assert (
        Breakthrough.objects.filter(goal__response=Response.SET).count()
        >= Unit.objects.filter(kind="organisation").count()
    )


def test_the_goal_page_of_an_organisation_shows_its_charts_and_bowling_chart(demo):
    board = User.objects.get(email="board@example.com")
    goal = Goal.objects.filter(
        unit__organisation_type="acute_trust", category="safety", response=Response.SET
    ).first()
    client = Client()
    client.force_login(board)
    page = client.get(f"/priorities/goals/{goal.pk}/").content.decode()
    assert (
        "Bowling chart" in page
        and "Driver measures on SPC charts" in page
        and "Breakthrough objectives" in page
    )


def test_most_active_projects_serve_a_goal_and_some_goals_are_left_unserved(demo):
    from spiral.priorities.models import ServedGoal
    from spiral.projects.models import Project

    active = Project.objects.filter(status="active").count()
    assert 0.5 * active <= ServedGoal.objects.count() <= active
    board = User.objects.get(email="board@example.com")
    goal = ServedGoal.objects.select_related("goal").first().goal
    assert queries.work(board, goal)


def test_every_organisation_logs_decisions_and_some_are_due_for_review(demo):
    import datetime as dt

    from spiral.priorities.models import Decision

    assert (
        Decision.objects.values("unit_id").distinct().count()
        == Unit.objects.filter(kind="organisation").count()
    )
    assert Decision.objects.filter(review_on__lte=dt.date(2026, 1, 1)).exists()
    assert Decision.objects.filter(goals__isnull=False).exists()


def test_teams_have_ideas_in_every_state_with_patient_partner_scores(demo):
    from spiral.priorities.models import Idea, IdeaMove, IdeaScore

    assert set(Idea.objects.values_list("status", flat=True)) == {
        "new",
        "discussion",
        "testing",
        "done",
        "parked",
    }
    assert (
        IdeaScore.objects.filter(is_patient=True).exists()
        and IdeaScore.objects.filter(is_patient=False).exists()
    )
    done = Idea.objects.filter(status="done").first()
    assert list(IdeaMove.objects.filter(idea=done).values_list("to_status", flat=True)) == [
        "discussion", "testing", "done"]  # fmt: skip
    team = done.unit
    board = User.objects.get(email="board@example.com")
    client = Client()
    client.force_login(board)
    assert "PICK chart" in client.get(f"/priorities/units/{team.code}/ideas/").content.decode()


def test_adapted_goals_carry_their_catchball_and_the_agreed_target(demo):
    adapted = Goal.objects.filter(response=Response.ADAPTED).first()
    kinds = list(adapted.messages.values_list("kind", flat=True))
    assert kinds[0] == Kind.PROPOSAL and kinds[-1] == Kind.AGREEMENT
    offer = adapted.messages.filter(kind__in=[Kind.PROPOSAL, Kind.COUNTER]).last()
    assert adapted.measures.filter(measure=offer.measure, target=offer.target).exists()
    assert not CatchballMessage.objects.filter(goal__response=Response.ADOPTED).exists()


def test_the_board_sees_its_cascade_with_units_measuring(demo):
    board = User.objects.get(email="board@example.com")
    goal = Goal.objects.filter(unit__organisation_type="acute_trust", response=Response.SET).first()
    found = queries.cascade(board, goal)
    assert found.total > 5 and found.shares["not_measuring"] < found.total
    client = Client()
    client.force_login(board)
    assert client.get(f"/priorities/goals/{goal.pk}/cascade/").status_code == 200


def test_rounds_have_left_questions_answered_and_open_and_recognition_on_huddle_boards(demo):
    from markupsafe import escape

    from spiral.priorities.models import NoteKind, RoundNote

    questions = RoundNote.objects.filter(kind=NoteKind.QUESTION)
    answered = questions.filter(answered_at__isnull=False)
    assert 0.3 * questions.count() <= answered.count() <= 0.7 * questions.count()
    assert RoundNote.objects.filter(kind=NoteKind.RECOGNITION).exists()
    team = next(
        n.unit for n in answered.select_related("unit") if questions.filter(unit=n.unit, answered_at=None)
    )
    board = User.objects.get(email="board@example.com")
    shown = queries.board(board, team)
    assert shown.open_questions and any(n.answer for n in shown.notes)
    client = Client()
    client.force_login(board)
    page = client.get(f"/priorities/units/{team.code}/board/").content.decode()
    done = next(n for n in shown.notes if n.answer)
    assert escape(done.text) in page and escape(done.answer) in page
    assert escape(shown.open_questions[0].text) in page


def test_round_notes_are_left_by_a_coach_or_leader_at_or_above_the_team_and_answered_by_its_members(demo):
    from spiral.organisations.models import Membership, Role
    from spiral.priorities.models import RoundNote

    notes = list(RoundNote.objects.select_related("unit"))
    assert notes
    for note in notes:
        walkers = Membership.objects.filter(
            user_id=note.created_by_id, role__in=[Role.COACH, Role.IMPROVEMENT_LEAD, Role.LEADER],
            unit_id__in=[*note.unit.ancestor_ids(), note.unit_id],
        )  # fmt: skip
        assert walkers.exists()
        if note.answered_by_id is not None:
            assert Membership.objects.filter(user_id=note.answered_by_id, unit=note.unit).exists()


def test_the_demo_round_notes_pass_the_personal_data_screen(demo):
    from spiral.core import screening
    from spiral.priorities.models import RoundNote

    texts = set(RoundNote.objects.values_list("text", flat=True)) | set(
        RoundNote.objects.exclude(answer="").values_list("answer", flat=True)
    )
    assert texts and all(not screening.check_fields({"text": t}) for t in texts)


def test_a_cascade_too_large_to_list_shows_the_top_levels_and_links_to_the_cascades_beneath(
    demo, monkeypatch
):
    from markupsafe import escape

    national = User.objects.get(email="national@example.com")
    goal = Goal.objects.get(unit__kind="nation", response=Response.SET)
    monkeypatch.setattr(queries, "CASCADE_SHOWN", 10)  # the small demo's regions and ICBs fit in 10
    found = queries.cascade(national, goal, listed=10)
    whole = queries.cascade(national, goal)
    assert found.shown_depth == 2 and whole.shown_depth == 5
    assert (found.shares, found.total, found.awaiting) == (whole.shares, whole.total, whole.awaiting)
    assert found.root.size == whole.root.size
    assert [(n.goal.pk, n.beneath(), n.awaiting) for n in found.root.walk()] == [
        (n.goal.pk, n.beneath(), n.awaiting) for n in whole.root.walk() if n.depth <= 2
    ]
    client = Client()
    client.force_login(national)
    page = client.get(f"/priorities/goals/{goal.pk}/cascade/").content.decode()
    icb = next(n for n in found.root.walk() if n.depth == 2 and n.size > 1)
    assert not icb.children
    assert f"/priorities/goals/{icb.goal.pk}/cascade/" in page
    assert escape(f"The cascade beneath {icb.goal.unit.name}") in page
    deeper = next(n for n in whole.root.walk() if n.goal.parent_id == icb.goal.pk)
    assert f"/priorities/goals/{deeper.goal.pk}/" not in page  # listed on the ICB's own cascade
