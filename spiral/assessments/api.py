"""API for assessments: the instruments loaded, a project's results, and answering as oneself."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from spiral.assessments import presenters, queries, services
from spiral.core.api import Pagination
from spiral.organisations.models import User
from spiral.organisations.permissions import Permission, require
from spiral.projects import queries as project_queries

router = Router(tags=["assessments"])


class OptionOut(Schema):
    key: str
    text: str
    score: str
    verified: bool


class ItemOut(Schema):
    key: str
    group: str
    text: str
    maximum: str
    verified: bool
    options: list[OptionOut]


class InstrumentOut(Schema):
    slug: str
    version: str
    name: str
    source: str
    licence: str
    applies_to: str
    scoring: str
    provisional: bool = Field(
        description="Some score is not verified from a source: show 'provisional scoring'"
    )
    is_current: bool
    items: list[ItemOut]


def _instrument(i: Any) -> dict[str, Any]:
    return {
        "slug": i.slug, "version": i.version, "name": i.name, "source": i.source, "licence": i.licence,
        "applies_to": i.applies_to, "scoring": i.scoring, "provisional": i.provisional, "is_current": i.is_current,
        "items": [{"key": it.key, "group": it.group.key, "text": it.text, "maximum": str(it.maximum),
                   "verified": it.verified,
                   "options": [{"key": o.key, "text": o.text, "score": str(o.score), "verified": o.verified}
                               for o in it.options.all()]} for it in i.items.all()],
    }  # fmt: skip


@router.get("/assessment-instruments", response=list[InstrumentOut])
@paginate(Pagination)
def list_instruments(request: HttpRequest) -> list[dict[str, Any]]:
    """Every instrument version loaded, the current version of each first."""
    qs = queries.instruments(request.user).prefetch_related("items__options", "items__group")
    return [_instrument(i) for i in qs]


class ResultsOut(Schema):
    instrument: dict[str, Any]
    round: str | None
    respondents: list[dict[str, Any]]
    team_total: str | None
    maximum: str
    interpretation: str | None
    items: list[dict[str, Any]]
    largest_gaps_first: list[str]
    rounds: list[dict[str, Any]]


@router.get("/projects/{project_id}/assessments", response=list[ResultsOut])
@paginate(Pagination)
def project_results(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    """A project's results for each current project instrument: side by side, summary, over time."""
    project = project_queries.project_for(request.user, project_id)
    out = []
    for instrument in queries.instruments(request.user).filter(is_current=True, applies_to="project"):
        instrument = queries.instrument_or_404(request.user, instrument.slug)
        responses = queries.project_responses(request.user, project, instrument.slug)
        out.append(presenters.as_dict(presenters.results(instrument, responses)))
    return out


class ResponseIn(Schema):
    instrument: str = Field(max_length=80, description="The instrument's slug, e.g. nhs-sustainability-model")
    answers: dict[str, Annotated[str, Field(max_length=40)]] = Field(
        description="Each item's key and the key of the option chosen"
    )
    respondent: str | None = Field(
        default=None, max_length=254, description="Optional: your own email. Nobody answers for someone else."
    )
    answered_on: dt.date | None = None


class ResponseOut(Schema):
    id: int
    instrument: str
    version: str
    respondent: str
    answered_on: dt.date
    total: str
    provisional: bool


@router.post("/projects/{project_id}/assessments", response={201: ResponseOut})
def answer(request: HttpRequest, project_id: int, payload: ResponseIn) -> Any:
    """Record your own answers about a project (team members only; once a day)."""
    project = project_queries.project_for(request.user, project_id)
    require(request.user, Permission.ANSWER_ASSESSMENT, project)
    instrument = queries.instrument_or_404(request.user, payload.instrument)
    respondent = None
    if payload.respondent is not None:
        respondent = User.objects.filter(email__iexact=payload.respondent.strip()).first() or User()
    response = services.submit_response(
        instrument=instrument, project=project, choices=payload.answers, by=request.user,  # type: ignore[arg-type]
        respondent=respondent, answered_on=payload.answered_on,
    )  # fmt: skip
    return Status(201, {
        "id": response.pk, "instrument": instrument.slug, "version": instrument.version,
        "respondent": request.user.display_name, "answered_on": response.answered_on,  # type: ignore[union-attr]
        "total": str(response.total), "provisional": instrument.provisional,
    })  # fmt: skip
