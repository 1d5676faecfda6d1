"""API for projects, team members, the driver diagram, change ideas, PDSA cycles and progress scores.

Handlers are thin: the same queries and services as the pages. Conventions: docs/reference/interfaces.md
§1 and §2.
"""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core.api import (
    INT64_MAX,
    Code,
    ErrorOut,
    Id,
    Int32,
    Name,
    Number,
    Pagination,
    PersonRef,
    ShortText,
    Text,
    Version,
    model_str,
)
from spiral.core.types import AnyUser, SignedInRequest
from spiral.measurement import queries as m_queries
from spiral.organisations import queries as org_queries
from spiral.organisations.models import User
from spiral.organisations.permissions import Permission, require
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
    Topic,
)
from spiral.projects.models import Status as ProjectStatus

router = Router(tags=["projects"])

# Fields with their own limits (docs/limits.md): a driver or change idea, a topic.
if TYPE_CHECKING:  # types built at run time (pydantic reads them); the checker sees their base
    NodeText = str
    TopicName = str
else:
    NodeText = model_str(DriverNode, "text")
    TopicName = model_str(Topic, "name")


class TeamMemberOut(Schema):
    id: int
    user: int
    user_name: str
    role: str


class TeamMemberIn(Schema):
    user: PersonRef = Field(description="The person's email address or id")
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
    unit: Code = Field(description="The code of the unit the project belongs to")
    title: Name
    problem: Text = ""
    aim: Text = ""
    aim_measure: Name = ""
    aim_baseline: Number | None = None
    aim_target: Number | None = None
    aim_date: dt.date | None = None
    topics: list[TopicName] = Field([], max_length=50)
    status: ProjectStatus = ProjectStatus.DRAFT
    stage: Stage = Stage.SCOPING
    method: Method = Method.MODEL_FOR_IMPROVEMENT
    start_date: dt.date | None = None
    team: list[TeamMemberIn] = Field(
        [], max_length=200, description="Others on the team; you become lead unless one is named"
    )


# In a PATCH, a field left out is unchanged; null is refused where the project cannot hold it.
class ProjectPatch(Schema):
    title: Name = None
    problem: Text = None
    aim: Text = None
    aim_measure: Name = None
    aim_baseline: Number | None = None
    aim_target: Number | None = None
    aim_date: dt.date | None = None
    topics: list[TopicName] = Field(None, max_length=50)  # type: ignore[arg-type]  # PATCH: left out is unchanged
    status: ProjectStatus = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    stage: Stage = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    method: Method = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    start_date: dt.date | None = None
    lessons: Text = Field(None, description="Needed to close: what was learned")
    aim_achieved: Name = Field(None, description="Needed to close: yes, partly or no")
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


class ProjectFilters(Schema):
    unit: Code | None = Field(None, description="This unit code and everything beneath it")
    status: ProjectStatus | None = None
    stage: Stage | None = None
    topic: TopicName | None = None
    patient_partner: bool | None = None
    q: Name | None = Field(None, description="Words in the title or aim")


class NodeOut(Schema):
    id: int
    kind: str
    text: str
    order: int


# A node id: a record's id, or a negative number standing for a new node.
NodeRef = Annotated[int, Field(ge=-INT64_MAX, le=INT64_MAX)]


class NodeIn(Schema):
    id: NodeRef = Field(description="The node's id, or a negative number for a new node")
    kind: NodeKind
    text: NodeText
    order: Int32 | None = None


class EdgeSchema(Schema):
    from_: NodeRef = Field(alias="from", description="The node nearer the aim")
    to: NodeRef

    model_config = {"populate_by_name": True}


class DiagramOut(Schema):
    nodes: list[NodeOut]
    edges: list[EdgeSchema]
    version: int
    ids: dict[str, int] = Field({}, description="After a PUT: each negative id sent → the real id")


class DiagramIn(Schema):
    nodes: list[NodeIn] = Field(max_length=2000)
    edges: list[EdgeSchema] = Field([], max_length=10_000)
    version: Version | None = Field(None, description="The diagram version you read; a stale one gets 409")


class ChangeIdeaOut(Schema):
    id: int
    title: str
    description: str
    parents: list[int] = Field(description="The drivers it acts on (node ids)")
    cycles: int


class ChangeIdeaIn(Schema):
    title: NodeText
    description: Text = ""
    parents: list[Id] = Field([], max_length=200, description="Node ids of the drivers it acts on")


# Every field may be left out; a text field is never null (dates may be cleared with null).
class CycleFields(Schema):
    purpose: Name = None
    questions: Text = None
    plan_who: model_str(PdsaCycle, "plan_who") = None  # type: ignore[valid-type]  # a type built at run time
    plan_what: Text = None
    plan_when: model_str(PdsaCycle, "plan_when") = None  # type: ignore[valid-type]  # a type built at run time
    plan_where: model_str(PdsaCycle, "plan_where") = None  # type: ignore[valid-type]  # a type built at run time
    data_to_collect: Text = None
    scale_of_test: Name = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    carried_out: Name = None
    what_happened: Text = None
    problems: Text = None
    observations: Text = None
    results: Text = None
    prediction_confirmed: Name = None
    learning: Text = None
    decision: Name = None
    rationale: Text = None
    next_steps: Text = None


class CycleIn(CycleFields):
    change_idea: Id
    objective: Text
    prediction: Text = ""


class CyclePatch(CycleFields):
    objective: Text = None
    prediction: Text = None
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


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
    score: Number | Name
    comment: ShortText = ""
    month: Name | None = Field(None, description="YYYY-MM; this month if left out")


class ScoreOut(Schema):
    id: int
    month: str
    score: float
    role: str
    comment: str
    assessed_by: str | None
    scale: str


class MeasureLinkIn(Schema):
    series: Id | None = Field(None, description="The id of a series to link (any unit's)")
    measure: Code | None = Field(None, description="Or a measure's code: starts its series for the unit")
    unit: Code | None = Field(None, description="With `measure`: the project's unit code (the default)")
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


def project_detail(user: AnyUser, project: Project) -> dict[str, Any]:
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
    request: SignedInRequest, project_id: int, permission: Permission = Permission.VIEW_PROJECT
) -> Project:
    return queries.project_for(request.auth, project_id, permission)


def _person(request: SignedInRequest, who: str) -> User:
    who = who.strip()
    lookup: dict[str, Any] = {"pk": int(who)} if who.isdigit() else {"email": who.lower()}
    person = org_queries.people(request.auth).filter(**lookup).first()
    if person is None:
        raise Http404(f"No person matches {who!r} (user)")
    return person


# --- projects -----------------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="List projects")
@paginate(Pagination)
def list_projects(request: SignedInRequest, filters: Query[ProjectFilters]) -> Any:
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
def create_project(request: SignedInRequest, payload: ProjectIn) -> Any:
    unit = org_queries.unit_by_code(request.auth, payload.unit)
    if unit is None:
        raise Http404(f"No unit has the code {payload.unit!r} (unit)")
    require(request.auth, Permission.CREATE_PROJECT, unit)
    team = [(_person(request, m.user), m.role) for m in payload.team]
    data = payload.dict(exclude={"unit", "team"})
    project = services.create_project(unit=unit, by=request.auth, team=team, **data)
    return Status(201, project_detail(request.auth, project))


@router.get("/projects/{project_id}", response=ProjectDetailOut, summary="One project")
def get_project(request: SignedInRequest, project_id: Id) -> Any:
    return project_detail(request.auth, _project(request, project_id))


@router.patch(
    "/projects/{project_id}", response={200: ProjectDetailOut, 409: ErrorOut}, summary="Change a project"
)
def patch_project(request: SignedInRequest, project_id: Id, payload: ProjectPatch) -> Any:
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
@paginate(Pagination)
def list_team(request: SignedInRequest, project_id: Id) -> Any:
    return [_member_out(m) for m in queries.team(request.auth, _project(request, project_id))]


@router.post("/projects/{project_id}/team", response={201: TeamMemberOut}, summary="Add a team member")
def add_team_member(request: SignedInRequest, project_id: Id, payload: TeamMemberIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    member = services.add_team_member(
        project=project, user=_person(request, payload.user), role=payload.role, by=request.auth
    )
    return Status(201, _member_out(member))


@router.delete(
    "/projects/{project_id}/team/{member_id}", response={204: None}, summary="Take someone off the team"
)
def remove_team_member(request: SignedInRequest, project_id: Id, member_id: Id) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    member = queries.team_member(request.auth, project, member_id)
    if member is None:
        raise Http404(f"No team member {member_id} on this project")
    services.remove_team_member(member=member, by=request.auth)
    return Status(204, None)


# --- driver diagram -----------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/driver-diagram", response=DiagramOut, by_alias=True, summary="The driver diagram"
)
def get_diagram(request: SignedInRequest, project_id: Id) -> Any:
    return services.diagram_data(_project(request, project_id))


@router.put(
    "/projects/{project_id}/driver-diagram",
    response={200: DiagramOut, 409: ErrorOut},
    by_alias=True,
    summary="Replace the driver diagram",
)
def put_diagram(request: SignedInRequest, project_id: Id, payload: DiagramIn) -> Any:
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
@paginate(Pagination)
def list_change_ideas(request: SignedInRequest, project_id: Id) -> Any:
    project = _project(request, project_id)
    ideas = queries.change_ideas(request.auth, project).prefetch_related("parent_edges")
    return [_idea_out(i) for i in ideas]


@router.post(
    "/projects/{project_id}/change-ideas", response={201: ChangeIdeaOut}, summary="Add a change idea"
)
def create_change_idea(request: SignedInRequest, project_id: Id, payload: ChangeIdeaIn) -> Any:
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
@paginate(Pagination)
def list_cycles(request: SignedInRequest, project_id: Id) -> Any:
    return [cycle_out(c) for c in queries.cycles(request.auth, _project(request, project_id))]


@router.post("/projects/{project_id}/pdsa-cycles", response={201: CycleOut}, summary="Plan a PDSA cycle")
def create_cycle(request: SignedInRequest, project_id: Id, payload: CycleIn) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    idea = DriverNode.objects.filter(pk=payload.change_idea).first()
    if idea is None:
        raise Http404(f"No change idea has the id {payload.change_idea} (change_idea)")
    fields = payload.dict(exclude={"change_idea", "objective"}, exclude_none=True)
    cycle = services.create_cycle(
        project=project, change_idea=idea, objective=payload.objective, by=request.auth, **fields
    )
    return Status(201, cycle_out(cycle))


def _cycle(request: SignedInRequest, cycle_id: int, permission: Permission) -> PdsaCycle:
    return queries.cycle_for(request.auth, cycle_id, permission)


@router.get("/pdsa-cycles/{cycle_id}", response=CycleOut, summary="One PDSA cycle")
def get_cycle(request: SignedInRequest, cycle_id: Id) -> Any:
    return cycle_out(_cycle(request, cycle_id, Permission.VIEW_PROJECT))


@router.patch("/pdsa-cycles/{cycle_id}", response={200: CycleOut, 409: ErrorOut}, summary="Record a cycle")
def patch_cycle(request: SignedInRequest, cycle_id: Id, payload: CyclePatch) -> Any:
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
@paginate(Pagination)
def list_scores(request: SignedInRequest, project_id: Id) -> Any:
    project = _project(request, project_id)
    return [_score_out(s) for s in queries.scores(request.auth, project).select_related("scale")]


@router.post("/projects/{project_id}/progress", response={201: ScoreOut}, summary="Score this month")
def record_score(request: SignedInRequest, project_id: Id, payload: ScoreIn) -> Any:
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
@paginate(Pagination)
def list_measures(request: SignedInRequest, project_id: Id) -> Any:
    project = _project(request, project_id)
    return [_link_out(link) for link in queries.project_measures(request.auth, project)]


@router.post("/projects/{project_id}/measures", response={201: MeasureLinkOut}, summary="Link a measure")
def link_measure(request: SignedInRequest, project_id: Id, payload: MeasureLinkIn) -> Any:
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
def unlink_measure(request: SignedInRequest, project_id: Id, link_id: Id) -> Any:
    project = _project(request, project_id, Permission.CHANGE_PROJECT)
    link = queries.project_measure(request.auth, project, link_id)
    if link is None:
        raise Http404(f"No linked measure {link_id} on this project")
    services.unlink_series(link=link, by=request.auth)
    return Status(204, None)
