"""The holding-the-gain watch: every measure of a sustaining or closed project, limits fixed at hand-over
(or the move to sustaining), one alert per episode, too early to tell, owner, team and coach told in
Spiral and by email, a re-run with no new data skipped, acknowledgement with a note."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from spiral.core import audit
from spiral.core.models import Notification
from spiral.organisations.models import Role
from spiral.sustainability import tasks, watch
from spiral.sustainability.models import Watch, WatchAlert
from tests.conftest import client_for, user_with_role
from tests.factories import (
    HandoverFactory,
    ObservationFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    SeriesFactory,
    TeamMemberFactory,
)

HANDED_OVER = dt.date(2024, 12, 31)  # twelve monthly points of 2024 before it
STEADY = [50, 52, 49, 51, 50, 53, 48, 50, 51, 49, 52, 50]
SLIPPED = [30, 29, 31, 30, 28, 30, 29]


def month(n: int) -> dt.date:
    return dt.date(2024 + n // 12, n % 12 + 1, 1)


def linked(project, tree):
    series = SeriesFactory(unit=tree["team"], measure__owner=tree["team"], measure__improvement="increase")
    return ProjectMeasureFactory(project=project, series=series)


@pytest.fixture
def watched(tree):
    project = ProjectFactory(unit=tree["team"], stage="sustaining")
    lead = TeamMemberFactory(project=project, role="lead").user
    link = linked(project, tree)
    handover = HandoverFactory(project=project, handed_over_on=HANDED_OVER)
    handover.measures.set([link])
    return handover, link, lead


def add(series, values, start):
    for i, v in enumerate(values):
        ObservationFactory(series=series, period_start=month(start + i), value=v)


def test_too_few_points_since_hand_over_is_too_early_to_tell(watched):
    _handover, link, _ = watched
    add(link.series, [*STEADY, 20, 20, 20], 0)
    verdict = watch.judge(link, HANDED_OVER)
    assert verdict.state == "too_early" and "3 of 6 points" in verdict.text
    counts = tasks.watch_gains.enqueue().return_value
    assert counts["watched"] == 1 and counts["too_early"] == 1 and counts["raised"] == 0
    assert Watch.objects.get(link=link).points_after == 3


def test_a_slipping_gain_raises_one_alert_per_episode_and_tells_owner_team_and_coach(
    watched, tree, mailoutbox, django_capture_on_commit_callbacks
):
    handover, link, lead = watched
    owner = user_with_role(Role.LEADER, tree["team"])
    coach = user_with_role(Role.COACH, tree["directorate"])
    far_coach = user_with_role(Role.COACH, tree["nation"])  # a nearer unit has a coach: not told
    handover.owner = owner
    handover.save()
    add(link.series, [*STEADY, *SLIPPED], 0)
    with django_capture_on_commit_callbacks(execute=True):
        first = watch.run()
    assert first["raised"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = watch.run(force=True)
    assert again["raised"] == 0 and again["at_risk"] == 1  # idempotent: the same episode
    alert = WatchAlert.objects.get()
    assert alert.first_period == month(12) and alert.kind == "concern" and alert.project == handover.project
    assert len(mailoutbox) == 1 and set(mailoutbox[0].to) == {lead.email, owner.email, coach.email}
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {lead.pk, owner.pk, coach.pk} and far_coach.pk not in told
    assert (
        Notification.objects.filter(recipient=lead).get().url.startswith(f"/projects/{handover.project.pk}/")
    )
    page = client_for(lead).get(f"/sustainability/projects/{handover.project.pk}/handover/").content.decode()
    assert "Gain at risk" in page
    unit_page = client_for(lead).get(f"/sustainability/units/{handover.project.unit.code}/").content.decode()
    assert "Gain at risk" in unit_page


def test_a_project_coach_on_the_team_is_told_and_the_unit_coaches_are_not(watched, tree):
    handover, link, _lead = watched
    team_coach = TeamMemberFactory(project=handover.project, role="coach").user
    unit_coach = user_with_role(Role.COACH, tree["team"])
    add(link.series, [*STEADY, *SLIPPED], 0)
    watch.run()
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert team_coach.pk in told and unit_coach.pk not in told


def test_a_held_gain_raises_nothing_and_a_recovery_closes_the_episode(watched):
    handover, link, _ = watched
    add(link.series, [*STEADY, 50, 51, 49, 52, 50, 51], 0)
    assert watch.run()["raised"] == 0
    alert = WatchAlert.objects.create(
        project=handover.project,
        handover=handover,
        link=link,
        kind="concern",
        rule="x",
        first_period=month(12),
    )
    assert watch.run(force=True)["closed"] == 1
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_a_rerun_with_no_new_data_judges_nothing_and_new_data_is_judged(watched):
    _handover, link, _lead = watched
    add(link.series, [*STEADY, 50, 51, 49, 52, 50, 51], 0)
    assert watch.run()["judged"] == 1
    assert watch.run() | {} == watch.run() and watch.run()["unchanged"] == 1
    ObservationFactory(series=link.series, period_start=month(18), value=51)
    assert watch.run()["judged"] == 1


def test_every_measure_of_a_sustaining_project_is_watched_without_a_hand_over(tree):
    project = ProjectFactory(unit=tree["team"], stage="testing")
    audit.record(action="project.create", obj=project, by=None, scope_path=project.unit.path,
                 changes={"stage": [None, "testing"]})  # fmt: skip
    project.stage = "sustaining"
    project.save()
    audit.record(action="project.update", obj=project, by=None, scope_path=project.unit.path,
                 changes={"stage": ["testing", "sustaining"]})  # fmt: skip
    link = linked(project, tree)
    other = linked(ProjectFactory(unit=tree["team"], stage="testing"), tree)  # not sustaining: not watched
    counts = watch.run()
    assert counts["watched"] == 1
    found = Watch.objects.get()
    assert found.link == link and found.fixed_from == "sustaining"
    assert found.fixed_on == timezone.localdate()  # the day of the move, from the audit history
    assert not Watch.objects.filter(link=other).exists()


def test_a_closed_project_without_audit_history_fixes_its_limits_on_the_day_it_closed(tree):
    project = ProjectFactory(unit=tree["team"], status="closed", closed_on=HANDED_OVER, stage="implementing")
    link = linked(project, tree)
    add(link.series, [*STEADY, *SLIPPED], 0)
    assert watch.run()["raised"] == 1
    assert Watch.objects.get().fixed_from == "closed" and WatchAlert.objects.get().handover is None


def test_a_hand_over_date_replaces_the_date_of_the_move(watched):
    handover, link, _ = watched
    Watch.objects.create(
        link=link, project=handover.project, fixed_on=dt.date(2025, 6, 1), fixed_from="sustaining"
    )
    add(link.series, [*STEADY, *SLIPPED], 0)
    watch.run()
    assert Watch.objects.get().fixed_on == HANDED_OVER and WatchAlert.objects.count() == 1


def test_the_batch_gives_the_same_verdict_as_one_by_one(tree):
    project = ProjectFactory(unit=tree["team"], status="closed", closed_on=HANDED_OVER)
    shapes = [
        [*STEADY, *SLIPPED],
        [*STEADY, 50, 51, 49, 52, 50, 51],
        [*STEADY, 50],
        [*STEADY, 70, 71, 72, 73, 74, 75],
    ]
    links = []
    for values in shapes:
        link = linked(project, tree)
        add(link.series, values, 0)
        links.append(link)
    many = watch.judge_many([(link, HANDED_OVER) for link in links])
    assert [many[link.pk] for link in links] == [watch.judge(link, HANDED_OVER) for link in links]
    assert [many[link.pk].state for link in links] == ["at_risk", "holding", "too_early", "holding"]


def test_an_alert_is_acknowledged_with_a_note_and_refused_without_one(watched):
    handover, link, lead = watched
    add(link.series, [*STEADY, *SLIPPED], 0)
    watch.run()
    alert = WatchAlert.objects.get()
    path = f"/sustainability/projects/{handover.project.pk}/handover/"
    client_for(lead).post(path, {"acknowledge": alert.pk, "note": ""})
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    client_for(lead).post(
        path, {"acknowledge": alert.pk, "note": "Two agency nurses on nights; huddle restarted"}
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == lead and "huddle" in alert.note
    assert client_for(lead).post(path, {"acknowledge": "999999", "note": "x"}).status_code == 302
    again = client_for(lead).post(path, {"acknowledge": alert.pk, "note": "A second note"}, follow=True)
    assert "already acknowledged" in again.content.decode()
    alert.refresh_from_db()
    assert "huddle" in alert.note


def test_recording_an_observation_on_a_watched_series_runs_the_watch(
    watched, django_capture_on_commit_callbacks
):
    from spiral.measurement.services import record_observation

    handover, link, lead = watched
    add(link.series, [*STEADY, 30, 29, 31, 30, 28, 30], 0)
    with django_capture_on_commit_callbacks(execute=True):
        record_observation(series=link.series, period=month(18), value=29, by=lead)
    assert WatchAlert.objects.filter(handover=handover).count() == 1


def test_the_daily_command_runs_the_watch(watched, capsys):
    from django.core.management import call_command

    call_command("watch_gains")
    assert "Watch enqueued" in capsys.readouterr().out


def test_an_import_touching_a_watched_series_runs_the_watch(
    watched, tree, django_capture_on_commit_callbacks
):
    from spiral.measurement.imports import import_observations

    _handover, link, _lead = watched
    add(link.series, [*STEADY, 30, 29, 31, 30, 28, 30], 0)
    series = link.series
    csv = "unit_code,measure_code,period,value,numerator,denominator,note\n"
    csv += f"{series.unit.code},{series.measure.code},2025-07,29,,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        result = import_observations(csv.encode(), by=None, filename="more.csv")
    assert not result.rejected
    assert WatchAlert.objects.filter(link=link).count() == 1
