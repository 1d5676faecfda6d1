"""The catalogue's search index, resources, communities of practice, field tests and spread.

Everything here is open to every signed-in person (openness for learning): registered "open" in apps.py.
Who may change what is in organisations/permissions.py, "Knowledge".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spiral.core import limits
from spiral.core.models import Created, CreatedBy, Timestamped, Versioned
from spiral.core.types import AnyUser
from spiral.organisations.models import Unit


class DocKind(models.TextChoices):
    PROJECT = "project", "Project"
    CHANGE_IDEA = "change_idea", "Change idea"
    RESOURCE = "resource", "Resource"
    COMMUNITY = "community", "Community"
    MEASURE = "measure", "Measure or indicator"
    # Registered by apps above knowledge (knowledge.sources): found and shown by the same search.
    DECISION = "decision", "Decision"


class SearchDocument(models.Model):
    """One searchable object, its text as indexed and its cached embedding.

    Derived data, rebuilt by knowledge.search.index_* (explicit calls, never signals). On SQLite the
    FTS5 table `knowledge_fts` holds the words with rowid = this row's id; on PostgreSQL a stored
    generated column `tsv` with a GIN index does (migrations 0002 and 0004, each for its database).
    """

    kind = models.CharField(max_length=12, choices=DocKind.choices)
    object_id = models.PositiveBigIntegerField()
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    text_hash = models.CharField(max_length=64, help_text="sha256 of the embedded text: skip unchanged")
    embedding = models.BinaryField(null=True, blank=True, help_text="384 float32, or empty without model")
    indexed_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "object_id"]
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_unique")]
        # The newest indexed_at of a kind says whether a process's cached vectors are still current.
        indexes = [models.Index(fields=["kind", "indexed_at"], name="search_doc_kind_indexed_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"


class SearchTerm(models.Model):
    """Every word the index holds, for correcting misspelt queries (both databases alike)."""

    word = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.word


class ResourceKind(models.TextChoices):
    CASE_STUDY = "case_study", "Case study"
    CHANGE_PACKAGE = "change_package", "Change package"
    TOOL = "tool", "Tool"
    GUIDE = "guide", "Guide"
    MEASUREMENT_DEFINITION = "measurement_definition", "Measurement definition"


class Resource(Versioned, Timestamped, CreatedBy):
    """A curated knowledge item. The body is Markdown, rendered sanitised; each save keeps a version."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=ResourceKind.choices)
    summary = models.TextField(max_length=limits.SHORT_TEXT)
    body = models.TextField(blank=True, help_text="Markdown", max_length=limits.LONG_TEXT)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="resources")
    topics = models.ManyToManyField("projects.Topic", blank=True, related_name="resources")
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="resources")

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class ResourceVersion(Created):
    """What a resource said at each version (the newest equals the resource itself)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=limits.SHORT_TEXT)
    body = models.TextField(blank=True, max_length=limits.LONG_TEXT)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"], name="resource_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"


class Community(Created):
    """A community of practice on a topic: anyone signed in may join."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, max_length=limits.TEXT)
    topic = models.ForeignKey(
        "projects.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="communities", help_text="Host unit"
    )
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="communities")
    resources = models.ManyToManyField(Resource, blank=True, related_name="communities")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name

    @property
    def permission_unit(self) -> Unit:
        return self.unit

    def is_member(self, user: AnyUser) -> bool:
        if not getattr(user, "pk", None):
            return False
        return self.members.filter(user=user).exists()  # type: ignore[misc]  # signed in: tested above

    def has_facilitator(self, user: AnyUser) -> bool:
        """Is `user` one of this community's facilitators (who keep its links; permissions.py asks)?"""
        if not getattr(user, "pk", None):
            return False
        return self.members.filter(user=user, role=CommunityRole.FACILITATOR).exists()  # type: ignore[misc]  # signed in: tested above


class CommunityRole(models.TextChoices):
    MEMBER = "member", "Member"
    FACILITATOR = "facilitator", "Facilitator"


class CommunityMember(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="communities")
    role = models.CharField(max_length=12, choices=CommunityRole.choices, default=CommunityRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community", "-role", "joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="community_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.community}"


class Thread(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_post_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_post_at", "-id"]
        indexes = [models.Index(fields=["community", "last_post_at"], name="thread_community_idx")]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    """The opening post of a thread, or a reply to it. Text is screened for identifiers on the way in."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=limits.LONG_TEXT)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["thread", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class FieldTestStatus(models.TextChoices):
    RECRUITING = "recruiting", "Recruiting sites"
    RUNNING = "running", "Running"
    CLOSED = "closed", "Closed"


class FieldTest(Created):
    """A change idea tested deliberately at several sites against one common measure, in a time window."""

    title = models.CharField(max_length=200)
    sponsor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="field_tests")
    change_idea = models.TextField(
        help_text="The change idea to test, described for the sites", max_length=limits.TEXT
    )
    description = models.TextField(blank=True, max_length=limits.TEXT)
    measure = models.ForeignKey("measurement.Measure", on_delete=models.PROTECT, related_name="field_tests")
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=FieldTestStatus.choices, default=FieldTestStatus.RECRUITING
    )

    class Meta:
        ordering = ["-starts_on", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def permission_unit(self) -> Unit:
        return self.sponsor


class FieldTestSite(models.Model):
    """A unit taking part in a field test, through a project of its own."""

    field_test = models.ForeignKey(FieldTest, on_delete=models.CASCADE, related_name="sites")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="field_test_site"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["field_test", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["field_test", "unit"], name="field_test_site_unique")]

    def __str__(self) -> str:
        return f"{self.unit} in {self.field_test}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit


class Adoption(CreatedBy):
    """Spread: a unit adopting a project or a change idea from another; the lineage is kept
    (docs/reference/qi.md §4: source, adopting unit, date adopted, adaptation made; the result is the new
    project's measure)."""

    source_project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="adoptions")
    source_idea = models.ForeignKey(
        "projects.DriverNode", null=True, blank=True, on_delete=models.SET_NULL, related_name="adoptions"
    )
    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="adopted_from")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    adopted_on = models.DateField()
    adaptation = models.TextField(blank=True, max_length=limits.TEXT)

    class Meta:
        ordering = ["adopted_on", "id"]

    def __str__(self) -> str:
        return f"{self.unit} adopted {self.source_project}"

    @property
    def permission_unit(self) -> Unit:
        return self.unit
