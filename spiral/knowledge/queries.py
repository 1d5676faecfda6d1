"""Reads that pages and the API share. Every function takes the user and filters through permissions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from spiral.core.types import AnyUser
from spiral.knowledge import search
from spiral.knowledge.models import (
    Adoption,
    Community,
    CommunityMember,
    DocKind,
    FieldTest,
    FieldTestSite,
    Post,
    Resource,
    Thread,
)
from spiral.measurement import analyses
from spiral.measurement import presenters as m_presenters
from spiral.measurement.models import Series
from spiral.organisations.models import Unit, UnitKind, User
from spiral.organisations.permissions import Permission, get_or_deny, visible_to
from spiral.projects.extensions import SimilarWork
from spiral.projects.models import (
    AimAchieved,
    PdsaCycle,
    Project,
    ProjectMeasure,
    ProjectRole,
    Status,
    TeamMember,
)

# --- resources and communities ------------------------------------------------------------------------


def resources(user: AnyUser, *, kind: str = "", topic: str = "") -> QuerySet[Resource]:
    """Resources the user may see, optionally of one kind or topic, by title."""
    qs = visible_to(user, Resource.objects.select_related("unit")).prefetch_related("topics")
    if kind:
        qs = qs.filter(kind=kind)
    if topic:
        qs = qs.filter(topics__name=topic.strip().lower())
    return qs.order_by("title", "id")


def resource_by_id(user: AnyUser, pk: int) -> Resource | None:
    """The resource with this id, if the user may see it (None otherwise)."""
    return visible_to(user, Resource.objects.select_related("unit", "created_by")).filter(pk=pk).first()


def resource_for(user: AnyUser, pk: int, permission: Permission = Permission.SEARCH_CATALOGUE) -> Resource:
    """The resource with this id, with its unit: 404 if the user may not see it, 403 if they may see it
    but not act (`permission`)."""
    return get_or_deny(user, permission, Resource.objects.select_related("unit"), pk=pk)


def communities(user: AnyUser) -> QuerySet[Community]:
    """Communities of practice the user may see, by name, each with its `member_count`."""
    return (
        visible_to(user, Community.objects.select_related("unit", "topic"))
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name")
    )


def community_by_id(user: AnyUser, pk: int) -> Community | None:
    """The community with this id, if the user may see it (None otherwise)."""
    return visible_to(user, Community.objects.select_related("unit", "topic")).filter(pk=pk).first()


def community_for(user: AnyUser, pk: int, permission: Permission = Permission.SEARCH_CATALOGUE) -> Community:
    """The community with this id, with its unit and topic: 404 if the user may not see it, 403 if they
    may see it but not act (`permission`)."""
    return get_or_deny(user, permission, Community.objects.select_related("unit", "topic"), pk=pk)


def members(user: AnyUser, community: Community) -> QuerySet[CommunityMember]:
    """The community's members the user may see, with their users."""
    return visible_to(user, CommunityMember.objects.select_related("user")).filter(community=community)


def threads(user: AnyUser, community: Community) -> QuerySet[Thread]:
    """The community's discussion threads the user may see, each with its `post_count`, latest post first."""
    return (
        visible_to(user, Thread.objects.select_related("author"))
        .filter(community=community)
        .annotate(post_count=Count("posts"))
    )


def thread_by_id(user: AnyUser, pk: int) -> Thread | None:
    """The thread with this id, if the user may see it (None otherwise), with its community and author."""
    return visible_to(user, Thread.objects.select_related("community__unit", "author")).filter(pk=pk).first()


def thread_for(user: AnyUser, pk: int, permission: Permission = Permission.SEARCH_CATALOGUE) -> Thread:
    """The discussion with this id, with its community and unit: 404 if the user may not see it, 403 if
    they may see it but not act (`permission`)."""
    return get_or_deny(user, permission, Thread.objects.select_related("community__unit"), pk=pk)


def posts(user: AnyUser, thread: Thread) -> QuerySet[Post]:
    """The thread's posts the user may see, oldest first, with their authors."""
    return visible_to(user, Post.objects.select_related("author")).filter(thread=thread)


@dataclass
class DigestItem:
    at: dt.datetime
    what: str
    title: str
    url: str


def digest(user: AnyUser, community: Community, *, since: dt.datetime | None = None) -> list[DigestItem]:
    """What is new in a community since `since` (default: the last 30 days), newest first."""
    since = since or timezone.now() - dt.timedelta(days=30)
    items: list[DigestItem] = []
    for t in threads(user, community).filter(created_at__gte=since):
        items.append(DigestItem(t.created_at, "New discussion", t.title, f"/communities/threads/{t.pk}/"))
    replies = visible_to(user, Post.objects.select_related("thread", "author")).filter(
        thread__community=community, created_at__gte=since
    )
    for p in replies:
        if p.created_at != p.thread.created_at:
            who = p.author.display_name if p.author else "Someone"
            items.append(
                DigestItem(
                    p.created_at, f"Reply by {who}", p.thread.title, f"/communities/threads/{p.thread_id}/"
                )
            )
    for r in community.resources.filter(updated_at__gte=since):
        items.append(
            DigestItem(r.updated_at, f"Resource (version {r.version})", r.title, f"/resources/{r.pk}/")
        )
    for m in members(user, community).filter(joined_at__gte=since):
        items.append(DigestItem(m.joined_at, "New member", m.user.display_name, f"/people/{m.user_id}/"))
    topic_projects = Project.objects.none()
    if community.topic_id:
        topic_projects = visible_to(user, Project.objects.all()).filter(
            topics=community.topic_id, created_at__gte=since
        )
    linked = visible_to(user, Project.objects.all()).filter(communities=community, updated_at__gte=since)
    for project in (topic_projects | linked).distinct().order_by("-created_at")[:20]:
        items.append(
            DigestItem(project.created_at, "Project on this topic", project.title, f"/projects/{project.pk}/")
        )
    return sorted(items, key=lambda i: i.at, reverse=True)


# --- similar work, people who have done it, coherence --------------------------------------------------


@dataclass
class Similar:
    project: Project
    similarity: float
    improvement_shown: bool


def similar_projects(user: AnyUser, project: Project, *, limit: int = 8) -> list[Similar]:
    """The most similar projects elsewhere (other units), nearest in meaning first."""
    pairs = search.similar_documents(DocKind.PROJECT, project.pk, limit=limit * 3)
    found = {
        p.pk: p
        for p in visible_to(user, Project.objects.select_related("unit")).filter(pk__in=[i for i, _ in pairs])
    }
    improving = set(
        Project.objects.filter(pk__in=list(found))
        .filter(search.improvement_shown_q())
        .values_list("pk", flat=True)
    )
    out = [
        Similar(found[i], round(s, 3), i in improving)
        for i, s in pairs
        if i in found and found[i].unit_id != project.unit_id
    ]
    return out[:limit]


ROLE_WEIGHT: dict[str, float] = {
    ProjectRole.LEAD: 3.0,
    ProjectRole.COACH: 2.5,
    ProjectRole.MEMBER: 1.0,
    ProjectRole.PATIENT_PARTNER: 1.5,
    ProjectRole.SPONSOR: 1.0,
}


@dataclass
class Experienced:
    person: User
    weight: float
    projects: list[tuple[Project, str]] = field(default_factory=list)  # (project, role label)
    results: int = 0  # of those projects, how many show improvement or achieved their aim
    coached: int = 0
    led: int = 0


def people_who_have_done_it(user: AnyUser, project: Project, *, limit: int = 8) -> list[Experienced]:
    """People ranked by their experience of similar work: each similar project they were on counts by
    its similarity, their role on it (leading and coaching count most) and its result (improvement
    shown in the data, or the aim achieved, counts half as much again). The project's own team is left out."""
    similar = similar_projects(user, project, limit=15)
    weights = {s.project.pk: s for s in similar}
    own = set(project.team.values_list("user_id", flat=True))
    people: dict[int, Experienced] = {}
    for m in (
        visible_to(user, TeamMember.objects.select_related("user", "project__unit"))
        .filter(project_id__in=list(weights), user__is_active=True)
        .exclude(user_id__in=own)
    ):
        s = weights[m.project_id]
        good = s.improvement_shown or m.project.aim_achieved == AimAchieved.YES
        score = max(s.similarity, 0.05) * ROLE_WEIGHT.get(m.role, 1.0) * (1.5 if good else 1.0)
        e = people.setdefault(m.user_id, Experienced(person=m.user, weight=0.0))
        e.weight += score
        e.projects.append((m.project, m.get_role_display()))
        e.results += int(good)
        e.coached += int(m.role == ProjectRole.COACH)
        e.led += int(m.role == ProjectRole.LEAD)
    ranked = sorted(people.values(), key=lambda e: (-e.weight, e.person.display_name))
    return ranked[:limit]


def _system_of(unit: Unit) -> Unit:
    """The system a unit belongs to: its ICB where it has one, else its organisation, else itself."""
    ids = [*unit.ancestor_ids(), unit.pk]
    ancestors = {u.kind: u for u in Unit.objects.filter(pk__in=ids)}
    return ancestors.get(UnitKind.ICB) or ancestors.get(UnitKind.ORGANISATION) or unit


COHERENCE_SIMILARITY = 0.75


@dataclass
class Overlap:
    project: Project
    reason: str


def coherence(user: AnyUser, project: Project, *, limit: int = 10) -> list[Overlap]:
    """Active projects in the same organisation or system (its ICB) that look like the same work: the
    same outcome measure, or an aim very similar in meaning (by words without the model)."""
    system = _system_of(project.unit)
    nearby = (
        visible_to(user, Project.objects.select_related("unit"))
        .filter(system.subtree_q("unit__"), status__in=[Status.ACTIVE, Status.DRAFT])
        .exclude(pk=project.pk)
    )
    out: dict[int, Overlap] = {}
    measures = list(
        ProjectMeasure.objects.filter(project=project, role="outcome").values_list(
            "series__measure_id", flat=True
        )
    )
    if measures:
        for p in nearby.filter(
            measures__role="outcome", measures__series__measure_id__in=measures
        ).distinct()[:limit]:
            out[p.pk] = Overlap(p, "the same outcome measure")
    if project.aim_measure.strip():
        for p in nearby.filter(aim_measure__iexact=project.aim_measure.strip())[:limit]:
            out.setdefault(p.pk, Overlap(p, "the same outcome measure"))
    pairs = search.similar_documents(DocKind.PROJECT, project.pk, limit=50)
    close = {i: s for i, s in pairs if s >= COHERENCE_SIMILARITY}
    for p in nearby.filter(pk__in=list(close)):
        out.setdefault(p.pk, Overlap(p, f"a very similar aim ({close[p.pk]:.0%} alike)"))
    return list(out.values())[:limit]


@dataclass
class DraftMatch:
    """A saved project like one being written: `nearby` when it is active in the same organisation or
    system (the overlap to talk about before starting), else a project elsewhere to learn from."""

    project: Project
    similarity: float
    nearby: bool
    reason: str
    improvement_shown: bool


DRAFT_SIMILARITY = 0.35  # below this (relative word rank, or cosine with the model) a match is noise


def work_like(
    user: AnyUser,
    *,
    title: str,
    aim: str = "",
    problem: str = "",
    aim_measure: str = "",
    unit: Unit | None = None,
    limit: int = 6,
) -> list[DraftMatch]:
    """Projects the user may see that look like one not yet saved (the start-a-project form): those
    nearby first (active or draft in the unit's organisation or system), then the closest elsewhere.
    The same signals as `coherence` and `similar_projects`, from the text typed so far."""
    text = " ".join(p.strip() for p in (title, aim, problem[:300]) if p and p.strip())
    pairs = search.similar_to_text(DocKind.PROJECT, text, limit=limit * 4)
    close = {i: s for i, s in pairs if s >= DRAFT_SIMILARITY}
    visible = visible_to(user, Project.objects.select_related("unit"))
    nearby_qs = visible.none()
    if unit is not None:
        nearby_qs = visible.filter(
            _system_of(unit).subtree_q("unit__"), status__in=[Status.ACTIVE, Status.DRAFT]
        )
    same_measure = (
        set(nearby_qs.filter(aim_measure__iexact=aim_measure.strip()).values_list("pk", flat=True)[:limit])
        if aim_measure.strip()
        else set()
    )
    near = set(nearby_qs.filter(pk__in=list(close)).values_list("pk", flat=True)) | same_measure
    found = {p.pk: p for p in visible.filter(pk__in=[*close, *same_measure])}
    improving = set(
        Project.objects.filter(pk__in=list(found))
        .filter(search.improvement_shown_q())
        .values_list("pk", flat=True)
    )
    out = []
    for pk, project in found.items():
        if pk in same_measure:
            reason = "the same outcome measure"
        elif pk in near:
            reason = f"a similar aim ({close[pk]:.0%} alike)"
        else:
            reason = ""
        out.append(DraftMatch(project, round(close.get(pk, 1.0), 3), pk in near, reason, pk in improving))
    out.sort(key=lambda m: (not m.nearby, -m.similarity, m.project.title))
    return out[:limit]


def work_like_for_form(user: AnyUser, unit: Unit | None, draft: dict[str, str]) -> list[SimilarWork]:
    """`work_like` as the projects app's extension point wants it (spiral.projects.extensions)."""
    return [
        SimilarWork(
            title=m.project.title,
            href=f"/projects/{m.project.pk}/",
            where=m.project.unit.name,
            stage=m.project.get_stage_display(),
            nearby=m.nearby,
            reason=m.reason,
            improvement_shown=m.improvement_shown,
        )
        for m in work_like(
            user,
            unit=unit,
            title=draft.get("title", ""),
            aim=draft.get("aim", ""),
            problem=draft.get("problem", ""),
            aim_measure=draft.get("aim_measure", ""),
        )
    ]


# --- field tests --------------------------------------------------------------------------------------


def field_tests(user: AnyUser) -> QuerySet[FieldTest]:
    """Field tests the user may see, latest start first, each with its `site_count`."""
    return (
        visible_to(user, FieldTest.objects.select_related("sponsor", "measure"))
        .annotate(site_count=Count("sites"))
        .order_by("-starts_on", "title")
    )


def field_test_by_id(user: AnyUser, pk: int) -> FieldTest | None:
    """The field test with this id, if the user may see it (None otherwise)."""
    return visible_to(user, FieldTest.objects.select_related("sponsor", "measure")).filter(pk=pk).first()


@dataclass
class SiteResult:
    site: FieldTestSite
    series: Series | None
    variation: str
    variation_text: str
    improving: bool
    svg: str
    learning: list[str]


def field_test_for(user: AnyUser, pk: int, permission: Permission = Permission.SEARCH_CATALOGUE) -> FieldTest:
    """The field test with this id, with its measure: 404 if the user may not see it, 403 if they may see
    it but not act (`permission`)."""
    return get_or_deny(user, permission, FieldTest.objects.select_related("measure"), pk=pk)


def comparison(user: AnyUser, test: FieldTest, *, charts: bool = True) -> list[SiteResult]:
    """Each site's series of the common measure (its SPC chart, small) and what it reports learning."""
    sites = list(
        visible_to(user, FieldTestSite.objects.select_related("unit", "project")).filter(field_test=test)
    )
    series = {
        s.unit_id: s
        for s in Series.objects.filter(
            measure=test.measure, unit_id__in=[x.unit_id for x in sites]
        ).select_related("measure", "unit", "analysis")
    }
    learning: dict[int, list[str]] = defaultdict(list)
    for pid, text in (
        PdsaCycle.objects.filter(project_id__in=[s.project_id for s in sites])
        .exclude(learning="")
        .values_list("project_id", "learning")
    ):
        learning[pid].append(text)
    out = []
    for site in sites:
        s = series.get(site.unit_id)
        icon, svg = "", ""
        if s is not None:
            # The cached analysis says whether the site improves (as search and the API say); the chart
            # is drawn from a fresh analysis of the data.
            analysis = getattr(s, "analysis", None)
            result = None
            if charts or analysis is None or analysis.stale:
                result, _laid = analyses.analyse_series(s)
            if analysis is not None and not analysis.stale:
                icon = analysis.variation_icon
            elif result is not None:
                icon = result.variation_icon or ""
            if charts and result is not None:
                svg = m_presenters.chart_svg(s, result, [], narrow=True)  # small multiples: the narrow layout
        lessons = learning.get(site.project_id, [])
        if site.project.lessons:
            lessons = [*lessons, site.project.lessons]
        out.append(
            SiteResult(
                site=site,
                series=s,
                variation=icon,
                variation_text=m_presenters.icon_text("variation", icon) if icon else "No data yet",
                improving=icon in search.IMPROVING_ICONS,
                svg=svg,
                learning=lessons[-3:],
            )
        )
    return out


# --- spread -------------------------------------------------------------------------------------------


@dataclass
class SpreadNode:
    adoption: Adoption
    improvement_shown: bool
    children: list[SpreadNode] = field(default_factory=list)


def adoptions(user: AnyUser) -> QuerySet[Adoption]:
    """Every adoption (spread of a project or change idea to another unit) the user may see."""
    return visible_to(
        user, Adoption.objects.select_related("source_project__unit", "project__unit", "unit", "source_idea")
    )


def spread_tree(user: AnyUser, project: Project, *, depth: int = 6) -> list[SpreadNode]:
    """Who adopted this project (or its ideas), and who adopted from them, breadth first."""
    all_nodes: list[SpreadNode] = []
    roots: list[SpreadNode] = []
    frontier = {project.pk: roots}
    seen = {project.pk}
    for _ in range(depth):
        if not frontier:
            break
        found = list(
            adoptions(user).filter(source_project_id__in=list(frontier)).order_by("adopted_on", "id")
        )
        nxt: dict[int, list[SpreadNode]] = {}
        for a in found:
            if a.project_id in seen:
                continue
            seen.add(a.project_id)
            node = SpreadNode(a, False)
            frontier[a.source_project_id].append(node)
            nxt[a.project_id] = node.children
            all_nodes.append(node)
        frontier = nxt
    improving = set(
        Project.objects.filter(pk__in=[n.adoption.project_id for n in all_nodes])
        .filter(search.improvement_shown_q())
        .values_list("pk", flat=True)
    )
    for n in all_nodes:
        n.improvement_shown = n.adoption.project_id in improving
    return roots


def flatten(nodes: list[SpreadNode]) -> list[SpreadNode]:
    """The nodes of a spread tree (`spread_tree`) as one list, each node before its children."""
    out = []
    for n in nodes:
        out.append(n)
        out.extend(flatten(n.children))
    return out


@dataclass
class Place:
    region: str
    system: str
    sites: list[SpreadNode]


def spread_map(nodes: list[SpreadNode]) -> list[Place]:
    """Where a change has spread, grouped by region and system (ICB): the map as a table."""
    flat = flatten(nodes)
    ids = {i for n in flat for i in n.adoption.unit.ancestor_ids()}
    ancestors = {u.pk: u for u in Unit.objects.filter(pk__in=ids, kind__in=[UnitKind.REGION, UnitKind.ICB])}
    places: dict[tuple[str, str], list[SpreadNode]] = defaultdict(list)
    for n in flat:
        up = [ancestors[i] for i in n.adoption.unit.ancestor_ids() if i in ancestors]
        region = next((u.name for u in up if u.kind == UnitKind.REGION), "—")
        system = next((u.name for u in up if u.kind == UnitKind.ICB), "—")
        places[(region, system)].append(n)
    return [Place(r, s, v) for (r, s), v in sorted(places.items())]


def source_of(user: AnyUser, project: Project) -> Adoption | None:
    """The adoption this project came from, if it was adopted from another and the user may see it."""
    return adoptions(user).filter(project=project).first()
