"""Hand-over pages: a project's checklist, and what a unit now owns. Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from spiral.core.forms import add_service_errors
from spiral.organisations import queries as org_queries
from spiral.organisations.permissions import Permission, can, require
from spiral.projects import queries as project_queries
from spiral.sustainability import queries, services, watch
from spiral.sustainability.forms import HandoverForm


def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """The hand-over checklist of a project: what is done and what is left; its team or leads edit it."""
    project = project_queries.project_for(request.user, pk)
    current = queries.handover(request.user, project)
    initial = {}
    if current is not None:
        initial = {
            "owner": current.owner.email if current.owner else "", "standard_work": current.standard_work,
            "training": current.training, "review_on": current.review_on,
            "measures": [m.pk for m in current.measures.all()],
        }  # fmt: skip
    form = HandoverForm(request.POST if request.method == "POST" else None, initial=initial, project=project)
    status = 200
    if request.method == "POST" and "acknowledge" in request.POST:
        require(request.user, Permission.CHANGE_PROJECT, project)
        return _acknowledge(request, project)
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
        if form.is_valid():
            try:
                services.save_handover(
                    project=project, by=request.user,  # type: ignore[arg-type]  # signed in: require() passed
                    owner=form.cleaned_data["owner"], measure_ids=form.cleaned_data["measures"],
                    standard_work=form.cleaned_data["standard_work"], training=form.cleaned_data["training"],
                    review_on=form.cleaned_data["review_on"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "The hand-over is saved")
                return redirect(request.path)
        status = 400
    left = current.left() if current is not None else None
    watched = queries.watches(request.user, project)
    return render(request, "sustainability/handover.jinja", {
        "page_title": f"Hand-over of {project.title}", "active_nav": "projects", "project": project,
        "handover": current, "left": left, "form": form, "may_hand_over": services.may_hand_over(project),
        "watched": watched, "min_points": watch.MIN_POINTS_AFTER, "verdict_text": watch.verdict_text,
        "may_change": can(request.user, Permission.CHANGE_PROJECT, project),
        "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/projects/", "text": "Projects"},
                        {"href": f"/projects/{project.pk}/", "text": project.title}],
    }, status=status)  # fmt: skip


def _acknowledge(request: HttpRequest, project: Any) -> HttpResponse:
    alert = None
    if str(request.POST.get("acknowledge", "")).isdigit():
        alert = queries.open_alert(request.user, project, int(request.POST["acknowledge"]))
    if alert is None:
        messages.error(request, "That alert is not an open one of this project's")
        return redirect(request.path)
    try:
        services.acknowledge_alert(alert=alert, by=request.user, note=request.POST.get("note", "")[:2000])  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Acknowledged: the note is recorded")
    return redirect(request.path)


def unit_owns(request: HttpRequest, code: str) -> HttpResponse:
    """What a unit (and everything beneath it) now owns: the hand-overs of its sustaining projects."""
    unit = org_queries.unit_for(request.user, code)
    handovers = list(queries.owned_by_unit(request.user, unit))
    return render(request, "sustainability/unit.jinja", {
        "page_title": f"What {unit.name} owns", "unit": unit, "handovers": handovers,
        "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": f"/units/{unit.code}/", "text": unit.name}],
    })  # fmt: skip
