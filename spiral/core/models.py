"""The audit history: who changed what, when. Written explicitly by services in their transaction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from spiral.core import limits

# The fields many records share, defined once. Each keeps the exact definition the tables were made with
# (no help_text, no db_index), so inheriting them changes no migration.


class CreatedAt(models.Model):
    """When the row was made."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class UpdatedAt(models.Model):
    """When the row was last saved."""

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CreatedBy(models.Model):
    """Who made the row: kept (as None) when that person's account goes."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class Created(CreatedAt, CreatedBy):
    """Who made the row, and when."""

    class Meta:
        abstract = True


class Timestamped(CreatedAt, UpdatedAt):
    """When the row was made and last saved."""

    class Meta:
        abstract = True


class Versioned(models.Model):
    """A version raised by every saved edit, so an edit made from an older copy is refused
    (spiral.core.audit.refuse_stale and save_version)."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class AuditIsAppendOnly(Exception):
    """An audit event, once written, is never changed nor deleted through the application."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Audit events cannot be {what}: the audit history is append-only")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses bulk changes (`update`, `delete`, and `bulk_update`, which updates through `update`)."""

    def update(self, **kwargs: Any) -> int:
        raise AuditIsAppendOnly("changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditIsAppendOnly("deleted")


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: a person with a history is deactivated, never deleted, so "who" is never lost.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, help_text="A verb on a noun, e.g. unit.move")
    object_type = models.CharField(max_length=64, help_text="app_label.model, e.g. organisations.unit")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    # The unit path the change belongs to, so admins of a unit see the history of their tree.
    scope_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")

    # Rows are only ever added: the default manager and the base manager (which Django uses for
    # related-object updates and deletions) both refuse bulk changes.
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        base_manager_name = "objects"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditIsAppendOnly("changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditIsAppendOnly("deleted")


class IdempotencyKey(models.Model):
    """The stored answer to an API write sent with an `Idempotency-Key` header, so a client that retries
    (after a timeout, a dropped connection) gets the same answer instead of a second record.

    IETF draft "The Idempotency-Key HTTP Header Field": a key is scoped to the person, the method and the
    path; the request's fingerprint tells a retry from a different request reusing the key. Kept for
    `spiral.core.idempotency.LIFETIME`, written in the same transaction as the write it answers.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=1000)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body")
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "method", "path"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"


class DataGeneration(models.Model):
    """One row: the data generation that kept pages are keyed on (spiral.core.pagecache), raised after
    every transaction that writes; `token` is new each time the row is made, so a recreated row never
    repeats an older one's generations."""

    n = models.BigIntegerField(default=1)
    token = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"generation {self.token}.{self.n}"


class Job(CreatedAt):
    """A piece of background work a person (or the command line) started, with the progress they see on
    its page (spiral.core.jobs): rows checked and written, what is left, problems so far, the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "waiting to start"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=64, help_text="What runs, e.g. measurement.import")
    title = models.CharField(max_length=200, help_text="What the person sees, e.g. Import of falls.csv")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, blank=True, help_text="The unit the work belongs to")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True, help_text="e.g. checking rows, writing")
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    written = models.PositiveBigIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="What went wrong so far, in words")
    message = models.TextField(max_length=limits.SHORT_TEXT, blank=True, help_text="The outcome, in words")
    result_url = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["started_by", "-created_at"], name="job_person_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Notification(CreatedAt):
    """A message in a person's own list of notifications (the header shows how many are unread): any app
    may send one with `spiral.core.notifications.notify`."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=limits.NAME)
    body = models.TextField(max_length=limits.SHORT_TEXT, blank=True)
    url = models.CharField(
        max_length=300, blank=True, help_text="Where to go to act on it, e.g. /projects/12/"
    )
    key = models.CharField(
        max_length=100, blank=True, help_text="Sent once per person and key (e.g. one per watch episode)"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~models.Q(key=""), name="notification_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.title
