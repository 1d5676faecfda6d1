from __future__ import annotations

from django.apps import AppConfig


class CapabilityConfig(AppConfig):
    name = "spiral.capability"
    label = "capability"
    verbose_name = "Capability: training by dosage tier, coaching, readiness and culture"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
        from spiral.organisations.permissions import register_visibility

        # Who sees what (docs/permissions.md, "Capability"): the tiers, the training records and the
        # headcounts are open to every signed-in person, as people and their roles are, so that a leader
        # sees who was trained and who has not improved since, and brings them back. Recording training
        # needs `record_training` on a unit the person belongs to (or being that person); headcount needs
        # `record_headcount`.
        for model in (TrainingTier, TrainingRecord, Headcount):
            register_visibility(model, "open")
