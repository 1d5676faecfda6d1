"""Resources, communities of practice, field tests, spread and similar work, through services and pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.knowledge import queries, search, services
from spiral.knowledge.models import Adoption, FieldTestSite, ResourceVersion
from spiral.measurement.models import Analysis, Series
from spiral.organisations.models import Role, Unit, User
from spiral.projects.models import DriverNode, Project, ProjectMeasure, TeamMember
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import MeasureFactory, ProjectFactory, TeamMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- resources ----------------------------------------------------------------------------------------


def test_a_resource_body_is_rendered_from_markdown_and_sanitised(tree: dict[str, Unit], member: User) -> None:
    body = "## Steps\n\n1. **Plan**\n\n<script>alert(1)</script> [bad](javascript:alert(1)) <img src=x onerror=alert(2)>"
    resource = services.create_resource(
        unit=tree["org"], title="Guide", kind="guide", summary="S", body=body, by=None
    )
    html = client_for(member).get(f"/resources/{resource.pk}/").content.decode()
    assert "<h2>Steps</h2>" in html
    assert "<strong>Plan</strong>" in html
    assert "alert(1)" not in html.split('class="spiral-markdown"')[1].split("</div>")[0].replace("&lt;", "")
    assert "onerror" not in html
    assert "javascript:" not in html


def test_editing_a_resource_keeps_each_version(tree: dict[str, Unit], leader: User) -> None:
    resource = services.create_resource(unit=tree["org"], title="Old", kind="tool", summary="S", by=leader)
    client = client_for(leader)
    response = client.post(
        f"/resources/{resource.pk}/edit/",
        {
            "title": "New",
            "kind": "tool",
            "unit": "RAA",
            "summary": "S2",
            "body": "",
            "topics": "falls",
            "version": 1,
        },
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert (resource.title, resource.version) == ("New", 2)
    assert list(ResourceVersion.objects.filter(resource=resource).values_list("number", "title")) == [
        (2, "New"),
        (1, "Old"),
    ]
    assert AuditEvent.objects.filter(action="resource.update", object_id=str(resource.pk)).exists()


def test_a_stale_resource_patch_gets_409_with_the_current_record(tree: dict[str, Unit], leader: User) -> None:
    resource = services.create_resource(unit=tree["org"], title="Old", kind="tool", summary="S", by=leader)
    services.update_resource(resource=resource, by=leader, title="Newer")
    response = client_for(None).patch(
        f"/api/v1/resources/{resource.pk}", json.dumps({"title": "Mine", "version": 1}),
        content_type="application/json", **bearer(leader),
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["current"]["title"] == "Newer"


def test_the_resource_form_says_what_is_missing(tree: dict[str, Unit], leader: User) -> None:
    html = client_for(leader).post("/resources/new/", {"title": "", "unit": "NOPE"}).content.decode()
    assert "nhsuk-error-summary" in html
    assert 'href="#id_title"' in html
    assert "No unit has the code NOPE" in html


# --- communities --------------------------------------------------------------------------------------


def test_members_start_threads_and_reply_and_the_digest_shows_them(
    tree: dict[str, Unit], member: User
) -> None:
    community = services.create_community(unit=tree["org"], name="Falls network", topic="falls", by=None)
    client = client_for(member)
    client.post(f"/communities/{community.pk}/join/")
    response = client.post(
        f"/communities/{community.pk}/threads/new/", {"title": "Night staff", "body": "Tips?"}
    )
    assert response.status_code == 302
    thread = community.threads.get()
    other = UserFactory(display_name="Ola Reply")
    services.join_community(community=community, by=other)
    services.reply(thread=thread, body="Ask them to design the test", by=other)
    html = client.get(f"/communities/{community.pk}/").content.decode()
    assert "Night staff" in html
    assert "Reply by Ola Reply" in html
    assert "New member" in html
    assert "Ask them to design the test" in client.get(f"/communities/threads/{thread.pk}/").content.decode()


def test_only_members_post_in_a_community(tree: dict[str, Unit], member: User) -> None:
    community = services.create_community(unit=tree["org"], name="Sepsis", by=None)
    with pytest.raises(ValidationError, match="Join the community"):
        services.start_thread(community=community, title="Hi", body="Hello", by=member)


def test_personal_data_in_a_post_is_refused(tree: dict[str, Unit], member: User) -> None:
    community = services.create_community(unit=tree["org"], name="Sepsis", by=None)
    services.join_community(community=community, by=member)
    with pytest.raises(ValidationError, match="phone number"):
        services.start_thread(community=community, title="Hi", body="Call me on 07700 900123", by=member)


def test_joining_twice_changes_nothing_and_leaving_works(tree: dict[str, Unit], member: User) -> None:
    community = services.create_community(unit=tree["org"], name="Flow", by=None)
    services.join_community(community=community, by=member)
    services.join_community(community=community, by=member)
    assert community.members.count() == 1
    services.leave_community(community=community, by=member)
    assert not community.is_member(member)


# --- field tests --------------------------------------------------------------------------------------


def _field_test(tree: dict[str, Unit]) -> Any:
    measure = MeasureFactory(owner=tree["region"], is_indicator=True, name="Falls per 1,000 bed days")
    return services.create_field_test(
        sponsor=tree["region"], title="Bay nursing", change_idea="Bay nursing at night", measure=measure,
        starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 7, 1), by=None,
    )  # fmt: skip


def test_a_unit_signs_up_to_a_field_test_with_a_project_of_its_own(tree: dict[str, Unit]) -> None:
    test = _field_test(tree)
    nurse = user_with_role(Role.MEMBER, tree["team"])
    response = client_for(nurse).post(f"/field-tests/{test.pk}/join/", {"unit": "RAA-MED-01"})
    site = FieldTestSite.objects.get(field_test=test)
    assert response["Location"] == f"/projects/{site.project_id}/"
    project = site.project
    assert project.unit == tree["team"]
    assert DriverNode.objects.filter(
        project=project, kind="change_idea", text="Bay nursing at night"
    ).exists()
    link = ProjectMeasure.objects.get(project=project)
    assert (link.series.measure_id, link.series.unit_id, link.is_aim) == (
        test.measure_id,
        tree["team"].pk,
        True,
    )
    with pytest.raises(ValidationError, match="already a site"):
        services.join_field_test(field_test=test, unit=tree["team"], by=nurse)


def test_the_field_test_page_counts_sites_showing_improvement(tree: dict[str, Unit], leader: User) -> None:
    test = _field_test(tree)
    first = services.join_field_test(field_test=test, unit=tree["team"], by=None)
    services.join_field_test(field_test=test, unit=tree["other_team"], by=None)
    Analysis.objects.filter(series__unit=tree["team"], series__measure=test.measure).update(
        variation_icon="improvement_low"
    )
    api = client_for(None).get(f"/api/v1/field-tests/{test.pk}", **bearer(leader)).json()
    assert api["sites_improving"] == 1
    assert {s["unit"]: s["improvement_shown"] for s in api["sites"]} == {"RAA-MED-01": True, "RBB-T1": False}
    html = client_for(leader).get(f"/field-tests/{test.pk}/").content.decode()
    assert "1 of 2 sites show special-cause improvement" in html
    assert f"/projects/{first.project_id}/" in html


# --- spread -------------------------------------------------------------------------------------------


def test_adopting_a_change_starts_a_linked_project_and_the_source_shows_its_tree(
    tree: dict[str, Unit], leader: User
) -> None:
    source = ProjectFactory(unit=tree["other_team"], title="Red trays", aim="Fewer missed meals")
    idea = services.project_services.create_change_idea(project=source, title="Red trays at lunch", by=None)
    response = client_for(leader).post(
        f"/projects/{source.pk}/adopt/",
        {"unit": "RAA-MED-01", "idea": str(idea.pk), "adaptation": "At supper too"},
    )
    adoption = Adoption.objects.get()
    assert response["Location"] == f"/projects/{adoption.project_id}/"
    assert (adoption.unit, adoption.source_idea, adoption.adaptation) == (tree["team"], idea, "At supper too")
    assert DriverNode.objects.filter(project=adoption.project, text="Red trays at lunch").exists()
    assert TeamMember.objects.filter(project=adoption.project, user=leader, role="lead").exists()
    # A second generation: the adopter's project is adopted in turn.
    services.adopt(source=adoption.project, unit=tree["directorate"], by=None)
    roots = queries.spread_tree(leader, source)
    assert [(n.adoption.unit.code, [c.adoption.unit.code for c in n.children]) for n in roots] == [
        ("RAA-MED-01", ["RAA-MED"])
    ]
    html = client_for(leader).get(f"/projects/{source.pk}/spread/").content.decode()
    assert "Ward 1" in html and "London" in html and "NHS Riverside ICB" in html
    api = client_for(None).get(f"/api/v1/projects/{source.pk}/spread", **bearer(leader)).json()
    assert [(s["unit"], s["depth"]) for s in api["items"]] == [("RAA-MED-01", 1), ("RAA-MED", 2)]


def test_adopting_needs_a_role_in_the_adopting_unit(tree: dict[str, Unit], outsider: User) -> None:
    source = ProjectFactory(unit=tree["other_team"])
    response = client_for(outsider).post(f"/projects/{source.pk}/adopt/", {"unit": "RAA-MED-01"})
    assert response.status_code == 403
    assert not Adoption.objects.exists()


# --- similar work, people, coherence -------------------------------------------------------------------


def test_similar_work_lists_projects_elsewhere_and_the_people_who_did_them(
    tree: dict[str, Unit], member: User
) -> None:
    mine = ProjectFactory(unit=tree["team"], title="Reducing inpatient falls", problem="Falls at night")
    theirs = ProjectFactory(
        unit=tree["other_team"], title="Fewer falls in the community", problem="Falls at home"
    )
    ProjectFactory(
        unit=tree["other_team"], title="Car parking", problem="Not enough spaces", aim="More spaces"
    )
    expert = UserFactory(display_name="Fay Lead", email="fay@example.com")
    TeamMemberFactory(project=theirs, user=expert, role="lead")
    search.rebuild()
    html = client_for(member).get(f"/projects/{mine.pk}/similar/").content.decode()
    assert "Fewer falls in the community" in html
    assert (
        html.index("Fewer falls in the community") < html.index("Car parking")
        if "Car parking" in html
        else True
    )
    assert "Fay Lead" in html and "mailto:fay@example.com" in html
    api = client_for(None).get(f"/api/v1/projects/{mine.pk}/similar", **bearer(member)).json()
    assert api["similar"][0]["id"] == theirs.pk
    assert api["people"][0]["email"] == "fay@example.com"


def test_coherence_names_active_projects_nearby_with_the_same_outcome_measure(
    tree: dict[str, Unit], member: User
) -> None:
    measure = MeasureFactory(owner=tree["icb"], is_indicator=True)
    mine = ProjectFactory(unit=tree["team"], title="Discharge earlier", aim="Discharge before noon")
    twin = ProjectFactory(unit=tree["other_team"], title="Home by lunchtime", aim="Something else")
    for p, unit in ((mine, tree["team"]), (twin, tree["other_team"])):
        series = Series.objects.create(measure=measure, unit=unit)
        ProjectMeasure.objects.create(project=p, series=series, role="outcome", is_aim=True)
    search.rebuild()
    overlaps = queries.coherence(member, mine)
    assert [(o.project.pk, o.reason) for o in overlaps] == [(twin.pk, "the same outcome measure")]
    html = client_for(member).get(f"/projects/{mine.pk}/similar/").content.decode()
    assert "Others nearby may be doing this already" in html


def test_the_project_page_links_to_similar_work(tree: dict[str, Unit], member: User) -> None:
    project = ProjectFactory(unit=tree["team"])
    html = client_for(member).get(f"/projects/{project.pk}/").content.decode()
    assert f'href="/projects/{project.pk}/similar/"' in html


def test_the_header_search_box_searches_the_catalogue(member: User) -> None:
    html = client_for(member).get("/").content.decode()
    assert 'action="/search/"' in html


def test_indexing_ignores_projects_that_are_gone(tree: dict[str, Unit], member: User) -> None:
    project = ProjectFactory(unit=tree["team"], title="Gone soon")
    search.rebuild()
    Project.objects.filter(pk=project.pk).delete()
    assert search.search(member, "gone soon") == []
