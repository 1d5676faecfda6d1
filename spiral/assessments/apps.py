from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "spiral.assessments"
    label = "assessments"
    verbose_name = "Structured assessments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.assessments.models import Answer, Instrument, Item, ItemGroup, Option, Response
        from spiral.organisations.permissions import register_visibility

        # Who sees what (docs/permissions.md, "Assessments"): instruments are reference data, open to every
        # signed-in person; responses about a project are open like the project itself (sharing is the
        # point, and the guide asks the team to compare its answers), but only its team answers.
        for model in (Instrument, ItemGroup, Item, Option, Response, Answer):
            register_visibility(model, "open")
