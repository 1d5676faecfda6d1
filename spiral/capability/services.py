"""Every write of capability: training records (one by one, for many people of a unit at once) and
headcount. Keyword arguments, the acting person as `by=`, one transaction, audited in it. The same
training recorded twice is one record: recording it again changes nothing (idempotent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
from spiral.core import audit, limits, screening
from spiral.organisations.models import Membership, Unit, User, subtree_q
from spiral.organisations.permissions import Permission, require, require_may_record_training

EARLIEST = dt.date(1990, 1, 1)
MAX_STAFF = 2_000_000
MAX_BULK = 500


def clean_training_fields(*, completed_on: dt.date | None, provider: str, evidence: str) -> dict[str, str]:
    """{field: message} for what is wrong with a training record's own fields (shared with the import)."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if completed_on is None:
        errors["completed_on"] = "Enter the date the training was completed, for example 14/03/2025"
    elif completed_on > today:
        errors["completed_on"] = "The date the training was completed cannot be in the future"
    elif completed_on < EARLIEST:
        errors["completed_on"] = f"The date the training was completed must be after {EARLIEST:%d/%m/%Y}"
    if not provider.strip():
        errors["provider"] = "Enter who provided the training, for example the trust's QI team"
    errors |= limits.length_errors(TrainingRecord, {"provider": provider, "evidence": evidence})
    for field, message in screening.check_fields(
        {"provider": provider, "evidence": evidence}, {"provider": "The provider", "evidence": "The evidence"}
    ).items():
        errors.setdefault(field, message)
    return errors


def unit_of_person(person: User, unit: Unit | None) -> Unit:
    """The unit a training record of `person` belongs to: `unit` if they hold a role on it or above it,
    else their only unit; ValidationError saying what to choose otherwise."""
    units = [m.unit for m in Membership.objects.filter(user=person).select_related("unit").order_by("id")]
    if unit is not None:
        if any(unit.path.startswith(u.path) for u in units):
            return unit
        raise ValidationError(
            {
                "unit": f"{person.display_name} holds no role on {unit.name} or above it: choose one of their units"
            }
        )
    if not units:
        raise ValidationError(
            {"unit": f"{person.display_name} holds no role on any unit: add them to their team first"}
        )
    return units[0]


def _record(
    *, person: User, tier: TrainingTier, unit: Unit, completed_on: dt.date, provider: str, evidence: str,
    by: User | None,
) -> tuple[TrainingRecord, bool]:  # fmt: skip
    existing = TrainingRecord.objects.filter(person=person, tier=tier, completed_on=completed_on).first()
    if existing is not None:
        return existing, False
    record = TrainingRecord.objects.create(
        person=person, tier=tier, unit=unit, completed_on=completed_on, provider=provider.strip(),
        evidence=evidence.strip(), created_by=by,
    )  # fmt: skip
    audit.record(
        action="capability.training_add", obj=record, by=by, scope_path=unit.path,
        changes={"training": [None, f"{tier.name} on {completed_on:%Y-%m-%d} ({provider.strip()})"],
                 "person": [None, person.display_name]},
    )  # fmt: skip
    return record, True


@transaction.atomic
def record_training(
    *,
    person: User,
    tier: TrainingTier,
    completed_on: dt.date | None,
    provider: str,
    evidence: str = "",
    unit: Unit | None = None,
    by: User | None,
) -> tuple[TrainingRecord, bool]:
    """Record that `person` completed a course of `tier` on `completed_on`; (record, created).

    The person records their own; a leader of a unit above them or an admin records anyone's (`by=None`
    is the system: the demo, a command). The same person, tier and day again returns the existing record
    and writes nothing: the same training is one record however often it is sent.
    """
    if by is not None:
        require_may_record_training(by, person)
    errors = clean_training_fields(completed_on=completed_on, provider=provider, evidence=evidence)
    try:
        unit = unit_of_person(person, unit)
    except ValidationError as exc:
        errors |= {k: v[0] for k, v in exc.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    assert completed_on is not None and unit is not None
    return _record(person=person, tier=tier, unit=unit, completed_on=completed_on, provider=provider,
                   evidence=evidence, by=by)  # fmt: skip


@transaction.atomic
def record_training_many(
    *,
    unit: Unit,
    people: Iterable[User],
    tier: TrainingTier,
    completed_on: dt.date | None,
    provider: str,
    evidence: str = "",
    by: User | None,
) -> tuple[int, int]:
    """Record one course for many people of `unit` (and beneath) at once: (created, already recorded).

    Needs `record_training` on the unit; every person must hold a role on it or beneath. All or nothing.
    """
    if by is not None:
        require(by, Permission.RECORD_TRAINING, unit)
    people = list(people)
    errors = clean_training_fields(completed_on=completed_on, provider=provider, evidence=evidence)
    if not people:
        errors["people"] = "Choose at least one person who completed the training"
    if len(people) > MAX_BULK:
        errors["people"] = f"Choose at most {MAX_BULK} people at a time"
    units: dict[int, Unit] = {}
    for m in Membership.objects.filter(subtree_q(unit.path, "unit__"), user__in=people).select_related(
        "unit"
    ):
        units.setdefault(m.user_id, m.unit)
    outside = [p.display_name for p in people if p.pk not in units]
    if outside:
        errors["people"] = f"{', '.join(sorted(outside)[:5])} hold no role on {unit.name} or beneath"
    if errors:
        raise ValidationError(errors)
    assert completed_on is not None
    created = 0
    for person in people:
        _, new = _record(person=person, tier=tier, unit=units[person.pk], completed_on=completed_on,
                         provider=provider, evidence=evidence, by=by)  # fmt: skip
        created += new
    return created, len(people) - created


@transaction.atomic
def delete_training(*, record: TrainingRecord, by: User | None) -> None:
    """Remove a training record recorded by mistake (the same people who may record it)."""
    if by is not None:
        require_may_record_training(by, record.person)
    audit.record(
        action="capability.training_delete", obj=record, by=by, scope_path=record.unit.path,
        changes={"training": [f"{record.tier.name} on {record.completed_on:%Y-%m-%d}", None]},
    )  # fmt: skip
    record.delete()


def clean_headcount(*, period_start: dt.date | None, staff: Any) -> dict[str, str]:
    """{field: message} for a headcount's period and number of staff (shared with the import)."""
    errors: dict[str, str] = {}
    if period_start is None:
        errors["period"] = "Enter the month of the headcount, for example 2025-04"
    elif period_start > timezone.localdate():
        errors["period"] = "The month of a headcount cannot be in the future"
    elif period_start < EARLIEST:
        errors["period"] = f"The month of a headcount must be after {EARLIEST:%m/%Y}"
    if isinstance(staff, bool) or not isinstance(staff, int):
        errors["staff"] = "Enter the number of staff in post as a whole number, for example 240"
    elif not 0 <= staff <= MAX_STAFF:
        errors["staff"] = f"The number of staff in post must be from 0 to {MAX_STAFF:,}"
    return errors


def _headcount(*, unit: Unit, period_start: dt.date, staff: int, by: User | None) -> tuple[Headcount, str]:
    existing = (
        Headcount.objects.select_for_update(of=("self",)).filter(unit=unit, period_start=period_start).first()
    )
    if existing is not None and existing.staff == staff:
        return existing, "unchanged"
    if existing is not None:
        before = existing.staff
        existing.staff = staff
        existing.save(update_fields=["staff"])
        audit.record(action="capability.headcount_change", obj=existing, by=by, scope_path=unit.path,
                     changes={"staff": [before, staff]})  # fmt: skip
        return existing, "updated"
    row = Headcount.objects.create(unit=unit, period_start=period_start, staff=staff, created_by=by)
    audit.record(action="capability.headcount_add", obj=row, by=by, scope_path=unit.path,
                 changes={"staff": [None, staff], "period": [None, f"{period_start:%Y-%m}"]})  # fmt: skip
    return row, "created"


@transaction.atomic
def record_headcount(
    *, unit: Unit, period_start: dt.date | None, staff: Any, by: User | None
) -> tuple[Headcount, str]:
    """Record the staff in post of `unit` in the month `period_start`: (row, "created"|"updated"|"unchanged")."""
    if by is not None:
        require(by, Permission.RECORD_HEADCOUNT, unit)
    errors = clean_headcount(period_start=period_start, staff=staff)
    if errors:
        raise ValidationError(errors)
    assert period_start is not None
    return _headcount(unit=unit, period_start=period_start.replace(day=1), staff=staff, by=by)
