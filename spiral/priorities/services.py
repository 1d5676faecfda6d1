"""Every write to goals and catchball: keyword arguments, the acting person as `by=` (None: the system),
one transaction, audited in it. Pages, the API and the demo call these; the rules live here.

Permissions are asked by the callers (views and API, through `queries.goal_for` and
`organisations.permissions`); the rules of the cascade are kept here: a goal cascades one level at a
time to the units directly beneath the unit that holds it, never across to another branch; a declined
goal goes no further; a target that contradicts its measure's improvement direction is questioned
before it is saved; free text is screened for personal data (everyone signed in reads goals).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from spiral.core import audit, limits, screening
from spiral.knowledge import search as k_search
from spiral.knowledge import tasks as k_tasks
from spiral.knowledge.models import DocKind
from spiral.measurement.models import Improvement, Measure, Series
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission, can
from spiral.priorities.models import (
    GOAL_DATE,
    MAX_BREAKTHROUGHS,
    MAX_GOALS,
    MAX_MEASURES,
    MOVES,
    OFFERS,
    SCORE_MAX,
    SCORE_MIN,
    Breakthrough,
    CatchballMessage,
    Category,
    Decision,
    Goal,
    GoalMeasure,
    Idea,
    IdeaMove,
    IdeaScore,
    IdeaStatus,
    IdeaWeights,
    Kind,
    MeasureRole,
    NoteKind,
    Prompt,
    Response,
    RoundNote,
    ServedGoal,
)
from spiral.projects.models import Project

logger = logging.getLogger(__name__)

LABELS = {"title": "The title", "description": "The description", "reason": "The reason",
          "text": "The message", "answer": "The answer"}  # fmt: skip
# How a person names a response (the page and the API), and what it becomes.
RESPONSES = {"adopt": Response.ADOPTED, "adapt": Response.PENDING, "decline": Response.DECLINED}
GOAL_FIELDS = ("title", "category", "description", "target_date")


class StaleGoal(audit.StaleEdit):
    """The goal changed since the person read it: HTTP 409 with both versions, or the form shows both."""

    message = (
        "This {kind} was changed by someone else since you opened it; your changes have not been saved. "
        "Compare the two versions and save again"
    )


def _user(by: User | None) -> User | None:
    return by if getattr(by, "pk", None) else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _refuse(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationError(dict(errors))


def _text_errors(model: Any, values: Mapping[str, Any]) -> dict[str, str]:
    """Too long, or holding personal data (core.screening decides what is personal data)."""
    errors = limits.length_errors(model, values)
    for name, message in screening.check_fields(values, LABELS).items():
        errors.setdefault(name, message)
    return errors


def _date_error(day: Any) -> str | None:
    if not isinstance(day, dt.date):
        return "Enter the date the targets are to be met, for example 31/03/2027"
    return GOAL_DATE.problem(day)


def _target_error(target: Any) -> str | None:
    if isinstance(target, bool) or not isinstance(target, int | float) or not math.isfinite(target):
        return "Enter the target as a number, on the measure's scale (a proportion as 0 to 1)"
    return None


def latest_value(measure: Measure, unit: Unit) -> float | None:
    """The latest value of `measure` at `unit` (its series' current analysis), or None."""
    series = Series.objects.filter(measure=measure, unit=unit).select_related("analysis").first()
    analysis = getattr(series, "analysis", None) if series is not None else None
    if analysis is None or analysis.stale:
        return None
    return analysis.latest_value


def direction_question(measure: Measure, unit: Unit, target: float) -> str | None:
    """Why `target` seems to point the wrong way for `measure` at `unit` (None when it does not).

    A target below the latest value of a measure where higher is better (or above it where lower is
    better) asks for things to get worse: it may be meant (holding a gain), so it is questioned, and
    saved when the person confirms it."""
    latest = latest_value(measure, unit)
    if latest is None or measure.improvement == Improvement.NEUTRAL:
        return None
    worse = target < latest if measure.improvement == Improvement.INCREASE else target > latest
    if not worse:
        return None
    better = "higher" if measure.improvement == Improvement.INCREASE else "lower"
    return (
        f"The target {target:g} for {measure.name} is {'below' if better == 'higher' else 'above'} its latest "
        f"value at {unit.name} ({latest:g}), though {better} is better: it asks for things to get worse. "
        "Check the target, or confirm that it is meant (for example, to hold a gain)"
    )


def _check_measure(measure: Measure, unit: Unit, field: str) -> str | None:
    if not measure.applies_to(unit):
        return (
            f"{measure.name} ({measure.code}) is not a measure {unit.name} can observe: choose one of its "
            "own, or an indicator of a unit above it"
        )
    return None


# --- setting a goal ---------------------------------------------------------------------------------


@transaction.atomic
def set_goal(
    *,
    unit: Unit,
    by: User | None,
    title: str,
    target_date: Any,
    measures: Sequence[tuple[Measure, float] | tuple[Measure, float, str]],
    category: str = Category.OTHER,
    description: str = "",
    confirm_direction: bool = False,
) -> Goal:
    """Set a True North goal for `unit` (the top of a cascade): its measures, their targets and the date.

    measures: (measure, target) or (measure, target, role): role "driver" (the default: expected to move)
    or "watch" (monitored so that it does not get worse).

    Refused (ValidationError, nothing written): no title, an unknown category, a date outside the
    window, no measure or more than MAX_MEASURES, a measure twice or one the unit cannot observe, a
    target that is not a finite number, more than MAX_GOALS goals set at the unit. A target that points
    against its measure's improvement direction is questioned (field "target") unless confirmed.
    """
    values = {"title": _text(title), "description": _text(description), "category": category}
    errors = _text_errors(Goal, values)
    if not values["title"]:
        errors["title"] = "Enter the goal, for example 'Zero avoidable harm from falls'"
    if category not in Category.values:
        errors["category"] = f"'{category}' is not a category; use one of: {', '.join(Category.values)}"
    problem = _date_error(target_date)
    if problem:
        errors["target_date"] = problem
    errors.update(_measure_errors(unit, measures, confirm_direction))
    if Goal.objects.filter(unit=unit, response=Response.SET).count() >= MAX_GOALS:
        errors["title"] = (
            f"{unit.name} already has {MAX_GOALS} True North goals: True North is a handful of goals. "
            "Fold this one into one of them"
        )
    _refuse(errors)
    goal = Goal.objects.create(
        unit=unit, created_by=_user(by), title=values["title"], description=values["description"],
        category=category, target_date=target_date, response=Response.SET,
    )  # fmt: skip
    rows = [_measure_row(item) for item in measures]
    GoalMeasure.objects.bulk_create(
        GoalMeasure(goal=goal, measure=m, target=float(t), role=r, order=i)
        for i, (m, t, r) in enumerate(rows)
    )
    audit.record(
        action="goal.set", obj=goal, by=by, scope_path=unit.path,
        changes={"title": [None, goal.title], "target_date": [None, target_date],
                 "measures": [None, [f"{m.code} ({r}): {t:g}" for m, t, r in rows]]},
    )  # fmt: skip
    logger.info("priorities.goal_set goal_id=%s unit_id=%s", goal.pk, unit.pk)
    return goal


def _measure_row(item: Sequence[Any]) -> tuple[Measure, float, str]:
    measure, target = item[0], item[1]
    return measure, target, item[2] if len(item) > 2 else MeasureRole.DRIVER


def _measure_errors(unit: Unit, measures: Sequence[Sequence[Any]], confirm_direction: bool) -> dict[str, str]:
    if not measures:
        return {"measures": "Name at least one measure the goal is judged by, with its target"}
    if len(measures) > MAX_MEASURES:
        return {"measures": f"A goal has at most {MAX_MEASURES} measures: choose the few that matter most"}
    seen: set[int] = set()
    for measure, target, role in (_measure_row(item) for item in measures):
        if role not in MeasureRole.values:
            return {"measures": f"'{role}' is not a role; use one of: {', '.join(MeasureRole.values)}"}
        if measure.pk in seen:
            return {"measures": f"{measure.name} is named twice: name each measure once"}
        seen.add(measure.pk)
        problem = _check_measure(measure, unit, "measures") or _target_error(target)
        if problem:
            return {"measures": problem}
        if not confirm_direction:
            question = direction_question(measure, unit, float(target))
            if question:
                return {"target": question}
    return {}


@transaction.atomic
def change_goal(*, goal: Goal, by: User | None, version: int | None = None, **values: Any) -> Goal:
    """Change a goal set at its unit (title, category, description, date); the units that adopted or
    adapted it hold the same goal, so they follow. `version`: the one read (StaleGoal if it moved on)."""
    goal = Goal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=goal.pk)
    audit.refuse_stale(goal, version, error=StaleGoal, kind="goal")
    unknown = set(values) - set(GOAL_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed here" for name in sorted(unknown)})
    if goal.response != Response.SET:
        raise ValidationError(
            {"title": "This goal is a response to the goal above: change that one (its unit's leaders do)"}
        )
    cleaned = {k: _text(v) if k in ("title", "description") else v for k, v in values.items()}
    errors = _text_errors(Goal, {k: v for k, v in cleaned.items() if k in ("title", "description")})
    if "title" in cleaned and not cleaned["title"]:
        errors["title"] = "Enter the goal"
    if "category" in cleaned and cleaned["category"] not in Category.values:
        errors["category"] = (
            f"'{cleaned['category']}' is not a category; use one of: {', '.join(Category.values)}"
        )
    if "target_date" in cleaned:
        problem = _date_error(cleaned["target_date"])
        if problem:
            errors["target_date"] = problem
    _refuse(errors)
    before = audit.snapshot(goal, cleaned)
    changes = audit.diff(before, cleaned)
    if not changes:
        return goal
    audit.save_version(goal, cleaned, by=by, action="goal.change", changes=changes, scope_path=goal.unit.path)
    Goal.objects.filter(root=goal).update(**cleaned)  # the cascade holds the same goal
    return goal


@transaction.atomic
def change_goal_measure(
    *, goal: Goal, measure: Measure, by: User | None, role: str | None = None, target: Any = None,
    confirm_direction: bool = False,
) -> GoalMeasure:  # fmt: skip
    """Mark a measure of `goal` driver or watch, or change its target (None: unchanged). A target that
    points against the measure's improvement direction is questioned (field "target") unless confirmed.
    A declined goal has no measures to change; an adapted goal's measures are agreed through catchball, so
    only their roles change here."""
    goal = Goal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=goal.pk)
    link = GoalMeasure.objects.select_for_update(of=("self",)).filter(goal=goal, measure=measure).first()
    errors: dict[str, str] = {}
    if link is None:
        errors["measure"] = f"{measure.name} is not a measure of this goal"
    if role is not None and role not in MeasureRole.values:
        errors["role"] = f"'{role}' is not a role; use one of: {', '.join(MeasureRole.values)}"
    if not goal.is_carried:
        errors["measure"] = f"{goal.unit.name} declined this goal: it has no measures to change"
    if target is not None:
        problem = _target_error(target)
        if problem:
            errors["target"] = problem
        elif goal.response != Response.SET:
            errors["target"] = (
                "This goal's targets come from the goal above (adopted) or were agreed through catchball "
                "(adapted): propose a new target there"
            )
        elif not confirm_direction:
            question = direction_question(measure, goal.unit, float(target))
            if question:
                errors["target"] = question
    _refuse(errors)
    assert link is not None
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = role
    if target is not None:
        values["target"] = float(target)
    changes = audit.diff(audit.snapshot(link, values), values)
    if not changes:
        return link
    for name, value in values.items():
        setattr(link, name, value)
    link.save(update_fields=list(values))
    if "target" in values:  # the units that adopted it (and adopted that, down) hold its targets
        frontier = [goal.pk]
        while frontier:
            frontier = list(
                Goal.objects.filter(parent_id__in=frontier, response=Response.ADOPTED).values_list(
                    "pk", flat=True
                )
            )
            GoalMeasure.objects.filter(goal_id__in=frontier, measure=measure).update(target=values["target"])
    audit.save_version(
        goal, {}, by=by, action="goal.measure_change", scope_path=goal.unit.path,
        changes={f"{measure.code}.{k}": v for k, v in changes.items()},
    )  # fmt: skip
    return link


# --- the cascade: adopt, adapt, decline ---------------------------------------------------------------


def _offer_errors(
    *, goal_above: Goal, unit: Unit, measure: Measure | None, replaces: Measure | None, target: Any,
    confirm_direction: bool,
) -> tuple[dict[str, str], Measure | None, Measure | None]:  # fmt: skip
    """Check an offer of (measure, target) for `unit`'s version of `goal_above`; fill in the measure
    replaced (or changed) when the goal above has just one."""
    above = {gm.measure_id: gm.measure for gm in goal_above.measures.select_related("measure")}
    if replaces is not None and replaces.pk not in above:
        return {"replaces": f"{replaces.name} is not a measure of the goal above"}, measure, replaces
    if replaces is None and (measure is None or measure.pk not in above):
        if len(above) != 1:
            names = ", ".join(m.code for m in above.values())
            return (
                {"replaces": f"Say which measure of the goal above this changes (one of: {names})"},
                measure,
                replaces,
            )
        replaces = next(iter(above.values()))
    measure = measure or replaces
    assert measure is not None
    problem = _check_measure(measure, unit, "measure")
    if problem:
        return {"measure": problem}, measure, replaces
    problem = _target_error(target)
    if problem:
        return {"target": problem}, measure, replaces
    if not confirm_direction:
        question = direction_question(measure, unit, float(target))
        if question:
            return {"target": question}, measure, replaces
    return {}, measure, replaces


@transaction.atomic
def respond(
    *,
    goal: Goal,
    unit: Unit,
    by: User | None,
    response: str,
    reason: str = "",
    measure: Measure | None = None,
    replaces: Measure | None = None,
    target: Any = None,
    confirm_direction: bool = False,
) -> Goal:
    """`unit` (directly beneath the goal's unit) adopts, adapts or declines `goal`; returns its own goal.

    adopt: the same measures and targets. adapt: the goal with its own measure or target, proposed here
    (measure, the measure of the goal above it `replaces`, target, and the reason) and agreed through
    catchball (`add_message`): until then it is under discussion. decline: with a reason; nothing
    cascades beneath it. A unit that declined may respond again; otherwise one response each.
    """
    goal = Goal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=goal.pk)
    reason = _text(reason)
    errors = _text_errors(Goal, {"reason": reason})
    if response not in RESPONSES:
        errors["response"] = f"'{response}' is not a response; use one of: {', '.join(RESPONSES)}"
    if unit.parent_id != goal.unit_id:
        errors["unit"] = (
            f"{unit.name} is not directly beneath {goal.unit.name}: a goal cascades one level at a time, "
            "to the units beneath the one that holds it (a unit of another branch cannot take it up)"
        )
    elif not goal.is_carried:
        errors["unit"] = f"{goal.unit.name} declined this goal, so it does not cascade beneath it"
    existing = Goal.objects.select_for_update(of=("self",)).filter(parent=goal, unit=unit).first()
    if existing is not None and existing.response != Response.DECLINED:
        errors["unit"] = (
            f"{unit.name} has already responded to this goal ({existing.get_response_display().lower()})"
        )
    if response in ("adapt", "decline") and not reason:
        errors["reason"] = (
            "Say why the goal is declined" if response == "decline" else "Say why this unit adapts the goal"
        )
    if response == "adapt" and "unit" not in errors:
        problems, measure, replaces = _offer_errors(
            goal_above=goal, unit=unit, measure=measure, replaces=replaces, target=target,
            confirm_direction=confirm_direction,
        )  # fmt: skip
        errors.update(problems)
    _refuse(errors)
    status = RESPONSES[response]
    fields = {
        "title": goal.title, "category": goal.category, "description": goal.description,
        "target_date": goal.target_date, "root_id": goal.top, "response": status,
        "reason": reason, "responded_at": timezone.now(),
    }  # fmt: skip
    if existing is None:
        mine = Goal.objects.create(unit=unit, parent=goal, created_by=_user(by), **fields)
    else:
        mine = existing
        before = mine.response
        audit.save_version(
            mine, fields, by=by, action="goal.respond_again", scope_path=unit.path,
            changes={"response": [before, status]},
        )  # fmt: skip
        mine.measures.all().delete()
    if status != Response.DECLINED:
        GoalMeasure.objects.bulk_create(
            GoalMeasure(goal=mine, measure_id=gm.measure_id, target=gm.target, role=gm.role, order=gm.order)
            for gm in goal.measures.all()
        )
    if status == Response.PENDING:
        assert measure is not None
        CatchballMessage.objects.create(
            goal=mine, kind=Kind.PROPOSAL, text=reason, measure=measure, replaces=replaces,
            target=float(target), from_above=False, created_by=_user(by),
        )  # fmt: skip
    audit.record(
        action=f"goal.{response}", obj=mine, by=by, scope_path=unit.path,
        changes={"response": [None, status], "goal_above": [None, goal.pk], "reason": [None, reason or None]},
    )  # fmt: skip
    return mine


# --- catchball ------------------------------------------------------------------------------------------


@transaction.atomic
def add_message(
    *,
    goal: Goal,
    by: User | None,
    kind: str,
    text: str,
    measure: Measure | None = None,
    replaces: Measure | None = None,
    target: Any = None,
    confirm_direction: bool = False,
) -> CatchballMessage:
    """One turn of catchball on an adapted goal under discussion: a proposal or counter-proposal (a
    measure and target, and why), a reply (why), or an agreement to the latest offer, which the person
    who made that offer cannot give: the other side agrees. Agreement applies the offer to the goal."""
    goal = Goal.objects.select_for_update(of=("self",)).select_related("unit", "parent__unit").get(pk=goal.pk)
    text = _text(text)
    errors = _text_errors(CatchballMessage, {"text": text})
    if kind not in Kind.values:
        errors["kind"] = f"'{kind}' is not a kind of message; use one of: {', '.join(Kind.values)}"
    if not text:
        errors["text"] = "Say why: catchball records the reasoning of each turn"
    if goal.parent is None:
        errors["kind"] = "Catchball is between a unit and the unit above: this goal was set here"
    elif goal.response != Response.PENDING:
        errors["kind"] = (
            f"This goal is {goal.get_response_display().lower()}: it is no longer under discussion"
        )
    latest_offer: CatchballMessage | None = None
    if not errors and kind in OFFERS and goal.parent is not None:
        problems, measure, replaces = _offer_errors(
            goal_above=goal.parent, unit=goal.unit, measure=measure, replaces=replaces, target=target,
            confirm_direction=confirm_direction,
        )  # fmt: skip
        errors.update(problems)
    if not errors and kind == Kind.AGREEMENT:
        latest_offer = goal.messages.filter(kind__in=OFFERS).order_by("-created_at", "-id").first()
        if latest_offer is None:
            errors["kind"] = "There is no proposal to agree to yet"
        elif by is not None and latest_offer.created_by_id == getattr(by, "pk", None):
            errors["kind"] = "You made the latest offer: the other side agrees to it (or counters it)"
    _refuse(errors)
    assert goal.parent is not None
    from_above = _user(by) is not None and can(by, Permission.SET_GOALS, goal.parent.unit)
    is_offer = kind in OFFERS
    message = CatchballMessage.objects.create(
        goal=goal, kind=kind, text=text, from_above=from_above, created_by=_user(by),
        measure=measure if is_offer else None, replaces=replaces if is_offer else None,
        target=float(target) if is_offer else None,
    )  # fmt: skip
    changes: dict[str, Any] = {"kind": [None, kind], "text": [None, text]}
    if latest_offer is not None:
        _apply(goal, latest_offer)
        changes["response"] = [Response.PENDING, Response.ADAPTED]
        audit.save_version(
            goal, {"response": Response.ADAPTED}, by=by, action="goal.agree", scope_path=goal.unit.path,
            changes=changes,
        )  # fmt: skip
    else:
        audit.record(action="goal.catchball", obj=goal, by=by, scope_path=goal.unit.path, changes=changes)
    return message


def _apply(goal: Goal, offer: CatchballMessage) -> None:
    """The agreed offer becomes the goal's: its measure (in place of the one it replaces) and target."""
    assert offer.measure_id is not None and offer.target is not None
    if offer.replaces_id and offer.replaces_id != offer.measure_id:
        old = GoalMeasure.objects.filter(goal=goal, measure_id=offer.replaces_id).first()
        order = old.order if old else (goal.measures.aggregate(n=Max("order"))["n"] or 0) + 1
        role = old.role if old else MeasureRole.DRIVER
        if old is not None:
            old.delete()
        GoalMeasure.objects.update_or_create(
            goal=goal,
            measure_id=offer.measure_id,
            defaults={"target": offer.target, "order": order, "role": role},
        )
    else:
        GoalMeasure.objects.update_or_create(
            goal=goal, measure_id=offer.measure_id, defaults={"target": offer.target}
        )


# --- breakthrough objectives --------------------------------------------------------------------------


@transaction.atomic
def add_breakthrough(
    *, goal: Goal, by: User | None, title: str, year: Any, description: str = ""
) -> Breakthrough:
    """A breakthrough objective of `goal` for `year`: one of the vital few (at most MAX_BREAKTHROUGHS a
    goal and year). A declined goal has none."""
    goal = Goal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=goal.pk)
    values = {"title": _text(title), "description": _text(description)}
    errors = _text_errors(Breakthrough, values)
    if not values["title"]:
        errors["title"] = "Enter the objective, for example 'Halve falls with harm on every ward'"
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not 2000 <= year <= timezone.localdate().year + 20
    ):
        errors["year"] = "Enter the year it is for as four digits, for example 2026"
    elif Breakthrough.objects.filter(goal=goal, year=year).count() >= MAX_BREAKTHROUGHS:
        errors["title"] = (
            f"This goal already has {MAX_BREAKTHROUGHS} breakthrough objectives for {year}: they are the vital "
            "few. Replace one, or make this an annual priority of a team"
        )
    if not goal.is_carried:
        errors["title"] = f"{goal.unit.name} declined this goal: it has no breakthrough objectives"
    _refuse(errors)
    found = Breakthrough.objects.create(goal=goal, year=year, created_by=_user(by), **values)
    audit.record(
        action="goal.breakthrough", obj=goal, by=by, scope_path=goal.unit.path,
        changes={"breakthrough": [None, f"{year}: {found.title}"]},
    )  # fmt: skip
    return found


# --- projects serving goals -------------------------------------------------------------------------------


@transaction.atomic
def link_project(*, goal: Goal, project: Project, by: User | None) -> ServedGoal:
    """`project` names `goal` as a goal it serves. The project must be at the goal's unit or beneath it
    (work serves the goals of its own part of the system), and the goal must be carried (not declined)."""
    goal = Goal.objects.select_related("unit").get(pk=goal.pk)
    project = Project.objects.select_related("unit").get(pk=project.pk)
    errors: dict[str, str] = {}
    if not project.unit.path.startswith(goal.unit.path):
        errors["goal"] = (
            f"{project.title} belongs to {project.unit.name}, which is not {goal.unit.name} nor beneath it: "
            "name a goal of the project's own unit or of a unit above it"
        )
    elif not goal.is_carried:
        errors["goal"] = f"{goal.unit.name} declined this goal: choose a goal it works to"
    elif ServedGoal.objects.filter(goal=goal, project=project).exists():
        errors["goal"] = f"{project.title} already serves this goal"
    _refuse(errors)
    link = ServedGoal.objects.create(goal=goal, project=project, created_by=_user(by))
    audit.record(
        action="goal.project_link", obj=goal, by=by, scope_path=goal.unit.path,
        changes={"project": [None, f"{project.pk}: {project.title}"]},
    )  # fmt: skip
    return link


# --- the decision log -------------------------------------------------------------------------------------


@transaction.atomic
def log_decision(
    *,
    unit: Unit,
    by: User | None,
    what: str,
    why: str,
    decided_by: str,
    decided_on: Any,
    options: str = "",
    review_on: Any = None,
    measures: Sequence[Measure] = (),
    projects: Sequence[Project] = (),
    goals: Sequence[Goal] = (),
) -> Decision:
    """Record a decision of `unit` with its evidence. Refused: no what, why or who; a date outside the
    window; a review before the decision; more than 20 pieces of evidence of a kind."""
    values = {
        "what": _text(what),
        "why": _text(why),
        "options": _text(options),
        "decided_by": _text(decided_by),
    }
    errors = _text_errors(Decision, values)
    for name, message in (("what", "Say what was decided"), ("why", "Say why: the reasoning and the evidence"),
                          ("decided_by", "Say who decided: a person or a group")):  # fmt: skip
        if not values[name]:
            errors[name] = message
    for name, day in (("decided_on", decided_on), ("review_on", review_on)):
        if day is None and name == "review_on":
            continue
        problem = (
            GOAL_DATE.problem(day) if isinstance(day, dt.date) else "Enter a date, for example 31/03/2026"
        )
        if problem:
            errors[name] = problem
    dated = isinstance(review_on, dt.date) and isinstance(decided_on, dt.date)
    if dated and not errors.get("review_on") and review_on < decided_on:
        errors["review_on"] = "The review comes after the decision: choose a later date"
    for name, items in (("measures", measures), ("projects", projects), ("goals", goals)):
        if len(items) > 20:
            errors[name] = "Link at most 20 of each kind of evidence"
    _refuse(errors)
    decision = Decision.objects.create(
        unit=unit, created_by=_user(by), decided_on=decided_on, review_on=review_on, **values
    )
    decision.measures.set(measures)
    decision.projects.set(projects)
    decision.goals.set(goals)
    audit.record(
        action="decision.log", obj=decision, by=by, scope_path=unit.path,
        changes={"what": [None, values["what"]], "review_on": [None, review_on]},
    )  # fmt: skip
    # Found by its words at once, by its meaning once the search's task has embedded it.
    k_search.index_source(DocKind.DECISION, [decision.pk], embed=False)
    k_tasks.documents_changed()
    return decision


# --- the ideas backlog ------------------------------------------------------------------------------------


@transaction.atomic
def add_idea(
    *, unit: Unit, by: User | None, problem: str, idea: str, helps: str, prompted_by: str = Prompt.OTHER,
    prompt: str = "", goal: Goal | None = None,
) -> Idea:  # fmt: skip
    """Add an idea to `unit`'s backlog (anyone in the team, patient partners included)."""
    values = {"problem": _text(problem), "idea": _text(idea), "helps": _text(helps), "prompt": _text(prompt)}
    errors = _text_errors(Idea, values)
    for name, message in (("problem", "Say what problem you have seen"), ("idea", "Say what the idea is"),
                          ("helps", "Say who it helps, for example 'patients waiting for discharge'")):  # fmt: skip
        if not values[name]:
            errors[name] = message
    if prompted_by not in Prompt.values:
        errors["prompted_by"] = f"'{prompted_by}' is not allowed; use one of: {', '.join(Prompt.values)}"
    if goal is not None and not unit.path.startswith(goal.unit.path):
        errors["goal"] = f"That goal is of {goal.unit.name}, not of {unit.name} nor a unit above it"
    _refuse(errors)
    found = Idea.objects.create(unit=unit, created_by=_user(by), prompted_by=prompted_by, goal=goal, **values)
    audit.record(
        action="idea.add", obj=found, by=by, scope_path=unit.path, changes={"idea": [None, found.idea]}
    )
    return found


def _score_error(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
        return f"Score {name} as a whole number from {SCORE_MIN} to {SCORE_MAX}"
    return None


@transaction.atomic
def score_idea(
    *, idea: Idea, by: User, impact: Any, effort: Any, alignment: Any, comment: str = "", is_patient: bool = False
) -> IdeaScore:  # fmt: skip
    """`by` scores `idea` (scoring again replaces their scores); `is_patient`: as a patient partner."""
    comment = _text(comment)
    errors = _text_errors(IdeaScore, {"comment": comment})
    for name, value in (("impact", impact), ("effort", effort), ("alignment", alignment)):
        problem = _score_error(name, value)
        if problem:
            errors[name] = problem
    _refuse(errors)
    found, _ = IdeaScore.objects.update_or_create(
        idea=idea, by=by, defaults={"impact": impact, "effort": effort, "alignment": alignment,
                                    "comment": comment, "is_patient": is_patient},
    )  # fmt: skip
    audit.record(
        action="idea.score", obj=idea, by=by, scope_path=idea.unit.path,
        changes={"score": [None, f"impact {impact}, effort {effort}, alignment {alignment}"]},
    )  # fmt: skip
    return found


@transaction.atomic
def move_idea(*, idea: Idea, by: User | None, to: str, why: str, version: int | None = None) -> Idea:
    """Move an idea on (new → under discussion → testing → done, or parked), with why."""
    idea = Idea.objects.select_for_update(of=("self",)).select_related("unit").get(pk=idea.pk)
    audit.refuse_stale(idea, version, error=StaleGoal, kind="idea")
    why = _text(why)
    errors = _text_errors(IdeaMove, {"why": why})
    if not why:
        errors["why"] = "Say why it moves"
    if to not in IdeaStatus.values:
        errors["to"] = f"'{to}' is not a status; use one of: {', '.join(IdeaStatus.values)}"
    elif to not in MOVES[idea.status]:
        allowed = ", ".join(sorted(MOVES[idea.status]))
        errors["to"] = f"An idea that is {idea.get_status_display().lower()} moves on to: {allowed}"
    _refuse(errors)
    before = idea.status
    IdeaMove.objects.create(idea=idea, from_status=before, to_status=to, why=why, created_by=_user(by))
    audit.save_version(
        idea, {"status": to}, by=by, action="idea.move", scope_path=idea.unit.path,
        changes={"status": [before, to], "why": [None, why]},
    )  # fmt: skip
    return idea


# --- a unit's own weights of a priority ---------------------------------------------------------------------

WEIGHT_FIELDS = ("impact", "effort", "alignment", "patient_share")
WEIGHT_LABELS = {"impact": "patient impact", "effort": "effort", "alignment": "alignment to a goal",
                 "patient_share": "the patient partners' view"}  # fmt: skip


def _percent_error(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        return f"Give the weight of {WEIGHT_LABELS[name]} as a whole percentage from 0 to 100"
    return None


@transaction.atomic
def set_idea_weights(
    *, unit: Unit, by: User | None, impact: Any, effort: Any, alignment: Any, patient_share: Any,
    version: int | None = None,
) -> IdeaWeights:  # fmt: skip
    """Set how `unit` (and the units beneath without weights of their own) weighs its ideas' priority.

    impact, effort, alignment: whole percentages of the priority, adding up to 100; patient_share: how
    much the patient partners' scores count beside the staff's (0 to 100; 50 counts them equally).
    Refused (ValidationError, nothing written): a weight that is not a whole number from 0 to 100, three
    weights not adding up to 100, or no weight on patient impact (the backlog is prioritised from the
    patient's perspective). `version`: the one read (StaleGoal with both versions if it moved on)."""
    values = {"impact": impact, "effort": effort, "alignment": alignment, "patient_share": patient_share}
    errors = {name: problem for name, v in values.items() if (problem := _percent_error(name, v))}
    if not errors:
        total = impact + effort + alignment
        if total != 100:
            errors["impact"] = (
                f"The weights of impact, effort and alignment add up to {total}%: make them add up to 100%"
            )
        elif impact == 0:
            errors["impact"] = (
                "Give patient impact some weight: ideas are prioritised from the patient's view"
            )
    _refuse(errors)
    # The unit's row is locked first, so two first settings at once cannot both create a row.
    Unit.objects.select_for_update(of=("self",)).filter(pk=unit.pk).first()
    found = IdeaWeights.objects.select_for_update(of=("self",)).filter(unit=unit).first()
    if found is None:
        found = IdeaWeights.objects.create(unit=unit, created_by=_user(by), **values)
        audit.record(
            action="idea_weights.set", obj=found, by=by, scope_path=unit.path,
            changes={k: [None, v] for k, v in values.items()},
        )  # fmt: skip
        return found
    audit.refuse_stale(found, version, error=StaleGoal, kind="set of weights")
    changes = audit.diff(audit.snapshot(found, values), values)
    if changes:
        audit.save_version(
            found, values, by=by, action="idea_weights.change", changes=changes, scope_path=unit.path
        )
    return found


# --- leader standard work: rounds at huddle boards --------------------------------------------------------


@transaction.atomic
def leave_round_note(*, unit: Unit, by: User | None, kind: str, text: str) -> RoundNote:
    """A coach or leader on a leader standard work round leaves a question or a recognition on `unit`'s
    huddle board. Refused: an unknown kind, no text, text too long or holding personal data."""
    text = _text(text)
    errors = _text_errors(RoundNote, {"text": text})
    if kind not in NoteKind.values:
        errors["kind"] = f"'{kind}' is not a kind of note; use one of: {', '.join(NoteKind.values)}"
    if not text:
        errors["text"] = (
            "Write the question for the team"
            if kind == NoteKind.QUESTION
            else "Write what you recognise, for example 'Great run of PDSA cycles on discharge letters'"
        )
    _refuse(errors)
    note = RoundNote.objects.create(unit=unit, kind=kind, text=text, created_by=_user(by))
    audit.record(
        action="round.note", obj=note, by=by, scope_path=unit.path,
        changes={"kind": [None, kind], "text": [None, text]},
    )  # fmt: skip
    logger.info("priorities.round_note note_id=%s unit_id=%s", note.pk, unit.pk)
    return note


@transaction.atomic
def answer_round_note(*, note: RoundNote, by: User | None, answer: str) -> RoundNote:
    """The team answers a question (or replies to a recognition) left on its board: the answer is kept with
    who gave it and when. Refused: no answer, too long or holding personal data, or already answered
    (the first answer stands; ask again on the next round)."""
    note = RoundNote.objects.select_for_update(of=("self",)).select_related("unit").get(pk=note.pk)
    answer = _text(answer)
    errors = _text_errors(RoundNote, {"answer": answer})
    if not answer:
        errors["answer"] = "Write the team's answer"
    if note.answered_at is not None:
        errors["answer"] = (
            f"This was answered on {timezone.localtime(note.answered_at):%d/%m/%Y at %H:%M}: the first answer "
            "stands. Leave a new note on the next round"
        )
    _refuse(errors)
    note.answer, note.answered_by, note.answered_at = answer, _user(by), timezone.now()
    note.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(
        action="round.answer", obj=note, by=by, scope_path=note.unit.path, changes={"answer": [None, answer]}
    )
    return note
