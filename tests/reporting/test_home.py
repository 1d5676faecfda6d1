"""Each person's home page shows the sections of the roles they hold (spiral/reporting), and only what the
permission module lets them read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from spiral.measurement import analyses
from spiral.organisations.models import Role, Unit, User
from spiral.projects.models import PdsaCycle
from spiral.voice import services as voice
from tests.conftest import client_for, user_with_role
from tests.factories import (
    FeedbackFormFactory,
    MeasureFactory,
    MembershipFactory,
    ObservationFactory,
    ProjectFactory,
    SeriesFactory,
    TeamMemberFactory,
)


def home(user: User) -> str:
    response = client_for(user).get("/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _series_with_points(unit: Unit, name: str, values: list[float], improvement: str = "increase") -> None:
    series = SeriesFactory(measure=MeasureFactory(owner=unit, name=name, improvement=improvement))
    for i, value in enumerate(values):
        ObservationFactory(series=series, period_start=dt.date(2024 + i // 12, i % 12 + 1, 1), value=value)
    analyses.recompute([series.pk])


@pytest.fixture
def team_project(tree: dict[str, Unit]):
    # Started months ago with no PDSA cycle since: stuck, for a coach (the 60 days run from the start).
    return ProjectFactory(
        unit=tree["team"],
        title="Fewer falls at night",
        start_date=timezone.localdate() - dt.timedelta(days=90),
    )


def test_a_team_member_sees_their_projects_cycles_due_scores_to_update_and_their_teams_measures(
    tree: dict[str, Unit], member: User, team_project
) -> None:
    TeamMemberFactory(project=team_project, user=member)
    idea = team_project.nodes.create(kind="change_idea", text="Hourly rounding")
    PdsaCycle.objects.create(
        project=team_project, change_idea=idea, number=1, objective="Try rounding",
        planned_end=timezone.localdate() - dt.timedelta(days=1),
    )  # fmt: skip
    _series_with_points(tree["team"], "Falls on the ward", [5.0, 6, 5, 7, 6, 5, 6, 5, 6, 7, 5, 6])
    page = home(member)
    assert "Fewer falls at night" in page
    assert "Cycle 1 of “Hourly rounding”" in page
    assert "Score Fewer falls at night for this month" in page
    assert "Measures of Ward 1" in page and "Falls on the ward" in page
    assert "Common cause variation" in page  # the Making Data Count icon, in words
    assert "for the board" not in page and "Give feedback" not in page


def test_a_patient_partner_sees_their_projects_and_the_form_of_their_projects_unit(
    tree: dict[str, Unit], team_project
) -> None:
    partner = user_with_role(Role.PATIENT_PARTNER, tree["team"])
    TeamMemberFactory(project=team_project, user=partner, role="patient_partner")
    FeedbackFormFactory(unit=tree["org"], title="Riverside: tell us")
    ward_form = FeedbackFormFactory(unit=tree["team"], title="Ward 1: tell us about your care")
    page = home(partner)
    assert "Fewer falls at night" in page
    assert (
        f'href="/f/{ward_form.slug}/">Give feedback on Ward 1</a>' in page
    )  # its own unit's, not the trust's
    assert "Your answer is anonymous" in page
    assert 'id="team-work"' not in page


def test_a_patient_partner_whose_ward_has_no_form_is_sent_to_the_nearest_form_above(
    tree: dict[str, Unit], team_project
) -> None:
    partner = user_with_role(Role.PATIENT_PARTNER, tree["team"])
    TeamMemberFactory(project=team_project, user=partner, role="patient_partner")
    trust_form = FeedbackFormFactory(unit=tree["org"], title="Riverside: tell us")
    FeedbackFormFactory(unit=tree["other_team"], title="Not this one")
    page = home(partner)
    assert f'href="/f/{trust_form.slug}/">Give feedback on Riverside Hospitals</a>' in page


def test_a_signed_in_patient_partner_gives_feedback_screened_like_anyone_elses(
    tree: dict[str, Unit], team_project
) -> None:
    partner = user_with_role(Role.PATIENT_PARTNER, tree["team"])
    form = FeedbackFormFactory(unit=tree["team"], title="Ward 1: tell us")
    response = client_for(partner).post(
        f"/f/{form.slug}/", {"rating": "good", "better": "Ring me on 07700 900123 about the noise"}
    )
    assert response.status_code == 200
    answer = form.answers.get()
    assert answer.better == "Ring me on [redacted] about the noise" and answer.status == "review"


def test_a_coach_sees_the_signals_of_the_projects_they_coach(tree: dict[str, Unit], team_project) -> None:
    coach = user_with_role(Role.COACH, tree["org"])
    TeamMemberFactory(project=team_project, user=coach, role="coach")
    page = home(coach)
    assert "Teams I coach: signals" in page
    assert "Fewer falls at night" in page and "No PDSA cycle in" in page


def test_a_board_member_sees_the_matrix_stories_portfolio_and_concerning_signals_one_click_from_the_report(
    tree: dict[str, Unit], leader: User, team_project
) -> None:
    falls = [2.0, 2, 3, 2, 2, 3, 2, 2, 3, 2, 2, 3, 9, 9]  # fewer is better: the last two are a concern
    _series_with_points(tree["team"], "Falls with harm", falls, improvement="decrease")
    voice.create_story(
        unit=tree["org"], by=None, title="A night on the ward", teller="patient", about="an older man",
        text="The nurses listened.", consent_given_on=timezone.localdate(),
    )  # fmt: skip
    page = home(leader)
    assert 'href="/measures/units/RAA/?beneath=on">The board’s integrated performance report' in page
    assert "Summary matrix of Riverside Hospitals" in page
    assert "A night on the ward" in page and 'href="/feedback/units/RAA/stories/"' in page
    assert "1 open project in Riverside Hospitals and beneath it" in page
    assert re.search(r"Concerning signals.*Special cause variation: concern \(high\).*Falls with harm", page)
    assert "Measures of" not in page and "Teams I coach" not in page


def test_a_regional_lead_sees_the_units_beneath_side_by_side(tree: dict[str, Unit]) -> None:
    lead = user_with_role(Role.LEADER, tree["region"])
    _series_with_points(tree["team"], "Falls", [5.0, 6, 5, 7, 6, 5, 6, 5, 6, 7, 5, 6])
    page = home(lead)
    assert "The units beneath London" in page
    assert 'href="/measures/units/QAA/?beneath=on">NHS Riverside ICB</a>' in page
    assert "for the board" not in page


def test_an_analyst_sees_the_measures_and_imports(tree: dict[str, Unit]) -> None:
    analyst = user_with_role(Role.ANALYST, tree["org"])
    MeasureFactory(owner=tree["org"], name="Bed occupancy", code="BEDS")
    page = home(analyst)
    assert 'href="/measures/import/">Import measures or observations' in page
    assert "Bed occupancy" in page


def test_a_person_with_several_roles_sees_the_sections_of_each(tree: dict[str, Unit], member: User) -> None:
    MembershipFactory(user=member, unit=tree["org"], role=Role.LEADER)
    MembershipFactory(user=member, unit=tree["org"], role=Role.ANALYST)
    page = home(member)
    assert "PDSA cycles due" in page and "for the board" in page and "Measures and imports" in page


def test_the_board_section_shows_no_stories_to_a_leader_who_may_not_read_feedback(
    tree: dict[str, Unit], member: User
) -> None:
    # An analyst at the nation holds no board section; a leader always may read feedback. The stories
    # block is checked through `can`: a member of another trust made leader there sees only theirs.
    outsider = user_with_role(Role.LEADER, tree["other_org"])
    voice.create_story(
        unit=tree["org"], by=None, title="Riverside story", teller="patient", about="a carer",
        text="Kind staff.", consent_given_on=timezone.localdate(),
    )  # fmt: skip
    page = home(outsider)
    assert "Hillside Trust: for the board" in page and "Riverside story" not in page


def test_home_refuses_anonymous_visitors(db) -> None:
    response = client_for(None).get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
