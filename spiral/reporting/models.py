"""The board's monthly pack (issue 19): the board's choice of measures and schedule, and every pack made,
kept as the HTML file the board read (the same HTML the PDF is made from)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core.models import Created, Timestamped, Versioned
from spiral.organisations.models import Unit


class BoardSchedule(Versioned, Timestamped):
    """A unit's board pack settings: the measures whose charts it shows and whether a pack is made each
    month. A scheduled pack reads what `reader` may read (the person who last saved the settings)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="board_schedule")
    monthly = models.BooleanField(default=True, help_text="Make a pack at the start of every month")
    measures = models.ManyToManyField("measurement.Series", blank=True, related_name="+")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Board pack settings of {self.unit}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Trigger(models.TextChoices):
    ON_DEMAND = "on_demand", "On demand"
    SCHEDULE = "schedule", "Monthly schedule"


class BoardPack(Created):
    """One board pack as made: the HTML file (print page; PDF and Word are made from it)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="board_packs")
    month = models.DateField(help_text="The first day of the month the pack reports")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.ON_DEMAND)
    file = models.FileField(upload_to="reporting/packs/%Y/%m/", max_length=300)
    size = models.PositiveIntegerField(default=0)
    job = models.OneToOneField(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="board_pack"
    )

    class Meta:
        ordering = ["-month", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month"],
                condition=models.Q(trigger="schedule"),
                name="board_pack_one_scheduled",
            )
        ]
        indexes = [models.Index(fields=["unit", "-month"], name="board_pack_unit_month_idx")]

    def __str__(self) -> str:
        return f"Board pack of {self.unit} for {self.month:%B %Y}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit
