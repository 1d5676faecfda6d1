from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "spiral.projects"
    label = "projects"
    verbose_name = "Improvement projects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.organisations.permissions import register_visibility
        from spiral.projects.models import (
            Attachment,
            DriverNode,
            JournalEntry,
            PdsaCycle,
            ProgressScore,
            Project,
            ProjectMeasure,
            TeamMember,
        )

        # Who sees what (docs/permissions.md, "Projects"): projects and everything in them are open to
        # every signed-in person; sharing is the point.
        for model in (
            Project,
            TeamMember,
            DriverNode,
            PdsaCycle,
            ProgressScore,
            JournalEntry,
            Attachment,
            ProjectMeasure,
        ):
            register_visibility(model, "open")
