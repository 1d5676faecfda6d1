"""Linked measures: outcome, process and balancing series on the project, charted with the PDSA cycles,
the aim's measure, the coach's "no data" signal, the pages and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from spiral.core.models import AuditEvent
from spiral.measurement.models import Annotation, Series
from spiral.projects import queries, services
from spiral.projects.models import DriverNode, ProjectMeasure
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider, bearer
from tests.conftest import client_for
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def falls(tree) -> Series:
    """A monthly falls series of the project's unit, January to December 2024."""
    measure = MeasureFactory(code="WARD-FALLS", name="Falls on the ward", owner=tree["team"])
    series = SeriesFactory(measure=measure, unit=tree["team"])
    for month in range(1, 13):
        ObservationFactory(series=series, period_start=dt.date(2024, month, 1), value=10.0 - month / 4)
    return series


@pytest.fixture
def idea(project, lead) -> DriverNode:
    return services.create_change_idea(project=project, title="Bed alarms", by=lead)


def _start_cycle(project, idea, lead, day=dt.date(2024, 6, 12)):
    return services.create_cycle(
        project=project, change_idea=idea, objective="One bed", prediction="It rings", started_on=day,
        by=lead,
    )  # fmt: skip


# --- services -----------------------------------------------------------------------------------------


def test_the_first_outcome_series_linked_becomes_the_aims_measure_and_names_it(project, lead, falls):
    link = services.link_series(project=project, series=falls, role="outcome", by=lead)
    project.refresh_from_db()
    assert link.is_aim
    assert project.aim_measure == "Falls on the ward"
    assert AuditEvent.objects.filter(action="project.measure_link").count() == 1


def test_a_process_series_is_never_the_aims_measure(project, lead, falls):
    link = services.link_series(project=project, series=falls, role="process", by=lead)
    assert not link.is_aim
    with pytest.raises(ValidationError) as exc:
        services.set_aim_series(link=link, by=lead)
    assert "outcome" in str(exc.value)


def test_linking_the_same_series_twice_is_refused_and_changes_nothing(project, lead, falls):
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    with pytest.raises(ValidationError) as exc:
        services.link_series(project=project, series=falls, role="balancing", by=lead)
    assert "already linked" in exc.value.message_dict["series"][0]
    assert ProjectMeasure.objects.count() == 1


def test_an_unknown_role_is_refused(project, lead, falls):
    with pytest.raises(ValidationError) as exc:
        services.link_series(project=project, series=falls, role="vanity", by=lead)
    assert "role" in exc.value.message_dict


def test_starting_a_cycle_annotates_every_linked_chart_once(project, lead, idea, falls, tree):
    other = SeriesFactory(measure=MeasureFactory(owner=tree["team"], frequency="week"), unit=tree["team"])
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    services.link_series(project=project, series=other, role="balancing", by=lead)
    cycle = _start_cycle(project, idea, lead)
    notes = Annotation.objects.filter(kind="change").order_by("series_id")
    assert [(n.series_id, n.period_start) for n in notes] == [
        (falls.pk, dt.date(2024, 6, 1)),
        (other.pk, dt.date(2024, 6, 10)),  # the Monday of the week
    ]
    assert "PDSA cycle 1 started: Bed alarms" in notes[0].text
    assert services.annotate_cycle_start(cycle, lead) == 0  # idempotent
    assert Annotation.objects.count() == 2
    assert AuditEvent.objects.filter(action="annotation.create").count() == 2


def test_recording_the_start_of_a_planned_cycle_annotates_the_charts(project, lead, idea, falls):
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    cycle = services.create_cycle(
        project=project, change_idea=idea, objective="One bed", prediction="It rings", by=lead
    )
    assert not Annotation.objects.exists()
    services.update_cycle(cycle=cycle, started_on=dt.date(2024, 7, 3), by=lead)
    assert Annotation.objects.get().period_start == dt.date(2024, 7, 1)


def test_linking_a_series_marks_the_cycles_already_started(project, lead, idea, falls):
    _start_cycle(project, idea, lead)
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    assert Annotation.objects.filter(series=falls, kind="change").count() == 1


def test_unlinking_the_aims_measure_passes_the_aim_to_the_next_outcome(project, lead, falls, tree):
    second = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    first = services.link_series(project=project, series=falls, role="outcome", by=lead)
    services.link_series(project=project, series=second, role="outcome", by=lead)
    services.unlink_series(link=first, by=lead)
    assert ProjectMeasure.objects.get().series == second
    assert ProjectMeasure.objects.get().is_aim
    assert Series.objects.filter(pk=falls.pk).exists()  # the data stay in Measurement


def test_a_project_starts_a_series_only_for_its_own_unit(project, lead, tree):
    indicator = MeasureFactory(code="HUDDLES", owner=tree["nation"], is_indicator=True)
    link = services.create_series_for_project(project=project, measure=indicator, role="process", by=lead)
    assert link.series.unit == tree["team"] and link.series.measure == indicator
    with pytest.raises(ValidationError) as exc:
        services.create_series_for_project(
            project=project, measure=indicator, role="process", unit=tree["org"], by=lead
        )
    assert "own unit" in exc.value.message_dict["unit"][0]


def test_a_measure_that_does_not_apply_to_the_unit_gives_a_clear_error(project, lead, tree):
    theirs = MeasureFactory(code="THEIRS", owner=tree["other_org"])
    with pytest.raises(ValidationError) as exc:
        services.create_series_for_project(project=project, measure=theirs, role="outcome", by=lead)
    assert "THEIRS" in exc.value.message_dict["measure"][0]
    assert not ProjectMeasure.objects.exists()


# --- coach view ---------------------------------------------------------------------------------------


def test_the_coach_sees_no_data_for_the_outcome_measure_in_two_periods(project, lead, coach, falls):
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    signal = "No data for the outcome measure in 2 periods"
    # Data to December 2024: in February 2025 January is due, one period missing: no signal yet.
    (row,) = queries.coached_projects(coach, today=dt.date(2025, 2, 10))
    assert signal not in row.signals
    (row,) = queries.coached_projects(coach, today=dt.date(2025, 3, 10))
    assert signal in row.signals


def test_a_project_without_an_outcome_series_has_no_data_signal(project, coach):
    (row,) = queries.coached_projects(coach, today=dt.date(2025, 3, 10))
    assert not any("outcome measure" in s for s in row.signals)


def test_the_coach_page_shows_the_no_data_signal(project, lead, coach, falls):
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    html = client_for(coach).get("/projects/coaching/").content.decode()
    assert "No data for the outcome measure in 2 periods" in html


# --- pages --------------------------------------------------------------------------------------------


def test_the_project_page_charts_linked_measures_with_the_cycle_annotations(
    project, lead, idea, falls, outsider
):
    services.link_series(project=project, series=falls, role="outcome", by=lead)
    _start_cycle(project, idea, lead)
    response = client_for(outsider).get(f"/projects/{project.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "<title" in html and "<desc" in html
    assert "Aim&#39;s outcome measure: Falls on the ward, Ward 1" in html
    assert "PDSA cycle 1 started: Bed alarms" in html
    assert f'href="/measures/series/{falls.pk}/"' in html
    assert '<th scope="row" class="nhsuk-table__header">2024-06</th>' in html  # the data table


def test_the_team_links_a_series_on_the_measures_page(project, lead, falls):
    response = client_for(lead).post(
        f"/projects/{project.pk}/measures/",
        {"action": "link", "link-series": str(falls.pk), "link-role": "outcome"},
    )
    assert response.status_code == 302
    assert ProjectMeasure.objects.get().series == falls
    html = client_for(lead).get(f"/projects/{project.pk}/measures/").content.decode()
    assert "Falls on the ward" in html and "(the aim's measure)" in html


def test_the_measures_page_shows_an_error_summary_for_a_missing_choice(project, lead):
    response = client_for(lead).post(
        f"/projects/{project.pk}/measures/", {"action": "link", "link-role": "outcome"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html and "Choose a series, or give its number" in html
    assert 'href="#id_link-series"' in html


def test_the_team_starts_a_series_for_the_unit_on_the_measures_page(project, partner, tree):
    MeasureFactory(code="HUDDLES", name="Safety huddles held", owner=tree["nation"], is_indicator=True)
    response = client_for(partner).post(
        f"/projects/{project.pk}/measures/",
        {"action": "new", "new-measure": "HUDDLES", "new-role": "process"},
    )
    assert response.status_code == 302
    link = ProjectMeasure.objects.get()
    assert (link.series.unit, link.role) == (tree["team"], "process")


def test_an_outsider_may_read_the_measures_page_but_not_link(project, outsider, falls):
    html = client_for(outsider).get(f"/projects/{project.pk}/measures/").content.decode()
    assert "Link the series" not in html
    assert_refuses_outsider(
        f"/projects/{project.pk}/measures/",
        outsider,
        method="post",
        data={"action": "link", "link-series": str(falls.pk), "link-role": "outcome"},
    )
    assert not ProjectMeasure.objects.exists()


def test_the_measures_page_refuses_anonymous_visitors(project):
    assert_refuses_anonymous(f"/projects/{project.pk}/measures/")


def test_the_team_unlinks_a_series(project, lead, falls):
    link = services.link_series(project=project, series=falls, role="outcome", by=lead)
    response = client_for(lead).post(f"/projects/{project.pk}/measures/{link.pk}/remove/")
    assert response.status_code == 302
    assert not ProjectMeasure.objects.exists()


# --- API ----------------------------------------------------------------------------------------------


def _api(user, method: str, path: str, body: Any = None):
    client = Client()
    if method == "get":
        return client.get(f"/api/v1{path}", **bearer(user))
    return getattr(client, method)(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **bearer(user)
    )


def test_the_api_links_a_series_and_lists_it(project, lead, outsider, falls):
    response = _api(lead, "post", f"/projects/{project.pk}/measures", {"series": falls.pk, "role": "outcome"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] and body["measure"] == "WARD-FALLS" and body["is_aim"] is True
    listed = _api(outsider, "get", f"/projects/{project.pk}/measures").json()
    assert listed["count"] == 1 and listed["items"][0]["series"] == falls.pk


def test_the_api_starts_a_series_from_a_measure_code(project, lead, tree):
    MeasureFactory(code="HUDDLES", owner=tree["nation"], is_indicator=True)
    response = _api(
        lead,
        "post",
        f"/projects/{project.pk}/measures",
        {"measure": "HUDDLES", "unit": "RAA-MED-01", "role": "process"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == "RAA-MED-01"


def test_the_api_explains_a_bad_body_in_the_error_shape(project, lead, falls):
    for body, status in (
        ({"role": "outcome"}, 400),
        ({"series": falls.pk, "measure": "X", "role": "outcome"}, 400),
        ({"series": falls.pk, "role": "vanity"}, 422),
        ({"series": 999999, "role": "outcome"}, 404),
    ):
        response = _api(lead, "post", f"/projects/{project.pk}/measures", body)
        assert response.status_code == status, (body, response.content)
        data = response.json()
        assert data["detail"] and all(set(e) == {"field", "message"} for e in data["errors"])
    assert not ProjectMeasure.objects.exists()


def test_the_api_refuses_an_outsiders_link(project, outsider, falls):
    assert_refuses_outsider(
        f"/api/v1/projects/{project.pk}/measures",
        outsider,
        method="post",
        data={"series": falls.pk, "role": "outcome"},
    )
    assert not ProjectMeasure.objects.exists()


def test_the_api_unlinks(project, lead, falls):
    link = services.link_series(project=project, series=falls, role="outcome", by=lead)
    assert _api(lead, "delete", f"/projects/{project.pk}/measures/{link.pk}").status_code == 204
    assert not ProjectMeasure.objects.exists()


# --- demo ---------------------------------------------------------------------------------------------


def test_the_demo_links_measures_whose_data_show_the_improvement_or_not():
    from spiral.demo.builder import build_demo
    from spiral.measurement.models import Analysis
    from spiral.organisations.models import User
    from spiral.projects.models import Project

    build_demo(size="small", seed=1)
    # Every project of the projects step but its drafts (it closes projects within 40 days); the history
    # step's projects, closed a year ago or more, link no measures.
    history = Project.objects.filter(closed_on__lt=timezone.localdate() - dt.timedelta(days=180))
    assert history.exists() and not ProjectMeasure.objects.filter(project__in=history).exists()
    active = Project.objects.exclude(status="draft").exclude(pk__in=history)
    assert ProjectMeasure.objects.filter(is_aim=True).count() == active.count()
    assert set(ProjectMeasure.objects.values_list("role", flat=True)) == {"outcome", "process", "balancing"}
    aims = Analysis.objects.filter(series__project_links__is_aim=True)
    icons = set(aims.values_list("variation_icon", flat=True))
    assert "improvement_low" in icons or "improvement_high" in icons
    assert "common_cause" in icons  # not every project improves
    assert Annotation.objects.filter(text__startswith="PDSA cycle 1 started").exists()
    coach = User.objects.get(email="coach@example.com")
    signals = [s for row in queries.coached_projects(coach) for s in row.signals]
    assert "No data for the outcome measure in 2 periods" in signals, signals
    project = ProjectMeasure.objects.filter(role="process").first().project
    html = client_for(coach).get(f"/projects/{project.pk}/").content.decode()
    assert html.count('class="spiral-chart"') >= 3 and "PDSA cycle 1 started" in html


# --- permissions (docs/permissions.md, "Projects") ----------------------------------------------------


@pytest.mark.parametrize(
    "column", ["team", "leader", "improvement_lead", "admin", "member", "analyst", "coach", "no role"]
)
def test_starting_a_series_from_a_project_follows_the_permissions_table(tree, column):
    from spiral.projects.models import Project
    from tests import permtable
    from tests.factories import ProjectFactory, TeamMemberFactory
    from tests.projects.test_projects_permissions import person

    user = person(column, tree)
    project = ProjectFactory(unit=tree["team"])
    if column == "team":
        TeamMemberFactory(project=project, user=user, role="patient_partner")
    MeasureFactory(code="HUDDLES", owner=tree["nation"], is_indicator=True)
    response = _api(
        user, "post", f"/projects/{project.pk}/measures", {"measure": "HUDDLES", "role": "process"}
    )
    cell = permtable.doc_table("Projects")["link measures; start a series for the project's unit"][column]
    allowed = cell in ("yes", "beneath", "own")
    assert response.status_code == (201 if allowed else 403), response.content
    assert Series.objects.filter(measure__code="HUDDLES").exists() is allowed
    assert Project.objects.get(pk=project.pk).measures.exists() is allowed


def test_the_aims_outcome_measure_on_the_project_page_points_at_its_chart(project, lead, falls, outsider):
    link = services.link_series(project=project, series=falls, role="outcome", by=lead)
    html = client_for(outsider).get(f"/projects/{project.pk}/").content.decode()
    assert f'<a href="#measure-{link.pk}">Falls on the ward</a> (Ward 1)' in html


def test_the_project_page_links_its_unit_as_a_link_not_as_escaped_text(project, outsider):
    html = client_for(outsider).get(f"/projects/{project.pk}/").content.decode()
    assert '<a href="/units/RAA-MED-01/">Ward 1</a>' in html
    assert "&lt;a href" not in html
