"""Display shaping shared by the pages, the API and the exports: flag wording (qi.md §5: beyond 95% is an
"alert", beyond 99.8% an "alarm"; never a league-table rank), numbers, the gap sentence, and the funnel
plot as a server-side SVG."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.urls import NoReverseMatch, reverse
from markupsafe import Markup, escape

from spiral.benchmarking import funnel as fm
from spiral.benchmarking.queries import BEST_LABELS, GapRow, PeerData

FLAG_TEXT = {
    "above_998": "Above the 99.8% limit (alarm)",
    "above_95": "Above the 95% limit (alert)",
    "within": "Within the limits",
    "below_95": "Below the 95% limit (alert)",
    "below_998": "Below the 99.8% limit (alarm)",
}
METHOD_TEXT = {
    "none": "no overdispersion adjustment (exact limits)",
    "phi": "multiplicative overdispersion (φ)",
    "tau2": "additive random effects (τ²)",
}
FREQUENCY_WORDS = {"day": "a day", "week": "a week", "month": "a month", "quarter": "a quarter"}
COLOURS = {"above": "#ed8b00", "below": "#ed8b00", "within": "#768692", "chosen": "#005eb8"}


def flag_text(flag: str) -> str:
    return FLAG_TEXT.get(flag, flag)


def direction_text(flag: str, improvement: str) -> str:
    """Whether beyond the limits is better or worse, for this measure's direction of improvement."""
    if flag == "within" or improvement not in ("increase", "decrease"):
        return ""
    high = flag.startswith("above")
    good = high == (improvement == "increase")
    return (
        "better than its peers would lead us to expect"
        if good
        else "worse than its peers would lead us to expect"
    )


def value_text(value: float | None, proportion: bool, label: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if proportion:
        return f"{value * 100:.1f}%"
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {label}".strip()


def about(number: float) -> str:
    """'about 14', 'about 2.5', 'about 1,200': two significant figures, never false precision."""
    if number <= 0:
        return "0"
    digits = max(0, 1 - math.floor(math.log10(number)))
    rounded = round(number, digits)
    text = f"{rounded:,.{digits}f}" if digits else f"{rounded:,.0f}"
    return f"about {text}"


def event_noun(measure: Any) -> str:
    noun = (measure.numerator_definition or "").strip().rstrip(".")
    if not noun:
        return "events"
    return noun[0].lower() + noun[1:] if not noun[:2].isupper() else noun


def gap_sentence(events: float, measure: Any) -> str:
    """'about 14 fewer inpatient falls a month' (or 'more', when higher is better)."""
    if events <= 0:
        return "already at or beyond the potential"
    word = "fewer" if measure.improvement == "decrease" else "more"
    return (
        f"{about(events)} {word} {event_noun(measure)} {FREQUENCY_WORDS.get(measure.frequency, 'a period')}"
    )


def series_url(series_id: int) -> str | None:
    try:
        return reverse("measurement:series", args=[series_id])
    except NoReverseMatch:
        return None


_SENTINEL = 987654321


def series_url_maker() -> Any:
    """series id -> its address, reversing once (10,000 reverse() calls cost more than the whole funnel)."""
    pattern = series_url(_SENTINEL)
    if pattern is None:
        return lambda series_id: None
    head, tail = pattern.split(str(_SENTINEL))
    return lambda series_id: f"{head}{series_id}{tail}" if series_id else None


def point_rows(data: PeerData, result: fm.Funnel) -> list[dict[str, Any]]:
    """One dict per unit, in the API's shape plus display extras (name, series address)."""
    rows = []
    for i, p in enumerate(data.points):
        rows.append(
            {
                "unit": p.code,
                "name": p.name,
                "series_id": p.series_id,
                "numerator": p.numerator,
                "denominator": p.denominator,
                "value": float(result.values[i]),
                "lower_95": float(result.lower_95[i]),
                "upper_95": float(result.upper_95[i]),
                "lower_998": float(result.lower_998[i]),
                "upper_998": float(result.upper_998[i]),
                "flag": str(result.flags[i]),
            }
        )
    return rows


EXPORT_HEADER = [
    "unit_code", "unit", "numerator", "denominator", "value", "lower_998", "lower_95", "upper_95",
    "upper_998", "flag", "centre", "method", "phi", "tau2",
]  # fmt: skip


def export_rows(rows: list[dict[str, Any]], result: fm.Funnel) -> list[list[Any]]:
    return [
        [
            r["unit"], r["name"], r["numerator"], r["denominator"], r["value"], r["lower_998"], r["lower_95"],
            r["upper_95"], r["upper_998"], flag_text(r["flag"]), result.centre, result.method, result.phi,
            result.tau2,
        ]
        for r in rows
    ]  # fmt: skip


GAP_HEADER = ["unit_code", "unit", "value", "denominator", "potential", "gap", "events_per_period"]


def gap_export_rows(rows: list[GapRow], potential: float | None) -> list[list[Any]]:
    return [
        [r.point.code, r.point.name, r.value, r.point.denominator, potential, r.gap, r.events] for r in rows
    ]


# ------------------------------------------------------------------------------------------------
# The funnel plot as SVG


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def funnel_svg(
    data: PeerData,
    result: fm.Funnel,
    *,
    title: str,
    chosen: str | None = None,
    width: int = 760,
    height: int = 440,
) -> str:
    """The funnel plot: value (y) against denominator (x), 95% and 99.8% limits, the centre line, each
    unit a point linking to its series, the chosen unit highlighted; method, φ and τ² stated."""
    proportion = data.kind == "proportion"
    n = result.denominators
    values = result.values
    digest = hashlib.sha1((title + str(len(n)) + str(chosen)).encode(), usedforsecurity=False).hexdigest()[
        :10
    ]
    uid = f"funnel-{digest}"
    left, right, top, bottom = 70, 20, 50, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = float(n.max()) * 1.05
    x_min_curve = max(float(n.min()) * 0.5, 1.0 if proportion else float(n.min()) * 0.5)
    xs = np.geomspace(x_min_curve, x_max, 120)
    curve = result.curve(xs)
    spread = np.concatenate([values, result.lower_998, result.upper_998, [result.centre]])
    y_low, y_high = float(np.nanmin(spread)), float(np.nanmax(spread))
    pad = (y_high - y_low) * 0.08 or 0.05
    y_low, y_high = y_low - pad, y_high + pad
    if proportion:
        y_low, y_high = max(0.0, y_low), min(1.0, y_high)
    else:
        y_low = max(0.0, y_low)
    if y_high <= y_low:
        y_high = y_low + 1

    def sx(x: float) -> float:
        return left + plot_w * x / x_max

    def sy(y: float) -> float:
        return top + plot_h * (1 - (min(max(y, y_low), y_high) - y_low) / (y_high - y_low))

    def fmt(y: float) -> str:
        return value_text(y, proportion, data.measure.label)

    out: list[str] = []
    method = METHOD_TEXT.get(result.method, result.method)
    desc = (
        f"Funnel plot of {data.measure.name} for {len(result)} {data.group.describe()}"
        f"{', ' + data.period.isoformat() if data.period else ''}. Centre {fmt(result.centre)}; limits at 95% "
        f"and 99.8%; {method}; φ = {result.phi:.3g}, τ² = {result.tau2:.3g}. "
        + ", ".join(f"{sum(1 for f in result.flags if f == k)} {FLAG_TEXT[k].lower()}" for k in fm.FLAGS)
        + ". The table beside the chart gives every unit's figures."
    )
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" class="spiral-funnel" '
        f'aria-labelledby="{uid}-title {uid}-desc">'
    )
    out.append(f'<title id="{uid}-title">{escape(title)}</title>')
    out.append(f'<desc id="{uid}-desc">{escape(desc)}</desc>')
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    # Axes and ticks.
    out.append(
        f'<g font-family="Arial, sans-serif" font-size="12" fill="#4c6272">'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#aeb7bd"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#aeb7bd"/>'
    )
    for t in _nice_ticks(y_low, y_high):
        out.append(
            f'<line x1="{left - 4}" y1="{sy(t):.1f}" x2="{left + plot_w}" y2="{sy(t):.1f}" stroke="#eef0f1"/>'
            f'<text x="{left - 8}" y="{sy(t) + 4:.1f}" text-anchor="end">{escape(value_text(t, proportion))}</text>'
        )
    for t in _nice_ticks(0, x_max):
        out.append(f'<text x="{sx(t):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{t:,.0f}</text>')
    den_label = data.measure.denominator_definition or "Denominator"
    if data.measure.label and not proportion:
        out.append(
            f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
            f"{escape(data.measure.label)}</text>"
        )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">{escape(den_label)}</text></g>'
    )

    # Limits and centre.
    def line(ys: np.ndarray, style: str) -> str:
        pts = " ".join(
            f"{sx(float(x)):.1f},{sy(float(y)):.1f}" for x, y in zip(xs, ys, strict=True) if np.isfinite(y)
        )
        return f'<polyline fill="none" points="{pts}" {style}/>'

    out.append('<g aria-hidden="true">')
    for name in ("lower_998", "upper_998"):
        out.append(line(curve[name], 'stroke="#425563" stroke-width="1.5"'))
    for name in ("lower_95", "upper_95"):
        out.append(line(curve[name], 'stroke="#425563" stroke-width="1.2" stroke-dasharray="6 4"'))
    out.append(
        f'<line x1="{left}" y1="{sy(result.centre):.1f}" x2="{left + plot_w}" y2="{sy(result.centre):.1f}" '
        f'stroke="#005eb8" stroke-width="1.5"/>'
    )
    out.append("</g>")
    # Points: each links to the unit's series.
    out.append('<g class="spiral-funnel__points">')
    chosen_mark = ""
    url_of = series_url_maker()
    for i, p in enumerate(data.points):
        flag = str(result.flags[i])
        is_chosen = chosen is not None and p.code == chosen
        colour = COLOURS["chosen"] if is_chosen else COLOURS[flag.split("_")[0]]
        radius = 7 if is_chosen else 4
        tip = (
            f"{p.name} ({p.code}): {fmt(float(values[i]))}, {p.numerator:,.0f} of {p.denominator:,.0f}"
            f" — {FLAG_TEXT[flag]}"
        )
        dot = (
            f'<circle cx="{sx(float(n[i])):.1f}" cy="{sy(float(values[i])):.1f}" r="{radius}" fill="{colour}" '
            f'fill-opacity="{1 if is_chosen else 0.75}" stroke="#ffffff" stroke-width="1"><title>{escape(tip)}</title></circle>'
        )
        href = url_of(p.series_id)
        if href:
            dot = f'<a href="{escape(href)}" xlink:href="{escape(href)}" aria-label="{escape(tip)}">{dot}</a>'
        if is_chosen:
            cx = sx(float(n[i]))
            at_right = cx > left + plot_w / 2
            chosen_mark = dot + (
                f'<text x="{cx - 10 if at_right else cx + 10:.1f}" y="{sy(float(values[i])) - 9:.1f}" '
                f'text-anchor="{"end" if at_right else "start"}" font-family="Arial, sans-serif" '
                f'font-size="13" font-weight="bold" fill="#003087">{escape(p.name)}</text>'
            )
            continue
        out.append(dot)
    out.append(chosen_mark)  # drawn last, on top
    out.append("</g>")
    stats = f"{method[0].upper()}{method[1:]}; φ = {result.phi:.3g}; τ² = {result.tau2:.3g}; centre {fmt(result.centre)}."
    out.append(
        f'<text x="{left}" y="18" font-family="Arial, sans-serif" font-size="14" font-weight="bold" fill="#212b32">'
        f"{escape(title)}</text>"
        f'<text x="{left}" y="36" font-family="Arial, sans-serif" font-size="12" fill="#4c6272">{escape(stats)} '
        f"Dashed lines: 95% limits; solid: 99.8%.</text>"
    )
    out.append("</svg>")
    return "".join(out)


def trend_svg(
    rows: Sequence[dict[str, Any]], *, title: str, proportion: bool, width: int = 760, height: int = 240
) -> Markup:
    """The chosen unit's value beside the peers' median, period by period (a simple line chart)."""
    points = [(i, r) for i, r in enumerate(rows)]
    values = [v for _, r in points for v in (r["value"], r["median"]) if v is not None]
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 0.05
    low, high = low - pad, high + pad
    left, right, top, bottom = 70, 20, 20, 36
    pw, ph = width - left - right, height - top - bottom
    step = pw / max(len(rows) - 1, 1)

    def sy(y: float) -> float:
        return top + ph * (1 - (y - low) / (high - low))

    def poly(key: str, style: str) -> str:
        pts = " ".join(f"{left + i * step:.1f},{sy(r[key]):.1f}" for i, r in points if r[key] is not None)
        return f'<polyline fill="none" points="{pts}" {style}/>'

    labels = "".join(
        f'<text x="{left + i * step:.1f}" y="{height - 14}" text-anchor="middle">{escape(r["label"])}</text>'
        for i, r in points
        if i % max(1, len(rows) // 6) == 0
    )
    ticks = "".join(
        f'<text x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{escape(value_text(t, proportion))}</text>'
        for t in _nice_ticks(low, high, 4)
    )
    return Markup(  # noqa: S704 - every text interpolated above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<g font-family="Arial, sans-serif" font-size="12" fill="#4c6272">{labels}{ticks}</g>'
        + poly("median", 'stroke="#768692" stroke-width="2" stroke-dasharray="5 4"')
        + poly("value", 'stroke="#005eb8" stroke-width="2.5"')
        + "</svg>"
    )


__all__ = ["BEST_LABELS", "FLAG_TEXT", "METHOD_TEXT"]
