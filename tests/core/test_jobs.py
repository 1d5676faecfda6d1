"""Background work with progress (spiral.core.jobs): the job a person follows, failures in words, and
tasks of a dead worker put back in the queue."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus

from spiral.core import jobs
from spiral.core.models import Job

pytestmark = pytest.mark.django_db


@jobs.job_task(queue_name="default")
def count_to(progress: jobs.Progress, n: int) -> jobs.Outcome:
    progress.update(stage="counting", total=n)
    for i in range(n):
        progress.update(done=i + 1, written=i + 1)
    return jobs.Outcome(f"counted to {n}", result_url="/somewhere/")


@jobs.job_task()
def refuse(progress: jobs.Progress) -> None:
    progress.update(problem="row 3: the period 2019-13 is not a month")
    raise jobs.JobFailed("The file has 1 problem; correct it and import it again.")


@jobs.job_task()
def break_down(progress: jobs.Progress) -> None:
    raise ZeroDivisionError("a bug")


def test_a_task_reports_its_progress_and_outcome_on_its_job() -> None:
    job = jobs.start("test.count", title="Counting", total=None)
    assert job.status == Job.Status.QUEUED
    result = count_to.enqueue(job.pk, 5)
    assert result.status == TaskResultStatus.SUCCESSFUL
    job.refresh_from_db()
    assert (job.status, job.stage, job.done, job.total, job.written) == (Job.Status.DONE, "counting", 5, 5, 5)
    assert job.message == "counted to 5" and job.result_url == "/somewhere/"
    assert job.attempts == 1 and job.started_at and job.finished_at
    # Run again after it finished (a retry): nothing happens.
    assert count_to.enqueue(job.pk, 5).return_value == "nothing to do"


def test_a_failure_the_person_can_act_on_is_told_in_their_words() -> None:
    job = jobs.start("test.refuse", title="Refusing")
    refuse.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message == "The file has 1 problem; correct it and import it again."
    assert job.problems == ["row 3: the period 2019-13 is not a month"]


def test_an_unexpected_error_fails_the_job_with_a_plain_sentence_not_the_exception() -> None:
    job = jobs.start("test.break", title="Breaking")
    result = break_down.enqueue(job.pk)
    assert result.status == TaskResultStatus.FAILED
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "unexpected error" in job.message and "a bug" not in job.message


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running(job: Job | None, worker: str, started_minutes_ago: float = 0) -> Any:
    from django_tasks_db.models import DBTaskResult

    started = timezone.now() - timezone.timedelta(minutes=started_minutes_ago)
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [job.pk] if job else [], "kwargs": {}},
        task_path="tests.core.test_jobs.count_to",
        worker_ids=[worker],
        backend_name="default",
        run_after=started,
        started_at=started,
    )


def test_the_task_of_a_worker_that_died_is_queued_again_and_its_job_says_so() -> None:
    host = socket.gethostname()[:40]
    job = jobs.start("test.count", title="Counting")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1)
    dead = _running(job, f"{host}:{_dead_pid()}")
    alive = _running(None, jobs.worker_id())
    assert jobs.requeue_abandoned() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == TaskResultStatus.READY and alive.status == TaskResultStatus.RUNNING
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and "restarting" in job.stage


def test_another_machines_task_is_queued_again_only_once_its_job_is_silent_for_long() -> None:
    quiet, busy = jobs.start("test", title="quiet"), jobs.start("test", title="busy")
    Job.objects.filter(pk=quiet.pk).update(heartbeat_at=timezone.now() - timezone.timedelta(minutes=30))
    Job.objects.filter(pk=busy.pk).update(heartbeat_at=timezone.now())
    lost = _running(quiet, "elsewhere:123", started_minutes_ago=40)
    working = _running(busy, "elsewhere:124", started_minutes_ago=40)
    assert jobs.requeue_abandoned() == 1
    lost.refresh_from_db()
    working.refresh_from_db()
    assert lost.status == TaskResultStatus.READY and working.status == TaskResultStatus.RUNNING


def test_a_task_that_keeps_dying_fails_its_job_in_words_after_three_attempts() -> None:
    job = jobs.start("test.count", title="Counting")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=jobs.MAX_ATTEMPTS)
    result = _running(job, f"{socket.gethostname()[:40]}:{_dead_pid()}")
    assert jobs.requeue_abandoned() == 0
    result.refresh_from_db()
    job.refresh_from_db()
    assert result.status == TaskResultStatus.FAILED
    assert job.status == Job.Status.FAILED and "stopped 3 times" in job.message
