"""In-app notifications: any app tells people something (a gain at risk, a job done) with `notify`; each
person reads their own list, and the header shows how many are unread (`unread_count`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from spiral.core import limits
from spiral.core.models import Notification


@transaction.atomic
def notify(
    users: Iterable[Any], *, title: str, body: str = "", url: str = "", key: str = ""
) -> list[Notification]:
    """Send one notification to each active person in `users` (duplicates once). With a `key`, a person
    who already has a notification with that key gets no second one, so a repeated run sends nothing new.
    Titles and bodies are Spiral's own words (no free text from people: callers name records, not notes)."""
    people = {u.pk: u for u in users if u is not None and u.pk is not None and getattr(u, "is_active", True)}
    if key:
        already = set(
            Notification.objects.filter(recipient_id__in=list(people), key=key).values_list(
                "recipient_id", flat=True
            )
        )
        people = {pk: u for pk, u in people.items() if pk not in already}
    rows = [
        Notification(
            recipient_id=pk,
            title=title[: limits.NAME],
            body=body[: limits.SHORT_TEXT],
            url=url[:300],
            key=key,
        )
        for pk in sorted(people)
    ]
    return Notification.objects.bulk_create(rows)


def unread_count(user: Any) -> int:
    """How many of the person's notifications are unread (0, with no query, for an anonymous visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


@transaction.atomic
def mark_read(*, notifications: QuerySet[Notification], ids: Sequence[int] | None = None) -> int:
    """Mark as read those of `notifications` (already filtered to the person's own) with these ids, or all
    of them (ids None); how many were unread. Reading twice changes nothing."""
    qs = notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
