"""API for projects, team members, the driver diagram, change ideas, PDSA cycles and progress scores.

Handlers are thin: the same queries and services as the pages. Conventions: shared/reference/
interfaces.md ("API conventions", "Projects").
"""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from spiral.measurement import queries as m_queries
from spiral.organisations import queries as org_queries
from spiral.organisations.models import User
from spiral.organisations.permissions import Permission, get_or_deny, require
from spiral.projects import queries, services
from spiral.projects.models import (
    DriverNode,
    MeasureRole,
    Method,
    NodeKind,
    PdsaCycle,
    Project,
    ProjectMeasure,
    ProjectRole,
    Stage,
    TeamMember,
)
from spiral.projects.models import Status as ProjectStatus

router = Router(tags=["projects"])


class ErrorItem(Schema):
    field: str
    message: str


class Conflict(Schema):
    detail: str
    errors: list[ErrorItem]
    current: dict[str, Any] = Field(description="The record as it is now")


class TeamMemberOut(Schema):
    id: int
    user: int
    user_name: str
    role: str


class TeamMemberIn(Schema):
    user: str = Field(description="The person's email address or id")
    role: ProjectRole = ProjectRole.MEMBER


class ProjectOut(Schema):
    id: int
    unit: str = Field(description="The unit's code")
    title: str
    problem: str
    aim: str
    aim_measure: str
    aim_baseline: float | None
    aim_target: float | None
    aim_date: dt.date | None
    status: str
    stage: str
    method: str
    topics: list[str]
    start_date: dt.date | None
    closed_on: dt.date | None
    lessons: str
    aim_achieved: str
    latest_score: float | None
    has_patient_partner: bool
    missing_aim_parts: list[str] = Field(description="What the aim still needs to be measurable")
    version: int


class ProjectDetailOut(ProjectOut):
    team: list[TeamMemberOut]
    diagram_version: int


class ProjectIn(Schema):
    unit: str = Field(description="The code of the unit the project belongs to")
    title: str
    problem: str = ""
    aim: str = ""
    aim_measure: str = ""
    aim_baseline: float | None = None
    aim_target: float | None = None
    aim_date: dt.date | None = None
    topics: list[str] = []
    status: ProjectStatus = ProjectStatus.DRAFT
    stage: Stage = Stage.SCOPING
    method: Method = Method.MODEL_FOR_IMPROVEMENT
    start_date: dt.date | None = None
    team: list[TeamMemberIn] = Field(
        [], description="Others on the team; you become lead unless one is named"
    )


class ProjectPatch(Schema):
    title: str | None = None
    problem: str | None = None
    aim: str | None = None
    aim_measure: str | None = None
    aim_baseline: float | None = None
    aim_target: float | None = None
    aim_date: dt.date | None = None
    topics: list[str] | None = None
    status: ProjectStatus | None = None
    stage: Stage | None = None
    method: Method | None = None
    start_date: dt.date | None = None
    lessons: str | None = Field(None, description="Needed to close: what was learned")
    aim_achieved: str | None = Field(None, description="Needed to close: yes, partly or no")
    version: int | None = Field(None, description="The version you read; a stale one gets 409")


class ProjectFilters(Schema):
    unit: str | None = Field(None, description="This unit code and everything beneath it")
    status: ProjectStatus | None = None
    stage: Stage | None = None
    topic: str | None = None
    patient_partner: bool | None = None
    q: str | None = Field(None, description="Words in the title or aim")


class NodeOut(Schema):
    id: int
    kind: str
    text: str
    order: int


class NodeIn(Schema):
    id: int = Field(description="The node's id, or a negative number for a new node")
    kind: NodeKind
    text: str
    order: int | None = None


class EdgeSchema(Schema):
    from_: int = Field(alias="from", description="The node nearer the aim")
    to: int

    model_config = {"populate_by_name": True}


class DiagramOut(Schema):
    nodes: list[NodeOut]
    edges: list[EdgeSchema]
    version: int
    ids: dict[str, int] = Field({}, description="After a PUT: each negative id sent → the real id")


class DiagramIn(Schema):
    nodes: list[NodeIn]
    edges: list[EdgeSchema] = []
    version: int | None = Field(None, description="The diagram version you read; a stale one gets 409")


class ChangeIdeaOut(Schema):
    id: int
    title: str
    description: str
    parents: list[int] = Field(description="The drivers it acts on (node ids)")
    cycles: int


class ChangeIdeaIn(Schema):
    title: str
    description: str = ""
    parents: list[int] = Field([], description="Node ids of the drivers it acts on")


class CycleFields(Schema):
    purpose: str | None = None
    questions: str | None = None
    plan_who: str | None = None
    plan_what: str | None = None
    plan_when: str | None = None
    plan_where: str | None = None
    data_to_collect: str | None = None
    scale_of_test: str | None = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    carried_out: str | None = None
    what_happened: str | None = None
    problems: str | None = None
    observations: str | None = None
    results: str | None = None
    prediction_confirmed: str | None = None
    learning: str | None = None
    decision: str | None = None
    rationale: str | None = None
    next_steps: str | None = None


class CycleIn(CycleFields):
    change_idea: int
    objective: str
    prediction: str = ""


class CyclePatch(CycleFields):
    objective: str | None = None
    prediction: str | None = None
    version: int | None = Field(None, description="The version you read; a stale one gets 409")


class CycleOut(Schema):
    id: int
    project: int
    change_idea: int
    number: int
    phase: str
    purpose: str
    objective: str
    questions: str
    prediction: str
    predicted_at: dt.datetime | None
    plan_who: str
    plan_what: str
    plan_when: str
    plan_where: str
    data_to_collect: str
    scale_of_test: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    started_on: dt.date | None
    ended_on: dt.date | None
    carried_out: str
    what_happened: str
    problems: str
    observations: str
    results: str
    prediction_confirmed: str
    learning: str
    decision: str
    rationale: str
    next_steps: str
    version: int


class ScoreIn(Schema):
    score: float | str
    comment: str = ""
    month: str | None = Field(None, description="YYYY-MM; this month if left out")


class ScoreOut(Schema):
    id: int
    month: str
    score: float
    role: str
    comment: str
    assessed_by: str | None
    scale: str


class MeasureLinkIn(Schema):
    series: int | None = Field(None, description="The id of a series to link (any unit's)")
    measure: str | None = Field(None, description="Or a measure's code: starts its series for the unit")
    unit: str | None = Field(None, description="With `measure`: the project's unit code (the default)")
    role: MeasureRole


class MeasureLinkOut(Schema):
    id: int
    series: int
    measure: str = Field(description="The measure's code")
    measure_name: str
    unit: str = Field(description="The series' unit code")
    role: str
    is_aim: bool = Field(description="The outcome measure the aim is judged by")
    frequency: str
    latest_period: dt.date | None
    latest_value: float | None


# --- shaping ------------------------------------------------------------------------------------------


def project_out(project: Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "unit": project.unit.code,
        **{
            f: getattr(project, f)
            for f in (
                "title",
                "problem",
                "aim",
                "aim_measure",
                "aim_baseline",
                "aim_target",
                "aim_date",
                "status",
                "stage",
                "method",
                "start_date",
                "closed_on",
                "lessons",
                "aim_achieved",
                "has_patient_partner",
                "version",
            )
        },
        "topics": sorted(t.name for t in project.topics.all()),
        "latest_score": float(project.latest_score) if project.latest_score is not None else None,
        "missing_aim_parts": project.missing_aim_parts(),
    }


def _member_out(m: TeamMember) -> dict[str, Any]:
    return {"id": m.pk, "user": m.user_id, "user_name": m.user.display_name, "role": m.role}


def project_detail(user: Any, project: Project) -> dict[str, Any]:
    return project_out(project) | {
        "team": [_member_out(m) for m in queries.team(user, project)],
        "diagram_version": project.diagram_version,
    }


def cycle_out(cycle: PdsaCycle) -> dict[str, Any]:
    data = {f: getattr(cycle, f) for f in services.CYCLE_FIELDS}
    return data | {
        "id": cycle.pk,
        "project": cycle.project_id,
        "change_idea": cycle.change_idea_id,
        "number": cycle.number,
        "phase": cycle.phase,
        "predicted_at": cycle.predicted_at,
        "version": cycle.version,
    }


def _idea_out(idea: DriverNode) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "title": idea.text,
        "description": idea.description,
        "parents": sorted(e.parent_id for e in idea.parent_edges.all()),
        "cycles": getattr(idea, "cycle_count", 0),
    }


def _score_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "month": f"{s.month:%Y-%m}",
        "score": float(s.score),
        "role": s.role,
        "comment": s.comment,
        "assessed_by": s.assessed_by.display_name if s.assessed_by_id else None,
        "scale": str(s.scale),
    }


def _conflict(exc: services.StaleRecord, current: dict[str, Any]) -> Any:
    return Status(
        409, {"detail": str(exc), "errors": [{"field": "version", "message": str(exc)}], "current": current}
    )


def _project(
    request: HttpRequest, project_id: int, permission: Permission = Permission.VIEW_PROJECT
) -> Project:
    return get_or_deny(
        request.auth, permission, Project.objects.select_related("unit", "scale"), pk=project_id
    )


def _person(request: HttpRequest, who: str) -> User:
    who = who.strip()
    lookup = {"pk": int(who)} if who.isdigit() else {"email": who.lower()}
    person = org_queries.people(request.auth).filter(**lookup).first()
    if person is None:
        raise Http404(f"No person matches {who!r} (user)")
    return person


# --- projects -----------------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="List projects")
@paginate(LimitOffsetPagination)
def list_projects(request: HttpRequest, filters: Query[ProjectFilters]) -> Any:
    within = None
    if filters.unit:
        within = org_queries.unit_by_code(request.auth, filters.unit)
        if within is None:
            raise Http404(f"No unit has the code {filters.unit!r} (unit)")
    qs = queries.projects(
        request.auth,
        within=within,
        status=filters.status,
        stage=filters.stage,
        topic=filters.topic,
        patient_partner=filters.patient_partner,
        q=filters.q,
    ).prefetch_related("topics")
    return [project_out(p) for p in qs]


@router.post("/projects", response={201: ProjectDetailOut}, summary="Start a project")
def create_project(request: HttpRequest, payload: ProjectIn) -> Any:
    unit = org_queries.unit_by_code(request.auth, payload.unit)
    if unit is None:
        raise Http404(f"No unit has the code {payload.unit!r} (unit)")
    require(request.auth, Permission.CREATE_PROJECT, unit)
    team = [(_person(request, m.user), m.role) for m in payload.team]
    data = payload.dict(exclude={"unit", "team"})
    project = services.create_project(unit=unit, by=request.auth, team=team, **data)
    return Status(201, project_detail(request.auth, project))


@router.get("/projects/{project_id}", response=ProjectDetailOut, summary="One project")
def get_project(request: HttpRequest, project_id: int) -> Any:
    return project_detail(request.auth, _project(request, project_id))


@router.patch(
    "/projects/{project_id}", response={200: ProjectDetailOut, 409: Conflict}, summary="Change a project"
)
def patch_project(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    try:
        project = services.update_project(project=project, by=request.auth, version=version, **changes)
    except services.StaleRecord as exc:
        return _conflict(exc, project_detail(request.auth, exc.current))
    return project_detail(request.auth, project)


# --- team ---------------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/team", response=list[TeamMemberOut], summary="A project's team")
def list_team(request: HttpRequest, project_id: int) -> Any:
    return [_member_out(m) for m in queries.team(request.auth, _project(request, project_id))]


@router.post("/projects/{project_id}/team", response={201: TeamMemberOut}, summary="Add a team member")
def add_team_member(request: HttpRequest, project_id: int, payload: TeamMemberIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    member = services.add_team_member(
        project=project, user=_person(request, payload.user), role=payload.role, by=request.auth
    )
    return Status(201, _member_out(member))


@router.delete(
    "/projects/{project_id}/team/{member_id}", response={204: None}, summary="Take someone off the team"
)
def remove_team_member(request: HttpRequest, project_id: int, member_id: int) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    member = TeamMember.objects.filter(project=project, pk=member_id).select_related("user").first()
    if member is None:
        raise Http404(f"No team member {member_id} on this project")
    services.remove_team_member(member=member, by=request.auth)
    return Status(204, None)


# --- driver diagram -----------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/driver-diagram", response=DiagramOut, by_alias=True, summary="The driver diagram"
)
def get_diagram(request: HttpRequest, project_id: int) -> Any:
    return services.diagram_data(_project(request, project_id))


@router.put(
    "/projects/{project_id}/driver-diagram",
    response={200: DiagramOut, 409: Conflict},
    by_alias=True,
    summary="Replace the driver diagram",
)
def put_diagram(request: HttpRequest, project_id: int, payload: DiagramIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    nodes = [n.dict() for n in payload.nodes]
    edges = [{"from": e.from_, "to": e.to} for e in payload.edges]
    try:
        mapping = services.save_driver_diagram(
            project=project, nodes=nodes, edges=edges, by=request.auth, version=payload.version
        )
    except services.StaleRecord as exc:
        return _conflict(exc, services.diagram_data(exc.current))
    project.refresh_from_db()
    return services.diagram_data(project) | {"ids": {str(k): v for k, v in mapping.items() if k < 0}}


# --- change ideas -------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/change-ideas", response=list[ChangeIdeaOut], summary="Change ideas")
def list_change_ideas(request: HttpRequest, project_id: int) -> Any:
    project = _project(request, project_id)
    ideas = queries.change_ideas(request.auth, project).prefetch_related("parent_edges")
    return [_idea_out(i) for i in ideas]


@router.post(
    "/projects/{project_id}/change-ideas", response={201: ChangeIdeaOut}, summary="Add a change idea"
)
def create_change_idea(request: HttpRequest, project_id: int, payload: ChangeIdeaIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    idea = services.create_change_idea(
        project=project,
        title=payload.title,
        description=payload.description,
        parents=payload.parents,
        by=request.auth,
    )
    return Status(201, _idea_out(idea))


# --- PDSA cycles --------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/pdsa-cycles", response=list[CycleOut], summary="PDSA cycles")
@paginate(LimitOffsetPagination)
def list_cycles(request: HttpRequest, project_id: int) -> Any:
    return [cycle_out(c) for c in queries.cycles(request.auth, _project(request, project_id))]


@router.post("/projects/{project_id}/pdsa-cycles", response={201: CycleOut}, summary="Plan a PDSA cycle")
def create_cycle(request: HttpRequest, project_id: int, payload: CycleIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    idea = DriverNode.objects.filter(pk=payload.change_idea).first()
    if idea is None:
        raise Http404(f"No change idea has the id {payload.change_idea} (change_idea)")
    fields = payload.dict(exclude={"change_idea", "objective"}, exclude_none=True)
    cycle = services.create_cycle(
        project=project, change_idea=idea, objective=payload.objective, by=request.auth, **fields
    )
    return Status(201, cycle_out(cycle))


def _cycle(request: HttpRequest, cycle_id: int, permission: Permission) -> PdsaCycle:
    return get_or_deny(
        request.auth, permission, PdsaCycle.objects.select_related("project__unit"), pk=cycle_id
    )


@router.get("/pdsa-cycles/{cycle_id}", response=CycleOut, summary="One PDSA cycle")
def get_cycle(request: HttpRequest, cycle_id: int) -> Any:
    return cycle_out(_cycle(request, cycle_id, Permission.VIEW_PROJECT))


@router.patch("/pdsa-cycles/{cycle_id}", response={200: CycleOut, 409: Conflict}, summary="Record a cycle")
def patch_cycle(request: HttpRequest, cycle_id: int, payload: CyclePatch) -> Any:
    cycle = _cycle(request, cycle_id, Permission.CHANGE_PROJECT)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    try:
        cycle = services.update_cycle(cycle=cycle, by=request.auth, version=version, **changes)
    except services.StaleRecord as exc:
        return _conflict(exc, cycle_out(exc.current))
    return cycle_out(cycle)


# --- progress -----------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/progress", response=list[ScoreOut], summary="Progress scores")
def list_scores(request: HttpRequest, project_id: int) -> Any:
    project = _project(request, project_id)
    return [_score_out(s) for s in queries.scores(request.auth, project).select_related("scale")]


@router.post("/projects/{project_id}/progress", response={201: ScoreOut}, summary="Score this month")
def record_score(request: HttpRequest, project_id: int, payload: ScoreIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    score = services.record_score(
        project=project, score=payload.score, comment=payload.comment, month=payload.month, by=request.auth
    )
    return Status(201, _score_out(score))


# --- measures -----------------------------------------------------------------------------------------


def _link_out(link: ProjectMeasure) -> dict[str, Any]:
    series = link.series
    analysis = getattr(series, "analysis", None)
    return {
        "id": link.pk,
        "series": series.pk,
        "measure": series.measure.code,
        "measure_name": series.measure.name,
        "unit": series.unit.code,
        "role": link.role,
        "is_aim": link.is_aim,
        "frequency": series.measure.frequency,
        "latest_period": analysis.latest_period if analysis else None,
        "latest_value": analysis.latest_value if analysis else None,
    }


@router.get("/projects/{project_id}/measures", response=list[MeasureLinkOut], summary="Linked measures")
@paginate(LimitOffsetPagination)
def list_measures(request: HttpRequest, project_id: int) -> Any:
    project = _project(request, project_id)
    return [_link_out(link) for link in queries.project_measures(request.auth, project)]


@router.post("/projects/{project_id}/measures", response={201: MeasureLinkOut}, summary="Link a measure")
def link_measure(request: HttpRequest, project_id: int, payload: MeasureLinkIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    if (payload.series is None) == (payload.measure is None):
        raise ValidationError(
            {"series": "Give either a series id to link, or a measure code to start its series for the unit"}
        )
    if payload.series is not None:
        series = m_queries.series_by_id(request.auth, payload.series)
        if series is None:
            raise Http404(f"No series has the id {payload.series} (series)")
        link = services.link_series(project=project, series=series, role=payload.role, by=request.auth)
    else:
        measure = m_queries.measure_by_code(request.auth, payload.measure or "")
        if measure is None:
            raise Http404(f"No measure has the code {payload.measure!r} (measure)")
        unit = None
        if payload.unit:
            unit = org_queries.unit_by_code(request.auth, payload.unit)
            if unit is None:
                raise Http404(f"No unit has the code {payload.unit!r} (unit)")
        link = services.create_series_for_project(
            project=project, measure=measure, unit=unit, role=payload.role, by=request.auth
        )
    link = queries.project_measures(request.auth, project).get(pk=link.pk)
    return Status(201, _link_out(link))


@router.delete("/projects/{project_id}/measures/{link_id}", response={204: None}, summary="Unlink a measure")
def unlink_measure(request: HttpRequest, project_id: int, link_id: int) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    link = ProjectMeasure.objects.filter(project=project, pk=link_id).first()
    if link is None:
        raise Http404(f"No linked measure {link_id} on this project")
    services.unlink_series(link=link, by=request.auth)
    return Status(204, None)
