"""The holding-the-gain watch: limits fixed at hand-over, one alert per episode, too early to tell,
notification by email, acknowledgement with a note."""

from __future__ import annotations

import datetime as dt

import pytest

from spiral.sustainability import tasks, watch
from spiral.sustainability.models import WatchAlert
from tests.conftest import client_for
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


def month(n: int) -> dt.date:
    return dt.date(2024 + n // 12, n % 12 + 1, 1)


@pytest.fixture
def watched(tree):
    project = ProjectFactory(unit=tree["team"], stage="sustaining")
    lead = TeamMemberFactory(project=project, role="lead").user
    series = SeriesFactory(unit=tree["team"], measure__owner=tree["team"], measure__improvement="increase")
    link = ProjectMeasureFactory(project=project, series=series)
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
    assert tasks.watch_gains.enqueue().return_value == {
        "watched": 1,
        "raised": 0,
        "closed": 0,
        "too_early": 1,
    }


def test_a_slipping_gain_raises_one_alert_per_episode_and_tells_the_team(
    watched, mailoutbox, django_capture_on_commit_callbacks
):
    handover, link, lead = watched
    add(link.series, [*STEADY, 30, 29, 31, 30, 28, 30, 29], 0)
    with django_capture_on_commit_callbacks(execute=True):
        first = watch.run()
    assert first["raised"] == 1
    again = watch.run()
    assert again["raised"] == 0  # idempotent: the same episode
    alert = WatchAlert.objects.get()
    assert alert.first_period == month(12) and alert.kind == "concern"
    assert len(mailoutbox) == 1 and lead.email in mailoutbox[0].to
    page = client_for(lead).get(f"/sustainability/projects/{handover.project.pk}/handover/").content.decode()
    assert "Gain at risk" in page
    unit_page = client_for(lead).get(f"/sustainability/units/{handover.project.unit.code}/").content.decode()
    assert "Gain at risk" in unit_page


def test_a_held_gain_raises_nothing_and_a_recovery_closes_the_episode(watched):
    handover, link, _ = watched
    add(link.series, [*STEADY, 50, 51, 49, 52, 50, 51], 0)
    assert watch.run()["raised"] == 0
    alert = WatchAlert.objects.create(
        handover=handover, link=link, kind="concern", rule="x", first_period=month(12)
    )
    assert watch.run()["closed"] == 1
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_an_alert_is_acknowledged_with_a_note_and_refused_without_one(watched):
    handover, link, lead = watched
    add(link.series, [*STEADY, 30, 29, 31, 30, 28, 30, 29], 0)
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
