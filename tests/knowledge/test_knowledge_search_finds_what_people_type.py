"""Issue 15, "search that finds what people type": on a catalogue worded as the demo's is, the queries
people typed find the right projects and measures; measures are found by name, code and description;
results page; a query nothing matches well says so rather than listing filler; and a measure a person
may not see is not found. Each test runs by words only and, when the model is installed, by words and
meaning (the search as shipped)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser

from spiral.knowledge import embeddings, search
from spiral.measurement.models import Measure
from spiral.organisations import permissions
from spiral.organisations.models import Unit, User
from spiral.projects.models import DriverNode, NodeKind
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import MeasureFactory, ProjectFactory

# (key, title, problem, drivers, change ideas): the demo's themes (spiral/demo/projects.py), in its words.
THEMES = (
    (
        "access",
        "Shorter waits for a first appointment in {team}",
        "The median wait for a first appointment is 42 days.",
        ["Fewer missed appointments", "Reminders", "Patient-initiated follow-up"],
        ["Text reminders two days before", "Group first appointments"],
    ),
    (
        "flow",
        "Earlier discharges from {team}",
        "Only 15% of discharges happen before noon, so the emergency department waits for beds while "
        "patients ready to go home wait for medicines and transport (delayed discharges).",
        ["Planning from admission", "Board rounds"],
        ["Criteria-led discharge", "Discharge lounge by 10am"],
    ),
    (
        "sepsis",
        "Timely antibiotics for sepsis in {team}",
        "Only 55% of patients with red-flag sepsis get antibiotics within an hour of recognition.",
        ["Early recognition", "NEWS2 recorded every round"],
        ["Sepsis grab bags on every ward", "Daily sepsis huddle"],
    ),
    (
        "medicines",
        "Safer medicines rounds in {team}",
        "Missed doses of critical medicines average 12 a week for our patients.",
        ["Uninterrupted rounds", "Medicines available"],
        ["Red tabards during rounds", "Missed-dose review at handover"],
    ),
    (
        "falls",
        "Fewer falls on {team}",
        "Inpatient falls have risen; most happen at night, and older patients with delirium are most at risk.",
        ["Reliable risk assessment", "Safe environment"],
        ["Bay nursing for high-risk patients", "Non-slip socks for all at-risk patients"],
    ),
    (
        "wellbeing",
        "Staff wellbeing in {team}",
        "Sickness absence runs at 6.5%, and half the team caring for patients report feeling burnt out.",
        ["Rest and recovery", "Feeling heard"],
        ["Protected break rota", "Weekly 10-minute huddle"],
    ),
)
TEAMS = ("Ward 1", "Ward 2", "Ward 3", "Ward 4", "Day unit", "Outpatients")


@pytest.fixture(params=["words", "hybrid"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "words":
        with mock.patch.object(embeddings, "available", return_value=False):
            yield "words"
    else:
        if not embeddings.available():
            pytest.skip("the embeddings model package is not installed")
        yield "hybrid"


@pytest.fixture
def catalogue(tree: dict[str, Unit]) -> dict[str, Any]:
    """Six projects of each demo theme, and the measures of the demo that the issue's queries name."""
    projects: dict[str, list[int]] = {}
    for key, title, problem, drivers, ideas in THEMES:
        for team in TEAMS:
            p = ProjectFactory(unit=tree["team"], title=title.format(team=team), problem=problem, aim="")
            for n, text in enumerate(drivers):
                DriverNode.objects.create(project=p, kind=NodeKind.SECONDARY, text=text, order=n)
            for n, text in enumerate(ideas):
                DriverNode.objects.create(project=p, kind=NodeKind.CHANGE_IDEA, text=text, order=n)
            projects.setdefault(key, []).append(p.pk)
    nation = tree["nation"]
    measures = {
        "aki": MeasureFactory(
            code="AKI-REVIEW",
            name="Acute kidney injury: alerts reviewed within 24 hours",
            description="Patients with an AKI warning stage 2 or 3 whose medicines and fluids were reviewed.",
            owner=nation,
            is_indicator=True,
        ),
        "news2": MeasureFactory(
            code="OBS-ON-TIME", name="Observations (NEWS2) on time", owner=nation, is_indicator=True
        ),
        "dna": MeasureFactory(
            code="DNA-RATE",
            name="Missed outpatient appointments",
            numerator_definition="Appointments not attended",
            owner=nation,
            is_indicator=True,
        ),
        "hygiene": MeasureFactory(
            code="HAND-HYGIENE",
            name="Hand hygiene audit compliance",
            description="Share of observed moments where staff cleaned their hands, from the monthly audit.",
            owner=tree["org"],
        ),
    }
    search.rebuild()
    return {"projects": projects, "measures": {k: m.pk for k, m in measures.items()}}


def found(user: User, query: str, **kwargs: Any) -> list[tuple[str, int]]:
    return [(h.type, h.id) for h in search.search_results(user, query, limit=100, **kwargs).hits]


def projects_of(hits: list[tuple[str, int]]) -> set[int]:
    return {pk for kind, pk in hits if kind == "project"}


@pytest.mark.parametrize("query", ["missed appointments", "DNA"])
def test_missed_appointments_find_the_text_reminder_projects(
    catalogue: dict[str, Any], member: User, mode: str, query: str
) -> None:
    hits = found(member, query)
    assert projects_of(hits) == set(catalogue["projects"]["access"]), (query, hits)
    assert ("measure", catalogue["measures"]["dna"]) in hits
    # "missed" alone (missed doses of medicines) is not a match for missed appointments
    assert not projects_of(hits) & set(catalogue["projects"]["medicines"])


def test_stranded_patients_find_the_discharge_projects_not_every_project_about_patients(
    catalogue: dict[str, Any], member: User, mode: str
) -> None:
    hits = found(member, "stranded patients")
    assert projects_of(hits) == set(catalogue["projects"]["flow"]), hits


def test_aki_and_news2_find_measures(catalogue: dict[str, Any], member: User, mode: str) -> None:
    assert found(member, "AKI")[0] == ("measure", catalogue["measures"]["aki"])
    hits = found(member, "NEWS2 deterioration")
    assert hits[0] == ("measure", catalogue["measures"]["news2"])
    # the sepsis projects record NEWS2 in their driver diagram
    assert projects_of(hits) == set(catalogue["projects"]["sepsis"])


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("hand hygiene audit", "hygiene"),  # its name
        ("HAND-HYGIENE", "hygiene"),  # its code
        ("cleaned their hands", "hygiene"),  # its description
        ("acute kidney injury", "aki"),
        ("AKI-REVIEW", "aki"),
        ("not attended", "dna"),  # its numerator's definition
    ],
)
def test_measures_are_found_by_name_code_and_description(
    catalogue: dict[str, Any], member: User, mode: str, query: str, key: str
) -> None:
    assert ("measure", catalogue["measures"][key]) in found(member, query)[:3]


def test_only_measures_when_asked_for(catalogue: dict[str, Any], member: User, mode: str) -> None:
    hits = found(member, "appointments", types=["measure"])
    assert hits == [("measure", catalogue["measures"]["dna"])]


def test_a_measure_indexed_when_defined_and_changed(tree: dict[str, Unit], member: User) -> None:
    from spiral.measurement import services

    measure = services.create_measure(code="VTE-RA", name="VTE risk assessments", owner=tree["org"], by=None)
    assert found(member, "VTE") == [("measure", measure.pk)]
    services.update_measure(measure=measure, by=None, name="Blood clot risk checks on admission")
    assert found(member, "clot risk") == [("measure", measure.pk)]


def test_results_page(catalogue: dict[str, Any], member: User, mode: str) -> None:
    first = search.search_results(member, "patients", limit=10)
    second = search.search_results(member, "patients", limit=10, offset=10)
    assert first.total == second.total > 20
    assert len(first.hits) == len(second.hits) == 10
    assert first.has_next and second.has_next
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = search.search_results(member, "patients", limit=10, offset=first.total)
    assert beyond.hits == [] and not beyond.has_next and beyond.total == first.total


def test_the_page_pages_through_results(catalogue: dict[str, Any], member: User, mode: str) -> None:
    client = client_for(member)
    one = client.get("/search/", {"q": "patients"}).content.decode()
    two = client.get("/search/", {"q": "patients", "page": "2"}).content.decode()
    assert 'class="nhsuk-pagination"' in one and "Page 2 of" in one
    assert one.count('data-type="') == 20
    assert one != two and "Previous" in two
    for page in ("999", "-1", "abc", "9" * 30):  # beyond the end or not a number: a page, never an error
        response = client.get("/search/", {"q": "patients", "page": page})
        assert response.status_code == 200
        assert 'data-type="' in response.content.decode()


def test_the_api_pages_through_results(catalogue: dict[str, Any], member: User, mode: str) -> None:
    api = client_for(None)
    one = api.get("/api/v1/search", {"q": "patients", "limit": 5}, **bearer(member)).json()
    two = api.get(
        "/api/v1/search", {"q": "patients", "limit": 5, "offset": one["next_offset"]}, **bearer(member)
    ).json()
    assert one["next_offset"] == 5 and one["total"] > 10
    assert {r["id"] for r in one["results"]}.isdisjoint({r["id"] for r in two["results"]})
    end = api.get("/api/v1/search", {"q": "patients", "offset": 1000}, **bearer(member)).json()
    assert end["results"] == [] and end["next_offset"] is None
    bad = api.get("/api/v1/search", {"q": "patients", "offset": -1}, **bearer(member))
    assert bad.status_code in (400, 422)


@pytest.mark.parametrize(
    "query", ["xyzzy plover", "quantum chromodynamics lattice", "patients quantum chromodynamics"]
)
def test_no_good_match_rather_than_filler(
    catalogue: dict[str, Any], member: User, mode: str, query: str
) -> None:
    results = search.search_results(member, query)
    if query.startswith("patients"):
        # "patients" is in most documents, the rest of the query in none, and nothing means much the
        # same: only weak matches.
        assert results.weak
    assert results.hits == [] and results.total == 0 and results.no_good_match
    html = client_for(member).get("/search/", {"q": query}).content.decode()
    assert "No good match" in html
    assert "spiral-results--weak" in html or not results.weak
    body = client_for(None).get("/api/v1/search", {"q": query}, **bearer(member)).json()
    assert body["results"] == [] and body["no_good_match"] is True


def test_a_good_match_is_not_no_good_match(catalogue: dict[str, Any], member: User, mode: str) -> None:
    results = search.search_results(member, "sepsis")
    assert results.hits and not results.no_good_match and not results.weak


def test_a_measure_the_person_may_not_see_is_not_found(
    catalogue: dict[str, Any], member: User, tree: dict[str, Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Measures are open to every signed-in person (docs/permissions.md); were they visible only within
    # the units where a person may view measures, search would follow the registry.
    assert ("measure", catalogue["measures"]["hygiene"]) in found(member, "hand hygiene")
    mine = MeasureFactory(code="WARD-HYGIENE", name="Hand hygiene on the ward", owner=tree["team"])
    hidden = MeasureFactory(code="OTHER-HYGIENE", name="Hand hygiene elsewhere", owner=tree["other_org"])
    search.index_measures([mine.pk, hidden.pk])
    rule = permissions.VisibilityRule(
        permissions.Visibility.UNIT, permissions.Permission.RECORD_DATA, path="owner__path"
    )
    monkeypatch.setitem(permissions._VISIBILITY, Measure, rule)
    hits = found(member, "hand hygiene")
    assert ("measure", hidden.pk) not in hits
    assert ("measure", mine.pk) in hits  # the member's own unit
    monkeypatch.undo()
    assert ("measure", hidden.pk) in found(member, "hand hygiene")
    anonymous = search.search_results(AnonymousUser(), "hand hygiene")
    assert anonymous.hits == [] and anonymous.weak == []


def test_the_page_shows_a_measure_with_its_code_and_link(catalogue: dict[str, Any], member: User) -> None:
    html = client_for(member).get("/search/", {"q": "AKI", "type": "measure"}).content.decode()
    pk = catalogue["measures"]["aki"]
    assert f'href="/measures/{pk}/"' in html
    assert "Indicator AKI-REVIEW" in html
