"""Reads of sustainability that pages and the API share; every list goes through `visible_to`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from spiral.core.types import AnyUser
from spiral.knowledge import queries as knowledge_queries
from spiral.organisations.models import Unit, subtree_q
from spiral.organisations.permissions import visible_to
from spiral.projects.models import Project, ProjectMeasure
from spiral.sustainability.models import Handover, Watch, WatchAlert, WatchState


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


def watches(user: AnyUser, project: Project) -> list[Watch]:
    """The watch on each of the project's measures, each with `open_alert` (the episode now open, or None)."""
    rows = list(
        visible_to(user, Watch.objects.filter(project=project)).select_related(
            "link__series__measure", "link__series__unit"
        )
    )
    alerts = {
        a.link_id: a
        for a in visible_to(
            user, WatchAlert.objects.filter(project=project, closed_at__isnull=True)
        ).select_related("acknowledged_by")
    }
    for row in rows:
        row.open_alert = alerts.get(row.link_id)  # type: ignore[attr-defined]
    return rows


def at_risk(user: AnyUser, unit: Unit) -> QuerySet[WatchAlert]:
    """The open gains at risk of projects in the unit and beneath it, newest first."""
    qs = WatchAlert.objects.filter(subtree_q(unit.path, "project__unit__"), closed_at__isnull=True)
    return visible_to(user, qs).select_related(
        "project__unit", "link__series__measure", "link__series__unit", "acknowledged_by"
    )


def open_alert(user: AnyUser, project: Project, alert_id: int) -> WatchAlert | None:
    """One of the project's open gains at risk, or None."""
    return visible_to(
        user, WatchAlert.objects.filter(project=project, closed_at__isnull=True, pk=alert_id)
    ).first()


@dataclass(frozen=True)
class Spread:
    """The project's sustainability picture beyond its own unit: "held here, adopted by 4 units, improving
    in 3". `here` is the watch's verdict on the project's own measures."""

    here: str  # "held", "at_risk", "too_early" or "not_watched"
    units: int  # units that adopted the project or one of its changes (directly or from an adopter)
    improving: int  # of those, the units whose adopted project's outcome measure shows improvement
    measures: int  # the measures the adopting projects watch (their own, counted)

    @property
    def text(self) -> str:
        here = {"held": "Held here", "at_risk": "Gain at risk here", "too_early": "Too early to tell here",
                "not_watched": "Not yet watched here"}[self.here]  # fmt: skip
        if not self.units:
            return f"{here}; not adopted elsewhere yet"
        return (
            f"{here}, adopted by {self.units} unit{'' if self.units == 1 else 's'}, improving in {self.improving}"
            f" ({self.measures} measure{'' if self.measures == 1 else 's'} of their own)"
        )


def spread(user: AnyUser, project: Project, rows: list[Watch] | None = None) -> Spread:
    """The project's own watch and the adoptions of its changes elsewhere (knowledge's lineage), with
    their own measures counted."""
    rows = watches(user, project) if rows is None else rows
    states = {w.state for w in rows}
    if _any_has(rows, "open_alert") or WatchState.AT_RISK in states:
        here = "at_risk"
    elif states and states <= {WatchState.HOLDING}:
        here = "held"
    elif states:
        here = "too_early"
    else:
        here = "not_watched"
    nodes = knowledge_queries.flatten(knowledge_queries.spread_tree(user, project))
    units = {n.adoption.unit_id for n in nodes}
    improving = {n.adoption.unit_id for n in nodes if n.improvement_shown}
    measures = ProjectMeasure.objects.filter(project_id__in=[n.adoption.project_id for n in nodes]).count()
    return Spread(here, len(units), len(improving), measures)


def _any_has(rows: list[Watch], name: str) -> bool:
    # the open alert `watches` attaches to each row
    return any(getattr(r, name, None) for r in rows)
