"""Reads that pages and the API share. Every function takes the user and filters through permissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from spiral.core.types import AnyUser
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission, get_or_deny, visible_to
from spiral.projects.models import (
    Attachment,
    DriverEdge,
    DriverNode,
    JournalEntry,
    NodeKind,
    PdsaCycle,
    ProgressScore,
    Project,
    ProjectMeasure,
    ProjectRole,
    ScoreRole,
    Stage,
    Status,
    TeamMember,
    Topic,
)

# Coach signals of a stuck project (the three; the thresholds are named here, documented in
# docs/projects.md).
NO_CYCLE_DAYS = 60
UNCHANGED_SCORE_MONTHS = 3
NO_DATA_PERIODS = 2

# The stages whose work is PDSA cycles, where a month without one or a score standing still means the
# project is stuck. Sustaining and spreading hold a gain that has been made: cycles are no longer
# expected and a steady score is the point; there a falling score is the warning (as it is everywhere).
CYCLING_STAGES = frozenset({Stage.SCOPING, Stage.DIAGNOSING, Stage.TESTING, Stage.IMPLEMENTING})


def projects(
    user: AnyUser,
    *,
    within: Unit | None = None,
    status: str | None = None,
    stage: str | None = None,
    score: Decimal | str | None = None,
    topic: str | None = None,
    patient_partner: bool | None = None,
    q: str | None = None,
) -> QuerySet[Project]:
    """Projects the user may see (everyone signed in sees all), filtered like the portfolio page."""
    qs = visible_to(user, Project.objects.select_related("unit"))
    if within is not None:
        qs = qs.filter(within.subtree_q("unit__"))
    if status:
        qs = qs.filter(status=status)
    if stage:
        qs = qs.filter(stage=stage)
    if score == "none":
        qs = qs.filter(latest_score__isnull=True)
    elif score not in (None, ""):
        qs = qs.filter(latest_score=Decimal(str(score)))
    if topic:
        qs = qs.filter(topics__name=topic.strip().lower())
    if patient_partner is not None:
        qs = qs.filter(has_patient_partner=patient_partner)
    if q:
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(aim__icontains=q.strip()))
    return qs.order_by("title", "id")


def project_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_PROJECT) -> Project:
    """The project with this id, with its unit and scale: 404 if the user may not see it, 403 if they may
    see it but not act (`permission`)."""
    return get_or_deny(user, permission, Project.objects.select_related("unit", "scale"), pk=pk)


def project_by_id(user: AnyUser, pk: int) -> Project | None:
    """The project with this id, if the user may see it (None otherwise), with its unit and scale."""
    return visible_to(user, Project.objects.select_related("unit", "scale")).filter(pk=pk).first()


@dataclass
class PortfolioCounts:
    total: int
    by_stage: list[tuple[str, str, int]]
    by_status: list[tuple[str, str, int]]
    by_score: list[tuple[str, int]]
    with_patient_partner: int
    topics: list[tuple[str, int]] = field(default_factory=list)


def portfolio_counts(qs: QuerySet[Project]) -> PortfolioCounts:
    """Counts of an already filtered queryset of projects: four grouped queries."""
    base = qs.order_by()
    stages = dict(base.values_list("stage").annotate(n=Count("id")))
    statuses = dict(base.values_list("status").annotate(n=Count("id")))
    scores = dict(base.values_list("latest_score").annotate(n=Count("id")))
    topics = list(
        Topic.objects.filter(projects__in=base.values("id"))
        .values_list("name")
        .annotate(n=Count("projects"))
        .order_by("-n", "name")[:15]
    )
    return PortfolioCounts(
        total=sum(statuses.values()),
        by_stage=[(v, label, stages.get(v, 0)) for v, label in Stage.choices],
        by_status=[(v, label, statuses.get(v, 0)) for v, label in Status.choices],
        by_score=[(str(k), n) for k, n in sorted(scores.items(), key=lambda kv: kv[0] or Decimal(0)) if k]
        + ([("none", scores[None])] if scores.get(None) else []),
        with_patient_partner=base.filter(has_patient_partner=True).count(),
        topics=topics,
    )


def _visible(user: AnyUser, project: Project) -> QuerySet[Project]:
    return visible_to(user, Project.objects.filter(pk=project.pk))


def team(user: AnyUser, project: Project) -> QuerySet[TeamMember]:
    """The project's team members, by project role then name; none if the user may not see the project."""
    return (
        TeamMember.objects.filter(project__in=_visible(user, project))
        .select_related("user")
        .order_by("role", "user__display_name")
    )


def nodes(user: AnyUser, project: Project) -> list[DriverNode]:
    """The nodes of the project's driver diagram, in their order; none if the user may not see it."""
    return list(DriverNode.objects.filter(project__in=_visible(user, project)).order_by("order", "id"))


def node(user: AnyUser, project: Project, pk: Any, *, kind: str = "") -> DriverNode | None:
    """One node of the project's driver diagram (of `kind`, if given); None if there is no such node or
    the user may not see the project."""
    qs = DriverNode.objects.filter(project__in=_visible(user, project), pk=pk)
    return (qs.filter(kind=kind) if kind else qs).first()


def edges(user: AnyUser, project: Project) -> QuerySet[DriverEdge]:
    """The edges (parent to child) of the project's driver diagram; none if the user may not see it."""
    return DriverEdge.objects.filter(project__in=_visible(user, project))


def parents(user: AnyUser, project: Project, node: DriverNode) -> list[DriverNode]:
    """The nodes a node of the project's driver diagram hangs from (the drivers of a change idea)."""
    return [e.parent for e in edges(user, project).filter(child=node).select_related("parent")]


def team_member(user: AnyUser, project: Project, pk: Any) -> TeamMember | None:
    """One member of the project's team, with the person; None if there is no such member."""
    return team(user, project).filter(pk=pk).first()


def change_ideas(user: AnyUser, project: Project) -> QuerySet[DriverNode]:
    """The project's change ideas in diagram order, each with its `cycle_count` and `last_start` (the
    latest cycle start)."""
    return (
        DriverNode.objects.filter(project__in=_visible(user, project))
        .filter(kind=NodeKind.CHANGE_IDEA)
        .annotate(cycle_count=Count("cycles"), last_start=Max("cycles__started_on"))
        .order_by("order", "id")
    )


def cycles(user: AnyUser, project: Project, *, change_idea: DriverNode | None = None) -> QuerySet[PdsaCycle]:
    """The project's PDSA cycles (or one change idea's ramp), by change idea and number."""
    qs = PdsaCycle.objects.filter(project__in=_visible(user, project)).select_related("change_idea")
    if change_idea is not None:
        qs = qs.filter(change_idea=change_idea)
    return qs.order_by("change_idea__order", "change_idea_id", "number")


def cycle(user: AnyUser, project: Project, pk: Any) -> PdsaCycle | None:
    """One PDSA cycle of the project, with its change idea; None if there is no such cycle."""
    return (
        PdsaCycle.objects.filter(project__in=_visible(user, project), pk=pk)
        .select_related("change_idea")
        .first()
    )


def cycle_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_PROJECT) -> PdsaCycle:
    """The PDSA cycle with this id, with its project and unit: 404 if the user may not see it, 403 if they
    may see it but not act (`permission`)."""
    return get_or_deny(user, permission, PdsaCycle.objects.select_related("project__unit"), pk=pk)


def scores(user: AnyUser, project: Project) -> QuerySet[ProgressScore]:
    """The project's progress scores by month and role, with who gave them."""
    return (
        ProgressScore.objects.filter(project__in=_visible(user, project))
        .select_related("assessed_by")
        .order_by("month", "role")
    )


def project_measures(user: AnyUser, project: Project) -> QuerySet[ProjectMeasure]:
    """The series linked to the project, with their measure, unit and cached analysis."""
    return (
        ProjectMeasure.objects.filter(project__in=_visible(user, project))
        .select_related("series__measure", "series__unit", "series__analysis")
        .order_by("order", "id")
    )


def project_measure(user: AnyUser, project: Project, pk: Any) -> ProjectMeasure | None:
    """One series linked to the project, with its measure; None if there is no such link."""
    return (
        ProjectMeasure.objects.filter(project__in=_visible(user, project), pk=pk)
        .select_related("series__measure")
        .first()
    )


def attachment(user: AnyUser, project: Project, pk: Any) -> Attachment | None:
    """One file attached to an entry of the project's journal; None if there is no such file."""
    return Attachment.objects.filter(pk=pk, entry__project__in=_visible(user, project)).first()


def journal(user: AnyUser, project: Project) -> QuerySet[JournalEntry]:
    """The project's journal entries, newest first, with their authors and attached files."""
    return (
        JournalEntry.objects.filter(project__in=_visible(user, project))
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-on", "-id")
    )


# --- my work ------------------------------------------------------------------------------------------


def my_projects(user: User) -> QuerySet[Project]:
    """Projects where the user is on the team, open ones first."""
    return (
        visible_to(user, Project.objects.select_related("unit"))
        .filter(team__user=user)
        .exclude(status=Status.CLOSED)
        .order_by("title", "id")
    )


def coaches_a_project(user: User) -> bool:
    """Is the user the coach of an open project (so My work points to the projects they coach)?"""
    # One filter() call: the same team row is the user's and a coach's (two calls would join twice).
    return (
        visible_to(user, Project.objects.all())
        .filter(team__user=user, team__role=ProjectRole.COACH)
        .exclude(status=Status.CLOSED)
        .exists()
    )


def cycles_due(user: User, *, within_days: int = 7) -> QuerySet[PdsaCycle]:
    """Cycles of my open projects due (planned end) within a week, or overdue, with no decision yet."""
    horizon = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        PdsaCycle.objects.filter(project__in=my_projects(user), decision="", planned_end__lte=horizon)
        .select_related("project", "change_idea")
        .order_by("planned_end", "id")
    )


def scores_not_updated(user: User) -> QuerySet[Project]:
    """My active projects with no score this month."""
    month = timezone.localdate().replace(day=1)
    scored = ProgressScore.objects.filter(month=month).values("project_id")
    return my_projects(user).filter(status=Status.ACTIVE).exclude(pk__in=scored)


# --- coaching -----------------------------------------------------------------------------------------


@dataclass
class CoachedProject:
    project: Project
    last_cycle: dt.date | None
    scores: list[Decimal]
    signals: list[str]


def coached_projects(user: User, *, today: dt.date | None = None) -> list[CoachedProject]:
    """Every open project the user coaches (project role coach), with signals of a stuck project
    (`with_signals`)."""
    qs = list(
        visible_to(user, Project.objects.select_related("unit"))
        .filter(team__user=user, team__role=ProjectRole.COACH)
        .exclude(status=Status.CLOSED)
        .order_by("title", "id")
    )
    return with_signals(qs, today=today)


def with_signals(projects: Sequence[Project], *, today: dt.date | None = None) -> list[CoachedProject]:
    """`projects`, each with signals of a stuck project, read in a fixed number of queries for them all.

    Signals come from what happened, not from when it was recorded: a cycle counts from the day it
    started (or was planned to start, until it is marked started), never from when its record was made,
    and a cycle planned for the future has not happened yet. Each signal applies to the stages where it
    means something (CYCLING_STAGES; drafts are still shaping their aim and get no cycle signal)."""
    from spiral.projects import measures

    today = today or timezone.localdate()
    ids = [p.pk for p in projects]
    last_cycle: dict[int, dt.date] = {}
    recent: dict[int, dict[dt.date, Decimal]] = {}
    since = (today.replace(day=1) - dt.timedelta(days=31 * UNCHANGED_SCORE_MONTHS)).replace(day=1)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        last_cycle |= dict(
            PdsaCycle.objects.filter(project_id__in=chunk)
            .annotate(began=Coalesce("started_on", "planned_start"))
            .filter(began__lte=today)
            .values("project_id")
            .annotate(last=Max("began"))
            .values_list("project_id", "last")
        )
        for pid, month, score in ProgressScore.objects.filter(
            project_id__in=chunk, role=ScoreRole.SELF, month__gte=since, month__lte=today
        ).values_list("project_id", "month", "score"):
            recent.setdefault(pid, {})[month] = score
    missing_data = measures.projects_without_recent_outcome_data(ids, periods=NO_DATA_PERIODS, today=today)
    out = []
    for project in projects:
        signals = []
        cycling = project.stage in CYCLING_STAGES
        last = last_cycle.get(project.pk)
        # With no cycle yet, the clock runs from the project's start: a project begun last week is not stuck.
        began = project.start_date or timezone.localdate(project.created_at)
        if cycling and project.status == Status.ACTIVE and (today - (last or began)).days > NO_CYCLE_DAYS:
            signals.append(f"No PDSA cycle in {NO_CYCLE_DAYS} days")
        months = sorted(recent.get(project.pk, {}).items())[-UNCHANGED_SCORE_MONTHS:]
        values = [s for _, s in months]
        if cycling and len(values) == UNCHANGED_SCORE_MONTHS and len(set(values)) == 1:
            signals.append(f"Score unchanged for {UNCHANGED_SCORE_MONTHS} months")
        if len(values) > 1 and values[-1] < max(values[:-1]):
            signals.append(f"Score fell from {max(values[:-1])} to {values[-1]}")
        if project.pk in missing_data:
            signals.append(f"No data for the outcome measure in {NO_DATA_PERIODS} periods")
        out.append(CoachedProject(project=project, last_cycle=last, scores=values, signals=signals))
    return out
