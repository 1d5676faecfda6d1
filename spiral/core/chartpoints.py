"""Chart points that people can read with a keyboard, a finger or a screen reader, for every SVG chart
Spiral draws, and the two widths each chart comes in.

Pure Python (no Django, no numpy, no I/O), so the statistics core (`spiral.spc`) may use it as well as the
apps' presenters.

A point is a `<g>` (an `<a>` when it links somewhere) that takes focus (tabindex 0; an `<a>` takes it of
itself), named for screen readers by its `aria-label` (role img: what it is, not a control). Hovering
shows its `<title>`, as before; focus (Tab, or a tap on a phone) shows a drawn tooltip and a ring. Both are
hidden by a presentation attribute until the page's stylesheet shows them (`.spiral-svg-point:focus >
.spiral-svg-tip` in spiral.css: no inline styles, which the CSP forbids), so a chart saved as a file shows
no stray tooltips. The chart itself must then be a `role="group"`, not `role="img"`: an image's children
are presentational, and focusable children inside one are the "nested-interactive" failure.

The tooltip box is drawn in the strip above the plot, over the title and legend, under the point's x (a
dotted line joins them), so no point drawn later can hide it.

>>> wrap("a b c d", 3)
['a b', 'c d']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CHAR_WIDTH = 0.56  # Arial's average advance, as a share of the font size (a little generous for digits)
TIP_CHAR_WIDTH = 0.6  # generous: a tooltip's text must not run out of its box
TIP_FILL = "#212b32"
TIP_TEXT = "#ffffff"
FOCUS_YELLOW = "#ffeb3b"  # NHS.UK's focus colour


def esc(text: object) -> str:
    """Text safe inside an element or a double-quoted attribute."""
    cleaned = _INVALID_XML.sub("", str(text))
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def text_width(text: str, font_size: float, char_width: float = CHAR_WIDTH) -> float:
    """An estimate of `text`'s width in pixels (no font metrics on the server): for margins and boxes."""
    return len(text) * char_width * font_size


def wrap(text: str, max_chars: int) -> list[str]:
    """`text` broken at spaces into lines of at most `max_chars` (a longer word has a line of its own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > max_chars:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Bounds:
    """A rectangle of the SVG, in its coordinates: where a tooltip is drawn."""

    left: float
    top: float
    right: float
    bottom: float


def tooltip(x: float, y: float, text: str, *, band: Bounds, font_size: float = 13) -> str:
    """The tooltip of the point at (x, y), hidden until the point has focus: a ring around the point, and
    its text in a box in `band`, the strip above the plot (the title and legend, which it covers while
    shown). Nothing is drawn over the band after the points, so no later point hides the box, as one
    would beside its point. The text is wrapped to the band's width. Returns SVG markup (text escaped)."""
    line_height = font_size * 1.3
    room = band.right - band.left
    max_lines = max(1, int((band.bottom - band.top - 10) / line_height))
    lines = wrap(text, max(12, int((room - 14) / (TIP_CHAR_WIDTH * font_size))))
    if len(lines) > max_lines:  # keep what fits; the name (aria-label) and the title have it all
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    w = min(room, max(text_width(line, font_size, TIP_CHAR_WIDTH) for line in lines) + 14) if lines else 0
    h = line_height * len(lines) + 10
    box_x = max(band.left, min(x - w / 2, band.right - w))
    box_y = max(band.top, band.bottom - h)
    spans = "".join(
        f'<tspan x="{box_x + 7:.1f}" y="{box_y + 5 + line_height * (k + 1) - font_size * 0.3:.1f}">{esc(line)}</tspan>'
        for k, line in enumerate(lines)
    )
    return (
        f'<g class="spiral-svg-tip" visibility="hidden" aria-hidden="true">'
        f'<line x1="{x:.1f}" y1="{box_y + h:.1f}" x2="{x:.1f}" y2="{y - 12:.1f}" stroke="{TIP_FILL}" '
        f'stroke-width="1.5" stroke-dasharray="2 2"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="none" stroke="{FOCUS_YELLOW}" stroke-width="4"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11.5" fill="none" stroke="{TIP_FILL}" stroke-width="2"/>'
        f'<rect x="{box_x:.1f}" y="{box_y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="{TIP_FILL}"/>'
        f'<text font-size="{font_size:g}" fill="{TIP_TEXT}">{spans}</text></g>'
    )


def point(
    marker: str,
    x: float,
    y: float,
    label: str,
    *,
    band: Bounds,
    font_size: float = 13,
    href: str | None = None,
    css_class: str = "",
) -> str:
    """A focusable point: `marker` (its drawn shape, SVG markup) with `label` as its accessible name and
    as its tooltip, shown on focus in `band` (see `tooltip`); a link to `href` when given (a link is
    focusable of itself)."""
    classes = f"spiral-svg-point {css_class}".strip()
    tip = tooltip(x, y, label, band=band, font_size=font_size)
    if href:
        return (
            f'<a class="{classes}" href="{esc(href)}" xlink:href="{esc(href)}" aria-label="{esc(label)}">'
            f"{marker}{tip}</a>"
        )
    return f'<g class="{classes}" tabindex="0" role="img" aria-label="{esc(label)}">{marker}{tip}</g>'


def both_widths(wide: str, narrow: str) -> str:
    """A chart in its two layouts, one shown at a time by spiral.css: the wide one on screens wider than
    a phone (and in print), the narrow one (its own layout, readable type) on a phone. The hidden one is
    `display: none`, so a screen reader meets the chart once."""
    return f'<div class="spiral-svg-wide">{wide}</div><div class="spiral-svg-narrow">{narrow}</div>'


def tick_label_width(labels: list[str], font_size: float) -> float:
    """The widest of `labels` at `font_size` (0 for none): to size an axis margin so no label is cut off."""
    return max((text_width(t, font_size) for t in labels), default=0.0)
