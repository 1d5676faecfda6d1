from __future__ import annotations

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "spiral.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge and sharing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.knowledge.models import (
            Adoption,
            Community,
            CommunityMember,
            FieldTest,
            FieldTestSite,
            Post,
            Resource,
            ResourceVersion,
            SearchDocument,
            Thread,
        )
        from spiral.organisations.permissions import register_visibility

        # Who sees what (docs/permissions.md, "Knowledge"): the whole catalogue is open to every signed-in
        # person (openness for learning).
        for model in (
            SearchDocument,
            Resource,
            ResourceVersion,
            Community,
            CommunityMember,
            Thread,
            Post,
            FieldTest,
            FieldTestSite,
            Adoption,
        ):
            register_visibility(model, "open")

        from spiral.core import audit
        from spiral.knowledge import tasks

        # Projects are written by spiral.projects, which does not import this app: it is told of every
        # audited change to what a project's search document is made of.
        audit.on_change(
            ("projects.Project", "projects.DriverNode", "projects.PdsaCycle"), tasks.projects_changed
        )
        # Measures and indicators are written by spiral.measurement, told the same way.
        audit.on_change(("measurement.Measure",), tasks.measures_changed)

        from spiral.knowledge import queries
        from spiral.projects import extensions

        # The start-a-project form shows saved projects like the one being written.
        extensions.register_work_like(queries.work_like_for_form)
