"""Demo step: years of finished work. Closed projects from one to four years ago, spread over the teams
(the demo board's organisation, the showcase trust, has more than half of them, enough for its own
adjusted analysis), so the success-factor analysis has enough closed projects to show clear findings and
honest uncertainty.

Realistic, not planted: the factors are correlated as in life (an engaged team more often has a patient
partner, a coach, a driver diagram and many PDSA cycles; partnered projects are more often coached;
coached ones more often draw a driver diagram and test more), and whether a project achieved its aim is
drawn from a logistic model with effect sizes like the literature and the noise of a coin toss: a patient
partner multiplies the odds by 2.8 (ELFT found partnered projects 2.8 times as likely to achieve their
aim), a coach by 1.5, PDSA cycles with diminishing returns (log(1 + cycles)), a driver diagram and a
trained lead a little; topic and organisation type not at all. A trained lead comes from the training
records the capability step wrote (improvement training on or before the start), so this step runs after
it. A few projects have a Sustainability Model assessment (no effect of its own).

Its own random stream (seeded from the demo seed), so the earlier steps are as they were for the seed;
written with bulk_create and explicit ids after the rows the earlier steps made.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min

from spiral.assessments import services as assessments
from spiral.assessments.models import Instrument
from spiral.capability.models import TierKind, TrainingRecord
from spiral.demo.builder import DemoContext
from spiral.demo.projects import THEMES, ProjectRows, month_add
from spiral.knowledge import embeddings, search
from spiral.organisations.models import PATH_WIDTH, UnitKind
from spiral.projects.models import (
    DriverEdge,
    DriverNode,
    PdsaCycle,
    ProgressScore,
    Project,
    TeamMember,
    Topic,
)

# Closed projects per team, at least MINIMUM and at most MAXIMUM (the national demo: the cap, a few
# seconds of its build); ANCHOR_SHARE of them (at most ANCHOR_MAX) in the demo board's organisation.
PER_TEAM = 1.2
MINIMUM, MAXIMUM = 200, 2000
ANCHOR_SHARE, ANCHOR_MAX = 0.6, 200
MAX_CYCLES = 12
ASSESSED_SHARE = 0.25  # of the projects that ran 9 months or more with 3 or more cycles, the share assessed
ASSESSED_MAX = 30  # each answer goes through the service (a few queries), so the national demo stays fast

# The logistic model of achieving the aim (log odds). The intercept gives about a third achieved
# without any factor; the rest are log odds ratios.
INTERCEPT = -1.3
EFFECTS = {
    "patient_partner": math.log(2.8),
    "coach": math.log(1.5),
    "cycles": 0.3,  # per unit of log(1 + cycles): 3 cycles ~ OR 1.5, 12 cycles ~ OR 2.2
    "driver_diagram": math.log(1.2),
    "trained_lead": math.log(1.2),
}


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _next_id(model: Any) -> itertools.count[int]:
    return itertools.count((model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1)


class _History(ProjectRows):
    def __init__(self, ctx: DemoContext) -> None:
        # The same rows and people pools as the projects step (a team's staff, the patient partners, each
        # organisation's coaches), with ids after those it wrote.
        super().__init__(
            ctx,
            {
                "project": _next_id(Project),
                "member": _next_id(TeamMember),
                "node": _next_id(DriverNode),
                "edge": _next_id(DriverEdge),
                "cycle": _next_id(PdsaCycle),
                "score": _next_id(ProgressScore),
            },
        )
        self.rng = random.Random(ctx.seed * 7919 + 17)
        self.topics = {t.name: t.pk for t in Topic.objects.all()}
        self.assess: list[Project] = []
        self.first_training = dict(
            TrainingRecord.objects.filter(tier__kind=TierKind.IMPROVEMENT)
            .order_by()
            .values_list("person_id")
            .annotate(first=Min("completed_on"))
        )
        self.trained = 0

    def build(self) -> None:
        teams = [t for t in self.ctx.units.get(UnitKind.TEAM, []) if self.staff.get(t.pk)]
        if not teams:
            return
        count = max(MINIMUM, min(MAXIMUM, round(len(teams) * PER_TEAM)))
        organisation = self.ctx.anchors.get("organisation")
        home = [t for t in teams if organisation is not None and t.path.startswith(organisation.path)]
        in_home = min(round(count * ANCHOR_SHARE), ANCHOR_MAX) if home else 0
        picks = self.rng.choices(home, k=in_home) if home else []
        picks += self.rng.choices(teams, k=count - len(picks))
        for team in picks:
            self.project(team)

    def project(self, team: Any) -> None:
        rng = self.rng
        theme = rng.choice(THEMES)
        topic, title, problem, aim, measure, baseline, target, drivers, ideas = theme
        closed_on = self.today - dt.timedelta(days=rng.randint(365, 4 * 365))
        months = rng.randint(5, 24)
        start = month_add(closed_on.replace(day=1), -months) + dt.timedelta(days=rng.randint(0, 20))
        aim_date = closed_on - dt.timedelta(days=rng.randint(0, 60))
        # A team's engagement, unseen: it makes every factor likelier together.
        engaged = rng.gauss(0, 1)
        org_path = team.path[: 4 * PATH_WIDTH]
        partnered = bool(self.partners) and rng.random() < _logistic(-0.9 + 0.6 * engaged)
        coach_pool = self.coaches.get(org_path, [])
        coached = bool(coach_pool) and rng.random() < _logistic(-0.4 + 0.9 * partnered + 0.5 * engaged)
        diagram = rng.random() < _logistic(-0.2 + 1.0 * coached + 0.4 * engaged)
        cycles = min(MAX_CYCLES, _poisson(rng, math.exp(0.5 + 0.5 * coached + 0.3 * diagram + 0.3 * engaged)))
        staff = self.staff[team.pk]
        lead = rng.choice(staff)
        trained = lead in self.first_training and self.first_training[lead] <= start
        self.trained += trained
        odds = (
            INTERCEPT
            + EFFECTS["patient_partner"] * partnered
            + EFFECTS["coach"] * coached
            + EFFECTS["cycles"] * math.log(1 + cycles)
            + EFFECTS["driver_diagram"] * diagram
            + EFFECTS["trained_lead"] * trained
        )
        achieved = rng.random() < _logistic(odds)
        outcome = "yes" if achieved else rng.choice(("partly", "no"))
        stage = (
            rng.choice(("sustaining", "spreading")) if achieved else rng.choice(("testing", "implementing"))
        )
        fmt = {"team": team.name, "b": f"{baseline:g}", "t": f"{target:g}", "date": f"{aim_date:%-d %B %Y}"}
        pk = next(self.ids["project"])
        project = Project(
            pk=pk,
            unit=team,
            title=title.format(**fmt)[:200],
            problem=problem.format(**fmt),
            aim=aim.format(**fmt),
            aim_measure=measure,
            aim_baseline=baseline,
            aim_target=target,
            aim_date=aim_date,
            status="closed",
            stage=stage,
            start_date=start,
            scale=self.scale,
            closed_on=closed_on,
            lessons=rng.choice(
                (
                    "Testing small, on one shift, taught us more than the audit did.",
                    "The change stuck where the staff who do the work designed it.",
                    "We tried to do too much at once; one change at a time would have shown what worked.",
                    "Our patient partner asked the questions we had stopped asking.",
                    "The data came too late to steer by; next time we collect it weekly from the start.",
                )
            ),
            aim_achieved=outcome,
            has_patient_partner=partnered,
        )
        self.projects.append(project)
        self.topic_links.append(Project.topics.through(project_id=pk, topic_id=self.topics[topic]))
        people = [(lead, "lead")]
        others = [u for u in staff if u != lead]
        people += [(u, "member") for u in rng.sample(others, min(len(others), rng.randint(1, 4)))]
        if partnered:
            people.append((rng.choice(self.partners), "patient_partner"))
        if coached:
            coach = rng.choice(coach_pool)
            if all(coach != u for u, _ in people):
                people.append((coach, "coach"))
        for user_id, role in people:
            self.members.append(
                TeamMember(pk=next(self.ids["member"]), project_id=pk, user_id=user_id, role=role)
            )
        idea_nodes = self.diagram(project, drivers, ideas, with_drivers=diagram, needed=cycles > 0)
        self.ramps(project, idea_nodes, cycles, start, closed_on)
        self.progress(project, start, closed_on, achieved)
        if cycles >= 3 and months >= 9 and rng.random() < ASSESSED_SHARE and len(self.assess) < ASSESSED_MAX:
            self.assess.append(project)

    def diagram(
        self, project: Project, drivers: list[Any], ideas: list[str], *, with_drivers: bool, needed: bool
    ) -> list[DriverNode]:
        """A full driver diagram, or (without one) only the change ideas the cycles test, or nothing."""
        order = itertools.count()
        if not with_drivers:
            if not needed:
                return []
            return [self._node(project, "change_idea", text, next(order)) for text in ideas]
        secondaries = self._drivers(project, drivers, project.aim, order)
        out = []
        for i, text in enumerate(ideas):
            idea = self._node(project, "change_idea", text, next(order))
            self._edge(project, secondaries[i % len(secondaries)], idea)
            out.append(idea)
        return out

    def ramps(
        self, project: Project, ideas: list[DriverNode], count: int, start: dt.date, end: dt.date
    ) -> None:
        """`count` finished cycles over the project's months, spread over its first change ideas."""
        if not count or not ideas:
            return
        rng = self.rng
        used = ideas[: rng.randint(1, min(3, len(ideas)))]
        span = max((end - start).days - 30, count)
        numbers = dict.fromkeys((i.pk for i in used), 0)
        for k in range(count):
            idea = used[k % len(used)]
            numbers[idea.pk] += 1
            number = numbers[idea.pk]
            day = start + dt.timedelta(days=15 + span * k // count)
            confirmed = rng.random() < 0.6
            self.cycles.append(
                PdsaCycle(
                    pk=next(self.ids["cycle"]),
                    project_id=project.pk,
                    change_idea_id=idea.pk,
                    number=number,
                    purpose="implement" if number >= 3 else "test",
                    objective=f"Test {idea.text.lower()}, cycle {number}",
                    prediction=f"It will be done for at least {min(95, 50 + 10 * number)}% of patients",
                    plan_where=project.unit.name,
                    planned_start=day,
                    planned_end=day + dt.timedelta(days=14),
                    started_on=day,
                    ended_on=day + dt.timedelta(days=14),
                    carried_out="yes",
                    results=f"{'Done' if confirmed else 'Only done'} for {45 + rng.randint(0, 50)}% of patients",
                    prediction_confirmed="yes" if confirmed else "no",
                    decision="adopt" if confirmed else rng.choice(("adapt", "abandon")),
                )
            )

    def progress(self, project: Project, start: dt.date, end: dt.date, achieved: bool) -> None:
        """A monthly score climbing from 1.0 to where the project ended: 4.0 or more if it achieved its
        aim, 2.0 to 3.5 if not."""
        rng = self.rng
        final = rng.choice((4.0, 4.5, 5.0)) if achieved else rng.choice((2.0, 2.5, 3.0, 3.5))
        first = start.replace(day=1)
        months = (end.year - first.year) * 12 + end.month - first.month
        score = 1.0
        for i in range(months + 1):
            left = months - i
            score = min(final, max(score, final - 0.5 * left))
            if score < final and rng.random() < 0.3:
                score = min(final, score + 0.5)
            self.scores.append(
                ProgressScore(
                    pk=next(self.ids["score"]),
                    project_id=project.pk,
                    month=month_add(first, i),
                    score=Decimal(f"{score:.1f}"),
                    role="self",
                    comment="",
                    scale=self.scale,
                )
            )
        project.latest_score = Decimal(f"{score:.1f}")

    def save(self) -> None:
        self._save_rows()
        self.ctx.counts.update(
            closed_history=len(self.projects),
            history_trained_leads=self.trained,
            history_assessed=self._assessments(),
        )

    def _assessments(self) -> int:
        """The Sustainability Model, answered by the lead and one member a few months before closing."""
        instrument = Instrument.objects.filter(slug="nhs-sustainability-model", is_current=True).first()
        if instrument is None or not self.assess:
            return 0
        keys = [item.key for item in instrument.items.order_by("position")]
        people: dict[int, list[Any]] = {}
        for member in (
            TeamMember.objects.filter(project__in=[p.pk for p in self.assess], role__in=("lead", "member"))
            .select_related("user")
            .order_by("id")
        ):
            people.setdefault(member.project_id, []).append(member.user)
        for project in self.assess:
            shared = {k: self.rng.randrange(4) for k in keys}
            assert project.closed_on is not None  # every history project is closed
            day = project.closed_on - dt.timedelta(days=self.rng.randint(30, 120))
            for person in people.get(project.pk, [])[:2]:
                choices = {
                    k: "abcd"[min(3, max(0, v + self.rng.choice((-1, 0, 0, 1))))] for k, v in shared.items()
                }
                assessments.submit_response(
                    instrument=instrument, project=project, choices=choices, by=person, answered_on=day
                )
        return len(self.assess)


@contextmanager
def _words_only() -> Iterator[None]:
    """Index the new projects' words as they are audited, but embed nothing yet: each audited write would
    otherwise embed what is missing there and then, in many small batches."""
    before = os.environ.get(embeddings.SWITCH)
    os.environ[embeddings.SWITCH] = "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ[embeddings.SWITCH]
        else:
            os.environ[embeddings.SWITCH] = before


def build(ctx: DemoContext) -> None:
    history = _History(ctx)
    with _words_only():
        history.build()
        history.save()
    if ctx.extra.get("embeddings"):
        search.embed_missing()  # once, in large batches (the national demo embeds nothing by default)
