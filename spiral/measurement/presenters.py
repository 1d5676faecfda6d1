"""Display shaping that pages and exports share: icons, numbers, sparklines, the summary matrix,
the rows of a series' data table, and the CSV/XLSX layouts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.timesince import timesince
from markupsafe import Markup, escape

from spiral import spc
from spiral.core import periods
from spiral.core.axes import linear_scale
from spiral.core.chartpoints import both_widths
from spiral.measurement.models import PROPORTION_CHARTS, Annotation, Measure, Observation, Series

VARIATION = {
    "common_cause": ("Common cause variation", "common", ""),
    "improvement_high": ("Special cause variation: improvement (high)", "improvement", "H"),
    "improvement_low": ("Special cause variation: improvement (low)", "improvement", "L"),
    "concern_high": ("Special cause variation: concern (high)", "concern", "H"),
    "concern_low": ("Special cause variation: concern (low)", "concern", "L"),
    "neither_high": ("Special cause variation: neither improvement nor concern (high)", "neither", "H"),
    "neither_low": ("Special cause variation: neither improvement nor concern (low)", "neither", "L"),
    "": ("No variation icon (too few points, or a run chart)", "none", ""),
}
ASSURANCE = {
    "pass": ("Consistently passing the target", "pass", "P"),
    "fail": ("Consistently failing the target", "fail", "F"),
    "hit_and_miss": ("Hit and miss: the target lies within the limits", "hit", "?"),
    "": ("No assurance icon (no target)", "none", ""),
}
SHORT = {
    "common_cause": "Common cause",
    "improvement_high": "Improving (high)",
    "improvement_low": "Improving (low)",
    "concern_high": "Concerning (high)",
    "concern_low": "Concerning (low)",
    "neither_high": "Neither (high)",
    "neither_low": "Neither (low)",
    "": "No icon",
}
ASSURANCE_SHORT = {"pass": "Passing", "fail": "Failing", "hit_and_miss": "Hit and miss", "": "No target"}
VARIATION_ORDER = list(VARIATION)
ASSURANCE_ORDER = list(ASSURANCE)
COLOURS = {
    "improvement": "#005eb8",
    "concern": "#ed8b00",
    "common": "#768692",
    "neither": "#330072",
    "pass": "#005eb8",
    "fail": "#ed8b00",
    "hit": "#768692",
    "none": "#d8dde0",
}


def icon(kind: str, name: str | None) -> Markup:
    """A small Making Data Count style badge with its meaning as text (for screen readers and print)."""
    table = VARIATION if kind == "variation" else ASSURANCE
    text, tone, letter = table.get(name or "", table[""])
    colour = COLOURS[tone]
    if tone == "none":
        return Markup(
            '<span class="spiral-icon spiral-icon--none">–'
            '<span class="nhsuk-u-visually-hidden"> {}</span></span>'
        ).format(text)
    arrow = ""
    if kind == "variation" and tone != "common":
        arrow = "↑" if letter == "H" else "↓"
    return Markup(
        '<span class="spiral-icon" title="{text}">'
        '<svg width="28" height="28" viewBox="0 0 28 28" aria-hidden="true" '
        'focusable="false"><circle cx="14" cy="14" r="12" fill="#fff" stroke="{colour}" stroke-width="3"/>'
        '<text x="14" y="19" text-anchor="middle" font-size="13" font-weight="bold" fill="{colour}">'
        "{mark}</text>"
        '</svg><span class="nhsuk-u-visually-hidden">{text}</span></span>'
    ).format(text=text, colour=colour, mark=(letter + arrow) if letter or arrow else "~")


def updating(analysis: Any) -> Markup:
    """In place of the icons of an analysis being recomputed: says so, and when it was last right."""
    when = getattr(analysis, "computed_at", None)
    since = f"last calculated {timesince(when)} ago" if when else "not calculated yet"
    return Markup(
        '<strong class="nhsuk-tag nhsuk-tag--grey">Updating</strong> <span class="spiral-meta">{}</span>'
    ).format(since)


def analysis_of(series: Any) -> Any:
    """The series' cached analysis, or None when it has none yet (a new series before its first task)."""
    try:
        return series.analysis
    except ObjectDoesNotExist:
        return None


def timeliness(series: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Whether the series is overdue (more ended periods without data after its latest observation than
    its measure allows) and which period, if any, has not ended yet (left out of icons and headline)."""
    from django.utils import timezone

    day = today or timezone.localdate()
    a = analysis_of(series)
    measure = series.measure
    latest = getattr(a, "latest_period", None) or getattr(a, "incomplete_period", None)
    missing = periods.missing_since(latest, measure.frequency, day) if latest else 0
    incomplete = getattr(a, "incomplete_period", None)
    return {
        "overdue": periods.is_overdue(latest, measure.frequency, measure.overdue_after_periods, day),
        "missing": missing,
        "allowed": measure.overdue_after_periods,
        "incomplete_period": incomplete,
        "incomplete_label": periods.long_label(incomplete, measure.frequency) if incomplete else "",
    }


def overdue_tag(series: Any, today: dt.date | None = None) -> Markup:
    """A red "Overdue" tag saying how many periods are missing, or nothing."""
    t = timeliness(series, today)
    if not t["overdue"]:
        return Markup("")
    noun = series.measure.get_frequency_display().lower().removesuffix("ly").replace("dai", "day")
    return Markup(
        '<strong class="nhsuk-tag nhsuk-tag--red">Overdue</strong> '
        '<span class="spiral-meta">no data for the last {} {}s (allowed: {})</span>'
    ).format(t["missing"], noun, t["allowed"])


def incomplete_tag(series: Any) -> Markup:
    """A grey "Incomplete" tag naming the period not yet ended, or nothing."""
    t = timeliness(series)
    if not t["incomplete_period"]:
        return Markup("")
    return Markup(
        '<strong class="nhsuk-tag nhsuk-tag--grey">Incomplete</strong> '
        '<span class="spiral-meta">{} has not ended: not used for the icons or latest value</span>'
    ).format(t["incomplete_label"])


def is_updating(analysis: Any) -> bool:
    """Whether this analysis is missing or stale: its icons are not to be read as current."""
    # A series with no analysis yet reaches a template as None or as Jinja's Undefined: updating too.
    return getattr(analysis, "stale", None) is not False


def short_text(kind: str, name: str | None) -> str:
    """A few words for a table heading (the full meaning travels with the icon for screen readers)."""
    return (SHORT if kind == "variation" else ASSURANCE_SHORT).get(name or "", "")


def icon_text(kind: str, name: str | None) -> str:
    return (VARIATION if kind == "variation" else ASSURANCE).get(name or "", ("", "", ""))[0]


def number(value: float | None, measure: Measure | None = None) -> str:
    """A value as people read it: proportions as %, others with sensible decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if measure is not None and measure.chart in PROPORTION_CHARTS:
        return f"{value * 100:.1f}%"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    digits = 1 if magnitude >= 100 else 2 if magnitude >= 1 else 3
    return f"{value:,.{digits}f}"


def sparkline(values: Iterable[float | None], *, label: str) -> Markup:
    """A tiny inline SVG line of the latest values (decorative: the table beside it has the numbers)."""
    points = list(values)
    valid = [v for v in points if v is not None]
    if len(valid) < 2:
        return Markup("")
    height, step = 24, 96 / max(len(points) - 1, 1)
    y = linear_scale((min(valid), max(valid)), (height - 2, 2))
    segments: list[list[str]] = []
    current: list[str] = []
    for i, v in enumerate(points):
        if v is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{i * step:.1f},{y(v):.1f}")
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="#005eb8" stroke-width="1.5"/>'
        for s in segments
    )
    return Markup(
        '<svg class="spiral-sparkline" width="96" height="24" viewBox="0 0 96 24" role="img" '
        'aria-label="{label}">'
        "{lines}</svg>"
    ).format(label=label, lines=Markup(lines))  # noqa: S704 - built above from numbers only


@dataclass
class MatrixCell:
    variation: str
    assurance: str
    count: int


def summary_matrix(counts: dict[tuple[str, str], int]) -> dict[str, Any]:
    """Counts of series by variation icon (across) and assurance icon (down)."""
    return {
        "columns": VARIATION_ORDER,
        "rows": [
            (assurance, [MatrixCell(v, assurance, counts.get((v, assurance), 0)) for v in VARIATION_ORDER])
            for assurance in ASSURANCE_ORDER
        ],
        "total": sum(counts.values()),
    }


def chart_svg(
    series: Series,
    result: spc.Analysis,
    annotations: list[Annotation],
    pending: list[tuple[str, float | None]] | None = None,
    *,
    narrow: bool = False,
) -> str:
    """The series' SPC chart (spiral.spc.render_svg) with its annotations as numbered markers, and the
    periods not yet ended (`pending_points` of its data rows) drawn hollow as "incomplete"; `narrow`, its
    phone layout. One standalone SVG (the export); a page shows `chart_html`."""
    dates = list(result.dates or ())
    notes = []
    for a in annotations:
        label = periods.label(a.period_start, series.measure.frequency)
        if label in dates:
            notes.append({"date": label, "text": f"{a.get_kind_display()}: {a.text}"})
    return spc.render_svg(
        result,
        title=f"{series.measure.name} — {series.unit.name}",
        unit_label=series.measure.label,
        annotations=notes,
        pending=pending,
        narrow=narrow,
    )


def chart_html(
    series: Series,
    result: spc.Analysis,
    annotations: list[Annotation],
    pending: list[tuple[str, float | None]] | None = None,
) -> Markup:
    """The series' chart for a page: its wide layout and its phone layout, one shown at a time by the
    stylesheet (spiral.core.chartpoints.both_widths)."""
    wide = chart_svg(series, result, annotations, pending)
    narrow = chart_svg(series, result, annotations, pending, narrow=True)
    return Markup(both_widths(wide, narrow))  # noqa: S704 - render_svg escapes every text it draws


def pending_points(rows: list[dict[str, Any]]) -> list[tuple[str, float | None]]:
    """The data rows after the analysed periods (the incomplete period, and any missing before it) as
    (label, value) for the chart: drawn, but not as ordinary points."""
    return [(r["label"], r["value"]) for r in rows if r.get("pending")]


def data_rows(series: Series, result: spc.Analysis, observations: list[Observation]) -> list[dict[str, Any]]:
    """One row per period of the chart, with the observation (if any) and the analysis at that point."""
    by_day = {o.period_start: o for o in observations}
    frequency = series.measure.frequency
    starts: list[dt.date] = []
    if observations:
        starts = periods.calendar(observations[0].period_start, observations[-1].period_start, frequency)
    point_types = list(result.point_type)
    rows = []
    analysed = len(result.values)
    for i, day in enumerate(starts):
        o = by_day.get(day)
        if i >= analysed:  # after the analysed periods: a period not yet ended (left out of the analysis)
            rows.append(_unanalysed_row(series, day, o))
            continue
        rows.append(
            {
                "day": day,
                "label": periods.label(day, frequency),
                "observation": o,
                "value": None if math.isnan(result.values[i]) else float(result.values[i]),
                "centre": _f(result.centre[i]),
                "lcl": _f(result.lcl[i]),
                "ucl": _f(result.ucl[i]),
                "target": None if result.target is None else _f(result.target[i]),
                "point_type": point_types[i] if o is not None else "missing",
                "flags": result.flags[i],
                "pending": False,
            }
        )
    return rows


def _unanalysed_row(series: Series, day: dt.date, o: Observation | None) -> dict[str, Any]:
    """A table row for a period after the analysed ones: incomplete (not yet ended) or missing."""
    value = None
    if o is not None:
        if series.measure.is_ratio:
            ok = o.numerator is not None and o.denominator
            value = o.numerator / o.denominator if ok else None  # type: ignore[operator]
        else:
            value = o.value
    return {
        "day": day,
        "label": periods.label(day, series.measure.frequency),
        "observation": o,
        "value": value,
        "centre": None,
        "lcl": None,
        "ucl": None,
        "target": None,
        "point_type": "incomplete" if o is not None else "missing",
        "flags": [],
        "pending": True,
    }


def _f(x: Any) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


SERIES_HEADER = [
    "unit_code",
    "measure_code",
    "period",
    "value",
    "numerator",
    "denominator",
    "note",
    "centre",
    "lower_limit",
    "upper_limit",
    "target",
    "point_type",
    "rules",
]


def series_export_rows(series: Series, rows: list[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        o = r["observation"]
        out.append(
            [
                series.unit.code,
                series.measure.code,
                r["label"],
                r["value"],
                o.numerator if o else None,
                o.denominator if o else None,
                o.note if o else "",
                r["centre"],
                r["lcl"],
                r["ucl"],
                r["target"],
                r["point_type"],
                " ".join(r["flags"]),
            ]
        )
    return out


# The columns every export of series rows shares (the measures page's and the indicator page's): the
# headline of the series' analysis and whether its data are late or its last period is still open, as the
# pages mark them (overdue tag, incomplete tag).
HEADLINE_HEADER = [
    "latest_period",
    "latest_value",
    "target",
    "variation",
    "assurance",
    "points",
    "overdue",
    "periods_missing",
    "incomplete_period",
]


def headline_cells(s: Series, today: dt.date | None = None) -> list[Any]:
    """A series' HEADLINE_HEADER cells: latest ended period and value, target, icons, points, whether it
    is overdue ("yes"/"no", with how many ended periods lack data) and the period not yet ended, if any."""
    a = analysis_of(s)
    frequency = s.measure.frequency
    t = timeliness(s, today)
    return [
        periods.label(a.latest_period, frequency) if a and a.latest_period else "",
        a.latest_value if a else None,
        a.target if a else None,
        icon_text("variation", a.variation_icon if a else ""),
        icon_text("assurance", a.assurance_icon if a else ""),
        a.points if a else 0,
        "yes" if t["overdue"] else "no",
        t["missing"],
        periods.label(t["incomplete_period"], frequency) if t["incomplete_period"] else "",
    ]


SUMMARY_HEADER = ["unit_code", "unit", "measure_code", "measure", "type", "label", *HEADLINE_HEADER]


def summary_export_rows(rows: Iterable[Series], today: dt.date | None = None) -> list[list[Any]]:
    """The measures page's rows for CSV/XLSX: one series each."""
    return [
        [
            s.unit.code,
            s.unit.name,
            s.measure.code,
            s.measure.name,
            s.measure.measure_type,
            s.measure.label,
            *headline_cells(s, today),
        ]
        for s in rows
    ]


INDICATOR_HEADER = [
    "unit_code",
    "unit",
    "kind",
    "organisation_type",
    "measure_code",
    *HEADLINE_HEADER,
    "funnel_position",
    "funnel_limit",
    "funnel_period",
    "peers",
]
POSITION_TONE = {"better": "improvement", "worse": "concern", "neutral": "neither", "within": "common"}
POSITION_SHORT = {
    "better": "Better",
    "worse": "Worse",
    "neutral": "Beyond (no direction)",
    "within": "Within",
}


def position_tag(position: dict[str, Any] | None) -> Markup:
    """A unit's funnel position as a tag in Making Data Count's colours, linking to the funnel plot."""
    if not position:
        return Markup('<span class="spiral-meta">Not placed</span>')
    judgement = position["judgement"]
    return Markup(
        '<a href="{href}" class="spiral-position spiral-position--{tone}">{short}'
        '<span class="nhsuk-u-visually-hidden">: {text}, among {peers}</span></a>'
    ).format(
        href=position.get("href", ""),
        tone=POSITION_TONE.get(judgement, "none"),
        short=POSITION_SHORT.get(judgement, judgement),
        text=position.get("text", ""),
        peers=position.get("peers_text", "peers"),
    )


def indicator_export_rows(rows: Iterable[Series], today: dt.date | None = None) -> list[list[Any]]:
    """The indicator page's rows for CSV/XLSX: one unit each, with its funnel position if placed."""
    out = []
    for s in rows:
        position = getattr(s, "position", None) or {}
        period = position.get("period")
        out.append(
            [
                s.unit.code,
                s.unit.name,
                s.unit.kind,
                s.unit.organisation_type,
                s.measure.code,
                *headline_cells(s, today),
                position.get("judgement", ""),
                position.get("flag", ""),
                periods.label(period, s.measure.frequency) if period else "",
                position.get("peers_text", ""),
            ]
        )
    return out


def matrix_grid(matrix: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The summary matrix as a header and rows, for an XLSX sheet."""
    header = ["assurance \\ variation"] + [icon_text("variation", v) for v in matrix["columns"]]
    grid = [[icon_text("assurance", a)] + [c.count for c in cells] for a, cells in matrix["rows"]]
    return header, grid


def safe_filename(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)[:80] or "export"


__all__ = ["escape"]
