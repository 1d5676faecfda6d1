from __future__ import annotations

from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "spiral.measurement"
    label = "measurement"
    verbose_name = "Measures, series and observations"

    def ready(self) -> None:
        from spiral.measurement.models import Annotation, Measure, Observation, Series
        from spiral.organisations.permissions import register_visibility

        # Who sees what (docs/permissions.md, "Measurement"): measures, series, observations and their
        # annotations are open for learning to every signed-in person.
        for model in (Measure, Series, Observation, Annotation):
            register_visibility(model, "open")

        # A unit moved to another ICB or region: the roll-ups of what its organisations observe follow.
        from spiral.measurement.services import roll_up_after_moves
        from spiral.organisations.extensions import register_units_moved

        register_units_moved(roll_up_after_moves)
