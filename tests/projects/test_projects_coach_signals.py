"""The coach's signals come from what happened (when cycles started, the scores given) and mean something
for the project's stage: a project holding its gain with a steady score is not stuck."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from spiral.organisations.models import Unit, User
from spiral.projects import queries
from spiral.projects.models import Project
from tests.conftest import client_for
from tests.factories import (
    ChangeIdeaFactory,
    PdsaCycleFactory,
    ProgressScoreFactory,
    ProjectFactory,
    TeamMemberFactory,
    UserFactory,
)

TODAY = dt.date(2025, 6, 15)
NO_CYCLE = "No PDSA cycle in 60 days"
UNCHANGED = "Score unchanged for 3 months"


@pytest.fixture
def coach(tree: dict[str, Unit]) -> User:
    return UserFactory(display_name="Cora Coach")


def _coached(coach: User, tree: dict[str, Unit], **kwargs: object) -> Project:
    kwargs.setdefault("start_date", TODAY - dt.timedelta(days=365))
    project = ProjectFactory(unit=tree["team"], **kwargs)
    TeamMemberFactory(project=project, user=coach, role="coach")
    return project


def _signals(coach: User, project: Project) -> list[str]:
    (row,) = [r for r in queries.coached_projects(coach, today=TODAY) if r.project.pk == project.pk]
    return row.signals


def _scores(project: Project, *scores: str) -> None:
    """Scores for the months before TODAY's, oldest first."""
    for i, score in enumerate(reversed(scores), start=1):
        month = (TODAY.replace(day=1) - dt.timedelta(days=28 * i)).replace(day=1)
        ProgressScoreFactory(project=project, month=month, score=Decimal(score))


def test_a_cycle_recorded_today_that_started_months_ago_is_not_recent(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing")
    started = TODAY - dt.timedelta(days=100)
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=project), started_on=started)  # created now
    (row,) = queries.coached_projects(coach, today=TODAY)
    assert row.last_cycle == started
    assert NO_CYCLE in row.signals


def test_a_cycle_planned_for_next_month_has_not_happened_yet(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing")
    idea = ChangeIdeaFactory(project=project)
    PdsaCycleFactory(change_idea=idea, started_on=TODAY - dt.timedelta(days=90))
    PdsaCycleFactory(change_idea=idea, planned_start=TODAY + dt.timedelta(days=20))
    (row,) = queries.coached_projects(coach, today=TODAY)
    assert row.last_cycle == TODAY - dt.timedelta(days=90)
    assert NO_CYCLE in row.signals


def test_a_cycle_that_started_last_month_is_recent(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing")
    planned_not_marked_started = TODAY - dt.timedelta(days=30)
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=project), planned_start=planned_not_marked_started)
    (row,) = queries.coached_projects(coach, today=TODAY)
    assert row.last_cycle == planned_not_marked_started
    assert NO_CYCLE not in row.signals


def test_a_project_begun_last_week_is_not_stuck_for_want_of_a_cycle(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing", start_date=TODAY - dt.timedelta(days=7))
    assert NO_CYCLE not in _signals(coach, project)


def test_a_testing_project_without_a_cycle_since_it_began_months_ago_is_stuck(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing", start_date=TODAY - dt.timedelta(days=90))
    assert NO_CYCLE in _signals(coach, project)


def test_a_sustaining_project_with_a_steady_score_and_no_cycles_is_not_flagged(coach, tree) -> None:
    project = _coached(coach, tree, stage="sustaining")
    _scores(project, "4.5", "4.5", "4.5")
    assert _signals(coach, project) == []


def test_a_testing_project_whose_score_stands_still_is_flagged(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing")
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=project), started_on=TODAY - dt.timedelta(days=10))
    _scores(project, "2.5", "2.5", "2.5")
    assert _signals(coach, project) == [UNCHANGED]


def test_a_sustaining_project_whose_score_falls_is_flagged(coach, tree) -> None:
    project = _coached(coach, tree, stage="sustaining")
    _scores(project, "4.5", "4.5", "4.0")
    assert _signals(coach, project) == ["Score fell from 4.5 to 4.0"]


def test_a_draft_gets_no_cycle_signal(coach, tree) -> None:
    project = _coached(coach, tree, stage="scoping", status="draft")
    assert NO_CYCLE not in _signals(coach, project)


def test_the_coach_page_shows_when_the_last_cycle_started(coach, tree) -> None:
    project = _coached(coach, tree, stage="testing")
    PdsaCycleFactory(change_idea=ChangeIdeaFactory(project=project), started_on=dt.date(2024, 11, 4))
    html = client_for(coach).get("/projects/coaching/").content.decode()
    assert "4 November 2024" in html
    assert NO_CYCLE in html
