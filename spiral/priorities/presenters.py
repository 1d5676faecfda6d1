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
from markupsafe import Markup

from spiral.core import periods
from spiral.core.axes import linear_scale
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


# --- the PICK chart ---------------------------------------------------------------------------------------


def pick_svg(items: list[Any]) -> Markup:
    """A PICK chart (Possible, Implement, Challenge, Kill) of scored ideas: patient impact up, effort
    across, each idea a numbered point (its number in the table beside). Accessible: a title and a
    description; the table carries the numbers."""
    size, pad = 320, 36
    scale = linear_scale((1, 5), (pad, size - pad))
    up = linear_scale((1, 5), (size - pad, pad))
    mid = scale(3)
    quadrants = [("Implement", pad + 4, pad + 14), ("Challenge", mid + 4, pad + 14),
                 ("Possible", pad + 4, size - pad - 6), ("Kill", mid + 4, size - pad - 6)]  # fmt: skip
    parts = [
        f'<rect x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}" fill="#fff" stroke="#768692"/>',
        f'<line x1="{mid}" y1="{pad}" x2="{mid}" y2="{size - pad}" stroke="#d8dde0"/>',
        f'<line x1="{pad}" y1="{mid}" x2="{size - pad}" y2="{mid}" stroke="#d8dde0"/>',
        f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="12">Effort (1 little to 5 a lot)</text>',
        f'<text x="12" y="{size / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 {size / 2})">'
        "Patient impact</text>",
    ]
    parts += [
        f'<text x="{x}" y="{y}" font-size="11" fill="#4c6272">{name}</text>' for name, x, y in quadrants
    ]
    for n, s in enumerate(items, start=1):
        view = s.staff or s.patient
        if not view:
            continue
        impact = (s.patient["impact"] + s.staff["impact"]) / 2 if s.staff and s.patient else view["impact"]
        x, y = scale(view["effort"]), up(impact)
        parts.append(
            f"<g><title>{n}: impact {impact:g}, effort {view['effort']:g}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#005eb8"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="10" fill="#fff">{n}</text></g>'
        )
    return Markup(
        '<svg class="spiral-pick" width="{s}" height="{s}" viewBox="0 0 {s} {s}" role="img" '
        'aria-labelledby="pick-title pick-desc"><title id="pick-title">PICK chart of the backlog</title>'
        '<desc id="pick-desc">Each scored idea by patient impact and effort; the table lists them by number.</desc>'
        "{body}</svg>"
    ).format(s=size, body=Markup("".join(parts)))  # noqa: S704 - built above from numbers only
