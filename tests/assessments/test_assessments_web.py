"""The Sustainability Model on a project: team members answer (patient partners too), the page and API
show answers side by side, the gaps, the charts and rounds over time; hostile input gets a clear 4xx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from spiral.assessments import queries, services
from spiral.assessments.instrument_file import check, read_file
from spiral.assessments.models import Instrument, Response
from spiral.core.errors import Duplicate
from spiral.organisations.models import Role
from tests.conftest import client_for, user_with_role
from tests.factories import ProjectFactory, TeamMemberFactory, UserFactory

SM = queries.SUSTAINABILITY_MODEL
ALL_A = {k: "a" for k in ("benefits", "credibility", "adaptability", "monitoring", "involvement", "behaviours",
                          "senior_leaders", "clinical_leaders", "fit", "infrastructure")}  # fmt: skip


@pytest.fixture
def project(tree):
    return ProjectFactory(unit=tree["team"], stage="sustaining")


@pytest.fixture
def team(project):
    lead = TeamMemberFactory(project=project, role="lead").user
    partner = TeamMemberFactory(project=project, role="patient_partner").user
    return lead, partner


def url(project):
    return f"/assessments/projects/{project.pk}/"


def instrument():
    return Instrument.objects.get(slug=SM, is_current=True)


def answer(user, project, choices, day=None):
    return services.submit_response(instrument=instrument(), project=project, choices=choices, by=user,
                                    answered_on=day)  # fmt: skip


def test_the_migration_loaded_the_model_and_reloading_the_file_changes_nothing(db):
    assert instrument().items.count() == 10 and instrument().provisional
    call_command("load_instruments")
    assert Instrument.objects.filter(slug=SM).count() == 1


def test_a_team_member_and_a_patient_partner_answer_on_the_page(project, team):
    lead, partner = team
    data = dict(ALL_A, fit="d", infrastructure="c")
    for person in team:
        response = client_for(person).post(url(project), data)
        assert response.status_code == 302, response.content[:500]
    assert Response.objects.filter(project=project).count() == 2
    page = client_for(partner).get(url(project)).content.decode()
    assert "Provisional scoring" in page and lead.display_name in page and partner.display_name in page
    assert "<svg" in page and 'role="img"' in page


def test_the_page_ranks_the_largest_gaps_first_and_flags_differences(project, team):
    lead, partner = team
    answer(lead, project, dict(ALL_A, senior_leaders="d"))
    answer(partner, project, dict(ALL_A, senior_leaders="c", fit="d"))
    from spiral.assessments import presenters

    res = presenters.results(instrument(), queries.project_responses(lead, project))
    assert res.by_gap[0].key == "senior_leaders"  # 15 max, mean (0 + 5) / 2
    row = next(r for r in res.rows if r.key == "senior_leaders")
    assert row.differs and row.mean == Decimal("2.50")
    assert res.team_total == (res.respondents[0]["total"] + res.respondents[1]["total"]) / 2


def test_someone_not_on_the_team_reads_but_may_not_answer(project, team, tree):
    lead_of_org = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    assert client_for(lead_of_org).get(url(project)).status_code == 200
    assert client_for(lead_of_org).post(url(project), ALL_A).status_code == 403
    assert not Response.objects.exists()


def test_a_superuser_not_on_the_team_is_refused_by_the_service(project):
    boss = UserFactory(is_superuser=True, is_staff=True)
    assert client_for(boss).post(url(project), ALL_A).status_code == 400
    with pytest.raises(ValidationError, match="Only members of the project's team"):
        answer(boss, project, ALL_A)


def test_an_unknown_option_or_a_missing_answer_is_a_400_naming_the_factor(project, team):
    lead, _ = team
    response = client_for(lead).post(url(project), dict(ALL_A, fit="z"))
    assert response.status_code == 400 and "Fit with the organisation" in response.content.decode()
    response = client_for(lead).post(url(project), {"benefits": "a"})
    assert response.status_code == 400 and "Choose one answer for" in response.content.decode()
    with pytest.raises(ValidationError) as caught:
        answer(lead, project, dict(ALL_A, nonsense="a", fit="z"))
    assert "nonsense" in str(caught.value) and "choose one of a, b, c, d" in str(caught.value)
    assert not Response.objects.exists()


def test_a_second_answer_the_same_day_is_a_conflict(project, team):
    lead, _ = team
    assert client_for(lead).post(url(project), ALL_A).status_code == 302
    assert client_for(lead).post(url(project), ALL_A).status_code == 409
    with pytest.raises(Duplicate):
        answer(lead, project, ALL_A)
    api = client_for(lead).post(f"/api/v1/projects/{project.pk}/assessments",
                                {"instrument": SM, "answers": ALL_A}, content_type="application/json")  # fmt: skip
    assert api.status_code == 409 and "already answered" in api.json()["detail"]


def test_the_api_answers_as_oneself_only(project, team):
    lead, partner = team
    path = f"/api/v1/projects/{project.pk}/assessments"
    body = {"instrument": SM, "answers": ALL_A, "respondent": partner.email}
    response = client_for(lead).post(path, body, content_type="application/json")
    assert response.status_code == 403 and "only for yourself" in response.json()["detail"]
    body["respondent"] = lead.email
    response = client_for(lead).post(path, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["provisional"] is True
    assert Decimal(response.json()["total"]) == Decimal("99.5")
    bad = client_for(partner).post(path, {"instrument": SM, "answers": dict(ALL_A, fit=["a"])},
                                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    unknown = client_for(partner).post(
        path, {"instrument": "nope", "answers": ALL_A}, content_type="application/json"
    )
    assert unknown.status_code == 404


def test_the_api_gives_results_side_by_side_and_over_time(project, team):
    lead, partner = team
    today = dt.date.today()
    earlier = today - dt.timedelta(days=120)
    answer(lead, project, dict(ALL_A, fit="d"), day=earlier)
    answer(lead, project, ALL_A)
    answer(partner, project, dict(ALL_A, benefits="b"))
    data = client_for(partner).get(f"/api/v1/projects/{project.pk}/assessments").json()["items"]
    # The readiness instrument (MUSIQ) is a project instrument too: pick the Sustainability Model's results.
    (sm,) = [d for d in data if d["instrument"]["slug"] == "nhs-sustainability-model"]
    assert [h["respondents"] for h in sm["rounds"]] == [1, 2]
    assert Decimal(sm["rounds"][0]["mean_total"]) == Decimal("93.00")
    assert sm["largest_gaps_first"][0] == "benefits"
    assert next(i for i in sm["items"] if i["key"] == "benefits")["opinions_differ"] is True
    slugs = {i["slug"] for i in client_for(partner).get("/api/v1/assessment-instruments").json()["items"]}
    assert "nhs-sustainability-model" in slugs


def test_a_version_with_answers_is_never_changed_in_place(project, team):
    lead, _ = team
    answer(lead, project, ALL_A)
    spec = read_file(
        next(
            p
            for p in __import__("spiral.assessments.instrument_file", fromlist=["x"]).instrument_files()
            if p.name == "nhs-sustainability-model.yaml"
        )
    )
    import dataclasses

    changed = dataclasses.replace(spec, name="Changed name")
    with pytest.raises(ValidationError, match="give the corrected file a new version"):
        services.load_instrument(changed, by=None)
    newer = dataclasses.replace(spec, version="2010-spiral-2")
    _, what = services.load_instrument(newer, by=None)
    assert what == "created" and instrument().version == "2010-spiral-2"
    assert Instrument.objects.get(version="2010-spiral-1").is_current is False


def test_a_check_only_spec_loads_without_code(db):
    from tests.assessments.test_instrument_file import GOOD

    _, what = services.load_instrument(check(GOOD), by=None)
    assert what == "created" and queries.current_instrument(UserFactory(), "tiny") is not None
