"""Display shaping of the watch that pages share: the chart with its limits fixed, and the panels that the
project's overview and the unit's page show through their extension points."""

from __future__ import annotations

import warnings
from typing import Any

from django.template.loader import render_to_string
from markupsafe import Markup

from spiral import spc
from spiral.core import periods
from spiral.measurement import presenters as m_presenters
from spiral.organisations.permissions import Permission, can
from spiral.projects.models import ProjectMeasure
from spiral.sustainability import queries, watch

PANEL_ALERTS = 10  # gains at risk listed on a unit's page; the full list is on its holding-the-gain page


def fixed_chart(link: ProjectMeasure, fixed_on: Any) -> Markup | None:
    """The series' chart with its centre and limits fixed on the points up to `fixed_on` (the chart the
    watch judges), or None when there are too few points to fix them."""
    series, measure = link.series, link.series.measure
    rows = list(
        series.observations.order_by("period_start").values_list(
            "period_start", "value", "numerator", "denominator"
        )
    )
    base = sum(1 for r in rows if r[0] <= fixed_on)
    if base < watch.MIN_BASELINE:
        return None
    proportions = measure.chart in watch.PROPORTIONS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spc.SPCWarning)
        result = spc.analyse(
            [r[2] if proportions else r[1] for r in rows], chart=measure.chart, improvement=measure.improvement,
            baseline=base, denominators=[r[3] for r in rows] if proportions else None,
            dates=[periods.label(r[0], measure.frequency) for r in rows],
        )  # fmt: skip
    return m_presenters.chart_html(series, result, [])


def project_panel(request: Any, project: Any) -> str:
    """The project's overview panel: each watched measure's verdict, the gains at risk with their chart and
    the rule that fired (acknowledged or with a form to acknowledge), and the spread."""
    rows = queries.watches(request.user, project)
    if not rows:
        return ""
    at_risk = [
        {"watch": w, "alert": w.open_alert, "chart": fixed_chart(w.link, w.fixed_on)}  # type: ignore[attr-defined]
        for w in rows
        if w.open_alert is not None  # type: ignore[attr-defined]
    ]
    return render_to_string("sustainability/_project_panel.jinja", {
        "project": project, "rows": rows, "at_risk": at_risk, "spread": queries.spread(request.user, project, rows),
        "may_change": can(request.user, Permission.CHANGE_PROJECT, project), "min_points": watch.MIN_POINTS_AFTER,
        "verdict_text": watch.verdict_text,
    }, request=request)  # fmt: skip


def unit_panel(request: Any, unit: Any) -> str:
    """The unit's page panel: the open gains at risk of the projects in it and beneath it."""
    qs = queries.at_risk(request.user, unit)
    alerts = list(qs[:PANEL_ALERTS])
    if not alerts:
        return ""
    return render_to_string("sustainability/_unit_panel.jinja", {
        "unit": unit, "alerts": alerts, "total": len(alerts) if len(alerts) < PANEL_ALERTS else qs.count(),
    }, request=request)  # fmt: skip
