"""Every write of the knowledge app: keyword-only, the actor as `by=`, one transaction, audited.

Each write that changes searchable text re-indexes the object in the same transaction (explicit calls,
never signals), so search never lags behind these writes. Callers check permissions (views, API);
the rules that are not permissions (only members post, a unit joins a field test once) live here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from spiral.core import audit, screening
from spiral.core.errors import Duplicate
from spiral.knowledge import search, tasks
from spiral.knowledge.models import (
    Adoption,
    Community,
    CommunityMember,
    CommunityRole,
    FieldTest,
    FieldTestSite,
    FieldTestStatus,
    Post,
    Resource,
    ResourceKind,
    ResourceVersion,
    Thread,
)
from spiral.measurement.models import Measure
from spiral.organisations.models import Unit, User
from spiral.projects import measures as project_measures
from spiral.projects import services as project_services
from spiral.projects.models import DriverNode, NodeKind, Project, ProjectRole, Stage, Status, Topic


class StaleRecord(audit.StaleEdit):
    """A PATCH carried an old `version`: someone else changed the record first."""

    message = "Someone else changed this since you opened it: check their version, then try again"


def _user(by: User | None) -> User | None:
    return by if getattr(by, "pk", None) else None


# How refusals name each free-text field ("The summary looks like it holds a phone number: ...").
FIELD_LABELS = {
    "title": "The title", "summary": "The summary", "body": "The text", "description": "The description",
    "name": "The name", "change_idea": "The change idea", "adaptation": "The adaptation",
}  # fmt: skip


def _screened(field: str, text: str, before: str | None = None) -> str:
    """Refuse free text holding personal data (resources, communities, posts and field tests are read by
    everyone signed in): core.screening decides, the message names the field and the kind found. Text
    unchanged since `before` is not screened again."""
    text = text or ""
    if before is None or text != before:
        screening.refuse_personal_data({field: text}, FIELD_LABELS)
    return text.strip()


def _topics(names: Iterable[str] | str | None) -> list[Topic]:
    cleaned = project_services.clean_topics(names)
    return [Topic.objects.get_or_create(name=n)[0] for n in cleaned]


def _projects(ids: Iterable[int]) -> list[Project]:
    wanted = {int(i) for i in ids}
    found = list(Project.objects.filter(pk__in=wanted))
    missing = wanted - {p.pk for p in found}
    if missing:
        raise ValidationError({"projects": f"No project has id {', '.join(map(str, sorted(missing)))}"})
    return found


# --- resources ----------------------------------------------------------------------------------------


def _validate_resource(values: dict[str, Any]) -> None:
    errors = {}
    if not values["title"].strip():
        errors["title"] = "Enter a title"
    elif len(values["title"]) > 200:
        errors["title"] = "The title must be 200 characters or fewer"
    if values["kind"] not in ResourceKind.values:
        errors["kind"] = f"Choose the kind of resource: one of {', '.join(ResourceKind.values)}"
    if not values["summary"].strip():
        errors["summary"] = "Enter a summary: what the resource is and who it helps"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_resource(
    *,
    unit: Unit,
    title: str,
    kind: str,
    summary: str,
    by: User | None,
    body: str = "",
    topics: Iterable[str] | str | None = None,
    projects: Iterable[int] = (),
) -> Resource:
    """Publish a resource owned by `unit`; version 1 is kept."""
    _validate_resource({"title": title, "kind": kind, "summary": summary})
    resource = Resource.objects.create(
        unit=unit,
        title=_screened("title", title),
        kind=kind,
        summary=_screened("summary", summary),
        body=_screened("body", body or ""),
        created_by=_user(by),
    )
    resource.topics.set(_topics(topics))
    resource.projects.set(_projects(projects))
    _keep_version(resource, by)
    audit.record(action="resource.create", obj=resource, by=by, scope_path=unit.path)
    search.index_resources([resource.pk], embed=False)
    tasks.documents_changed()
    return resource


def _keep_version(resource: Resource, by: User | None) -> None:
    ResourceVersion.objects.create(
        resource=resource,
        number=resource.version,
        title=resource.title,
        summary=resource.summary,
        body=resource.body,
        created_by=_user(by),
    )


@transaction.atomic
def update_resource(
    *, resource: Resource, by: User | None, version: int | None = None, **changes: Any
) -> Resource:
    """Change a resource (title, kind, summary, body, topics, projects): a new version is kept.

    A stale `version` raises StaleRecord; without one the change is applied (last write wins) and audited.
    """
    current = Resource.objects.select_for_update(of=("self",)).get(pk=resource.pk)
    audit.refuse_stale(current, None if version is None else int(version), error=StaleRecord)
    before = audit.snapshot(current, ["title", "kind", "summary", "body"])
    for name in ("title", "kind", "summary", "body"):
        if changes.get(name) is not None:
            setattr(current, name, changes[name])
    _validate_resource({"title": current.title, "kind": current.kind, "summary": current.summary})
    current.title = _screened("title", current.title, before["title"])
    current.summary = _screened("summary", current.summary, before["summary"])
    current.body = _screened("body", current.body, before["body"])
    diff = audit.diff(before, audit.snapshot(current, before))
    if changes.get("topics") is not None:
        current.topics.set(_topics(changes["topics"]))
        diff["topics"] = [None, ", ".join(t.name for t in current.topics.all())]
    if changes.get("projects") is not None:
        current.projects.set(_projects(changes["projects"]))
        diff["projects"] = [None, ", ".join(str(p.pk) for p in current.projects.all())]
    if diff:
        audit.save_version(
            current, by=by, action="resource.update", changes=diff, scope_path=current.unit.path
        )
        _keep_version(current, by)
        search.index_resources([current.pk], embed=False)
        tasks.documents_changed()
    return current


# --- communities --------------------------------------------------------------------------------------


@transaction.atomic
def create_community(
    *, unit: Unit, name: str, by: User | None, description: str = "", topic: str = ""
) -> Community:
    """Start a community of practice hosted by `unit`; whoever starts it is its first facilitator."""
    name = _screened("name", name or "")
    if not name:
        raise ValidationError({"name": "Enter a name for the community"})
    if Community.objects.filter(name__iexact=name).exists():
        raise Duplicate({"name": f"A community called {name!r} exists already: join it instead"})
    topics = _topics(topic) if topic else []
    community = Community.objects.create(
        unit=unit,
        name=name[:200],
        description=_screened("description", description or ""),
        topic=topics[0] if topics else None,
        created_by=_user(by),
    )
    if _user(by):
        CommunityMember.objects.create(community=community, user=by, role=CommunityRole.FACILITATOR)  # type: ignore[misc]  # not None: tested
    audit.record(action="community.create", obj=community, by=by, scope_path=unit.path)
    search.index_communities([community.pk], embed=False)
    tasks.documents_changed()
    return community


@transaction.atomic
def join_community(*, community: Community, by: User) -> CommunityMember:
    """Join (joining twice changes nothing)."""
    member, created = CommunityMember.objects.get_or_create(community=community, user=by)
    if created:
        audit.record(action="community.join", obj=community, by=by, scope_path=community.unit.path)
    return member


@transaction.atomic
def leave_community(*, community: Community, by: User) -> None:
    """Take `by` out of the community (audited); nothing happens if they were not a member."""
    deleted, _ = CommunityMember.objects.filter(community=community, user=by).delete()
    if deleted:
        audit.record(action="community.leave", obj=community, by=by, scope_path=community.unit.path)


def _require_member(community: Community, by: User) -> None:
    if not community.is_member(by):
        raise ValidationError({"body": "Join the community to take part in its discussions"})


@transaction.atomic
def start_thread(*, community: Community, title: str, body: str, by: User) -> Thread:
    """Open a discussion thread with its first post (members only)."""
    _require_member(community, by)
    errors = {}
    if not (title or "").strip():
        errors["title"] = "Enter a title for the discussion"
    if not (body or "").strip():
        errors["body"] = "Enter what you want to say"
    errors |= screening.check_fields({"title": title, "body": body}, FIELD_LABELS)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    thread = Thread.objects.create(
        community=community, title=title.strip()[:200], author=by, created_at=now, last_post_at=now
    )
    Post.objects.create(thread=thread, author=by, body=_screened("body", body), created_at=now)
    audit.record(action="thread.create", obj=thread, by=by, scope_path=community.unit.path)
    return thread


@transaction.atomic
def reply(*, thread: Thread, body: str, by: User) -> Post:
    """Reply to a thread (members of its community only)."""
    _require_member(thread.community, by)
    if not (body or "").strip():
        raise ValidationError({"body": "Enter your reply"})
    now = timezone.now()
    post = Post.objects.create(thread=thread, author=by, body=_screened("body", body), created_at=now)
    Thread.objects.filter(pk=thread.pk).update(last_post_at=now)
    audit.record(action="thread.reply", obj=thread, by=by, scope_path=thread.community.unit.path)
    return post


@transaction.atomic
def link_to_community(
    *, community: Community, by: User | None, projects: Iterable[int] = (), resources: Iterable[int] = ()
) -> Community:
    """Link projects and resources to a community (its members share them)."""
    found = _projects(projects)
    community.projects.add(*found)
    res = list(Resource.objects.filter(pk__in=list(resources)))
    community.resources.add(*res)
    audit.record(
        action="community.link",
        obj=community,
        by=by,
        scope_path=community.unit.path,
        changes={"linked": [None, [f"project {p.pk}" for p in found] + [f"resource {r.pk}" for r in res]]},
    )
    return community


# --- field tests --------------------------------------------------------------------------------------


@transaction.atomic
def create_field_test(
    *,
    sponsor: Unit,
    title: str,
    change_idea: str,
    measure: Measure,
    starts_on: dt.date,
    ends_on: dt.date,
    by: User | None,
    description: str = "",
) -> FieldTest:
    """A sponsor describes a change idea to test at several sites, a common measure and a time window."""
    errors = {}
    if not (title or "").strip():
        errors["title"] = "Enter a title for the field test"
    if not (change_idea or "").strip():
        errors["change_idea"] = "Describe the change idea the sites will test"
    if starts_on and ends_on and ends_on <= starts_on:
        errors["ends_on"] = "The field test must end after it starts"
    if not (measure.is_indicator or measure.owner_id == sponsor.pk):
        errors["measure"] = (
            f"{measure.name} is not an indicator: sites can only share a measure defined as an indicator"
        )
    errors |= screening.check_fields(
        {"title": title, "change_idea": change_idea, "description": description or ""}, FIELD_LABELS
    )
    if errors:
        raise ValidationError(errors)
    test = FieldTest.objects.create(
        sponsor=sponsor,
        title=title.strip()[:200],
        change_idea=change_idea.strip(),
        description=(description or "").strip(),
        measure=measure,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=_user(by),
    )
    audit.record(action="field_test.create", obj=test, by=by, scope_path=sponsor.path)
    return test


@transaction.atomic
def join_field_test(*, field_test: FieldTest, unit: Unit, by: User | None) -> FieldTestSite:
    """Sign `unit` up: a project of its own, testing the change idea, its series of the common measure
    linked as the aim's outcome measure."""
    if field_test.status == FieldTestStatus.CLOSED:
        raise ValidationError({"unit": "This field test has closed: sites can no longer join"})
    if FieldTestSite.objects.filter(field_test=field_test, unit=unit).exists():
        raise Duplicate({"unit": f"{unit.name} is already a site of this field test"})
    if not field_test.measure.applies_to(unit):
        raise ValidationError(
            {
                "unit": f"{unit.name} cannot record {field_test.measure.name}: it is not beneath the measure's owner"
            }
        )
    project = project_services.create_project(
        unit=unit,
        title=f"{field_test.title}: {unit.name}"[:200],
        by=by,
        problem=field_test.description,
        aim=f"Test {field_test.change_idea[:300]} and measure {field_test.measure.name}",
        status=Status.ACTIVE,
        stage=Stage.TESTING,
        start_date=max(field_test.starts_on, timezone.localdate()),
    )
    project_services.create_change_idea(project=project, title=field_test.change_idea[:500], by=by)
    project_measures.create_series_for_project(
        project=project, measure=field_test.measure, role="outcome", by=by
    )
    site = FieldTestSite.objects.create(field_test=field_test, unit=unit, project=project)
    audit.record(
        action="field_test.join",
        obj=field_test,
        by=by,
        scope_path=unit.path,
        changes={"site": [None, unit.code], "project": [None, project.pk]},
    )
    search.index_projects([project.pk], embed=False)
    tasks.documents_changed()
    return site


# --- spread -------------------------------------------------------------------------------------------


@transaction.atomic
def adopt(
    *,
    source: Project,
    unit: Unit,
    by: User | None,
    idea: DriverNode | None = None,
    adaptation: str = "",
    adopted_on: dt.date | None = None,
) -> Adoption:
    """`unit` adopts a project (all its change ideas) or one of its change ideas: a project in `unit`
    linked to its source, so the lineage is kept (docs/reference/qi.md §4)."""
    if idea is not None and (idea.project_id != source.pk or idea.kind != NodeKind.CHANGE_IDEA):
        raise ValidationError({"idea": "Choose one of the source project's change ideas"})
    if unit.pk == source.unit_id:
        raise ValidationError({"unit": "Spread is to another unit: choose the unit that adopts the change"})
    adaptation = _screened("adaptation", adaptation or "")  # before anything is written
    ideas = (
        [idea]
        if idea is not None
        else list(
            DriverNode.objects.filter(project=source, kind=NodeKind.CHANGE_IDEA).order_by("order", "id")
        )
    )
    title = idea.text if idea is not None else source.title
    team = [(by, ProjectRole.LEAD)] if _user(by) else []
    project = project_services.create_project(
        unit=unit,
        title=f"Adopting: {title}"[:200],
        by=by,
        problem=source.problem,
        aim=source.aim,
        aim_measure=source.aim_measure,
        status=Status.ACTIVE,
        stage=Stage.TESTING,
        topics=[t.name for t in source.topics.all()],
        start_date=adopted_on or timezone.localdate(),
        team=team,  # type: ignore[arg-type]  # by is not None when team is not empty
    )
    for each in ideas:
        project_services.create_change_idea(
            project=project, title=each.text, description=each.description, by=by
        )
    adoption = Adoption.objects.create(
        source_project=source,
        source_idea=idea,
        project=project,
        unit=unit,
        adopted_on=adopted_on or timezone.localdate(),
        adaptation=adaptation,
        created_by=_user(by),
    )
    audit.record(
        action="spread.adopt",
        obj=adoption,
        by=by,
        scope_path=unit.path,
        changes={"source": [None, source.pk], "project": [None, project.pk]},
    )
    search.index_projects([project.pk], embed=False)
    tasks.documents_changed()
    return adoption
