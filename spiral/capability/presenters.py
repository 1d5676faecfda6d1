"""Display shaping shared by the capability pages, exports and API: rates as percentages, the export
rows, and the leaky bucket's funnel as an accessible SVG chart (title, description, a table beside)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from spiral.capability.queries import PACE_HIGH, PACE_LOW, Bucket, Dosage


def percent(rate: float | None) -> str:
    """0.1234 -> "12.3%"; None -> "no headcount"."""
    return "no headcount" if rate is None else f"{rate * 100:.1f}%"


PACE_TEXT = {
    "below": f"below the pace NHS England suggests ({PACE_LOW:.0%}-{PACE_HIGH:.0%} of staff a year)",
    "within": f"within the pace NHS England suggests ({PACE_LOW:.0%}-{PACE_HIGH:.0%} of staff a year)",
    "above": f"above the pace NHS England suggests ({PACE_LOW:.0%}-{PACE_HIGH:.0%} of staff a year)",
    "unknown": "unknown: no headcount has been recorded",
}

DOSAGE_HEADER = [
    "unit",
    "tier",
    "kind",
    "people trained",
    "headcount",
    "rate",
    "at this tier or above",
    "rate at or above",
]


def dosage_rows(d: Dosage) -> list[list[Any]]:
    """One row per tier, for the CSV and XLSX exports."""
    return [
        [d.unit.code, r.tier.name, r.tier.get_kind_display(), r.people, d.headcount, r.rate,
         r.at_least, r.at_least_rate]
        for r in d.rows
    ]  # fmt: skip


TREND_HEADER = ["year", "trained so far", "headcount", "rate so far"]


def trend_rows(d: Dosage) -> list[list[Any]]:
    return [[t["year"], t["trained_so_far"], t["headcount"], t["rate_so_far"]] for t in d.trend]


def dosage_dict(d: Dosage) -> dict[str, Any]:
    """The dosage dashboard as the API gives it."""
    return {
        "unit": d.unit.code, "month": d.month, "headcount": d.headcount, "trained": d.trained,
        "tiers": [{"tier": r.tier.slug, "name": r.tier.name, "kind": r.tier.kind, "people": r.people,
                   "rate": r.rate, "at_least": r.at_least, "at_least_rate": r.at_least_rate} for r in d.rows],
        "awareness_last_year": d.awareness_last_year, "pace_rate": d.pace_rate, "pace": d.pace,
        "pace_low": PACE_LOW, "pace_high": PACE_HIGH, "leaders": d.leaders,
        "leaders_with_board_development": d.leaders_with_board, "board_first": d.board_first,
        "active_projects": d.active_projects, "projects_per_1000_staff": d.projects_per_1000,
        "trend": [{"year": t["year"], "trained_so_far": t["trained_so_far"], "headcount": t["headcount"],
                   "rate_so_far": t["rate_so_far"], "new": t["new"]} for t in d.trend],
        "peer_group": d.peer_group,
        "peers": [{"unit": p["unit"].code, "name": p["unit"].name, "headcount": p["headcount"],
                   "trained": p["trained"], "rate": p["rate"], "projects_per_1000_staff": p["projects_per_1000"]}
                  for p in d.peers],
    }  # fmt: skip


BUCKET_HEADER = ["unit", "person", "email", "last trained", "tier"]


def bucket_rows(b: Bucket) -> list[list[Any]]:
    """The people trained and not active in a project in the last 12 months, by unit (for exports)."""
    return [
        [g["unit"].code, p.display_name, p.email, day, tier]
        for g in b.inactive
        for p, day, tier in g["people"]
    ]


def bucket_dict(b: Bucket) -> dict[str, Any]:
    return {
        "unit": b.unit.code, "years": b.years, "trained_since": b.since, "trained": b.trained,
        "active": b.active, "experienced": b.experienced, "active_rate": b.active_rate,
        "experienced_rate": b.experienced_rate,
        "inactive": [{"unit": g["unit"].code, "people": [{"id": p.pk, "name": p.display_name,
                                                          "last_trained": day, "tier": tier}
                                                         for p, day, tier in g["people"]]} for g in b.inactive],
    }  # fmt: skip


def funnel_svg(b: Bucket, *, chart_id: str = "leaky-bucket") -> Markup:
    """The funnel trained -> active (a project in the last 12 months) -> experienced (3rd project and on)."""
    steps = [
        ("Trained", b.trained, f"trained in the last {b.years} years"),
        ("Active", b.active, "led, joined or coached a project in the last 12 months"),
        ("Experienced", b.experienced, "on their third project or later"),
    ]
    top = max(b.trained, 1)
    width, row_h, label_w = 640, 46, 120
    bar_w = width - label_w - 150
    title = f"The leaky bucket of {b.unit.name}: trained, active and experienced improvers"
    desc = "; ".join(f"{name}: {n} ({what})" for name, n, what in steps)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spiral-funnel-chart" viewBox="0 0 {width} {20 + row_h * 3}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for i, (name, n, what) in enumerate(steps):
        y = 10 + i * row_h
        w = bar_w * n / top
        x = label_w + (bar_w - w) / 2
        share = f" ({n / b.trained:.0%})" if b.trained and i else ""
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" font-size="14">{escape(name)}</text>'
        )
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="32" fill="{("#005eb8", "#41b6e6", "#007f3b")[i]}">'
                     f"<title>{escape(name)}: {n}{share}, {escape(what)}</title></rect>")  # fmt: skip
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 22}" font-size="14">{n}{share}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


SURVEY_HEADER = ["instrument", "version", "provisional", "round", "respondents", "part", "mean"]


def survey_rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    """Survey results for the exports: a round answered by too few people says only that, as on the page."""
    rows: list[list[Any]] = []
    for res in results:
        i = res["instrument"]
        for r in res["rounds"]:
            if r["too_few"]:
                rows.append(
                    [i.slug, i.version, i.provisional, r["round"], f"fewer than {res['threshold']}", "", ""]
                )
                continue
            for g in r["groups"]:
                rows.append(
                    [i.slug, i.version, i.provisional, r["round"], r["respondents"], g["name"], g["mean"]]
                )
            rows.append(
                [i.slug, i.version, i.provisional, r["round"], r["respondents"], "overall", r["total"]]
            )
    return rows
