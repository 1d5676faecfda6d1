"""Capability: improvement training by dosage tier, the staff in post it is a rate of (headcount), and
the readiness and culture surveys (answered on the assessment engine, spiral.assessments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core import limits
from spiral.core.models import Created
from spiral.organisations.models import Unit


class TierKind(models.TextChoices):
    IMPROVEMENT = "improvement", "Improvement science"
    LEADERSHIP = "leadership", "Leadership development"


class TrainingTier(models.Model):
    """One dose of improvement learning (docs/reference/qi.md §7): the tiers are data, not code.

    `level` orders the improvement ladder (awareness 1, practitioner 2, coach 3): "trained at tier k or
    above" counts the people whose highest improvement tier is at least k. Leadership tiers (the leaders'
    programme, board development) sit beside the ladder, not on it.
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=limits.NAME)
    kind = models.CharField(max_length=12, choices=TierKind.choices)
    level = models.PositiveSmallIntegerField()
    is_coach = models.BooleanField(default=False, help_text="Trains people to coach improvement teams")
    who = models.CharField(max_length=limits.NAME, blank=True)
    typical_dose = models.CharField(max_length=limits.NAME, blank=True)

    class Meta:
        ordering = ["kind", "level"]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(Created):
    """A person completed a course of one tier on a day. The same training recorded twice is one record."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_records"
    )
    tier = models.ForeignKey(TrainingTier, on_delete=models.PROTECT, related_name="records")
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="training_records", help_text="Where they worked then"
    )
    completed_on = models.DateField()
    provider = models.CharField(max_length=limits.NAME)
    evidence = models.TextField(blank=True, max_length=limits.SHORT_TEXT, help_text="A link or a short note")

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "tier", "completed_on"], name="training_once")
        ]
        indexes = [models.Index(fields=["unit", "completed_on"], name="training_unit_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.tier} — {self.completed_on}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Headcount(Created):
    """Staff in post in a unit in a period (the first day of a month): what dosage is a rate of."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="headcounts")
    period_start = models.DateField()
    staff = models.PositiveIntegerField()

    class Meta:
        ordering = ["unit", "-period_start"]
        constraints = [models.UniqueConstraint(fields=["unit", "period_start"], name="headcount_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start:%Y-%m}: {self.staff}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit
