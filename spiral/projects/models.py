"""Improvement projects: the Model for Improvement's three questions, the team, the driver diagram,
change ideas with their PDSA cycles, the monthly progress score and the journal.

Definitions: docs/reference/qi.md (§1 progress scale, §2 PDSA record, §3 aims and driver diagrams)
and docs/reference/interfaces.md §2.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core import limits
from spiral.core.models import Created, CreatedAt, CreatedBy, Timestamped, UpdatedAt, Versioned
from spiral.core.types import AnyUser
from spiral.organisations.models import Unit


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Stage(models.TextChoices):
    SCOPING = "scoping", "Scoping"
    DIAGNOSING = "diagnosing", "Diagnosing"
    TESTING = "testing", "Testing changes"
    IMPLEMENTING = "implementing", "Implementing"
    SUSTAINING = "sustaining", "Sustaining"
    SPREADING = "spreading", "Spreading"


class Method(models.TextChoices):
    MODEL_FOR_IMPROVEMENT = "model_for_improvement", "Model for Improvement"
    LEAN = "lean", "Lean"
    SIX_SIGMA = "six_sigma", "Six Sigma"
    EBCD = "ebcd", "Experience-based co-design"
    OTHER = "other", "Other"


class ProjectRole(models.TextChoices):
    LEAD = "lead", "Project lead"
    MEMBER = "member", "Team member"
    PATIENT_PARTNER = "patient_partner", "Patient or carer partner"
    SPONSOR = "sponsor", "Sponsor"
    COACH = "coach", "Improvement coach"


class AimAchieved(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class ProgressScale(models.Model):
    """A progress scale as data (docs/reference/qi.md §1): the IHI default, or a programme's local variant."""

    name = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="scale_unique_version")]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class ProgressLevel(models.Model):
    scale = models.ForeignKey(ProgressScale, on_delete=models.CASCADE, related_name="levels")
    score = models.DecimalField(max_digits=3, decimal_places=1)
    label = models.CharField(max_length=100)
    criteria = models.TextField(blank=True, max_length=limits.TEXT)

    class Meta:
        ordering = ["scale", "score"]
        constraints = [models.UniqueConstraint(fields=["scale", "score"], name="level_unique_score")]

    def __str__(self) -> str:
        return f"{self.score} {self.label}"


class Topic(models.Model):
    """A topic tag (falls, sepsis, flow...): lower-case, shared by every project."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Project(Versioned, Timestamped, CreatedBy):
    """An improvement effort in a unit. Everyone signed in may read it; its team and the unit's
    leaders change it (organisations/permissions.py, "Projects")."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(max_length=200)
    problem = models.TextField(
        blank=True, help_text="Why it matters, for whom, with data", max_length=limits.TEXT
    )
    # The aim (docs/reference/qi.md §3): the statement, then its measurable parts (how much, by when).
    aim = models.TextField(blank=True, help_text="What are we trying to accomplish?", max_length=limits.TEXT)
    aim_measure = models.CharField(
        max_length=200, blank=True, help_text="The outcome measure the aim is judged by"
    )
    aim_baseline = models.FloatField(null=True, blank=True)
    aim_target = models.FloatField(null=True, blank=True, help_text="How much: the target value")
    aim_date = models.DateField(null=True, blank=True, help_text="By when")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.SCOPING)
    method = models.CharField(max_length=32, choices=Method.choices, default=Method.MODEL_FOR_IMPROVEMENT)
    topics = models.ManyToManyField(Topic, blank=True, related_name="projects")
    start_date = models.DateField(null=True, blank=True)
    scale = models.ForeignKey(ProgressScale, on_delete=models.PROTECT, related_name="projects")
    # Closing asks what was learned and whether the aim was achieved, so every closed project says.
    closed_on = models.DateField(null=True, blank=True)
    lessons = models.TextField(blank=True, max_length=limits.TEXT)
    aim_achieved = models.CharField(max_length=8, choices=AimAchieved.choices, blank=True)
    # Denormalised for the portfolio filters (kept by the services): latest score, patient partnership.
    latest_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    has_patient_partner = models.BooleanField(default=False)
    diagram_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["status", "stage"], name="project_status_stage_idx"),
            models.Index(fields=["unit", "status"], name="project_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def permission_unit(self) -> Unit:
        return self.unit

    def has_team_member(self, user: AnyUser) -> bool:
        """Is `user` on this project's team (any project role)? Read once per project object."""
        if not getattr(user, "pk", None):
            return False
        cache = self.__dict__.setdefault("_team_user_ids", None)
        if cache is None:
            cache = set(self.team.values_list("user_id", flat=True))
            self.__dict__["_team_user_ids"] = cache
        return user.pk in cache

    def forget_team(self) -> None:
        self.__dict__.pop("_team_user_ids", None)

    def missing_aim_parts(self) -> list[str]:
        """What the aim still lacks to be measurable (docs/reference/qi.md §3: what, how much, by when)."""
        missing = []
        if not self.aim.strip():
            missing.append("what you are trying to accomplish (the aim statement)")
        if self.aim_target is None:
            missing.append("how much: a target value")
        if self.aim_date is None:
            missing.append("by when: a date")
        if not self.aim_measure.strip():
            missing.append("the outcome measure the aim is judged by")
        return missing


class TeamMember(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_roles")
    role = models.CharField(max_length=16, choices=ProjectRole.choices, default=ProjectRole.MEMBER)
    joined_on = models.DateField(auto_now_add=True)

    class Meta:
        ordering = ["project", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="team_member_unique")]
        indexes = [models.Index(fields=["user", "role"], name="team_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.project}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)


class NodeKind(models.TextChoices):
    AIM = "aim", "Aim"
    PRIMARY = "primary", "Primary driver"
    SECONDARY = "secondary", "Secondary driver"
    CHANGE_IDEA = "change_idea", "Change idea"


# Depth of each kind in the diagram: a link goes from a node to one of a deeper kind, or from a
# secondary driver to another secondary driver (a finer driver), never back up.
NODE_LEVEL = {NodeKind.AIM: 0, NodeKind.PRIMARY: 1, NodeKind.SECONDARY: 2, NodeKind.CHANGE_IDEA: 3}


class DriverNode(CreatedAt):
    """One box of the driver diagram. A change idea is the node of kind `change_idea`: its PDSA cycles
    point at it, so the diagram and the ideas can never disagree."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nodes")
    kind = models.CharField(max_length=12, choices=NodeKind.choices)
    text = models.CharField(max_length=500)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "order", "id"]
        indexes = [models.Index(fields=["project", "kind"], name="node_project_kind_idx")]

    def __str__(self) -> str:
        return self.text

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)


class DriverEdge(models.Model):
    """A link from a node to one it acts through (`parent` nearer the aim, `child` nearer the change)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="edges")
    parent = models.ForeignKey(DriverNode, on_delete=models.CASCADE, related_name="child_edges")
    child = models.ForeignKey(DriverNode, on_delete=models.CASCADE, related_name="parent_edges")

    class Meta:
        ordering = ["project", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="edge_unique")]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id}"


class Purpose(models.TextChoices):
    DEVELOP = "develop", "Develop"
    TEST = "test", "Test"
    IMPLEMENT = "implement", "Implement"


class CarriedOut(models.TextChoices):
    YES = "yes", "Yes, as planned"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class PredictionConfirmed(models.TextChoices):
    YES = "yes", "Confirmed"
    PARTLY = "partly", "Partly confirmed"
    NO = "no", "Not confirmed"


class Decision(models.TextChoices):
    ADOPT = "adopt", "Adopt"
    ADAPT = "adapt", "Adapt"
    ABANDON = "abandon", "Abandon"


class PdsaCycle(Versioned, Timestamped, CreatedBy):
    """Plan, do, study, act for one change idea (docs/reference/qi.md §2). Cycles of one idea, by number,
    are its ramp."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cycles")
    change_idea = models.ForeignKey(DriverNode, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveIntegerField(help_text="1, 2, 3... within the change idea")
    # Plan
    purpose = models.CharField(max_length=10, choices=Purpose.choices, blank=True)
    objective = models.TextField(max_length=limits.TEXT)
    questions = models.TextField(blank=True, max_length=limits.TEXT)
    prediction = models.TextField(blank=True, max_length=limits.TEXT)
    predicted_at = models.DateTimeField(null=True, blank=True, help_text="When the prediction was written")
    plan_who = models.CharField(max_length=300, blank=True)
    plan_what = models.TextField(blank=True, max_length=limits.TEXT)
    plan_when = models.CharField(max_length=300, blank=True)
    plan_where = models.CharField(max_length=300, blank=True)
    data_to_collect = models.TextField(blank=True, max_length=limits.TEXT)
    scale_of_test = models.CharField(max_length=200, blank=True)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True, help_text="When the cycle is due to be studied")
    # Do
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    carried_out = models.CharField(max_length=8, choices=CarriedOut.choices, blank=True)
    what_happened = models.TextField(blank=True, max_length=limits.TEXT)
    problems = models.TextField(blank=True, max_length=limits.TEXT)
    observations = models.TextField(blank=True, max_length=limits.TEXT)
    # Study
    results = models.TextField(
        blank=True, help_text="Results compared with the prediction", max_length=limits.TEXT
    )
    prediction_confirmed = models.CharField(max_length=8, choices=PredictionConfirmed.choices, blank=True)
    learning = models.TextField(blank=True, max_length=limits.TEXT)
    # Act
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    rationale = models.TextField(blank=True, max_length=limits.TEXT)
    next_steps = models.TextField(blank=True, max_length=limits.TEXT)

    class Meta:
        ordering = ["change_idea", "number"]
        constraints = [models.UniqueConstraint(fields=["change_idea", "number"], name="cycle_unique_number")]
        indexes = [
            models.Index(fields=["project", "started_on"], name="cycle_project_started_idx"),
            models.Index(fields=["project", "planned_end"], name="cycle_project_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Cycle {self.number}: {self.objective[:60]}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)

    @property
    def phase(self) -> str:
        """Where the cycle has got to: plan, do, study, act or done."""
        if self.decision:
            return "done"
        if self.results or self.prediction_confirmed:
            return "act"
        if self.ended_on or self.what_happened or self.carried_out:
            return "study"
        if self.started_on:
            return "do"
        return "plan"


class ScoreRole(models.TextChoices):
    SELF = "self", "Team (self-assessment)"
    COACH = "coach", "Coach"


class ProgressScore(UpdatedAt):
    """One month's score on the project's scale (docs/reference/qi.md §1): set by people, never computed."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scores")
    month = models.DateField(help_text="The first day of the month")
    score = models.DecimalField(max_digits=3, decimal_places=1)
    role = models.CharField(max_length=8, choices=ScoreRole.choices, default=ScoreRole.SELF)
    comment = models.TextField(blank=True, max_length=limits.SHORT_TEXT)
    scale = models.ForeignKey(ProgressScale, on_delete=models.PROTECT, related_name="+")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["project", "month", "role"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month", "role"], name="score_unique_month_role")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.score} ({self.role})"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit


class JournalEntry(CreatedAt):
    """A dated update by a team member, with any files attached."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="journal")
    on = models.DateField()
    text = models.TextField(max_length=limits.LONG_TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.on}: {self.text[:60]}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit


class Attachment(CreatedAt):
    """A file attached to a journal entry: stored through Django's default storage (the data directory,
    or object storage when STORAGES says so), served only to signed-in people."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="projects/%Y/%m/", max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def permission_unit(self) -> Unit:
        return self.entry.project.unit


class MeasureRole(models.TextChoices):
    """How a measure serves the project (docs/reference/qi.md §2: a family of measures)."""

    OUTCOME = "outcome", "Outcome"
    PROCESS = "process", "Process"
    BALANCING = "balancing", "Balancing"


class ProjectMeasure(Created):
    """A series from Measurement linked to a project, in a role. One outcome link is the aim's measure.

    The series stays Measurement's (observations, annotations, analyses); the project only points at it,
    so a series may serve several projects and outlives them.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="measures")
    series = models.ForeignKey("measurement.Series", on_delete=models.CASCADE, related_name="project_links")
    role = models.CharField(max_length=10, choices=MeasureRole.choices)
    is_aim = models.BooleanField(default=False, help_text="The outcome measure the aim is judged by")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "series"], name="project_measure_unique_series"),
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(is_aim=True), name="project_measure_one_aim"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_aim=True) | models.Q(role="outcome"),
                name="project_measure_aim_outcome",
            ),
        ]
        indexes = [models.Index(fields=["series"], name="project_measure_series_idx")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: series {self.series_id} of project {self.project_id}"

    @property
    def permission_unit(self) -> Unit:
        return self.project.unit

    def has_team_member(self, user: AnyUser) -> bool:
        return self.project.has_team_member(user)
