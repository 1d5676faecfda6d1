"""Goal pages: a unit's True North goals, setting one, a goal with its measures and catchball
conversation, answering a goal of the unit above (adopt, adapt, decline), and the cascade of a goal.
Thin: authorise, call one query or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from spiral.core.forms import add_service_errors, submit_form
from spiral.core.types import SignedInRequest
from spiral.measurement import presenters as m_presenters
from spiral.measurement.models import Measure
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can, require
from spiral.priorities import presenters, queries, services
from spiral.priorities.forms import (
    BreakthroughForm,
    DecisionForm,
    GoalForm,
    IdeaForm,
    MessageForm,
    MoveForm,
    RespondForm,
    ScoreForm,
    ServeForm,
)
from spiral.priorities.models import Goal, Response
from spiral.projects import queries as project_queries


def _crumbs(unit: Unit | None = None) -> list[dict[str, str]]:
    crumbs = [{"href": "/", "text": "Home"}, {"href": reverse("priorities:index"), "text": "Priorities"}]
    if unit is not None:
        crumbs.append({"href": reverse("priorities:unit", args=[unit.code]), "text": unit.name})
    return crumbs


def _measure(request: HttpRequest, code: str, field: str) -> Measure | None:
    return queries.measure_by_code(request.user, code, field=field) if (code or "").strip() else None


def _goal_url(goal: Goal) -> str:
    return reverse("priorities:goal", args=[goal.pk])


def index(request: SignedInRequest) -> HttpResponse:
    top = list(queries.goals(request.user, top_only=True)[:200])
    return render(request, "priorities/index.jinja", {
        "page_title": "True North goals", "active_nav": "priorities", "goals": top,
        "breadcrumbs": _crumbs()[:1],
    })  # fmt: skip


def unit_page(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    return render(request, "priorities/unit.jinja", {
        "page_title": f"True North goals of {unit.name}", "active_nav": "priorities", "unit": unit,
        "goals": list(queries.goals(request.user, unit=unit)), "awaiting": queries.awaiting(request.user, unit),
        "may_set": can(request.user, Permission.SET_GOALS, unit), "breadcrumbs": _crumbs(),
        "unserved": queries.unserved(request.user, unit),
    })  # fmt: skip


def goal_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.SET_GOALS)
    form = GoalForm(request.POST or None)

    def save(data: dict[str, Any]) -> Goal:
        measures = []
        for measure_code, target, role, i in form.pairs():
            if target is None:
                raise ValidationError({f"target_{i}": "Enter the target for this measure"})
            measure = queries.measure_by_code(request.user, measure_code, field=f"measure_{i}")
            measures.append((measure, target, role))
        return services.set_goal(
            unit=unit, by=request.user, title=data["title"], category=data["category"],
            description=data["description"], target_date=data["target_date"], measures=measures,
            confirm_direction=data["confirm_direction"],
        )  # fmt: skip

    done = submit_form(request, form, save=save, success_url=_goal_url, message="The goal is set",
                       field_map={"measures": "measure_1", "target": "target_1"})  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/goal_form.jinja", {
        "page_title": f"New True North goal for {unit.name}", "active_nav": "priorities", "unit": unit,
        "form": form, "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def goal_detail(
    request: SignedInRequest, pk: int, message_form: MessageForm | None = None,
    breakthrough_form: BreakthroughForm | None = None,
) -> HttpResponse:  # fmt: skip
    goal = queries.goal_for(request.user, pk)
    may_change = can(request.user, Permission.SET_GOALS, goal)
    may_talk = goal.response == Response.PENDING and may_change
    cells = queries.cells(request.user, goal)
    analysed = queries.analysed(request.user, goal, cells)
    months, bowling = presenters.bowling(analysed)
    return render(request, "priorities/goal.jinja", {
        "page_title": goal.title, "active_nav": "priorities", "goal": goal, "p": m_presenters,
        "cells": cells, "conversation": queries.messages(request.user, goal),
        "watch_concerns": [c for c in cells if c.is_watch_concern],
        "charts": presenters.driver_charts(analysed), "months": months, "bowling": bowling,
        "breakthroughs": queries.breakthroughs(request.user, goal), "work": queries.work(request.user, goal),
        "breakthrough_form": breakthrough_form or (BreakthroughForm(prefix="breakthrough") if may_change and goal.is_carried else None),
        "responses": queries.responses(request.user, goal),
        "may_answer": bool(queries.units_to_answer_for(request.user, goal)),
        "may_change": may_change,
        "message_form": message_form or (MessageForm() if may_talk else None),
        "breadcrumbs": _crumbs(goal.unit),
    })  # fmt: skip


@require_POST
def catchball(request: SignedInRequest, pk: int) -> HttpResponse:
    goal = queries.goal_for(request.user, pk, Permission.SET_GOALS)
    form = MessageForm(request.POST)

    def save(data: dict[str, Any]) -> Any:
        return services.add_message(
            goal=goal, by=request.user, kind=data["kind"], text=data["text"],
            measure=_measure(request, data["measure"], "measure"),
            replaces=_measure(request, data["replaces"], "replaces"), target=data["target"],
            confirm_direction=data["confirm_direction"],
        )  # fmt: skip

    done = submit_form(request, form, save=save, success_url=_goal_url(goal) + "#catchball",
                       message="Your turn is recorded")  # fmt: skip
    return done or goal_detail(request, pk, message_form=form)


@require_POST
def breakthrough(request: SignedInRequest, pk: int) -> HttpResponse:
    goal = queries.goal_for(request.user, pk, Permission.SET_GOALS)
    form = BreakthroughForm(request.POST, prefix="breakthrough")

    def save(data: dict[str, Any]) -> Any:
        return services.add_breakthrough(goal=goal, by=request.user, **data)

    done = submit_form(request, form, save=save, success_url=_goal_url(goal) + "#breakthroughs",
                       message="The breakthrough objective is added")  # fmt: skip
    return done or goal_detail(request, pk, breakthrough_form=form)


def respond(request: SignedInRequest, pk: int) -> HttpResponse:
    goal = queries.goal_for(request.user, pk)
    form = RespondForm(request.POST or None, initial={"unit": request.GET.get("unit", "")[:64]})
    if request.method == "POST" and form.is_valid():
        unit = org_queries.unit_by_code(request.user, form.cleaned_data["unit"])
        if unit is None:
            form.add_error("unit", f"No unit has the code '{form.cleaned_data['unit']}'")
        else:
            require(request.user, Permission.SET_GOALS, unit)
            data = form.cleaned_data
            try:
                mine = services.respond(
                    goal=goal, unit=unit, by=request.user, response=data["response"], reason=data["reason"],
                    measure=_measure(request, data["measure"], "measure"),
                    replaces=_measure(request, data["replaces"], "replaces"), target=data["target"],
                    confirm_direction=data["confirm_direction"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{unit.name}: {mine.get_response_display().lower()}")
                return redirect(_goal_url(mine))
    return render(request, "priorities/respond.jinja", {
        "page_title": f"Answer: {goal.title}", "active_nav": "priorities", "goal": goal, "form": form,
        "units": queries.units_to_answer_for(request.user, goal), "breadcrumbs": _crumbs(goal.unit),
    })  # fmt: skip


def cascade(request: SignedInRequest, pk: int) -> HttpResponse:
    goal = queries.goal_for(request.user, pk)
    found = queries.cascade(request.user, goal)
    return render(request, "priorities/cascade.jinja", {
        "page_title": f"Cascade: {goal.title}", "active_nav": "priorities", "goal": goal, "cascade": found,
        "p": m_presenters, "states": queries.STATE_TEXT, "breadcrumbs": _crumbs(goal.unit),
    })  # fmt: skip


def project_goals(request: SignedInRequest, pk: int) -> HttpResponse:
    """The goals a project serves; its team (or whoever may change it) names another."""
    project = project_queries.project_for(request.user, pk)
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
    form = ServeForm(request.POST or None, goals=queries.goals_for_project(request.user, project))

    def save(data: dict[str, Any]) -> Any:
        goal = queries.goal_for(request.user, data["goal"])
        return services.link_project(goal=goal, project=project, by=request.user)

    done = submit_form(request, form, save=save, success_url=reverse("priorities:project-goals", args=[pk]),
                       message="The project now names the goal it serves")  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/project_goals.jinja", {
        "page_title": f"Goals served by {project.title}", "active_nav": "projects", "project": project,
        "served": queries.served_by(request.user, project), "form": form,
        "may_change": can(request.user, Permission.CHANGE_PROJECT, project),
        "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": f"/projects/{project.pk}/", "text": project.title}],
    })  # fmt: skip


def decisions(request: SignedInRequest, code: str) -> HttpResponse:
    """A unit's decision log (and its units' beneath), those due for review marked."""
    from django.utils import timezone

    unit = org_queries.unit_for(request.user, code)
    return render(request, "priorities/decisions.jinja", {
        "page_title": f"Decisions of {unit.name}", "active_nav": "priorities", "unit": unit,
        "decisions": list(queries.decisions(request.user, unit)[:200]), "today": timezone.localdate(),
        "due": list(queries.due_for_review(request.user, unit)[:50]),
        "may_log": can(request.user, Permission.SET_GOALS, unit), "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def decision_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.SET_GOALS)
    form = DecisionForm(request.POST or None)

    def save(data: dict[str, Any]) -> Any:
        measures = [queries.measure_by_code(request.user, c, field="measures") for c in data["measures"]]
        projects = [project_queries.project_for(request.user, pk) for pk in data["projects"]]
        return services.log_decision(
            unit=unit, by=request.user, what=data["what"], why=data["why"], options=data["options"],
            decided_by=data["decided_by"], decided_on=data["decided_on"], review_on=data["review_on"],
            measures=measures, projects=projects,
        )  # fmt: skip

    done = submit_form(request, form, save=save, success_url=reverse("priorities:decisions", args=[unit.code]),
                       message="The decision is logged")  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/decision_form.jinja", {
        "page_title": f"Log a decision of {unit.name}", "active_nav": "priorities", "unit": unit, "form": form,
        "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def ideas(request: SignedInRequest, code: str) -> HttpResponse:
    """A team's ideas backlog by status, with staff and patient partner scores and a PICK chart."""
    unit = org_queries.unit_for(request.user, code)
    found = queries.backlog(request.user, unit)
    return render(request, "priorities/ideas.jinja", {
        "page_title": f"Ideas of {unit.name}", "active_nav": "priorities", "unit": unit, "ideas": found,
        "pick": presenters.pick_svg(found), "may_add": can(request.user, Permission.ADD_IDEA, unit),
        "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def idea_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.ADD_IDEA)
    form = IdeaForm(request.POST or None)
    done = submit_form(
        request, form, save=lambda data: services.add_idea(unit=unit, by=request.user, **data),
        success_url=lambda idea: reverse("priorities:idea", args=[idea.pk]), message="Your idea is added",
    )  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/idea_form.jinja", {
        "page_title": f"New idea for {unit.name}", "active_nav": "priorities", "unit": unit, "form": form,
        "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def idea_detail(
    request: SignedInRequest, pk: int, score_form: ScoreForm | None = None, move_form: MoveForm | None = None
) -> HttpResponse:
    idea = queries.idea_for(request.user, pk)
    return render(request, "priorities/idea.jinja", {
        "page_title": "Idea", "active_nav": "priorities", "idea": idea, "scored": queries.scored(request.user, idea),
        "scores": queries.idea_scores(request.user, idea), "moves": queries.idea_moves(request.user, idea),
        "score_form": score_form or (ScoreForm() if can(request.user, Permission.ADD_IDEA, idea) else None),
        "move_form": move_form or (MoveForm() if can(request.user, Permission.TRIAGE_IDEA, idea) else None),
        "breadcrumbs": _crumbs(idea.unit),
    })  # fmt: skip


@require_POST
def idea_score(request: SignedInRequest, pk: int) -> HttpResponse:
    idea = queries.idea_for(request.user, pk, Permission.ADD_IDEA)
    form = ScoreForm(request.POST)
    done = submit_form(
        request, form, save=lambda data: services.score_idea(
            idea=idea, by=request.user, is_patient=queries.is_patient_partner(request.user, idea.unit), **data),
        success_url=reverse("priorities:idea", args=[pk]), message="Your scores are saved",
    )  # fmt: skip
    return done or idea_detail(request, pk, score_form=form)


@require_POST
def idea_move(request: SignedInRequest, pk: int) -> HttpResponse:
    idea = queries.idea_for(request.user, pk, Permission.TRIAGE_IDEA)
    form = MoveForm(request.POST)
    done = submit_form(
        request, form, save=lambda data: services.move_idea(idea=idea, by=request.user, **data),
        success_url=reverse("priorities:idea", args=[pk]), message="The idea has moved on",
    )  # fmt: skip
    return done or idea_detail(request, pk, move_form=form)
