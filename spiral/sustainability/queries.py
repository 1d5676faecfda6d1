"""Reads of sustainability that pages and the API share; every list goes through `visible_to`."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from spiral.core.types import AnyUser
from spiral.organisations.models import Unit, subtree_q
from spiral.organisations.permissions import visible_to
from spiral.projects.models import Project
from spiral.sustainability.models import Handover, WatchAlert


def handover(user: AnyUser, project: Project) -> Handover | None:
    """The project's hand-over, if it has one."""
    return (
        visible_to(user, Handover.objects.filter(project=project))
        .select_related("owner")
        .prefetch_related("measures__series__measure")
        .first()
    )


def owned_by_unit(user: AnyUser, unit: Unit) -> QuerySet[Handover]:
    """The hand-overs of projects in the unit and beneath it: what the unit now owns."""
    qs = Handover.objects.filter(subtree_q(unit.path, "project__unit__"))
    return (
        visible_to(user, qs)
        .select_related("project__unit", "owner")
        .prefetch_related(
            "measures",
            Prefetch(
                "alerts",
                WatchAlert.objects.filter(closed_at__isnull=True).select_related("link__series__measure"),
                "open_alerts",
            ),
        )
    )
