"""Reads that pages and the API share. Every function takes the user and filters through permissions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from spiral.core.models import AuditEvent, Job, Notification
from spiral.core.types import AnyUser
from spiral.organisations.models import PATH_WIDTH, Membership, Role, Unit, UnitKind, User, subtree_q
from spiral.organisations.permissions import Permission, get_or_deny, visible_to


def units(
    user: AnyUser,
    *,
    kind: str | None = None,
    parent: Unit | None = None,
    q: str | None = None,
    within: Unit | None = None,
) -> QuerySet[Unit]:
    """Units the user may see, filtered by kind, direct parent, text (name or code) and subtree."""
    qs = visible_to(user, Unit.objects.select_related("parent"))
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if within is not None:
        qs = qs.filter(within.subtree_q())
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code__iexact=q.strip()))
    return qs.order_by("name", "id")


def unit_by_code(user: AnyUser, code: str) -> Unit | None:
    """The unit with this code, if the user may see it (None otherwise), with its parent."""
    return visible_to(user, Unit.objects.select_related("parent")).filter(code=code).first()


def unit_for(user: AnyUser, code: str, permission: Permission = Permission.VIEW_UNIT) -> Unit:
    """The unit with this code, with its parent: 404 if the user may not see it, 403 if they may see it
    but not act (`permission`)."""
    return get_or_deny(user, permission, Unit.objects.select_related("parent"), code=code)


def roots(user: AnyUser) -> QuerySet[Unit]:
    """The top units of the hierarchy (those without a parent) the user may see, by name."""
    return visible_to(user, Unit.objects.filter(parent__isnull=True)).order_by("name")


def ancestors(user: AnyUser, unit: Unit) -> list[Unit]:
    """From the root down to the parent: one indexed query on the ids in the path."""
    ids = unit.ancestor_ids()
    found = {u.pk: u for u in visible_to(user, Unit.objects.filter(pk__in=ids))}
    return [found[i] for i in ids if i in found]


@dataclass
class ChildSummary:
    unit: Unit
    organisations: int
    teams: int
    people: int


def children_with_counts(user: AnyUser, unit: Unit) -> list[ChildSummary]:
    """The unit's children with the organisations, teams and people beneath each (three grouped queries)."""
    children = list(visible_to(user, Unit.objects.filter(parent=unit)).order_by("name"))
    if not children:
        return []
    width = len(unit.path) + PATH_WIDTH  # every child's path: the unit's path and one segment
    beneath = visible_to(user, Unit.objects.filter(unit.subtree_q()).exclude(pk=unit.pk))
    per_kind: dict[tuple[str, str], int] = {}
    for row in (
        beneath.filter(kind__in=[UnitKind.ORGANISATION, UnitKind.TEAM])
        .annotate(branch=Substr("path", 1, width))
        .values("branch", "kind")
        .annotate(n=Count("id"))
    ):
        per_kind[(row["branch"], row["kind"])] = row["n"]
    people = {
        row["branch"]: row["n"]
        for row in visible_to(user, Membership.objects.filter(subtree_q(unit.path, "unit__")))
        .annotate(branch=Substr("unit__path", 1, width))
        .values("branch")
        .annotate(n=Count("user", distinct=True))
    }
    return [
        ChildSummary(
            unit=child,
            organisations=per_kind.get((child.path, UnitKind.ORGANISATION), 0),
            teams=per_kind.get((child.path, UnitKind.TEAM), 0),
            people=people.get(child.path, 0),
        )
        for child in children
    ]


def people_count_beneath(user: AnyUser, unit: Unit) -> int:
    """How many distinct people hold a role on the unit or beneath it, among the memberships the user may
    see."""
    return (
        visible_to(user, Membership.objects.filter(subtree_q(unit.path, "unit__")))
        .values("user")
        .distinct()
        .count()
    )


def memberships_of_unit(user: AnyUser, unit: Unit) -> QuerySet[Membership]:
    """The roles held directly on the unit."""
    return (
        visible_to(user, Membership.objects.filter(unit=unit))
        .select_related("user")
        .order_by("role", "user__display_name")
    )


def memberships_of_person(user: AnyUser, person: User) -> QuerySet[Membership]:
    """The roles `person` holds that the user may see, in hierarchy order, with their units."""
    return (
        visible_to(user, Membership.objects.filter(user=person))
        .select_related("unit")
        .order_by("unit__path", "role")
    )


def my_units(user: User) -> list[Unit]:
    """The units where the user holds any role, each once, in hierarchy order."""
    ids = Membership.objects.filter(user=user).values("unit")
    return list(visible_to(user, Unit.objects.filter(pk__in=ids)).select_related("parent").order_by("path"))


def people(
    user: AnyUser,
    *,
    q: str | None = None,
    unit: Unit | None = None,
    role: str | None = None,
    include_beneath: bool = True,
) -> QuerySet[User]:
    """People the user may see, found by name/email/job title, unit (and beneath) and role."""
    qs = visible_to(user, User.objects.filter(is_active=True))
    if q and q.strip():
        for word in q.split():
            qs = qs.filter(
                Q(display_name__icontains=word)
                | Q(email__icontains=word)
                | Q(job_title__icontains=word)
                | Q(profession__icontains=word)
            )
    if unit is not None or role:
        memberships = Membership.objects.all()
        if unit is not None:
            memberships = memberships.filter(
                subtree_q(unit.path, "unit__") if include_beneath else Q(unit=unit)
            )
        if role:
            memberships = memberships.filter(role=role)
        qs = qs.filter(pk__in=memberships.values("user"))
    return qs.order_by("display_name", "id")


def audit_events(
    user: AnyUser,
    *,
    unit: Unit | None = None,
    action: str | None = None,
    actor: User | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit events the user may see, newest first: within `unit`, by `actor`, of an action (a prefix:
    "membership." is every change to roles), of one kind of record (and one record), from `since` to
    `until` (whole local days, both included)."""
    qs = visible_to(user, AuditEvent.objects.select_related("actor"))
    if unit is not None:
        qs = qs.filter(subtree_q(unit.path, field="scope_path"))
    if action:
        qs = qs.filter(action__startswith=action)
    if actor is not None:
        qs = qs.filter(actor=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
        if object_id:
            qs = qs.filter(object_id=object_id)
    if since is not None:
        qs = qs.filter(at__gte=_start_of(since))
    if until is not None:
        qs = qs.filter(at__lt=_start_of(until + dt.timedelta(days=1)))
    return qs


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the site's time zone (Europe/London)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


ROLE_CHOICES = Role.choices


def jobs_started_by(user: User, *, limit: int = 5) -> list[Job]:
    """The background work (large imports) the user started, newest first."""
    return list(Job.objects.filter(started_by=user).order_by("-id")[:limit])


def job_for(user: AnyUser, job_id: int) -> Job:
    """Background work the user started (404 for anyone else's, as if it did not exist)."""
    return get_or_deny(user, Permission.VIEW_JOB, Job.objects.all(), pk=job_id)


def notifications(user: AnyUser, *, unread: bool = False) -> QuerySet[Notification]:
    """The person's own notifications, newest first (nobody sees another's); only the unread if asked."""
    qs = visible_to(user, Notification.objects.all())
    return qs.filter(read_at__isnull=True) if unread else qs
