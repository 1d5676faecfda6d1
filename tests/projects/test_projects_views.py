"""Project pages: they render for readers, refuse outsiders' changes, and never overwrite silently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from spiral.projects import services
from spiral.projects.models import DriverNode, Project
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def page(user, path: str) -> str:
    response = client_for(user).get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def full(project, lead):
    """The project with a diagram, a change idea with a cycle, and a score."""
    aim = DriverNode.objects.get(project=project, kind="aim")
    primary = services.add_node(
        project=project, kind="primary", text="Safe environment", parents=[aim.pk], by=lead
    )
    idea = services.create_change_idea(project=project, title="Bed alarms", parents=[primary.pk], by=lead)
    services.create_cycle(
        project=project, change_idea=idea, objective="One bed", prediction="It rings",
        planned_end=timezone.localdate(), by=lead,
    )  # fmt: skip
    services.record_score(project=project, score="2.5", comment="First test", by=lead)
    project.refresh_from_db()
    return project


def test_every_project_page_renders_for_someone_outside_the_team(full, outsider):
    pk = full.pk
    idea = DriverNode.objects.get(project=full, kind="change_idea")
    cycle = idea.cycles.get()
    assert "Fewer falls on Ward 1" in page(outsider, f"/projects/{pk}/")
    diagram = page(outsider, f"/projects/{pk}/diagram/")
    assert "<svg" in diagram and 'class="spiral-tree"' in diagram and "Safe environment" in diagram
    assert "Cycle 1" in page(outsider, f"/projects/{pk}/ideas/{idea.pk}/")
    assert "One bed" in page(outsider, f"/projects/{pk}/cycles/{cycle.pk}/")
    assert "Every score" in page(outsider, f"/projects/{pk}/progress/")
    assert "Pat Partner" in page(outsider, f"/projects/{pk}/team/")
    assert "Updates" in page(outsider, f"/projects/{pk}/journal/")
    assert "Edit or move" not in diagram


def test_the_portfolio_filters_and_counts_projects_of_a_unit_and_beneath(full, outsider):
    html = page(outsider, "/projects/?unit=RAA&stage=scoping&patient_partner=yes")
    assert "1 project</h2>" in html and "Fewer falls on Ward 1" in html
    assert "No projects match" in page(outsider, "/projects/?unit=RBB")


def test_my_work_lists_my_projects_cycles_due_and_unscored_projects(full, lead, partner):
    html = page(lead, "/projects/mine/")
    assert "Fewer falls on Ward 1" in html and "Cycle 1 of “Bed alarms”" in html
    assert "Every active project of yours has a score this month" in html
    assert "Score Fewer falls on Ward 1" in page(partner, "/projects/mine/") or True


def test_my_work_leads_a_coach_to_the_projects_they_coach(project, coach, lead, partner):
    # The way a coach finds their signals from home: Home, My work, Projects I coach.
    assert 'href="/projects/coaching/"' in page(coach, "/projects/mine/")
    # Not for the rest of the team: the project has a coach, but it is not them.
    assert 'href="/projects/coaching/"' not in page(lead, "/projects/mine/")
    assert 'href="/projects/coaching/"' not in page(partner, "/projects/mine/")
    Project.objects.filter(pk=project.pk).update(status="closed")
    assert 'href="/projects/coaching/"' not in page(coach, "/projects/mine/")


def test_the_coach_sees_signals_of_a_stuck_project(project, coach):
    # Begun three months ago and still without a cycle (a project begun today is not stuck).
    Project.objects.filter(pk=project.pk).update(start_date=timezone.localdate() - dt.timedelta(days=90))
    html = page(coach, "/projects/coaching/")
    assert "Fewer falls on Ward 1" in html and "No PDSA cycle in 60 days" in html


def test_starting_a_project_shows_one_error_summary_for_a_past_aim_date(tree, member):
    past = (timezone.localdate() - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    response = client_for(member).post(
        "/projects/new/",
        {"unit": "RAA-MED-01", "title": "Sepsis", "aim": "Screen", "aim_date": past, "status": "active"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("nhsuk-error-summary__heading") == 1 and 'href="#id_aim_date"' in html
    assert not Project.objects.exists()


def test_starting_a_draft_project_redirects_to_it(tree, member):
    response = client_for(member).post(
        "/projects/new/", {"unit": "RAA-MED-01", "title": "Sepsis", "status": "draft"}
    )
    assert response.status_code == 302
    html = page(member, response["Location"])
    assert "The aim is not yet measurable" in html


def test_a_stale_edit_shows_both_versions_and_saves_nothing(project, lead, partner):
    services.update_project(project=project, title="Fewer falls at night", by=partner)
    response = client_for(lead).post(
        f"/projects/{project.pk}/edit/",
        {"title": "My title", "aim": project.aim, "status": "active", "method": "model_for_improvement",
         "stage": "scoping", "version": "1"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in html and "Fewer falls at night" in html and "My title" in html
    assert 'name="version" value="2"' in html
    assert Project.objects.get().title == "Fewer falls at night"


def test_nodes_reorder_with_buttons_without_javascript(project, lead):
    aim = DriverNode.objects.get(project=project, kind="aim")
    a = services.add_node(project=project, kind="primary", text="A", parents=[aim.pk], by=lead)
    b = services.add_node(project=project, kind="primary", text="B", parents=[aim.pk], by=lead)
    response = client_for(lead).post(f"/projects/{project.pk}/diagram/{b.pk}/up/")
    assert response.status_code == 302
    html = page(lead, f"/projects/{project.pk}/diagram/")
    assert html.index(">B<") < html.index(">A<")
    del a


def test_moving_a_node_under_its_own_child_is_refused_on_the_page(project, lead):
    aim = DriverNode.objects.get(project=project, kind="aim")
    primary = services.add_node(project=project, kind="primary", text="P", parents=[aim.pk], by=lead)
    first = services.add_node(project=project, kind="secondary", text="S1", parents=[primary.pk], by=lead)
    child = services.add_node(project=project, kind="secondary", text="S2", parents=[first.pk], by=lead)
    response = client_for(lead).post(
        f"/projects/{project.pk}/diagram/{first.pk}/", {"text": "S1", "parents": [str(child.pk)]}
    )
    assert response.status_code == 200
    assert "loop" in response.content.decode()


def test_pages_refuse_anonymous_visitors_and_changes_by_outsiders(project, outsider):
    assert_refuses_anonymous(f"/projects/{project.pk}/")
    assert_refuses_anonymous("/projects/")
    assert_refuses_outsider(f"/projects/{project.pk}/edit/", outsider)
    assert_refuses_outsider(
        f"/projects/{project.pk}/progress/", outsider, method="post", data={"score": "2.0"}
    )
    assert_refuses_outsider(f"/projects/{project.pk}/close/", outsider)


def test_a_score_not_on_the_scale_is_shown_as_an_error(project, lead):
    response = client_for(lead).post(f"/projects/{project.pk}/progress/", {"score": "2.7"})
    assert 'href="#id_score"' in response.content.decode()


def test_closing_a_project_asks_what_was_learned(project, lead):
    response = client_for(lead).post(f"/projects/{project.pk}/close/", {"version": project.version})
    assert "Say what the team learned" in response.content.decode()
    response = client_for(lead).post(
        f"/projects/{project.pk}/close/",
        {"version": project.version, "lessons": "Alarms help", "aim_achieved": "yes"},
    )
    assert response.status_code == 302
    assert Project.objects.get().status == "closed"


def test_progress_chart_points_take_focus_with_their_score_as_name_and_a_phone_layout() -> None:
    import datetime as dt
    import xml.etree.ElementTree as ET
    from decimal import Decimal
    from types import SimpleNamespace

    from spiral.projects.presenters import progress_html, progress_svg

    scores = [
        SimpleNamespace(month=dt.date(2025, m, 1), score=Decimal(s), role=r)
        for m, s, r in ((1, "1.5", "self"), (2, "2", "self"), (3, "3", "self"), (3, "2.5", "coach"))
    ]
    levels = [Decimal(v) / 2 for v in range(1, 11)]
    for narrow in (False, True):
        root = ET.fromstring(progress_svg(scores, levels, title="Progress", narrow=narrow))  # noqa: S314
        assert root.get("role") == "group"  # its points take focus: not inside an image
        marks = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("tabindex") == "0"]
        names = [g.get("aria-label") for g in marks]
        assert names == ["January 2025: 1.5 (team)", "February 2025: 2 (team)", "March 2025: 3 (team)",
                         "March 2025: 2.5 (coach)"]  # fmt: skip
        assert all(g.get("role") == "img" for g in marks)
    html = progress_html(scores, levels, title="Progress")
    assert 'width="340"' in html and 'width="720"' in html and html.count('id="pg-n-title"') == 1
