"""Holding the gain: the hand-over of a sustaining project to business as usual."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core.types import AnyUser
from spiral.organisations.models import Unit
from spiral.projects.models import Project, ProjectMeasure


class Handover(models.Model):
    """The checklist of a project moving to "sustaining": who owns it now, what to watch, what changed."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="handover")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handovers_owned",
    )
    measures = models.ManyToManyField(ProjectMeasure, blank=True, related_name="handovers")
    standard_work = models.CharField(
        max_length=500,
        blank=True,
        help_text="A link to (or the name of) the standard work or guideline changed",
    )
    training = models.TextField(
        max_length=2000, blank=True, help_text="How new staff are trained in the new way"
    )
    review_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_on", "id"]

    def __str__(self) -> str:
        return f"Hand-over of {self.project}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)

    def left(self) -> list[str]:
        """What the checklist still lacks, in the order of the checklist (empty when complete)."""
        missing = []
        if self.owner_id is None:
            missing.append("an owner in the unit")
        if self.pk is None or not self.measures.exists():
            missing.append("the measures to watch")
        if not self.standard_work:
            missing.append("the standard work or guideline changed")
        if not self.training:
            missing.append("training for new staff")
        if self.review_on is None:
            missing.append("a date to review")
        return missing
