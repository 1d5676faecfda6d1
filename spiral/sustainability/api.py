"""API for holding the gain: a project's hand-over checklist."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
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
            raise ValidationError({"owner": f"Nobody uses Spiral with the email {payload.owner}"})
    services.save_handover(
        project=project, by=request.user, owner=owner, measure_ids=payload.measures,  # type: ignore[arg-type]
        standard_work=payload.standard_work, training=payload.training, review_on=payload.review_on,
    )  # fmt: skip
    return _out(project.pk, queries.handover(request.user, project))


class WatchedMeasureOut(Schema):
    link: int = Field(description="The project's measure link")
    measure: str
    unit: str = Field(description="The series' unit code")
    fixed_on: dt.date = Field(description="The limits are fixed on the points up to this date")
    fixed_from: str = Field(description="handover, sustaining, closed or first_watched")
    state: str = Field(description="too_early, holding or at_risk (as last judged)")
    points_after: int = Field(description="Points since the fixed date (6 are needed to judge)")
    checked_at: dt.datetime | None
    alert: int | None = Field(None, description="The open gain at risk, if any")
    rule: str = Field("", description="The rule that fired")
    first_period: dt.date | None = None
    acknowledged_at: dt.datetime | None = None
    note: str = ""


class WatchOut(Schema):
    project: int
    spread: str = Field(description='e.g. "Held here, adopted by 4 units, improving in 3"')
    adopted_by: int
    improving: int
    measures: list[WatchedMeasureOut]


class AcknowledgeIn(Schema):
    alert: int = Field(description="The open gain at risk to acknowledge")
    note: str = Field(max_length=2000, description="A known cause, an action started")


def _watch_out(request: HttpRequest, project: Any) -> dict[str, Any]:
    rows = queries.watches(request.user, project)
    spread = queries.spread(request.user, project, rows)
    measures = []
    for w in rows:
        alert = w.open_alert  # type: ignore[attr-defined]
        measures.append({
            "link": w.link_id, "measure": w.link.series.measure.name, "unit": w.link.series.unit.code,
            "fixed_on": w.fixed_on, "fixed_from": w.fixed_from, "state": w.state, "points_after": w.points_after,
            "checked_at": w.checked_at, "alert": alert.pk if alert else None, "rule": alert.rule if alert else "",
            "first_period": alert.first_period if alert else None,
            "acknowledged_at": alert.acknowledged_at if alert else None, "note": alert.note if alert else "",
        })  # fmt: skip
    return {"project": project.pk, "spread": spread.text, "adopted_by": spread.units,
            "improving": spread.improving, "measures": measures}  # fmt: skip


@router.get("/projects/{project_id}/watch", response=WatchOut)
def get_watch(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """The holding-the-gain watch on each of the project's measures, its open gains at risk, its spread."""
    project = project_queries.project_for(request.user, project_id)
    return _watch_out(request, project)


@router.post("/projects/{project_id}/watch/acknowledge", response=WatchOut)
def acknowledge(request: HttpRequest, project_id: int, payload: AcknowledgeIn) -> dict[str, Any]:
    """Acknowledge an open gain at risk with a note (the project's team, or a leading role on its unit)."""
    project = project_queries.project_for(request.user, project_id)
    require(request.user, Permission.CHANGE_PROJECT, project)
    alert = queries.open_alert(request.user, project, payload.alert)
    if alert is None:  # a body naming something not there: refused past the permission check
        raise ValidationError({"alert": f"No open gain at risk of this project has the id {payload.alert}"})
    services.acknowledge_alert(alert=alert, by=request.user, note=payload.note)  # type: ignore[arg-type]
    return _watch_out(request, project)
