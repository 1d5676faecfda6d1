"""Holding the gain: the hand-over of a sustaining project to business as usual."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core.models import UpdatedAt, Versioned
from spiral.core.types import AnyUser
from spiral.organisations.models import Unit
from spiral.projects.models import Project, ProjectMeasure


class Handover(UpdatedAt, Versioned):
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
    handed_over_on = models.DateField(
        null=True, blank=True, help_text="The watch fixes each measure's limits on its points up to this date"
    )

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


class WatchKind(models.TextChoices):
    CONCERN = "concern", "Special cause of concern"
    ASSURANCE_FAIL = "assurance_fail", "Consistently failing the target"


class FixedFrom(models.TextChoices):
    HANDOVER = "handover", "the hand-over"
    SUSTAINING = "sustaining", "the move to sustaining"
    CLOSED = "closed", "the project's closing"
    FIRST_WATCHED = "first_watched", "the day the watch first saw it"


class WatchState(models.TextChoices):
    TOO_EARLY = "too_early", "Too early to tell"
    HOLDING = "holding", "Holding"
    AT_RISK = "at_risk", "Gain at risk"


class Watch(models.Model):
    """The watch on one measure of a sustaining or closed project (or one a hand-over names): the date its
    limits are fixed on (never moved by the watch itself), and the verdict of its last run with the data
    stamp it judged, so a run with no new data skips it."""

    link = models.OneToOneField(ProjectMeasure, on_delete=models.CASCADE, related_name="watch")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="watches")
    fixed_on = models.DateField(help_text="Limits are fixed on the points up to this date")
    fixed_from = models.CharField(max_length=16, choices=FixedFrom.choices)
    state = models.CharField(max_length=16, choices=WatchState.choices, default=WatchState.TOO_EARLY)
    points_after = models.PositiveIntegerField(default=0)
    rule = models.CharField(max_length=200, blank=True)
    first_period = models.DateField(null=True, blank=True)
    stamp = models.CharField(max_length=200, blank=True, help_text="The series' data as last judged")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "link"]

    def __str__(self) -> str:
        return f"Watch on {self.link}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)


class WatchAlert(models.Model):
    """One episode of a watched measure slipping after hand-over: raised once, until the series recovers."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="watch_alerts", null=True)
    handover = models.ForeignKey(
        Handover, on_delete=models.CASCADE, related_name="alerts", null=True, blank=True
    )
    link = models.ForeignKey(ProjectMeasure, on_delete=models.CASCADE, related_name="watch_alerts")
    kind = models.CharField(max_length=16, choices=WatchKind.choices)
    rule = models.CharField(max_length=200, help_text="The Making Data Count rule(s) that fired")
    first_period = models.DateField(help_text="The first period after hand-over that raised it")
    raised_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the series stopped signalling")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True, help_text="A known cause, an action started")

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["link"],
                condition=models.Q(closed_at__isnull=True),
                name="watch_alert_one_open_episode",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.link}"

    @property
    def permission_unit(self) -> Unit:
        return self.link.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.link.project.has_team_member(user)
