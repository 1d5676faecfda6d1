"""API for the catalogue search, similar work, resources, communities, field tests and spread.

Handlers are thin: the same queries and services as the pages. docs/reference/interfaces.md §3: one result per
object; search answers {"results": [...], "total", "offset", "limit", "next_offset", "no_good_match",
"weak"} with at most `limit` results from `offset`.
"""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core import db
from spiral.core.api import (
    Code,
    ErrorOut,
    Id,
    LongText,
    Name,
    Pagination,
    ShortText,
    Text,
    Version,
    clean_str,
    model_str,
)
from spiral.core.types import SignedInRequest
from spiral.knowledge import queries, search, services
from spiral.knowledge.forms import clean_unit_code
from spiral.knowledge.models import Community, FieldTest, Resource, ResourceKind, Thread
from spiral.measurement.models import Measure
from spiral.organisations.models import OrganisationType, Unit
from spiral.organisations.permissions import Permission, get_or_deny, require, require_may_link_to_community
from spiral.projects import queries as project_queries
from spiral.projects.api import ProjectDetailOut, project_detail
from spiral.projects.models import DriverNode, Project, Stage, Topic

router = Router(tags=["knowledge"])

if TYPE_CHECKING:  # types built at run time (pydantic reads them); the checker sees their base
    TopicName = str
    SearchText = str
else:
    TopicName = model_str(Topic, "name")  # a topic has its own limit (docs/limits.md)


def _unit(code: str | None, field: str = "unit") -> Unit | None:
    if not code:
        return None
    try:
        return clean_unit_code(code)
    except ValidationError:
        raise Http404(f"No unit has the code {code!r} ({field})") from None


def _required_unit(code: str, field: str = "unit") -> Unit:
    unit = _unit(code, field)
    if unit is None:
        raise ValidationError({field: "Give a unit code"})
    return unit


# --- search -------------------------------------------------------------------------------------------


# A search is at most 300 characters (beyond that it is a document, and slow to rank), refused in the
# same words as every other length limit.
if not TYPE_CHECKING:
    SearchText = clean_str(300, multiline=False)


class SearchFilters(Schema):
    q: SearchText = Field("", description="Words, abbreviations or a description of the work")
    type: Literal["project", "change_idea", "resource", "community", "measure", "decision"] | None = Field(
        None, description="Only this type (change ideas are results only when asked for)"
    )
    unit: Code | None = Field(None, description="This unit code and everything beneath it")
    organisation_type: OrganisationType | None = None
    topic: Name | None = None
    stage: Stage | None = None
    score: float | None = Field(None, ge=0, le=5, description="Latest progress score at least this")
    patient_partner: bool | None = None
    improvement_shown: bool | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=search.MAX_OFFSET, description="Skip this many results (pages)")


class SearchResult(Schema):
    type: str
    id: int
    title: str
    unit: str | None
    score: float
    progress: float | None = None
    stage: str | None = None
    improvement_shown: bool | None = None
    url: str | None = Field(None, description="The page of a result of a kind another app adds (a decision)")


class SearchOut(Schema):
    results: list[SearchResult]
    total: int = Field(description="Good matches in all (a page of them is in results)")
    offset: int
    limit: int
    next_offset: int | None = Field(description="The offset of the next page, or null on the last")
    no_good_match: bool = Field(
        description="Words were given but nothing matched them well: results is empty, weak lists the "
        "nearest few"
    )
    weak: list[SearchResult] = Field(default_factory=list)


@router.get("/search", response=SearchOut, summary="Search the catalogue")
def search_catalogue(request: SignedInRequest, filters: Query[SearchFilters]) -> Any:
    # The catalogue may be a moment behind: a replica answers (spiral.core.db).
    with db.reading_from_replica():
        require(request.auth, Permission.SEARCH_CATALOGUE)
        chosen = search.Filters(
            unit=_unit(filters.unit),
            organisation_type=filters.organisation_type or "",
            topic=filters.topic or "",
            stage=filters.stage or "",
            score=str(filters.score) if filters.score is not None else "",
            patient_partner=filters.patient_partner,
            improvement_shown=filters.improvement_shown,
            since=filters.since,
            until=filters.until,
        )
        found = search.search_results(
            request.auth,
            filters.q,
            types=[filters.type] if filters.type else None,
            filters=chosen,
            limit=filters.limit,
            offset=filters.offset,
        )
        return {
            "results": [_search_result(h) for h in found.hits],
            "total": found.total,
            "offset": found.offset,
            "limit": found.limit,
            "next_offset": found.offset + len(found.hits) if found.has_next else None,
            "no_good_match": found.no_good_match,
            "weak": [_search_result(h) for h in found.weak],
        }


def _search_result(h: search.Hit) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": h.type,
        "id": h.id,
        "title": h.title,
        "unit": h.unit.code if h.unit else None,
        "score": h.score,
    }
    if h.type == "project":
        item |= {"progress": h.progress, "stage": h.stage, "improvement_shown": h.improvement_shown}
    if h.url:
        item |= {"url": h.url}
    return item


# --- similar work -------------------------------------------------------------------------------------


class ProjectRef(Schema):
    id: int
    title: str
    unit: str


class SimilarOut(ProjectRef):
    similarity: float
    improvement_shown: bool


class ExperiencedPersonOut(Schema):
    """Someone who has done similar work (not organisations' PersonOut: a weight and their projects)."""

    id: int
    display_name: str
    email: str
    job_title: str
    weight: float
    projects: list[ProjectRef]
    led: int
    coached: int
    results: int


class OverlapOut(ProjectRef):
    reason: str


class SimilarWorkOut(Schema):
    similar: list[SimilarOut]
    people: list[ExperiencedPersonOut]
    coherence: list[OverlapOut]


def _ref(p: Project) -> dict[str, Any]:
    return {"id": p.pk, "title": p.title, "unit": p.unit.code}


def _project(request: SignedInRequest, pk: int) -> Project:
    return project_queries.project_for(request.auth, pk)


@router.get("/projects/{pk}/similar", response=SimilarWorkOut, summary="Similar work, people and coherence")
def similar_work(request: SignedInRequest, pk: Id) -> Any:
    project = _project(request, pk)
    return {
        "similar": [
            _ref(s.project) | {"similarity": s.similarity, "improvement_shown": s.improvement_shown}
            for s in queries.similar_projects(request.auth, project)
        ],
        "people": [
            {
                "id": e.person.pk,
                "display_name": e.person.display_name,
                "email": e.person.email,
                "job_title": e.person.job_title,
                "weight": round(e.weight, 3),
                "projects": [_ref(p) for p, _ in e.projects],
                "led": e.led,
                "coached": e.coached,
                "results": e.results,
            }
            for e in queries.people_who_have_done_it(request.auth, project)
        ],
        "coherence": [
            _ref(o.project) | {"reason": o.reason} for o in queries.coherence(request.auth, project)
        ],
    }


# --- resources ----------------------------------------------------------------------------------------


class ResourceOut(Schema):
    id: int
    title: str
    kind: str
    summary: str
    body: str
    unit: str
    topics: list[str]
    projects: list[int]
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_unit(obj: Resource) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_topics(obj: Resource) -> list[str]:
        return [t.name for t in obj.topics.all()]

    @staticmethod
    def resolve_projects(obj: Resource) -> list[int]:
        return [p.pk for p in obj.projects.all()]


class ResourceIn(Schema):
    title: Name
    kind: ResourceKind
    summary: ShortText
    body: LongText = ""
    unit: Code
    topics: list[TopicName] = Field([], max_length=50)
    projects: list[Id] = Field([], max_length=1000)


# In a PATCH, a field left out is unchanged; null is refused.
class ResourcePatch(Schema):
    title: Name = None
    kind: ResourceKind = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    summary: ShortText = None
    body: LongText = None
    topics: list[TopicName] = Field(None, max_length=50)  # type: ignore[arg-type]  # PATCH: left out is unchanged
    projects: list[Id] = Field(None, max_length=1000)  # type: ignore[arg-type]  # PATCH: left out is unchanged
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


@router.get("/resources", response=list[ResourceOut], summary="List resources")
@paginate(Pagination)
def list_resources(
    request: SignedInRequest, kind: ResourceKind | None = None, topic: Name | None = None
) -> Any:
    return queries.resources(request.auth, kind=kind or "", topic=topic or "").prefetch_related("projects")


@router.post("/resources", response={201: ResourceOut}, summary="Publish a resource")
def create_resource(request: SignedInRequest, payload: ResourceIn) -> Any:
    unit = _required_unit(payload.unit)
    require(request.auth, Permission.CURATE_RESOURCE, unit)
    data = payload.dict(exclude={"unit"})
    return Status(201, services.create_resource(unit=unit, by=request.auth, **data))


@router.get("/resources/{pk}", response=ResourceOut, summary="One resource")
def get_resource(request: SignedInRequest, pk: Id) -> Any:
    return queries.resource_for(request.auth, pk)


@router.patch("/resources/{pk}", response={200: ResourceOut, 409: ErrorOut}, summary="Change a resource")
def update_resource(request: SignedInRequest, pk: Id, payload: ResourcePatch) -> Any:
    resource = get_or_deny(
        request.auth, Permission.CURATE_RESOURCE, Resource.objects.select_related("unit"), pk=pk
    )
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    try:
        return services.update_resource(resource=resource, by=request.auth, version=version, **data)
    except services.StaleRecord as exc:
        return Status(
            409,
            {
                "detail": str(exc),
                "errors": [{"field": "version", "message": str(exc)}],
                "current": ResourceOut.from_orm(exc.current).model_dump(mode="json"),
            },
        )


# --- communities --------------------------------------------------------------------------------------


class CommunityOut(Schema):
    id: int
    name: str
    description: str
    topic: str | None
    unit: str
    members: int
    projects: list[int]
    resources: list[int]

    @staticmethod
    def resolve_topic(obj: Community) -> str | None:
        return obj.topic.name if obj.topic_id else None  # type: ignore[union-attr]  # topic_id tested

    @staticmethod
    def resolve_unit(obj: Community) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_members(obj: Community) -> int:
        return getattr(obj, "member_count", None) or obj.members.count()

    @staticmethod
    def resolve_projects(obj: Community) -> list[int]:
        return [p.pk for p in obj.projects.all()]

    @staticmethod
    def resolve_resources(obj: Community) -> list[int]:
        return [r.pk for r in obj.resources.all()]


class CommunityIn(Schema):
    name: Name
    unit: Code
    description: Text = ""
    topic: TopicName = ""


class LinkIn(Schema):
    projects: list[Id] = Field([], max_length=1000)
    resources: list[Id] = Field([], max_length=1000)


class PostOut(Schema):
    id: int
    author: str | None
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return obj.author.display_name if obj.author_id else None


class ThreadOut(Schema):
    id: int
    community: int
    title: str
    created_at: dt.datetime
    last_post_at: dt.datetime
    posts: list[PostOut]

    @staticmethod
    def resolve_community(obj: Thread) -> int:
        return obj.community_id

    @staticmethod
    def resolve_posts(obj: Thread) -> list[Any]:
        return list(obj.posts.select_related("author"))


class ThreadIn(Schema):
    title: Name
    body: LongText


class ReplyIn(Schema):
    body: LongText


class MemberOut(Schema):
    community: int
    user: int
    role: str


def _community(
    request: SignedInRequest, pk: int, permission: Permission = Permission.SEARCH_CATALOGUE
) -> Community:
    return queries.community_for(request.auth, pk, permission)


@router.get("/communities", response=list[CommunityOut], summary="List communities of practice")
@paginate(Pagination)
def list_communities(request: SignedInRequest) -> Any:
    return queries.communities(request.auth).prefetch_related("projects", "resources")


@router.post("/communities", response={201: CommunityOut}, summary="Start a community")
def create_community(request: SignedInRequest, payload: CommunityIn) -> Any:
    unit = _required_unit(payload.unit)
    require(request.auth, Permission.CREATE_COMMUNITY, unit)
    return Status(
        201,
        services.create_community(
            unit=unit,
            name=payload.name,
            description=payload.description,
            topic=payload.topic,
            by=request.auth,
        ),
    )


@router.get("/communities/{pk}", response=CommunityOut, summary="One community")
def get_community(request: SignedInRequest, pk: Id) -> Any:
    return _community(request, pk)


@router.post("/communities/{pk}/join", response=MemberOut, summary="Join a community")
def join_community(request: SignedInRequest, pk: Id) -> Any:
    community = _community(request, pk, Permission.JOIN_COMMUNITY)
    m = services.join_community(community=community, by=request.auth)
    return {"community": community.pk, "user": m.user_id, "role": m.role}


@router.post("/communities/{pk}/leave", response={204: None}, summary="Leave a community")
def leave_community(request: SignedInRequest, pk: Id) -> Any:
    services.leave_community(community=_community(request, pk, Permission.JOIN_COMMUNITY), by=request.auth)
    return Status(204, None)


@router.post("/communities/{pk}/links", response=CommunityOut, summary="Link projects and resources")
def link_community(request: SignedInRequest, pk: Id, payload: LinkIn) -> Any:
    community = _community(request, pk)
    require_may_link_to_community(request.auth, community)
    return services.link_to_community(
        community=community, projects=payload.projects, resources=payload.resources, by=request.auth
    )


@router.get("/communities/{pk}/threads", response=list[ThreadOut], summary="A community's discussions")
@paginate(Pagination)
def list_threads(request: SignedInRequest, pk: Id) -> Any:
    return queries.threads(request.auth, _community(request, pk))


@router.post("/communities/{pk}/threads", response={201: ThreadOut}, summary="Start a discussion")
def create_thread(request: SignedInRequest, pk: Id, payload: ThreadIn) -> Any:
    community = _community(request, pk, Permission.JOIN_COMMUNITY)
    return Status(
        201,
        services.start_thread(community=community, title=payload.title, body=payload.body, by=request.auth),
    )


@router.post("/threads/{pk}/replies", response={201: PostOut}, summary="Reply to a discussion")
def create_reply(request: SignedInRequest, pk: Id, payload: ReplyIn) -> Any:
    thread = queries.thread_for(request.auth, pk, Permission.JOIN_COMMUNITY)
    return Status(201, services.reply(thread=thread, body=payload.body, by=request.auth))


# --- field tests --------------------------------------------------------------------------------------


class SiteOut(Schema):
    unit: str
    project: int
    variation: str
    improvement_shown: bool


class FieldTestOut(Schema):
    id: int
    title: str
    sponsor: str
    change_idea: str
    description: str
    measure: str
    starts_on: dt.date
    ends_on: dt.date
    status: str

    @staticmethod
    def resolve_sponsor(obj: Any) -> str:
        return obj["sponsor"] if isinstance(obj, dict) else obj.sponsor.code

    @staticmethod
    def resolve_measure(obj: Any) -> str:
        return obj["measure"] if isinstance(obj, dict) else obj.measure.code


class FieldTestDetailOut(FieldTestOut):
    sites: list[SiteOut]
    sites_improving: int


class FieldTestIn(Schema):
    title: Name
    sponsor: Code
    change_idea: Text
    description: Text = ""
    measure: Code = Field(description="The common measure's code (an indicator)")
    starts_on: dt.date
    ends_on: dt.date


class SiteIn(Schema):
    unit: Code


@router.get("/field-tests", response=list[FieldTestOut], summary="List field tests")
@paginate(Pagination)
def list_field_tests(request: SignedInRequest) -> Any:
    return queries.field_tests(request.auth)


@router.post("/field-tests", response={201: FieldTestOut}, summary="Describe a field test")
def create_field_test(request: SignedInRequest, payload: FieldTestIn) -> Any:
    sponsor = _required_unit(payload.sponsor, "sponsor")
    require(request.auth, Permission.SPONSOR_FIELD_TEST, sponsor)
    measure = Measure.objects.filter(code=payload.measure).first()
    if measure is None:
        raise ValidationError({"measure": f"No measure has the code {payload.measure!r}"})
    data = payload.dict(exclude={"sponsor", "measure"})
    return Status(201, services.create_field_test(sponsor=sponsor, measure=measure, by=request.auth, **data))


def _field_test_detail(request: SignedInRequest, test: FieldTest) -> dict[str, Any]:
    sites = queries.comparison(request.auth, test, charts=False)
    return FieldTestOut.from_orm(test).model_dump() | {
        "sites": [
            {
                "unit": s.site.unit.code,
                "project": s.site.project_id,
                "variation": s.variation,
                "improvement_shown": s.improving,
            }
            for s in sites
        ],
        "sites_improving": sum(s.improving for s in sites),
    }


@router.get("/field-tests/{pk}", response=FieldTestDetailOut, summary="A field test with its sites compared")
def get_field_test(request: SignedInRequest, pk: Id) -> Any:
    test = queries.field_test_by_id(request.auth, pk)
    if test is None:
        raise Http404("No field test matches that address")
    return _field_test_detail(request, test)


@router.post("/field-tests/{pk}/sites", response={201: SiteOut}, summary="Sign a unit up to a field test")
def join_field_test(request: SignedInRequest, pk: Id, payload: SiteIn) -> Any:
    test = queries.field_test_for(request.auth, pk)
    unit = _required_unit(payload.unit)
    require(request.auth, Permission.CREATE_PROJECT, unit)
    site = services.join_field_test(field_test=test, unit=unit, by=request.auth)
    return Status(
        201, {"unit": unit.code, "project": site.project_id, "variation": "", "improvement_shown": False}
    )


# --- spread -------------------------------------------------------------------------------------------


class AdoptionOut(Schema):
    id: int
    source_project: int
    source_idea: int | None
    project: int
    unit: str
    adopted_on: dt.date
    adaptation: str


def _adoption_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "source_project": a.source_project_id,
        "source_idea": a.source_idea_id,
        "project": a.project_id,
        "unit": a.unit.code,
        "adopted_on": a.adopted_on,
        "adaptation": a.adaptation,
    }


class AdoptionIn(Schema):
    source_project: Id
    source_idea: Id | None = None
    unit: Code
    adaptation: Text = ""


class AdoptionCreatedOut(AdoptionOut):
    """The adoption and the project it started in the adopting unit (both written in one transaction)."""

    created_project: ProjectDetailOut


class SpreadSiteOut(AdoptionOut):
    depth: int
    improvement_shown: bool


@router.get("/adoptions", response=list[AdoptionOut], summary="List adoptions (spread)")
@paginate(Pagination)
def list_adoptions(request: SignedInRequest, source_project: Id | None = None) -> Any:
    qs = queries.adoptions(request.auth)
    if source_project is not None:
        qs = qs.filter(source_project_id=source_project)
    return [_adoption_out(a) for a in qs.order_by("adopted_on", "id")]


@router.post("/adoptions", response={201: AdoptionCreatedOut}, summary="Adopt a project or change idea")
def create_adoption(request: SignedInRequest, payload: AdoptionIn) -> Any:
    source = _project(request, payload.source_project)
    unit = _required_unit(payload.unit)
    require(request.auth, Permission.CREATE_PROJECT, unit)
    idea = None
    if payload.source_idea is not None:
        idea = DriverNode.objects.filter(pk=payload.source_idea).first()
        if idea is None:
            raise ValidationError({"source_idea": f"No change idea has id {payload.source_idea}"})
    adoption = services.adopt(
        source=source, unit=unit, idea=idea, adaptation=payload.adaptation, by=request.auth
    )
    created = Project.objects.select_related("unit", "scale").get(pk=adoption.project_id)
    return Status(201, _adoption_out(adoption) | {"created_project": project_detail(request.auth, created)})


@router.get("/projects/{pk}/spread", response=list[SpreadSiteOut], summary="Where a project has spread")
@paginate(Pagination)
def project_spread(request: SignedInRequest, pk: Id) -> Any:
    project = _project(request, pk)
    out = []

    def walk(nodes: list[queries.SpreadNode], depth: int) -> None:
        for n in nodes:
            out.append(_adoption_out(n.adoption) | {"depth": depth, "improvement_shown": n.improvement_shown})
            walk(n.children, depth + 1)

    walk(queries.spread_tree(request.auth, project), 1)
    return out  # the tree in walk order (each site after the one it spread from), paged as any list
