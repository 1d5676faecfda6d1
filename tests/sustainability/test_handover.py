"""The hand-over checklist of a sustaining project: what is left, who may own it, what a unit owns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.organisations.models import Role
from spiral.sustainability import services
from spiral.sustainability.models import Handover
from tests.conftest import client_for, user_with_role
from tests.factories import (
    AssessmentResponseFactory,
    HandoverFactory,
    ProjectFactory,
    ProjectMeasureFactory,
    TeamMemberFactory,
    UserFactory,
)


@pytest.fixture
def project(tree):
    return ProjectFactory(unit=tree["team"], stage="sustaining")


@pytest.fixture
def lead(project):
    return TeamMemberFactory(project=project, role="lead").user


def url(project):
    return f"/sustainability/projects/{project.pk}/handover/"


def test_a_complete_hand_over_through_the_page_is_audited_and_listed_by_the_unit(project, lead, tree):
    owner = user_with_role(Role.LEADER, tree["team"])
    link = ProjectMeasureFactory(project=project)
    review = dt.date.today() + dt.timedelta(days=90)
    response = client_for(lead).post(url(project), {
        "owner": owner.email, "measures": [link.pk], "standard_work": "https://intranet.example/falls-sop",
        "training": "Falls huddle in the induction of every new nurse", "review_on": review.isoformat(),
    })  # fmt: skip
    assert response.status_code == 302, response.content[:400]
    handover = Handover.objects.get(project=project)
    assert handover.left() == [] and handover.owner == owner
    assert AuditEvent.objects.filter(action="sustainability.handover_create").exists()
    page = client_for(UserFactory()).get(f"/sustainability/units/{tree['org'].code}/").content.decode()
    assert project.title in page and owner.display_name in page


def test_the_page_says_what_is_left(project, lead):
    HandoverFactory(project=project, training="Shown at induction")
    page = client_for(lead).get(url(project)).content.decode()
    assert "Still to do" in page and "an owner in the unit" in page and "a date to review" in page
    assert "training for new staff" not in page.split("Still to do")[1].split("</ul>")[0]


def test_the_owner_must_hold_a_role_on_the_unit(project, lead, tree):
    stranger = user_with_role(Role.LEADER, tree["other_org"])
    response = client_for(lead).post(url(project), {"owner": stranger.email})
    assert response.status_code == 400 and "holds no role on" in response.content.decode()
    api = client_for(lead).put(f"/api/v1/projects/{project.pk}/handover", {"owner": stranger.email},
                               content_type="application/json")  # fmt: skip
    assert api.status_code == 400 and "holds no role" in api.json()["detail"]
    assert not Handover.objects.exists()


def test_a_project_not_yet_sustaining_has_no_hand_over(tree, lead):
    early = ProjectFactory(unit=tree["team"], stage="testing")
    TeamMemberFactory(project=early, user=lead, role="lead")
    with pytest.raises(ValidationError, match="move it to sustaining"):
        services.save_handover(project=early, by=lead, owner=None, measure_ids=[])
    assert "starts when the project moves to sustaining" in client_for(lead).get(url(early)).content.decode()


def test_measures_of_another_project_and_personal_data_are_refused(project, lead):
    other = ProjectMeasureFactory()
    with pytest.raises(ValidationError) as caught:
        services.save_handover(project=project, by=lead, owner=None, measure_ids=[other.pk],
                               training="Call Jo on 07700 900123")  # fmt: skip
    assert set(caught.value.message_dict) == {"measures", "training"}


def test_someone_without_change_project_may_not_hand_over(project):
    outsider = UserFactory()
    assert client_for(outsider).get(url(project)).status_code == 200
    assert client_for(outsider).post(url(project), {"training": "x"}).status_code == 403
    api = client_for(outsider).put(
        f"/api/v1/projects/{project.pk}/handover", {}, content_type="application/json"
    )
    assert api.status_code == 403


def test_the_api_reads_and_writes_the_checklist(project, lead):
    path = f"/api/v1/projects/{project.pk}/handover"
    assert client_for(lead).get(path).json()["left"] == ["the whole checklist: nothing is handed over yet"]
    body = {"training": "Induction", "standard_work": "Falls SOP v3"}
    data = client_for(lead).put(path, body, content_type="application/json").json()
    assert data["left"] == ["an owner in the unit", "the measures to watch", "a date to review"]
    past = client_for(lead).put(path, {"review_on": "2000-01-01"}, content_type="application/json")
    assert past.status_code == 400


def test_the_response_factory_scores_a_level(project):
    assert AssessmentResponseFactory(project=project, level="a").total == sum(
        [8.5, 9.1, 7.0, 6.5, 11.4, 11.0, 15.0, 15.0, 6.5, 9.5]
    )
