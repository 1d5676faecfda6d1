"""Measurement's background work: recomputing SPC analyses after their series or measure changed.

A change marks the analyses it affects stale in its own transaction and enqueues `recompute_analyses`
(queue `analyses`). With SPIRAL_TASKS=immediate (the default) it runs at once in-process, so the change
and its analyses are one step as before; with SPIRAL_TASKS=database a worker runs it, and until then every
page shows those analyses as "updating", with the time they were last right, never as current.
`recompute_stale` (run by every worker every minute) catches anything left stale, e.g. after a failure,
and recomputes analyses whose incomplete (not yet ended) period has since ended.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tasks import task

from spiral.core import jobs
from spiral.core.models import Job
from spiral.measurement import analyses, imports, rollups
from spiral.measurement.models import Analysis, Series
from spiral.organisations.models import User

logger = logging.getLogger(__name__)

BATCH = 2000  # series per task: one task's transaction stays short


def schedule(series_ids: Iterable[int]) -> None:
    """Mark these series' analyses stale (creating missing ones) and enqueue their recomputation."""
    ids = sorted(set(series_ids))
    if not ids:
        return
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        Analysis.objects.filter(series_id__in=chunk, stale=False).update(stale=True)
        recompute_analyses.enqueue(chunk)


@task(queue_name="analyses")
def recompute_analyses(series_ids: list[int]) -> int:
    """Recompute these series' analyses from their observations as they are now (safe to repeat)."""
    existing = list(Series.objects.filter(pk__in=series_ids).values_list("pk", flat=True))
    return analyses.recompute(existing) if existing else 0


def schedule_roll_up(measure_ids: Iterable[int]) -> None:
    """Mark the derived series of these measures stale and enqueue their roll-up (measurement.rollups)."""
    ids = sorted(set(measure_ids))
    if not ids:
        return
    Analysis.objects.filter(series__measure_id__in=ids, series__derived=True, stale=False).update(stale=True)
    roll_up.enqueue(ids)


@task(queue_name="analyses")
def roll_up(measure_ids: list[int]) -> int:
    """Add up these measures' organisations' observations to their ICBs, regions and the nation, then
    recompute the derived series' analyses (safe to repeat)."""
    derived = rollups.roll_up(measure_ids)
    for start in range(0, len(derived), BATCH):
        analyses.recompute(derived[start : start + BATCH])
    return len(derived)


@task(queue_name="analyses")
def recompute_stale(limit: int = 20_000) -> int:
    """Recompute analyses left stale or missing (after a failure, or a bulk load), oldest first."""
    ids = list(
        Series.objects.filter(analysis__stale=True)
        .order_by("analysis__computed_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = analyses.recompute(ids) if ids else 0
    # An analysis that left out a period not yet ended is recomputed once that period has ended.
    done += analyses.recompute_ended()
    if done:
        logger.info("measurement.tasks.recompute_stale series=%d", done)
    return done


def runs_in_background(size: int) -> bool:
    """Whether a file of `size` bytes is imported as background work (SPIRAL_IMPORT_BACKGROUND_BYTES)."""
    return size > int(getattr(settings, "SPIRAL_IMPORT_BACKGROUND_BYTES", 2 * imports.MB))


def start_import(
    *, data: bytes, filename: str, by: User | None, valid_only: bool = False, measure_code: str | None = None
) -> Job:
    """Keep the file where every worker can read it (the media storage) and queue its import as a job."""
    stored = default_storage.save(f"imports/jobs/{filename[-80:] or 'upload'}", ContentFile(data))
    job = jobs.start("measurement.import", title=f"Import of {filename or 'a file'}", by=by)
    import_file.enqueue(job.pk, stored, filename, by.pk if by is not None else None, valid_only, measure_code)
    job.refresh_from_db()
    return job


CONFLICT_ATTEMPTS = 5  # a background import re-checks its file this often after a concurrent write


@jobs.job_task(queue_name="imports")
def import_file(
    progress: jobs.Progress,
    stored: str,
    filename: str,
    user_id: int | None,
    valid_only: bool,
    measure_code: str | None,
) -> jobs.Outcome:
    """Import an observations file as its person would on the page; safe to run again (a rerun after a
    crash gives the same result as one clean run, and a finished job is not run again)."""
    by = User.objects.filter(pk=user_id).first() if user_id else None
    if not default_storage.exists(stored):
        raise jobs.JobFailed(f"The file {filename} is no longer stored; upload it again.")
    with default_storage.open(stored, "rb") as handle:
        data = handle.read()
    for _attempt in range(CONFLICT_ATTEMPTS):
        result = imports.import_observations(
            data,
            by=by,
            filename=filename,
            valid_only=valid_only,
            measure_code=measure_code,
            progress=progress,
        )
        # Another import (or a person) wrote some of the same rows while this one was being checked.
        # Nobody reviewed this file against what was stored then, so checking it again against what is
        # stored now is what running it a moment later would have done.
        if not result.conflict:
            break
    for issue in result.rejected[:200]:
        progress.update(problem=str(issue))
    if not result.applied:
        default_storage.delete(stored)
        raise jobs.JobFailed(
            f"{filename} was not imported: {len(result.rejected):,} rows have problems (listed here). "
            "Nothing was written; correct them and import the file again."
        )
    return jobs.Outcome(
        f"{filename} has been imported: {result.summary}.",
        result_url="/measures/import/",
        cleanup=lambda: default_storage.delete(stored),
    )


def rows_in_background(count: int) -> bool:
    """Whether an API request of `count` observations runs as background work (SPIRAL_API_BACKGROUND_ROWS)."""
    return count > int(getattr(settings, "SPIRAL_API_BACKGROUND_ROWS", 2000))


def start_rows(*, rows: list[dict[str, Any]], by: User, valid_only: bool) -> Job:
    """Queue the check and write of an API request's observations as a job."""
    plain = json.loads(json.dumps(rows, default=str))  # dates and decimals as the task record keeps them
    job = jobs.start("measurement.rows", title=f"{len(rows):,} observations sent through the API", by=by)
    apply_rows.enqueue(job.pk, plain, by.pk, valid_only)
    job.refresh_from_db()
    return job


@jobs.job_task(queue_name="imports")
def apply_rows(
    progress: jobs.Progress, rows: list[dict[str, Any]], user_id: int, valid_only: bool
) -> jobs.Outcome:
    """The API's bulk write, as background work: the same checks, all or nothing unless `valid_only`."""
    by = User.objects.filter(pk=user_id).first()
    progress.update(stage="checking rows", done=0, total=len(rows))
    result = imports.apply_rows(rows, by=by, valid_only=valid_only)
    for issue in result.rejected[:200]:
        progress.update(problem=str(issue))
    progress.update(
        done=len(rows), written=result.added + result.changed if result.applied else 0, force=True
    )
    if not result.applied:
        raise jobs.JobFailed(
            f"Nothing was written: {len(result.rejected):,} observations have problems (listed here); "
            "correct them and send them again."
        )
    return jobs.Outcome(
        f"{result.added:,} observations were added, {result.changed:,} changed and {result.unchanged:,} "
        "were already as sent."
    )
