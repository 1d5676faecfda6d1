"""Writes of reporting: the board's pack settings, and asking for a pack (made by a background task)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from spiral.core import audit, jobs
from spiral.core.models import Job
from spiral.measurement.models import Series
from spiral.organisations.models import Unit, User
from spiral.reporting.board import month_start
from spiral.reporting.models import BoardPack, BoardSchedule, Trigger

MAX_MEASURES = 12


@transaction.atomic
def save_board_schedule(
    *, unit: Unit, series_ids: Iterable[int], monthly: bool, by: User, version: int | None = None
) -> BoardSchedule:
    """Set the board's chosen measures (series of the unit or beneath) and whether a pack is made monthly;
    later scheduled packs read as `by`. A stale `version` is refused (409 in the API)."""
    ids = sorted(set(series_ids))
    if len(ids) > MAX_MEASURES:
        raise ValidationError(
            {"measures": f"Choose at most {MAX_MEASURES} measures; {len(ids)} were chosen."}
        )
    found = list(Series.objects.filter(unit.subtree_q("unit__"), pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError(
            {
                "measures": f"Series {', '.join(map(str, missing))} are not measures of {unit.name} or beneath it."
            }
        )
    schedule, created = BoardSchedule.objects.select_for_update(of=("self",)).get_or_create(
        unit=unit, defaults={"monthly": monthly, "reader": by}
    )
    before = {"monthly": schedule.monthly, "measures": sorted(schedule.measures.values_list("pk", flat=True))}
    if not created:
        audit.refuse_stale(schedule, version)
        schedule.monthly, schedule.reader = monthly, by
        schedule.version += 1
        schedule.save()
    schedule.measures.set(found)
    after = {"monthly": monthly, "measures": sorted(found)}
    audit.record(
        action="reporting.board_schedule_create" if created else "reporting.board_schedule_change",
        obj=unit, by=by, scope_path=unit.path, changes=audit.diff(before, after),
    )  # fmt: skip
    return schedule


@transaction.atomic
def request_board_pack(
    *, unit: Unit, by: User | None, month: dt.date | None = None, trigger: str = Trigger.ON_DEMAND
) -> Job:
    """Queue the making of the unit's pack for `month` (default this month) as a job; the task makes it as
    `by` (what they may read). Audited when it is made (`make_board_pack`)."""
    month = month_start(month or timezone.localdate())
    job = jobs.start(
        "reporting.board_pack",
        title=f"Board pack of {unit.name} for {month:%B %Y}",
        by=by,
        scope_path=unit.path,
    )
    from spiral.reporting import tasks

    tasks.make_board_pack.enqueue(job.pk, unit.pk, month.isoformat(), str(trigger), by.pk if by else None)
    job.refresh_from_db()
    return job


def request_due_packs(today: dt.date | None = None) -> int:
    """Queue this month's scheduled pack of every unit whose board asked for one and has none yet (safe to
    run every day: `spiral make_board_packs`). Returns how many were queued."""
    month = month_start(today or timezone.localdate())
    made = BoardPack.objects.filter(month=month, trigger=Trigger.SCHEDULE).values("unit_id")
    queued = 0
    for schedule in (
        BoardSchedule.objects.filter(monthly=True).exclude(unit_id__in=made).select_related("unit", "reader")
    ):
        if Job.objects.filter(kind="reporting.board_pack", scope_path=schedule.unit.path,
                              status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():  # fmt: skip
            continue
        request_board_pack(unit=schedule.unit, by=schedule.reader, month=month, trigger=Trigger.SCHEDULE)
        queued += 1
    return queued


@transaction.atomic
def store_board_pack(
    *, unit: Unit, month: dt.date, trigger: str, html: str, by: User | None, job: Job | None
) -> BoardPack:
    """Keep a made pack (its HTML in the media storage) and audit it. A scheduled month is made once."""
    from django.core.files.base import ContentFile

    if trigger == Trigger.SCHEDULE:
        existing = BoardPack.objects.filter(unit=unit, month=month, trigger=Trigger.SCHEDULE).first()
        if existing is not None:
            return existing
    content = html.encode("utf-8")
    pack = BoardPack(unit=unit, month=month, trigger=trigger, created_by=by, job=job, size=len(content))
    pack.file.save(f"board-pack-{unit.code}-{month:%Y-%m}.html", ContentFile(content), save=False)
    pack.save()
    audit.record(
        action="reporting.board_pack_make", obj=unit, by=by, scope_path=unit.path,
        changes={"board_pack": [None, f"{month:%B %Y} ({pack.get_trigger_display().lower()})"]},
    )  # fmt: skip
    return pack
