"""The audit history: who changed what, when. Written explicitly by services in their transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, help_text="A verb on a noun, e.g. unit.move")
    object_type = models.CharField(max_length=64, help_text="app_label.model, e.g. organisations.unit")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    # The unit path the change belongs to, so admins of a unit see the history of their tree.
    scope_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
