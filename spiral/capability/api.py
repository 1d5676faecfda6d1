"""API for capability: training tiers and records, headcount, a unit's dosage, leaky bucket, coaching
capacity and leaders, and survey results (anonymous below the threshold). Same conventions as the rest."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Annotated, Any

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from spiral.assessments.queries import instrument_or_404
from spiral.assessments.services import submit_unit_response
from spiral.capability import presenters, queries, services
from spiral.capability.models import TrainingTier
from spiral.core.api import Code, Name, Pagination, ShortText
from spiral.core.types import SignedInRequest
from spiral.organisations import queries as org_queries
from spiral.organisations.models import User
from spiral.organisations.permissions import Permission, require, visible_to

router = Router(tags=["capability"])


class TrainingTierOut(Schema):
    slug: str
    name: str
    kind: str
    level: int
    is_coach: bool
    who: str
    typical_dose: str


@router.get("/training-tiers", response=list[TrainingTierOut])
@paginate(Pagination)
def list_tiers(request: SignedInRequest) -> Any:
    """The dosage tiers (data): the improvement ladder first, then leadership development."""
    return queries.tiers(request.user)


class TrainingRecordOut(Schema):
    id: int
    person: int
    person_name: str
    tier: str
    unit: str
    completed_on: dt.date
    provider: str
    evidence: str


def _record(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "person": r.person_id, "person_name": r.person.display_name, "tier": r.tier.slug,
            "unit": r.unit.code, "completed_on": r.completed_on, "provider": r.provider, "evidence": r.evidence}  # fmt: skip


class TrainingFilter(Schema):
    unit: Code | None = Field(None, description="Only records of this unit and beneath (its code)")
    person: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Only this person's records (their id)"
    )


@router.get("/training-records", response=list[TrainingRecordOut])
@paginate(Pagination)
def list_training(request: SignedInRequest, filters: Query[TrainingFilter]) -> Any:
    """Training records, newest first; of a unit and beneath (`?unit=`) or one person (`?person=`)."""
    unit = org_queries.unit_for(request.user, filters.unit) if filters.unit else None
    person = None
    if filters.person is not None:
        person = visible_to(request.user, User.objects.filter(pk=filters.person)).first()
        if person is None:
            raise Http404("No person has that id")
    return [_record(r) for r in queries.training_records(request.user, person=person, within=unit)]


class TrainingIn(Schema):
    person: Annotated[str, Field(max_length=254)] = Field(description="The person's email address")
    tier: Annotated[str, Field(max_length=40)] = Field(description="The tier's slug, e.g. awareness")
    completed_on: dt.date
    provider: Name
    evidence: ShortText = ""
    unit: Code | None = Field(None, description="The unit they worked in (default: their only unit)")


@router.post("/training-records", response={201: TrainingRecordOut, 200: TrainingRecordOut})
def add_training(request: SignedInRequest, payload: TrainingIn) -> Any:
    """Record a person's training: 201 when new, 200 when the same training was already recorded."""
    person = visible_to(
        request.user, User.objects.filter(email__iexact=payload.person.strip(), is_active=True)
    ).first()
    if person is None:
        raise Http404(f"Nobody has the email {payload.person[:80]}")
    from spiral.organisations.permissions import require_may_record_training

    require_may_record_training(request.user, person)
    tier = TrainingTier.objects.filter(slug=payload.tier).first()
    if tier is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"tier": f"{payload.tier!r} is not a tier: use one of "
                               + ", ".join(TrainingTier.objects.values_list("slug", flat=True))})  # fmt: skip
    unit = org_queries.unit_for(request.user, payload.unit) if payload.unit else None
    record, created = services.record_training(
        person=person, tier=tier, completed_on=payload.completed_on, provider=payload.provider,
        evidence=payload.evidence, unit=unit, by=request.user,
    )  # fmt: skip
    return Status(201 if created else 200, _record(record))


class HeadcountOut(Schema):
    unit: str
    period: str
    staff: int


class HeadcountFilter(Schema):
    unit: Code | None = Field(None, description="Only this unit and beneath (its code)")


@router.get("/headcounts", response=list[HeadcountOut])
@paginate(Pagination)
def list_headcounts(request: SignedInRequest, filters: Query[HeadcountFilter]) -> Any:
    """Staff in post per unit and month."""
    unit = org_queries.unit_for(request.user, filters.unit) if filters.unit else None
    return [{"unit": h.unit.code, "period": f"{h.period_start:%Y-%m}", "staff": h.staff}
            for h in queries.headcounts(request.user, within=unit)]  # fmt: skip


class HeadcountIn(Schema):
    unit: Code
    period: Annotated[str, Field(max_length=20, description="The month, e.g. 2025-04")]
    staff: Annotated[int, Field(ge=0, le=services.MAX_STAFF)]


@router.post("/headcounts", response={201: HeadcountOut, 200: HeadcountOut})
def add_headcount(request: SignedInRequest, payload: HeadcountIn) -> Any:
    """Record a unit's staff in post for a month: 201 when new, 200 when changed or unchanged."""
    from django.core.exceptions import ValidationError

    from spiral.core import periods

    unit = org_queries.unit_for(request.user, payload.unit, Permission.RECORD_HEADCOUNT)
    try:
        month = periods.parse_month(payload.period)
    except periods.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from None
    row, what = services.record_headcount(unit=unit, period_start=month, staff=payload.staff, by=request.user)
    return Status(201 if what == "created" else 200,
                  {"unit": unit.code, "period": f"{row.period_start:%Y-%m}", "staff": row.staff})  # fmt: skip


class CapabilityTierOut(Schema):
    tier: str
    name: str
    kind: str
    people: int
    rate: float | None
    at_least: int | None
    at_least_rate: float | None


class DosageOut(Schema):
    unit: str
    month: dt.date | None
    headcount: int | None
    trained: int
    tiers: list[CapabilityTierOut]
    awareness_last_year: int
    pace_rate: float | None
    pace: str = Field(description="below, within or above the 10-20% a year NHS England suggests; unknown")
    pace_low: float
    pace_high: float
    leaders: int
    leaders_with_board_development: int
    board_first: bool
    active_projects: int
    projects_per_1000_staff: float | None
    trend: list[dict[str, Any]]
    peer_group: str
    peers: list[dict[str, Any]]


@router.get("/units/{code}/dosage", response=DosageOut)
def unit_dosage(request: SignedInRequest, code: Code) -> Any:
    """The dosage of a unit and everything beneath: trained per tier against headcount, pace, trend, peers."""
    unit = org_queries.unit_for(request.user, code)
    return presenters.dosage_dict(queries.dosage(request.user, unit))


class BucketOut(Schema):
    unit: str
    years: int
    trained_since: dt.date
    trained: int
    active: int
    experienced: int
    active_rate: float | None
    experienced_rate: float | None
    inactive: list[dict[str, Any]]


class BucketQuery(Schema):
    years: Annotated[int, Field(ge=1, le=20)] = 3


@router.get("/units/{code}/leaky-bucket", response=BucketOut)
def unit_bucket(request: SignedInRequest, code: Code, q: Query[BucketQuery]) -> Any:
    """Of the people trained in the last `years` years, who was active in a project in the last 12 months."""
    unit = org_queries.unit_for(request.user, code)
    return presenters.bucket_dict(queries.leaky_bucket(request.user, unit, years=q.years))


class CoachingOut(Schema):
    unit: str
    coaches: list[dict[str, Any]]
    idle_coaches: list[dict[str, Any]]
    without_coach: list[dict[str, Any]]
    unsupported: list[dict[str, Any]]


@router.get("/units/{code}/coaching", response=CoachingOut)
def unit_coaching(request: SignedInRequest, code: Code) -> Any:
    """Coaches and their loads, idle trained coaches, projects without a coach, unsupported improvers."""
    unit = org_queries.unit_for(request.user, code)
    c = queries.coaching(request.user, unit)
    return {
        "unit": unit.code,
        "coaches": [{"id": load.coach.pk, "name": load.coach.display_name,
                     "open_projects": [p.pk for p in load.projects],
                     "stuck": [{"project": p.pk, "signals": s} for p, s in load.stuck], "trained": load.trained}
                    for load in c.coaches],
        "idle_coaches": [{"id": p.pk, "name": p.display_name} for p in c.idle_coaches],
        "without_coach": [{"id": p.pk, "title": p.title, "unit": p.unit.code} for p in c.without_coach],
        "unsupported": [{"person": u.pk, "name": u.display_name, "project": p.pk} for u, p in c.unsupported],
    }  # fmt: skip


class SurveyRoundOut(Schema):
    round: str
    too_few: bool = Field(description="Fewer people answered than the threshold: nothing else is shown")
    respondents: int | None
    total: float | None
    groups: list[dict[str, Any]]


class SurveyResultsOut(Schema):
    instrument: str
    version: str
    name: str
    provisional: bool
    threshold: int
    rounds: list[SurveyRoundOut]


@router.get("/units/{code}/survey-results", response=list[SurveyResultsOut])
@paginate(Pagination)
def unit_survey_results(request: SignedInRequest, code: Code) -> Any:
    """Readiness, culture and NHS IMPACT results of a unit and beneath by round; anonymous below the threshold."""
    unit = org_queries.unit_for(request.user, code)
    out = []
    for slug in queries.SURVEYS:
        res = queries.survey_results(request.user, unit, slug)
        if res is not None:
            i = res["instrument"]
            out.append({"instrument": i.slug, "version": i.version, "name": i.name, "provisional": i.provisional,
                        "threshold": res["threshold"], "rounds": res["rounds"]})  # fmt: skip
    return out


class SurveyAnswerIn(Schema):
    instrument: Annotated[str, Field(max_length=80)] = Field(description="team-culture or nhs-impact")
    answers: dict[str, Annotated[str, Field(max_length=40)]]


class SurveyAnswerOut(Schema):
    id: int
    instrument: str
    answered_on: dt.date


@router.post("/units/{code}/survey-responses", response={201: SurveyAnswerOut})
def answer_survey(request: SignedInRequest, code: Code, payload: SurveyAnswerIn) -> Any:
    """Answer a unit's culture survey or self-assessment as yourself (once a day)."""
    unit = org_queries.unit_for(request.user, code)
    require(request.user, Permission.ANSWER_SURVEY, unit)
    instrument = instrument_or_404(request.user, payload.instrument)
    response = submit_unit_response(
        instrument=instrument, unit=unit, choices=payload.answers, by=request.user
    )
    return Status(
        201, {"id": response.pk, "instrument": instrument.slug, "answered_on": response.answered_on}
    )


class LeaderOut(Schema):
    person: int
    name: str
    unit: str
    improvement_tier: str | None
    improvement_on: dt.date | None
    leadership_tier: str | None
    leadership_on: dt.date | None


@router.get("/units/{code}/leaders", response=list[LeaderOut])
@paginate(Pagination)
def unit_leaders(request: SignedInRequest, code: Code) -> Any:
    """People with a leader role in a unit and beneath: their improvement training and leadership development."""
    unit = org_queries.unit_for(request.user, code)
    return [
        {"person": r.person.pk, "name": r.person.display_name, "unit": r.unit.code,
         "improvement_tier": r.improvement.tier.slug if r.improvement else None,
         "improvement_on": r.improvement.completed_on if r.improvement else None,
         "leadership_tier": r.leadership.tier.slug if r.leadership else None,
         "leadership_on": r.leadership.completed_on if r.leadership else None}
        for r in queries.leaders(request.user, unit)
    ]  # fmt: skip
