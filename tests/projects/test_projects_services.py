"""Projects, teams, the driver diagram, PDSA cycles and scores through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from spiral.core.models import AuditEvent
from spiral.projects import services
from spiral.projects.models import DriverEdge, DriverNode, PdsaCycle, ProgressScore, Project
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def build_diagram(project: Project, by) -> dict[str, int]:
    aim = DriverNode.objects.get(project=project, kind="aim")
    mapping = services.save_driver_diagram(
        project=project,
        nodes=[
            {"id": aim.pk, "kind": "aim", "text": aim.text},
            {"id": -1, "kind": "primary", "text": "Safe environment"},
            {"id": -2, "kind": "secondary", "text": "Bed rails and alarms"},
            {"id": -3, "kind": "change_idea", "text": "Bed alarms for high-risk patients"},
        ],
        edges=[{"from": aim.pk, "to": -1}, {"from": -1, "to": -2}, {"from": -2, "to": -3}],
        by=by,
    )
    return {"aim": aim.pk, "primary": mapping[-1], "secondary": mapping[-2], "idea": mapping[-3]}


def test_a_new_project_has_its_creator_as_lead_an_aim_node_topics_and_an_audit_event(tree, lead):
    project = services.create_project(
        unit=tree["team"], title="Sepsis", aim="Screen all", topics="Sepsis, AKI", by=lead
    )
    assert project.team.get().role == "lead"
    assert project.nodes.get().kind == "aim"
    assert sorted(project.topics.values_list("name", flat=True)) == ["aki", "sepsis"]
    assert AuditEvent.objects.filter(action="project.create", object_id=str(project.pk)).exists()


def test_a_draft_may_lack_an_aim_and_says_what_is_missing(tree, lead):
    project = services.create_project(unit=tree["team"], title="Idea", by=lead)
    assert project.status == "draft"
    missing = " ".join(project.missing_aim_parts())
    assert "aim statement" in missing and "target" in missing and "date" in missing


def test_an_active_project_needs_an_aim_and_a_title(tree, lead):
    with pytest.raises(ValidationError) as exc:
        services.create_project(unit=tree["team"], title=" ", status="active", by=lead)
    assert set(exc.value.message_dict) == {"title", "aim"}
    assert not Project.objects.exists()


def test_a_new_project_refuses_an_aim_date_in_the_past(tree, lead):
    with pytest.raises(ValidationError) as exc:
        services.create_project(
            unit=tree["team"],
            title="T",
            aim="A",
            aim_date=timezone.localdate() - dt.timedelta(days=1),
            by=lead,
        )
    assert "in the past" in exc.value.message_dict["aim_date"][0]
    assert not Project.objects.exists()


def test_a_stale_version_changes_nothing(project, lead):
    services.update_project(project=project, title="Newer", version=project.version, by=lead)
    with pytest.raises(services.StaleRecord) as exc:
        services.update_project(project=project, title="Mine", version=1, by=lead)
    assert exc.value.current.title == "Newer"
    project.refresh_from_db()
    assert project.title == "Newer" and project.version == 2


def test_closing_needs_lessons_and_whether_the_aim_was_achieved_and_keeps_the_stage(project, lead):
    services.update_project(project=project, stage="sustaining", by=lead)
    with pytest.raises(ValidationError) as exc:
        services.close_project(project=project, lessons="", aim_achieved="", by=lead)
    assert set(exc.value.message_dict) == {"lessons", "aim_achieved"}
    services.close_project(project=project, lessons="Night checks work", aim_achieved="partly", by=lead)
    project.refresh_from_db()
    assert (project.status, project.stage, project.closed_on) == (
        "closed",
        "sustaining",
        timezone.localdate(),
    )
    assert AuditEvent.objects.filter(action="project.close").exists()


def test_the_team_keeps_a_lead_and_tracks_patient_partnership(project, lead, partner):
    member = project.team.get(user=partner)
    services.remove_team_member(member=member, by=lead)
    project.refresh_from_db()
    assert project.has_patient_partner is False
    with pytest.raises(ValidationError, match="at least one lead"):
        services.remove_team_member(member=project.team.get(user=lead), by=lead)


def test_a_diagram_put_maps_new_ids_and_audits(project, lead):
    ids = build_diagram(project, lead)
    assert DriverEdge.objects.filter(project=project).count() == 3
    data = services.diagram_data(project)
    assert {n["id"] for n in data["nodes"]} == set(ids.values())
    assert AuditEvent.objects.filter(action="project.diagram").count() == 1


def test_a_node_moved_under_its_own_child_is_refused_and_nothing_changes(project, lead):
    build_diagram(project, lead)
    first = services.add_node(
        project=project,
        kind="secondary",
        text="Staffing",
        parents=[DriverNode.objects.get(project=project, kind="primary").pk],
        by=lead,
    )
    child = services.add_node(
        project=project, kind="secondary", text="Night staffing", parents=[first.pk], by=lead
    )
    project.refresh_from_db()
    before = services.diagram_data(project)
    with pytest.raises(ValidationError, match="loop"):
        services.edit_node(node=first, text=first.text, parents=[child.pk], by=lead)
    project.refresh_from_db()
    assert services.diagram_data(project) == before


def test_links_must_run_from_the_aim_towards_change_ideas(project, lead):
    ids = build_diagram(project, lead)
    data = services.diagram_data(project)
    data["edges"].append({"from": ids["idea"], "to": ids["primary"]})
    with pytest.raises(ValidationError, match="cannot sit above"):
        services.save_driver_diagram(project=project, nodes=data["nodes"], edges=data["edges"], by=lead)


def test_reordering_moves_a_node_up_among_its_kind(project, lead):
    aim = DriverNode.objects.get(project=project, kind="aim")
    a = services.add_node(project=project, kind="primary", text="A", parents=[aim.pk], by=lead)
    b = services.add_node(project=project, kind="primary", text="B", parents=[aim.pk], by=lead)
    services.shift_node(node=b, direction="up", by=lead)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.order < a.order


def test_a_cycle_for_an_idea_of_another_project_is_refused(project, lead, tree):
    other = ProjectFactory(unit=tree["other_team"])
    idea = services.create_change_idea(project=other, title="Elsewhere", by=None)
    with pytest.raises(ValidationError) as exc:
        services.create_cycle(project=project, change_idea=idea, objective="Try", by=lead)
    assert "another project" in exc.value.message_dict["change_idea"][0]
    assert not PdsaCycle.objects.exists()


def test_cycles_of_an_idea_are_numbered_as_a_ramp_and_the_prediction_comes_first(project, lead):
    idea = services.create_change_idea(project=project, title="Bed alarms", by=lead)
    first = services.create_cycle(
        project=project, change_idea=idea, objective="One bed", prediction="Fewer", by=lead
    )
    second = services.create_cycle(project=project, change_idea=idea, objective="One bay", by=lead)
    assert (first.number, second.number) == (1, 2)
    assert first.predicted_at is not None
    with pytest.raises(ValidationError, match="prediction"):
        services.update_cycle(cycle=second, started_on=timezone.localdate(), by=lead)
    services.update_cycle(cycle=first, started_on=timezone.localdate(), what_happened="Alarm rang", by=lead)
    with pytest.raises(ValidationError, match="cannot change once"):
        services.update_cycle(cycle=first, prediction="Changed my mind", by=lead)


def test_a_stale_cycle_save_is_refused(project, lead):
    idea = services.create_change_idea(project=project, title="Bed alarms", by=lead)
    cycle = services.create_cycle(project=project, change_idea=idea, objective="One bed", by=lead)
    services.update_cycle(cycle=cycle, questions="Does it ring?", version=1, by=lead)
    with pytest.raises(services.StaleRecord):
        services.update_cycle(cycle=cycle, questions="Other", version=1, by=lead)


def test_a_score_not_on_the_scale_is_refused(project, lead):
    with pytest.raises(ValidationError) as exc:
        services.record_score(project=project, score="2.7", by=lead)
    assert "0.5, 1.0" in exc.value.message_dict["score"][0]
    assert not ProgressScore.objects.exists()


def test_scoring_a_month_again_replaces_the_score_and_a_coach_scores_as_coach(project, lead, coach):
    services.record_score(project=project, score=2, comment="Baseline", by=lead)
    services.record_score(project=project, score="2.5", comment="First test", by=lead)
    services.record_score(project=project, score=3, month=timezone.localdate().strftime("%Y-%m"), by=coach)
    rows = {s.role: s.score for s in ProgressScore.objects.filter(project=project)}
    assert rows == {"self": Decimal("2.5"), "coach": Decimal("3.0")}
    project.refresh_from_db()
    assert project.latest_score == Decimal("2.5")
    assert AuditEvent.objects.filter(action="project.score").count() == 3


def test_journal_files_are_checked_for_size_and_type(project, lead, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    fake = SimpleUploadedFile("notes.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="does not look like a PDF"):
        services.add_journal_entry(project=project, text="Minutes", files=[fake], by=lead)
    real = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    entry = services.add_journal_entry(project=project, text="Minutes", files=[real], by=lead)
    assert entry.attachments.get().size == len(b"%PDF-1.4 minutes")
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError, match="cannot be attached"):
        services.add_journal_entry(project=project, text="x", files=[exe], by=lead)


def test_a_person_already_on_the_team_is_not_added_twice(project, lead, partner):
    with pytest.raises(ValidationError, match="already on the team"):
        services.add_team_member(project=project, user=partner, role="member", by=lead)
    newcomer = UserFactory()
    services.add_team_member(project=project, user=newcomer, role="member", by=lead)
    assert project.team.count() == 4
