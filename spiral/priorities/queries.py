"""Reads that the pages and the API share. Every function takes the user and filters through
permissions.visible_to (goals are open to every signed-in person: openness for learning).

The cascade of a goal is read in a fixed handful of queries whatever its size: the goals, their
measures, the series and analyses of those measures at those units, and the units still to respond.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from spiral import spc
from spiral.core.stemming import stem
from spiral.core.types import AnyUser
from spiral.knowledge import queries as k_queries
from spiral.knowledge import search as k_search
from spiral.knowledge import sources as k_sources
from spiral.knowledge.models import DocKind
from spiral.measurement import analyses
from spiral.measurement import queries as m_queries
from spiral.measurement.models import Annotation, Measure, Observation, Series
from spiral.organisations.models import Unit, subtree_q
from spiral.organisations.permissions import Permission, get_or_deny, visible_to
from spiral.priorities.models import (
    CARRIED,
    PATIENT_SHARE,
    SCORE_MAX,
    SCORE_MIN,
    WEIGHTS,
    Breakthrough,
    CatchballMessage,
    Decision,
    Goal,
    GoalMeasure,
    Idea,
    IdeaMove,
    IdeaScore,
    IdeaStatus,
    IdeaWeights,
    MeasureRole,
    Response,
    RoundNote,
    ServedGoal,
)
from spiral.projects.models import PdsaCycle, ProgressScore, ProjectMeasure, Stage, Status
from spiral.voice.models import Story, Teller


def goal_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_UNIT) -> Goal:
    """The goal with this id, with its unit and the goal above: 404 if the user may not see it, 403 if
    they may see it but not act (`permission`)."""
    qs = Goal.objects.select_related("unit", "parent__unit", "root__unit", "created_by")
    return get_or_deny(user, permission, qs, pk=pk)


def goals(user: AnyUser, *, unit: Unit | None = None, top_only: bool = False) -> QuerySet[Goal]:
    """Goals the user may see: of one unit (set there or responses), or every goal set somewhere."""
    qs = visible_to(user, Goal.objects.select_related("unit", "parent__unit"))
    if unit is not None:
        qs = qs.filter(unit=unit)
    if top_only:
        qs = qs.filter(response=Response.SET)
    return qs.order_by("unit__path", "category", "title", "id")


def awaiting(user: AnyUser, unit: Unit) -> list[Goal]:
    """The goals of the unit above that `unit` has not answered yet (declined answers may be revisited)."""
    if unit.parent_id is None:
        return []
    answered = Goal.objects.filter(unit=unit, parent__isnull=False).exclude(response=Response.DECLINED)
    qs = goals(user, unit=unit.parent).exclude(response=Response.DECLINED)
    return list(qs.exclude(pk__in=answered.values("parent_id")))


def measures_of(goal: Goal) -> list[GoalMeasure]:
    """A goal's measures with their targets and roles, in the order the goal lists them."""
    return list(goal.measures.select_related("measure").order_by("order", "id"))


def messages(user: AnyUser, goal: Goal) -> list[CatchballMessage]:
    """The catchball conversation of a goal, oldest first, with who wrote each turn."""
    qs = visible_to(user, CatchballMessage.objects.filter(goal=goal))
    return list(qs.select_related("created_by", "measure", "replaces").order_by("created_at", "id"))


def responses(user: AnyUser, goal: Goal) -> list[Goal]:
    """The answers of the units directly beneath to `goal`, by unit name."""
    return list(visible_to(user, goal.responses.select_related("unit")).order_by("unit__name", "id"))


def measure_by_code(user: AnyUser, code: str, *, field: str = "measure") -> Measure:
    """The measure with this code (ValidationError on `field` naming the code when there is none)."""
    code = (code or "").strip()
    found = m_queries.measure_by_code(user, code) if code else None
    if found is None:
        raise ValidationError(
            {field: f"No measure has the code '{code[:64]}': check it on the measures page"}
        )
    return found


# --- the cascade --------------------------------------------------------------------------------------

# What a cell does not read of its series' analysis: the stored result, sparkline and warnings (a cell
# shows only the icons and the latest value; reading every result of a cascade's thousands of series
# would cost more than the rest of the page), and when it was computed.
CELL_UNREAD = ("analysis__result", "analysis__sparkline", "analysis__warnings", "analysis__computed_at")
# What the cascade does not read of its goals: thousands of timestamps to convert, and the description.
NODE_UNREAD = (
    "description",
    "created_at",
    "updated_at",
    "responded_at",
    "unit__opened_on",
    "unit__closed_on",
)
IMPROVING, CONCERNING, NO_SIGNAL, NOT_MEASURING, DECLINED = (
    "improving", "concerning", "no_signal", "not_measuring", "declined",
)  # fmt: skip
STATE_TEXT = {
    IMPROVING: "Improving",
    CONCERNING: "Concerning",
    NO_SIGNAL: "Common cause (no signal yet)",
    NOT_MEASURING: "Not yet measuring",
    DECLINED: "Declined",
}


@dataclass
class Cell:
    """One measure of one unit's goal: its target and, from its series' analysis, the latest value and
    the Making Data Count icons."""

    goal_measure: GoalMeasure
    series: Series | None

    @property
    def measure(self) -> Measure:
        return self.goal_measure.measure

    # Cached: a cascade page asks each of thousands of cells these several times (a series without an
    # analysis raises and catches an exception on every read of `series.analysis`).
    @cached_property
    def analysis(self) -> Any:
        return getattr(self.series, "analysis", None) if self.series is not None else None

    @cached_property
    def is_measured(self) -> bool:
        a = self.analysis
        return a is not None and not a.stale and bool(a.points)

    @cached_property
    def variation(self) -> str:
        return self.analysis.variation_icon if self.is_measured else ""

    @property
    def assurance(self) -> str:
        return self.analysis.assurance_icon if self.is_measured else ""

    @property
    def is_watch(self) -> bool:
        return self.goal_measure.role == MeasureRole.WATCH

    @property
    def is_watch_concern(self) -> bool:
        """A watch metric (which must not get worse) showing special cause concern: flagged."""
        return self.is_watch and self.variation.startswith("concern")


@dataclass
class Node:
    """One unit's goal in the cascade, with its cells and the goals of the units beneath."""

    goal: Goal
    cells: list[Cell] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    awaiting: int = 0  # units directly beneath that have not answered yet
    depth: int = 0

    # The shares of the units beneath, when they are not in `children` (beneath the levels a page lists).
    beneath_shares: dict[str, int] | None = None

    @cached_property
    def state(self) -> str:
        """How this unit's goal is moving (`state_of`)."""
        return state_of(self.goal.response, [c.variation for c in self.cells if c.is_measured])

    @cached_property
    def watch_concerns(self) -> list[Cell]:
        return [c for c in self.cells if c.is_watch_concern]

    @property
    def size(self) -> int:
        """This unit and the units beneath it in the cascade (listed or not)."""
        return 1 + sum(self.beneath().values())

    def walk(self) -> list[Node]:
        """This node and every node listed beneath it, parents before their children."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def beneath(self) -> dict[str, int]:
        """How many units beneath this one (not itself) are in each state."""
        if self.beneath_shares is not None:
            return self.beneath_shares
        shares: dict[str, int] = dict.fromkeys(STATE_TEXT, 0)
        for node in self.walk()[1:]:
            shares[node.state] += 1
            for state, n in (node.beneath_shares or {}).items():  # the units beneath those listed
                shares[state] += n
        return shares


def state_of(response: str, variations: list[str]) -> str:
    """How a unit's goal is moving, from its answer and the variation icons of its measured cells: declined;
    not yet measuring (no measure with data); concerning (any measure shows special cause concern);
    improving (any shows improvement); or common cause."""
    if response == Response.DECLINED:
        return DECLINED
    if not variations:
        return NOT_MEASURING
    if any(v.startswith("concern") for v in variations):
        return CONCERNING
    if any(v.startswith("improvement") for v in variations):
        return IMPROVING
    return NO_SIGNAL


# The most units the cascade page lists one by one: it lists the tree level by level while the levels
# shown hold no more than this, and beneath the last level shown each unit gives the shares of the units
# beneath it and a link to its own cascade. A national goal reaches some 20,000 units: listed whole, the
# page would be tens of megabytes and take seconds to render (bench/priorities.py).
CASCADE_SHOWN = 400


@dataclass
class Cascade:
    root: Node
    shares: dict[str, int]
    total: int  # units working to the goal (not declined)
    awaiting: int
    shown_depth: int = 0  # the deepest level listed (the root is 0); beneath it, shares and a link

    @property
    def watch_flagged(self) -> list[Node]:
        """The units whose watch metrics show special cause concern."""
        return [n for n in self.root.walk() if n.watch_concerns]

    def percent(self, state: str) -> int:
        return round(100 * self.shares.get(state, 0) / self.total) if self.total else 0


def cascade(user: AnyUser, goal: Goal, *, listed: int | None = None) -> Cascade:
    """The cascade beneath `goal` (itself included): every unit's goal with its measures, targets,
    latest values and icons, in one tree, and the share of units improving, concerning and not yet
    measuring. A fixed number of queries, whatever the number of units.

    `listed`: list the tree level by level while the levels hold no more than this many units (the page
    passes CASCADE_SHOWN); the units beneath the last level listed are counted in the shares, the awaiting
    and each listed unit's `beneath()`, read as plain rows, but not built as nodes. None: the whole tree."""
    top = goal.top
    beneath = visible_to(user, Goal.objects.filter(Q(pk=top) | Q(root_id=top))).filter(
        subtree_q(goal.unit.path, "unit__")
    )
    shown: int | None = None
    if listed is not None:
        # Each goal's unit is one level beneath its parent's: the units' depths are the tree's levels.
        levels = {
            depth - goal.unit.depth: n
            for depth, n in beneath.order_by().values_list("unit__depth").annotate(n=Count("id"))
        }
        shown, count = 0, levels.get(0, 0)
        while shown + 1 in levels and count + levels[shown + 1] <= listed:
            shown += 1
            count += levels[shown]
        if shown + 1 not in levels:
            shown = None  # it all fits
    if shown is None:
        nodes = _nodes(user, goal, beneath)
        root = nodes[goal.pk]
        every = root.walk()
        shares: dict[str, int] = dict.fromkeys(STATE_TEXT, 0)
        for node in every:
            shares[node.state] += 1
        depth = max(n.depth for n in every)
        awaiting = sum(n.awaiting for n in every)
    else:
        nodes = _nodes(user, goal, beneath.filter(unit__depth__lte=goal.unit.depth + shown), awaiting=False)
        root = nodes[goal.pk]
        shares, under, waiting = _rows(user, goal, beneath)
        for pk, node in nodes.items():
            node.awaiting = waiting.get(pk, 0)
            if node.depth == shown:
                node.beneath_shares = under.get(pk, dict.fromkeys(STATE_TEXT, 0))
        depth, awaiting = shown, sum(waiting.values())
    total = sum(n for state, n in shares.items() if state != DECLINED)
    return Cascade(root, shares, total, awaiting, depth)


def _nodes(user: AnyUser, goal: Goal, beneath: QuerySet[Goal], *, awaiting: bool = True) -> dict[int, Node]:
    """The goals of `beneath` as nodes, each with its cells, under their parents (the goals of the
    reads that follow are named as subqueries, not as thousands of ids)."""
    found = list(beneath.select_related("unit").defer(*NODE_UNREAD).order_by("unit__path", "id"))
    links: dict[int, list[GoalMeasure]] = defaultdict(list)
    for gm in (
        GoalMeasure.objects.filter(goal_id__in=beneath.values("pk"))
        .select_related("measure")
        .order_by("order", "id")
    ):
        links[gm.goal_id].append(gm)
    measures = {gm.measure_id for gms in links.values() for gm in gms}
    series = {
        (s.measure_id, s.unit_id): s
        for s in visible_to(
            user, Series.objects.filter(measure_id__in=measures, unit_id__in=beneath.values("unit_id"))
        )
        .select_related("analysis")
        .defer(*CELL_UNREAD)
        .order_by()
    }
    nodes = {
        g.pk: Node(g, [Cell(gm, series.get((gm.measure_id, g.unit_id))) for gm in links[g.pk]]) for g in found
    }
    if awaiting:
        answered = {(g.parent_id, g.unit_id) for g in found if g.parent_id}
        carrying = {g.unit_id: g.pk for g in found if g.is_carried}
        for goal_id, n in _awaiting(beneath, carrying, answered).items():
            nodes[goal_id].awaiting = n
    for g in found:
        if g.pk != goal.pk and g.parent_id in nodes:
            nodes[g.parent_id].children.append(nodes[g.pk])
    for node in nodes[goal.pk].walk():
        node.children.sort(key=lambda n: n.goal.unit.name)
        for child in node.children:
            child.depth = node.depth + 1
    return nodes


def _rows(
    user: AnyUser, goal: Goal, beneath: QuerySet[Goal]
) -> tuple[dict[str, int], dict[int, dict[str, int]], dict[int, int]]:
    """The whole cascade read as plain rows (no model objects: a national goal has some 20,000 units):
    the shares of the states, each goal's shares of the states beneath it, and each goal's units awaiting."""
    rows = list(beneath.order_by().values_list("pk", "unit_id", "parent_id", "response"))
    measures_of: dict[int, list[int]] = defaultdict(list)
    for goal_id, measure_id in GoalMeasure.objects.filter(goal_id__in=beneath.values("pk")).values_list(
        "goal_id", "measure_id"
    ):
        measures_of[goal_id].append(measure_id)
    measures = {m for ms in measures_of.values() for m in ms}
    variation: dict[tuple[int, int], str] = {}
    for measure_id, unit_id, icon, stale, points in (
        visible_to(
            user, Series.objects.filter(measure_id__in=measures, unit_id__in=beneath.values("unit_id"))
        )
        .order_by()
        .values_list(
            "measure_id", "unit_id", "analysis__variation_icon", "analysis__stale", "analysis__points"
        )
    ):
        if points and not stale:  # measured, as Cell.is_measured says
            variation[(measure_id, unit_id)] = icon or ""
    ids = {pk for pk, _, _, _ in rows}
    kids: dict[int, list[int]] = defaultdict(list)
    state: dict[int, str] = {}
    for pk, unit_id, parent_id, response in rows:
        if pk != goal.pk and parent_id in ids:
            kids[parent_id].append(pk)
        found = [variation[(m, unit_id)] for m in measures_of[pk] if (m, unit_id) in variation]
        state[pk] = state_of(response, found)
    order, stack = [goal.pk], [goal.pk]  # every goal reached from the top, parents before children
    while stack:
        for child in kids[stack.pop()]:
            order.append(child)
            stack.append(child)
    shares: dict[str, int] = dict.fromkeys(STATE_TEXT, 0)
    under: dict[int, dict[str, int]] = {}
    for pk in reversed(order):
        shares[state[pk]] += 1
        mine = dict.fromkeys(STATE_TEXT, 0)
        for child in kids[pk]:
            mine[state[child]] += 1
            for key, n in under[child].items():
                mine[key] += n
        under[pk] = mine
    reached = set(order)
    answered = {(parent_id, unit_id) for pk, unit_id, parent_id, _ in rows if parent_id and pk in reached}
    carrying = {unit_id: pk for pk, unit_id, _, response in rows if response in CARRIED and pk in reached}
    return shares, under, _awaiting(beneath, carrying, answered)


def _awaiting(
    beneath: QuerySet[Goal], carrying: dict[int, int], answered: set[tuple[int, int]]
) -> dict[int, int]:
    """Per goal carried (`carrying`: unit id -> its goal), how many units directly beneath its unit have
    not answered it (`answered`: (parent goal, unit) pairs): one grouped query."""
    waiting: dict[int, int] = defaultdict(int)
    carried = beneath.filter(response__in=list(CARRIED)).values("unit_id")
    for parent_id, child_id in Unit.objects.filter(parent_id__in=carried).values_list("parent_id", "id"):
        holder = carrying.get(parent_id)
        if holder is not None and (holder, child_id) not in answered:
            waiting[holder] += 1
    return waiting


def cells(user: AnyUser, goal: Goal) -> list[Cell]:
    """The goal's measures with their targets, latest values and icons at its unit."""
    links = measures_of(goal)
    found = {
        s.measure_id: s
        for s in visible_to(
            user, Series.objects.filter(measure_id__in=[gm.measure_id for gm in links], unit=goal.unit)
        ).select_related("analysis")
    }
    return [Cell(gm, found.get(gm.measure_id)) for gm in links]


def units_to_answer_for(user: AnyUser, goal: Goal) -> list[Unit]:
    """The units directly beneath the goal's unit for which `user` may answer it (set_goals there)."""
    from spiral.organisations.permissions import can

    if not goal.is_carried:
        return []
    beneath = visible_to(user, Unit.objects.filter(parent=goal.unit)).order_by("name")
    return [u for u in beneath if can(user, Permission.SET_GOALS, u)]


def breakthroughs(user: AnyUser, goal: Goal) -> list[Breakthrough]:
    """The goal's breakthrough objectives, latest year first."""
    return list(visible_to(user, goal.breakthroughs.select_related("created_by")).order_by("-year", "id"))


@dataclass
class Analysed:
    """One measure of a goal analysed at the goal's unit against the goal's target (for its SPC chart and
    its row of the bowling chart)."""

    cell: Cell
    result: spc.Analysis
    starts: list[Any]
    annotations: list[Annotation]


def analysed(user: AnyUser, goal: Goal, found: list[Cell]) -> list[Analysed]:
    """Every measured cell of `goal` analysed with the goal's target as its target, reading the
    observations and annotations of all of them at once (a few queries, not a few per measure)."""
    measured = [c for c in found if c.series is not None]
    ids = [c.series.pk for c in measured if c.series is not None]
    visible = set(visible_to(user, Series.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    observations: dict[int, list[Any]] = {i: [] for i in ids}
    for obs in Observation.objects.filter(series_id__in=visible).order_by("series_id", "period_start"):
        observations[obs.series_id].append(obs)
    notes: dict[int, list[Annotation]] = {i: [] for i in ids}
    for note in Annotation.objects.filter(series_id__in=visible).order_by("series_id", "period_start", "id"):
        notes[note.series_id].append(note)
    out = []
    for c in measured:
        series = c.series
        assert series is not None
        if series.pk not in visible or not observations[series.pk]:
            continue
        series.unit, series.measure = goal.unit, c.measure  # already read: spare the chart a query each
        try:
            result, laid = analyses.analyse_series(
                series, observations=observations[series.pk], annotations=notes[series.pk],
                targets=[(None, c.goal_measure.target)],
            )  # fmt: skip
        except spc.SPCError:
            continue  # too few points to analyse: the cell says "not yet measuring"
        out.append(Analysed(c, result, list(laid.starts), notes[series.pk]))
    return out


# --- the work serving a goal -------------------------------------------------------------------------------


@dataclass
class Work:
    """A project serving a goal of the cascade, with its latest progress score (None: not scored yet)."""

    link: ServedGoal
    score: float | None

    @property
    def project(self) -> Any:
        return self.link.project


def _beneath(goal: Goal) -> QuerySet[Goal]:
    """The goal and the goals of its cascade beneath its unit (the answers of the units beneath)."""
    top = goal.top
    return Goal.objects.filter(Q(pk=top) | Q(root_id=top)).filter(subtree_q(goal.unit.path, "unit__"))


def work(user: AnyUser, goal: Goal) -> list[Work]:
    """The projects serving `goal` or its cascade beneath, active first, each with its latest score."""
    links = list(
        visible_to(user, ServedGoal.objects.filter(goal__in=_beneath(goal)))
        .select_related("project__unit", "goal__unit")
        .order_by("project__status", "project__title", "id")
    )
    latest: dict[int, float] = {}
    for project_id, score in (
        ProgressScore.objects.filter(project_id__in=[w.project_id for w in links])
        .order_by("project_id", "month", "id")
        .values_list("project_id", "score")
    ):
        latest[project_id] = float(score)  # the last month read wins
    active = [w for w in links if w.project.status == Status.ACTIVE]
    others = [w for w in links if w.project.status != Status.ACTIVE]
    return [Work(w, latest.get(w.project_id)) for w in active + others]


def unserved(user: AnyUser, unit: Unit) -> list[Goal]:
    """The goals `unit` works to that no active project serves, at the unit or in its cascade beneath."""
    found = [g for g in goals(user, unit=unit) if g.is_carried]
    served = set()
    for goal in found:
        if ServedGoal.objects.filter(goal__in=_beneath(goal), project__status=Status.ACTIVE).exists():
            served.add(goal.pk)
    return [g for g in found if g.pk not in served]


def goals_for_project(user: AnyUser, project: Any) -> list[Goal]:
    """The goals a project may serve: carried by its unit or a unit above it, nearest unit first."""
    units = [*project.unit.ancestor_ids(), project.unit_id]
    found = goals(user).filter(unit_id__in=units).filter(response__in=[r for r in CARRIED])
    return sorted(found, key=lambda g: (-len(g.unit.path), g.category, g.title))


def served_by(user: AnyUser, project: Any) -> list[ServedGoal]:
    """The goals `project` names as the goals it serves."""
    qs = visible_to(user, ServedGoal.objects.filter(project=project)).select_related("goal__unit")
    return list(qs.order_by("goal__unit__path", "goal__title", "id"))


# --- the decision log -------------------------------------------------------------------------------------


def decisions(user: AnyUser, unit: Unit, *, beneath: bool = True) -> QuerySet[Decision]:
    """The decisions of `unit` (and the units beneath it), latest first, with their evidence."""
    qs = visible_to(user, Decision.objects.select_related("unit", "created_by"))
    qs = qs.filter(subtree_q(unit.path, "unit__")) if beneath else qs.filter(unit=unit)
    return qs.prefetch_related("measures", "projects", "goals").order_by("-decided_on", "-id")


def decision_for(user: AnyUser, pk: int) -> Decision:
    """The decision `pk` with its evidence if `user` may see it; 404 otherwise."""
    return get_or_deny(
        user,
        Permission.VIEW_UNIT,
        Decision.objects.select_related("unit", "created_by").prefetch_related(
            "measures", "projects", "goals"
        ),
        pk=pk,
    )


def decision_texts(ids: Sequence[int]) -> list[k_sources.SourceText]:
    """What each decision puts in the catalogue search: what was decided, why, the options, who decided,
    and the goals, measures and projects it rests on."""
    out = []
    for d in (
        Decision.objects.filter(pk__in=ids)
        .select_related("unit")
        .prefetch_related("goals", "measures", "projects")
    ):
        evidence = [g.title for g in d.goals.all()] + [m.name for m in d.measures.all()]
        evidence += [p.title for p in d.projects.all()]
        out.append(
            k_sources.SourceText(
                object_id=d.pk,
                unit_id=d.unit_id,
                title=d.what,
                body="\n".join(x for x in (d.why, d.options, d.decided_by, *evidence) if x),
                meaning="\n".join(x for x in (d.what, d.why[:300]) if x),
            )
        )
    return out


def decision_shown(d: Decision) -> k_sources.Shown:
    """A decision as a search result: its page, when and by whom it was decided, and why."""
    label = f"Decision · decided by {d.decided_by} on {d.decided_on:%d/%m/%Y}"
    if d.is_due(timezone.localdate()):
        label += " · due for review"
    return k_sources.Shown(url=reverse("priorities:decision", args=[d.pk]), label=label, snippet=d.why)


DECISION_SOURCE = k_sources.Source(
    kind=DocKind.DECISION,
    objects=lambda: Decision.objects.select_related("unit"),
    texts=decision_texts,
    unit_field="unit",
    date_field="decided_on",
    shown=decision_shown,
)


def due_for_review(user: AnyUser, unit: Unit, today: Any = None) -> QuerySet[Decision]:
    """The decisions of `unit` and beneath whose review date has come, the longest overdue first."""
    from django.utils import timezone

    day = today or timezone.localdate()
    return decisions(user, unit).filter(review_on__lte=day).order_by("review_on", "id")


# --- the ideas backlog ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How a unit weighs its ideas' priority, as fractions: impact, effort and alignment add up to 1;
    patient_share is how much the patient partners' view counts in each score beside the staff's.
    `unit`: the unit whose weights these are (None: the defaults), `version` its row's version."""

    impact: float = WEIGHTS["impact"]
    effort: float = WEIGHTS["effort"]
    alignment: float = WEIGHTS["alignment"]
    patient_share: float = PATIENT_SHARE
    unit: Unit | None = None
    version: int = 0

    def percent(self, name: str) -> int:
        return round(100 * getattr(self, name))


DEFAULT_WEIGHTS = Weights()


def weights_for(user: AnyUser, unit: Unit) -> Weights:
    """The weights `unit` prioritises its ideas by: its own, else its nearest ancestor's, else the
    defaults (WEIGHTS, PATIENT_SHARE). One query."""
    ids = [*unit.ancestor_ids(), unit.pk]
    found = list(visible_to(user, IdeaWeights.objects.filter(unit_id__in=ids)).select_related("unit"))
    if not found:
        return DEFAULT_WEIGHTS
    nearest = max(found, key=lambda w: len(w.unit.path))
    return Weights(
        nearest.impact / 100, nearest.effort / 100, nearest.alignment / 100, nearest.patient_share / 100,
        nearest.unit, nearest.version,
    )  # fmt: skip


@dataclass
class Scored:
    """An idea with the mean staff and patient partner scores, shown side by side, and its priority by
    its unit's weights."""

    idea: Idea
    staff: dict[str, float] | None
    patient: dict[str, float] | None
    weights: Weights = DEFAULT_WEIGHTS

    @property
    def priority(self) -> float | None:
        """0 to 100: patient impact, alignment to a goal and low effort, by the unit's weights; when both
        staff and patient partners have scored, each score counts the patient view by its share."""
        views = [v for v in (self.staff, self.patient) if v]
        if not views:
            return None
        w = self.weights

        def mean(key: str) -> float:
            if self.staff and self.patient:
                return w.patient_share * self.patient[key] + (1 - w.patient_share) * self.staff[key]
            return views[0][key]

        span = SCORE_MAX - SCORE_MIN
        parts = {
            "impact": (mean("impact") - SCORE_MIN) / span,
            "alignment": (mean("alignment") - SCORE_MIN) / span,
            "effort": (SCORE_MAX - mean("effort")) / span,  # less effort, higher priority
        }
        return round(100 * sum(getattr(w, k) * v for k, v in parts.items()), 1)


def idea_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_UNIT) -> Idea:
    """The backlog idea `pk` if `user` may see it (and holds `permission` on it); 404 or 403 otherwise."""
    return get_or_deny(user, permission, Idea.objects.select_related("unit", "goal", "created_by"), pk=pk)


def _means(scores: list[IdeaScore]) -> dict[str, float] | None:
    if not scores:
        return None
    return {
        k: round(sum(getattr(s, k) for s in scores) / len(scores), 2)
        for k in ("impact", "effort", "alignment")
    }


def backlog(user: AnyUser, unit: Unit) -> list[Scored]:
    """The ideas of `unit`, each with its staff and patient partner scores and priority (highest first
    within each status, in the order of the statuses)."""
    found = list(visible_to(user, Idea.objects.filter(unit=unit)).select_related("goal", "created_by"))
    by_idea: dict[int, list[IdeaScore]] = defaultdict(list)
    for s in IdeaScore.objects.filter(idea__in=found):
        by_idea[s.idea_id].append(s)
    weights = weights_for(user, unit)
    out = [
        Scored(
            i,
            _means([s for s in by_idea[i.pk] if not s.is_patient]),
            _means([s for s in by_idea[i.pk] if s.is_patient]),
            weights,
        )
        for i in found
    ]
    order = {status: n for n, status in enumerate(IdeaStatus.values)}
    return sorted(out, key=lambda s: (order[s.idea.status], -(s.priority or -1), s.idea.pk))


def scored(user: AnyUser, idea: Idea) -> Scored:
    """An idea with the mean of its staff's scores and, beside them, of its patient partners'."""
    scores = list(visible_to(user, IdeaScore.objects.filter(idea=idea)))
    return Scored(
        idea, _means([s for s in scores if not s.is_patient]), _means([s for s in scores if s.is_patient]),
        weights_for(user, idea.unit),
    )  # fmt: skip


def idea_scores(user: AnyUser, idea: Idea) -> list[IdeaScore]:
    """Every score given to an idea, oldest first, with who gave it."""
    return list(
        visible_to(user, IdeaScore.objects.filter(idea=idea))
        .select_related("by")
        .order_by("created_at", "id")
    )


def idea_moves(user: AnyUser, idea: Idea) -> list[IdeaMove]:
    """Every move of an idea through the backlog, oldest first, with who moved it and why."""
    return list(
        visible_to(user, IdeaMove.objects.filter(idea=idea))
        .select_related("created_by")
        .order_by("created_at", "id")
    )


def is_patient_partner(user: AnyUser, unit: Unit) -> bool:
    """Whether the person's roles on `unit` (or above) are patient partner roles only: their scores are
    shown as the patient partners' view."""
    from spiral.organisations.models import Role
    from spiral.organisations.permissions import role_grants

    if not getattr(user, "is_authenticated", False):
        return False
    roles = {role for path, role in role_grants(user) if unit.path.startswith(path)}  # type: ignore[arg-type]
    return bool(roles) and roles == {Role.PATIENT_PARTNER}


# --- the huddle board -------------------------------------------------------------------------------------

BOARD_IDEAS = 8  # ideas shown per status on the board (the backlog page has them all)
BOARD_ROWS = 10  # cycles, notes, decisions and celebrations shown at most


@dataclass
class GainHeld:
    """A sustaining (or spreading) project at the unit or beneath whose measure shows special cause
    improvement: an approximation of a gain held (the holding-the-gain watch is the sustainability app's,
    a sibling layer that priorities may not read)."""

    project: Any
    measure: Measure
    variation: str


@dataclass
class Board:
    """What a team's huddle board shows, read in a fixed number of queries (tests/priorities counts them)."""

    unit: Unit
    ideas: dict[str, list[Scored]]  # by status, in the order of the statuses
    counts: dict[str, int]
    cycles: list[Any]
    drivers: list[tuple[Goal, Cell]]
    story: Any
    done: list[Idea]
    gains: list[GainHeld]
    notes: list[RoundNote]
    decisions: list[Decision]
    week: tuple[dt.date, dt.date]

    @property
    def open_questions(self) -> list[RoundNote]:
        return [n for n in self.notes if n.is_open]


def _this_week(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today - dt.timedelta(days=today.weekday())  # Monday
    return start, start + dt.timedelta(days=6)


def board(user: AnyUser, unit: Unit, today: dt.date | None = None) -> Board:
    """A team's huddle board: its ideas by status, this week's PDSA cycles (of projects at the unit or
    beneath: planned, running or due to be studied this week, not yet decided), the driver measures of the
    goals it works to with their icons, the next patient or carer story not yet heard, what to celebrate
    (ideas done, gains held), the notes left on leader standard work rounds, and the decisions due for
    review or just made. About a dozen queries, whatever the size of the team."""
    day = today or timezone.localdate()
    start, end = _this_week(day)
    scored_ideas = backlog(user, unit)
    by_status: dict[str, list[Scored]] = {status: [] for status in IdeaStatus.values}
    for s in scored_ideas:
        by_status[s.idea.status].append(s)
    counts = {status: len(found) for status, found in by_status.items()}
    done = sorted((s.idea for s in by_status[IdeaStatus.DONE]), key=lambda i: i.updated_at, reverse=True)
    ideas = {status: found[:BOARD_IDEAS] for status, found in by_status.items()}
    this_week = (
        Q(planned_start__range=(start, end))
        | Q(planned_end__range=(start, end))
        | Q(started_on__lte=end, ended_on__isnull=True, started_on__isnull=False)
        | Q(ended_on__range=(start, end))
    )
    cycles = list(
        visible_to(user, PdsaCycle.objects.filter(subtree_q(unit.path, "project__unit__")))
        .filter(this_week, decision="")
        .select_related("project", "change_idea")
        .order_by("planned_end", "started_on", "id")[:BOARD_ROWS]
    )
    goals_here = list(
        visible_to(user, Goal.objects.filter(unit=unit, response__in=list(CARRIED))).order_by(
            "category", "id"
        )
    )
    drivers_of = list(
        GoalMeasure.objects.filter(goal__in=goals_here, role=MeasureRole.DRIVER)
        .select_related("measure")
        .order_by("goal_id", "order", "id")
    )
    series = {
        s.measure_id: s
        for s in visible_to(
            user, Series.objects.filter(unit=unit, measure_id__in={gm.measure_id for gm in drivers_of})
        )
        .select_related("analysis")
        .defer(*CELL_UNREAD)
    }
    goal_by_id = {g.pk: g for g in goals_here}
    drivers = [(goal_by_id[gm.goal_id], Cell(gm, series.get(gm.measure_id))) for gm in drivers_of]
    story = (
        visible_to(user, Story.objects.filter(unit_id__in=[*unit.ancestor_ids(), unit.pk]))
        .filter(heard_on__isnull=True, teller__in=[Teller.PATIENT, Teller.CARER])
        .select_related("unit")
        .order_by("-unit__depth", "created_at", "id")
        .first()
    )
    links = (
        visible_to(user, ProjectMeasure.objects.filter(subtree_q(unit.path, "project__unit__")))
        .filter(
            project__stage__in=[Stage.SUSTAINING, Stage.SPREADING],
            series__analysis__variation_icon__startswith="improvement",
            series__analysis__stale=False,
        )
        .select_related("project", "series__measure", "series__analysis")
        .defer(*(f"series__{name}" for name in CELL_UNREAD))
        .order_by("project__title", "order", "id")[: BOARD_ROWS * 2]
    )
    gains, seen = [], set()
    for link in links:
        if link.project_id not in seen:  # one gain a project: its first improving measure
            seen.add(link.project_id)
            gains.append(GainHeld(link.project, link.series.measure, link.series.analysis.variation_icon))
    notes = list(
        visible_to(user, RoundNote.objects.filter(unit=unit))
        .select_related("created_by", "answered_by")
        .order_by("-created_at", "-id")[:BOARD_ROWS]
    )
    decisions_here = list(
        visible_to(user, Decision.objects.filter(subtree_q(unit.path, "unit__")))
        .filter(Q(review_on__lte=day) | Q(decided_on__gte=day - dt.timedelta(days=30)))
        .select_related("unit")
        .order_by(F("review_on").asc(nulls_last=True), "-decided_on", "-id")[:BOARD_ROWS]
    )
    return Board(
        unit, ideas, counts, cycles, drivers, story, done[:BOARD_ROWS], gains[:BOARD_ROWS], notes,
        decisions_here, (start, end),
    )  # fmt: skip


def round_note_for(user: AnyUser, pk: int, permission: Permission = Permission.VIEW_UNIT) -> RoundNote:
    """The round note `pk` if `user` may see it (and holds `permission` on its unit); 404 or 403."""
    return get_or_deny(user, permission, RoundNote.objects.select_related("unit", "created_by"), pk=pk)


def round_notes(user: AnyUser, unit: Unit) -> QuerySet[RoundNote]:
    """The notes left on `unit`'s board on leader standard work rounds, latest first, with who left and
    who answered each."""
    return (
        visible_to(user, RoundNote.objects.filter(unit=unit))
        .select_related("unit", "created_by", "answered_by")
        .order_by("-created_at", "-id")
    )


# --- similar ideas and projects, shown when an idea is added ------------------------------------------------

SIMILAR_WORDS = 8  # the longest words of what was typed, searched for
SIMILAR_CANDIDATES = 200  # ideas read to rank (the latest matching any word)
SIMILAR_SHOWN = 5


@dataclass
class SimilarIdea:
    idea: Idea
    shared: int  # words (stems) in common with what was typed
    is_here: bool  # in the same unit's backlog: perhaps the same idea already


def _stems(text: str) -> set[str]:
    return {stem(w) for w in k_search.words(text) if len(w) > 2 and w not in k_search.STOP_WORDS}


def similar_ideas(user: AnyUser, unit: Unit | None, text: str) -> list[SimilarIdea]:
    """Ideas in any backlog the user may see that share words with `text` (the problem and idea being
    typed): at least two words in common, or every word when fewer were typed; most in common first, the
    unit's own backlog first among equals. Two queries-worth of work: one read of candidates."""
    typed = [
        w for w in dict.fromkeys(k_search.words(text[:2000])) if len(w) > 3 and w not in k_search.STOP_WORDS
    ]
    typed = sorted(typed, key=len, reverse=True)[:SIMILAR_WORDS]
    if not typed:
        return []
    wanted = {stem(w) for w in typed}
    needed = min(2, len(wanted))
    match = Q()
    for w in typed:
        root = stem(w)[: max(4, len(stem(w)))]
        match |= Q(idea__icontains=root) | Q(problem__icontains=root)
    candidates = list(
        visible_to(user, Idea.objects.filter(match))
        .select_related("unit")
        .order_by("-created_at", "-id")[:SIMILAR_CANDIDATES]
    )
    out = []
    for idea in candidates:
        shared = len(wanted & _stems(f"{idea.problem} {idea.idea}"))
        if shared >= needed:
            out.append(SimilarIdea(idea, shared, unit is not None and idea.unit_id == unit.pk))
    out.sort(key=lambda s: (-s.shared, not s.is_here, -s.idea.pk))
    return out[:SIMILAR_SHOWN]


def similar_work(user: AnyUser, unit: Unit | None, *, problem: str, idea: str) -> dict[str, Any] | None:
    """What looks like an idea being written: ideas in backlogs elsewhere (and here), and projects (the
    knowledge catalogue's `work_like`, as the start-a-project form shows). None when nothing is typed yet."""
    text = f"{problem} {idea}".strip()
    if not text:
        return None
    projects = k_queries.work_like(user, title=idea[:200], problem=problem, unit=unit, limit=SIMILAR_SHOWN)
    return {"ideas": similar_ideas(user, unit, text), "projects": projects}
