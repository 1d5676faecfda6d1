"""Readiness and culture on the assessment engine (anonymous below the threshold), and the API for
training records and headcount."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from spiral.assessments.models import Instrument, Response
from spiral.assessments.queries import current_instrument
from spiral.assessments.services import submit_response, submit_unit_response
from spiral.capability import queries
from spiral.capability.models import Headcount, TrainingRecord
from spiral.organisations.models import Role
from tests.conftest import client_for, user_with_role
from tests.factories import ProjectFactory, TeamMemberFactory

CULTURE_ALL_AGREE = {
    k: "s4" for k in ("speak_up", "ideas_heard", "respect", "time_to_improve", "learn_mistakes", "use_data")
}


def test_the_three_instruments_are_loaded_and_marked_provisional(db):
    found = {i.slug: i for i in Instrument.objects.filter(is_current=True)}
    for slug in ("musiq-readiness", "team-culture", "nhs-impact"):
        assert found[slug].provisional
    assert found["nhs-impact"].groups.count() == 5
    assert found["musiq-readiness"].items.count() == 22


def _answer(people, unit, choices=CULTURE_ALL_AGREE, slug="team-culture"):
    instrument = current_instrument(people[0], slug)
    for p in people:
        submit_unit_response(instrument=instrument, unit=unit, choices=choices, by=p)


def test_a_survey_answered_by_fewer_than_five_shows_only_that_too_few_answered(tree, member):
    people = [user_with_role(Role.MEMBER, tree["team"]) for _ in range(4)]
    _answer(people, tree["team"])
    (round_,) = queries.survey_results(member, tree["org"], "team-culture")["rounds"]
    assert round_ == {
        "round": round_["round"],
        "too_few": True,
        "respondents": None,
        "groups": [],
        "total": None,
    }
    page = client_for(member).get(f"/capability/units/{tree['team'].code}/surveys/").content.decode()
    assert "Too few people answered" in page
    api = client_for(member).get(f"/api/v1/units/{tree['team'].code}/survey-results").json()["items"]
    culture = next(r for r in api if r["instrument"] == "team-culture")
    assert culture["rounds"][0]["too_few"] and culture["rounds"][0]["total"] is None
    book = client_for(member).get(f"/capability/units/{tree['team'].code}/export.xlsx").content
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(book))["Surveys"]
    culture_rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "team-culture"]
    assert culture_rows and all(row[4] == "fewer than 5" and row[6] in (None, "") for row in culture_rows)


def test_five_answers_show_the_means(tree, member):
    people = [user_with_role(Role.MEMBER, tree["team"]) for _ in range(5)]
    _answer(people[:4], tree["team"])
    _answer(people[4:], tree["team"], {k: "s2" for k in CULTURE_ALL_AGREE})
    (round_,) = queries.survey_results(member, tree["org"], "team-culture")["rounds"]
    assert round_["respondents"] == 5 and round_["total"] == 3.6


def test_the_threshold_is_a_setting(tree, member, settings):
    settings.SPIRAL_SURVEY_MIN_RESPONSES = 2
    _answer([user_with_role(Role.MEMBER, tree["team"]) for _ in range(2)], tree["team"])
    assert queries.survey_results(member, tree["team"], "team-culture")["rounds"][0]["respondents"] == 2


def test_only_people_with_a_role_on_the_unit_answer_its_survey_once_a_day(tree, member, outsider):
    instrument = current_instrument(member, "team-culture")
    with pytest.raises(PermissionDenied):
        submit_unit_response(instrument=instrument, unit=tree["team"], choices=CULTURE_ALL_AGREE, by=outsider)
    submit_unit_response(instrument=instrument, unit=tree["team"], choices=CULTURE_ALL_AGREE, by=member)
    with pytest.raises(ValidationError):
        submit_unit_response(instrument=instrument, unit=tree["team"], choices=CULTURE_ALL_AGREE, by=member)
    assert Response.objects.count() == 1


def test_the_survey_page_takes_answers_and_names_each_missing_one(tree, member):
    client = client_for(member)
    url = f"/capability/units/{tree['team'].code}/surveys/answer/?instrument=nhs-impact"
    empty = client.post(url, {})
    assert empty.status_code == 400 and "Choose one answer for" in empty.content.decode()
    done = client.post(url, {k: "l3" for k in ("purpose", "people", "leadership", "capability", "systems")})
    assert done.status_code == 302
    assert Response.objects.get().instrument.slug == "nhs-impact"


def test_dont_know_is_kept_but_not_scored_in_the_readiness_of_a_project(tree, member):
    project = ProjectFactory(unit=tree["team"])
    TeamMemberFactory(project=project, user=member, role="lead")
    instrument = current_instrument(member, "musiq-readiness")
    keys = list(instrument.items.values_list("key", flat=True))
    choices = {k: "s6" for k in keys} | {keys[0]: "dont_know", keys[1]: "dont_know"}
    response = submit_response(instrument=instrument, project=project, choices=choices, by=member)
    assert response.total == 6  # the two "don't know" answers would pull a mean of 6 down if scored as 0
    assert response.answers.filter(option__key="dont_know").count() == 2


def test_the_api_records_training_once_and_says_so(tree, member, leader):
    client = client_for(leader)
    body = {"person": member.email, "tier": "awareness", "completed_on": "2025-03-14", "provider": "QI team"}
    first = client.post("/api/v1/training-records", json.dumps(body), content_type="application/json")
    again = client.post("/api/v1/training-records", json.dumps(body), content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert TrainingRecord.objects.count() == 1
    listed = client.get(f"/api/v1/training-records?unit={tree['org'].code}").json()
    assert listed["count"] == 1 and listed["items"][0]["tier"] == "awareness"
    bad = client.post("/api/v1/training-records", json.dumps(body | {"tier": "wizard", "completed_on": "2025-03-15"}),
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "not a tier" in bad.content.decode()


def test_the_api_refuses_training_of_someone_else_by_a_colleague(tree, member):
    colleague = user_with_role(Role.MEMBER, tree["team"])
    body = {"person": member.email, "tier": "awareness", "completed_on": "2025-03-14", "provider": "QI team"}
    response = client_for(colleague).post(
        "/api/v1/training-records", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403 and not TrainingRecord.objects.exists()


def test_the_api_records_headcount_and_refuses_a_future_month(tree, leader):
    client = client_for(leader)
    ok = client.post("/api/v1/headcounts", json.dumps({"unit": "RAA", "period": "2025-04", "staff": 900}),
                     content_type="application/json")  # fmt: skip
    assert ok.status_code == 201 and Headcount.objects.get().staff == 900
    future = (dt.date.today() + dt.timedelta(days=70)).strftime("%Y-%m")
    bad = client.post("/api/v1/headcounts", json.dumps({"unit": "RAA", "period": future, "staff": 900}),
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    assert client.get("/api/v1/headcounts?unit=RAA").json()["items"] == [
        {"unit": "RAA", "period": "2025-04", "staff": 900}
    ]
