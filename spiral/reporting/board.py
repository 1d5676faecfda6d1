"""The board's monthly pack (issue 19): what it shows, read through the same query functions as the pages
(the portfolio page's `portfolio`, the success page's `success_factors`, measurement's summary matrix,
priorities' cascade and decisions, voice's stories), so the pack's numbers are the pages' numbers.

Whoever reads it reads only what they may: the pack is made as the person who asked for it (or, on the
schedule, as the person who saved the board's settings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from spiral.capability import queries as capability_queries
from spiral.capability.queries import Bucket, Dosage
from spiral.core.types import AnyUser
from spiral.measurement import analyses
from spiral.measurement import presenters as measurement_presenters
from spiral.measurement import queries as measurement_queries
from spiral.organisations.models import Unit, UnitKind
from spiral.organisations.permissions import Permission, can, visible_to
from spiral.priorities import queries as priorities_queries
from spiral.reporting.models import BoardPack, BoardSchedule
from spiral.reporting.portfolio import Portfolio, portfolio
from spiral.reporting.success import SuccessFactors, success_factors
from spiral.voice import queries as voice_queries

BOARD_KINDS = {UnitKind.ORGANISATION, UnitKind.ICB, UnitKind.REGION, UnitKind.NATION}


@dataclass
class Chart:
    title: str
    svg: str  # a standalone SVG (vector) with its title and description
    alt: str


@dataclass
class BoardPackData:
    unit: Unit
    month: dt.date
    made_at: dt.datetime
    matrix: dict[str, Any]
    charts: list[Chart]
    cascades: list[Any]  # priorities.queries.Cascade of each of the unit's goals
    story: Any | None
    may_read_feedback: bool
    portfolio: Portfolio
    success: SuccessFactors
    decisions_due: list[Any]
    dosage: Dosage
    bucket: Bucket
    notes: list[str] = field(default_factory=list)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def schedule_of(user: AnyUser, unit: Unit) -> BoardSchedule | None:
    """The unit's board pack settings, if there are any and the user may read them."""
    return visible_to(user, BoardSchedule.objects.filter(unit=unit)).prefetch_related("measures").first()


def packs(user: AnyUser, unit: Unit) -> QuerySet[BoardPack]:
    """Every pack made for the unit, newest month first."""
    return visible_to(user, BoardPack.objects.filter(unit=unit)).select_related("created_by", "unit")


def pack_for(user: AnyUser, pk: int) -> BoardPack | None:
    """One pack the user may read (None otherwise)."""
    return visible_to(user, BoardPack.objects.filter(pk=pk)).select_related("unit").first()


def _charts(user: AnyUser, schedule: BoardSchedule | None) -> list[Chart]:
    if schedule is None:
        return []
    out = []
    for series in visible_to(user, schedule.measures.all()).select_related("measure", "unit"):
        result, _laid = analyses.analyse_series(series)
        title = f"{series.measure.name} — {series.unit.name}"
        icon = measurement_presenters.icon_text("variation", result.variation_icon or "")
        out.append(Chart(title=title, svg=measurement_presenters.chart_svg(series, result, []),
                         alt=f"SPC chart of {title}: {icon}"))  # fmt: skip
    return out


def story_of_the_month(user: AnyUser, unit: Unit, month: dt.date) -> Any | None:
    """The story the pack of `month` tells: the last one heard that month, else the last one undated."""
    stories = voice_queries.stories(user, unit=unit)
    month = month_start(month)
    end = (month + dt.timedelta(days=32)).replace(day=1)
    return (
        stories.filter(heard_on__gte=month, heard_on__lt=end).last()
        or stories.filter(heard_on__isnull=True).last()
    )


def board_pack(user: AnyUser, unit: Unit, *, month: dt.date | None = None) -> BoardPackData:
    """Everything the board pack of `unit` for `month` (default: this month) shows."""
    month = month_start(month or timezone.localdate())
    everything = measurement_queries.series_queryset(user, unit=unit, include_beneath=True)
    may_read = can(user, Permission.VIEW_FEEDBACK, unit)
    story = story_of_the_month(user, unit, month) if may_read else None
    cascades = [priorities_queries.cascade(user, g) for g in priorities_queries.goals(user, unit=unit)]
    data = BoardPackData(
        unit=unit, month=month, made_at=timezone.now(),
        matrix=measurement_presenters.summary_matrix(measurement_queries.icon_counts(everything)),
        charts=_charts(user, schedule_of(user, unit)), cascades=cascades, story=story,
        may_read_feedback=may_read, portfolio=portfolio(user, unit), success=success_factors(user, unit),
        decisions_due=list(priorities_queries.due_for_review(user, unit)[:20]),
        dosage=capability_queries.dosage(user, unit, peers=False),
        bucket=capability_queries.leaky_bucket(user, unit),
    )  # fmt: skip
    if not data.charts:
        data.notes.append(
            "The board has chosen no measures to chart: choose them in the board pack settings."
        )
    return data
