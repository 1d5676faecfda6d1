"""Display shaping shared by feedback pages, exports and the API: the QR code, shares, export rows."""

from __future__ import annotations

from typing import Any

import segno
from markupsafe import Markup

from spiral.voice.models import Answer

ANSWER_HEADER = ["id", "unit_code", "form", "month", "rating", "good", "better", "status", "themes"]


def qr_svg(url: str, *, title: str, scale: int = 8) -> str:
    """A QR code for `url` as a standalone SVG document (server-side, no JavaScript)."""
    return segno.make(url, error="m").svg_inline(scale=scale, title=title, border=2, dark="#000000")


def qr_markup(url: str, *, title: str, scale: int = 8) -> Markup:
    return Markup(qr_svg(url, title=title, scale=scale))  # noqa: S704 - segno escapes the title; the rest is ours


def share_text(positive: int, total: int) -> str:
    if not total:
        return "no answers"
    return f"{positive / total * 100:.1f}% positive ({positive:,} of {total:,})"


def answer_rows(items: list[Answer]) -> list[list[Any]]:
    return [
        [a.pk, a.form.unit.code, a.form.title, a.period_start, a.rating, a.good, a.better, a.status,
         "; ".join(t.name for t in a.themes.all())]
        for a in items
    ]  # fmt: skip


def answer_dict(a: Answer) -> dict[str, Any]:
    return {
        "id": a.pk,
        "form": a.form_id,
        "unit": a.form.unit.code,
        "period": a.period_start.isoformat()[:7],
        "rating": a.rating,
        "good": a.good,
        "better": a.better,
        "answers": a.extra,
        "status": a.status,
        "redacted": a.redacted,
        "themes": [t.name for t in a.themes.all()],
        "created_at": a.created_at,
    }
