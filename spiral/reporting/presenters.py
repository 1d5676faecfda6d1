"""Display shaping that the reporting pages, the API, the exports and the board pack share."""

from __future__ import annotations

from typing import Any

from spiral.reporting import stats
from spiral.reporting.success import SuccessFactors

SUCCESS_HEADER = [
    "factor", "comparison", "achieved with", "projects with", "proportion with", "with low 95%",
    "with high 95%", "achieved without", "projects without", "proportion without", "without low 95%",
    "without high 95%", "risk ratio", "risk ratio low 95%", "risk ratio high 95%", "zero-cell correction",
    "too few to judge", "sentence",
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
                row.sentence,
            ]
        )
    for u in result.unavailable:
        out.append([u.label, "", *([None] * 15), f"Not available: {u.reason}"])
    return out
