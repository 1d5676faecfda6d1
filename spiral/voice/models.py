"""Feedback forms (Friends and Family Test style), their answers, themes, stories, imported FFT returns
and "you said, we did" links to projects.

Free text is screened for personal data before it is stored (services.screen_answer): what looked like
personal data is replaced in place and the answer waits for a moderator; the original is never kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spiral.core import limits
from spiral.core.models import Created, UpdatedAt, Versioned
from spiral.organisations.models import Unit

TEXT_LIMIT = limits.SHORT_TEXT  # characters in each free-text answer (docs/limits.md)
OWN_QUESTIONS = 5  # at most this many questions of a form's own


class Audience(models.TextChoices):
    PATIENT = "patient", "Patients and carers"
    STAFF = "staff", "Staff"


class Rating(models.TextChoices):
    VERY_GOOD = "very_good", "Very good"
    GOOD = "good", "Good"
    NEITHER = "neither", "Neither good nor poor"
    POOR = "poor", "Poor"
    VERY_POOR = "very_poor", "Very poor"
    DONT_KNOW = "dont_know", "Don't know"


# NHS England's method: positive = very good + good, over every answer including "don't know".
POSITIVE = frozenset({Rating.VERY_GOOD, Rating.GOOD})
RATINGS = [r.value for r in Rating]

DEFAULT_QUESTION: dict[str, str] = {
    Audience.PATIENT: "Overall, how was your experience of our service?",
    Audience.STAFF: "Overall, how was your experience of working in this team?",
}


class FeedbackForm(Versioned, Created):
    """A unit's public form: the FFT question, optional questions of its own, and two free-text questions."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="feedback_forms")
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.PATIENT)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=40, unique=True, help_text="The public address: /f/<slug>/")
    question = models.CharField(max_length=300)
    introduction = models.TextField(blank=True, max_length=limits.TEXT)
    own_questions = models.JSONField(default=list, blank=True, help_text="Up to five questions of its own")
    is_open = models.BooleanField(default=True, help_text="Accepting answers online")
    # The share of positive answers by month, a p chart like any measure (services.refresh_series).
    measure = models.OneToOneField(
        "measurement.Measure", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_form"
    )

    class Meta:
        ordering = ["unit__name", "audience", "title"]
        indexes = [models.Index(fields=["unit", "audience"], name="feedback_form_unit_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.unit.name})"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Moderation(models.TextChoices):
    PUBLISHED = "published", "Shown"
    REVIEW = "review", "Waiting for review"
    HIDDEN = "hidden", "Hidden by a moderator"


class Theme(models.Model):
    """One of the shared list of themes (communication, waiting, dignity, ...)."""

    name = models.CharField(max_length=80, unique=True)
    keywords = models.TextField(
        blank=True,
        help_text="Words that suggest the theme, separated by spaces",
        max_length=limits.SHORT_TEXT,
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Answer(models.Model):
    """One person's answer to a form: the rating, and free text already screened for personal data."""

    form = models.ForeignKey(FeedbackForm, on_delete=models.CASCADE, related_name="answers")
    period_start = models.DateField(help_text="The month the answer was given")
    rating = models.CharField(max_length=10, choices=Rating.choices)
    good = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    better = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    extra = models.JSONField(default=dict, blank=True, help_text="Answers to the form's own questions")
    status = models.CharField(max_length=10, choices=Moderation.choices, default=Moderation.PUBLISHED)
    redacted = models.JSONField(default=list, blank=True, help_text="Kinds of personal data removed")
    source = models.CharField(max_length=10, default="online")
    themes = models.ManyToManyField(Theme, blank=True, related_name="answers")
    created_at = models.DateTimeField(default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["form", "period_start"], name="answer_form_period_idx"),
            models.Index(fields=["status"], name="answer_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} ({self.period_start:%b %Y})"

    @property
    def permission_unit(self) -> Unit:
        return self.form.unit

    @property
    def has_text(self) -> bool:
        return bool(self.good or self.better or any(self.extra.values()))


class ImportedCounts(UpdatedAt):
    """Counts per answer for one form and month, from an FFT return file (the import is idempotent)."""

    form = models.ForeignKey(FeedbackForm, on_delete=models.CASCADE, related_name="imported_counts")
    period_start = models.DateField()
    very_good = models.PositiveIntegerField(default=0)
    good = models.PositiveIntegerField(default=0)
    neither = models.PositiveIntegerField(default=0)
    poor = models.PositiveIntegerField(default=0)
    very_poor = models.PositiveIntegerField(default=0)
    dont_know = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["form", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["form", "period_start"], name="imported_counts_unique")
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.period_start:%b %Y}"

    @property
    def total(self) -> int:
        return sum(getattr(self, r) for r in RATINGS)


class Teller(models.TextChoices):
    PATIENT = "patient", "Patient"
    CARER = "carer", "Carer"
    STAFF = "staff", "Member of staff"


class Story(Versioned, Created):
    """A curated story to be told at a board meeting, with consent recorded."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(max_length=200)
    teller = models.CharField(max_length=8, choices=Teller.choices)
    about = models.CharField(max_length=200, help_text="Who it is about, in general terms")
    text = models.TextField(max_length=limits.TEXT)
    quote = models.TextField(
        blank=True, help_text="An anonymised quote, optional", max_length=limits.SHORT_TEXT
    )
    consent_given_on = models.DateField(help_text="When the teller consented to the story being shared")
    consent_note = models.CharField(max_length=300, blank=True, help_text="How consent was recorded")
    heard_on = models.DateField(null=True, blank=True, help_text="When the board heard it")
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="stories")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class FeedbackLink(Created):
    """You said, we did: a theme or an answer linked to the project it led to."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="feedback_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", help_text="Whose feedback")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    note = models.CharField(max_length=300, blank=True, help_text="What was done")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(theme__isnull=False) | Q(answer__isnull=False), name="feedback_link_has_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.theme or self.answer} → {self.project}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit
