"""Measures (and indicators), series, observations, their history, annotations and cached analyses.

Observations are the truth; `Analysis` rows are derived from them and recomputed whenever they change
(services.recompute_analyses). A measure's definition changing marks its analyses stale, and any page
that reads a stale (or missing) analysis recomputes it first.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spiral.core import codes, limits
from spiral.core.models import Created, CreatedAt, Timestamped, UpdatedAt, Versioned
from spiral.organisations.models import Unit


class MeasureType(models.TextChoices):
    OUTCOME = "outcome", "Outcome"
    PROCESS = "process", "Process"
    BALANCING = "balancing", "Balancing"


class Chart(models.TextChoices):
    RUN = "run", "Run chart"
    XMR = "xmr", "XmR (individuals)"
    P = "p", "p chart (proportion)"
    PPRIME = "pprime", "p′ chart (Laney)"
    U = "u", "u chart (rate)"
    UPRIME = "uprime", "u′ chart (Laney)"
    C = "c", "c chart (count)"


# Charts whose observations are a numerator and a denominator; the plotted value is their ratio.
RATIO_CHARTS = frozenset({Chart.P, Chart.PPRIME, Chart.U, Chart.UPRIME})
PROPORTION_CHARTS = frozenset({Chart.P, Chart.PPRIME})
COUNT_CHARTS = frozenset({Chart.C})


class Improvement(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"
    NEUTRAL = "neutral", "Neither (no direction)"


class Aggregation(models.TextChoices):
    """How organisations' values add up to their ICB, region and nation (roll-ups, measurement.rollups).
    Numerators and denominators (p, p′, u, u′ charts) are always summed; this says what to do with values."""

    NONE = "none", "Not added up"
    SUM = "sum", "Added up (a sum of counts)"


class Frequency(models.TextChoices):
    DAY = "day", "Daily"
    WEEK = "week", "Weekly"
    MONTH = "month", "Monthly"
    QUARTER = "quarter", "Quarterly"


OVERDUE_DEFAULT, OVERDUE_MAX = 2, 24


class Measure(Versioned, Timestamped):
    """A definition. Owned by a unit; an indicator is shared with every unit beneath its owner."""

    code = models.CharField(
        max_length=64,
        unique=True,
        validators=[codes.CodeValidator(codes.MEASURE, max_length=64)],
        help_text="Unique across Spiral (letters, digits, -, _ and .), e.g. FALLS-1000BD",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    measure_type = models.CharField(max_length=16, choices=MeasureType.choices, default=MeasureType.OUTCOME)
    label = models.CharField(
        max_length=64, blank=True, help_text="The unit of measurement on charts: %, per 1,000 bed days"
    )
    chart = models.CharField(max_length=8, choices=Chart.choices, default=Chart.XMR)
    improvement = models.CharField(max_length=8, choices=Improvement.choices, default=Improvement.INCREASE)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    overdue_after_periods = models.PositiveSmallIntegerField(
        default=OVERDUE_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(OVERDUE_MAX)],
        help_text="A series is overdue when more than this many ended periods have no data (1 to 24)",
    )
    numerator_definition = models.TextField(blank=True, max_length=limits.TEXT)
    denominator_definition = models.TextField(blank=True, max_length=limits.TEXT)
    # Units are closed, not deleted; a unit removed from the database takes its measures and data along.
    owner = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="measures")
    is_indicator = models.BooleanField(
        default=False, help_text="Shared with every unit beneath the owner, so many units observe it"
    )
    aggregation = models.CharField(
        max_length=8,
        choices=Aggregation.choices,
        default=Aggregation.NONE,
        help_text="How the organisations' values add up to their ICB, region and nation (run, XmR and c "
        "charts; numerators and denominators are always summed)",
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "is_indicator"], name="measure_owner_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def permission_unit(self) -> Unit:
        return self.owner

    @property
    def is_ratio(self) -> bool:
        return self.chart in RATIO_CHARTS

    @property
    def is_proportion(self) -> bool:
        return self.chart in PROPORTION_CHARTS

    @property
    def rolls_up(self) -> bool:
        """Whether organisations' observations of this indicator are added up to the units above them."""
        return self.is_indicator and (self.is_ratio or self.aggregation == Aggregation.SUM)

    def applies_to(self, unit: Unit) -> bool:
        """May `unit` observe this measure? Its owner always; units beneath it when it is an indicator."""
        if unit.pk == self.owner_id:
            return True
        return self.is_indicator and unit.path.startswith(self.owner.path)


class Target(models.Model):
    """A target value on the plotted scale, in force from `valid_from` (None: from the start)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="targets")
    value = models.FloatField()
    valid_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["measure", models.F("valid_from").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(fields=["measure", "valid_from"], name="target_unique_from"),
            models.UniqueConstraint(
                fields=["measure"], condition=Q(valid_from__isnull=True), name="target_unique_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} from {self.valid_from or 'the start'}"


class Series(CreatedAt):
    """One measure observed for one unit."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="series")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="series")
    derived = models.BooleanField(
        default=False,
        help_text="Added up from the organisations beneath (a roll-up): never typed or imported",
    )

    class Meta:
        verbose_name_plural = "series"
        ordering = ["unit", "measure"]
        constraints = [models.UniqueConstraint(fields=["measure", "unit"], name="series_unique_measure_unit")]
        indexes = [models.Index(fields=["unit", "measure"], name="series_unit_idx")]

    def __str__(self) -> str:
        return f"{self.measure.name} — {self.unit.name}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Observation(Versioned, UpdatedAt):
    """One period's value, or numerator and denominator (p, p′, u, u′ charts)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="observations")
    period_start = models.DateField()
    value = models.FloatField(null=True, blank=True, help_text="The plotted value (the ratio for p and u)")
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    contributors = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A derived series: how many organisations' observations were added up",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["series", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["series", "period_start"], name="observation_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.period_start}: {self.value}"

    @property
    def permission_unit(self) -> Unit:
        return self.series.unit


class ObservationChange(models.Model):
    """The history of one series' observations: every correction and deletion (who, when, old → new).

    First recordings made by a person one at a time are kept too; the first recording of rows by an
    import is not (the import's audit event says who loaded the file, and when).
    """

    class Action(models.TextChoices):
        CREATE = "create", "Recorded"
        UPDATE = "update", "Corrected"
        DELETE = "delete", "Deleted"

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="changes")
    period_start = models.DateField()
    action = models.CharField(max_length=8, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200, blank=True, help_text="The page, the API or the file name")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["series", "period_start"], name="obs_change_series_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.period_start}"


class AnnotationKind(models.TextChoices):
    EVENT = "event", "Event"
    CHANGE = "change", "Change tested"
    REBASE = "rebase", "Rebase (recalculate limits from here)"


class Annotation(Created):
    """A note on a series at a period: an event, a change tested, or a rebase point (with its reason)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="annotations")
    period_start = models.DateField()
    kind = models.CharField(max_length=8, choices=AnnotationKind.choices)
    text = models.CharField(max_length=500)
    reason = models.TextField(
        blank=True, help_text="Why the process changed (rebase points only)", max_length=limits.SHORT_TEXT
    )

    class Meta:
        ordering = ["series", "period_start", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}: {self.text}"

    @property
    def permission_unit(self) -> Unit:
        return self.series.unit


class Analysis(models.Model):
    """The cached SPC analysis of a series (derived: recomputed after every change to it)."""

    series = models.OneToOneField(Series, on_delete=models.CASCADE, primary_key=True, related_name="analysis")
    result = models.JSONField(
        null=True, blank=True, help_text="Analysis.to_dict(); filled when a page or the API first asks"
    )
    variation_icon = models.CharField(max_length=20, blank=True)
    assurance_icon = models.CharField(max_length=20, blank=True)
    latest_period = models.DateField(null=True, blank=True)
    latest_value = models.FloatField(null=True, blank=True)
    incomplete_period = models.DateField(
        null=True, blank=True, help_text="The latest observed period not yet ended (left out of icons)"
    )
    target = models.FloatField(null=True, blank=True, help_text="The target at the latest period")
    points = models.PositiveIntegerField(default=0, help_text="Observations (periods with a value)")
    sparkline = models.JSONField(default=list, blank=True, help_text="The last plotted values, None missing")
    error = models.CharField(max_length=300, blank=True)
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="Why the chart may mislead: spc.diagnose's warnings as dicts (code, message, suggested_chart, value)",
    )
    stale = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["variation_icon", "assurance_icon"], name="analysis_icons_idx"),
            models.Index(fields=["stale"], name="analysis_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"Analysis of series {self.series_id}"


class ObservationImport(models.Model):
    """A file of observations being written: its rows are staged in short transactions, then published
    in one short transaction (so a long import never holds the database's write lock for long, readers
    never see half a file, and a crash leaves only staged rows, removed by the next import).

    Transient: the row is deleted once the import is published and its analyses recomputed.
    """

    class Status(models.TextChoices):
        STAGING = "staging", "Staging"
        PUBLISHED = "published", "Published, analyses being recomputed"

    source = models.CharField(max_length=200, blank=True, help_text="The file name")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STAGING)
    # Which process writes it: an import whose process is gone (or silent for long) was abandoned.
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="obs_import_status_idx")]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source} ({self.status})"


class StagedObservation(models.Model):
    """One row of an import waiting to be published: a new observation (`observation_id` empty) or a
    correction of a stored one (which must still be at `expected_version` when the import publishes).

    Plain integer columns rather than foreign keys: staging must stay cheap, and publishing checks them.
    The series is found by (measure, unit) when publishing, so a series the file starts is created then.
    """

    load = models.ForeignKey(ObservationImport, on_delete=models.CASCADE, related_name="staged")
    measure_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    observation_id = models.BigIntegerField(null=True, blank=True, help_text="Empty: a new observation")
    expected_version = models.PositiveIntegerField(null=True, blank=True)
    period_start = models.DateField()
    value = models.FloatField(null=True, blank=True)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=limits.SHORT_TEXT)  # as Observation.note
    before = models.JSONField(null=True, blank=True, help_text="A correction: the stored values")
    after = models.JSONField(null=True, blank=True, help_text="A correction: the new values")

    class Meta:
        indexes = [models.Index(fields=["load", "observation_id"], name="staged_obs_load_idx")]

    def __str__(self) -> str:
        return f"Staged {self.period_start} of import {self.load_id}"
