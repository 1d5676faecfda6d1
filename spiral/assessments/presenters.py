"""Display shaping of assessment results shared by pages and the API: side by side, summary, over time,
and the two SVG charts (a bar per item against its maximum; the "portal" radar diagram)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from spiral.assessments import scoring
from spiral.assessments.models import Instrument, Response


def round_of(response: Response) -> str:
    """The round an answer belongs to: its calendar quarter (the guide suggests repeating it quarterly)."""
    d = response.answered_on
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


@dataclass
class ItemRow:
    key: str
    text: str
    group: str
    maximum: Decimal
    verified: bool
    prompts: list[str]
    cells: list[dict[str, Any]] = field(default_factory=list)  # per respondent: level key and score
    mean: Decimal | None = None
    differs: bool = False

    @property
    def gap(self) -> Decimal:
        return self.maximum - (self.mean or Decimal(0))

    @property
    def share(self) -> float:
        return float((self.mean or 0) / self.maximum) if self.maximum else 0.0


@dataclass
class Results:
    instrument: Instrument
    round: str | None
    respondents: list[dict[str, Any]]
    rows: list[ItemRow]
    groups: list[dict[str, Any]]
    team_total: Decimal | None
    maximum: Decimal
    interpretation: dict[str, Any] | None
    rounds: list[dict[str, Any]]

    @property
    def by_gap(self) -> list[ItemRow]:
        """The items with the largest gap to their maximum first: where to act."""
        return sorted((r for r in self.rows if r.mean is not None), key=lambda r: (-r.gap, r.text))


def _latest_per_person(responses: Sequence[Response]) -> list[Response]:
    latest: dict[int, Response] = {}
    for r in responses:  # oldest first: the last one wins
        latest[r.respondent_id] = r
    return sorted(latest.values(), key=lambda r: (r.respondent.display_name.lower(), r.pk))


def results(instrument: Instrument, responses: Sequence[Response]) -> Results:
    """The latest round's answers side by side, the team's summary, and every round over time."""
    items = list(instrument.items.all())
    groups = {g.pk: g for g in instrument.groups.all()}
    rules = [scoring.ItemRule(i.key, groups[i.group_id].key, i.weight, i.maximum) for i in items]
    top = scoring.maxima(instrument.scoring, rules)
    rounds: dict[str, list[Response]] = {}
    for r in responses:
        rounds.setdefault(round_of(r), []).append(r)
    history = []
    for name, in_round in rounds.items():
        latest = _latest_per_person(in_round)
        history.append({
            "round": name, "respondents": len(latest), "mean_total": scoring.mean([r.total for r in latest]),
            "lowest": min(r.total for r in latest), "highest": max(r.total for r in latest),
        })  # fmt: skip
    current_round: str | None = str(history[-1]["round"]) if history else None
    latest = _latest_per_person(rounds.get(current_round, [])) if current_round else []
    people = [
        {"name": r.respondent.display_name, "total": r.total, "answered_on": r.answered_on,
         "version": r.instrument.version} for r in latest
    ]  # fmt: skip
    chosen = [{a.item.key: a.option for a in r.answers.all()} for r in latest]
    rows = []
    for item in items:
        row = ItemRow(item.key, item.text, groups[item.group_id].name, top.items[item.key], item.verified,
                      list(item.prompts))  # fmt: skip
        weight = item.weight if instrument.scoring == "weighted_sum" else Decimal(1)
        scores = []
        for answers in chosen:
            option = answers.get(item.key)
            row.cells.append(
                {"level": option.key if option else "", "score": option.score * weight if option else None}
            )
            if option is not None and option.key != scoring.DONT_KNOW:  # "don't know" is shown, never scored
                scores.append(option.score * weight)
        row.mean = scoring.mean(scores)
        row.differs = len({c["level"] for c in row.cells if c["level"]}) > 1
        rows.append(row)
    team_total = scoring.mean([r.total for r in latest])
    group_rows = []
    for g in groups.values():
        means = [r.mean for r in rows if r.group == g.name and r.mean is not None]
        group_rows.append({"name": g.name, "mean": sum(means, Decimal(0)) if means else None,
                           "maximum": top.groups.get(g.key, Decimal(0))})  # fmt: skip
    band = None
    if team_total is not None:
        for b in sorted(instrument.interpretation, key=lambda b: -Decimal(b["at_least"])):
            if team_total >= Decimal(b["at_least"]):
                band = b
                break
    return Results(instrument, current_round, people, rows, group_rows, team_total, top.total, band, history)


# --- SVG -----------------------------------------------------------------------------------------------


def bar_chart_svg(res: Results, *, chart_id: str = "assessment-bars") -> Markup:
    """A horizontal bar per item: the team's mean score inside an outline of the item's maximum."""
    rows = res.rows
    biggest = max((float(r.maximum) for r in rows), default=1.0) or 1.0
    label_w, bar_w, row_h = 330, 360, 28
    height = 40 + row_h * len(rows)
    title = f"{res.instrument.name}: the team's mean score of each factor against its maximum"
    desc = "; ".join(
        f"{r.text}: {r.mean if r.mean is not None else 'no answers'} of {r.maximum}" for r in rows
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spiral-assessment-chart" viewBox="0 0 {label_w + bar_w + 90} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for n, r in enumerate(rows):
        y = 30 + n * row_h
        full = bar_w * float(r.maximum) / biggest
        part = bar_w * float(r.mean or 0) / biggest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" font-size="13">{escape(r.text)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{full:.1f}" height="18" fill="#fff" stroke="#425563"/>'
        )
        if r.mean is not None:
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{part:.1f}" height="18" fill="#005eb8">'
                f"<title>{escape(r.text)}: {r.mean} of {r.maximum}</title></rect>"
            )
        value = f"{r.mean} / {r.maximum}" if r.mean is not None else f"– / {r.maximum}"
        parts.append(f'<text x="{label_w + full + 6:.1f}" y="{y + 14}" font-size="12">{value}</text>')
    parts.append(
        f'<text x="{label_w}" y="18" font-size="12">Filled: team mean. Outline: maximum.</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def radar_svg(res: Results, *, chart_id: str = "assessment-portal") -> Markup:
    """The "portal" diagram: one spoke per item, the team's mean as a share of each item's maximum."""
    rows = res.rows
    n = len(rows) or 1
    cx = cy = 210
    radius = 150

    def point(i: int, share: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + radius * share * math.cos(angle), cy + radius * share * math.sin(angle)

    title = (
        f"{res.instrument.name}: portal diagram of the team's mean score as a share of each factor's maximum"
    )
    desc = "; ".join(f"{k + 1} {r.text}: {round(r.share * 100)}% of its maximum" for k, r in enumerate(rows))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spiral-assessment-chart" viewBox="0 0 420 420" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#d8dde0"/>')
    for i in range(len(rows)):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.12)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#aeb7bd"/>')
        parts.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" font-size="13">{i + 1}</text>'
        )
    if any(r.mean is not None for r in rows):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, r.share) for i, r in enumerate(rows)))
        parts.append(
            f'<polygon points="{pts}" fill="#005eb8" fill-opacity="0.3" stroke="#005eb8" stroke-width="2"/>'
        )
        for i, r in enumerate(rows):
            x, y = point(i, r.share)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#005eb8"><title>{i + 1} {escape(r.text)}: '
                f"{r.mean} of {r.maximum}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def as_dict(res: Results) -> dict[str, Any]:
    """The results for the API (numbers as strings keep their two decimal places)."""

    def num(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "instrument": {"slug": res.instrument.slug, "version": res.instrument.version, "name": res.instrument.name,
                       "provisional": res.instrument.provisional},
        "round": res.round,
        "respondents": [{"name": p["name"], "total": num(p["total"]), "answered_on": p["answered_on"].isoformat(),
                         "version": p["version"]} for p in res.respondents],
        "team_total": num(res.team_total),
        "maximum": num(res.maximum),
        "interpretation": res.interpretation["text"] if res.interpretation else None,
        "items": [{"key": r.key, "text": r.text, "group": r.group, "maximum": num(r.maximum), "mean": num(r.mean),
                   "gap": num(r.gap) if r.mean is not None else None, "opinions_differ": r.differs,
                   "verified": r.verified, "answers": [c["level"] for c in r.cells]} for r in res.rows],
        "largest_gaps_first": [r.key for r in res.by_gap],
        "rounds": [{**h, "mean_total": num(h["mean_total"]), "lowest": num(h["lowest"]),
                    "highest": num(h["highest"])} for h in res.rounds],
    }  # fmt: skip
