"""Structured assessments: instruments (loaded from files) and the responses people give to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core import limits
from spiral.core.models import CreatedAt
from spiral.organisations.models import Unit


class AppliesTo(models.TextChoices):
    PROJECT = "project", "A project"
    TEAM = "team", "A team"
    UNIT = "unit", "A unit"


class ScoringRule(models.TextChoices):
    SUM = "sum", "Sum of the chosen scores"
    WEIGHTED_SUM = "weighted_sum", "Weighted sum"
    GROUP_MEAN = "group_mean", "Mean per group"


class Instrument(models.Model):
    """One version of an assessment instrument, as loaded from its file (spiral/assessments/instruments/)."""

    slug = models.SlugField(max_length=80)
    version = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    source = models.TextField(max_length=limits.TEXT)
    licence = models.CharField(max_length=200)
    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    scoring = models.CharField(max_length=16, choices=ScoringRule.choices)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    interpretation = models.JSONField(
        default=list, blank=True
    )  # [{"at_least", "text", "verified"}], highest first
    provisional = models.BooleanField(
        default=False, help_text="Some number in it is not verified from a source"
    )
    is_current = models.BooleanField(default=True, help_text="The version new responses use")
    content_hash = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug", "-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="instrument_slug_version")]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class ItemGroup(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="groups")
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["instrument", "position"]
        constraints = [models.UniqueConstraint(fields=["instrument", "key"], name="item_group_key")]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    group = models.ForeignKey(ItemGroup, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    help = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    prompts = models.JSONField(default=list, blank=True)  # prompts for action when the item scores low
    weight = models.DecimalField(max_digits=7, decimal_places=2, default=1)
    maximum = models.DecimalField(max_digits=7, decimal_places=2)
    verified = models.BooleanField(default=False)
    source_note = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["instrument", "position"]
        constraints = [models.UniqueConstraint(fields=["instrument", "key"], name="item_key")]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="options")
    key = models.CharField(max_length=40)
    text = models.CharField(max_length=1000)
    score = models.DecimalField(max_digits=7, decimal_places=2)
    verified = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="option_key")]

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


class Response(CreatedAt):
    """One person's answers to an instrument about one project (or team or unit) on one day."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assessment_responses",
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="assessment_responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_responses"
    )
    answered_on = models.DateField()
    total = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "project", "unit", "respondent", "answered_on"],
                name="response_one_a_day",
            )
        ]
        indexes = [models.Index(fields=["project", "answered_on"], name="response_project_idx")]

    def __str__(self) -> str:
        return f"{self.respondent} — {self.instrument} — {self.answered_on}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="answers")

    class Meta:
        ordering = ["response", "item__position"]
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="answer_one_per_item")]

    def __str__(self) -> str:
        return f"{self.item.key}={self.option.key}"
