"""Spiral beyond one process: task workers against one PostgreSQL (and Redis as the shared cache), with a
worker killed mid-import; and two gunicorn web workers taking concurrent edits of one project.

Three imports of overlapping files are queued as jobs (SPIRAL_TASKS=database); two `spiral worker`
processes take them; one is killed with SIGKILL while it works and a third worker starts in its place
(putting back the task the dead one held). At the end: every job done, no observation lost or doubled,
and every analysis consistent with its observations.

Two people ("browsers", each its own session) sign in through the real sign-in page of deploy/Procfile's
`web` line run with two workers, open the same project's edit form and save different changes at once:
exactly one is saved and audited, the other is told its edit is stale, and `spiral reindex` leaves the
search index matching the catalogue.

PostgreSQL only (a second process cannot share SQLite's test database); `.ci/run` runs the suite on
PostgreSQL with Redis started.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.core.scratch_db import ROOT, child_env, on_postgres, run_spiral, scratch_database_url
from tests.core.test_production_deploy import EMAIL, Site, deployment, sign_in

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not on_postgres(), reason="several processes share one PostgreSQL database"),
]
TEAMS = 40
MONTHS = 36
MEASURES = ("MP-XMR", "MP-C")


def _redis_url() -> str:
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", 6379)) == 0:
            return "redis://127.0.0.1:6379/7"
    return ""


def _month(i: int) -> str:
    return f"{2021 + i // 12}-{i % 12 + 1:02d}"


def _rows(teams: range, months: range) -> bytes:
    """Observations whose value depends only on their key, so overlapping files agree row for row."""
    lines = ["unit_code,measure_code,period,value"]
    for t in teams:
        for code in MEASURES:
            for m in months:
                lines.append(f"MP-T{t:03d},{code},{_month(m)},{(t * 7 + m * 3) % 23 + 1}")
    return ("\n".join(lines) + "\n").encode()


QUEUE = """
import json, sys
from spiral.measurement import tasks
for name, text in json.loads(sys.stdin.read()).items():
    tasks.start_import(data=text.encode(), filename=name, by=None)
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[dict[str, str], Any]]:
    import psycopg

    with scratch_database_url(tmp_path) as url:
        assert url is not None
        env = child_env(tmp_path, url, {"SPIRAL_TASKS": "database", "OPENBLAS_NUM_THREADS": "1"})
        if redis := _redis_url():
            env["CACHE_URL"] = redis
        run_spiral(["migrate", "--no-input"], env, timeout=300)
        units = [
            "code,name,kind,parent_code,organisation_type",
            "MPENG,England,nation,,",
            "MPY56,London,region,MPENG,",
            "MPQAA,An ICB,icb,MPY56,",
            "MP-ORG,Trust,organisation,MPQAA,acute_trust",
        ]
        units += [f"MP-T{t:03d},Team {t},team,MP-ORG," for t in range(TEAMS)]
        (tmp_path / "units.csv").write_text("\n".join(units) + "\n")
        measures = ["code,name,owner_unit_code,measure_type,chart,improvement,frequency"]
        measures += [
            "MP-XMR,Waits,MP-ORG,outcome,xmr,decrease,month",
            "MP-C,Falls,MP-ORG,outcome,c,decrease,month",
        ]
        (tmp_path / "measures.csv").write_text("\n".join(measures) + "\n")
        run_spiral(["import", "units", str(tmp_path / "units.csv")], env)
        run_spiral(["import", "measures", str(tmp_path / "measures.csv")], env)
        with psycopg.connect(url) as conn:
            yield env, conn


def _worker(env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - the documented command
        [sys.executable, "-c", "import sys; from spiral.cli import main; sys.exit(main(sys.argv[1:]))",
         "worker", "--queue", "imports", "--queue", "analyses"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_workers_killed_mid_import_lose_nothing_and_double_nothing(site, tmp_path: Path) -> None:
    env, conn = site
    files = {
        "first-half.csv": _rows(range(0, 30), range(0, MONTHS)),
        "second-half.csv": _rows(range(10, TEAMS), range(0, MONTHS)),  # overlaps teams 10-29
        "again.csv": _rows(range(0, TEAMS), range(MONTHS - 12, MONTHS)),  # the last year of everyone
    }
    queued = subprocess.run(  # noqa: S603 - a fixed script
        [sys.executable, "-c", "import django; django.setup()\n" + QUEUE],
        input=json.dumps({k: v.decode() for k, v in files.items()}),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    log = tmp_path / "workers.log"
    out = log.open("ab")
    workers = [_worker(env, out), _worker(env, out)]
    try:
        # Kill one worker once it is running a job, and start another in its place.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            (running,) = conn.execute("SELECT count(*) FROM core_job WHERE status = 'running'").fetchone()
            conn.commit()
            if running:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        workers.append(_worker(env, out))  # at start it puts back the dead worker's task
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            statuses = dict(conn.execute("SELECT status, count(*) FROM core_job GROUP BY status").fetchall())
            conn.commit()
            if statuses.get("done", 0) + statuses.get("failed", 0) == len(files):
                break
            time.sleep(0.5)
    finally:
        for worker in workers:
            _stop(worker)
        out.close()

    jobs = conn.execute("SELECT title, status, message FROM core_job ORDER BY id").fetchall()
    assert [status for _, status, _ in jobs] == ["done"] * len(files), "\n".join(
        [*(f"{title}: {status}: {message}" for title, status, message in jobs), log.read_text()]
    )
    # Every key once: teams 0-39 x 2 measures x 36 months.
    (count,) = conn.execute("SELECT count(*) FROM measurement_observation").fetchone()
    assert count == TEAMS * len(MEASURES) * MONTHS
    (doubled,) = conn.execute(
        "SELECT count(*) FROM (SELECT series_id, period_start FROM measurement_observation "
        "GROUP BY series_id, period_start HAVING count(*) > 1) d"
    ).fetchone()
    assert doubled == 0
    (staged,) = conn.execute("SELECT count(*) FROM measurement_stagedobservation").fetchone()
    assert staged == 0
    # Analyses: none stale, each one's latest value that of its series' latest observation.
    wrong = conn.execute(
        "SELECT a.series_id FROM measurement_analysis a JOIN LATERAL (SELECT value FROM "
        "measurement_observation o WHERE o.series_id = a.series_id ORDER BY period_start DESC LIMIT 1) l "
        "ON true WHERE a.stale OR a.latest_value IS DISTINCT FROM l.value"
    ).fetchall()
    assert wrong == []
    (analysed,) = conn.execute(
        "SELECT count(*) FROM measurement_analysis WHERE points = %s", [MONTHS]
    ).fetchone()
    assert analysed == TEAMS * len(MEASURES)


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's form with `action` (inputs, text areas, selects)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside = action, False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "") in ("", self.action) and a.get("method", "").lower() == "post"
        if not self.inside or ("name" not in a and tag != "option"):
            return
        if tag == "input" and (a.get("type") not in ("radio", "checkbox") or "checked" in a):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and ("selected" in a or self.select not in self.fields):
            self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data


def _form(site: Site, path: str) -> dict[str, str]:
    page = site.get(path)
    assert page.status_code == 200, re.findall(r"<h1.*?</h1>|<p class=\"nhsuk-body.*?</p>", page.text, re.S)
    parser = FormFields(path)
    parser.feed(page.text)
    assert "csrfmiddlewaretoken" in parser.fields and "version" in parser.fields, parser.fields
    return parser.fields


PROJECTS = """
from spiral.organisations.models import Unit, User
from spiral.projects import services
unit, lead = Unit.objects.get(code="MP-ORG"), User.objects.get(email="%s")
for title in ("Fewer falls on Ward 1", "Quicker discharge", "Safer insulin"):
    print(services.create_project(unit=unit, title=title, by=lead, aim="Reduce harm").pk)
"""


def test_two_browsers_editing_one_project_on_two_web_workers_one_wins_the_other_is_told(tmp_path: Path):
    import psycopg

    with deployment(tmp_path, web_concurrency=2) as (site, _, env):
        units = "code,name,kind,parent_code,organisation_type\nMPENG,England,nation,,\n"
        units += "MPY56,London,region,MPENG,\nMPQAA,An ICB,icb,MPY56,\nMP-ORG,Trust,organisation,MPQAA,acute_trust\n"
        (tmp_path / "units.csv").write_text(units)
        run_spiral(["import", "units", str(tmp_path / "units.csv")], env)
        made = run_spiral(["shell", "-c", PROJECTS % EMAIL], env)
        pk = int(re.findall(r"^(\d+)$", made.stdout, re.M)[0])  # after the shell's own "N objects imported"
        path = f"/projects/{pk}/edit/"

        port = int(site.base.rsplit(":", 1)[1])
        browsers = [Site(port), Site(port)]
        for browser in browsers:
            assert sign_in(browser).status_code == 302
        forms = [_form(browser, path) for browser in browsers]
        assert forms[0]["version"] == forms[1]["version"]
        titles = ["Fewer falls on Ward 1 and Ward 2", "Fewer falls across the trust"]
        for form, title in zip(forms, titles, strict=True):
            form["title"] = title

        def save(i: int) -> Any:
            headers = {"Origin": site.origin, "Referer": site.origin + path}
            return browsers[i].request("POST", path, data=forms[i], headers=headers)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(save, range(2)))

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 302], [(a.status_code, a.text[:2000]) for a in answers]
        winner = next(i for i, a in enumerate(answers) if a.status_code == 302)
        loser = answers[1 - winner]
        assert answers[winner].headers["Location"].endswith(f"/projects/{pk}/")
        assert "changed by someone else since you opened it" in loser.text
        assert "your changes have not been saved" in loser.text

        url = env["DATABASE_URL"]
        with psycopg.connect(url) as conn:
            saved = conn.execute("SELECT title, version FROM projects_project WHERE id = %s", [pk]).fetchone()
            assert saved is not None
            title, version = saved
            assert title == titles[winner]
            assert version == int(forms[0]["version"]) + 1
            audited = conn.execute(
                "SELECT changes FROM core_auditevent WHERE object_type = 'projects.project' "
                "AND object_id = %s AND action = 'project.update'",
                [str(pk)],
            ).fetchall()
            assert len(audited) == 1
            assert audited[0][0]["title"][1] == titles[winner]

        # The search index against the catalogue: every project once, with its current title.
        reindexed = run_spiral(["reindex"], env, timeout=600)
        assert re.search(r"\d+ documents indexed", reindexed.stdout), reindexed.stdout
        with psycopg.connect(url) as conn:
            catalogue = conn.execute("SELECT id, title FROM projects_project ORDER BY id").fetchall()
            index = conn.execute(
                "SELECT object_id, title FROM knowledge_searchdocument WHERE kind = 'project' ORDER BY object_id"
            ).fetchall()
        assert len(catalogue) == 3
        assert index == catalogue
