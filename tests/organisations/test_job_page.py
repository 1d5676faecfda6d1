"""The progress page and API of background work: its starter follows it; nobody else even sees it."""

from __future__ import annotations

import pytest

from spiral.core import jobs
from spiral.core.models import Job
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job() -> Job:
    started = jobs.start("measurement.import", title="Import of falls.csv", by=UserFactory(), total=200)
    jobs.Progress(started).update(
        stage="checking rows", done=50, written=0, problem="row 7: no period", force=True
    )
    return Job.objects.get(pk=started.pk)


def test_the_starter_sees_what_is_done_and_left_and_the_page_refreshes_itself(job: Job) -> None:
    html = client_for(job.started_by).get(f"/jobs/{job.pk}/").content.decode()

    assert "Import of falls.csv" in html
    assert "Checking rows." in html
    assert '<progress max="200" value="50">' in html and "50 of 200" in html
    assert "Left to check" in html and ">150<" in html
    assert "row 7: no period" in html
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert 'data-reload-seconds="2"' in html and "data-reload-toggle" in html


def test_a_finished_job_says_its_outcome_and_stops_refreshing(job: Job) -> None:
    jobs._finish(job, Job.Status.DONE, "180 observations were added.", "/measures/")
    html = client_for(job.started_by).get(f"/jobs/{job.pk}/").content.decode()

    assert "180 observations were added." in html and 'href="/measures/"' in html
    assert 'http-equiv="refresh"' not in html


def test_a_failed_job_says_what_went_wrong_in_words(job: Job) -> None:
    jobs._finish(job, Job.Status.FAILED, "The file has 1 problem; correct it and import it again.")
    html = client_for(job.started_by).get(f"/jobs/{job.pk}/").content.decode()

    assert "The work did not finish" in html
    assert "The file has 1 problem; correct it and import it again." in html


def test_someone_elses_job_answers_404_on_the_page_and_in_the_api(job: Job) -> None:
    other = UserFactory()
    assert client_for(other).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(other).get(f"/api/v1/jobs/{job.pk}", **bearer(other)).status_code == 404


def test_the_api_gives_the_progress_and_where_to_follow_it(job: Job) -> None:
    answer = client_for(job.started_by).get(f"/api/v1/jobs/{job.pk}", **bearer(job.started_by))

    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["stage"], body["done"], body["total"]) == (
        "queued",
        "checking rows",
        50,
        200,
    )
    assert body["problems"] == ["row 7: no period"]
    assert body["url"] == f"/api/v1/jobs/{job.pk}" and body["page"] == f"/jobs/{job.pk}/"
