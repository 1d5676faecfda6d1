"""Reads of capability that pages, exports and the API share; every list goes through `visible_to`.

Dosage (docs/reference/qi.md §7): for a unit and everything beneath it, the distinct people trained at
each tier against the staff in post (headcount), the pace NHS England suggests (10-20% of staff a year at
awareness level; the board first), projects per 1,000 staff, the trend by year and the unit's peers.
The leaky bucket: of the people trained in the last N years, who led, joined or coached a project in the
last 12 months. Coaching capacity: coaches' loads, idle coaches, projects without a coach, stuck projects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from spiral.benchmarking.queries import like_for_like
from spiral.capability.models import Headcount, TierKind, TrainingRecord, TrainingTier
from spiral.core.types import AnyUser
from spiral.organisations.models import Membership, Role, Unit, UnitKind, User, subtree_q
from spiral.organisations.permissions import visible_to
from spiral.projects.models import Project, ProjectRole, Status, TeamMember

# NHS England's suggested pace of awareness training: 10-20% of staff a year (the issue; NHS IMPACT).
PACE_LOW = 0.10
PACE_HIGH = 0.20
ACTIVE_MONTHS = 12
EXPERIENCED_PROJECTS = 3  # the third project and beyond: an experienced (intermediate) improver
IMPROVING_ROLES = (ProjectRole.LEAD, ProjectRole.MEMBER, ProjectRole.COACH)
MAX_PEERS = 50


def tiers(user: AnyUser) -> QuerySet[TrainingTier]:
    """Every training tier: the improvement ladder (awareness first), then leadership development."""
    return visible_to(user, TrainingTier.objects.all()).order_by("kind", "level")


def training_records(
    user: AnyUser, *, person: User | None = None, within: Unit | None = None
) -> QuerySet[TrainingRecord]:
    """Training records the user may see, of one person or of a unit and beneath, newest first."""
    qs = visible_to(user, TrainingRecord.objects.select_related("person", "tier", "unit"))
    if person is not None:
        qs = qs.filter(person=person)
    if within is not None:
        qs = qs.filter(subtree_q(within.path, "unit__"))
    return qs.order_by("-completed_on", "-id")


def headcounts(user: AnyUser, *, within: Unit | None = None) -> QuerySet[Headcount]:
    """Headcount rows the user may see, of a unit and beneath, newest month first."""
    qs = visible_to(user, Headcount.objects.select_related("unit"))
    if within is not None:
        qs = qs.filter(subtree_q(within.path, "unit__"))
    return qs.order_by("unit__path", "-period_start")


def people_of(user: AnyUser, unit: Unit) -> list[User]:
    """The active people holding a role on `unit` or beneath (the bulk form's choices), by name."""
    ids = Membership.objects.filter(subtree_q(unit.path, "unit__")).values("user_id")
    return list(
        visible_to(user, User.objects.filter(pk__in=ids, is_active=True)).order_by("display_name", "id")
    )


# Ids go to the database in chunks: a nation's trained people are more than SQLite's bound variables.
CHUNK = 5000


def _chunked(ids: Any) -> list[list[int]]:
    ids = sorted(ids)
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _users(ids: Any) -> dict[int, User]:
    return {u.pk: u for chunk in _chunked(ids) for u in User.objects.filter(pk__in=chunk)}


@dataclass(frozen=True)
class PersonRef:
    """A person as long lists show them (a link, a name, an email): lighter than a User for thousands."""

    pk: int
    display_name: str
    email: str


def _people_refs(ids: Any) -> dict[int, PersonRef]:
    return {
        pk: PersonRef(pk, name, email)
        for chunk in _chunked(ids)
        for pk, name, email in User.objects.filter(pk__in=chunk).values_list("pk", "display_name", "email")
    }


# --- headcount of a subtree ---------------------------------------------------------------------------


def _headcount_by_month(unit: Unit) -> dict[dt.date, int]:
    """{month: staff in post of `unit`} for every month any unit beneath it has a headcount.

    A unit's own headcount is its figure; a unit without one for the month counts the sum of its children
    (so a trust that enters its total and teams that enter theirs are not counted twice).
    """
    rows = list(
        Headcount.objects.filter(subtree_q(unit.path, "unit__")).values_list(
            "unit_id", "period_start", "staff"
        )
    )
    if not rows:
        return {}
    units = list(Unit.objects.filter(subtree_q(unit.path)).values_list("pk", "parent_id", "path"))
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent, _ in units:
        children[parent].append(pk)
    own: dict[dt.date, dict[int, int]] = defaultdict(dict)
    for unit_id, month, staff in rows:
        own[month][unit_id] = staff
    deepest_first = [pk for pk, _, _ in sorted(units, key=lambda u: -len(u[2]))]
    out: dict[dt.date, int] = {}
    for month, figures in own.items():
        total: dict[int, int] = {}
        for pk in deepest_first:
            total[pk] = figures[pk] if pk in figures else sum(total.get(c, 0) for c in children[pk])
        out[month] = total[unit.pk]
    return dict(sorted(out.items()))


def latest_headcount(
    unit: Unit, *, on: dt.date | None = None, by_month: dict[dt.date, int] | None = None
) -> tuple[dt.date | None, int | None]:
    """(month, staff in post) of the latest month with a headcount, up to `on`."""
    by_month = _headcount_by_month(unit) if by_month is None else by_month
    months = [(m, s) for m, s in by_month.items() if on is None or m <= on]
    return months[-1] if months else (None, None)


# --- dosage -------------------------------------------------------------------------------------------


def _rate(count: int, staff: int | None) -> float | None:
    return round(count / staff, 4) if staff else None


@dataclass
class TierRow:
    tier: TrainingTier
    people: int  # distinct people with a course of this tier
    rate: float | None
    at_least: int | None  # improvement ladder: people whose highest tier is this one or above
    at_least_rate: float | None


@dataclass
class Dosage:
    unit: Unit
    month: dt.date | None
    headcount: int | None
    rows: list[TierRow]
    trained: int
    awareness_last_year: int
    pace_rate: float | None
    pace: str  # below, within, above, unknown
    leaders: int
    leaders_with_board: int
    active_projects: int
    projects_per_1000: float | None
    trend: list[dict[str, Any]] = field(default_factory=list)
    peers: list[dict[str, Any]] = field(default_factory=list)
    peer_group: str = ""

    @property
    def board_first(self) -> bool:
        """Has every leader of the unit itself completed board development (NHS England: the board first)?"""
        return self.leaders > 0 and self.leaders_with_board == self.leaders


def _active_projects(unit: Unit) -> int:
    return Project.objects.filter(subtree_q(unit.path, "unit__"), status=Status.ACTIVE).count()


def dosage(user: AnyUser, unit: Unit, *, today: dt.date | None = None, peers: bool = True) -> Dosage:
    """The dosage dashboard of `unit` and everything beneath (see the module's docstring)."""
    today = today or timezone.localdate()
    all_tiers = list(tiers(user))
    records = list(training_records(user, within=unit).values_list("person_id", "tier_id", "completed_on"))
    by_tier: dict[int, set[int]] = defaultdict(set)
    highest: dict[int, int] = {}
    level = {t.pk: t.level for t in all_tiers if t.kind == TierKind.IMPROVEMENT}
    for person, tier, _ in records:
        by_tier[tier].add(person)
        if tier in level:
            highest[person] = max(highest.get(person, 0), level[tier])
    by_month = _headcount_by_month(unit)
    month, staff = latest_headcount(unit, on=today, by_month=by_month)
    rows = []
    for t in all_tiers:
        n = len(by_tier[t.pk])
        at_least = (
            sum(1 for v in highest.values() if v >= t.level) if t.kind == TierKind.IMPROVEMENT else None
        )
        rows.append(
            TierRow(t, n, _rate(n, staff), at_least, _rate(at_least, staff) if at_least is not None else None)
        )
    awareness = next((t for t in all_tiers if t.kind == TierKind.IMPROVEMENT and t.level == 1), None)
    year_ago = today - dt.timedelta(days=365)
    aware_year = len({p for p, t, d in records if awareness and t == awareness.pk and d > year_ago})
    pace_rate = _rate(aware_year, staff)
    pace = (
        "unknown"
        if pace_rate is None
        else "below"
        if pace_rate < PACE_LOW
        else "within"
        if pace_rate <= PACE_HIGH
        else "above"
    )
    board = next((t for t in all_tiers if t.slug == "board"), None)
    leader_ids = set(
        Membership.objects.filter(unit=unit, role__in=(Role.LEADER, Role.ADMIN)).values_list(
            "user_id", flat=True
        )
    )
    with_board = len(leader_ids & by_tier[board.pk]) if board else 0
    active = _active_projects(unit)
    result = Dosage(
        unit=unit, month=month, headcount=staff, rows=rows, trained=len({p for p, _, _ in records}),
        awareness_last_year=aware_year, pace_rate=pace_rate, pace=pace, leaders=len(leader_ids),
        leaders_with_board=with_board, active_projects=active,
        projects_per_1000=round(active * 1000 / staff, 1) if staff else None,
    )  # fmt: skip
    result.trend = _trend(by_month, records, all_tiers, today)
    if peers:
        result.peer_group, result.peers = _peers(
            user, unit, today, own=(staff, len({p for p, _, _ in records}), active)
        )
    return result


def _trend(by_month: dict[dt.date, int], records: list[tuple[int, int, dt.date]], all_tiers: list[TrainingTier],
           today: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """Per calendar year: people newly trained at each tier, everyone trained so far, the year's headcount."""
    if not records:
        return []
    by_year: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for person, tier, day in records:  # one pass over the records
        by_year[day.year][tier].add(person)
    seen: set[int] = set()
    out = []
    for year in range(min(by_year), today.year + 1):
        in_year = by_year.get(year, {})
        new = {t.slug: len(in_year.get(t.pk, ())) for t in all_tiers}
        for people in in_year.values():
            seen |= people
        staff = next((s for m, s in reversed(by_month.items()) if m.year <= year), None)
        out.append({"year": year, "new": new, "trained_so_far": len(seen), "headcount": staff,
                    "rate_so_far": _rate(len(seen), staff)})  # fmt: skip
    return out


def _peers(
    user: AnyUser, unit: Unit, today: dt.date, *, own: tuple[int | None, int, int]
) -> tuple[str, list[dict[str, Any]]]:
    """Units like this one (benchmarking's like-for-like peers) with their own trained rate."""
    parent = unit.parent
    if parent is None:
        return "", []
    within = parent.parent if unit.kind == UnitKind.ORGANISATION and parent.parent is not None else parent
    group = like_for_like(within, unit)
    qs = Unit.objects.filter(subtree_q(within.path), kind=group.kind)
    if group.organisation_type:
        qs = qs.filter(organisation_type=group.organisation_type)
    out = []
    for peer in visible_to(user, qs).order_by("name")[:MAX_PEERS]:
        if peer.pk == unit.pk:  # already worked out by the caller
            staff, trained, active = own
        else:
            _month, staff = latest_headcount(peer, on=today)
            trained = (
                TrainingRecord.objects.filter(subtree_q(peer.path, "unit__"))
                .order_by()  # the model's ordering would make each record distinct
                .values("person_id")
                .distinct()
                .count()
            )
            active = _active_projects(peer)
        out.append({"unit": peer, "headcount": staff, "trained": trained, "rate": _rate(trained, staff),
                    "projects_per_1000": round(active * 1000 / staff, 1) if staff else None,
                    "is_self": peer.pk == unit.pk})  # fmt: skip
    return group.describe(), out


# --- the leaky bucket -----------------------------------------------------------------------------------


@dataclass
class Bucket:
    unit: Unit
    years: int
    since: dt.date
    trained: int
    active: int
    experienced: int
    inactive: list[dict[str, Any]]  # {"unit": Unit, "people": [(PersonRef, last training date, tier name)]}

    @property
    def active_rate(self) -> float | None:
        return _rate(self.active, self.trained)

    @property
    def experienced_rate(self) -> float | None:
        return _rate(self.experienced, self.trained)


def _project_counts(person_ids: set[int]) -> tuple[Counter[int], set[int]]:
    """(projects each person improved on ever, people who led, joined or coached one in the last 12 months)."""
    since = timezone.localdate() - dt.timedelta(days=365 * ACTIVE_MONTHS // 12)
    improving = TeamMember.objects.filter(role__in=IMPROVING_ROLES).exclude(project__status=Status.DRAFT)
    fields = ("user_id", "project_id", "project__status", "project__closed_on")
    if len(person_ids) > CHUNK:  # many people (a region, the nation): one pass over every team is faster
        rows = [r for r in improving.values_list(*fields) if r[0] in person_ids]
    else:
        rows = list(improving.filter(user_id__in=person_ids).values_list(*fields))
    counts: Counter[int] = Counter()
    active: set[int] = set()
    seen: set[tuple[int, int]] = set()
    for person, project, status, closed_on in rows:
        if (person, project) in seen:
            continue
        seen.add((person, project))
        counts[person] += 1
        if status == Status.ACTIVE or (closed_on is not None and closed_on >= since):
            active.add(person)
    return counts, active


def leaky_bucket(user: AnyUser, unit: Unit, *, years: int = 3, today: dt.date | None = None) -> Bucket:
    """Of the people trained (any tier) in the last `years` years in `unit` and beneath, how many led,
    joined or coached a project in the last 12 months, how many are on their third project or later, and
    who has not been active, by the unit they were trained in."""
    today = today or timezone.localdate()
    since = (
        today.replace(year=today.year - years)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - years, day=28)
    )
    records = list(
        training_records(user, within=unit)
        .filter(completed_on__gte=since, completed_on__lte=today, person__is_active=True)
        .values_list("person_id", "unit_id", "completed_on", "tier__name")
    )
    latest: dict[int, tuple[int, dt.date, str]] = {}
    for person, unit_id, day, tier in records:  # newest first
        latest.setdefault(person, (unit_id, day, tier))
    ids = set(latest)
    counts, active = _project_counts(ids)
    experienced = {p for p in ids if counts[p] >= EXPERIENCED_PROJECTS}
    idle = ids - active
    people = _people_refs(idle)
    units = {u.pk: u for u in Unit.objects.filter(pk__in={latest[p][0] for p in idle})}
    grouped: dict[int, list[tuple[PersonRef, dt.date, str]]] = defaultdict(list)
    for p in idle:
        unit_id, day, tier = latest[p]
        grouped[unit_id].append((people[p], day, tier))
    inactive = [
        {"unit": units[u], "people": sorted(grouped[u], key=lambda r: (r[0].display_name.lower(), r[0].pk))}
        for u in sorted(grouped, key=lambda u: (units[u].path, u))
    ]
    return Bucket(unit, years, since, len(ids), len(ids & active), len(experienced), inactive)


# --- coaching capacity ------------------------------------------------------------------------------


@dataclass
class CoachLoad:
    coach: User
    projects: list[Project]
    stuck: list[tuple[Project, list[str]]]
    trained: bool


@dataclass
class Coaching:
    unit: Unit
    coaches: list[CoachLoad]
    idle_coaches: list[User]
    without_coach: list[Project]
    unsupported: list[tuple[User, Project]]  # experienced improvers whose project has no experienced coach


def coaching(user: AnyUser, unit: Unit, *, today: dt.date | None = None) -> Coaching:
    """Coaching capacity of `unit` and beneath: each coach's open projects (their load) and the stuck
    ones among them (the projects app's coach signals), trained coaches coaching nothing, open projects
    without a coach, and improvers on their third project or later without an experienced coach."""
    from spiral.projects.queries import with_signals

    open_projects = list(
        visible_to(user, Project.objects.filter(subtree_q(unit.path, "unit__")).exclude(status=Status.CLOSED))
        .select_related("unit").order_by("title", "id")
    )  # fmt: skip
    ids = {p.pk for p in open_projects}
    team = [
        row
        for chunk in _chunked(ids)
        for row in TeamMember.objects.filter(project_id__in=chunk).values_list(
            "project_id", "user_id", "role"
        )
    ]
    coaches_of: dict[int, set[int]] = defaultdict(set)
    by_coach: dict[int, list[int]] = defaultdict(list)
    for project, person, role in team:
        if role == ProjectRole.COACH:
            coaches_of[project].add(person)
            by_coach[person].append(project)
    coach_tier = TrainingRecord.objects.filter(tier__is_coach=True)
    trained_coaches = set(coach_tier.order_by().values_list("person_id", flat=True).distinct())
    projects = {p.pk: p for p in open_projects}
    people = _users(by_coach)
    # The stuck signals of every coached project, read once for them all (not once per coach).
    stuck = {cp.project.pk: cp.signals for cp in with_signals([projects[p] for p in coaches_of], today=today)}
    loads = []
    for coach_id in sorted(by_coach, key=lambda c: (-len(by_coach[c]), people[c].display_name.lower())):
        coach = people[coach_id]
        signals = [(projects[p], stuck[p]) for p in sorted(by_coach[coach_id], key=lambda p: (projects[p].title, p))
                   if stuck[p]]  # fmt: skip
        loads.append(
            CoachLoad(coach, [projects[p] for p in by_coach[coach_id]], signals, coach_id in trained_coaches)
        )
    everyone_coaching = set(
        TeamMember.objects.filter(role=ProjectRole.COACH).exclude(project__status=Status.CLOSED)
        .values_list("user_id", flat=True)
    )  # fmt: skip
    idle_ids = (
        set(
            coach_tier.filter(subtree_q(unit.path, "unit__"), person__is_active=True).values_list(
                "person_id", flat=True
            )
        )
        - everyone_coaching
    )
    idle = sorted(_users(idle_ids).values(), key=lambda u: (u.display_name, u.pk))
    without = [p for p in open_projects if p.status == Status.ACTIVE and not coaches_of[p.pk]]
    # Improvers on their third project or later, and whether a coach of that project is experienced
    # (trained as a coach, or coaching their third project or later).
    members = {(pid, uid) for pid, uid, role in team if role in (ProjectRole.LEAD, ProjectRole.MEMBER)}
    counts, _ = _project_counts({uid for _, uid in members} | set(by_coach))
    coach_counts = Counter(
        uid
        for chunk in _chunked(by_coach)
        for uid in TeamMember.objects.filter(role=ProjectRole.COACH, user_id__in=chunk).values_list(
            "user_id", flat=True
        )
    )
    experienced_coach = {
        c for c in by_coach if c in trained_coaches or coach_counts[c] >= EXPERIENCED_PROJECTS
    }
    improvers = _users({uid for _, uid in members if counts[uid] >= EXPERIENCED_PROJECTS})
    unsupported = sorted(
        ((improvers[uid], projects[pid]) for pid, uid in members
         if uid in improvers and projects[pid].status == Status.ACTIVE and not (coaches_of[pid] & experienced_coach)),
        key=lambda r: (r[0].display_name.lower(), r[1].title),
    )  # fmt: skip
    return Coaching(unit, loads, idle, without, unsupported)


# --- leaders' improvement development ------------------------------------------------------------------


@dataclass
class LeaderRow:
    person: User
    unit: Unit
    improvement: TrainingRecord | None  # their highest improvement tier (latest of it)
    leadership: TrainingRecord | None  # their latest leadership development


def leaders(user: AnyUser, unit: Unit) -> list[LeaderRow]:
    """Every person with a leader role on `unit` or beneath, with their improvement training and
    leadership development and when."""
    memberships = list(
        Membership.objects.filter(subtree_q(unit.path, "unit__"), role=Role.LEADER, user__is_active=True)
        .select_related("user", "unit").order_by("unit__path", "user__display_name")
    )  # fmt: skip
    ids = {m.user_id for m in memberships}
    best: dict[int, TrainingRecord] = {}
    lead: dict[int, TrainingRecord] = {}
    found = [
        r
        for chunk in _chunked(ids)
        for r in visible_to(user, TrainingRecord.objects.filter(person_id__in=chunk).select_related("tier"))
    ]
    for r in sorted(found, key=lambda r: (r.completed_on, r.pk), reverse=True):
        if r.tier.kind == TierKind.IMPROVEMENT:
            if r.person_id not in best or r.tier.level > best[r.person_id].tier.level:
                best[r.person_id] = r
        else:
            lead.setdefault(r.person_id, r)
    seen: set[int] = set()
    rows = []
    for m in memberships:
        if m.user_id in seen:
            continue
        seen.add(m.user_id)
        rows.append(LeaderRow(m.user, m.unit, best.get(m.user_id), lead.get(m.user_id)))
    return rows


def leaders_by_organisation(user: AnyUser, unit: Unit) -> list[dict[str, Any]]:
    """For an ICB, region or nation: per organisation beneath, its leaders and how many are developed."""
    rows = leaders(user, unit)
    orgs = {
        o.path: o
        for o in Unit.objects.filter(subtree_q(unit.path), kind=UnitKind.ORGANISATION).order_by("name")
    }
    by_org: dict[str, list[LeaderRow]] = defaultdict(list)
    for r in rows:
        owner = next((p for p in orgs if r.unit.path.startswith(p)), None)
        if owner is not None:
            by_org[owner].append(r)
    return [
        {"unit": o, "leaders": len(by_org[p]), "improvement": sum(1 for r in by_org[p] if r.improvement),
         "leadership": sum(1 for r in by_org[p] if r.leadership),
         "both": sum(1 for r in by_org[p] if r.improvement and r.leadership)}
        for p, o in orgs.items()
    ]  # fmt: skip


def is_above_organisation(unit: Unit) -> bool:
    """Is `unit` an ICB, a region or the nation (its leaders' page compares its organisations)?"""
    return unit.kind in (UnitKind.NATION, UnitKind.REGION, UnitKind.ICB)


# --- readiness and culture (answers on the assessment engine) -----------------------------------------

SURVEYS = ("team-culture", "nhs-impact", "musiq-readiness")


def min_responses() -> int:
    """The fewest people whose answers are shown (settings.SPIRAL_SURVEY_MIN_RESPONSES, default 5)."""
    from django.conf import settings

    return max(1, int(getattr(settings, "SPIRAL_SURVEY_MIN_RESPONSES", 5)))


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def survey_results(user: AnyUser, unit: Unit, slug: str) -> dict[str, Any] | None:
    """Results of the instrument `slug` answered in `unit` and beneath, per round (calendar quarter),
    oldest first: each round's respondents, its total and each group's mean. A round answered by fewer
    people than `min_responses()` shows only that too few answered (no score, no count below it), so no
    answer can be traced to a person. None when the instrument is not loaded."""
    from spiral.assessments.models import Answer, Instrument, Response
    from spiral.assessments.services import DONT_KNOW

    instrument = visible_to(user, Instrument.objects.filter(slug=slug, is_current=True)).first()
    if instrument is None:
        return None
    threshold = min_responses()
    groups = list(instrument.groups.order_by("position").values_list("key", "name"))
    responses = list(
        visible_to(user, Response.objects.filter(subtree_q(unit.path, "unit__"), instrument__slug=slug))
        .order_by("answered_on", "id").values_list("pk", "respondent_id", "answered_on")
    )  # fmt: skip
    rounds: dict[str, dict[int, int]] = {}
    for pk, person, day in responses:
        rounds.setdefault(_quarter(day), {})[person] = pk  # the latest answer of each person in the round
    shown = {pk for r in rounds.values() if len(r) >= threshold for pk in r.values()}
    scores: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for response, group, option_key, score in Answer.objects.filter(response_id__in=shown).values_list(
        "response_id", "item__group__key", "option__key", "option__score"
    ):
        if option_key != DONT_KNOW:
            scores[response][group].append(float(score))
    out = []
    for name, people in rounds.items():
        if len(people) < threshold:
            out.append({"round": name, "too_few": True, "respondents": None, "groups": [], "total": None})
            continue
        per_group: list[dict[str, Any]] = []
        for key, label in groups:
            person_means = [sum(v) / len(v) for pk in people.values() if (v := scores[pk].get(key))]
            per_group.append({"key": key, "name": label,
                              "mean": round(sum(person_means) / len(person_means), 2) if person_means else None})  # fmt: skip
        means: list[float] = [g["mean"] for g in per_group if g["mean"] is not None]
        out.append({"round": name, "too_few": False, "respondents": len(people), "groups": per_group,
                    "total": round(sum(means) / len(means), 2) if means else None})  # fmt: skip
    return {"instrument": instrument, "slug": slug, "threshold": threshold, "rounds": out,
            "groups": [{"key": k, "name": n} for k, n in groups]}  # fmt: skip
