"""Display shaping shared by the pages, the API and the exports: flag wording (docs/reference/qi.md §5:
beyond 95% is an "alert", beyond 99.8% an "alarm"; never a league-table rank), numbers, the gap sentence,
and the funnel plot as a server-side SVG."""

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
from spiral.core.axes import linear_scale, nice_ticks
from spiral.core.chartpoints import CHAR_WIDTH, Bounds, both_widths, point, tick_label_width, wrap
from spiral.spc.svg import COLOURS as MDC_COLOURS
from spiral.spc.svg import NARROW_WIDTH

FLAG_TEXT = {
    "above_998": "Above the 99.8% limit (alarm)",
    "above_95": "Above the 95% limit (alert)",
    "within": "Within the limits",
    "below_95": "Below the 95% limit (alert)",
    "below_998": "Below the 99.8% limit (alarm)",
}
METHOD_TEXT = {
    "auto": "automatic: additive random effects (τ²) when the χ² test finds overdispersion, else exact limits",
    "none": "no overdispersion adjustment (exact limits)",
    "phi": "multiplicative overdispersion (φ)",
    "tau2": "additive random effects (τ²)",
}
FREQUENCY_WORDS = {"day": "a day", "week": "a week", "month": "a month", "quarter": "a quarter"}
# Making Data Count's colours, as on the SPC charts (spiral.spc.svg): blue for improvement, orange for
# concern, purple for a measure with no direction, grey within the limits.
COLOURS = {
    "better": MDC_COLOURS["improvement"],
    "worse": MDC_COLOURS["concern"],
    "neutral": MDC_COLOURS["neutral"],
    "within": MDC_COLOURS["common"],
    "chosen": "#212b32",  # the chosen unit's outline
}
LEGEND_TEXT = {  # short, to fit one row of the chart
    "better": "Better (improvement)",
    "worse": "Worse (concern)",
    "neutral": "Beyond the limits (no direction)",
    "within": "Within the limits",
}
JUDGEMENT_TEXT = {
    "better": "better than expected (improvement)",
    "worse": "worse than expected (concern)",
    "neutral": "beyond the limits (this measure has no better direction)",
    "within": "within the limits",
}


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


def with_method(query: str, method: str) -> str:
    """The page's query string with `method` replaced (the links to the other methods)."""
    from urllib.parse import parse_qsl, urlencode

    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "method"]
    return urlencode([*pairs, ("method", method)])


def limits_text(result: fm.Funnel, method: str) -> str:
    """What limits `method` drew in `result`, in a few words (the methods table)."""
    exact = "exact binomial" if result.kind == "proportion" else "exact Poisson"
    if result.applied == "phi":
        return f"widened by √φ = {math.sqrt(result.phi):.3g}"
    if result.applied == "tau2":
        return f"allow for differences between units: τ² = {result.tau2:.3g}"
    if method == "phi":
        return f"not applied (the points are not overdispersed): {exact}"
    return exact


def judgement_text(judgement: str) -> str:
    return JUDGEMENT_TEXT.get(judgement, judgement)


def _p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.2g}"


def query_with(query: str, **changes: str) -> str:
    """The page's query string (urlencoded) with some parameters replaced."""
    from urllib.parse import parse_qsl, urlencode

    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in changes]
    return urlencode([*pairs, *changes.items()])


def method_sentence(result: fm.Funnel, peers: str) -> str:
    """Which limits the funnel plot draws and why, in words: `peers` is the peers' kind, plural
    ("organisations"). φ, the χ² test and τ² are always given (docs/reference/qi.md §5)."""
    exact = "exact binomial" if result.kind == "proportion" else "exact Poisson"
    spread = f"φ = {result.phi:.3g}, χ² {_p_text(result.p_value)}"
    if result.overdispersed:
        varies = f"The points vary more than chance allows ({spread})"
    else:
        varies = f"The points vary no more than chance allows ({spread})"
    if result.applied == "tau2":
        allow = f"the limits allow for differences between {peers} (additive random effects, τ² = {result.tau2:.3g})"
        if result.method == "auto":
            return f"{varies}, so {allow}."
        return f"{varies}; as chosen, {allow}."
    if result.applied == "phi":
        return f"{varies}, so the limits are widened by √φ (multiplicative overdispersion, as chosen)."
    if result.method == "auto":
        return f"{varies}, so the limits are the {exact} ones, with no allowance for overdispersion."
    if result.method == "phi":
        return f"{varies}, so the limits are left unadjusted: the {exact} ones."
    if result.overdispersed:
        return (
            f"{varies}; as chosen, the limits are the {exact} ones, with no allowance for it, so many "
            f"{peers} may be flagged for differences that chance alone does not explain."
        )
    return f"{varies}; as chosen, the limits are the {exact} ones."


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
                "judgement": str(result.judgements[i]),
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
            r["upper_95"], r["upper_998"], flag_text(r["flag"]), result.centre, result.applied, result.phi,
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


def funnel_svg(
    data: PeerData,
    result: fm.Funnel,
    *,
    title: str,
    chosen: str | None = None,
    width: int | None = None,
    height: int | None = None,
    narrow: bool = False,
) -> str:
    """The funnel plot: value (y) against denominator (x), 95% and 99.8% limits, the centre line, each
    unit a point linking to its series, coloured by its judgement (Making Data Count: blue better,
    orange worse, purple beyond the limits with no direction, grey within; filled beyond 99.8%, a ring
    beyond 95% only) with a legend saying so; the chosen unit outlined; method, φ and τ² stated.

    Each point is a link named for screen readers, its tooltip shown on focus (spiral.core.chartpoints);
    the chart is a group, not an image, so the links are not nested in an image. The tick labels set the
    margins. narrow: the phone layout, 340 wide, the heading and legend wrapped, type of 13 px."""
    width = width or (NARROW_WIDTH if narrow else 760)
    proportion = data.kind == "proportion"
    n = result.denominators
    values = result.values
    digest = hashlib.sha1((title + str(len(n)) + str(chosen)).encode(), usedforsecurity=False).hexdigest()[
        :10
    ]
    uid = f"funnel-{digest}{'-n' if narrow else ''}"
    fs_title, fs_text = (15, 13) if narrow else (14, 12)
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
    y_ticks = nice_ticks(y_low, y_high, 4 if narrow else 5, through_high=False)
    y_tick_labels = [value_text(t, proportion) for t in y_ticks]
    x_ticks = nice_ticks(0, x_max, 3 if narrow else 5, through_high=False)
    x_tick_labels = [f"{t:,.0f}" for t in x_ticks]

    def fmt(y: float) -> str:
        return value_text(y, proportion, data.measure.label)

    method = METHOD_TEXT.get(result.applied, result.applied)
    if result.method == "auto":
        method = f"automatic, {method}"
    stats = (
        f"{method[0].upper()}{method[1:]}; φ = {result.phi:.3g}; τ² = {result.tau2:.3g}; centre "
        f"{fmt(result.centre)}. Dashed lines: 95% limits; solid: 99.8%."
    )
    # Margins from the labels: the y axis's title (rotated, at x=14), then the widest tick label; on the
    # right, half the widest tick label of the x axis.
    left = max(50 if narrow else 70, math.ceil(30 + tick_label_width(y_tick_labels, fs_text)))
    right = max(12 if narrow else 20, math.ceil(tick_label_width(x_tick_labels, fs_text) / 2) + 4)
    heading_x = 12 if narrow else left
    line_room = width - heading_x - 8
    title_lines = wrap(title, int(line_room / ((CHAR_WIDTH + 0.04) * fs_title))) or [""]
    stats_lines = wrap(stats, int(line_room / (CHAR_WIDTH * fs_text)))
    heading: list[str] = []
    y_at = 18.0
    for heading_line in title_lines:
        heading.append(
            f'<text x="{heading_x}" y="{y_at:.0f}" font-size="{fs_title}" font-weight="bold" fill="#212b32">'
            f"{escape(heading_line)}</text>"
        )
        y_at += fs_title + 4
    for heading_line in stats_lines:
        heading.append(f'<text x="{heading_x}" y="{y_at:.0f}" fill="#4c6272">{escape(heading_line)}</text>')
        y_at += fs_text + 5
    legend, y_at = _legend(result, heading_x, y_at + 2, width - 8, fs_text)
    top = int(y_at) + 8
    bottom = 56
    if height is None:
        height = top + (250 if narrow else 314) + bottom
    plot_w, plot_h = width - left - right, height - top - bottom

    sx = linear_scale((0, x_max), (left, left + plot_w))
    y_scale = linear_scale((y_high, y_low), (top, top + plot_h))

    def sy(y: float) -> float:
        return y_scale(min(max(y, y_low), y_high))  # a point off the scale sits on its edge

    out: list[str] = []
    judged = [j for j in ("better", "worse", "neutral") if (result.judgements == j).any()]
    desc = (
        f"Funnel plot of {data.measure.name} for {len(result)} {data.group.describe()}"
        f"{', ' + data.period.isoformat() if data.period else ''}. Centre {fmt(result.centre)}; limits at 95% "
        f"and 99.8%; {method}; φ = {result.phi:.3g}, τ² = {result.tau2:.3g}. "
        + ", ".join(f"{sum(1 for f in result.flags if f == k)} {FLAG_TEXT[k].lower()}" for k in fm.FLAGS)
        + "".join(f"; {result.count(j)} {JUDGEMENT_TEXT[j]}" for j in judged)
        + ". Each point is a link to its unit's series. The table beside the chart gives every unit's figures."
    )
    # A group, not an image: its points are links (an image's children are presentational).
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height}" '
        + (f'width="{width}" height="{height}" ' if narrow else 'width="100%" ')
        + f'role="group" class="spiral-funnel{" spiral-funnel--narrow" if narrow else ""}" '
        f'aria-labelledby="{uid}-title" aria-describedby="{uid}-desc" font-family="Arial, sans-serif">'
    )
    out.append(f'<title id="{uid}-title">{escape(title)}</title>')
    out.append(f'<desc id="{uid}-desc">{escape(desc)}</desc>')
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    out.append(f'<g font-size="{fs_text}" aria-hidden="true">{"".join(heading)}{legend}</g>')
    # Axes and ticks.
    out.append(
        f'<g font-size="{fs_text}" fill="#4c6272" aria-hidden="true">'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#aeb7bd"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#aeb7bd"/>'
    )
    for t, text in zip(y_ticks, y_tick_labels, strict=True):
        out.append(
            f'<line x1="{left - 4}" y1="{sy(t):.1f}" x2="{left + plot_w}" y2="{sy(t):.1f}" stroke="#eef0f1"/>'
            f'<text x="{left - 8}" y="{sy(t) + 4:.1f}" text-anchor="end">{escape(text)}</text>'
        )
    for t, text in zip(x_ticks, x_tick_labels, strict=True):
        out.append(f'<text x="{sx(t):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{text}</text>')
    den_label = data.measure.denominator_definition or "Denominator"
    if data.measure.label and not proportion:
        out.append(
            f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
            f"{escape(data.measure.label)}</text>"
        )
    den_lines = wrap(den_label, int((width - 16) / (CHAR_WIDTH * fs_text)))[:2] or [""]
    for k, den_line in enumerate(den_lines):
        out.append(
            f'<text x="{left + plot_w / 2}" y="{height - 30 + 16 * k + (8 if len(den_lines) == 1 else 0)}" '
            f'text-anchor="middle">{escape(den_line)}</text>'
        )
    out.append("</g>")

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
    # Points, from left to right (so a tooltip, to the left of its point, lies over the points before it):
    # each links to the unit's series.
    out.append('<g class="spiral-funnel__points">')
    chosen_mark = chosen_name = ""
    url_of = series_url_maker()
    band = Bounds(4, 4, width - 4, top - 10)  # the tooltips' strip, over the heading
    for i in sorted(range(len(data.points)), key=lambda k: float(n[k])):
        p = data.points[i]
        flag = str(result.flags[i])
        judgement = str(result.judgements[i])
        is_chosen = chosen is not None and p.code == chosen
        colour = COLOURS[judgement]
        radius = (7 if is_chosen else 4) + (1 if narrow else 0)
        tip = (
            f"{p.name} ({p.code}): {fmt(float(values[i]))}, {p.numerator:,.0f} of {p.denominator:,.0f}"
            f" — {FLAG_TEXT[flag]}" + ("" if judgement == "within" else f": {JUDGEMENT_TEXT[judgement]}")
        )
        ring = flag in ("above_95", "below_95")  # beyond 95% only: a ring; beyond 99.8%: filled
        if ring:
            paint = f'fill="#ffffff" stroke="{colour}" stroke-width="{3 if is_chosen else 2}"'
        else:
            opacity = 1 if flag != "within" or is_chosen else 0.8
            paint = f'fill="{colour}" fill-opacity="{opacity}" stroke="#ffffff" stroke-width="1"'
        cx, cy = sx(float(n[i])), sy(float(values[i]))
        dot = (
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" {paint}><title>{escape(tip)}</title></circle>'
        )
        if is_chosen:  # outlined, keeping its judgement's colour inside
            dot = (
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius + 3}" fill="none" '
                f'stroke="{COLOURS["chosen"]}" stroke-width="2"/>{dot}'
            )
        dot = point(dot, cx, cy, tip, band=band, font_size=fs_text, href=url_of(p.series_id))
        if is_chosen:
            at_right = cx > left + plot_w / 2
            chosen_mark = dot
            chosen_name = (
                f'<text x="{cx - 10 if at_right else cx + 10:.1f}" y="{cy - 9:.1f}" '
                f'text-anchor="{"end" if at_right else "start"}" font-size="13" font-weight="bold" '
                f'fill="#003087" aria-hidden="true">{escape(p.name)}</text>'
            )
            continue
        out.append(dot)
    out.append(chosen_mark)  # drawn last, on top
    out.append("</g>")
    if chosen_name:  # its name before the points, so no tooltip is hidden by it
        out.insert(out.index('<g class="spiral-funnel__points">'), chosen_name)
    out.append("</svg>")
    return "".join(out)


def funnel_html(data: PeerData, result: fm.Funnel, *, title: str, chosen: str | None = None) -> Markup:
    """The funnel plot for a page: its wide layout and its phone layout, one shown at a time by the
    stylesheet (spiral.core.chartpoints.both_widths)."""
    wide = funnel_svg(data, result, title=title, chosen=chosen)
    narrow = funnel_svg(data, result, title=title, chosen=chosen, narrow=True)
    return Markup(both_widths(wide, narrow))  # noqa: S704 - funnel_svg escapes every text it interpolates


def _legend(result: fm.Funnel, x: float, y: float, limit: float, font_size: float) -> tuple[str, float]:
    """The key to the points' colours and shapes (the judgements this measure can have), in rows that
    wrap before `limit`; returns the markup and the y below it."""
    kinds = ["neutral"] if result.improvement == "neutral" else ["better", "worse"]
    items = [
        (f'<circle cx="{{cx}}" cy="{{cy}}" r="5" fill="{COLOURS[k]}"/>', LEGEND_TEXT[k])
        for k in [*kinds, "within"]
    ]
    items.append(
        (
            '<circle cx="{cx}" cy="{cy}" r="4" fill="#ffffff" stroke="#4c6272" stroke-width="2"/>',
            "Ring: beyond 95% only; filled: beyond 99.8%",
        )
    )
    y += font_size
    parts = ['<g class="spiral-funnel__legend">']
    at = x
    for marker, text in items:
        advance = 22 + CHAR_WIDTH * font_size * len(text)
        if at > x and at + advance > limit:
            at, y = x, y + font_size + 7
        parts.append(
            marker.format(cx=f"{at + 5:.1f}", cy=f"{y - 4:.1f}")
            + f'<text x="{at + 14:.1f}" y="{y:.1f}" fill="#212b32">{escape(text)}</text>'
        )
        at += advance
    parts.append("</g>")
    return "".join(parts), y + 6


def trend_svg(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    proportion: bool,
    width: int | None = None,
    height: int = 240,
    narrow: bool = False,
) -> Markup:
    """The chosen unit's value beside the peers' median, period by period (a simple line chart);
    `narrow`, the phone layout (340 wide, drawn at its own size: type of 13 px, fewer periods named)."""
    width = width or (NARROW_WIDTH if narrow else 760)
    points = [(i, r) for i, r in enumerate(rows)]
    values = [v for _, r in points for v in (r["value"], r["median"]) if v is not None]
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 0.05
    low, high = low - pad, high + pad
    tick_values = nice_ticks(low, high, 4, through_high=False)
    font_size = 13 if narrow else 12
    left = max(
        50 if narrow else 70,
        math.ceil(14 + tick_label_width([value_text(t, proportion) for t in tick_values], font_size)),
    )
    widest = tick_label_width([str(r["label"]) for r in rows], font_size)
    right, top, bottom = max(20, math.ceil(widest / 2) + 4), 20, 36
    pw, ph = width - left - right, height - top - bottom
    step = pw / max(len(rows) - 1, 1)

    sy = linear_scale((high, low), (top, top + ph))

    def poly(key: str, style: str) -> str:
        pts = " ".join(f"{left + i * step:.1f},{sy(r[key]):.1f}" for i, r in points if r[key] is not None)
        return f'<polyline fill="none" points="{pts}" {style}/>'

    labels = "".join(
        f'<text x="{left + i * step:.1f}" y="{height - 14}" text-anchor="middle">{escape(r["label"])}</text>'
        for i, r in points
        if i % max(1, math.ceil(len(rows) / min(6, max(1, int(pw / (widest + 12)))))) == 0
    )
    ticks = "".join(
        f'<text x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{escape(value_text(t, proportion))}</text>'
        for t in tick_values
    )
    return Markup(  # noqa: S704 - every text interpolated above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        + (f'width="{width}" height="{height}" ' if narrow else 'width="100%" ')
        + f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<g font-family="Arial, sans-serif" font-size="{font_size}" fill="#4c6272">{labels}{ticks}</g>'
        + poly("median", 'stroke="#768692" stroke-width="2" stroke-dasharray="5 4"')
        + poly("value", 'stroke="#005eb8" stroke-width="2.5"')
        + "</svg>"
    )


def trend_html(rows: Sequence[dict[str, Any]], *, title: str, proportion: bool) -> Markup:
    """The trend chart for a page: its wide and its phone layout, one shown at a time (spiral.css)."""
    wide = trend_svg(rows, title=title, proportion=proportion)
    if not wide:
        return wide
    narrow = trend_svg(rows, title=title, proportion=proportion, narrow=True)
    return Markup(both_widths(wide, narrow))  # noqa: S704 - trend_svg escapes every text it draws


__all__ = ["BEST_LABELS", "FLAG_TEXT", "METHOD_TEXT"]
