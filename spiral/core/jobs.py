"""Background work with progress people can see: a `Job` per piece of work, run by a django-tasks task.

A service with slow work starts a job and enqueues its task, in the same transaction as the change that
needs it (with the database backend the task row commits with the change, so a worker never sees work
for a change that was rolled back):

    job = jobs.start("measurement.import", title=f"Import of {name}", by=person, scope_path=unit.path)
    tasks.import_file.enqueue(job.pk, stored_name)

and the task is written as a function that takes the job's progress first:

    @jobs.job_task(queue_name="imports")
    def import_file(progress: jobs.Progress, stored_name: str) -> jobs.Outcome:
        progress.update(stage="checking rows", total=n)
        ...
        return jobs.Outcome("12,000 observations were added", result_url=...)

It raises `jobs.JobFailed("what went wrong, in words")` for a failure the person can act on; any other
exception fails the job with a plain sentence (the details go to the log and the task's record).

With `SPIRAL_TASKS=immediate` (the default) a task runs at once in the process that enqueued it; with
`SPIRAL_TASKS=database` it runs in a `spiral worker`. A worker that dies mid-task (SIGKILL, a power cut)
leaves its task RUNNING; `requeue_abandoned` (run by every worker at start and every minute) puts it back
in the queue, up to `MAX_ATTEMPTS` times, so a task must be safe to run again (idempotent).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task as django_task

from spiral.core.models import Job

if TYPE_CHECKING:
    from spiral.organisations.models import User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A task on another machine whose job has not reported progress for this long is taken as lost.
ABANDONED_AFTER = timedelta(minutes=10)
PROGRESS_EVERY_S = 0.5  # at most this often is progress written (a forced update is always written)
UNEXPECTED = (
    "The work stopped because of an unexpected error. Nothing of it was kept. Try again; if it happens "
    "again, tell your Spiral administrator (the error is in the server's log)."
)


class JobFailed(Exception):
    """A failure the person who started the work can act on: the message says what and how to fix it."""


@dataclass
class Outcome:
    message: str
    result_url: str = ""
    # Run once the job is recorded as done (removing the task's input, say): a worker that dies before the
    # job is recorded runs the task again, and its input must still be there.
    cleanup: Callable[[], None] | None = None


def start(
    kind: str, *, title: str, by: User | None = None, scope_path: str = "", total: int | None = None
) -> Job:
    """A new job, waiting to start; `by` None is the command line or the system."""
    return Job.objects.create(
        kind=kind,
        title=title[:200],
        started_by=by if getattr(by, "pk", None) else None,
        scope_path=scope_path,
        total=total,
    )


class Progress:
    """What a running task reports: written to its job at most every PROGRESS_EVERY_S seconds."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._written_at = 0.0

    def update(
        self,
        *,
        stage: str | None = None,
        done: int | None = None,
        total: int | None = None,
        written: int | None = None,
        problem: str | None = None,
        force: bool = False,
    ) -> None:
        """Report progress; `problem` adds one line to the problems so far."""
        job = self.job
        if stage is not None:
            job.stage = stage[:100]
            force = True
        if done is not None:
            job.done = done
        if total is not None:
            job.total = total
        if written is not None:
            job.written = written
        if problem is not None:
            job.problems = [*job.problems, problem][:200]
            force = True
        now = time.monotonic()
        if not force and now - self._written_at < PROGRESS_EVERY_S:
            return
        self._written_at = now
        job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            stage=job.stage,
            done=job.done,
            total=job.total,
            written=job.written,
            problems=job.problems,
            heartbeat_at=job.heartbeat_at,
        )


def _finish(job: Job, status: str, message: str, result_url: str = "") -> None:
    job.status, job.message, job.result_url = status, message, result_url[:300]
    job.finished_at = job.heartbeat_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status,
        message=message,
        result_url=job.result_url,
        finished_at=job.finished_at,
        heartbeat_at=job.heartbeat_at,
        done=job.done,
        written=job.written,
        problems=job.problems,
    )


def job_task(**task_options: Any) -> Callable[[Callable[..., Outcome | str | None]], Any]:
    """Make `func(progress, *args)` a django-tasks task enqueued as `task.enqueue(job_id, *args)`."""

    def decorate(func: Callable[..., Outcome | str | None]) -> Any:
        @functools.wraps(func)
        def run(job_id: int, *args: Any, **kwargs: Any) -> str:
            job = Job.objects.filter(pk=job_id).first()
            if job is None or job.finished:
                return "nothing to do"  # run again after it had finished: a retry is harmless
            job.status, job.started_at = Job.Status.RUNNING, job.started_at or timezone.now()
            job.attempts += 1
            job.heartbeat_at = timezone.now()
            Job.objects.filter(pk=job.pk).update(
                status=job.status,
                started_at=job.started_at,
                attempts=job.attempts,
                heartbeat_at=job.heartbeat_at,
            )
            try:
                outcome = func(Progress(job), *args, **kwargs)
            except JobFailed as exc:
                _finish(job, Job.Status.FAILED, str(exc))
                return "failed"
            except Exception:
                logger.exception("job %s (%s) failed", job.pk, job.kind)
                _finish(job, Job.Status.FAILED, UNEXPECTED)
                raise
            if not isinstance(outcome, Outcome):
                outcome = Outcome(outcome or "Done.")
            _finish(job, Job.Status.DONE, outcome.message, outcome.result_url)
            if outcome.cleanup is not None:
                outcome.cleanup()
            return "done"

        return django_task(**task_options)(run)

    return decorate


# ------------------------------------------------------------------------------------------------
# Workers


def worker_id() -> str:
    """This process's worker id as the task records keep it: host and process id."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _alive(worker: str) -> bool | None:
    """Whether a worker of this machine is alive; None for another machine's (it cannot be seen)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_abandoned() -> int:
    """Put back in the queue the tasks whose worker died; fail their jobs after MAX_ATTEMPTS. Returns how
    many tasks were put back."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    put_back = 0
    now = timezone.now()
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = (result.worker_ids or [""])[-1]
        alive = _alive(worker)
        args = (result.args_kwargs or {}).get("args") or []
        job = Job.objects.filter(pk=args[0]).first() if args and isinstance(args[0], int) else None
        if alive is None:
            last = (job.heartbeat_at if job else None) or result.started_at
            alive = last is not None and now - last < ABANDONED_AFTER
        if alive:
            continue
        with transaction.atomic():
            if job is not None and job.attempts >= MAX_ATTEMPTS:
                _finish(
                    job,
                    Job.Status.FAILED,
                    f"The work stopped {job.attempts} times before it could finish. " + UNEXPECTED,
                )
                DBTaskResult.objects.filter(pk=result.pk).update(
                    status=TaskResultStatus.FAILED, finished_at=now
                )
                continue
            DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
            if job is not None and not job.finished:
                Job.objects.filter(pk=job.pk).update(
                    status=Job.Status.QUEUED, stage="restarting after the worker stopped"
                )
        logger.warning(
            "task %s (%s) was abandoned by worker %s; queued again", result.pk, result.task_path, worker
        )
        put_back += 1
    return put_back
