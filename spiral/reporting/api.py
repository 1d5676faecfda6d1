"""API for reporting: roll-ups and success factors of a unit and everything beneath it (issue 19).

Schema names start with "Reporting" so that none is the same as another app's (tests/core checks)."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from spiral.core.api import Code, Pagination
from spiral.organisations import queries as org_queries
from spiral.reporting import stats
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
             "high": f.rr.high, "corrected": f.rr.corrected, "too_few": f.rr.too_few, "sentence": f.sentence}
            for f in r.rows
        ],
        "not_available": [{"factor": u.factor, "label": u.label, "reason": u.reason} for u in r.unavailable],
        "note": "Associations, not causes. " + r.adjusted,
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
