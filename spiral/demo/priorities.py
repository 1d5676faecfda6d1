"""Demo step: True North goals for every organisation, cascaded to its directorates and teams.

Each organisation sets up to three goals (safety, experience, people) on national indicators it observes.
Each unit beneath answers its parent's goal: most adopt it; some adapt it through a catchball
conversation (a proposal, often a counter-proposal, then an agreement; a few still under discussion),
teams usually with a measure of their own (falls on the ward, patients involved, staff wellbeing); a few
decline with a reason. Then the teams' decision logs and ideas backlogs, and leader standard work: coaches
and leaders walk rounds of a sample of teams and leave questions (about half answered by the team) and
recognition on their huddle boards. Written in bulk, level by level, and audited; deterministic for the
seed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone

from spiral.core import audit
from spiral.demo.builder import DemoContext
from spiral.demo.measurement import ORGANISATION_INDICATORS, TEAM_INDICATORS
from spiral.knowledge import search
from spiral.knowledge.models import DocKind
from spiral.measurement.models import Measure, Series
from spiral.organisations.models import Membership, Role, Unit, UnitKind
from spiral.priorities.models import (
    Breakthrough,
    CatchballMessage,
    Category,
    Decision,
    Goal,
    GoalMeasure,
    Idea,
    IdeaMove,
    IdeaScore,
    IdeaStatus,
    Kind,
    MeasureRole,
    NoteKind,
    Response,
    RoundNote,
    ServedGoal,
)
from spiral.projects.models import Project, Status

TARGET_DATE = dt.date(2027, 3, 31)
# category -> (title, the organisation indicators to judge it by, in order of preference, the team's own)
GOALS: dict[str, tuple[str, list[str], str]] = {
    Category.SAFETY: ("Zero avoidable harm", ["FALLS-1000BD", "PU-CAT2", "RESTRAINT-1000BD", "DNA-RATE"],
                      "WARD-FALLS"),
    Category.EXPERIENCE: ("Every patient would recommend us", ["FFT-POSITIVE", "APPT-2WK"], "PT-EXPERIENCE"),
    Category.PEOPLE: ("A great place to work", ["STAFF-SICK"], "STAFF-WELLBEING"),
}  # fmt: skip
# category -> watch metrics (must not get worse while the drivers are worked on), in order of preference.
WATCH: dict[str, list[str]] = {
    Category.SAFETY: ["MRSA-CDIFF", "PU-CAT2"],
    Category.EXPERIENCE: ["DNA-RATE"],
    Category.PEOPLE: [],
}
BREAKTHROUGHS: dict[str, list[str]] = {
    Category.SAFETY: ["Halve falls with harm on every inpatient ward", "No avoidable pressure ulcers"],
    Category.EXPERIENCE: ["Every patient involved in decisions about their care"],
    Category.PEOPLE: ["Every team runs a daily improvement huddle"],
}
DECLINE_REASONS = [
    "Our service has no inpatients: this measure does not apply to our work",
    "We are being reorganised this year; we will take it up once the new team is in place",
]
ADAPT_REASONS = [
    "Our baseline is well above the organisation's: we propose a first step we can reach",
    "We care for a different group of patients: our own measure shows our part better",
]


def _target(code: str) -> float:
    spec = ORGANISATION_INDICATORS.get(code) or TEAM_INDICATORS[code]
    return float(spec.target if spec.target is not None else spec.level)


def _step(code: str, target: float, harder: bool) -> float:
    """A target a little easier (the unit's proposal) or harder (the counter) in the measure's direction."""
    spec = ORGANISATION_INDICATORS.get(code) or TEAM_INDICATORS[code]
    better = 1 if spec.improvement == "increase" else -1
    change = abs(target) * (0.03 if spec.label == "%" else 0.1)
    value = target + better * change * (1 if harder else -1)
    return round(min(value, 1.0) if spec.label == "%" else value, 3)


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    measures = {m.code: m for m in Measure.objects.filter(owner__kind=UnitKind.NATION, is_indicator=True)}
    observed = set(Series.objects.values_list("measure_id", "unit_id"))
    # Who speaks for a unit: its leader; a demo team has no leader role, so its first member speaks for it.
    leaders: dict[int, int] = {}
    for unit_id, user_id in (
        Membership.objects.filter(role__in=[Role.LEADER, Role.MEMBER])
        .order_by("role", "id")
        .values_list("unit_id", "user_id")
    ):
        leaders.setdefault(unit_id, user_id)
    now = timezone.now()

    # Level 0: the organisations' goals.
    orgs = ctx.units.get(UnitKind.ORGANISATION, [])
    top: list[Goal] = []
    plan: list[tuple[Goal, list[tuple[Measure, float, str]]]] = []
    for org in orgs:
        for category, (title, codes, _own) in GOALS.items():
            chosen = [c for c in codes if c in measures and (measures[c].pk, org.pk) in observed][:1]
            if not chosen:
                continue
            goal = Goal(unit=org, category=category, title=title, target_date=TARGET_DATE,
                        response=Response.SET, created_by_id=leaders.get(org.pk))  # fmt: skip
            top.append(goal)
            watch = [c for c in WATCH[category] if c in measures and c not in chosen
                     and (measures[c].pk, org.pk) in observed][:1]  # fmt: skip
            plan.append((goal, [(measures[c], _target(c), MeasureRole.DRIVER.value) for c in chosen]
                         + [(measures[c], _target(c), MeasureRole.WATCH.value) for c in watch]))  # fmt: skip
    Goal.objects.bulk_create(top, batch_size=2000)
    GoalMeasure.objects.bulk_create(
        [GoalMeasure(goal=g, measure=m, target=t, role=r, order=i) for g, ms in plan
         for i, (m, t, r) in enumerate(ms)],
        batch_size=5000,
    )  # fmt: skip
    Breakthrough.objects.bulk_create(
        [Breakthrough(goal=g, year=year, title=title, created_by_id=g.created_by_id)
         for g in top for year, title in zip((2025, 2026), BREAKTHROUGHS[g.category], strict=False)],
        batch_size=5000,
    )  # fmt: skip
    audit.record_many(action="goal.set", objects=top, by=None, scope_path_of=lambda g: g.unit.path)
    national = _national(ctx, measures, leaders)

    # Levels beneath: each unit answers the goals of its parent, level by level down to teams.
    holding: dict[int, list[Goal]] = defaultdict(list)  # unit id -> goals it carries
    targets: dict[int, list[tuple[int, float, str]]] = {
        g.pk: [(m.pk, t, r) for m, t, r in ms] for g, ms in plan
    }
    for g, pairs in national:
        holding[g.unit_id].append(g)
        targets[g.pk] = [(m.pk, t, r) for m, t, r in pairs]
    for g in top:
        holding[g.unit_id].append(g)
    below = (UnitKind.REGION, UnitKind.ICB, UnitKind.ORGANISATION, UnitKind.DIRECTORATE, UnitKind.TEAM)
    beneath = [u for kind in below for u in ctx.units.get(kind, [])]
    by_depth: dict[int, list[Unit]] = defaultdict(list)
    for unit in beneath:
        by_depth[unit.depth].append(unit)
    answers: dict[str, list[Goal]] = defaultdict(list)
    messages: list[CatchballMessage] = []
    total = 0
    for depth in sorted(by_depth):
        level: list[tuple[Goal, list[tuple[int, float, str]], dict[str, Any]]] = []
        for unit in sorted(by_depth[depth], key=lambda u: u.pk):
            for above in holding.get(unit.parent_id or 0, []):
                if unit.kind in MANDATED:  # the national goal is taken on as it is down to the organisations
                    level.append(_adopt(unit, above, targets[above.pk], leaders, now))
                else:
                    level.append(
                        _answer(rng, unit, above, targets[above.pk], measures, observed, leaders, now)
                    )
        Goal.objects.bulk_create([g for g, _, _ in level], batch_size=2000)
        GoalMeasure.objects.bulk_create(
            [GoalMeasure(goal=g, measure_id=m, target=t, role=r, order=i) for g, ms, _ in level
             for i, (m, t, r) in enumerate(ms)],
            batch_size=5000,
        )  # fmt: skip
        for goal, ms, talk in level:
            answers[goal.response].append(goal)
            targets[goal.pk] = ms
            if goal.is_carried:
                holding[goal.unit_id].append(goal)
            for turn in talk.get("turns", []):
                messages.append(CatchballMessage(goal=goal, **turn))
        total += len(level)
    CatchballMessage.objects.bulk_create(messages, batch_size=5000)
    ctx.counts["projects serving goals"] = _serve(rng, holding)
    ctx.counts["decisions"] = _decisions(rng, top, leaders, embed=ctx.extra.get("embeddings", False))
    ctx.counts["ideas"] = _ideas(rng, ctx, holding)
    ctx.counts["round notes"], ctx.counts["round notes answered"] = _rounds(rng, ctx)
    for response, goals in answers.items():
        action = {"adopted": "goal.adopt", "declined": "goal.decline"}.get(response, "goal.adapt")
        audit.record_many(action=action, objects=goals, by=None, scope_path_of=lambda g: g.unit.path)
    ctx.counts["goals"] = len(top) + len(national) + total
    ctx.counts["catchball messages"] = len(messages)


# The nation's True North goal, cascaded over the whole tree: regions, ICBs and organisations take it on as
# set (a national priority); their directorates and teams answer it as they answer their organisation's.
NATIONAL_GOAL = (Category.EXPERIENCE, "Care we would recommend to our own family", "FFT-POSITIVE")
MANDATED = frozenset({UnitKind.REGION, UnitKind.ICB, UnitKind.ORGANISATION})


def _national(
    ctx: DemoContext, measures: dict[str, Measure], leaders: dict[int, int]
) -> list[tuple[Goal, list[tuple[Measure, float, str]]]]:
    """The nation's goal (none when the demo has no nation or lacks the measure), written and audited."""
    category, title, code = NATIONAL_GOAL
    nations = ctx.units.get(UnitKind.NATION, [])
    if not nations or code not in measures:
        return []
    nation = nations[0]
    goal = Goal(unit=nation, category=category, title=title, target_date=TARGET_DATE, response=Response.SET,
                created_by_id=leaders.get(nation.pk))  # fmt: skip
    goal.save()
    pairs = [(measures[code], _target(code), MeasureRole.DRIVER.value)]
    GoalMeasure.objects.bulk_create(
        [GoalMeasure(goal=goal, measure=m, target=t, role=r) for m, t, r in pairs]
    )
    audit.record_many(action="goal.set", objects=[goal], by=None, scope_path_of=lambda g: g.unit.path)
    return [(goal, pairs)]


def _adopt(
    unit: Unit, above: Goal, above_targets: list[tuple[int, float, str]], leaders: dict[int, int], now: Any
) -> tuple[Goal, list[tuple[int, float, str]], dict[str, Any]]:
    """`unit` adopts the goal above as it is (the same shape as _answer's answer)."""
    goal = Goal(
        unit=unit, parent=above, root_id=above.root_id or above.pk, category=above.category, title=above.title,
        target_date=above.target_date, created_by_id=leaders.get(unit.pk), responded_at=now,
        response=Response.ADOPTED,
    )  # fmt: skip
    return goal, list(above_targets), {}


def _answer(
    rng: Any,
    unit: Unit,
    above: Goal,
    above_targets: list[tuple[int, float, str]],
    measures: dict[str, Measure],
    observed: set[tuple[int, int]],
    leaders: dict[int, int],
    now: Any,
) -> tuple[Goal, list[tuple[int, float, str]], dict[str, Any]]:
    """One unit's answer to the goal above: the goal, its (measure id, target) pairs, its catchball."""
    roll = rng.random()
    team = unit.kind == UnitKind.TEAM
    me = leaders.get(unit.pk)
    them = leaders.get(above.unit_id)
    goal = Goal(
        unit=unit, parent=above, root_id=above.root_id or above.pk, category=above.category, title=above.title,
        target_date=above.target_date, created_by_id=me, responded_at=now,
    )  # fmt: skip
    if roll < 0.07:
        goal.response = Response.DECLINED
        goal.reason = rng.choice(DECLINE_REASONS)
        return goal, [], {}
    if roll < (0.45 if team else 0.25):
        # Adapt: a team with its own measure of the goal uses it; otherwise an easier first target.
        code_of = {m.pk: c for c, m in measures.items()}
        own = GOALS[above.category][2]
        measure_id, target, role = above_targets[0]
        replaces = measure_id
        if team and own in measures and (measures[own].pk, unit.pk) in observed:
            measure_id, target = measures[own].pk, _target(own)
        code = code_of[measure_id]
        proposed = _step(code, target, harder=False)
        reason = rng.choice(ADAPT_REASONS)
        turns = [{"kind": Kind.PROPOSAL, "text": reason, "measure_id": measure_id, "replaces_id": replaces,
                  "target": proposed, "from_above": False, "created_by_id": me}]  # fmt: skip
        agreed = proposed
        if rng.random() < 0.6:
            agreed = _step(code, proposed, harder=True)
            turns.append({"kind": Kind.COUNTER, "text": "Could you aim a little higher, with the support of our "
                          "improvement team?", "measure_id": measure_id, "replaces_id": replaces,
                          "target": agreed, "from_above": True, "created_by_id": them})  # fmt: skip
        pending = rng.random() < 0.2
        if pending:
            goal.response = Response.PENDING
        else:
            goal.response = Response.ADAPTED
            turns.append({"kind": Kind.AGREEMENT, "text": "Agreed: we will report it at the monthly review",
                          "from_above": turns[-1]["from_above"] is False, "created_by_id": them if
                          turns[-1]["from_above"] is False else me})  # fmt: skip
        goal.reason = reason
        pairs = [(measure_id, proposed if pending else agreed, role)] + [
            (m, t, r) for m, t, r in above_targets if m != replaces and m != measure_id
        ]
        return goal, pairs, {"turns": turns}
    goal.response = Response.ADOPTED
    return goal, list(above_targets), {}


def _serve(rng: Any, holding: dict[int, list[Goal]]) -> int:
    """Most active projects name a goal they serve: one their own unit carries, or the nearest above."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=holding).only("id", "path")}
    links = []
    for project in Project.objects.filter(status=Status.ACTIVE).select_related("unit").order_by("id"):
        if rng.random() < 0.25:
            continue  # local work, serving no True North goal (the unit page shows the goals left unserved)
        candidates: list[Goal] = list(holding.get(project.unit_id, []))
        if not candidates:
            above = [i for i in project.unit.ancestor_ids() if i in units]
            candidates = list(holding.get(above[-1], [])) if above else []
        if candidates:
            links.append(ServedGoal(goal=rng.choice(candidates), project=project))
    ServedGoal.objects.bulk_create(links, batch_size=5000)
    audit.record_many(
        action="goal.project_link", objects=[link.goal for link in links], by=None,
        scope_path_of=lambda g: g.unit.path,
    )  # fmt: skip
    return len(links)


DECISIONS = [
    ("Run a ten-minute safety huddle on every ward each morning", "Falls with harm rose over the winter; "
     "the wards that huddle daily saw fewer", "Weekly huddles; a safety briefing by email; daily huddles"),
    ("Fund two more patient partners for the discharge work", "Patients told us discharge is where care "
     "feels least joined up", "Use the existing panel; recruit through the Friends and Family Test"),
    ("Pause the new outpatient booking system until staff are trained", "Missed appointments rose in the "
     "pilot clinics", "Go live as planned; pause and train; go live in two clinics only"),
]  # fmt: skip


def _decisions(rng: Any, top: list[Goal], leaders: dict[int, int], *, embed: bool) -> int:
    """Each organisation logs a few decisions, with its goals as evidence; some are due for review. They
    are put in the catalogue search (the knowledge step indexed the rest before)."""
    by_unit: dict[int, list[Goal]] = defaultdict(list)
    for goal in top:
        by_unit[goal.unit_id].append(goal)
    made: list[tuple[Decision, list[Goal]]] = []
    for unit_id, goals in sorted(by_unit.items()):
        for n, (what, why, options) in enumerate(DECISIONS[: 1 + int(rng.random() * len(DECISIONS))]):
            decided = dt.date(2025, 3 + 2 * n, 1 + int(rng.random() * 27))
            review = decided + dt.timedelta(days=int(rng.choice([90, 180, 365])))
            made.append((Decision(unit_id=unit_id, what=what, why=why, options=options, decided_by="The board",
                                  decided_on=decided, review_on=review, created_by_id=leaders.get(unit_id)),
                         goals[:1]))  # fmt: skip
    Decision.objects.bulk_create([d for d, _ in made], batch_size=2000)
    Decision.goals.through.objects.bulk_create(
        [Decision.goals.through(decision_id=d.pk, goal_id=g.pk) for d, gs in made for g in gs],
        batch_size=5000,
    )
    found = list(Decision.objects.select_related("unit"))
    audit.record_many(action="decision.log", objects=found, by=None, scope_path_of=lambda d: d.unit.path)
    search.index_source(DocKind.DECISION, [d.pk for d in found], embed=embed)
    return len(found)


IDEAS = [
    ("Patients wait all day for their medicines before going home", "A pharmacist on the morning ward round",
     "Patients going home", "feedback", "Discharge"),
    ("Falls happen at night when patients go to the toilet alone", "Offer a toilet round at ten and at two",
     "Older patients at risk of falls", "measure", "Falls on the ward"),
    ("Families do not know when they can ring for news", "A daily call window, written on the board",
     "Families and carers", "feedback", "Communication"),
    ("The ward is noisy at night", "Quiet hours after ten: lights down, phones on silent",
     "Patients sleeping", "feedback", "Environment"),
    ("Handover misses patients who moved beds", "A bed-move column on the handover sheet",
     "Nurses and patients", "story", "An incident review"),
]  # fmt: skip
# The path each idea has taken so far: its status, and the moves that led there.
PATHS = {
    IdeaStatus.NEW: [],
    IdeaStatus.DISCUSSION: [(IdeaStatus.NEW, IdeaStatus.DISCUSSION)],
    IdeaStatus.TESTING: [(IdeaStatus.NEW, IdeaStatus.DISCUSSION), (IdeaStatus.DISCUSSION, IdeaStatus.TESTING)],
    IdeaStatus.DONE: [(IdeaStatus.NEW, IdeaStatus.DISCUSSION), (IdeaStatus.DISCUSSION, IdeaStatus.TESTING),
                      (IdeaStatus.TESTING, IdeaStatus.DONE)],
    IdeaStatus.PARKED: [(IdeaStatus.NEW, IdeaStatus.DISCUSSION), (IdeaStatus.DISCUSSION, IdeaStatus.PARKED)],
}  # fmt: skip
WHY = {
    IdeaStatus.DISCUSSION: "Raised at the morning huddle",
    IdeaStatus.TESTING: "The huddle agreed to test it on one shift first",
    IdeaStatus.DONE: "The test worked: it is how we work now",
    IdeaStatus.PARKED: "A bigger change across the trust will cover this",
}


def _ideas(rng: Any, ctx: DemoContext, holding: dict[int, list[Goal]]) -> int:
    """Each team has a few ideas in every state, scored by its staff and (where it has one) its patient
    partner, with the moves that brought them where they are."""
    per_team = 2 if ctx.size.name == "national" else len(IDEAS)
    staff: dict[int, int] = {}
    partners: dict[int, int] = {}
    for unit_id, user_id, role in (
        Membership.objects.filter(unit__kind=UnitKind.TEAM, role__in=[Role.MEMBER, Role.PATIENT_PARTNER])
        .order_by("id")
        .values_list("unit_id", "user_id", "role")
    ):
        (partners if role == Role.PATIENT_PARTNER else staff).setdefault(unit_id, user_id)
    statuses = list(IdeaStatus)
    ideas: list[Idea] = []
    for team in sorted(ctx.units.get(UnitKind.TEAM, []), key=lambda u: u.pk):
        goals = holding.get(team.pk, [])
        for n, (problem, text, helps, prompted_by, prompt) in enumerate(IDEAS[:per_team]):
            ideas.append(Idea(unit=team, problem=problem, idea=text, helps=helps, prompted_by=prompted_by,
                              prompt=prompt, goal=goals[n % len(goals)] if goals else None,
                              status=statuses[(n + team.pk) % len(statuses)], created_by_id=staff.get(team.pk),
                              version=1 + len(PATHS[statuses[(n + team.pk) % len(statuses)]])))  # fmt: skip
    Idea.objects.bulk_create(ideas, batch_size=5000)
    scores, moves = [], []
    for idea in ideas:
        by = staff.get(idea.unit_id)
        if by is not None:
            scores.append(IdeaScore(idea=idea, by_id=by, impact=1 + int(rng.random() * 5),
                                    effort=1 + int(rng.random() * 5), alignment=1 + int(rng.random() * 5)))  # fmt: skip
        partner = partners.get(idea.unit_id)
        if partner is not None:
            scores.append(IdeaScore(idea=idea, by_id=partner, is_patient=True, impact=2 + int(rng.random() * 4),
                                    effort=1 + int(rng.random() * 5), alignment=1 + int(rng.random() * 5),
                                    comment="This matters to patients like me"))  # fmt: skip
        for before, after in PATHS[IdeaStatus(idea.status)]:
            moves.append(IdeaMove(idea=idea, from_status=before, to_status=after, why=WHY[after],
                                  created_by_id=by))  # fmt: skip
    IdeaScore.objects.bulk_create(scores, batch_size=5000)
    IdeaMove.objects.bulk_create(moves, batch_size=5000)
    audit.record_many(action="idea.add", objects=ideas, by=None, scope_path_of=lambda i: i.unit.path)
    return len(ideas)


# Leader standard work: what a coach or leader leaves on a team's huddle board, and how the team answers.
# Plain words about the work, no people: the service screens free text for personal data, and the demo's
# tests screen these too.
QUESTIONS = [
    ("What did the last PDSA cycle on the ward round teach you?",
     "That the checklist works on the early shift; we test it on the late shift next week"),
    ("Which idea on the board would patients pick first?",
     "The toilet round at night: our patient partner scored it highest for impact"),
    ("The falls chart shows a run of points below the mean: what changed?",
     "We started bed rails checks at handover in the spring; we are writing it into the ward routine"),
    ("What gets in the way of huddling every morning?",
     "Staffing on Mondays: we moved the huddle to ten o'clock so the night team can join"),
    ("How will you know the new discharge checklist is working?",
     "We count discharges before midday each week and plot them on the run chart"),
    ("Is anything stuck that the directorate could help to unblock?",
     "We need the pharmacy rota changed for the morning round: it is on the agenda of the next meeting"),
    ("Which of your measures would you like help to chart?", ""),
    ("Who else in the trust has tried the quiet hours idea?", ""),
    ("What would you need to spread the handover sheet to the other wards?", ""),
]  # fmt: skip
RECOGNITIONS = [
    "A great run of PDSA cycles on discharge letters: small tests, well written up",
    "Every idea on the board has a named next step: a model of a tidy backlog",
    "The safety huddle was short, focused and everyone spoke: well done",
    "Lovely to see patients' own words beside the measures on the board",
    "The run chart is up to date and the team could explain every shift in it",
]
RECOGNITION_REPLY = "Thank you: we will share how we did it at the next network meeting"
ROUND_SHARE = 0.3  # of teams walked on a round in the demo (the demo sign-ins' team always)
ROUND_ROLES = [Role.COACH, Role.IMPROVEMENT_LEAD, Role.LEADER]


def _rounds(rng: Any, ctx: DemoContext) -> tuple[int, int]:
    """Coaches and leaders walk rounds of a sample of teams: each walked team gets one to three notes from
    the nearest coach or leader at or above it (a question or a recognition); about half of the questions
    are answered by a member of the team. Returns (notes, answered)."""
    walkers: dict[int, list[int]] = defaultdict(list)  # unit id -> its coaches and leaders, in id order
    for unit_id, user_id in (
        Membership.objects.filter(role__in=ROUND_ROLES).order_by("id").values_list("unit_id", "user_id")
    ):
        walkers[unit_id].append(user_id)
    members: dict[int, int] = {}
    for unit_id, user_id in (
        Membership.objects.filter(unit__kind=UnitKind.TEAM, role=Role.MEMBER)
        .order_by("id")
        .values_list("unit_id", "user_id")
    ):
        members.setdefault(unit_id, user_id)
    teams = sorted(ctx.units.get(UnitKind.TEAM, []), key=lambda u: u.pk)
    anchor = ctx.anchors.get("team")
    walked = [t for t in teams if (anchor is not None and t.pk == anchor.pk) or rng.random() < ROUND_SHARE]
    now = timezone.now()
    notes: list[RoundNote] = []
    for team in walked:
        # The nearest unit at or above the team with a coach or leader: the team itself, else up the tree.
        near = next((walkers[i] for i in reversed([*team.ancestor_ids(), team.pk]) if walkers.get(i)), None)
        if near is None:
            continue
        answerer = members.get(team.pk)
        for _ in range(1 + int(rng.random() * 3)):
            by = rng.choice(near)
            if rng.random() < 0.65:
                question, answer = rng.choice(QUESTIONS)
                note = RoundNote(unit=team, kind=NoteKind.QUESTION, text=question, created_by_id=by)
                # About half answered: only the questions with a prepared answer may be, and only by a member.
                if answer and answerer is not None and rng.random() < 0.75:
                    note.answer, note.answered_by_id, note.answered_at = answer, answerer, now
            else:
                note = RoundNote(unit=team, kind=NoteKind.RECOGNITION, text=rng.choice(RECOGNITIONS),
                                 created_by_id=by)  # fmt: skip
                if answerer is not None and rng.random() < 0.2:
                    note.answer, note.answered_by_id, note.answered_at = RECOGNITION_REPLY, answerer, now
            notes.append(note)
    RoundNote.objects.bulk_create(notes, batch_size=5000)
    audit.record_many(action="round.note", objects=notes, by=None, scope_path_of=lambda n: n.unit.path)
    answered = [n for n in notes if n.answered_at is not None]
    audit.record_many(action="round.answer", objects=answered, by=None, scope_path_of=lambda n: n.unit.path)
    return len(notes), len(answered)
