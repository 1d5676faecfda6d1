"""Display shaping that the reporting pages, the API, the exports and the board pack share."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from spiral.measurement import presenters as mp
from spiral.reporting import portfolio as portfolio_queries
from spiral.reporting import stats
from spiral.reporting.success import SuccessFactors

STUCK_DAYS = portfolio_queries.STUCK_DAYS  # for the templates
__all__ = ["mp", "stats"]  # for the templates: measurement's presenters, the statistics' rules

SUCCESS_HEADER = [
    "factor", "comparison", "achieved with", "projects with", "proportion with", "with low 95%",
    "with high 95%", "achieved without", "projects without", "proportion without", "without low 95%",
    "without high 95%", "risk ratio", "risk ratio low 95%", "risk ratio high 95%", "zero-cell correction",
    "too few to judge", "adjusted odds ratio", "adjusted low 95%", "adjusted high 95%", "sentence",
]  # fmt: skip


def percent(x: float | None) -> str:
    """0.456 -> "46%"; None -> "–"."""
    return "–" if x is None else f"{100 * x:.0f}%"


def ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _r(x: float | None, places: int = 4) -> float | None:
    return None if x is None else round(x, places)


def success_rows(result: SuccessFactors) -> list[list[Any]]:
    """Every comparison as a row of numbers (CSV, XLSX, the board pack)."""
    out: list[list[Any]] = []
    for row in result.rows:
        rr: stats.RiskRatio = row.rr
        w, wo = rr.with_factor, rr.without_factor
        out.append(
            [
                row.label,
                f"{row.with_text} / {row.without_text}",
                rr.a,
                rr.n1,
                _r(w.p),
                _r(w.low),
                _r(w.high),
                rr.c,
                rr.n0,
                _r(wo.p),
                _r(wo.low),
                _r(wo.high),
                _r(rr.ratio),
                _r(rr.low),
                _r(rr.high),
                rr.corrected,
                rr.too_few,
                _r(row.adjusted.ratio) if row.adjusted else None,
                _r(row.adjusted.low) if row.adjusted else None,
                _r(row.adjusted.high) if row.adjusted else None,
                row.sentence,
            ]
        )
    for u in result.unavailable:
        out.append([u.label, "", *([None] * 18), f"Not available: {u.reason}"])
    return out


# --- penetration as a tree map ---------------------------------------------------------------------

# Shades of NHS blue by the share of teams with an active project; the share is also written in each box,
# so colour is never the only cue.
SHADES = [(0.0, "#e8edee", "#212b32"), (0.25, "#a4c8e8", "#212b32"), (0.5, "#41b6e6", "#212b32"),
          (0.75, "#005eb8", "#ffffff")]  # fmt: skip
NONE_SHADE = ("#f0f4f5", "#4c6272")


def shade(share: float | None) -> tuple[str, str]:
    """(fill, text colour) for a share of teams with an active project."""
    if share is None:
        return NONE_SHADE
    found = SHADES[0]
    for level in SHADES:
        if share >= level[0]:
            found = level
    return found[1], found[2]


def _split(
    items: list[Any], x: float, y: float, w: float, h: float
) -> list[tuple[Any, float, float, float, float]]:
    """Lay `items` (each with `.teams`) out in the rectangle: split into two groups of about equal weight
    along the longer side, recursively (a binary tree map: boxes stay near square)."""
    if not items:
        return []
    if len(items) == 1:
        return [(items[0], x, y, w, h)]
    total = sum(max(i.teams, 1) for i in items)
    acc, cut = 0.0, 1
    for n, item in enumerate(items[:-1], start=1):
        acc += max(item.teams, 1)
        cut = n
        if acc >= total / 2:
            break
    first = sum(max(i.teams, 1) for i in items[:cut]) / total
    if w >= h:
        return _split(items[:cut], x, y, w * first, h) + _split(
            items[cut:], x + w * first, y, w * (1 - first), h
        )
    return _split(items[:cut], x, y, w, h * first) + _split(items[cut:], x, y + h * first, w, h * (1 - first))


def treemap_svg(rows: list[Any], *, title: str, width: int = 720, height: int = 360) -> Markup:
    """The penetration tree map: one box per unit, its area the number of teams, its shade (and text) the
    share with an active project. Accessible: a title and description; the table beside has every figure."""
    items = sorted([r for r in rows if r.teams], key=lambda r: -r.teams)
    desc = "; ".join(f"{r.unit.name}: {r.with_active} of {r.teams} teams ({percent(r.share)})" for r in items)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="tm-title tm-desc" class="spiral-treemap">',
        f'<title id="tm-title">{escape(title)}</title>',
        f'<desc id="tm-desc">{escape(desc or "No teams")}</desc>',
    ]
    for r, x, y, w, h in _split(items, 0, 0, width, height):
        fill, ink = shade(r.share)
        label = f"{r.unit.name}: {r.with_active} of {r.teams} teams, {percent(r.share)}"
        parts.append(
            f'<g><title>{escape(label)}</title><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{fill}" stroke="#ffffff" stroke-width="2"/>'
        )
        if w > 60 and h > 34:
            name = (
                r.unit.name
                if len(r.unit.name) * 7 < w - 8
                else r.unit.name[: max(int((w - 8) / 7) - 1, 1)] + "…"
            )
            parts.append(
                f'<text x="{x + 6:.1f}" y="{y + 18:.1f}" fill="{ink}" font-size="13">{escape(name)}</text>'
                f'<text x="{x + 6:.1f}" y="{y + 34:.1f}" fill="{ink}" font-size="13" font-weight="bold">'
                f"{percent(r.share)}</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text interpolated above is escaped


# --- the portfolio's tables, for exports and the board pack ------------------------------------------


def portfolio_tables(p: portfolio_queries.Portfolio) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every table of the portfolio page, by name: (header, rows)."""
    return {
        "stages": (["stage", "open projects"], [[label, n] for _v, label, n in p.counts.by_stage]),
        "statuses": (["status", "projects"], [[label, n] for _v, label, n in p.statuses]),
        "scores": (["latest progress score", "open projects"], [[s, n] for s, n in p.counts.by_score]),
        "trend": (
            ["month", "projects scored", "median score", "scored 3.0 or more", "scored 4.0 or more"],
            [[t.month, t.scored, t.median, t.at_least_3, t.at_least_4] for t in p.trend],
        ),
        "milestones": (
            ["score", "projects with a start date", "reached it", "median months from start"],
            [[str(m.score), m.started, m.reached, m.median_months] for m in p.milestones],
        ),
        "topics": (["topic", "open projects"], [[t, n] for t, n in p.counts.topics]),
        "goals": (["goal", "open projects serving it"], [[title, n] for _g, title, n in p.goals]),
        "penetration": (
            ["unit code", "unit", "teams", "teams with an active project", "share"],
            [[r.unit.code, r.unit.name, r.teams, r.with_active, r.share] for r in p.penetration],
        ),
        "stuck": (
            ["project id", "project", "unit", "stage"],
            [[s.pk, s.title, s.unit.name, s.get_stage_display()] for s in p.stuck],
        ),
        "gains-at-risk": (
            ["project id", "project", "unit", "measure", "alert", "rule", "first period"],
            [
                [a.link.project_id, a.link.project.title, a.link.project.unit.name, a.link.series.measure.name,
                 a.get_kind_display(), a.rule, a.first_period]
                for a in p.gains_at_risk
            ],
        ),
    }  # fmt: skip


# --- impact ---------------------------------------------------------------------------------------------


def events_text(events: float | None, measure: Any) -> str:
    """'about 140 fewer falls a year' (or 'more', when higher is better); '' when not a count or rate."""
    from spiral.benchmarking.presenters import about, event_noun

    if events is None:
        return ""
    word = "fewer" if measure.improvement == "decrease" else "more"
    return f"{about(events)} {word} {event_noun(measure)} a year"


def change_text(e: Any) -> str:
    """'from 12.4 to 8.1 falls a month since March 2026' in the measure's own units."""
    from spiral.measurement.presenters import number

    m = e.measure
    label = f" {m.label}" if m.label and m.chart not in ("p", "pprime") else ""
    return f"from {number(e.baseline, m)} to {number(e.current, m)}{label} (sustained since {e.since:%B %Y})"


IMPACT_HEADER = [
    "project id", "project", "unit", "measure", "chart", "started", "baseline mean", "mean since the shift",
    "change (measure's units)", "sustained since", "events a year", "in words",
]  # fmt: skip


def impact_rows(result: Any) -> list[list[Any]]:
    """Each project with evidence, as numbers (CSV, XLSX)."""
    return [
        [e.project.pk, e.project.title, e.project.unit.name, e.measure.name, e.measure.chart, e.start,
         round(e.baseline, 6), round(e.current, 6), round(e.change, 6), e.since,
         None if e.events_a_year is None else round(e.events_a_year, 2), events_text(e.events_a_year, e.measure)]
        for e in result.evidence
    ]  # fmt: skip


def cascade_state(state: str) -> str:
    """A cascade state in words (priorities' own text)."""
    from spiral.priorities.queries import STATE_TEXT

    return STATE_TEXT.get(state, state)
