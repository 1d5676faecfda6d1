"""Every write of sustainability: the hand-over checklist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from spiral.core import audit, screening
from spiral.organisations.models import User
from spiral.organisations.permissions import role_grants
from spiral.projects.models import Project, ProjectMeasure, Stage, Status
from spiral.sustainability.models import Handover, WatchAlert

HANDED_OVER = (Stage.SUSTAINING, Stage.SPREADING)
LABELS = {"standard_work": "Standard work or guideline", "training": "Training for new staff"}


def may_hand_over(project: Project) -> bool:
    """A project gets a hand-over once it is sustaining (or spreading), or closed."""
    return project.stage in HANDED_OVER or project.status == Status.CLOSED


def holds_role_on(user: User, project: Project) -> bool:
    """Does `user` hold a role on the project's unit (or a unit above it)?"""
    return user.is_active and any(project.unit.path.startswith(path) for path, _ in role_grants(user))


@transaction.atomic
def save_handover(
    *,
    project: Project,
    by: User,
    owner: User | None,
    measure_ids: Sequence[int],
    standard_work: str = "",
    training: str = "",
    review_on: dt.date | None = None,
) -> Handover:
    """Create or update the project's hand-over; every change is audited. The owner must hold a role on
    the project's unit (or above it); the measures must be the project's own; free text is screened."""
    if not may_hand_over(project):
        raise ValidationError(
            f"{project.title} is at the stage '{project.get_stage_display()}': move it to sustaining before "
            "handing it over"
        )
    errors: dict[str, str] = {}
    if owner is not None and not holds_role_on(owner, project):
        errors["owner"] = (
            f"{owner.display_name} holds no role on {project.unit.name}: the owner must be someone who works "
            "there (ask a leader of the unit to give them a role first)"
        )
    links = list(ProjectMeasure.objects.filter(project=project, pk__in=list(measure_ids)))
    if len(links) != len(set(measure_ids)):
        errors["measures"] = "Choose measures linked to this project"
    if review_on is not None and review_on < timezone.localdate():
        errors["review_on"] = "The date to review cannot be in the past"
    values = {"standard_work": standard_work.strip(), "training": training.strip()}
    errors |= screening.check_fields(values, LABELS)
    if errors:
        raise ValidationError(errors)
    handover, created = Handover.objects.select_for_update(of=("self",)).get_or_create(project=project)
    before: dict[str, Any] = {} if created else {
        "owner": str(handover.owner) if handover.owner else None,
        "measures": sorted(handover.measures.values_list("pk", flat=True)),
        "standard_work": handover.standard_work, "training": handover.training,
        "review_on": handover.review_on,
    }  # fmt: skip
    handover.owner = owner
    handover.standard_work = values["standard_work"]
    handover.training = values["training"]
    handover.review_on = review_on
    if not created:
        handover.version += 1
    if handover.handed_over_on is None and links:
        handover.handed_over_on = timezone.localdate()  # the watch's limits are fixed on points up to here
    handover.save()
    handover.measures.set(links)
    after = {
        "owner": str(owner) if owner else None, "measures": sorted(link.pk for link in links),
        "standard_work": handover.standard_work, "training": handover.training, "review_on": review_on,
    }  # fmt: skip
    audit.record(
        action="sustainability.handover_create" if created else "sustainability.handover_change",
        obj=project, by=by, scope_path=project.unit.path, changes=audit.diff(before, after),
    )  # fmt: skip
    return handover


@transaction.atomic
def acknowledge_alert(*, alert: WatchAlert, by: User, note: str) -> WatchAlert:
    """Record that someone has seen a gain at risk, with a note (a known cause, an action started)."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what is known or being done (a known cause, an action started)"})
    errors = screening.check_fields({"note": note}, {"note": "Note"})
    if errors:
        raise ValidationError(errors)
    alert = (
        WatchAlert.objects.select_for_update(of=("self",)).select_related("project__unit").get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None:
        raise ValidationError({"note": "This gain at risk is already acknowledged: the first note stands"})
    alert.acknowledged_by, alert.acknowledged_at, alert.note = by, timezone.now(), note
    alert.save(update_fields=["acknowledged_by", "acknowledged_at", "note"])
    project = alert.project or alert.link.project
    audit.record(
        action="sustainability.alert_acknowledge", obj=project, by=by, scope_path=project.unit.path,
        changes={"gain_at_risk": [alert.rule, f"acknowledged: {note}"]},
    )  # fmt: skip
    return alert
