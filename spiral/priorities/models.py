"""True North goals of a unit, their measures and targets, and their cascade down the hierarchy.

A unit's leaders *set* a goal (`Response.SET`: the top of a cascade). Each child unit responds to its
parent's goal: it *adopts* it (the same measures and targets), *adapts* it (its own measure or target,
agreed through catchball: `CatchballMessage`), or *declines* it with a reason. A response is a goal of
its own at the child unit (`parent` the goal above, `root` the goal at the top), so its children respond
to it in turn, down to teams. docs/reference/qi.md §6: True North, catchball, cascade.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from spiral.core import limits, periods
from spiral.core.models import Created, CreatedAt, CreatedBy, Timestamped, Versioned
from spiral.organisations.models import Unit

GOAL_DATE = periods.Window("a goal's date", 2000, 20)
MAX_GOALS = 8  # a handful: True North is a few enduring goals, not a list of everything
MAX_MEASURES = 5  # measures per goal
MAX_BREAKTHROUGHS = 3  # breakthrough objectives per goal and year: the vital few (docs/reference/qi.md §6)


class Category(models.TextChoices):
    SAFETY = "safety", "Safety"
    EXPERIENCE = "experience", "Experience"
    QUALITY = "quality", "Quality"
    PEOPLE = "people", "People"
    VALUE = "value", "Value (financial stewardship)"
    OTHER = "other", "Other"


class Response(models.TextChoices):
    SET = "set", "Set here"
    PENDING = "pending", "Adaptation under discussion"
    ADOPTED = "adopted", "Adopted"
    ADAPTED = "adapted", "Adapted"
    DECLINED = "declined", "Declined"


# Responses that carry the goal on: their unit works to it, and the units beneath respond to it.
CARRIED = frozenset({Response.SET, Response.ADOPTED, Response.ADAPTED, Response.PENDING})


class Goal(Versioned, Timestamped, CreatedBy):
    """One True North goal as a unit holds it: set there, or a response to the goal of its parent unit."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="goals")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="responses",
        help_text="The goal of the unit above that this responds to (empty: set here)",
    )  # fmt: skip
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="cascade",
        help_text="The goal at the top of the cascade (empty: this is the top)",
    )  # fmt: skip
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.OTHER)
    title = models.CharField(max_length=limits.NAME)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    target_date = models.DateField(help_text="When the targets are to be met")
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.SET)
    reason = models.TextField(
        blank=True, max_length=limits.SHORT_TEXT, help_text="Why it was declined or adapted"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__path", "category", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "unit"], condition=Q(parent__isnull=False), name="goal_one_response"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "response"], name="goal_unit_idx"),
            models.Index(fields=["root"], name="goal_root_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.unit.name})"

    @property
    def permission_unit(self) -> Unit:
        return self.unit

    @property
    def top(self) -> int:
        """The id of the goal at the top of its cascade."""
        return self.root_id or self.pk

    @property
    def is_carried(self) -> bool:
        return self.response in CARRIED


class MeasureRole(models.TextChoices):
    DRIVER = "driver", "Driver (expected to move)"
    WATCH = "watch", "Watch (must not get worse)"


class GoalMeasure(models.Model):
    """A measure (from measurement) a goal is judged by, with the target to reach by the goal's date:
    a driver metric, actively worked on this year, or a watch metric, monitored for slippage."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="measures")
    measure = models.ForeignKey("measurement.Measure", on_delete=models.PROTECT, related_name="goal_links")
    target = models.FloatField(help_text="On the measure's plotted scale (a proportion as 0 to 1)")
    role = models.CharField(max_length=8, choices=MeasureRole.choices, default=MeasureRole.DRIVER)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["goal", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["goal", "measure"], name="goal_measure_unique")]

    def __str__(self) -> str:
        return f"{self.measure.name}: {self.target}"

    @property
    def permission_unit(self) -> Unit:
        return self.goal.unit


class Breakthrough(Created):
    """A breakthrough objective of a goal for a year: one of the vital few stretch aims that need new
    ways of working (at most MAX_BREAKTHROUGHS a goal and year)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="breakthroughs")
    year = models.PositiveSmallIntegerField(help_text="The year it is for, e.g. 2026")
    title = models.CharField(max_length=limits.NAME)
    description = models.TextField(blank=True, max_length=limits.TEXT)

    class Meta:
        ordering = ["goal", "-year", "id"]
        indexes = [models.Index(fields=["goal", "year"], name="breakthrough_goal_year_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    @property
    def permission_unit(self) -> Unit:
        return self.goal.unit


class ServedGoal(Created):
    """A project names a goal it serves (at the goal's unit or beneath): the goal page lists the work
    beneath it, and a goal that no active project serves is shown as such. Kept here, above projects, so
    that projects does not depend on priorities (docs/architecture.md)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="served_by")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="goals_served")

    class Meta:
        ordering = ["goal", "id"]
        constraints = [models.UniqueConstraint(fields=["goal", "project"], name="served_goal_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} serves {self.goal_id}"

    @property
    def permission_unit(self) -> Unit:
        return self.goal.unit


class Kind(models.TextChoices):
    PROPOSAL = "proposal", "Proposal"
    REPLY = "reply", "Reply"
    COUNTER = "counter", "Counter-proposal"
    AGREEMENT = "agreement", "Agreement"


# Kinds that put a measure and target on the table (the agreement takes the latest of them).
OFFERS = frozenset({Kind.PROPOSAL, Kind.COUNTER})


class CatchballMessage(Created):
    """One turn of catchball on an adapted goal: who, when, why, and (an offer) the measure and target."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(max_length=limits.SHORT_TEXT, help_text="Why: the reasoning, in a few lines")
    measure = models.ForeignKey(
        "measurement.Measure", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "measurement.Measure", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The measure of the goal above that the offered one takes the place of",
    )  # fmt: skip
    target = models.FloatField(null=True, blank=True)
    from_above = models.BooleanField(default=False, help_text="Written for the unit above")

    class Meta:
        ordering = ["goal", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.goal_id}"

    @property
    def permission_unit(self) -> Unit:
        return self.goal.unit

    @property
    def is_offer(self) -> bool:
        return self.kind in OFFERS


class Decision(Versioned, Timestamped, CreatedBy):
    """A decision of a unit, for its decision log: what, why, the options considered, the evidence
    (measures, projects, goals), who decided, when, and when it is to be reviewed."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="decisions")
    what = models.CharField(max_length=limits.NAME)
    why = models.TextField(max_length=limits.TEXT)
    options = models.TextField(blank=True, max_length=limits.TEXT, help_text="The options considered")
    decided_by = models.CharField(max_length=limits.NAME, help_text="A person or a group, e.g. the board")
    decided_on = models.DateField()
    review_on = models.DateField(null=True, blank=True, help_text="When the decision is to be reviewed")
    measures = models.ManyToManyField("measurement.Measure", blank=True, related_name="+")
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    goals = models.ManyToManyField(Goal, blank=True, related_name="decisions")

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["unit", "review_on"], name="decision_unit_review_idx")]

    def __str__(self) -> str:
        return f"{self.what} ({self.unit.name}, {self.decided_on:%d/%m/%Y})"

    @property
    def permission_unit(self) -> Unit:
        return self.unit

    def is_due(self, today: dt.date) -> bool:
        """Whether its review date has come."""
        return self.review_on is not None and self.review_on <= today


# --- the ideas backlog ----------------------------------------------------------------------------------

SCORE_MIN, SCORE_MAX = 1, 5  # each score is on a scale of 1 to 5
# The default weights of a priority (a unit may set its own: IdeaWeights): patient impact counts most,
# then alignment to a goal, then how little effort it takes; the patient partners' view counts as much as
# the staff's (PATIENT_SHARE of each score, when both have scored).
WEIGHTS = {"impact": 0.5, "alignment": 0.3, "effort": 0.2}
PATIENT_SHARE = 0.5


class IdeaStatus(models.TextChoices):
    NEW = "new", "New"
    DISCUSSION = "discussion", "Under discussion"
    TESTING = "testing", "Testing"
    DONE = "done", "Done"
    PARKED = "parked", "Parked"


# The moves an idea may make (a huddle triages it): anything may be parked, and a parked idea revisited.
MOVES: dict[str, frozenset[str]] = {
    IdeaStatus.NEW: frozenset({IdeaStatus.DISCUSSION, IdeaStatus.PARKED}),
    IdeaStatus.DISCUSSION: frozenset({IdeaStatus.TESTING, IdeaStatus.PARKED}),
    IdeaStatus.TESTING: frozenset({IdeaStatus.DONE, IdeaStatus.PARKED, IdeaStatus.DISCUSSION}),
    IdeaStatus.DONE: frozenset({IdeaStatus.TESTING}),
    IdeaStatus.PARKED: frozenset({IdeaStatus.DISCUSSION}),
}


class Prompt(models.TextChoices):
    FEEDBACK = "feedback", "A feedback theme"
    MEASURE = "measure", "A measure"
    STORY = "story", "An incident or patient story"
    OTHER = "other", "Something else"


class Idea(Versioned, Timestamped, CreatedBy):
    """An idea in a team's backlog: the problem seen, the idea, who it helps and what prompted it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ideas")
    problem = models.TextField(max_length=limits.SHORT_TEXT, help_text="The problem seen")
    idea = models.TextField(max_length=limits.SHORT_TEXT)
    helps = models.CharField(max_length=limits.NAME, help_text="Who it helps")
    prompted_by = models.CharField(max_length=10, choices=Prompt.choices, default=Prompt.OTHER)
    prompt = models.CharField(max_length=limits.NAME, blank=True, help_text="The theme, measure or story")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas")
    status = models.CharField(max_length=10, choices=IdeaStatus.choices, default=IdeaStatus.NEW)

    class Meta:
        ordering = ["unit", "-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "status"], name="idea_unit_status_idx")]

    def __str__(self) -> str:
        return self.idea[:80]

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class IdeaScore(CreatedAt):
    """One person's scores of an idea: patient impact, effort, alignment to a goal (1 to 5 each);
    `is_patient`: given by a patient or carer partner, shown beside the staff's scores."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="scores")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_patient = models.BooleanField(default=False)
    impact = models.PositiveSmallIntegerField()
    effort = models.PositiveSmallIntegerField()
    alignment = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=limits.SHORT_TEXT)

    class Meta:
        ordering = ["idea", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["idea", "by"], name="idea_score_one_each")]

    def __str__(self) -> str:
        return f"{self.impact}/{self.effort}/{self.alignment}"

    @property
    def permission_unit(self) -> Unit:
        return self.idea.unit


class IdeaMove(Created):
    """An idea moving from one status to another, with who and why."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="moves")
    from_status = models.CharField(max_length=10, choices=IdeaStatus.choices)
    to_status = models.CharField(max_length=10, choices=IdeaStatus.choices)
    why = models.TextField(max_length=limits.SHORT_TEXT)

    class Meta:
        ordering = ["idea", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def permission_unit(self) -> Unit:
        return self.idea.unit


# --- the unit's own weights of a priority ---------------------------------------------------------------


class IdeaWeights(Versioned, Timestamped, CreatedBy):
    """How a unit weighs its ideas, in whole percentages: the shares of patient impact, alignment to a goal
    and (low) effort in the priority (adding up to 100), and how much the patient partners' view counts
    in each score beside the staff's (50: equally). A unit without weights of its own uses those of its
    nearest ancestor that has them, else WEIGHTS and PATIENT_SHARE (queries.weights_for)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="idea_weights")
    impact = models.PositiveSmallIntegerField(help_text="Percent of the priority")
    effort = models.PositiveSmallIntegerField(help_text="Percent of the priority (less effort, higher)")
    alignment = models.PositiveSmallIntegerField(help_text="Percent of the priority")
    patient_share = models.PositiveSmallIntegerField(
        help_text="Percent: how much the patient partners' scores count beside the staff's (50: equally)"
    )

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.impact}/{self.effort}/{self.alignment}, patient {self.patient_share}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


# --- leader standard work: rounds at a huddle board -------------------------------------------------------


class NoteKind(models.TextChoices):
    QUESTION = "question", "Question"
    RECOGNITION = "recognition", "Recognition"


class RoundNote(Created):
    """What a coach or leader left at a team's huddle board on a leader standard work round: a question for
    the team to answer, or a recognition of its work. The team sees it on the board and answers it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="round_notes")
    kind = models.CharField(max_length=12, choices=NoteKind.choices)
    text = models.TextField(max_length=limits.SHORT_TEXT)
    answer = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "created_at"], name="round_note_unit_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.unit_id}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit

    @property
    def is_open(self) -> bool:
        """A question not answered yet (a recognition needs no answer, though the team may reply)."""
        return self.kind == NoteKind.QUESTION and not self.answered_at
