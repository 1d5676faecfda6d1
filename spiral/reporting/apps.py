from __future__ import annotations

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "spiral.reporting"
    label = "reporting"
    verbose_name = "Reporting (each person's home, portfolio and board views)"

    def ready(self) -> None:
        from spiral.organisations.permissions import Permission, register_visibility
        from spiral.reporting.models import BoardPack, BoardSchedule

        # Board packs hold the story of the month: read by those who may read the unit's feedback.
        for model in (BoardPack, BoardSchedule):
            register_visibility(model, "unit", permission=Permission.VIEW_FEEDBACK, path="unit__path")
