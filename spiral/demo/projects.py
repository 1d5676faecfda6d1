"""Demo step: improvement projects in every stage, with driver diagrams, PDSA ramps, teams and scores.

Deterministic for the seed; written with bulk_create and explicit ids (and audited in bulk), so the
national demo stays fast. The demo sign-ins get projects to see: team@example.com leads some,
patient@example.com is a partner on some, coach@example.com coaches several (a few of them stuck).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from spiral.core import audit, periods
from spiral.demo.builder import DemoContext, reset_sequences
from spiral.measurement import analyses
from spiral.measurement.imports import bulk_insert_observations
from spiral.measurement.models import Annotation, AnnotationKind, Measure, Series, Target
from spiral.organisations.models import PATH_WIDTH, Membership, Role, UnitKind
from spiral.projects.measures import annotation_text
from spiral.projects.models import (
    DriverEdge,
    DriverNode,
    PdsaCycle,
    ProgressScale,
    ProgressScore,
    Project,
    ProjectMeasure,
    TeamMember,
    Topic,
)

# How many projects each demo size gets (the small demo: several hundred).
PROJECTS = {"small": 320, "medium": 900, "national": 3000}

# (topic, title, problem, aim, measure, baseline, target, [(primary, [secondaries])], [change ideas])
THEMES: tuple[tuple[Any, ...], ...] = (
    (
        "falls", "Fewer falls on {team}", "Inpatient falls have risen to {b} per 1,000 bed days; most happen "
        "at night, and older patients with delirium are most at risk.",
        "Reduce inpatient falls on {team} from {b} to {t} per 1,000 bed days by {date}",
        "Falls per 1,000 bed days", 8.0, 4.0,
        [("Reliable risk assessment", ["Assessment on admission", "Reassessment after a change"]),
         ("Safe environment", ["Call bells in reach", "Bay nursing at night"])],
        ["Falls risk check within 6 hours of admission", "Bay nursing for high-risk patients",
         "Lying and standing blood pressure for over-65s", "Non-slip socks for all at-risk patients"],
    ),
    (
        "sepsis", "Timely antibiotics for sepsis in {team}", "Only {b}% of patients with red-flag sepsis get "
        "antibiotics within an hour of recognition.",
        "Increase the share of red-flag sepsis patients given antibiotics within 1 hour from {b}% to {t}% "
        "by {date}",
        "Antibiotics within 1 hour (%)", 55.0, 90.0,
        [("Early recognition", ["NEWS2 recorded every round", "Screening tool at triage"]),
         ("Fast treatment", ["Antibiotics stocked on the ward", "Clear escalation route"])],
        ["Sepsis grab bags on every ward", "Sepsis screening prompt in the e-record", "Daily sepsis huddle"],
    ),
    (
        "pressure ulcers", "Preventing pressure ulcers in {team}",
        "Category 2 pressure ulcers acquired in our care run at {b} a month.",
        "Reduce category 2+ pressure ulcers acquired in our care from {b} to {t} a month by {date}",
        "Pressure ulcers a month", 6.0, 2.0,
        [("Skin inspection", ["SSKIN bundle on admission", "Daily skin check"]),
         ("Repositioning", ["Turning clocks", "Equipment available"])],
        ["SSKIN bundle on admission", "Turning clock at every bed", "Mattress audit each week"],
    ),
    (
        "flow", "Earlier discharges from {team}",
        "Only {b}% of discharges happen before noon, so the emergency department waits for beds while "
        "patients ready to go home wait for medicines and transport (delayed discharges).",
        "Increase discharges before noon on {team} from {b}% to {t}% by {date}",
        "Discharges before noon (%)", 15.0, 33.0,
        [("Planning from admission", ["Expected date of discharge set", "Board rounds"]),
         ("Ready the day before", ["Medicines to take home prepared", "Transport booked"])],
        ["Criteria-led discharge", "Discharge lounge by 10am", "Pharmacy to-take-out the day before"],
    ),
    (
        "medicines safety", "Safer medicines rounds in {team}", "Missed doses of critical medicines average "
        "{b} a week.",
        "Reduce missed doses of critical medicines from {b} to {t} a week by {date}",
        "Missed critical doses a week", 12.0, 3.0,
        [("Uninterrupted rounds", ["Do-not-disturb tabards", "Protected round times"]),
         ("Medicines available", ["Stock list reviewed", "Out-of-hours supply"])],
        ["Red tabards during rounds", "Critical medicines stock box", "Missed-dose review at handover"],
    ),
    (
        "patient experience", "Better sleep at night in {team}", "Only {b}% of patients say they slept well, "
        "and noise at night is the commonest complaint.",
        "Increase the share of patients who say they slept well from {b}% to {t}% by {date}",
        "Patients who slept well (%)", 40.0, 70.0,
        [("Quieter nights", ["Soft-close bins", "Lights down at 11pm"]),
         ("Comfort", ["Eye masks and ear plugs", "Observations grouped"])],
        ["Sleep packs for every patient", "Quiet-hours sign and lights down", "Grouped night observations"],
    ),
    (
        "access", "Shorter waits for a first appointment in {team}",
        "The median wait for a first appointment is {b} days.",
        "Reduce the median wait for a first appointment from {b} to {t} days by {date}",
        "Median wait (days)", 42.0, 21.0,
        [("Demand matched to capacity", ["Weekly demand review", "Flexible clinic templates"]),
         ("Fewer missed appointments", ["Reminders", "Patient-initiated follow-up"])],
        ["Text reminders two days before", "Patient-initiated follow-up", "Group first appointments"],
    ),
    (
        "staff wellbeing", "Staff wellbeing in {team}", "Sickness absence runs at {b}%, and half the team "
        "report feeling burnt out.",
        "Reduce sickness absence in {team} from {b}% to {t}% by {date}",
        "Sickness absence (%)", 6.5, 4.0,
        [("Rest and recovery", ["Breaks taken", "Rest space"]),
         ("Feeling heard", ["Huddles", "Quick fixes acted on"])],
        ["Protected break rota", "Wobble room", "Weekly 10-minute huddle"],
    ),
)  # fmt: skip

# The family of measures of each theme, besides its outcome (the aim's measure in THEMES): a process
# measure (is the change being done? share of eligible patients, %) and a balancing measure, each
# (code suffix, name, label, level, noise, improvement).
PROCESS = {
    "falls": ("Falls risk checks within 6 hours of admission", 15.0),
    "sepsis": ("Red-flag patients screened at triage", 40.0),
    "pressure ulcers": ("SSKIN bundle started on admission", 30.0),
    "flow": ("Patients with an expected discharge date by day 2", 35.0),
    "medicines safety": ("Medicines rounds without interruption", 25.0),
    "patient experience": ("Patients offered a sleep pack", 10.0),
    "access": ("Appointments with a reminder sent", 20.0),
    "staff wellbeing": ("Shifts with a protected break taken", 45.0),
}
BALANCING = {
    "falls": ("Patients restrained or sedated", "patients", 3.0, 1.0),
    "sepsis": ("Antibiotics given without a sepsis diagnosis", "patients", 9.0, 2.5),
    "pressure ulcers": ("Nursing time on repositioning (hours a day)", "hours", 6.0, 0.8),
    "flow": ("Readmissions within 7 days", "patients", 5.0, 1.6),
    "medicines safety": ("Late medicines rounds", "rounds", 7.0, 2.0),
    "patient experience": ("Night observations missed", "observations", 4.0, 1.5),
    "access": ("Follow-up appointments waiting over 6 weeks", "appointments", 30.0, 5.0),
    "staff wellbeing": ("Agency shifts used", "shifts", 12.0, 3.0),
}
# Months of baseline data before a project starts.
BASELINE_MONTHS = 12

STAGES = ("scoping", "diagnosing", "testing", "implementing", "sustaining", "spreading")
STAGE_WEIGHTS = (12, 14, 34, 20, 12, 8)
# The score a project in each stage has reached by now (it climbs there over its months).
STAGE_SCORE = {
    "scoping": 1.0,
    "diagnosing": 2.0,
    "testing": 2.5,
    "implementing": 3.5,
    "sustaining": 4.0,
    "spreading": 4.5,
}
OBJECTIVES = (
    "Test with one patient on one shift",
    "Test on one bay for a week",
    "Test on the whole ward for a month",
    "Implement across the service",
)
SCALES = ("1 patient, 1 nurse, 1 shift", "1 bay, 1 week", "whole ward, 1 month", "whole service")


def month_add(month: dt.date, n: int) -> dt.date:
    """The first of the month `n` months after `month` (before it when `n` is negative)."""
    total = month.year * 12 + month.month - 1 + n
    return dt.date(total // 12, total % 12 + 1, 1)


class ProjectRows:
    """The rows of demo projects, gathered to be written in bulk with explicit ids, and the people they are
    drawn from (each team's staff, the patient partners, each organisation's coaches): shared by this step
    and the history of closed projects (spiral.demo.history)."""

    def __init__(self, ctx: DemoContext, ids: dict[str, Iterator[int]]) -> None:
        self.ctx = ctx
        self.ids = ids
        self.today = timezone.localdate()
        self.scale = ProgressScale.objects.get(is_default=True)
        self.projects: list[Project] = []
        self.members: list[TeamMember] = []
        self.nodes: list[DriverNode] = []
        self.edges: list[DriverEdge] = []
        self.cycles: list[PdsaCycle] = []
        self.scores: list[ProgressScore] = []
        self.topic_links: list[Any] = []
        staff: dict[int, list[int]] = {}
        partners: list[int] = []
        coaches: dict[str, list[int]] = {}
        for user_id, unit_id, unit_path, role in Membership.objects.values_list(
            "user_id", "unit_id", "unit__path", "role"
        ).order_by("id"):
            if role == Role.MEMBER:
                staff.setdefault(unit_id, []).append(user_id)
            elif role == Role.PATIENT_PARTNER:
                partners.append(user_id)
            elif role == Role.COACH:
                coaches.setdefault(unit_path, []).append(user_id)
        self.staff, self.partners, self.coaches = staff, partners, coaches

    def _node(self, project: Project, kind: str, text: str, order: int) -> DriverNode:
        node = DriverNode(pk=next(self.ids["node"]), project_id=project.pk, kind=kind, text=text, order=order)
        self.nodes.append(node)
        return node

    def _edge(self, project: Project, parent: DriverNode, child: DriverNode) -> None:
        self.edges.append(
            DriverEdge(
                pk=next(self.ids["edge"]), project_id=project.pk, parent_id=parent.pk, child_id=child.pk
            )
        )

    def _drivers(
        self, project: Project, drivers: list[Any], aim_text: str, order: Iterator[int]
    ) -> list[DriverNode]:
        """The aim and its primary and secondary drivers; the secondary ones, which change ideas act on."""
        aim = self._node(project, "aim", aim_text[:500], next(order))
        secondaries = []
        for primary_text, secondary_texts in drivers:
            primary = self._node(project, "primary", primary_text, next(order))
            self._edge(project, aim, primary)
            for text in secondary_texts:
                secondary = self._node(project, "secondary", text, next(order))
                self._edge(project, primary, secondary)
                secondaries.append(secondary)
        return secondaries

    def _save_rows(self) -> None:
        """Write the rows gathered (projects, their topics, teams, diagrams, cycles and scores) and audit the
        projects' creation."""
        Project.objects.bulk_create(self.projects, batch_size=2000)
        Project.topics.through.objects.bulk_create(self.topic_links, batch_size=5000)
        TeamMember.objects.bulk_create(self.members, batch_size=5000)
        DriverNode.objects.bulk_create(self.nodes, batch_size=5000)
        DriverEdge.objects.bulk_create(self.edges, batch_size=5000)
        PdsaCycle.objects.bulk_create(self.cycles, batch_size=2000)
        ProgressScore.objects.bulk_create(self.scores, batch_size=5000)
        reset_sequences([Project, TeamMember, DriverNode, DriverEdge, PdsaCycle, ProgressScore])
        audit.record_many(
            action="project.create", objects=self.projects, by=None, scope_path_of=lambda p: p.unit.path
        )


class _Builder(ProjectRows):
    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(
            ctx,
            {name: itertools.count(1) for name in ("project", "member", "node", "edge", "cycle", "score")},
        )
        self.rng = ctx.rng
        self.topics = {t[0]: Topic(pk=i, name=t[0]) for i, t in enumerate(THEMES, start=1)}
        demo = self.ctx.extra.get("demo_users", {})
        self.demo = {email.split("@")[0]: user for email, user in demo.items()}

    def _coach_for(self, path: str) -> int | None:
        # Coaches hold their role on the organisation, which sits at depth 3 (nation, region, ICB, org).
        ids = self.coaches.get(path[: 4 * PATH_WIDTH])
        return ids[0] if ids else None

    def build(self) -> None:
        teams = list(self.ctx.units.get(UnitKind.TEAM, []))
        count = PROJECTS.get(self.ctx.size.name, 300)
        anchor = self.ctx.anchors.get("team")
        organisation = self.ctx.anchors.get("organisation")
        anchor_org_teams = [t for t in teams if organisation and t.path.startswith(organisation.path)]
        picks = [anchor] * 4 + anchor_org_teams[:8] if anchor else []
        picks += self.rng.choices(teams, k=max(count - len(picks), 0))
        for n, team in enumerate(picks[:count]):
            self.project(n, team)

    def project(self, n: int, team: Any) -> None:
        rng = self.rng
        theme = THEMES[n % len(THEMES)] if n < 12 else rng.choice(THEMES)
        topic, title, problem, aim, measure, baseline, target, drivers, ideas = theme
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        status = "active"
        if stage == "scoping" and rng.random() < 0.5:
            status = "draft"
        # Closed: most after sustaining the gain, some stopped while implementing (those achieve less often).
        closed = (stage in ("sustaining", "spreading") and rng.random() < 0.4) or (
            stage == "implementing" and rng.random() < 0.35
        )
        months = {
            "scoping": 1,
            "diagnosing": 3,
            "testing": 6,
            "implementing": 10,
            "sustaining": 14,
            "spreading": 18,
        }[stage] + rng.randint(0, 4)
        start = month_add(self.today.replace(day=1), -months) + dt.timedelta(days=rng.randint(0, 20))
        aim_date = month_add(self.today.replace(day=1), rng.randint(3, 12)) - dt.timedelta(days=1)
        if closed:
            aim_date = month_add(self.today.replace(day=1), -rng.randint(1, 3)) - dt.timedelta(days=1)
            status = "closed"
        fmt = {"team": team.name, "b": f"{baseline:g}", "t": f"{target:g}", "date": f"{aim_date:%-d %B %Y}"}
        pk = next(self.ids["project"])
        draft_without_aim = status == "draft" and n % 2 == 0
        project = Project(
            pk=pk,
            unit=team,
            title=title.format(**fmt)[:200],
            problem=problem.format(**fmt),
            aim="" if draft_without_aim else aim.format(**fmt),
            aim_measure="" if status == "draft" else measure,
            aim_baseline=baseline,
            aim_target=None if status == "draft" else target,
            aim_date=None if status == "draft" else aim_date,
            status=status,
            stage=stage,
            start_date=start,
            scale=self.scale,
            closed_on=self.today - dt.timedelta(days=rng.randint(3, 40)) if closed else None,
            lessons=(
                "Small tests with the night staff taught us more than the audit did; bay nursing "
                "stuck because the team designed it."
            )
            if closed
            else "",
            aim_achieved=self.achieved(n, team, stage) if closed else "",
        )
        self.projects.append(project)
        self.topic_links.append(Project.topics.through(project_id=pk, topic_id=self.topics[topic].pk))
        self.team(project, team, n)
        idea_nodes = self.diagram(project, drivers, ideas)
        stuck = n % 9 == 4
        self.ramps(project, idea_nodes, stage, start, stuck=stuck)
        self.progress(project, stage, start, stuck=stuck)

    def achieved(self, n: int, team: Any, stage: str) -> str:
        """Whether a closed project achieved its aim: realistic, not planted. A patient partner on the team
        (every third project, as `team` adds) and a coach make it likelier, as ELFT found, with plenty of
        chance either way, so the success-factor analysis shows findings with honest uncertainty."""
        partnered = n % 3 == 0 and (bool(self.partners) or "patient" in self.demo)
        coached = (n < 12 and "coach" in self.demo) or self._coach_for(team.path) is not None
        p = (
            0.35
            + 0.25 * partnered
            + 0.10 * coached
            + (0.10 if stage in ("sustaining", "spreading") else -0.10)
        )
        r = self.rng.random()
        return "yes" if r < p else "partly" if r < p + 0.2 else "no"

    def team(self, project: Project, team: Any, n: int) -> None:
        rng = self.rng
        people: list[tuple[int, str]] = []
        staff = self.staff.get(team.pk, [])
        demo = self.demo
        anchor = self.ctx.anchors.get("team")
        if anchor is not None and team.pk == anchor.pk and "team" in demo:
            people.append((demo["team"].pk, "lead" if n % 2 == 0 else "member"))
        for user_id in staff:
            if all(user_id != p for p, _ in people):
                people.append((user_id, "lead" if not any(r == "lead" for _, r in people) else "member"))
        if not any(r == "lead" for _, r in people) and people:
            people[0] = (people[0][0], "lead")
        if n % 3 == 0:
            partner = demo["patient"].pk if n < 12 and "patient" in demo else None
            partner = partner or (rng.choice(self.partners) if self.partners else None)
            if partner and all(partner != p for p, _ in people):
                people.append((partner, "patient_partner"))
                project.has_patient_partner = True
        coach = demo["coach"].pk if n < 12 and "coach" in demo else self._coach_for(team.path)
        if coach and all(coach != p for p, _ in people):
            people.append((coach, "coach"))
        for user_id, role in people:
            self.members.append(
                TeamMember(pk=next(self.ids["member"]), project_id=project.pk, user_id=user_id, role=role)
            )

    def diagram(self, project: Project, drivers: list[Any], ideas: list[str]) -> list[DriverNode]:
        order = itertools.count()
        secondaries = self._drivers(project, drivers, project.aim or project.title, order)
        if project.status == "draft":
            return []
        out = []
        for i, text in enumerate(ideas):
            idea = self._node(project, "change_idea", text, next(order))
            self._edge(project, secondaries[i % len(secondaries)], idea)
            if i == 0 and len(secondaries) > 2:  # one idea acts on two drivers (many-to-many)
                self._edge(project, secondaries[2], idea)
            out.append(idea)
        return out

    def ramps(
        self, project: Project, ideas: list[DriverNode], stage: str, start: dt.date, *, stuck: bool = False
    ) -> None:
        if stage in ("scoping", "diagnosing") or not ideas:
            return
        rng = self.rng
        first = len(self.cycles)
        depth = {"testing": 2, "implementing": 3, "sustaining": 4, "spreading": 4}[stage]
        day = start + dt.timedelta(days=30)
        for idea in ideas[: rng.randint(1, min(3, len(ideas)))]:
            for number in range(1, rng.randint(1, depth) + 1):
                if day >= self.today:
                    break
                finished = day + dt.timedelta(days=7 * number) < self.today - dt.timedelta(days=3)
                confirmed = rng.random() < 0.6
                last_one = number == depth or not finished
                decision = ("adopt" if confirmed else rng.choice(("adapt", "abandon"))) if finished else ""
                self.cycles.append(
                    PdsaCycle(
                        pk=next(self.ids["cycle"]),
                        project_id=project.pk,
                        change_idea_id=idea.pk,
                        number=number,
                        purpose="implement" if number >= 3 else "test",
                        objective=f"{OBJECTIVES[min(number, 4) - 1]}: {idea.text.lower()}",
                        questions="Is it done reliably? Do staff and patients find it workable?",
                        prediction=f"It will be done for at least {60 + 10 * number}% of patients "
                        "without extra staff",
                        predicted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
                        plan_who="Nurse in charge",
                        plan_when="Day and night shifts",
                        plan_where=project.unit.name,
                        data_to_collect="Tally of eligible patients and how many got the change",
                        scale_of_test=SCALES[min(number, 4) - 1],
                        planned_start=day,
                        planned_end=day + dt.timedelta(days=7 * number),
                        started_on=day,
                        ended_on=day + dt.timedelta(days=7 * number) if finished else None,
                        carried_out="yes" if finished else "",
                        what_happened="Done on most shifts; nights found it harder" if finished else "",
                        results=(
                            f"{'Done' if confirmed else 'Only done'} for {55 + rng.randint(0, 40)}% of "
                            "patients"
                        )
                        if finished
                        else "",
                        prediction_confirmed=("yes" if confirmed else "no") if finished else "",
                        learning="Works when the nurse in charge owns it" if finished else "",
                        decision=decision if not (last_one and finished and stage == "testing") else "adapt",
                        next_steps="Test at a larger scale" if finished else "",
                    )
                )
                day += dt.timedelta(days=7 * number + rng.randint(7, 21))
        own = self.cycles[first:]
        if own and not stuck and project.status == "active" and stage in ("testing", "implementing"):
            self._cycle_under_way(project, own)

    def _cycle_under_way(self, project: Project, own: list[PdsaCycle]) -> None:
        """A team at work tests all the time: its latest cycle started in the last six weeks (a coach sees
        "no PDSA cycle in 60 days" only on the stuck ones). Its own random stream, so the rest of the
        demo is as it was for the seed."""
        latest = max(own, key=lambda c: c.started_on or dt.date.min)
        if latest.started_on and (self.today - latest.started_on).days <= 45:
            return
        rng = random.Random(project.pk)
        day = self.today - dt.timedelta(days=rng.randint(5, 40))
        number = 1 + max(c.number for c in own if c.change_idea_id == latest.change_idea_id)
        self.cycles.append(
            PdsaCycle(
                pk=next(self.ids["cycle"]),
                project_id=project.pk,
                change_idea_id=latest.change_idea_id,
                number=number,
                purpose="implement",
                objective=f"{OBJECTIVES[min(number, 4) - 1]}: the next scale up",
                questions="Is it done reliably at the larger scale?",
                prediction=f"It will be done for at least {min(95, 60 + 10 * number)}% of patients",
                predicted_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
                plan_who="Nurse in charge",
                plan_when="Day and night shifts",
                plan_where=project.unit.name,
                data_to_collect="Tally of eligible patients and how many got the change",
                scale_of_test=SCALES[min(number, 4) - 1],
                planned_start=day,
                planned_end=day + dt.timedelta(days=28),
                started_on=day,
            )
        )

    def progress(self, project: Project, stage: str, start: dt.date, *, stuck: bool) -> None:
        if project.status == "draft":
            return
        first = start.replace(day=1)
        months = (self.today.year - first.year) * 12 + self.today.month - first.month
        final = STAGE_SCORE[stage]
        climbing = not stuck and project.status == "active" and stage in ("testing", "implementing")
        score = 1.0
        latest = None
        for i in range(months + 1):
            month = month_add(first, i)
            if project.status == "closed" and project.closed_on and month > project.closed_on:
                break
            if i == months and self.rng.random() < 0.3:
                break  # not scored yet this month
            remaining = months - i
            if stuck and remaining < 4:
                pass  # the same score for the last months: a coach signal
            elif score < final and self.rng.random() < 0.6 + 0.1 * (remaining < 3):
                score = min(final, score + 0.5)
            # Still climbing: the last months rise towards the stage's score, not level at it (the
            # score shown, not the one drawn, so the seed's random stream is as it was).
            shown = max(1.0, min(score, final - 0.5 * remaining)) if climbing else score
            latest = Decimal(f"{shown:.1f}")
            self.scores.append(
                ProgressScore(
                    pk=next(self.ids["score"]),
                    project_id=project.pk,
                    month=month,
                    score=latest,
                    role="self",
                    comment="",
                    scale=self.scale,
                )
            )
        project.latest_score = latest

    def save(self) -> None:
        Topic.objects.bulk_create(self.topics.values())
        reset_sequences([Topic])
        self._save_rows()
        self.ctx.counts.update(
            projects=len(self.projects), pdsa_cycles=len(self.cycles), progress_scores=len(self.scores)
        )
        self.ctx.extra["projects"] = self.projects


class _Measures:
    """Linked measures whose data show the improvement (or not) after a project's first cycle.

    Each theme has three national indicators (outcome, process, balancing) owned by the nation; a
    project links its unit's series of them (two projects of one theme on one team share the series).
    Monthly data run from a year before the project started to last month; after the first PDSA cycle
    the process measure climbs and the outcome shifts towards the target for most projects that are
    implementing or beyond (fully when the closed project says its aim was achieved, not at all when it
    says it was not). Some stuck projects stopped recording the outcome three months ago (a coach signal).
    Every cycle start is an annotation on each of the project's charts.
    """

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.rng = np.random.default_rng(builder.ctx.seed + 5)
        self.last_month = month_add(builder.today.replace(day=1), -1)

    def _measures(self) -> dict[tuple[str, str], Measure]:
        nation = self.b.ctx.units["nation"][0]
        rows = []
        for theme in THEMES:
            topic, measure_name, baseline, target = theme[0], theme[4], theme[5], theme[6]
            code = "PRJ-" + topic.upper().replace(" ", "-")
            process_name, _ = PROCESS[topic]
            balancing_name, balancing_label, _, _ = BALANCING[topic]
            common = {"owner": nation, "is_indicator": True, "chart": "xmr", "frequency": "month"}
            rows += [
                Measure(code=f"{code}-O", name=measure_name, measure_type="outcome", **common,
                        improvement="decrease" if target < baseline else "increase",
                        label="%" if "%" in measure_name else "",
                        description=f"The outcome of {topic} improvement projects."),
                Measure(code=f"{code}-P", name=f"{process_name} (%)", measure_type="process", **common,
                        improvement="increase", label="%",
                        description=f"Whether the changes of {topic} projects are being done."),
                Measure(code=f"{code}-B", name=balancing_name, measure_type="balancing", **common,
                        improvement="neutral", label=balancing_label,
                        description=f"What might get worse elsewhere when {topic} projects change things."),
            ]  # fmt: skip
        Measure.objects.bulk_create(rows)
        found = {m.code: m for m in Measure.objects.filter(code__in=[m.code for m in rows])}
        out = {}
        for theme in THEMES:
            code = "PRJ-" + theme[0].upper().replace(" ", "-")
            for role, suffix in (("outcome", "O"), ("process", "P"), ("balancing", "B")):
                out[(theme[0], role)] = found[f"{code}-{suffix}"]
        Target.objects.bulk_create([Target(measure=out[(t[0], "outcome")], value=t[6]) for t in THEMES])
        return out

    def build(self) -> None:
        b = self.b
        measures = self._measures()
        topic_of = {link.project_id: name for link in b.topic_links for name, t in b.topics.items()
                    if t.pk == link.topic_id}  # fmt: skip
        theme_of = {t[0]: t for t in THEMES}
        cycles: dict[int, list[PdsaCycle]] = {}
        for cycle in b.cycles:
            cycles.setdefault(cycle.project_id, []).append(cycle)
        idea_text = {n.pk: n.text for n in b.nodes if n.kind == "change_idea"}
        # (measure id, unit id) → (values by month); links as (project, key, role, is_aim).
        data: dict[tuple[int, int], dict[dt.date, float]] = {}
        links: list[tuple[Project, tuple[int, int], str, bool]] = []
        notes: dict[tuple[int, int], set[tuple[dt.date, str]]] = {}
        for n, project in enumerate(b.projects):
            if project.status == "draft":
                continue
            theme = theme_of[topic_of[project.pk]]
            own = sorted(cycles.get(project.pk, []), key=lambda c: (c.started_on, c.pk))
            roles = ("outcome", "process", "balancing") if own else ("outcome",)
            for role in roles:
                key = (measures[(theme[0], role)].pk, project.unit_id)
                links.append((project, key, role, role == "outcome"))
                if key not in data:
                    data[key] = self._story(project, theme, role, own[0].started_on if own else None,
                                            stuck=n % 9 == 4 and role == "outcome")  # fmt: skip
                for c in own:
                    text = annotation_text(c.number, idea_text[c.change_idea_id], project.title)
                    notes.setdefault(key, set()).add((c.started_on.replace(day=1), text))  # type: ignore[union-attr]  # demo cycles start
        Series.objects.bulk_create([Series(measure_id=m, unit_id=u) for m, u in data], batch_size=5000)
        ids = {
            (m, u): pk
            for pk, m, u in Series.objects.filter(measure__in=measures.values()).values_list(
                "pk", "measure_id", "unit_id"
            )
        }
        now = timezone.now()
        rows = [
            (ids[key], day, value, None, None, "", 1, now, None)
            for key, values in data.items()
            for day, value in sorted(values.items())
        ]
        bulk_insert_observations(rows)
        Annotation.objects.bulk_create(
            [
                Annotation(series_id=ids[key], period_start=day, kind=AnnotationKind.CHANGE, text=text)
                for key, found in notes.items()
                for day, text in sorted(found)
            ],
            batch_size=5000,
        )
        analyses.recompute(ids.values())
        made = ProjectMeasure.objects.bulk_create(
            [
                ProjectMeasure(project_id=p.pk, series_id=ids[key], role=role, is_aim=is_aim, order=i)
                for i, (p, key, role, is_aim) in enumerate(links)
            ],
            batch_size=5000,
        )
        units = {p.pk: p.unit.path for p in b.projects}
        audit.record_many(
            action="project.measure_link", objects=made, by=None, scope_path_of=lambda m: units[m.project_id]
        )
        b.ctx.counts.update(project_measures=len(made), project_series=len(ids))

    def _story(
        self, project: Project, theme: tuple[Any, ...], role: str, first_cycle: dt.date | None, *, stuck: bool
    ) -> dict[dt.date, float]:
        """Monthly values: a baseline, then (for most projects beyond testing) a shift after the first cycle."""
        rng = self.rng
        start = month_add(project.start_date.replace(day=1), -BASELINE_MONTHS)  # type: ignore[union-attr]  # demo projects start
        end = project.closed_on.replace(day=1) if project.closed_on else self.last_month
        if stuck:
            end = month_add(self.last_month, -3)
        months = periods.calendar(start, max(start, end), "month")
        change = first_cycle.replace(day=1) if first_cycle else None
        achieved = project.aim_achieved
        chance = {"testing": 0.45, "implementing": 0.7, "sustaining": 0.85, "spreading": 0.9}
        works = achieved in ("yes", "partly") or (
            not achieved and rng.random() < chance.get(project.stage, 0)
        )
        share = {"yes": 1.0, "partly": 0.5}.get(achieved, rng.uniform(0.5, 0.9))
        if role == "outcome":
            baseline, target = theme[5], theme[6]
            level, sd = baseline, abs(baseline - target) * 0.12
            after = baseline + (target - baseline) * share if works else baseline
        elif role == "process":
            level, sd = PROCESS[theme[0]][1], 4.0
            after = rng.uniform(75, 95) if works or change else level
        else:
            level, sd = BALANCING[theme[0]][2], BALANCING[theme[0]][3]
            after = level
        noise = rng.normal(0, sd, len(months))
        is_share = role == "process" or (role == "outcome" and "%" in theme[4])
        values = {}
        for i, day in enumerate(months):
            mean = after if change is not None and day > change else level
            value = max(mean + noise[i], 0.0)
            values[day] = round(min(value, 100.0) if is_share else value, 2)
        return values


def build(ctx: DemoContext) -> None:
    builder = _Builder(ctx)
    builder.build()
    builder.save()
    _Measures(builder).build()
