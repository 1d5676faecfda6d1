"""Display shaping that the goal page and the API share: the driver measures' SPC charts and the bowling
chart (twelve months across, target and actual per measure) whose cells carry Making Data Count icons
(the variation of that month's point and the assurance of the limits at that month against the target)
instead of red, amber and green."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from spiral.core import periods
from spiral.measurement import presenters as m_presenters
from spiral.measurement.models import Improvement, Measure
from spiral.priorities.queries import Analysed

MONTHS = 12


@dataclass
class DriverChart:
    svg: str
    caption: str
    url: str


def driver_charts(found: list[Analysed]) -> list[DriverChart]:
    """The SPC chart of each driver measure, with the goal's target as its target line."""
    out = []
    for a in found:
        if a.cell.is_watch or a.cell.series is None:
            continue
        series = a.cell.series
        out.append(
            DriverChart(
                svg=m_presenters.chart_svg(series, a.result, a.annotations),
                caption=f"Driver measure: {series.measure.name}, {series.unit.name}",
                url=reverse("measurement:series", args=[series.pk]),
            )
        )
    return out


@dataclass
class BowlingCell:
    month: dt.date
    actual: float | None
    variation: str  # a variation icon name for this month's point ("" when no point)
    assurance: str  # an assurance icon name for the limits at this month against the target


@dataclass
class BowlingRow:
    measure: Measure
    role: str
    target: float
    cells: list[BowlingCell]
    flagged: bool  # a watch metric showing special cause concern

    def number(self, value: float | None) -> str:
        return m_presenters.number(value, self.measure)


def _finite(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def point_variation(kind: str, value: float | None, centre: float | None) -> str:
    """The variation icon of one point: its point type, on the side of the centre line it lies."""
    if value is None:
        return ""
    if kind == "common":
        return "common_cause"
    side = "high" if centre is None or value >= centre else "low"
    name = {"improvement": "improvement", "concern": "concern", "neutral": "neither"}.get(kind)
    return f"{name}_{side}" if name else ""


def point_assurance(improvement: str, lcl: float | None, ucl: float | None, target: float) -> str:
    """Assurance at one month (MDC): both limits on the right side of the target pass, both on the wrong
    side fail, limits either side of it are hit and miss; no direction or no limits, no icon."""
    if improvement == Improvement.NEUTRAL or lcl is None or ucl is None:
        return ""
    if improvement == Improvement.DECREASE:
        lcl, ucl, target = -ucl, -lcl, -target
    if lcl > target:
        return "pass"
    if ucl < target:
        return "fail"
    return "hit_and_miss"


def bowling(found: list[Analysed], *, today: dt.date | None = None) -> tuple[list[dt.date], list[BowlingRow]]:
    """The bowling chart: the last twelve months with data (months across), one row per measure."""
    ends = [a.starts[len(a.result.values) - 1] for a in found if len(a.result.values)]
    end = periods.start_of(max(ends) if ends else (today or dt.date.today()), "month")
    last = periods.index(end, "month")
    months = [periods.from_index(last - k, "month") for k in range(MONTHS - 1, -1, -1)]
    rows = []
    for a in found:
        r, gm = a.result, a.cell.goal_measure
        at: dict[tuple[int, int], int] = {}
        for i, day in enumerate(a.starts[: len(r.values)]):
            at[(day.year, day.month)] = i
        kinds = r.point_type
        cells = []
        for month in months:
            found_at = at.get((month.year, month.month))
            if found_at is None:
                cells.append(BowlingCell(month, None, "", ""))
                continue
            i = found_at
            value, centre = _finite(r.values[i]), _finite(r.centre[i])
            cells.append(
                BowlingCell(
                    month,
                    value,
                    point_variation(kinds[i], value, centre),
                    point_assurance(
                        a.cell.measure.improvement, _finite(r.lcl[i]), _finite(r.ucl[i]), gm.target
                    )
                    if value is not None
                    else "",
                )
            )
        rows.append(BowlingRow(a.cell.measure, gm.role, gm.target, cells, a.cell.is_watch_concern))
    return months, rows
