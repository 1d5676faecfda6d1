"""The demo step: projects in every stage, and work for the demo sign-ins."""

from __future__ import annotations

import pytest

from spiral.demo.builder import build_demo
from spiral.projects.models import PdsaCycle, Project, TeamMember

pytestmark = pytest.mark.django_db


def test_the_small_demo_has_several_hundred_projects_in_every_stage_with_work_for_the_demo_people():
    build_demo(size="small", seed=1)
    assert Project.objects.count() >= 300
    assert set(Project.objects.values_list("stage", flat=True)) == {
        "scoping", "diagnosing", "testing", "implementing", "sustaining", "spreading",
    }  # fmt: skip
    share = Project.objects.filter(has_patient_partner=True).count() / Project.objects.count()
    assert 0.25 < share < 0.45
    assert PdsaCycle.objects.exclude(prediction="").exclude(results="").exists()
    for email in ("team@example.com", "patient@example.com", "coach@example.com"):
        assert TeamMember.objects.filter(user__email=email).exists(), email
    assert not Project.objects.filter(status="closed", lessons="").exists()
