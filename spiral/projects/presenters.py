"""Display shaping that pages (and prints) share: the driver diagram as nested HTML data and as SVG,
the progress history as a step line, and the two versions of a record after a stale save."""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from spiral.core.axes import linear_scale
from spiral.core.chartpoints import Bounds, both_widths, point
from spiral.projects.models import NODE_LEVEL, DriverEdge, DriverNode, NodeKind, ProgressScore


@dataclass
class TreeItem:
    node: DriverNode
    children: list[TreeItem] = field(default_factory=list)
    also_under: list[str] = field(default_factory=list)  # other parents' texts (a many-to-many link)
    repeat: bool = False  # shown in full elsewhere: here only its name


@dataclass
class Diagram:
    nodes: list[DriverNode]
    parents: dict[int, list[int]]
    children: dict[int, list[int]]
    roots: list[TreeItem]
    unlinked: list[DriverNode]

    def parent_ids(self, node: DriverNode) -> list[int]:
        return self.parents.get(node.pk, [])


def build_diagram(nodes: Sequence[DriverNode], edges: Iterable[DriverEdge | tuple[int, int]]) -> Diagram:
    """Arrange nodes as a tree from the aim (a node with several parents appears under each; its
    children are shown once, under the first)."""
    by_id = {n.pk: n for n in nodes}
    order = {n.pk: (n.order, n.pk) for n in nodes}
    parents: dict[int, list[int]] = {}
    children: dict[int, list[int]] = {}
    for edge in edges:
        p, c = (edge.parent_id, edge.child_id) if isinstance(edge, DriverEdge) else edge
        if p in by_id and c in by_id:
            parents.setdefault(c, []).append(p)
            children.setdefault(p, []).append(c)
    for ids in (*parents.values(), *children.values()):
        ids.sort(key=lambda i: order[i])
    shown: set[int] = set()

    def item(node_id: int, via: int | None) -> TreeItem:
        node = by_id[node_id]
        others = [by_id[p].text for p in parents.get(node_id, []) if p != via]
        if node_id in shown:
            return TreeItem(node=node, also_under=others, repeat=True)
        shown.add(node_id)
        kids = [item(c, node_id) for c in children.get(node_id, [])]
        return TreeItem(node=node, children=kids, also_under=others)

    roots = [item(n.pk, None) for n in sorted(nodes, key=lambda n: order[n.pk]) if n.kind == NodeKind.AIM]
    unlinked = [n for n in sorted(nodes, key=lambda n: order[n.pk]) if n.pk not in shown]
    return Diagram(nodes=list(nodes), parents=parents, children=children, roots=roots, unlinked=unlinked)


# --- SVG ----------------------------------------------------------------------------------------------

COLUMN_TITLES = ("Aim", "Primary drivers", "Secondary drivers", "Change ideas")
COLOURS = {  # NHS identity colours: fill, stroke
    NodeKind.AIM: ("#005eb8", "#003087"),
    NodeKind.PRIMARY: ("#e8edee", "#005eb8"),
    NodeKind.SECONDARY: ("#ffffff", "#005eb8"),
    NodeKind.CHANGE_IDEA: ("#fff9c4", "#ffb81c"),
}
BOX_W, COL_GAP, LINE_H, PAD, GAP, TOP = 190, 60, 16, 8, 14, 40
WRAP = 26


def _lines(text: str, max_lines: int = 5) -> list[str]:
    lines = textwrap.wrap(text, WRAP) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: WRAP - 1] + "…"]
    return lines


def diagram_svg(diagram: Diagram, *, title: str) -> str:
    """The driver diagram drawn left to right (aim, primary, secondary, change ideas), as an SVG string.

    Accessible: role="img" with a title and a description; the nested list on the page carries the
    same content for screen readers and for print.
    """
    # Order within each column follows the tree (depth first from the aim), then unlinked nodes.
    seen: list[int] = []

    def walk(items: list[TreeItem]) -> None:
        for it in items:
            if it.node.pk not in seen:
                seen.append(it.node.pk)
            walk(it.children)

    walk(diagram.roots)
    seen += [n.pk for n in diagram.unlinked]
    by_id = {n.pk: n for n in diagram.nodes}
    columns: dict[int, list[DriverNode]] = {0: [], 1: [], 2: [], 3: []}
    for pk in seen:
        node = by_id[pk]
        columns[NODE_LEVEL[NodeKind(node.kind)]].append(node)
    boxes: dict[int, tuple[float, float, float, list[str]]] = {}  # x, y, height, lines
    heights = []
    for col, items in columns.items():
        y: float = TOP
        x: float = PAD + col * (BOX_W + COL_GAP)
        for node in items:
            lines = _lines(node.text)
            h: float = len(lines) * LINE_H + 2 * PAD
            boxes[node.pk] = (x, y, h, lines)
            y += h + GAP
        heights.append(y)
    height = max(max(heights), TOP + 60)
    # Centre shorter columns vertically, so links stay short.
    for items in columns.values():
        if not items:
            continue
        last = boxes[items[-1].pk]
        shift = (height - (last[1] + last[2] + GAP)) / 2
        for node in items:
            x, y, h, lines = boxes[node.pk]
            boxes[node.pk] = (x, y + shift, h, lines)
    width = PAD * 2 + 4 * BOX_W + 3 * COL_GAP
    counts = {k: sum(1 for n in diagram.nodes if n.kind == k) for k in NodeKind.values}
    desc = (
        f"Driver diagram: {counts['primary']} primary drivers, {counts['secondary']} secondary drivers "
        f"and {counts['change_idea']} change ideas. The list below the diagram gives every node and link."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-labelledby="dd-title dd-desc" '
        'class="spiral-driver-diagram" font-family="Frutiger W01, Arial, sans-serif" font-size="13">',
        f'<title id="dd-title">{escape(title)}</title>',
        f'<desc id="dd-desc">{escape(desc)}</desc>',
    ]
    for col, heading in enumerate(COLUMN_TITLES):
        x = PAD + col * (BOX_W + COL_GAP) + BOX_W / 2
        out.append(
            f'<text x="{x:.0f}" y="20" text-anchor="middle" font-weight="bold" fill="#212b32">'
            f"{escape(heading)}</text>"
        )
    for child, parent_ids in diagram.parents.items():
        for parent in parent_ids:
            if parent not in boxes or child not in boxes:
                continue
            px, py, ph, _ = boxes[parent]
            cx, cy, ch, _ = boxes[child]
            x1, y1 = px + BOX_W, py + ph / 2
            x2, y2 = cx, cy + ch / 2
            if x2 <= x1:  # a finer secondary driver in the same column: link down the left side
                x1, x2 = px, cx
                mid = x1 - 20
                path = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            else:
                mid = (x1 + x2) / 2
                path = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            out.append(f'<path d="{path}" fill="none" stroke="#768692" stroke-width="1.5"/>')
    for pk, (x, y, h, lines) in boxes.items():
        node = by_id[pk]
        fill, stroke = COLOURS[NodeKind(node.kind)]
        colour = "#ffffff" if node.kind == NodeKind.AIM else "#212b32"
        out.append(f"<g><title>{escape(node.get_kind_display())}: {escape(node.text)}</title>")
        out.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{h:.0f}" rx="4" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
        )
        for i, line in enumerate(lines):
            out.append(
                f'<text x="{x + PAD:.0f}" y="{y + PAD + (i + 1) * LINE_H - 4:.0f}" fill="{colour}">'
                f"{escape(line)}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --- progress -----------------------------------------------------------------------------------------


def _month_add(month: dt.date, n: int) -> dt.date:
    total = month.year * 12 + month.month - 1 + n
    return dt.date(total // 12, total % 12 + 1, 1)


def progress_svg(
    scores: Sequence[ProgressScore], levels: Sequence[Decimal], *, title: str, narrow: bool = False
) -> str:
    """The team's monthly scores as a step line (coach scores as diamonds), 0.5 to 5 on the y axis;
    `narrow`, the phone layout (340 wide, drawn at its own size: type of 13 px, fewer months named)."""
    width, height, left, right, top, bottom = (
        (340, 260, 40, 24, 20, 40) if narrow else (720, 300, 48, 24, 20, 40)
    )
    uid = "pg-n" if narrow else "pg"  # (a right margin of 24: half the widest month label, "Nov 26")
    selfs = [s for s in scores if s.role == "self"]
    coach = [s for s in scores if s.role == "coach"]
    low, high = float(min(levels, default=Decimal("0.5"))), float(max(levels, default=Decimal(5)))
    months = sorted({s.month for s in scores})
    first = months[0] if months else dt.date.today().replace(day=1)
    last = max(months[-1] if months else first, _month_add(first, 5))
    span = (last.year - first.year) * 12 + last.month - first.month or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    x_scale = linear_scale((0, span), (left, left + plot_w))
    y = linear_scale((high, low), (top, top + plot_h))

    def x(month: dt.date) -> float:
        return x_scale((month.year - first.year) * 12 + month.month - first.month)

    summary = (
        "No scores yet."
        if not selfs
        else f"{len(selfs)} monthly scores from {selfs[0].month:%B %Y} to {selfs[-1].month:%B %Y}; "
        f"latest {selfs[-1].score}. The table below lists every score."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="group" aria-labelledby="{uid}-title" aria-describedby="{uid}-desc" '
        f'font-family="Arial, sans-serif" font-size="{13 if narrow else 12}">',
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(summary)}</desc>',
    ]
    band = Bounds(4, height - bottom + 2, width - 4, height - 2)  # the tooltips' strip: over the months
    out.append('<g aria-hidden="true">')
    for level in levels:
        yy = y(float(level))
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e8edee"/>'
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#4c6272">{level}</text>'
        )
    step = max(1, math.ceil(span / (4 if narrow else 12)))
    for i in range(0, span + 1, step):
        month = _month_add(first, i)
        out.append(
            f'<text x="{x(month):.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="#4c6272">'
            f"{month:%b %y}</text>"
        )
    if selfs:
        points = [(x(s.month), y(float(s.score))) for s in selfs]
        d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
        for x1, y1 in points[1:]:
            d.append(f"H{x1:.1f}V{y1:.1f}")
        d.append(f"H{x(_month_add(selfs[-1].month, 1)):.1f}")
        out.append(f'<path d="{"".join(d)}" fill="none" stroke="#005eb8" stroke-width="3"/>')
    out.append("</g>")
    # Each score a focusable point named by its tooltip (spiral.core.chartpoints), coach scores after.
    font_size = 13 if narrow else 12
    for s, (px, py) in zip(selfs, [(x(s.month), y(float(s.score))) for s in selfs], strict=True):
        tip = f"{s.month:%B %Y}: {s.score} (team)"
        marker = f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="#005eb8"><title>{tip}</title></circle>'
        out.append(point(marker, px, py, tip, band=band, font_size=font_size))
    for s in coach:
        px, py = x(s.month), y(float(s.score))
        tip = f"{s.month:%B %Y}: {s.score} (coach)"
        marker = (
            f'<path d="M{px:.1f},{py - 6:.1f}L{px + 6:.1f},{py:.1f}'
            f'L{px:.1f},{py + 6:.1f}L{px - 6:.1f},{py:.1f}Z" '
            f'fill="#ffb81c" stroke="#212b32"><title>{tip}</title></path>'
        )
        out.append(point(marker, px, py, tip, band=band, font_size=font_size))
    out.append("</svg>")
    return "".join(out)


def progress_html(scores: Sequence[ProgressScore], levels: Sequence[Decimal], *, title: str) -> str:
    """The progress chart for a page: its wide and its phone layout, one shown at a time (spiral.css)."""
    wide = progress_svg(scores, levels, title=title)
    narrow = progress_svg(scores, levels, title=title, narrow=True)
    return both_widths(wide, narrow)


# --- stale saves --------------------------------------------------------------------------------------


def compare_versions(
    current: Mapping[str, Any], mine: Mapping[str, Any], labels: Mapping[str, str]
) -> list[dict[str, str]]:
    """Rows for the "this record changed" table: each field where the saved and my version differ."""
    rows = []
    for name, label in labels.items():
        saved, submitted = _shown(current.get(name)), _shown(mine.get(name))
        if saved != submitted:
            rows.append({"field": label, "saved": saved or "(empty)", "mine": submitted or "(empty)"})
    return rows


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


CYCLE_CHOICE_FIELDS = ("purpose", "carried_out", "prediction_confirmed", "decision")
CYCLE_DATE_FIELDS = ("planned_start", "planned_end", "started_on", "ended_on")


def cycle_record(
    cycle: Any, phases: Sequence[tuple[str, Sequence[str]]], labels: Mapping[str, str]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """A PDSA cycle as text, phase by phase: [(phase, [(label, text), ...]), ...]; what is not recorded
    yet says so. Choices read as their labels, dates as "3 March 2026"."""
    from django.utils.formats import date_format

    record = []
    for phase, names in phases:
        rows = []
        for name in names:
            value = getattr(cycle, name)
            if name in CYCLE_CHOICE_FIELDS:
                text = getattr(cycle, f"get_{name}_display")() if value else ""
            elif name in CYCLE_DATE_FIELDS:
                text = date_format(value, "j F Y") if value else ""
            else:
                text = str(value or "")
            rows.append((labels.get(name, name), text or "Not recorded yet"))
        record.append((phase, rows))
    return record
