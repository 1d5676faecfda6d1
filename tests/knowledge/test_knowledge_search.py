"""Catalogue search through the page and the API: one result per object, filters, highlighting, and no
query, however odd, makes it fail."""

from __future__ import annotations

from typing import Any

import pytest

from spiral.knowledge import search, services
from spiral.organisations.models import Unit, User
from spiral.projects.models import PdsaCycle
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import MeasureFactory, ProjectFactory, SeriesFactory, TeamMemberFactory

HOSTILE = [
    "",
    "   ",
    "the and of",
    '"',
    '"unbalanced',
    "falls NEAR sepsis",
    "NEAR(falls sepsis, 2)",
    "fall*",
    "*",
    "-falls",
    "falls -sepsis",
    "(falls OR",
    ")",
    "falls AND OR NOT",
    "title:falls",
    "^falls",
    "'; DROP TABLE knowledge_searchdocument; --",
    "1' OR '1'='1",
    "falls\\",
    "<script>alert(1)</script>",
    "a" * 1000,
    "ﬁ ünïcödé 漢字 🙂",
    "!@#$%^&*()_+{}|:<>?",
]


@pytest.fixture
def catalogue(tree: dict[str, Unit]) -> dict[str, Any]:
    falls = ProjectFactory(
        unit=tree["team"],
        title="Inpatient falls reduction",
        problem="Patients fall at night",
        aim="Halve falls",
    )
    sores = ProjectFactory(
        unit=tree["other_team"], title="Preventing pressure ulcers", problem="Heel damage", aim="No ulcers"
    )
    clinic = ProjectFactory(
        unit=tree["team"], title="Clinic letters", problem="Letters are slow", aim="Faster"
    )
    search.rebuild()
    return {"falls": falls, "sores": sores, "clinic": clinic}


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE)
def test_no_query_makes_the_search_page_or_the_api_fail(catalogue: Any, member: User, query: str) -> None:
    page = client_for(member).get("/search/", {"q": query})
    api = client_for(None).get("/api/v1/search", {"q": query[:300]}, **bearer(member))
    assert page.status_code == 200
    assert api.status_code == 200, api.content
    assert isinstance(api.json()["results"], list)


def test_an_empty_query_or_only_stop_words_finds_nothing(catalogue: Any, member: User) -> None:
    assert search.search(member, "") == []
    assert search.search(member, "the and of") == []


def test_an_empty_query_with_filters_lists_what_the_filters_keep(
    catalogue: Any, member: User, tree: Any
) -> None:
    hits = search.search(member, "", filters=search.Filters(unit=tree["other_team"]))
    assert [h.id for h in hits] == [catalogue["sores"].pk]


def test_synonyms_find_the_project_in_other_words(catalogue: Any, member: User) -> None:
    assert search.search(member, "bed sores")[0].id == catalogue["sores"].pk


def test_case_plurals_and_misspellings_find_the_same_project(catalogue: Any, member: User) -> None:
    for query in ("FALLS", "fall", "Inpatient Falls", "inpatiant falls"):
        assert search.search(member, query)[0].id == catalogue["falls"].pk, query


def test_the_page_highlights_the_matched_words(catalogue: Any, member: User) -> None:
    html = client_for(member).get("/search/", {"q": "falls"}).content.decode()
    assert "Inpatient <mark>falls</mark> reduction" in html
    assert "nhsuk-tag--green" not in html


def test_what_the_index_matched_by_its_stem_is_highlighted(member: User, tree: dict[str, Unit]) -> None:
    # FTS5's porter stems both 'hopeful' and 'hope' to 'hope' (too far apart for spelling correction).
    ProjectFactory(unit=tree["team"], title="Hope and recovery groups", aim="x")
    search.rebuild()
    html = client_for(member).get("/search/", {"q": "hopeful"}).content.decode()
    assert "<mark>Hope</mark> and recovery groups" in html


def test_highlighting_escapes_what_it_shows(member: User, tree: dict[str, Unit]) -> None:
    ProjectFactory(unit=tree["team"], title="Falls <b>bold</b> & more", aim="x")
    search.rebuild()
    html = client_for(member).get("/search/", {"q": "falls"}).content.decode()
    assert "<mark>Falls</mark> &lt;b&gt;bold&lt;/b&gt; &amp; more" in html


def test_text_of_cycles_and_lessons_makes_the_project_match_once(
    catalogue: Any, member: User, tree: dict[str, Unit]
) -> None:
    clinic = catalogue["clinic"]
    idea = services.project_services.create_change_idea(project=clinic, title="Dictation software", by=None)
    PdsaCycle.objects.create(
        project=clinic, change_idea=idea, number=1, objective="Try it", learning="Voice recognition helped"
    )
    clinic.lessons = "Typists freed up"
    clinic.save()
    search.refresh_stale(force=True)
    for query in ("dictation", "voice recognition", "typists"):
        hits = search.search(member, query)
        assert [(h.type, h.id) for h in hits] == [("project", clinic.pk)], query


def test_a_change_idea_is_a_result_only_when_asked_for(catalogue: Any, member: User) -> None:
    idea = services.project_services.create_change_idea(
        project=catalogue["clinic"], title="Dictation software", by=None
    )
    search.index_projects([catalogue["clinic"].pk])
    assert {h.type for h in search.search(member, "dictation")} == {"project"}
    hits = search.search(member, "dictation", types=["change_idea"])
    assert [(h.type, h.id) for h in hits] == [("change_idea", idea.pk)]


def test_the_api_answers_results_in_the_agreed_shape(catalogue: Any, member: User) -> None:
    response = client_for(None).get("/api/v1/search", {"q": "falls", "limit": 1}, **bearer(member))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["results", "total", "offset", "limit", "next_offset", "no_good_match", "weak"]
    assert len(body["results"]) == 1
    result = body["results"][0]
    assert result["type"] == "project"
    assert result["id"] == catalogue["falls"].pk
    assert result["unit"] == "RAA-MED-01"
    assert result["score"] > 0
    assert result["stage"] == "scoping"
    assert result["progress"] is None
    assert result["improvement_shown"] is False


def test_the_api_filters_by_unit_and_beneath(catalogue: Any, member: User) -> None:
    response = client_for(None).get("/api/v1/search", {"q": "falls ulcers", "unit": "RBB"}, **bearer(member))
    assert [r["id"] for r in response.json()["results"]] == [catalogue["sores"].pk]


def test_the_api_says_which_unit_code_is_unknown(catalogue: Any, member: User) -> None:
    response = client_for(None).get("/api/v1/search", {"q": "falls", "unit": "NOPE"}, **bearer(member))
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


def test_filters_by_patient_partners_organisation_type_and_stage(catalogue: Any, member: User) -> None:
    TeamMemberFactory(project=catalogue["sores"], role="patient_partner")
    catalogue["sores"].has_patient_partner = True
    catalogue["sores"].stage = "testing"
    catalogue["sores"].save()
    query = "falls ulcers"
    assert [h.id for h in search.search(member, query, filters=search.Filters(patient_partner=True))] == [
        catalogue["sores"].pk
    ]
    by_type = search.search(member, query, filters=search.Filters(organisation_type="acute_trust"))
    assert [h.id for h in by_type] == [catalogue["falls"].pk]
    assert [h.id for h in search.search(member, query, filters=search.Filters(stage="testing"))] == [
        catalogue["sores"].pk
    ]


def test_improvement_shown_means_the_outcome_series_shows_special_cause_improvement(
    catalogue: Any, member: User, tree: dict[str, Unit]
) -> None:
    from spiral.measurement.models import Analysis
    from spiral.projects.models import ProjectMeasure

    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    Analysis.objects.create(series=series, variation_icon="improvement_low")
    ProjectMeasure.objects.create(project=catalogue["falls"], series=series, role="outcome", is_aim=True)
    hits = search.search(member, "falls ulcers", filters=search.Filters(improvement_shown=True))
    assert [(h.id, h.improvement_shown) for h in hits] == [(catalogue["falls"].pk, True)]
    html = client_for(member).get("/search/", {"q": "falls"}).content.decode()
    assert "nhsuk-tag--green" in html


def test_a_changed_project_is_found_by_its_new_words(catalogue: Any, member: User) -> None:
    project = catalogue["clinic"]
    project.title = "Hospital at home"
    project.save()
    search.refresh_stale(force=True)
    assert [h.id for h in search.search(member, "hospital at home")][:1] == [project.pk]


def test_resources_and_communities_are_found_too(tree: dict[str, Unit], member: User) -> None:
    resource = services.create_resource(
        unit=tree["org"],
        title="Sepsis grab bag checklist",
        kind="tool",
        summary="What goes in the bag",
        by=None,
    )
    community = services.create_community(
        unit=tree["org"], name="Sepsis network", description="Sepsis leads sharing", by=None
    )
    found = {(h.type, h.id) for h in search.search(member, "sepsis")}
    assert found == {("resource", resource.pk), ("community", community.pk)}


def test_without_the_model_search_still_finds_words_and_synonyms(
    catalogue: Any, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPIRAL_EMBEDDINGS", "off")
    assert search.search(member, "bed sores")[0].id == catalogue["sores"].pk
    assert search.search(member, "falls")[0].id == catalogue["falls"].pk


pytestmark = pytest.mark.django_db
