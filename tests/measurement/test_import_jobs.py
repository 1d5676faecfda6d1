"""Large imports as background work: the confirmation starts a job, its page shows how far it got, a
file with problems fails the job in words, and the command line shows its progress."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from spiral.core.models import Job
from spiral.measurement import tasks
from spiral.measurement.cli import TerminalProgress, run_import
from spiral.measurement.models import Observation
from tests.conftest import client_for
from tests.factories import MeasureFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(tree: dict[str, Any]) -> Any:
    measure = MeasureFactory(code="WAIT", name="Waiting time", owner=tree["org"], is_indicator=True)
    return SeriesFactory(measure=measure, unit=tree["team"])


@pytest.fixture
def large(settings: Any, tmp_path: Any) -> Any:
    """Every file is "large": imported as background work."""
    settings.SPIRAL_IMPORT_BACKGROUND_BYTES = 10
    settings.MEDIA_ROOT = str(tmp_path)
    return settings


def _confirm(client: Any, content: bytes, **extra: str) -> Any:
    upload = SimpleUploadedFile("obs.csv", content)
    html = client.post("/measures/import/", {"what": "observations", "file": upload}).content.decode()
    token = html.split('name="token" value="')[1].split('"')[0]
    return client.post("/measures/import/", {"token": token, **extra})


GOOD = b"unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,12\nRAA-MED-01,WAIT,2025-02,13\n"


def test_a_large_file_is_imported_as_a_job_whose_page_says_what_was_done(member, series, large) -> None:
    client = client_for(member)
    answer = _confirm(client, GOOD)

    job = Job.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{job.pk}/"
    assert (job.status, job.started_by) == (Job.Status.DONE, member)
    assert "obs.csv has been imported" in job.message
    assert Observation.objects.filter(series=series).count() == 2
    page = client.get(answer["Location"]).content.decode()
    assert "obs.csv has been imported" in page


def test_with_a_worker_the_job_waits_in_its_queue_and_nothing_is_written_yet(
    member, series, large, queued_tasks
) -> None:
    answer = _confirm(client_for(member), GOOD)

    job = Job.objects.get()
    assert answer["Location"] == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.QUEUED
    assert not Observation.objects.filter(series=series).exists()
    assert "Waiting to start" in client_for(member).get(answer["Location"]).content.decode()


def test_a_file_with_problems_fails_its_job_saying_which_rows_and_writes_nothing(
    member, series, large
) -> None:
    job_data = tasks.start_import(
        data=b"unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,oops\n",
        filename="bad.csv",
        by=member,
    )
    job = Job.objects.get(pk=job_data.pk)
    assert job.status == Job.Status.FAILED
    assert "bad.csv was not imported: 1 rows have problems" in job.message
    assert any("row 2" in problem and "oops" in problem for problem in job.problems)
    assert not Observation.objects.filter(series=series).exists()


def test_a_small_file_is_imported_at_once_as_before(member, series, settings) -> None:
    settings.SPIRAL_IMPORT_BACKGROUND_BYTES = 10_000_000
    answer = _confirm(client_for(member), GOOD)
    assert answer["Location"] == "/measures/import/"
    assert not Job.objects.exists()
    assert Observation.objects.filter(series=series, period_start=dt.date(2025, 2, 1)).exists()


def test_the_command_line_prints_each_stage_when_not_on_a_terminal(series, tmp_path, capsys) -> None:
    path = tmp_path / "obs.csv"
    path.write_bytes(GOOD)
    assert run_import("observations", str(path)) == 0
    err = capsys.readouterr().err
    assert "checking rows..." in err and "writing..." in err and "recalculating analyses..." in err


def test_on_a_terminal_the_progress_is_a_bar() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = TerminalProgress(stream)
    progress.update(stage="writing", total=100, written=0)
    progress.update(written=50)
    progress.close()
    assert "writing" in stream.getvalue() and "50/100" in stream.getvalue()


def test_a_large_api_request_answers_202_with_its_job_and_the_job_tells_the_outcome(member, series, settings):
    from tests.assertions import bearer

    settings.SPIRAL_API_BACKGROUND_ROWS = 1
    rows = [{"unit": "RAA-MED-01", "measure": "WAIT", "period": f"2025-0{m}", "value": m} for m in (1, 2)]
    client = client_for(member)
    answer = client.post(
        "/api/v1/observations", {"observations": rows}, content_type="application/json", **bearer(member)
    )

    assert answer.status_code == 202
    body = answer.json()
    assert body["url"] == f"/api/v1/jobs/{body['job']}"
    job = client.get(body["url"], **bearer(member)).json()
    assert job["status"] == "done" and "2 observations were added" in job["message"]
    assert Observation.objects.filter(series=series).count() == 2


def test_a_row_recorded_while_the_job_checked_its_file_is_checked_again_not_refused(
    member, series, large, monkeypatch
) -> None:
    """Two imports of overlapping files run side by side in two workers: the one that publishes second
    finds rows the other wrote after it compared. Nobody reviewed the job's file against what was stored,
    so it compares again (as if it had started a moment later) instead of failing."""
    from spiral.measurement import imports, services

    real_stage = imports._stage
    calls: list[int] = []

    def stage_after_someone_else_wrote(load: Any, rows: Any, **kwargs: Any) -> None:
        if not calls:
            services.record_observation(
                series=series, period=dt.date(2025, 1, 1), value=99, by=member, source="page"
            )
        calls.append(1)
        real_stage(load, rows, **kwargs)

    monkeypatch.setattr(imports, "_stage", stage_after_someone_else_wrote)
    job = Job.objects.get(pk=tasks.start_import(data=GOOD, filename="obs.csv", by=member).pk)

    assert len(calls) == 2  # checked twice
    assert job.status == Job.Status.DONE, job.message
    assert "1 to add, 1 to change" in job.message
    values = dict(Observation.objects.filter(series=series).values_list("period_start", "value"))
    assert values == {dt.date(2025, 1, 1): 12, dt.date(2025, 2, 1): 13}


def test_the_file_of_a_job_is_kept_until_the_job_is_recorded_as_done(member, series, large, monkeypatch):
    """A worker killed after the import committed but before its job was marked done runs the task again:
    the file must still be there for it (the rerun then finds every row unchanged)."""
    from django.core.files.storage import default_storage

    from spiral.core import jobs

    real_finish = jobs._finish
    seen: list[bool] = []

    def finish(job: Any, status: str, *args: Any, **kwargs: Any) -> None:
        seen.append(bool(default_storage.listdir("imports/jobs")[1]))
        real_finish(job, status, *args, **kwargs)

    monkeypatch.setattr(jobs, "_finish", finish)
    job = Job.objects.get(pk=tasks.start_import(data=GOOD, filename="obs.csv", by=member).pk)
    assert job.status == Job.Status.DONE
    assert seen == [True]  # still stored when the job was recorded
    assert default_storage.listdir("imports/jobs")[1] == []  # and removed once it was
