"""API for feedback: forms of a unit, the public answer endpoint, and answers for staff who may see them."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core.api import Code, Name, Pagination, ShortText
from spiral.core.ratelimits import RateLimited
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can
from spiral.voice import queries, services, views
from spiral.voice.models import Moderation

router = Router(tags=["feedback"])

RatingIn = Literal["very_good", "good", "neither", "poor", "very_poor", "dont_know"]


class FormOut(Schema):
    id: int
    slug: str = Field(description="The public address is /f/<slug>/")
    title: str
    audience: str
    unit: str
    question: str
    own_questions: list[str]
    is_open: bool

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.code


class AnswerIn(Schema):
    rating: RatingIn
    good: ShortText = ""
    better: ShortText = ""
    answers: dict[Name, ShortText] = Field(
        default_factory=dict, max_length=50, description="Answers to the form's own questions"
    )


class AnswerAccepted(Schema):
    status: str = Field(description="published, or review when personal details were removed")
    message: str


class AnswerOut(Schema):
    id: int
    form: int
    unit: str
    period: str
    rating: str
    good: str
    better: str
    answers: dict[str, str]
    status: str
    redacted: list[str]
    themes: list[str]
    created_at: dt.datetime

    @staticmethod
    def resolve_form(obj: Any) -> int:
        return obj.form_id

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.form.unit.code

    @staticmethod
    def resolve_period(obj: Any) -> str:
        return obj.period_start.isoformat()[:7]

    @staticmethod
    def resolve_answers(obj: Any) -> dict[str, str]:
        return obj.extra

    @staticmethod
    def resolve_themes(obj: Any) -> list[str]:
        return [t.name for t in obj.themes.all()]


def _unit(request: HttpRequest, code: str) -> Unit:
    unit = org_queries.unit_by_code(request.user, code)
    if unit is None:
        raise Http404(f"No unit has the code {code}")
    return unit


@router.get("/feedback/forms", response=list[FormOut])
@paginate(Pagination)
def list_forms(request: HttpRequest, unit: Code | None = None) -> Any:
    """Feedback forms (of `unit` and beneath, if given), each with its public `slug`."""
    found = _unit(request, unit) if unit else None
    return queries.forms(request.user, unit=found, beneath=True)


@router.post("/feedback/forms/{slug}/responses", auth=None, response={201: AnswerAccepted})
def answer(request: HttpRequest, slug: Name, payload: AnswerIn) -> Any:
    """Answer a form, without signing in (as its public page). Rate-limited per address and form; personal
    details are removed before anything is kept. No cookies are read, so no CSRF token is needed."""
    form = queries.open_form_by_slug(slug)
    if form is None:
        raise Http404("This feedback form is not open")
    limited = views.rate_limited(request, slug)
    if limited:
        raise RateLimited(limited.retry_after, "Too many answers to this form from this address")
    saved = services.submit_answer(
        form=form, rating=payload.rating, good=payload.good, better=payload.better, extra=payload.answers,
        source="api",
    )  # fmt: skip
    message = "Thank you for your feedback."
    if saved.status == Moderation.REVIEW:
        message += (
            " Something in it looked like personal details (removed where we were sure); a member of staff "
            "will check the answer before it is shown."
        )
    return Status(201, {"status": saved.status, "message": message})


@router.get("/feedback/responses", response=list[AnswerOut])
@paginate(Pagination)
def list_answers(request: HttpRequest, unit: Code) -> Any:
    """Answers to the forms of `unit` and beneath, for those who may see its feedback (waiting answers
    only for those who may moderate them)."""
    found = _unit(request, unit)
    if not can(request.user, Permission.VIEW_FEEDBACK, found):
        raise PermissionDenied(f"You do not have permission to see the feedback of {found.code}")
    return queries.answers(request.user, unit=found)
