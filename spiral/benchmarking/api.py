"""API for benchmarking: an indicator's funnel plot and gap to potential across a peer group."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from spiral.benchmarking import presenters, queries
from spiral.organisations.models import Unit, UnitKind
from spiral.organisations.permissions import visible_to

router = Router(tags=["benchmarking"])


class PeerQuery(Schema):
    within: str | None = Field(
        None, description="Code of the unit whose units are compared (default: the top)"
    )
    kind: UnitKind = Field(UnitKind.ORGANISATION, description="Compare units of this kind")
    organisation_type: str | None = Field(None, description="Only organisations of this type")
    period: str | None = Field(None, description="e.g. 2025-03; default: the latest period with data")


class FunnelQuery(PeerQuery):
    method: Literal["none", "phi", "tau2"] = "none"


class GapQuery(PeerQuery):
    best: Literal["quartile", "decile1", "decile2", "decile3", "decile4"] = "quartile"


class FunnelPoint(Schema):
    unit: str
    numerator: float
    denominator: float
    value: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    flag: Literal["above_998", "above_95", "within", "below_95", "below_998"]


class FunnelOut(Schema):
    measure: str
    period: str | None
    method: str
    centre: float | None = Field(description="Pooled proportion (0–1) or rate per unit of denominator")
    phi: float | None
    tau2: float | None
    points: list[FunnelPoint]


class GapUnit(Schema):
    unit: str
    value: float
    denominator: float
    gap: float = Field(description="Distance from the potential in the measure's units (0 if there already)")
    events: float = Field(description="Events a period that reaching the potential would mean")
    wording: str


class GapChild(Schema):
    unit: str
    units: int
    events: float
    wording: str


class GapOut(Schema):
    measure: str
    period: str | None
    improvement: str
    best: str
    potential: float | None
    total_events: float
    wording: str
    units: list[GapUnit]
    by_child: list[GapChild]


def _data(request: HttpRequest, measure_code: str, q: PeerQuery) -> Any:
    measure = queries.indicator_by_code(request.user, measure_code)
    if measure is None:
        raise Http404(f"No measure has the code {measure_code}")
    within = None
    if q.within:
        within = visible_to(request.user, Unit.objects.filter(code=q.within)).first()
        if within is None:
            raise ValidationError({"within": f"No unit has the code {q.within}"})
    else:
        within = visible_to(request.user, Unit.objects.filter(parent__isnull=True)).order_by("path").first()
        if within is None:
            raise Http404("There are no units yet")
    group = queries.PeerGroup(within=within, kind=q.kind, organisation_type=q.organisation_type or "")
    return queries.peer_data(request.user, measure=measure, group=group, period=q.period)


@router.get("/indicators/{measure_code}/funnel", response=FunnelOut)
def funnel(request: HttpRequest, measure_code: str, q: Query[FunnelQuery]) -> dict[str, Any]:
    """Every peer's value with its 95% and 99.8% limits and flag (qi.md §5; interfaces.md)."""
    data = _data(request, measure_code, q)
    result = queries.compute(data, q.method)
    period = data.period.isoformat()[:7] if data.period else None
    if result is None:
        return {"measure": data.measure.code, "period": period, "method": q.method, "centre": None, "phi": None,
                "tau2": None, "points": []}  # fmt: skip
    return {
        "measure": data.measure.code,
        "period": period,
        "method": result.method,
        "centre": result.centre,
        "phi": result.phi,
        "tau2": result.tau2,
        "points": presenters.point_rows(data, result),
    }


@router.get("/indicators/{measure_code}/gap", response=GapOut)
def gap(request: HttpRequest, measure_code: str, q: Query[GapQuery]) -> dict[str, Any]:
    """Each peer's gap to the best quartile (or chosen decile), and the same summed over the children of
    `within` (where the biggest gains lie)."""
    data = _data(request, measure_code, q)
    potential, rows = queries.gaps(data, q.best)
    children = queries.gaps_by_child(request.user, parent=data.group.within, rows=rows)
    total = sum(r.events for r in rows)
    measure = data.measure
    return {
        "measure": measure.code,
        "period": data.period.isoformat()[:7] if data.period else None,
        "improvement": measure.improvement,
        "best": q.best,
        "potential": potential,
        "total_events": total,
        "wording": presenters.gap_sentence(total, measure),
        "units": [
            {
                "unit": r.point.code,
                "value": r.value,
                "denominator": r.point.denominator,
                "gap": r.gap,
                "events": r.events,
                "wording": presenters.gap_sentence(r.events, measure),
            }
            for r in rows
        ],
        "by_child": [
            {
                "unit": c.unit.code,
                "units": c.units,
                "events": c.events,
                "wording": presenters.gap_sentence(c.events, measure),
            }
            for c in children
        ],
    }
