"""API for reporting: roll-ups and success factors of a unit and everything beneath it (issue 19).

Schema names start with "Reporting" so that none is the same as another app's (tests/core checks)."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core.api import Code, Pagination
from spiral.organisations import queries as org_queries
from spiral.organisations.permissions import Permission, require
from spiral.reporting import board as board_queries
from spiral.reporting import comparative as comparative_queries
from spiral.reporting import impact as impact_queries
from spiral.reporting import portfolio as portfolio_queries
from spiral.reporting import presenters, services, stats
from spiral.reporting import success as success_queries

router = Router(tags=["reporting"])


class ReportingProportion(Schema):
    achieved: int
    projects: int
    proportion: float | None
    low: float | None = Field(description="Wilson 95% interval, lower end")
    high: float | None = Field(description="Wilson 95% interval, upper end")


class ReportingFactorOut(Schema):
    factor: str = Field(
        description="patient_partner, coach, driver_diagram, pdsa, sustainability, topic, ..."
    )
    label: str
    with_factor: ReportingProportion
    without_factor: ReportingProportion
    risk_ratio: float | None
    low: float | None = Field(description="95% interval of the risk ratio (log method), lower end")
    high: float | None
    corrected: bool = Field(description="0.5 was added to every cell because one was zero (Haldane–Anscombe)")
    too_few: bool = Field(description=f"Fewer than {stats.MIN_CELL} in a cell or {stats.MIN_TOTAL} in all")
    adjusted_odds_ratio: float | None = Field(
        description="The odds ratio adjusted for the other yes-or-no factors (logistic regression); null when "
        "the factor is not in the model or no model could be fitted (see `adjusted`)"
    )
    adjusted_low: float | None = Field(description="95% Wald interval of the adjusted odds ratio, lower end")
    adjusted_high: float | None
    sentence: str


class ReportingUnavailableOut(Schema):
    factor: str
    label: str
    reason: str


class ReportingSuccessOut(Schema):
    unit: str
    closed: int
    judged: int
    derived_from_score: int
    unrecorded: int
    overall: ReportingProportion
    factors: list[ReportingFactorOut]
    not_available: list[ReportingUnavailableOut]
    adjusted: str = Field(description="How the adjusted odds ratios were worked out, or why there are none")
    note: str


def _prop(p: stats.Proportion) -> dict[str, Any]:
    return {"achieved": p.k, "projects": p.n, "proportion": p.p, "low": p.low, "high": p.high}


def _success(request: HttpRequest, code: str) -> dict[str, Any]:
    unit = org_queries.unit_for(request.user, code)
    r = success_queries.success_factors(request.user, unit)
    return {
        "unit": unit.code, "closed": r.closed, "judged": r.judged, "derived_from_score": r.derived,
        "unrecorded": r.unrecorded, "overall": _prop(r.overall),
        "factors": [
            {"factor": f.factor, "label": f.label, "with_factor": _prop(f.rr.with_factor),
             "without_factor": _prop(f.rr.without_factor), "risk_ratio": f.rr.ratio, "low": f.rr.low,
             "high": f.rr.high, "corrected": f.rr.corrected, "too_few": f.rr.too_few,
             "adjusted_odds_ratio": f.adjusted.ratio if f.adjusted else None,
             "adjusted_low": f.adjusted.low if f.adjusted else None,
             "adjusted_high": f.adjusted.high if f.adjusted else None, "sentence": f.sentence}
            for f in r.rows
        ],
        "not_available": [{"factor": u.factor, "label": u.label, "reason": u.reason} for u in r.unavailable],
        "adjusted": r.adjusted, "note": "Associations, not causes. " + r.adjusted,
    }  # fmt: skip


@router.get("/reporting/units/{code}/success", response=ReportingSuccessOut)
def success(request: HttpRequest, code: Code) -> dict[str, Any]:
    """What makes projects succeed: closed projects of the unit and beneath, with and without each factor."""
    return _success(request, code)


@router.get("/reporting/units/{code}/success/factors", response=list[ReportingFactorOut])
@paginate(Pagination)
def success_factor_list(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    """The same comparisons as a paged list (for a script reading many units)."""
    return _success(request, code)["factors"]


class ReportingCount(Schema):
    key: str
    label: str
    count: int


class ReportingTrendMonth(Schema):
    month: dt.date
    scored: int
    median: float | None
    at_least_3: int
    at_least_4: int


class ReportingMilestone(Schema):
    score: float
    started: int = Field(description="Open projects with a start date")
    reached: int
    median_months: float | None


class ReportingPenetrationOut(Schema):
    unit: str
    name: str
    teams: int
    with_active_project: int
    share: float | None


class ReportingAlertOut(Schema):
    project: int
    measure: str
    kind: str
    rule: str
    first_period: dt.date


class ReportingPortfolioOut(Schema):
    unit: str
    open: int
    with_patient_partner: int
    with_coach: int
    by_stage: list[ReportingCount]
    by_status: list[ReportingCount]
    by_score: list[ReportingCount]
    by_topic: list[ReportingCount]
    by_goal: list[ReportingCount]
    serving_no_goal: int
    trend: list[ReportingTrendMonth]
    milestones: list[ReportingMilestone]
    stuck: list[int] = Field(description="Ids of the projects stuck")
    gains_at_risk: list[ReportingAlertOut]
    penetration: ReportingPenetrationOut


def _pen(r: Any) -> dict[str, Any]:
    return {"unit": r.unit.code, "name": r.unit.name, "teams": r.teams, "with_active_project": r.with_active,
            "share": r.share}  # fmt: skip


@router.get("/reporting/units/{code}/portfolio", response=ReportingPortfolioOut)
def portfolio(request: HttpRequest, code: Code) -> dict[str, Any]:
    """The portfolio of the unit and everything beneath it: the numbers of the portfolio page."""
    unit = org_queries.unit_for(request.user, code)
    pf = portfolio_queries.portfolio(request.user, unit)
    return {
        "unit": unit.code, "open": pf.open, "with_patient_partner": pf.with_patient_partner,
        "with_coach": pf.with_coach,
        "by_stage": [{"key": v, "label": label, "count": n} for v, label, n in pf.counts.by_stage],
        "by_status": [{"key": v, "label": label, "count": n} for v, label, n in pf.statuses],
        "by_score": [{"key": s, "label": s, "count": n} for s, n in pf.counts.by_score],
        "by_topic": [{"key": t, "label": t, "count": n} for t, n in pf.counts.topics],
        "by_goal": [{"key": str(g), "label": title, "count": n} for g, title, n in pf.goals],
        "serving_no_goal": pf.no_goal,
        "trend": [t.__dict__ for t in pf.trend],
        "milestones": [{"score": float(m.score), "started": m.started, "reached": m.reached,
                        "median_months": m.median_months} for m in pf.milestones],
        "stuck": [s.pk for s in pf.stuck],
        "gains_at_risk": [{"project": a.link.project_id, "measure": a.link.series.measure.name, "kind": a.kind,
                           "rule": a.rule, "first_period": a.first_period} for a in pf.gains_at_risk],
        "penetration": _pen(pf.penetration_total),
    }  # fmt: skip


@router.get("/reporting/units/{code}/penetration", response=list[ReportingPenetrationOut])
@paginate(Pagination)
def penetration(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    """Teams with an active project, for each unit directly beneath the unit."""
    unit = org_queries.unit_for(request.user, code)
    rows, _total = portfolio_queries.penetration(request.user, unit)
    return [_pen(r) for r in rows]


class ReportingEvidenceOut(Schema):
    project: int
    series: int
    measure: str
    started: dt.date
    baseline: float
    current: float
    change: float = Field(
        description="Mean since the sustained shift less the baseline mean, in the measure's units"
    )
    since: dt.date
    events_a_year: float | None = Field(description="For count and rate charts only")
    sentence: str


class ReportingImpactOut(Schema):
    unit: str
    projects: int
    with_evidence: list[ReportingEvidenceOut]
    without_evidence: dict[str, int] = Field(description="Reason -> projects")


@router.get("/reporting/units/{code}/impact", response=ReportingImpactOut)
def impact(request: HttpRequest, code: Code) -> dict[str, Any]:
    """The impact of the unit's projects and beneath: sustained improvement in their outcome measures."""
    unit = org_queries.unit_for(request.user, code)
    r = impact_queries.impact(request.user, unit)
    return {
        "unit": unit.code, "projects": r.projects, "without_evidence": r.without,
        "with_evidence": [
            {"project": e.project.pk, "series": e.series.pk, "measure": e.measure.name, "started": e.start,
             "baseline": e.baseline, "current": e.current, "change": e.change, "since": e.since,
             "events_a_year": e.events_a_year, "sentence": presenters.events_text(e.events_a_year, e.measure)}
            for e in r.evidence
        ],
    }  # fmt: skip


class ReportingBoardPackOut(Schema):
    id: int
    unit: str
    month: dt.date
    trigger: str
    made_at: dt.datetime
    html: str = Field(description="Address of the pack (print page)")


class ReportingJobOut(Schema):
    job: int
    status: str
    address: str = Field(description="Where to follow the job")


def _pack_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "unit": p.unit.code, "month": p.month, "trigger": p.trigger, "made_at": p.created_at,
            "html": reverse("reporting:pack", args=[p.pk])}  # fmt: skip


@router.get("/reporting/units/{code}/board-packs", response=list[ReportingBoardPackOut])
@paginate(Pagination)
def board_packs(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    """Every board pack made for the unit, newest month first (a role on the unit or above reads them)."""
    unit = org_queries.unit_for(request.user, code)
    require(request.user, Permission.VIEW_FEEDBACK, unit)
    return [_pack_out(p) for p in board_queries.packs(request.user, unit)]


@router.post("/reporting/units/{code}/board-packs", response={202: ReportingJobOut})
def make_board_pack(request: HttpRequest, code: Code) -> Status:
    """Make this month's pack now, as background work (the unit's leaders)."""
    unit = org_queries.unit_for(request.user, code, Permission.CHANGE_UNIT)
    job = services.request_board_pack(unit=unit, by=request.user)  # type: ignore[arg-type]  # signed in
    return Status(202, {"job": job.pk, "status": job.status, "address": reverse("job", args=[job.pk])})


class ReportingIndicatorPackOut(Schema):
    code: str
    name: str
    metadata: dict[str, str]


class ReportingComparativeRowOut(Schema):
    unit_code: str
    values: dict[str, Any] = Field(description="The pack's columns for this unit (as in the CSV)")


def _indicator(request: HttpRequest, code: str) -> Any:
    measure = comparative_queries.indicators(request.user).filter(code=code).first()
    if measure is None:
        raise Http404(f"No indicator has the code {code}")
    return measure


@router.get("/reporting/comparative", response=list[ReportingIndicatorPackOut])
@paginate(Pagination)
def comparative_indicators(request: HttpRequest) -> list[dict[str, Any]]:
    """Every indicator with a comparative data pack, with its metadata (definition, source, method)."""
    return [{"code": m.code, "name": m.name, "metadata": {
        "definition": m.description, "numerator": m.numerator_definition, "denominator": m.denominator_definition,
        "chart": m.chart, "improvement": m.improvement, "frequency": m.frequency, "defined_by": m.owner.code,
        "method": comparative_queries.METHOD}} for m in comparative_queries.indicators(request.user)]  # fmt: skip


@router.get("/reporting/comparative/{code}/units", response=list[ReportingComparativeRowOut])
@paginate(Pagination)
def comparative_units(request: HttpRequest, code: Code) -> list[dict[str, Any]]:
    """One indicator's pack: a row for every unit that reports it, the columns of the CSV."""
    found = comparative_queries.comparative_pack(request.user, _indicator(request, code))
    return [{"unit_code": row[0], "values": dict(zip(found.header, row, strict=True))} for row in found.rows]
