"""Server-side SVG of an `Analysis` in Making Data Count style: no JavaScript, accessible, printable.

Common-cause points grey, improvement blue, concern orange, neutral special cause purple (the
NHSRplotthedots palette); mean solid, process limits dashed, target dotted red; limits step at a
rebase; one <title> tooltip per point (date, value, signals); the two MDC icons as small badges
with their meaning in text; the whole chart titled and described for screen readers. Periods after the
analysed ones that have not ended yet (`pending`) are drawn as hollow markers on a dashed line, labelled
"incomplete", outside the limits, the rules and the icons.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spiral.core.axes import linear_scale, nice_ticks
from spiral.core.chartpoints import CHAR_WIDTH, Bounds, point, text_width, wrap

from ._analysis import Analysis
from ._constants import RULES
from ._validate import SPCError

COLOURS = {
    "common": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "line": "#a6a6a6",
    "mean": "#000000",
    "limit": "#7f7f7f",
    "target": "#de1b1b",
    "axis": "#425563",
    "text": "#212b32",
    "grid": "#e8edee",
    "incomplete": "#425563",
}
INCOMPLETE_TEXT = "incomplete: the period has not ended, so it is not used for the limits, rules or icons"

RULE_TEXT = {
    "outside_limits": "outside the process limits",
    "shift": "run of 7 on one side of the mean",
    "trend": "trend of 7 rising or falling",
    "two_of_three": "2 of 3 near a limit",
}
TYPE_TEXT = {
    "common": "common cause",
    "improvement": "special cause, improvement",
    "concern": "special cause, concern",
    "neutral": "special cause, neither improvement nor concern",
}
VARIATION_TEXT = {
    "common_cause": ("Common cause variation: no significant change", "common", "~"),
    "improvement_high": ("Special cause variation, improving: higher values", "improvement", "H"),
    "improvement_low": ("Special cause variation, improving: lower values", "improvement", "L"),
    "concern_high": ("Special cause variation, concerning: higher values", "concern", "H"),
    "concern_low": ("Special cause variation, concerning: lower values", "concern", "L"),
    "neither_high": (
        "Special cause variation, neither improving nor concerning: higher values",
        "neutral",
        "H",
    ),
    "neither_low": (
        "Special cause variation, neither improving nor concerning: lower values",
        "neutral",
        "L",
    ),
}
ASSURANCE_TEXT = {
    "pass": ("Assurance: the process will consistently meet the target", "improvement", "P"),
    "fail": ("Assurance: the process will consistently miss the target", "concern", "F"),
    "hit_and_miss": (
        "Assurance: the target lies within the process limits; it will be met and missed at random",
        "common",
        "?",
    ),
}

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: Any) -> str:
    """Text safe inside an element or a double-quoted attribute."""
    cleaned = _INVALID_XML.sub("", str(text))
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def format_number(value: float, *, percent: bool = False) -> str:
    """Short human format: thousands separators, few decimals; proportions as percentages."""
    if value is None or not math.isfinite(value):
        return "missing"
    if percent:
        return f"{format_number(value * 100)}%"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        text = f"{value:.1f}"
    elif magnitude >= 1 or magnitude == 0:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _annotation_index(note: Any, position: int, analysis: Analysis) -> tuple[int, str]:
    def get(key: str) -> Any:
        if isinstance(note, Mapping):
            return note.get(key)
        return getattr(note, key, None)

    text = get("text")
    if text is None:
        raise SPCError(f"annotations[{position}]: no text")
    index, date = get("index"), get("date")
    if index is not None:
        if (
            isinstance(index, bool)
            or not isinstance(index, int | np.integer)
            or not 0 <= index < len(analysis)
        ):
            raise SPCError(f"annotations[{position}]: index {index!r} is not a point of the chart")
        return int(index), str(text)
    labels = [str(d) for d in analysis.dates] if analysis.dates is not None else []
    if date is not None and str(date) in labels:
        return labels.index(str(date)), str(text)
    raise SPCError(f"annotations[{position}]: {date!r} is not one of the chart's dates (give index or date)")


class _Frame:
    """Maps point indexes and values to SVG coordinates."""

    def __init__(self, n: int, low: float, high: float, box: tuple[float, float, float, float]) -> None:
        self.n = n
        self.left, self.top, self.right, self.bottom = box
        self.low, self.high = low, high
        self.step = (self.right - self.left) / max(n, 1)
        self.y = linear_scale((low, high), (self.bottom, self.top))

    def x(self, i: float) -> float:
        return self.left + (i + 0.5) * self.step


def _step_path(values: np.ndarray, frame: _Frame, periods: np.ndarray) -> str:
    """Stepped path: a level per point (limits vary with p and u), a step where they change, a gap
    at missing values."""
    parts: list[str] = []
    previous_defined = False
    for i, value in enumerate(values.tolist()):
        if value is None or not math.isfinite(value):
            previous_defined = False
            continue
        x0, x1 = frame.x(i) - frame.step / 2, frame.x(i) + frame.step / 2
        y = frame.y(value)
        if previous_defined and periods[i] == periods[i - 1]:
            parts.append(f"V{y:.2f}H{x1:.2f}")
        else:
            parts.append(f"M{x0:.2f},{y:.2f}H{x1:.2f}")
        previous_defined = True
    return "".join(parts)


def _value_path(values: np.ndarray, frame: _Frame, start: int = 0) -> str:
    """The line through the values (the first at period `start`), lifted over missing ones."""
    parts: list[str] = []
    pen_down = False
    for i, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{frame.x(start + i):.2f},{frame.y(value):.2f}")
        pen_down = True
    return "".join(parts)


def _badge(cx: float, cy: float, colour_key: str, symbol: str, label: str, kind: str) -> str:
    fill = COLOURS[colour_key]
    return (
        f'<g class="spc-icon spc-icon-{kind}" role="img" aria-label="{_esc(label)}">'
        f"<title>{_esc(label)}</title>"
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="17" fill="#ffffff" stroke="{fill}" stroke-width="3"/>'
        f'<text x="{cx:.1f}" y="{cy + 5:.1f}" text-anchor="middle" font-size="15" font-weight="bold" '
        f'fill="{fill}">{_esc(symbol)}</text></g>'
    )


def _pending(pending: Sequence[tuple[Any, Any]] | None) -> list[tuple[str, float]]:
    """Periods after the analysed ones as (label, value), NaN where nothing was observed."""
    out: list[tuple[str, float]] = []
    for position, item in enumerate(pending or ()):
        try:
            label, value = item
            number = math.nan if value is None else float(value)
        except (TypeError, ValueError):
            raise SPCError(f"pending[{position}]: give (label, value), value a number or None") from None
        label = label.isoformat() if hasattr(label, "isoformat") else str(label)
        out.append((label, number))
    return out


def _describe(
    analysis: Analysis,
    title: str,
    unit_label: str,
    percent: bool,
    notes: list[str],
    pending: Sequence[tuple[str, float]] = (),
) -> str:
    n = len(analysis)
    valid = np.flatnonzero(~np.isnan(analysis.values))
    chart_names = {
        "run": "Run chart",
        "xmr": "XmR chart",
        "p": "p chart",
        "pprime": "Laney p′ chart",
        "u": "u chart",
        "uprime": "Laney u′ chart",
        "c": "c chart",
    }
    parts = [f"{chart_names[analysis.chart]} of {title}", f"{len(valid)} of {n} periods have a value."]
    if len(valid):
        last = int(valid[-1])
        label = analysis.dates[last] if analysis.dates is not None else f"point {last + 1}"
        centre_name = "median" if analysis.chart == "run" else "mean"
        parts.append(
            f"Latest ({label}): {format_number(analysis.values[last], percent=percent)}{unit_label}; "
            f"{centre_name} {format_number(analysis.centre[last], percent=percent)}"
        )
        if math.isfinite(analysis.lcl[last]) and math.isfinite(analysis.ucl[last]):
            parts[-1] += (
                f", process limits {format_number(analysis.lcl[last], percent=percent)} to "
                f"{format_number(analysis.ucl[last], percent=percent)}"
            )
        parts[-1] += "."
    counts = {kind: analysis.point_type.count(kind) for kind in ("improvement", "concern", "neutral")}
    special = ", ".join(f"{v} {TYPE_TEXT[k]}" for k, v in counts.items() if v)
    if special:
        parts.append(f"Special cause points: {special}.")
    if analysis.variation_icon:
        parts.append(VARIATION_TEXT[analysis.variation_icon][0] + ".")
    if analysis.assurance_icon:
        parts.append(ASSURANCE_TEXT[analysis.assurance_icon][0] + ".")
    shown = [(label, v) for label, v in pending if math.isfinite(v)]
    if shown:
        listed = "; ".join(f"{label}: {format_number(v, percent=percent)}{unit_label}" for label, v in shown)
        parts.append(
            f"Incomplete, drawn hollow ({'the period has' if len(shown) == 1 else 'these periods have'} "
            f"not ended, so not used for the limits, rules or icons): {listed}."
        )
    if analysis.runs is not None and analysis.runs.n_useful:
        r = analysis.runs
        verdict = "non-random variation" if r.signal else "no sign of non-random variation"
        parts.append(
            f"Runs analysis: longest run {r.longest_run} (signal above {r.longest_run_max}), "
            f"{r.crossings} crossings (signal below {r.crossings_min}): {verdict}."
        )
    parts.extend(notes)
    return " ".join(parts)


def _incomplete_points(
    values: np.ndarray,
    later: list[tuple[str, float]],
    frame: _Frame,
    percent: bool,
    unit_suffix: str,
    *,
    band: Bounds,
    font_size: float,
) -> str:
    """The periods not yet ended: a dashed line on from the last analysed value, hollow markers, each
    labelled "incomplete" and with a tooltip saying why it is not an ordinary point."""
    n = len(values)
    chain = np.concatenate([values[-1:], [v for _, v in later]]) if n else np.array([v for _, v in later])
    offset = n - 1 if n else 0
    line = _value_path(np.asarray(chain, dtype=float), frame, start=offset)
    out = ['<g class="spc-incomplete">']
    if "L" in line:
        out.append(
            f'<path d="{line}" fill="none" stroke="{COLOURS["line"]}" stroke-width="1.5" '
            f'stroke-dasharray="4 3"/>'
        )
    for k, (label, value) in enumerate(later):
        if not math.isfinite(value):
            continue
        x, y = frame.x(n + k), frame.y(value)
        tip = f"{label}: {format_number(value, percent=percent)}{unit_suffix}; {INCOMPLETE_TEXT}"
        marker = (
            f'<circle class="spc-point-incomplete" cx="{x:.2f}" cy="{y:.2f}" r="4.5" fill="#ffffff" '
            f'stroke="{COLOURS["incomplete"]}" stroke-width="2"><title>{_esc(tip)}</title></circle>'
        )
        out.append(point(marker, x, y, tip, band=band, font_size=font_size))
        out.append(
            f'<text x="{x:.2f}" y="{y - 9:.2f}" text-anchor="middle" font-size="{font_size - 1:g}" '
            f'fill="{COLOURS["incomplete"]}" aria-hidden="true">incomplete</text>'
        )
    out.append("</g>")
    return "".join(out)


NARROW_WIDTH = 340  # a phone's width less the page's margins: drawn at its own size, the type stays readable


def render_svg(
    analysis: Analysis,
    *,
    title: str,
    unit_label: str = "",
    annotations: Sequence[Mapping[str, Any] | Any] | None = None,
    width: int | None = None,
    height: int | None = None,
    pending: Sequence[tuple[Any, Any]] | None = None,
    narrow: bool = False,
) -> str:
    """Render `analysis` as a standalone SVG document (a str of well-formed XML).

    annotations: items with `text` and either `index` (0-based point) or `date` (a label from
    `analysis.dates`), as dicts or objects; drawn as numbered markers with their text as tooltip.
    pending: the periods after the analysed ones that have not ended yet, as (label, value or None),
    in order: each value is drawn as a hollow "incomplete" marker, never as an ordinary point.
    narrow: the phone layout of the same chart: 340 wide (unless `width` says otherwise), the title
    wrapped, fewer axis labels, type of 13 px or more, as tall as it needs (unless `height` is given).
    Each point takes focus and is named for screen readers (spiral.core.chartpoints); the tick labels
    set the margins, so none is cut off.
    Handles empty and all-missing series, a single point, and run charts (no limits).
    """
    width = width or (NARROW_WIDTH if narrow else 760)
    n = len(analysis)
    later = _pending(pending)
    later_values = np.array([v for _, v in later], dtype=float)
    total = n + len(later)
    percent = analysis.chart in ("p", "pprime")
    unit_suffix = "" if percent or not unit_label else f" {unit_label}"
    notes = [_annotation_index(note, i, analysis) for i, note in enumerate(annotations or [])]
    digest = hashlib.sha1(
        (title + repr(analysis.values.tolist())).encode("utf-8"), usedforsecurity=False
    ).hexdigest()[:10]
    uid = f"spc-{digest}{'-n' if narrow else ''}"
    # Type sizes: at least 12 px wide, 13 px narrow (drawn at its own size on a phone).
    fs_title, fs_legend, fs_axis = (15, 13, 13) if narrow else (17, 12, 12)

    values = analysis.values
    periods = analysis.periods
    lines = {
        "centre": analysis.centre,
        "lcl": analysis.lcl,
        "ucl": analysis.ucl,
    }
    target = analysis.target
    finite = [a[np.isfinite(a)] for a in (values, analysis.centre, analysis.lcl, analysis.ucl)]
    if target is not None:
        finite.append(target[np.isfinite(target)])
    finite.append(later_values[np.isfinite(later_values)])
    pool = np.concatenate(finite) if finite else np.zeros(0)
    has_data = bool(np.isfinite(values).any() or np.isfinite(later_values).any())
    if len(pool):
        low, high = float(pool.min()), float(pool.max())
    else:
        low, high = 0.0, 1.0
    if high - low < 1e-12:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    pad = (high - low) * 0.06
    low, high = low - pad, high + pad
    if percent:
        low, high = max(low, 0.0), min(high, 1.0)
    ticks = nice_ticks(low, high, 4 if narrow else 5)
    tick_labels = [format_number(t, percent=percent) for t in ticks]

    def x_label(i: int) -> str:
        if i >= n:
            return later[i - n][0]
        label = analysis.dates[i] if analysis.dates is not None else i + 1
        return str(label.isoformat() if hasattr(label, "isoformat") else label)

    x_labels = [x_label(i) for i in range(total)]
    widest_x = max((text_width(t, fs_axis) for t in x_labels), default=0.0)

    # Margins from the labels: the y axis's title (rotated, at x=16), then the widest tick label; on the
    # right, half the widest date (the last label is centred on its point).
    left = max(
        52 if narrow else 72, math.ceil(30 + max((text_width(t, fs_axis) for t in tick_labels), default=0))
    )
    right = width - max(12 if narrow else 24, math.ceil(widest_x / 2) + 4 - 10)
    heading_x = 12 if narrow else left

    # The heading: the title (wrapped on a phone), clear of the icons at the top right.
    icons = sum(1 for icon in (analysis.variation_icon, analysis.assurance_icon) if icon)
    icons_width = 44 * icons + 10 if icons else 0
    if narrow:
        per_line = max(12, int((width - heading_x - icons_width - 8) / ((CHAR_WIDTH + 0.04) * fs_title)))
        title_lines = wrap(title, per_line) or [""]
    else:
        title_lines = [title]
    title_ys = [26 + 19 * k for k in range(len(title_lines))]

    out: list[str] = []
    title_markup = "".join(
        f'<text x="{heading_x}" y="{ty}" font-size="{fs_title}" font-weight="bold" fill="{COLOURS["text"]}">'
        f"{_esc(line)}</text>"
        for line, ty in zip(title_lines, title_ys, strict=True)
    )

    # Legend (one line under the title; more on a phone).
    legend = [("mean" if analysis.chart != "run" else "median", "solid")]
    if analysis.chart != "run":
        legend.append(("process limits", "dashed"))
    if target is not None:
        legend.append(("target", "target"))
    short = {
        "common": "common cause",
        "improvement": "improvement",
        "concern": "concern",
        "neutral": "neither",
    }
    items: list[tuple[str, str]] = []
    for label, style in legend:
        colour = COLOURS["target"] if style == "target" else COLOURS["mean" if style == "solid" else "limit"]
        dash = {"solid": "", "dashed": ' stroke-dasharray="6 4"', "target": ' stroke-dasharray="2 3"'}[style]
        items.append(
            (
                f'<line x1="{{x}}" y1="{{y}}" x2="{{x22}}" y2="{{y}}" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
                f'<text x="{{x27}}" y="{{y4}}" fill="{COLOURS["text"]}">{_esc(label)}</text>',
                label,
            )
        )
    for kind in ("common", "improvement", "concern", "neutral"):
        if kind == "common" or kind in analysis.point_type:
            items.append(
                (
                    f'<circle cx="{{x5}}" cy="{{y}}" r="5" fill="{COLOURS[kind]}"/>'
                    f'<text x="{{x27}}" y="{{y4}}" fill="{COLOURS["text"]}">{_esc(short[kind])}</text>',
                    short[kind],
                )
            )
    if np.isfinite(later_values).any():
        items.append(
            (
                f'<circle cx="{{x5}}" cy="{{y}}" r="4.5" fill="#ffffff" stroke="{COLOURS["incomplete"]}" '
                f'stroke-width="2"/><text x="{{x27}}" y="{{y4}}" fill="{COLOURS["text"]}">incomplete</text>',
                "incomplete",
            )
        )
    legend_out = [f'<g class="spc-legend" font-size="{fs_legend}" aria-hidden="true">']
    x: float
    y: float
    line_gap = fs_legend + 7
    x, y = heading_x, max(48, title_ys[-1] + 22)
    for markup, label in items:
        advance = 36 + CHAR_WIDTH * fs_legend * len(label)
        clear_of_icons = width - (icons_width + 8 if y < 60 else 8)
        if x > heading_x and x + advance > clear_of_icons:  # wrap to another line
            x, y = heading_x, y + line_gap
        legend_out.append(markup.format(x=x, x5=x + 11, x22=x + 22, x27=x + 27, y=y, y4=y + 4))
        x += advance
    legend_out.append("</g>")

    # Run charts: the Anhøj verdict in words where the icons would be (on a phone, under the legend).
    verdict_markup = ""
    if analysis.runs is not None and analysis.runs.n_useful:
        r = analysis.runs
        reasons = [w for w, on in (("a long run", r.long_run), ("few crossings", r.few_crossings)) if on]
        verdict = "Non-random variation: " + " and ".join(reasons) if reasons else "Random variation"
        if narrow:
            y += line_gap + 2
            verdict_markup = (
                f'<text class="spc-runs" x="{heading_x}" y="{y + 4}" font-size="{fs_legend}" '
                f'fill="{COLOURS["text"]}">{_esc(verdict)}</text>'
            )
        else:
            verdict_markup = (
                f'<text class="spc-runs" x="{right}" y="26" text-anchor="end" font-size="13" '
                f'fill="{COLOURS["text"]}">{_esc(verdict)}</text>'
            )

    top = max(100, int(y) + 52) if not narrow else int(y) + 40
    if height is None:
        height = top + (220 if narrow else 222) + 58
    bottom = height - 58
    frame = _Frame(max(total, 1), low, high, (left, top, right, bottom))
    band = Bounds(4, 4, width - 4, top - 10)  # the tooltips' strip, over the heading
    desc = _describe(
        analysis, title, unit_suffix, percent, [f"Note at point {i + 1}: {t}." for i, t in notes], later
    )

    # A group, not an image: its points take focus (an image's children are presentational).
    out += [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-labelledby="{uid}-title" '
        f'aria-describedby="{uid}-desc" font-family="Frutiger, Arial, sans-serif" '
        f'class="spc-chart spc-{analysis.chart}{" spc-narrow" if narrow else ""}">',
        f'<title id="{uid}-title">{_esc(title)}</title>',
        f'<desc id="{uid}-desc">{_esc(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<g aria-hidden="true">{title_markup}</g>',
        *legend_out,
    ]

    # Axes and grid.
    out.append(f'<g class="spc-axes" font-size="{fs_axis}" fill="{COLOURS["text"]}" aria-hidden="true">')
    for tick, text in zip(ticks, tick_labels, strict=True):
        y = frame.y(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.2f}" x2="{right}" y2="{y:.2f}" stroke="{COLOURS["grid"]}"/>'
            f'<text x="{left - 6}" y="{y + 4:.2f}" text-anchor="end">{_esc(text)}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{COLOURS["axis"]}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{COLOURS["axis"]}"/>'
    )
    # As many date labels as fit side by side (at most 12), evenly spaced.
    fit = max(1, int((right - left) / (widest_x + 10))) if widest_x else 12
    label_every = max(1, math.ceil(total / min(12, fit)))
    for i in range(0, total, label_every):
        out.append(
            f'<text x="{frame.x(i):.2f}" y="{bottom + 17}" text-anchor="middle">{_esc(x_labels[i])}</text>'
        )
    y_label = unit_label or ("proportion" if percent else "value")
    out.append(
        f'<text transform="translate(16 {(top + bottom) / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="{fs_axis}">{_esc(y_label)}</text>'
        f'<text x="{(left + right) / 2:.1f}" y="{height - 14}" text-anchor="middle" font-size="{fs_axis}">'
        f"{'Date' if analysis.dates is not None else 'Point'}</text>"
    )
    out.append("</g>")

    # Lines: limits dashed, mean solid, target dotted; all stepped at rebases.
    out.append('<g class="spc-lines" fill="none" aria-hidden="true">')
    for key in ("lcl", "ucl"):
        path = _step_path(lines[key], frame, periods)
        if path:
            out.append(
                f'<path class="spc-{key}" d="{path}" stroke="{COLOURS["limit"]}" stroke-width="1.5" '
                f'stroke-dasharray="6 4"/>'
            )
    path = _step_path(lines["centre"], frame, periods)
    if path:
        out.append(f'<path class="spc-centre" d="{path}" stroke="{COLOURS["mean"]}" stroke-width="1.5"/>')
    if target is not None:
        path = _step_path(target, frame, np.zeros(n, dtype=np.int64))
        if path:
            out.append(
                f'<path class="spc-target" d="{path}" stroke="{COLOURS["target"]}" stroke-width="2" '
                f'stroke-dasharray="2 3"/>'
            )
    for start in analysis.period_starts[1:]:
        x = frame.x(start) - frame.step / 2
        out.append(
            f'<line class="spc-rebase" x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{bottom}" '
            f'stroke="{COLOURS["axis"]}" stroke-width="1" stroke-dasharray="1 3"/>'
        )
    out.append("</g>")

    # Annotations: numbered markers at the top of the plot, the text as tooltip (drawn before the
    # points, so a point's tooltip lies over their lines; the notes are in the description too).
    if notes:
        out.append(f'<g class="spc-annotations" font-size="{fs_axis - 1}" aria-hidden="true">')
        for number, (i, text) in enumerate(notes, start=1):
            x = frame.x(i)
            out.append(
                f"<g><title>{_esc(text)}</title>"
                f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{bottom}" stroke="{COLOURS["axis"]}" '
                f'stroke-width="1" stroke-dasharray="3 3"/>'
                f'<circle cx="{x:.2f}" cy="{top - 10}" r="8" fill="{COLOURS["axis"]}"/>'
                f'<text x="{x:.2f}" y="{top - 6}" text-anchor="middle" fill="#ffffff">{number}</text></g>'
            )
        out.append("</g>")

    if verdict_markup:
        out.append(verdict_markup)

    # Icons (top right): variation, then assurance (before the points: a tooltip lies over them).
    cx = width - (26 if narrow else 32)
    if analysis.assurance_icon:
        text, colour, symbol = ASSURANCE_TEXT[analysis.assurance_icon]
        out.append(_badge(cx, 34, colour, symbol, text, "assurance"))
        cx -= 44
    if analysis.variation_icon:
        text, colour, symbol = VARIATION_TEXT[analysis.variation_icon]
        out.append(_badge(cx, 34, colour, symbol, text, "variation"))

    # Data: the value line, then one point per value: its tooltip on hover (title) and on focus.
    out.append('<g class="spc-data">')
    path = _value_path(values, frame)
    if path:
        out.append(
            f'<path d="{path}" fill="none" stroke="{COLOURS["line"]}" stroke-width="1.5" aria-hidden="true"/>'
        )
    flags = analysis.flags
    types = analysis.point_type
    for i in np.flatnonzero(np.isfinite(values)).tolist():
        label = analysis.dates[i] if analysis.dates is not None else f"Point {i + 1}"
        label = label.isoformat() if hasattr(label, "isoformat") else label
        signal = TYPE_TEXT[types[i]]
        if flags[i]:
            signal += " (" + ", ".join(RULE_TEXT[r] for r in RULES if r in flags[i]) + ")"
        tip = f"{label}: {format_number(values[i], percent=percent)}{unit_suffix}; {signal}"
        if target is not None and math.isfinite(target[i]):
            tip += f"; target {format_number(target[i], percent=percent)}"
        px, py = frame.x(i), frame.y(values[i])
        marker = (
            f'<circle cx="{px:.2f}" cy="{py:.2f}" r="{5.5 if narrow else 4.5}" fill="{COLOURS[types[i]]}" '
            f'stroke="#ffffff" stroke-width="1"><title>{_esc(tip)}</title></circle>'
        )
        out.append(point(marker, px, py, tip, band=band, font_size=fs_axis))
    if np.isfinite(later_values).any():
        out.append(
            _incomplete_points(values, later, frame, percent, unit_suffix, band=band, font_size=fs_axis)
        )
    if not has_data:
        out.append(
            f'<text x="{(left + right) / 2:.1f}" y="{(top + bottom) / 2:.1f}" text-anchor="middle" '
            f'font-size="14" fill="{COLOURS["text"]}">No data to plot</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
