from __future__ import annotations

from django.apps import AppConfig


class SustainabilityConfig(AppConfig):
    name = "spiral.sustainability"
    label = "sustainability"
    verbose_name = "Holding the gain"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.organisations.permissions import register_visibility
        from spiral.sustainability.models import Handover, Watch, WatchAlert

        # Who sees what (docs/permissions.md): a hand-over is open like its project; changing it is
        # changing the project (`change_project`: its team, or a leading role on its unit).
        register_visibility(Handover, "open")
        register_visibility(WatchAlert, "open")
        register_visibility(Watch, "open")

        from spiral.core import audit
        from spiral.sustainability import tasks

        # Measurement does not import this app: it is told of every audited change to a series (each
        # observation written, corrected or deleted, and each import, is audited on its series), and the
        # watch runs over the measures on them. The daily run is `spiral watch_gains`.
        audit.on_change(("measurement.Series",), tasks.series_changed)

        from spiral.organisations.extensions import register_unit_panel
        from spiral.projects.extensions import register_overview_panel
        from spiral.sustainability import presenters

        # Projects and organisations sit beneath this app: their pages show the watch through the panels
        # they offer (the project's overview: its gains at risk, with the chart, and its spread; the unit's
        # page: the gains at risk beneath it).
        register_overview_panel(presenters.project_panel)
        register_unit_panel(presenters.unit_panel)
