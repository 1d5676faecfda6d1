"""API for benchmarking: an indicator's funnel plot and gap to potential across a peer group."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from spiral.benchmarking import presenters, queries
from spiral.benchmarking.forms import ANY_TYPE
from spiral.core.api import Code, Name
from spiral.organisations import queries as org_queries
from spiral.organisations.models import UnitKind

router = Router(tags=["benchmarking"])


class PeerQuery(Schema):
    within: Code | None = Field(
        None, description="Code of the unit whose units are compared (default: the top)"
    )
    kind: UnitKind = Field(UnitKind.ORGANISATION, description="Compare units of this kind")
    organisation_type: Code | None = Field(
        None,
        description="Only organisations of this type; `any` for every type. Left out, the peers are like "
        "for like: organisations of the highlighted unit's own type (as on the pages)",
    )
    unit: Code | None = Field(
        None, description="The unit compared (highlighted): decides the like-for-like type"
    )
    period: Name | None = Field(None, description="e.g. 2025-03; default: the latest period with data")


class FunnelQuery(PeerQuery):
    method: Literal["auto", "none", "phi", "tau2"] = Field(
        "auto",
        description="auto (default): additive random effects (τ²) when the χ² test finds overdispersion, "
        "else exact limits; none: exact limits; phi: multiplicative; tau2: additive random effects",
    )


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
    judgement: Literal["better", "worse", "neutral", "within"] = Field(
        description="Beyond a limit: better or worse by the measure's direction of improvement, neutral "
        "when it has none; within otherwise"
    )


class FunnelOut(Schema):
    measure: str
    period: str | None
    method: str = Field(description="The method asked for")
    applied: str | None = Field(description="The limits drawn: none (exact), phi or tau2")
    centre: float | None = Field(description="Pooled proportion (0–1) or rate per unit of denominator")
    phi: float | None
    tau2: float | None
    p_value: float | None = Field(description="The χ² test of overdispersion: P(χ² on I − 1 df ≥ I·φ)")
    overdispersed: bool | None = Field(description="Whether p_value is below 0.05")
    peers: str = Field(description="The peer group compared, e.g. 'acute trusts in England'")
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


def _data(request: HttpRequest, measure_code: Code, q: PeerQuery) -> Any:
    measure = queries.indicator_by_code(request.user, measure_code)
    if measure is None:
        raise Http404(f"No measure has the code {measure_code}")
    within = None
    if q.within:
        within = org_queries.unit_by_code(request.user, q.within)
        if within is None:
            raise ValidationError({"within": f"No unit has the code {q.within}"})
    else:
        within = queries.top_unit(request.user)
        if within is None:
            raise Http404("There are no units yet")
    organisation_type = q.organisation_type or ""
    if organisation_type == ANY_TYPE:
        organisation_type = ""
    elif not organisation_type and q.unit:
        chosen = org_queries.unit_by_code(request.user, q.unit)
        if chosen is None:
            raise ValidationError({"unit": f"No unit has the code {q.unit}"})
        if chosen.kind == q.kind:  # the pages' default (benchmarking.views._state)
            organisation_type = queries.like_for_like(within, chosen).organisation_type
    group = queries.PeerGroup(within=within, kind=q.kind, organisation_type=organisation_type)
    return queries.peer_data(request.user, measure=measure, group=group, period=q.period)


@router.get("/indicators/{measure_code}/funnel", response=FunnelOut)
def funnel(request: HttpRequest, measure_code: Code, q: Query[FunnelQuery]) -> dict[str, Any]:
    """Every peer's value with its 95% and 99.8% limits and flag (docs/reference/qi.md §5;
    docs/reference/interfaces.md §5)."""
    data = _data(request, measure_code, q)
    result = queries.compute(data, q.method)
    period = data.period.isoformat()[:7] if data.period else None
    if result is None:
        return {"measure": data.measure.code, "period": period, "method": q.method, "applied": None,
                "centre": None, "phi": None, "tau2": None, "p_value": None, "overdispersed": None,
                "peers": data.group.describe(), "points": []}  # fmt: skip
    return {
        "measure": data.measure.code,
        "period": period,
        "method": result.method,
        "applied": result.applied,
        "centre": result.centre,
        "phi": result.phi,
        "tau2": result.tau2,
        "p_value": result.p_value,
        "overdispersed": result.overdispersed,
        "peers": data.group.describe(),
        "points": presenters.point_rows(data, result),
    }


@router.get("/indicators/{measure_code}/gap", response=GapOut)
def gap(request: HttpRequest, measure_code: Code, q: Query[GapQuery]) -> dict[str, Any]:
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
