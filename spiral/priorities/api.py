"""API for True North goals: a unit's goals, setting and changing one, the answers of the units beneath
(adopt, adapt, decline), the catchball conversation and the cascade. Same conventions as the rest."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Annotated, Any, Literal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core.api import Code, ErrorOut, Id, Name, Number, Pagination, ShortText, Text, Version
from spiral.core.types import SignedInRequest
from spiral.measurement.models import Measure
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, require
from spiral.priorities import presenters, queries, services
from spiral.priorities.models import MAX_MEASURES, CatchballMessage, Goal
from spiral.projects import queries as project_queries

router = Router(tags=["priorities"])

CategoryIn = Literal["safety", "experience", "quality", "people", "value", "other"]
ResponseIn = Literal["adopt", "adapt", "decline"]
KindIn = Literal["proposal", "reply", "counter", "agreement"]


RoleIn = Literal["driver", "watch"]


class GoalMeasureIn(Schema):
    measure: Code = Field(description="The measure's code")
    target: Number
    role: RoleIn = Field("driver", description="driver: expected to move; watch: must not get worse")


class BreakthroughIn(Schema):
    title: Name
    year: int = Field(..., ge=2000, le=2100)
    description: Text = ""


class BreakthroughOut(Schema):
    id: int
    year: int
    title: str
    description: str


class GoalIn(Schema):
    unit: Code
    title: Name
    category: CategoryIn = "other"
    description: Text = ""
    target_date: dt.date
    measures: list[GoalMeasureIn] = Field(..., min_length=1, max_length=MAX_MEASURES)
    confirm_direction: bool = Field(
        False, description="Save targets that point against the measure's direction"
    )


class GoalPatch(Schema):
    version: Version | None = None
    title: Name = None
    category: CategoryIn = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    description: Text = None
    target_date: dt.date = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


class ResponseBody(Schema):
    unit: Code = Field(description="A unit directly beneath the goal's unit")
    response: ResponseIn
    reason: ShortText = ""
    measure: Code | None = Field(None, description="adapt: the unit's own measure (code)")
    replaces: Code | None = Field(None, description="adapt: the measure of the goal above it changes")
    target: Number | None = None
    confirm_direction: bool = False


class MessageIn(Schema):
    kind: KindIn
    text: ShortText
    measure: Code | None = None
    replaces: Code | None = None
    target: Number | None = None
    confirm_direction: bool = False


class GoalMeasureOut(Schema):
    measure: str
    name: str
    role: str
    watch_concern: bool = Field(description="A watch metric showing special cause concern")
    target: float
    latest_value: float | None
    variation: str
    assurance: str


class GoalOut(Schema):
    id: int
    version: int
    unit: str
    title: str
    category: str
    description: str
    target_date: dt.date
    response: str
    reason: str
    parent: int | None
    root: int | None
    measures: list[GoalMeasureOut]
    breakthroughs: list[BreakthroughOut]


class MessageOut(Schema):
    id: int
    kind: str
    text: str
    by: str | None
    at: dt.datetime
    from_above: bool
    measure: str | None
    replaces: str | None
    target: float | None


class CascadeNodeOut(Schema):
    goal: int
    unit: str
    unit_name: str
    response: str
    state: str
    awaiting: int
    measures: list[GoalMeasureOut]
    children: list["CascadeNodeOut"]
    beneath: dict[str, int] | None = Field(
        None,
        description="With `listed`: the states of the units beneath this one when they are not in children",
    )


class CascadeOut(Schema):
    goal: int
    units: int
    shares: dict[str, int]
    awaiting: int
    tree: CascadeNodeOut


class BowlingCellOut(Schema):
    month: str
    actual: float | None
    variation: str
    assurance: str


class BowlingRowOut(Schema):
    measure: str
    role: str
    target: float
    watch_concern: bool
    months: list[BowlingCellOut]


def _cells_out(cells: list[queries.Cell]) -> list[dict[str, Any]]:
    return [
        {
            "measure": c.measure.code, "name": c.measure.name, "target": c.goal_measure.target,
            "role": c.goal_measure.role, "watch_concern": c.is_watch_concern,
            "latest_value": c.analysis.latest_value if c.is_measured else None,
            "variation": c.variation, "assurance": c.assurance,
        }
        for c in cells
    ]  # fmt: skip


def goal_out(user: Any, goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk, "version": goal.version, "unit": goal.unit.code, "title": goal.title,
        "category": goal.category, "description": goal.description, "target_date": goal.target_date,
        "response": goal.response, "reason": goal.reason, "parent": goal.parent_id, "root": goal.root_id,
        "measures": _cells_out(queries.cells(user, goal)),
        "breakthroughs": [
            {"id": b.pk, "year": b.year, "title": b.title, "description": b.description}
            for b in queries.breakthroughs(user, goal)
        ],
    }  # fmt: skip


def message_out(m: CatchballMessage) -> dict[str, Any]:
    return {
        "id": m.pk, "kind": m.kind, "text": m.text, "at": m.created_at, "from_above": m.from_above,
        "by": m.created_by.display_name if m.created_by else None,
        "measure": m.measure.code if m.measure else None, "replaces": m.replaces.code if m.replaces else None,
        "target": m.target,
    }  # fmt: skip


def _node_out(node: queries.Node) -> dict[str, Any]:
    return {
        "goal": node.goal.pk, "unit": node.goal.unit.code, "unit_name": node.goal.unit.name,
        "response": node.goal.response, "state": node.state, "awaiting": node.awaiting,
        "measures": _cells_out(node.cells), "children": [_node_out(c) for c in node.children],
        "beneath": node.beneath_shares,
    }  # fmt: skip


def _unit(request: SignedInRequest, code: str) -> Unit:
    unit = org_queries.unit_by_code(request.auth, code)
    if unit is None:
        raise Http404(f"No unit has the code {code!r} (unit)")
    return unit


def _measure(request: SignedInRequest, code: str | None, field: str) -> Measure | None:
    return queries.measure_by_code(request.auth, code, field=field) if code else None


@router.get("/goals", response=list[GoalOut], summary="List True North goals")
@paginate(Pagination)
def list_goals(request: SignedInRequest, unit: Code | None = None) -> Any:
    """The goals of `unit` (set there, or its answers to the goals above); without it, every goal set by
    a unit (the tops of the cascades)."""
    if unit:
        found = queries.goals(request.auth, unit=_unit(request, unit))
    else:
        found = queries.goals(request.auth, top_only=True)
    return [goal_out(request.auth, g) for g in found]


@router.post("/goals", response={201: GoalOut}, summary="Set a True North goal")
def create_goal(request: SignedInRequest, payload: GoalIn) -> Any:
    unit = _unit(request, payload.unit)
    require(request.auth, Permission.SET_GOALS, unit)
    measures = [
        (queries.measure_by_code(request.auth, m.measure, field=f"measures.{i}.measure"), m.target, m.role)
        for i, m in enumerate(payload.measures)
    ]
    goal = services.set_goal(
        unit=unit, by=request.auth, title=payload.title, category=payload.category,
        description=payload.description, target_date=payload.target_date, measures=measures,
        confirm_direction=payload.confirm_direction,
    )  # fmt: skip
    return Status(201, goal_out(request.auth, goal))


@router.get("/goals/{goal_id}", response=GoalOut, summary="One goal")
def get_goal(request: SignedInRequest, goal_id: Id) -> Any:
    return goal_out(request.auth, queries.goal_for(request.auth, goal_id))


@router.patch("/goals/{goal_id}", response={200: GoalOut, 409: ErrorOut}, summary="Change a goal")
def patch_goal(request: SignedInRequest, goal_id: Id, payload: GoalPatch) -> Any:
    goal = queries.goal_for(request.auth, goal_id, Permission.SET_GOALS)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    try:
        goal = services.change_goal(goal=goal, by=request.auth, version=version, **changes)
    except services.StaleGoal as exc:
        current = goal_out(request.auth, exc.current)
        detail = {"detail": str(exc), "errors": [{"field": "version", "message": str(exc)}]}
        return Status(409, {**detail, "current": current})
    return goal_out(request.auth, goal)


@router.get("/goals/{goal_id}/cascade", response=CascadeOut, summary="The cascade beneath a goal")
def get_cascade(
    request: SignedInRequest,
    goal_id: Id,
    listed: int | None = Query(
        None,
        ge=1,
        le=100_000,
        description="List the tree level by level while the levels hold at most this many units (as the page "
        "does with 400); the units beneath are counted in `shares` and in each last listed node's `beneath`. "
        "Without it, the whole tree (a national goal's is about 20,000 nodes)",
    ),
) -> Any:
    goal = queries.goal_for(request.auth, goal_id)
    found = queries.cascade(request.auth, goal, listed=listed)
    return {
        "goal": goal.pk, "units": found.total, "shares": found.shares, "awaiting": found.awaiting,
        "tree": _node_out(found.root),
    }  # fmt: skip


@router.post("/goals/{goal_id}/responses", response={201: GoalOut}, summary="Adopt, adapt or decline a goal")
def respond(request: SignedInRequest, goal_id: Id, payload: ResponseBody) -> Any:
    """The answer of a unit directly beneath the goal's unit; needs `set_goals` on that unit."""
    goal = queries.goal_for(request.auth, goal_id)
    unit = _unit(request, payload.unit)
    require(request.auth, Permission.SET_GOALS, unit)
    mine = services.respond(
        goal=goal, unit=unit, by=request.auth, response=payload.response, reason=payload.reason,
        measure=_measure(request, payload.measure, "measure"),
        replaces=_measure(request, payload.replaces, "replaces"), target=payload.target,
        confirm_direction=payload.confirm_direction,
    )  # fmt: skip
    return Status(201, goal_out(request.auth, mine))


@router.get("/goals/{goal_id}/catchball", response=list[MessageOut], summary="A goal's catchball")
@paginate(Pagination)
def list_messages(request: SignedInRequest, goal_id: Id) -> Any:
    goal = queries.goal_for(request.auth, goal_id)
    return [message_out(m) for m in queries.messages(request.auth, goal)]


@router.post("/goals/{goal_id}/catchball", response={201: MessageOut}, summary="Take a turn of catchball")
def add_message(request: SignedInRequest, goal_id: Id, payload: MessageIn) -> Any:
    goal = queries.goal_for(request.auth, goal_id, Permission.SET_GOALS)
    message = services.add_message(
        goal=goal, by=request.auth, kind=payload.kind, text=payload.text,
        measure=_measure(request, payload.measure, "measure"),
        replaces=_measure(request, payload.replaces, "replaces"), target=payload.target,
        confirm_direction=payload.confirm_direction,
    )  # fmt: skip
    return Status(201, message_out(message))


@router.post(
    "/goals/{goal_id}/breakthroughs", response={201: BreakthroughOut}, summary="Add a breakthrough objective"
)
def add_breakthrough(request: SignedInRequest, goal_id: Id, payload: BreakthroughIn) -> Any:
    goal = queries.goal_for(request.auth, goal_id, Permission.SET_GOALS)
    found = services.add_breakthrough(goal=goal, by=request.auth, **payload.dict())
    return Status(
        201, {"id": found.pk, "year": found.year, "title": found.title, "description": found.description}
    )


@router.get("/goals/{goal_id}/bowling", response=list[BowlingRowOut], summary="A goal's bowling chart")
@paginate(Pagination)
def get_bowling(request: SignedInRequest, goal_id: Id) -> Any:
    """Twelve months across, one row per measure: the actual value of each month with the Making Data
    Count icons of that month's point (variation) and of the limits against the target (assurance)."""
    goal = queries.goal_for(request.auth, goal_id)
    _months, rows = presenters.bowling(
        queries.analysed(request.auth, goal, queries.cells(request.auth, goal))
    )
    return [
        {
            "measure": r.measure.code, "role": r.role, "target": r.target, "watch_concern": r.flagged,
            "months": [
                {"month": f"{c.month:%Y-%m}", "actual": c.actual, "variation": c.variation, "assurance": c.assurance}
                for c in r.cells
            ],
        }
        for r in rows
    ]  # fmt: skip


class ServeIn(Schema):
    goal: Id = Field(description="The id of a goal of the project's unit or of a unit above it")


class WorkOut(Schema):
    project: int
    title: str
    unit: str
    status: str
    goal: int
    score: float | None = Field(description="The latest progress score (None: not scored yet)")


def _work_out(w: queries.Work) -> dict[str, Any]:
    p = w.project
    return {"project": p.pk, "title": p.title, "unit": p.unit.code, "status": p.status, "goal": w.link.goal_id,
            "score": w.score}  # fmt: skip


@router.get("/goals/{goal_id}/projects", response=list[WorkOut], summary="The work serving a goal")
@paginate(Pagination)
def list_work(request: SignedInRequest, goal_id: Id) -> Any:
    """Projects serving the goal or its cascade beneath, active first, with their latest progress score."""
    return [_work_out(w) for w in queries.work(request.auth, queries.goal_for(request.auth, goal_id))]


@router.get("/projects/{project_id}/goals", response=list[GoalOut], summary="The goals a project serves")
@paginate(Pagination)
def list_served(request: SignedInRequest, project_id: Id) -> Any:
    project = project_queries.project_for(request.auth, project_id)
    return [goal_out(request.auth, s.goal) for s in queries.served_by(request.auth, project)]


@router.post(
    "/projects/{project_id}/goals", response={201: GoalOut}, summary="Name a goal the project serves"
)
def serve(request: SignedInRequest, project_id: Id, payload: ServeIn) -> Any:
    project = project_queries.project_for(request.auth, project_id, Permission.CHANGE_PROJECT)
    goal = queries.goal_for(request.auth, payload.goal)
    services.link_project(goal=goal, project=project, by=request.auth)
    return Status(201, goal_out(request.auth, goal))


class DecisionIn(Schema):
    unit: Code
    what: Name
    why: Text
    options: Text = ""
    decided_by: Name
    decided_on: dt.date
    review_on: dt.date | None = None
    measures: list[Code] = Field(default_factory=list, max_length=20, description="Measure codes")
    projects: list[Id] = Field(default_factory=list, max_length=20, description="Project ids")
    goals: list[Id] = Field(default_factory=list, max_length=20, description="Goal ids")


class DecisionOut(Schema):
    id: int
    unit: str
    what: str
    why: str
    options: str
    decided_by: str
    decided_on: dt.date
    review_on: dt.date | None
    due: bool
    measures: list[str]
    projects: list[int]
    goals: list[int]


def _decision_out(d: Any) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "id": d.pk, "unit": d.unit.code, "what": d.what, "why": d.why, "options": d.options,
        "decided_by": d.decided_by, "decided_on": d.decided_on, "review_on": d.review_on,
        "due": d.is_due(timezone.localdate()), "measures": [m.code for m in d.measures.all()],
        "projects": [p.pk for p in d.projects.all()], "goals": [g.pk for g in d.goals.all()],
    }  # fmt: skip


@router.get("/decisions", response=list[DecisionOut], summary="A unit's decision log")
@paginate(Pagination)
def list_decisions(request: SignedInRequest, unit: Code, due: bool = False) -> Any:
    """The decisions of `unit` and the units beneath it, latest first (`due`: only those due for review)."""
    found = _unit(request, unit)
    qs = queries.due_for_review(request.auth, found) if due else queries.decisions(request.auth, found)
    return [_decision_out(d) for d in qs]


@router.post("/decisions", response={201: DecisionOut}, summary="Log a decision")
def log_decision(request: SignedInRequest, payload: DecisionIn) -> Any:
    unit = _unit(request, payload.unit)
    require(request.auth, Permission.SET_GOALS, unit)
    measures = [
        queries.measure_by_code(request.auth, c, field=f"measures.{i}")
        for i, c in enumerate(payload.measures)
    ]
    projects = [project_queries.project_for(request.auth, pk) for pk in payload.projects]
    goals = [queries.goal_for(request.auth, pk) for pk in payload.goals]
    data = payload.dict(exclude={"unit", "measures", "projects", "goals"})
    decision = services.log_decision(unit=unit, by=request.auth, measures=measures, projects=projects, goals=goals,
                                     **data)  # fmt: skip
    return Status(201, _decision_out(decision))


PromptIn = Literal["feedback", "measure", "story", "other"]
StatusIn = Literal["new", "discussion", "testing", "done", "parked"]
Score = Annotated[int, Field(ge=1, le=5)]


class IdeaIn(Schema):
    unit: Code
    problem: ShortText
    idea: ShortText
    helps: Name
    prompted_by: PromptIn = "other"
    prompt: Name = ""
    goal: Id | None = None


class IdeaScoreIn(Schema):
    impact: Score
    effort: Score
    alignment: Score
    comment: ShortText = ""


class MoveIn(Schema):
    to: StatusIn
    why: ShortText
    version: Version | None = None


class IdeaOut(Schema):
    id: int
    version: int
    unit: str
    problem: str
    idea: str
    helps: str
    prompted_by: str
    prompt: str
    goal: int | None
    status: str
    staff: dict[str, float] | None
    patient: dict[str, float] | None
    priority: float | None


def _idea_out(s: queries.Scored) -> dict[str, Any]:
    i = s.idea
    return {
        "id": i.pk, "version": i.version, "unit": i.unit.code, "problem": i.problem, "idea": i.idea,
        "helps": i.helps, "prompted_by": i.prompted_by, "prompt": i.prompt, "goal": i.goal_id,
        "status": i.status, "staff": s.staff, "patient": s.patient, "priority": s.priority,
    }  # fmt: skip


@router.get("/ideas", response=list[IdeaOut], summary="A team's ideas backlog")
@paginate(Pagination)
def list_ideas(request: SignedInRequest, unit: Code) -> Any:
    return [_idea_out(s) for s in queries.backlog(request.auth, _unit(request, unit))]


@router.post("/ideas", response={201: IdeaOut}, summary="Add an idea")
def add_idea(request: SignedInRequest, payload: IdeaIn) -> Any:
    unit = _unit(request, payload.unit)
    require(request.auth, Permission.ADD_IDEA, unit)
    goal = queries.goal_for(request.auth, payload.goal) if payload.goal else None
    data = payload.dict(exclude={"unit", "goal"})
    found = services.add_idea(unit=unit, by=request.auth, goal=goal, **data)
    return Status(201, _idea_out(queries.scored(request.auth, found)))


@router.post("/ideas/{idea_id}/scores", response={201: IdeaOut}, summary="Score an idea")
def score(request: SignedInRequest, idea_id: Id, payload: IdeaScoreIn) -> Any:
    idea = queries.idea_for(request.auth, idea_id, Permission.ADD_IDEA)
    services.score_idea(idea=idea, by=request.auth, is_patient=queries.is_patient_partner(request.auth, idea.unit),
                        **payload.dict())  # fmt: skip
    return Status(201, _idea_out(queries.scored(request.auth, idea)))


@router.post("/ideas/{idea_id}/moves", response={200: IdeaOut, 409: ErrorOut}, summary="Move an idea on")
def move(request: SignedInRequest, idea_id: Id, payload: MoveIn) -> Any:
    idea = queries.idea_for(request.auth, idea_id, Permission.TRIAGE_IDEA)
    try:
        idea = services.move_idea(idea=idea, by=request.auth, **payload.dict())
    except services.StaleGoal as exc:
        current = _idea_out(queries.scored(request.auth, exc.current))
        return Status(409, {"detail": str(exc), "errors": [{"field": "version", "message": str(exc)}],
                            "current": current})  # fmt: skip
    return _idea_out(queries.scored(request.auth, idea))


# --- a goal's measures: driver or watch, and their targets ------------------------------------------------


class GoalMeasurePatch(Schema):
    measure: Code = Field(description="The code of one of the goal's measures")
    role: RoleIn | None = None
    target: Number | None = None
    confirm_direction: bool = Field(
        False, description="Save a target that points against the measure's direction"
    )


@router.patch("/goals/{goal_id}/measures", response=GoalOut, summary="Change a goal measure's role or target")
def patch_goal_measure(request: SignedInRequest, goal_id: Id, payload: GoalMeasurePatch) -> Any:
    """Mark one of the goal's measures driver or watch, or change its target (a goal set at its unit)."""
    goal = queries.goal_for(request.auth, goal_id, Permission.SET_GOALS)
    measure = queries.measure_by_code(request.auth, payload.measure)
    services.change_goal_measure(
        goal=goal, measure=measure, by=request.auth, role=payload.role, target=payload.target,
        confirm_direction=payload.confirm_direction,
    )  # fmt: skip
    return goal_out(request.auth, queries.goal_for(request.auth, goal_id))


# --- a unit's weights of a priority -----------------------------------------------------------------------


class IdeaWeightsIn(Schema):
    impact: int = Field(description="Percent of the priority; impact, effort and alignment add up to 100")
    effort: int
    alignment: int
    patient_share: int = Field(description="How much the patient partners' view counts (50: equally)")
    version: Version | None = None


class IdeaWeightsOut(Schema):
    unit: str
    impact: int
    effort: int
    alignment: int
    patient_share: int
    source: str | None = Field(description="The unit whose weights these are (null: Spiral's defaults)")
    version: int


def _weights_out(unit: Unit, w: queries.Weights) -> dict[str, Any]:
    return {
        "unit": unit.code, "impact": w.percent("impact"), "effort": w.percent("effort"),
        "alignment": w.percent("alignment"), "patient_share": w.percent("patient_share"),
        "source": w.unit.code if w.unit else None, "version": w.version,
    }  # fmt: skip


@router.get("/units/{code}/idea-weights", response=IdeaWeightsOut, summary="How a unit weighs its ideas")
def get_weights(request: SignedInRequest, code: Code) -> Any:
    """The unit's weights of a priority: its own, else inherited from its nearest ancestor, else defaults."""
    unit = _unit(request, code)
    return _weights_out(unit, queries.weights_for(request.auth, unit))


@router.put(
    "/units/{code}/idea-weights",
    response={200: IdeaWeightsOut, 409: ErrorOut},
    summary="Set a unit's weights",
)
def put_weights(request: SignedInRequest, code: Code, payload: IdeaWeightsIn) -> Any:
    unit = _unit(request, code)
    require(request.auth, Permission.SET_GOALS, unit)
    try:
        services.set_idea_weights(unit=unit, by=request.auth, **payload.dict())
    except services.StaleGoal as exc:
        current = _weights_out(unit, queries.weights_for(request.auth, unit))
        return Status(409, {"detail": str(exc), "errors": [{"field": "version", "message": str(exc)}],
                            "current": current})  # fmt: skip
    return _weights_out(unit, queries.weights_for(request.auth, unit))


# --- similar ideas and projects -----------------------------------------------------------------------------


class SimilarIn(Schema):
    unit: Code
    problem: ShortText = ""
    idea: ShortText = ""


class SimilarIdeaOut(Schema):
    id: int
    unit: str
    idea: str
    status: str
    same_unit: bool
    shared_words: int


class SimilarProjectOut(Schema):
    id: int
    title: str
    unit: str
    stage: str
    nearby: bool
    reason: str
    improvement_shown: bool


class SimilarIdeasAndWorkOut(Schema):
    ideas: list[SimilarIdeaOut]
    projects: list[SimilarProjectOut]


@router.post(
    "/ideas/similar", response=SimilarIdeasAndWorkOut, summary="Ideas and projects like an idea being written"
)
def similar(request: SignedInRequest, payload: SimilarIn) -> Any:
    """What looks like an idea not yet added (nothing is saved): ideas in backlogs the person may see, and
    projects from the catalogue. A POST, so what is typed stays out of addresses and logs."""
    unit = _unit(request, payload.unit)
    require(request.auth, Permission.ADD_IDEA, unit)
    found = queries.similar_work(request.auth, unit, problem=payload.problem, idea=payload.idea) or {
        "ideas": [], "projects": []
    }  # fmt: skip
    return {
        "ideas": [
            {"id": s.idea.pk, "unit": s.idea.unit.code, "idea": s.idea.idea, "status": s.idea.status,
             "same_unit": s.is_here, "shared_words": s.shared}
            for s in found["ideas"]
        ],
        "projects": [
            {"id": m.project.pk, "title": m.project.title, "unit": m.project.unit.code,
             "stage": m.project.stage, "nearby": m.nearby, "reason": m.reason,
             "improvement_shown": m.improvement_shown}
            for m in found["projects"]
        ],
    }  # fmt: skip


# --- the huddle board and leader standard work rounds -------------------------------------------------------

NoteKindIn = Literal["question", "recognition"]


class RoundNoteIn(Schema):
    kind: NoteKindIn
    text: ShortText


class RoundAnswerIn(Schema):
    answer: ShortText


class RoundNoteOut(Schema):
    id: int
    unit: str
    kind: str
    text: str
    by: str | None
    at: dt.datetime
    answer: str
    answered_by: str | None
    answered_at: dt.datetime | None


def _note_out(n: Any) -> dict[str, Any]:
    return {
        "id": n.pk, "unit": n.unit.code, "kind": n.kind, "text": n.text, "at": n.created_at,
        "by": n.created_by.display_name if n.created_by else None, "answer": n.answer,
        "answered_by": n.answered_by.display_name if n.answered_by else None, "answered_at": n.answered_at,
    }  # fmt: skip


class BoardIdeaOut(Schema):
    id: int
    idea: str
    priority: float | None


class BoardCycleOut(Schema):
    id: int
    project: int
    change_idea: str
    number: int
    phase: str
    planned_end: dt.date | None


class BoardDriverOut(Schema):
    goal: int
    measure: str
    name: str
    target: float
    latest_value: float | None
    variation: str
    assurance: str


class BoardStoryOut(Schema):
    id: int
    title: str
    teller: str
    unit: str


class BoardGainOut(Schema):
    project: int
    title: str
    measure: str
    variation: str


class BoardDecisionOut(Schema):
    id: int
    what: str
    unit: str
    decided_on: dt.date
    review_on: dt.date | None
    due: bool


class BoardOut(Schema):
    unit: str
    week_start: dt.date
    ideas: dict[str, list[BoardIdeaOut]]
    counts: dict[str, int]
    cycles: list[BoardCycleOut]
    drivers: list[BoardDriverOut]
    story: BoardStoryOut | None
    done: list[BoardIdeaOut]
    gains: list[BoardGainOut]
    rounds: list[RoundNoteOut]
    decisions: list[BoardDecisionOut]


@router.get("/units/{code}/board", response=BoardOut, summary="A team's huddle board")
def get_board(request: SignedInRequest, code: Code) -> Any:
    """What the huddle board page shows, as data (for a board's own display, or a print run)."""
    unit = _unit(request, code)
    b = queries.board(request.auth, unit)
    today = timezone.localdate()
    return {
        "unit": unit.code, "week_start": b.week[0], "counts": b.counts,
        "ideas": {k: [{"id": s.idea.pk, "idea": s.idea.idea, "priority": s.priority} for s in v]
                  for k, v in b.ideas.items()},
        "cycles": [{"id": c.pk, "project": c.project_id, "change_idea": c.change_idea.text, "number": c.number,
                    "phase": c.phase, "planned_end": c.planned_end} for c in b.cycles],
        "drivers": [{"goal": g.pk, "measure": c.measure.code, "name": c.measure.name,
                     "target": c.goal_measure.target, "variation": c.variation, "assurance": c.assurance,
                     "latest_value": c.analysis.latest_value if c.is_measured else None} for g, c in b.drivers],
        "story": {"id": b.story.pk, "title": b.story.title, "teller": b.story.teller, "unit": b.story.unit.code}
        if b.story else None,
        "done": [{"id": i.pk, "idea": i.idea, "priority": None} for i in b.done],
        "gains": [{"project": g.project.pk, "title": g.project.title, "measure": g.measure.code,
                   "variation": g.variation} for g in b.gains],
        "rounds": [_note_out(n) for n in b.notes],
        "decisions": [{"id": d.pk, "what": d.what, "unit": d.unit.code, "decided_on": d.decided_on,
                       "review_on": d.review_on, "due": d.is_due(today)} for d in b.decisions],
    }  # fmt: skip


@router.get("/units/{code}/rounds", response=list[RoundNoteOut], summary="Notes left on a team's board")
@paginate(Pagination)
def list_rounds(request: SignedInRequest, code: Code) -> Any:
    return [_note_out(n) for n in queries.round_notes(request.auth, _unit(request, code))]


@router.post("/units/{code}/rounds", response={201: RoundNoteOut}, summary="Leave a note on a round")
def leave_round_note(request: SignedInRequest, code: Code, payload: RoundNoteIn) -> Any:
    """Leader standard work: a coach or leader leaves a question or a recognition on the team's board."""
    unit = _unit(request, code)
    require(request.auth, Permission.WALK_ROUND, unit)
    note = services.leave_round_note(unit=unit, by=request.auth, kind=payload.kind, text=payload.text)
    return Status(201, _note_out(note))


@router.post("/rounds/{note_id}/answer", response=RoundNoteOut, summary="Answer a note left on a round")
def answer_round_note(request: SignedInRequest, note_id: Id, payload: RoundAnswerIn) -> Any:
    note = queries.round_note_for(request.auth, note_id, Permission.ANSWER_ROUND)
    return _note_out(services.answer_round_note(note=note, by=request.auth, answer=payload.answer))
