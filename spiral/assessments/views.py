"""Assessment pages: a project's assessment (answer it; the team's answers side by side). Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from spiral.assessments import presenters, queries, services
from spiral.assessments.forms import AnswerForm
from spiral.core.errors import Duplicate
from spiral.core.forms import add_service_errors
from spiral.organisations.permissions import Permission, can, require
from spiral.projects import queries as project_queries


def project_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """The Sustainability Model (or `?instrument=<slug>`) for a project: the team answers, all compare."""
    project = project_queries.project_for(request.user, pk)
    slug = request.GET.get("instrument", queries.SUSTAINABILITY_MODEL)[:80]
    instrument = queries.current_instrument(request.user, slug)
    may_answer = can(request.user, Permission.ANSWER_ASSESSMENT, project)
    on_team = project.has_team_member(request.user)
    form = None
    status = 200
    if instrument is not None:
        form = AnswerForm(request.POST if request.method == "POST" else None, instrument=instrument)
    if request.method == "POST":
        require(request.user, Permission.ANSWER_ASSESSMENT, project)
        if form is None:
            messages.error(request, f"No instrument {slug!r} has been loaded, so there is nothing to answer")
            return redirect(request.get_full_path())
        if form.is_valid() and instrument is not None:
            try:
                services.submit_response(
                    instrument=instrument,
                    project=project,
                    choices=form.cleaned_data,
                    by=request.user,  # type: ignore[arg-type]  # signed in: require() passed
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 409 if isinstance(exc, Duplicate) else 400
            else:
                messages.success(request, "Your answers are saved: they appear beside the team's below")
                return redirect(request.get_full_path())
        status = status if status != 200 else 400
    context: dict[str, Any] = {
        "page_title": f"Sustainability of {project.title}", "active_nav": "projects", "project": project,
        "instrument": instrument, "form": form, "may_answer": may_answer and on_team,
        "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/projects/", "text": "Projects"},
                        {"href": f"/projects/{project.pk}/", "text": project.title}],
    }  # fmt: skip
    if instrument is not None:
        res = presenters.results(instrument, queries.project_responses(request.user, project, slug))
        context |= {"res": res, "bars": presenters.bar_chart_svg(res), "portal": presenters.radar_svg(res)}
    return render(request, "assessments/project.jinja", context, status=status)
