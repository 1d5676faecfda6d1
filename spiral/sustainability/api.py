"""API for holding the gain: a project's hand-over checklist."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from spiral.organisations.models import User
from spiral.organisations.permissions import Permission, require
from spiral.projects import queries as project_queries
from spiral.sustainability import queries, services

router = Router(tags=["sustainability"])


class HandoverOut(Schema):
    project: int
    owner: str | None
    measures: list[int]
    standard_work: str
    training: str
    review_on: dt.date | None
    left: list[str] = Field(description="What the checklist still lacks (empty when complete)")


class HandoverIn(Schema):
    owner: str | None = Field(default=None, max_length=254, description="The owner's email")
    measures: list[int] = Field(
        default_factory=list, max_length=100, description="Ids of the project's measure links"
    )
    standard_work: str = Field(default="", max_length=500)
    training: str = Field(default="", max_length=2000)
    review_on: dt.date | None = None


def _out(project_id: int, h: Any) -> dict[str, Any]:
    if h is None:
        return {"project": project_id, "owner": None, "measures": [], "standard_work": "", "training": "",
                "review_on": None, "left": ["the whole checklist: nothing is handed over yet"]}  # fmt: skip
    return {
        "project": project_id, "owner": h.owner.email if h.owner else None,
        "measures": sorted(m.pk for m in h.measures.all()), "standard_work": h.standard_work,
        "training": h.training, "review_on": h.review_on, "left": h.left(),
    }  # fmt: skip


@router.get("/projects/{project_id}/handover", response=HandoverOut)
def get_handover(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """The project's hand-over checklist and what is left."""
    project = project_queries.project_for(request.user, project_id)
    return _out(project.pk, queries.handover(request.user, project))


@router.put("/projects/{project_id}/handover", response=HandoverOut)
def put_handover(request: HttpRequest, project_id: int, payload: HandoverIn) -> dict[str, Any]:
    """Set the hand-over checklist (the project's team, or a leading role on its unit)."""
    project = project_queries.project_for(request.user, project_id)
    require(request.user, Permission.CHANGE_PROJECT, project)
    owner = None
    if payload.owner:
        owner = User.objects.filter(email__iexact=payload.owner.strip(), is_active=True).first()
        if owner is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"owner": f"Nobody uses Spiral with the email {payload.owner}"})
    services.save_handover(
        project=project, by=request.user, owner=owner, measure_ids=payload.measures,  # type: ignore[arg-type]
        standard_work=payload.standard_work, training=payload.training, review_on=payload.review_on,
    )  # fmt: skip
    return _out(project.pk, queries.handover(request.user, project))
