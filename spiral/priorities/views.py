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
from django.utils import timezone
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
    AnswerForm,
    BreakthroughForm,
    DecisionForm,
    GoalEditForm,
    GoalForm,
    IdeaForm,
    MeasureRoleForm,
    MessageForm,
    MoveForm,
    RespondForm,
    RoundNoteForm,
    ScoreForm,
    ServeForm,
    WeightsForm,
)
from spiral.priorities.models import Goal, IdeaStatus, Response
from spiral.projects import presenters as project_presenters
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
    found = queries.cascade(request.user, goal, listed=queries.CASCADE_SHOWN)
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
    unit = org_queries.unit_for(request.user, code)
    return render(request, "priorities/decisions.jinja", {
        "page_title": f"Decisions of {unit.name}", "active_nav": "priorities", "unit": unit,
        "decisions": list(queries.decisions(request.user, unit)[:200]), "today": timezone.localdate(),
        "due": list(queries.due_for_review(request.user, unit)[:50]),
        "may_log": can(request.user, Permission.SET_GOALS, unit), "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def decision_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """One decision (where the catalogue search links), in its unit's log."""
    decision = queries.decision_for(request.user, pk)
    unit = decision.unit
    return render(request, "priorities/decisions.jinja", {
        "page_title": decision.what, "active_nav": "priorities", "unit": unit, "decisions": [decision],
        "today": timezone.localdate(), "due": [], "single": True, "may_log": False, "breadcrumbs": [
            *_crumbs(unit), {"href": reverse("priorities:decisions", args=[unit.code]), "text": "Decision log"}],
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


def _similar(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    data = request.POST
    return queries.similar_work(
        request.user, unit, problem=str(data.get("problem", ""))[:2000], idea=str(data.get("idea", ""))[:2000]
    )


def idea_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.ADD_IDEA)
    if request.method == "POST" and "check_similar" in request.POST:
        # Only looking: the form again with what was typed, unsaved and unjudged, and what looks like it.
        typed = {k: request.POST.get(k, "") for k in IdeaForm.base_fields if k in request.POST}
        return render(request, "priorities/idea_form.jinja", {
            "page_title": f"New idea for {unit.name}", "active_nav": "priorities", "unit": unit,
            "form": IdeaForm(initial=typed), "similar": _similar(request, unit), "breadcrumbs": _crumbs(unit),
        })  # fmt: skip
    form = IdeaForm(request.POST or None)
    done = submit_form(
        request, form, save=lambda data: services.add_idea(unit=unit, by=request.user, **data),
        success_url=lambda idea: reverse("priorities:idea", args=[idea.pk]), message="Your idea is added",
    )  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/idea_form.jinja", {
        "page_title": f"New idea for {unit.name}", "active_nav": "priorities", "unit": unit, "form": form,
        "similar": _similar(request, unit) if request.method == "POST" else None, "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


@require_POST
def idea_new_similar(request: SignedInRequest, code: str) -> HttpResponse:
    """The add-an-idea form's list of similar ideas and projects, alone: the form's script sends the form
    here as the problem and idea are typed (without JavaScript its button re-renders the whole form). A
    POST, so what is typed stays out of addresses and logs; nothing is saved."""
    unit = org_queries.unit_for(request.user, code, Permission.ADD_IDEA)
    return render(request, "priorities/_similar.jinja", {"similar": _similar(request, unit)})


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


# --- editing a goal and its measures' roles ---------------------------------------------------------------


def _goal_values(goal: Goal) -> dict[str, Any]:
    return {"title": goal.title, "category": goal.category, "description": goal.description,
            "target_date": goal.target_date}  # fmt: skip


def goal_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change a goal set at its unit; a concurrent change shows both versions side by side (as the API's
    409 does) and the form keeps the person's own."""
    goal = queries.goal_for(request.user, pk, Permission.SET_GOALS)
    form = GoalEditForm(request.POST or None, initial=_goal_values(goal) | {"version": goal.version})
    comparison: list[dict[str, str]] = []

    def save(data: dict[str, Any]) -> Goal:
        values = dict(data)
        version = values.pop("version", None)
        return services.change_goal(goal=goal, by=request.user, version=version, **values)

    def show_both(exc: Any) -> None:
        nonlocal form, comparison
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        form = GoalEditForm(data)
        form.is_valid()
        form.add_error(None, str(exc))
        comparison = project_presenters.compare_versions(
            _goal_values(exc.current), form.cleaned_data, form.labels()
        )

    done = submit_form(request, form, save=save, success_url=_goal_url(goal), message="The goal is changed",
                       on_stale=show_both)  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/goal_edit.jinja", {
        "page_title": f"Change: {goal.title}", "active_nav": "priorities", "goal": goal, "form": form,
        "comparison": comparison, "roles": queries.measures_of(goal), "breadcrumbs": _crumbs(goal.unit),
    })  # fmt: skip


@require_POST
def goal_measure_role(request: SignedInRequest, pk: int) -> HttpResponse:
    """Mark one of a goal's measures driver or watch (the goal page's and the change page's forms)."""
    goal = queries.goal_for(request.user, pk, Permission.SET_GOALS)
    form = MeasureRoleForm(request.POST)
    done = submit_form(
        request, form, success_url=_goal_url(goal), message="The measure's role is changed",
        save=lambda data: services.change_goal_measure(
            goal=goal, by=request.user, role=data["role"],
            measure=queries.measure_by_code(request.user, data["measure"]),
        ),
    )  # fmt: skip
    if done is not None:
        return done
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {error}")
    return redirect(reverse("priorities:goal-edit", args=[pk]))


# --- a unit's weights of a priority ---------------------------------------------------------------------


def weights(request: SignedInRequest, code: str) -> HttpResponse:
    """How a unit weighs its ideas' priority: its own weights or those it inherits; its leaders set them."""
    unit = org_queries.unit_for(request.user, code)
    current = queries.weights_for(request.user, unit)
    may_set = can(request.user, Permission.SET_GOALS, unit)
    if request.method == "POST":
        require(request.user, Permission.SET_GOALS, unit)
    names = ("impact", "effort", "alignment", "patient_share")
    own = current.unit is not None and current.unit.pk == unit.pk
    form = WeightsForm(
        request.POST or None,
        initial={n: current.percent(n) for n in names} | {"version": current.version if own else None},
    )
    done = submit_form(
        request, form, success_url=reverse("priorities:ideas", args=[unit.code]),
        message=f"{unit.name}'s weights are saved: the backlog is prioritised by them",
        save=lambda data: services.set_idea_weights(unit=unit, by=request.user, **data),
        on_stale="Someone else changed these weights since you opened the page: check them and save again",
    )  # fmt: skip
    if done is not None:
        return done
    return render(request, "priorities/weights.jinja", {
        "page_title": f"How {unit.name} weighs its ideas", "active_nav": "priorities", "unit": unit,
        "weights": current, "own": own, "form": form if may_set else None, "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


# --- the huddle board and leader standard work rounds ----------------------------------------------------

WALL_REFRESH_SECONDS = 300  # a wall screen reloads the board every five minutes


def board(
    request: SignedInRequest, code: str, note_form: RoundNoteForm | None = None,
    answer_form: AnswerForm | None = None, answering: int | None = None,
) -> HttpResponse:  # fmt: skip
    """A team's huddle board: on a wall screen with ?wall=1 (large type, refreshes itself), printable on A3."""
    unit = org_queries.unit_for(request.user, code)
    wall = request.GET.get("wall") == "1"
    return render(request, "priorities/board.jinja", {
        "page_title": f"Huddle board: {unit.name}", "active_nav": "priorities", "unit": unit, "wall": wall,
        "refresh": WALL_REFRESH_SECONDS, "b": queries.board(request.user, unit), "p": m_presenters,
        "now": timezone.localtime(), "statuses": IdeaStatus.choices,
        "note_form": note_form or (RoundNoteForm() if can(request.user, Permission.WALK_ROUND, unit) else None),
        "answer_form": answer_form, "answering": answering,
        "may_answer": can(request.user, Permission.ANSWER_ROUND, unit), "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


@require_POST
def round_note(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.WALK_ROUND)
    form = RoundNoteForm(request.POST)
    done = submit_form(
        request, form, save=lambda data: services.leave_round_note(unit=unit, by=request.user, **data),
        success_url=reverse("priorities:board", args=[unit.code]) + "#rounds",
        message="Your note is on the team's board",
    )  # fmt: skip
    return done or board(request, code, note_form=form)


@require_POST
def round_answer(request: SignedInRequest, pk: int) -> HttpResponse:
    note = queries.round_note_for(request.user, pk, Permission.ANSWER_ROUND)
    form = AnswerForm(request.POST)
    done = submit_form(
        request, form, save=lambda data: services.answer_round_note(note=note, by=request.user, **data),
        success_url=reverse("priorities:board", args=[note.unit.code]) + "#rounds",
        message="The team's answer is recorded",
    )  # fmt: skip
    return done or board(request, note.unit.code, answer_form=form, answering=note.pk)
