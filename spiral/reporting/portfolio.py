"""The portfolio of a unit and everything beneath it (issue 19): the projects' stages and progress scores
(and the scores' trend month by month), the share with patient partners and with a coach, by topic and by
goal, how long projects take to reach 3.0 and 4.0, projects stuck, gains at risk, and penetration (the
share of teams with an active project).

It builds on projects' own portfolio counts (`projects.queries.portfolio_counts`, the counts of the
projects page) and adds what needs the apps above projects. The open portfolio is every project not
closed (drafts and active ones); statuses are counted over every project.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from spiral.core.types import AnyUser
from spiral.organisations import queries as org_queries
from spiral.organisations.models import PATH_WIDTH, Unit, UnitKind
from spiral.organisations.permissions import visible_to
from spiral.priorities.models import ServedGoal
from spiral.projects import queries as project_queries
from spiral.projects.models import (
    PdsaCycle,
    ProgressScore,
    Project,
    ProjectRole,
    ScoreRole,
    Status,
    TeamMember,
)
from spiral.sustainability.models import WatchAlert

TREND_MONTHS = 12
MILESTONES = (Decimal("3.0"), Decimal("4.0"))  # IHI scale: 3.0 modest improvement, 4.0 significant
# Stuck (the coach's signal, projects.queries.NO_CYCLE_DAYS): an active project in a stage whose work is
# PDSA cycles, begun more than that many days ago, with no cycle begun in that time.
STUCK_DAYS = project_queries.NO_CYCLE_DAYS


@dataclass
class TrendMonth:
    month: dt.date
    scored: int
    median: float | None
    at_least_3: int
    at_least_4: int


@dataclass
class Milestone:
    score: Decimal
    reached: int
    median_months: float | None
    started: int  # projects with a start date (the denominator)


@dataclass
class Penetration:
    unit: Unit
    teams: int
    with_active: int

    @property
    def share(self) -> float | None:
        return self.with_active / self.teams if self.teams else None


@dataclass
class Portfolio:
    unit: Unit
    counts: project_queries.PortfolioCounts  # of the open portfolio
    statuses: list[tuple[str, str, int]]  # of every project
    open: int
    with_coach: int
    goals: list[tuple[int, str, int]]  # goal id, title, open projects serving it
    no_goal: int
    trend: list[TrendMonth]
    milestones: list[Milestone]
    stuck: list[Project]
    gains_at_risk: list[WatchAlert]
    penetration: list[Penetration] = field(default_factory=list)
    penetration_total: Penetration | None = None

    @property
    def with_patient_partner(self) -> int:
        return self.counts.with_patient_partner


def _months_between(start: dt.date, month: dt.date) -> int:
    return (month.year - start.year) * 12 + month.month - start.month


def _trend(scores: QuerySet[ProgressScore], today: dt.date) -> list[TrendMonth]:
    """Each of the last TREND_MONTHS months: how many open projects were scored, their median score."""
    first = today.replace(day=1)
    months = []
    for _ in range(TREND_MONTHS):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    months.reverse()
    by_month: dict[dt.date, list[Decimal]] = {m: [] for m in months}
    for month, score in scores.filter(month__gte=months[0], month__lte=months[-1]).values_list(
        "month", "score"
    ):
        by_month.setdefault(month.replace(day=1), []).append(score)
    return [
        TrendMonth(
            month=m,
            scored=len(v),
            median=float(statistics.median(v)) if v else None,
            at_least_3=sum(s >= 3 for s in v),
            at_least_4=sum(s >= 4 for s in v),
        )
        for m, v in sorted(by_month.items())
        if m in months
    ]


def _milestones(qs: QuerySet[Project], scores: QuerySet[ProgressScore]) -> list[Milestone]:
    """Median months from each project's start to its first month scored at least 3.0 (and 4.0), over
    the projects of `qs` with a start date (those that reached it; how many did is counted)."""
    starts = {
        pid: start
        for pid, start in qs.order_by().filter(start_date__isnull=False).values_list("id", "start_date")
        if start is not None
    }
    out = []
    for level in MILESTONES:
        first = dict(
            scores.filter(score__gte=level)
            .order_by()
            .values_list("project_id")
            .annotate(m=Min("month"))
            .values_list("project_id", "m")
        )
        spans = [max(0, _months_between(starts[p], m)) for p, m in first.items() if p in starts]
        out.append(
            Milestone(
                score=level,
                reached=len(spans),
                started=len(starts),
                median_months=float(statistics.median(spans)) if spans else None,
            )
        )
    return out


def penetration(user: AnyUser, unit: Unit) -> tuple[list[Penetration], Penetration]:
    """For each unit directly beneath `unit` (or `unit` itself if it has none), its teams and how many
    have an active project (in the team or beneath it), and the same for `unit` as a whole."""
    teams = list(
        visible_to(user, Unit.objects.filter(unit.subtree_q(), kind=UnitKind.TEAM)).values_list("id", "path")
    )
    active_paths = set(
        project_queries.projects(user, within=unit, status=Status.ACTIVE)
        .order_by()
        .values_list("unit__path", flat=True)
    )
    # A team has an active project if a project's unit is the team or beneath it: every prefix of an active
    # project's unit path (one per segment) is a unit with active work at or beneath it.
    lit_paths = {path[:n] for path in active_paths for n in range(PATH_WIDTH, len(path) + 1, PATH_WIDTH)}
    lit = {tid for tid, path in teams if path in lit_paths}
    children = [c.unit for c in org_queries.children_with_counts(user, unit)] or [unit]
    rows = []
    for child in children:
        mine = [tid for tid, path in teams if path.startswith(child.path)]
        rows.append(Penetration(unit=child, teams=len(mine), with_active=sum(t in lit for t in mine)))
    return rows, Penetration(unit=unit, teams=len(teams), with_active=len(lit))


def stuck(qs: QuerySet[Project], today: dt.date) -> list[Project]:
    """Active projects in a cycling stage, begun over STUCK_DAYS ago, with no PDSA cycle begun since."""
    since = today - dt.timedelta(days=STUCK_DAYS)
    recent = (
        PdsaCycle.objects.annotate(began=Coalesce("started_on", "planned_start"))
        .filter(began__gt=since, began__lte=today)
        .values("project_id")
    )
    return list(
        qs.filter(status=Status.ACTIVE, stage__in=project_queries.CYCLING_STAGES)
        .filter(Q(start_date__lte=since) | Q(start_date__isnull=True, created_at__date__lte=since))
        .exclude(pk__in=recent)
        .order_by("title", "id")
    )


def gains_at_risk(user: AnyUser, unit: Unit) -> QuerySet[WatchAlert]:
    """Open holding-the-gain alerts (closed_at null) on the projects of the unit and beneath."""
    projects = project_queries.projects(user, within=unit).order_by().values("id")
    return (
        visible_to(user, WatchAlert.objects.filter(closed_at__isnull=True, link__project__in=projects))
        .select_related("link__project__unit", "link__series__measure")
        .order_by("-raised_at", "-id")
    )


def portfolio(user: AnyUser, unit: Unit, *, today: dt.date | None = None) -> Portfolio:
    """Everything the portfolio page (and the board pack, and the API) shows for the unit and beneath."""
    today = today or timezone.localdate()
    every = project_queries.projects(user, within=unit)
    open_qs = every.exclude(status=Status.CLOSED)
    counts = project_queries.portfolio_counts(open_qs)
    statuses = dict(every.order_by().values_list("status").annotate(n=Count("id")))
    ids = open_qs.order_by().values("id")
    coached = (
        TeamMember.objects.filter(project__in=ids, role=ProjectRole.COACH)
        .values("project_id")
        .distinct()
        .count()
    )
    served = list(
        ServedGoal.objects.filter(project__in=ids)
        .order_by()
        .values_list("goal_id", "goal__title")
        .annotate(n=Count("project", distinct=True))
        .order_by("-n", "goal__title")
    )
    serving = ServedGoal.objects.filter(project__in=ids).values("project_id")
    scores = ProgressScore.objects.filter(project__in=ids, role=ScoreRole.SELF)
    rows, total = penetration(user, unit)
    return Portfolio(
        unit=unit, counts=counts,
        statuses=[(v, label, statuses.get(v, 0)) for v, label in Status.choices],
        open=counts.total, with_coach=coached, goals=served,
        no_goal=open_qs.exclude(pk__in=serving).count(),
        trend=_trend(scores, today), milestones=_milestones(open_qs, scores), stuck=stuck(open_qs, today),
        gains_at_risk=list(gains_at_risk(user, unit)), penetration=rows, penetration_total=total,
    )  # fmt: skip
