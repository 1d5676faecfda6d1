"""Imports killed with SIGKILL at random points: nothing partly written, and a second run gives what one
clean run gives.

Each test runs the real `spiral import` command in a subprocess against a scratch database of its own
(a SQLite file, or a database on the test's PostgreSQL server, dropped afterwards), kills it after a
delay drawn from a seeded generator over the length of a clean run, then checks the tables with plain SQL:

* straight after the kill, what readers see (observations, series, history, audit; units) is either
  the state before the import or the state after a clean run, never anything in between;
* running the import again to the end gives exactly the state of one clean run (row counts and a
  checksum of every row's content: ids and timestamps differ between runs and are left out), and no
  staged rows remain.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
SEED = 20261201
TEAMS = 120
MONTHS = 60
MEASURES = (("K-XMR-1", "xmr"), ("K-XMR-2", "xmr"), ("K-P-1", "p"), ("K-C-1", "c"))


# ------------------------------------------------------------------------------------------------
# A scratch database the subprocesses share with the test


@dataclass
class Scratch:
    """One database the `spiral` subprocesses use, with a saved copy to go back to."""

    url: str
    path: Path | None  # SQLite file
    template: str  # SQLite: a file; PostgreSQL: a database name
    data_dir: Path

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def save(self) -> None:
        """Keep the current state as the one `restore` goes back to."""
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(self.path, self.template)
            return
        _pg_admin(self.url, f'DROP DATABASE IF EXISTS "{self.template}"')
        _pg_admin(self.url, f'CREATE DATABASE "{self.template}" TEMPLATE "{_pg_name(self.url)}"')

    def restore(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.template, self.path)
            return
        name = _pg_name(self.url)
        _pg_admin(self.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')


def _pg_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Scratch]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        name = f"{_pg_name(url)}_killed_{os.getpid()}"
        scratch_url = f"{url.rsplit('/', 1)[0]}/{name}"
        _pg_admin(scratch_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(scratch_url, f'CREATE DATABASE "{name}"')
        db = Scratch(scratch_url, None, f"{name}_saved", tmp_path)
        try:
            yield db
        finally:
            for database in (name, db.template):
                _pg_admin(scratch_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return
    path = tmp_path / "killed.sqlite3"
    yield Scratch(f"sqlite:///{path}", path, str(tmp_path / "saved.sqlite3"), tmp_path)


def _env(db: Scratch) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SPIRAL_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DATABASE_URL": db.url,
            "SPIRAL_DATA_DIR": str(db.data_dir),
            "DJANGO_SETTINGS_MODULE": "spiral.settings",
            "PYTHONPATH": str(ROOT),
            "OPENBLAS_NUM_THREADS": "1",
        }
    )
    return env


# The `spiral` command runs in a process forked from a driver that has already started Django, so that
# each run costs the import alone (not a second of start-up) and the kill points fall within the import.
DRIVER = """
import json, os, signal, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
import django
django.setup()
from django.db import connections
from spiral.cli import main
import spiral.measurement.cli, spiral.measurement.imports, spiral.organisations.imports  # loaded once
for line in sys.stdin:
    request = json.loads(line)
    connections.close_all()  # the child opens its own
    pid = os.fork()
    if pid == 0:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(log, 1)
        os.dup2(log, 2)
        try:
            code = main(request["args"])
        except BaseException as exc:
            print(repr(exc), file=sys.stderr)
            code = 3
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    started, killed, delay = time.perf_counter(), False, request.get("kill_after")
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if delay is not None and time.perf_counter() - started >= delay:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            killed = True
            break
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"code": code, "killed": killed, "seconds": seconds}), flush=True)
"""


class Driver:
    def __init__(self, db: Scratch) -> None:
        self.db = db
        self.log = db.data_dir / "spiral.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            cwd=ROOT,
            env=_env(db),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, kill_after: float | None = None) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"args": list(args), "kill_after": kill_after, "log": str(self.log)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if kill_after is None or not answer["killed"]:
            assert answer["code"] == 0, self.log.read_text()[-3000:]
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture
def spiral(scratch: Scratch) -> Iterator[Driver]:
    driver = Driver(scratch)
    try:
        yield driver
    finally:
        driver.close()


# ------------------------------------------------------------------------------------------------
# What a reader sees: counts and a checksum of contents, by natural keys


def _digest(rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(tuple(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                            for v in row)).encode())  # fmt: skip
    return h.hexdigest()[:16]


OBSERVATION_TABLES = {
    "observations": """
        SELECT u.code, m.code, o.period_start, o.value, o.numerator, o.denominator, o.note, o.version
        FROM measurement_observation o JOIN measurement_series s ON s.id = o.series_id
        JOIN organisations_unit u ON u.id = s.unit_id JOIN measurement_measure m ON m.id = s.measure_id
        ORDER BY 1, 2, 3""",
    "series": """
        SELECT u.code, m.code FROM measurement_series s JOIN organisations_unit u ON u.id = s.unit_id
        JOIN measurement_measure m ON m.id = s.measure_id ORDER BY 1, 2""",
    "history": """
        SELECT u.code, m.code, c.period_start, c.action, CAST(c.before AS TEXT), CAST(c.after AS TEXT),
        c.source FROM measurement_observationchange c JOIN measurement_series s ON s.id = c.series_id
        JOIN organisations_unit u ON u.id = s.unit_id JOIN measurement_measure m ON m.id = s.measure_id
        ORDER BY 1, 2, 3, 4, 5, 6""",
    "audit": "SELECT action, object_type, object_repr FROM core_auditevent ORDER BY 1, 2, 3",
}
ANALYSES = """
    SELECT u.code, m.code, a.variation_icon, a.assurance_icon, a.latest_period, a.latest_value, a.points,
    a.stale FROM measurement_analysis a JOIN measurement_series s ON s.id = a.series_id
    JOIN organisations_unit u ON u.id = s.unit_id JOIN measurement_measure m ON m.id = s.measure_id
    ORDER BY 1, 2"""
STAGING = {
    "staged": "SELECT COUNT(*) FROM measurement_stagedobservation",
    "imports": "SELECT COUNT(*) FROM measurement_observationimport",
}
UNIT_TABLES = {
    "units": """
        SELECT u.code, u.name, u.kind, p.code, u.depth, u.organisation_type, u.opened_on, u.closed_on
        FROM organisations_unit u LEFT JOIN organisations_unit p ON p.id = u.parent_id ORDER BY 1""",
    "audit": "SELECT action, object_type, object_repr, CAST(changes AS TEXT) FROM core_auditevent "
    "ORDER BY 1, 2, 3, 4",
}


def state(db: Scratch, tables: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Every table read in ONE snapshot, as one reader sees them. (Separate reads are not enough: on
    PostgreSQL a client killed just after sending COMMIT has its transaction committed a moment later,
    between two reads, which looked like a partial import when it was not.)"""
    out = {}
    if db.path is not None:
        conn = sqlite3.connect(db.path, isolation_level=None)
        try:
            conn.execute("BEGIN")
            for name, sql in tables.items():
                rows = conn.execute(sql).fetchall()
                out[name] = (len(rows), _digest(rows))
            conn.execute("COMMIT")
        finally:
            conn.close()
        return out
    import psycopg

    with psycopg.connect(db.url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        for name, sql in tables.items():
            rows = conn.execute(sql).fetchall()
            out[name] = (len(rows), _digest(rows))
    return out


def staging(db: Scratch) -> dict[str, int]:
    return {name: db.query(sql)[0][0] for name, sql in STAGING.items()}


# ------------------------------------------------------------------------------------------------
# Files


def write_hierarchy(path: Path, extra_teams: int = 0) -> None:
    lines = [
        "code,name,kind,parent_code,organisation_type",
        "KENG,England,nation,,",
        "KY56,London,region,KENG,",
        "KQAA,Kill ICB,icb,KY56,",
        "KRAA,Kill Hospitals,organisation,KQAA,acute_trust",
        "KRAA-MED,Medicine,directorate,KRAA,",
    ]
    # The second file renames one team in three, and adds a directorate of `extra_teams` teams.
    renamed = " (renamed)" if extra_teams else ""
    lines += [f"KT{t:04d},Team {t}{renamed if t % 3 == 0 else ''},team,KRAA-MED," for t in range(TEAMS)]
    if extra_teams:
        lines.append("KRAA-SUR,Surgery,directorate,KRAA,")
        lines += [f"KS{t:04d},Surgical team {t},team,KRAA-SUR," for t in range(extra_teams)]
    path.write_text("\n".join(lines) + "\n")


def write_measures(path: Path) -> None:
    lines = ["code,name,owner_unit_code,measure_type,chart,improvement,frequency"]
    lines += [f"{code},Kill {code},KRAA,outcome,{chart},increase,month" for code, chart in MEASURES]
    path.write_text("\n".join(lines) + "\n")


def write_observations(path: Path, *, months: int, teams: int, corrected: bool, seed: int) -> None:
    """Rows for teams x measures x months; with `corrected`, one row in ten differs from the first file."""
    rng = random.Random(seed)
    lines = ["unit_code,measure_code,period,value,numerator,denominator,note"]
    for t in range(teams):
        for code, chart in MEASURES:
            level = rng.uniform(20, 80)
            for k in range(months):
                month = f"{2019 + k // 12}-{k % 12 + 1:02d}"
                bump = 3 if corrected and (t + k) % 10 == 0 else 0
                note = "corrected" if bump else ""
                if chart == "p":
                    den = 100 + (t + k) % 20
                    num = min(den, int(level) + (t * k) % 7 + bump)
                    lines.append(f"KT{t:04d},{code},{month},,{num},{den},{note}")
                elif chart == "c":
                    lines.append(f"KT{t:04d},{code},{month},{int(level / 5) + (t + k) % 4 + bump},,,{note}")
                else:
                    lines.append(f"KT{t:04d},{code},{month},{level + (t * k) % 11 + bump:.2f},,,{note}")
    path.write_text("\n".join(lines) + "\n")


def kill_points(duration: float) -> list[float]:
    """Delays spread over a clean run's duration (seeded), start-up included."""
    rng = random.Random(SEED)
    return [rng.uniform(0.02, 0.95) * duration for _ in range(KILLS * 3)]


def kill_and_rerun(
    db: Scratch,
    spiral: Driver,
    args: tuple[str, ...],
    *,
    seen: dict[str, str],
    before: dict[str, tuple[int, str]],
    after: dict[str, tuple[int, str]],
    final: dict[str, str],
    clean: dict[str, tuple[int, str]],
    duration: float,
) -> dict[str, int]:
    """Kill the import at KILLS points, each time from the saved state. Straight after the kill the
    `seen` tables must be as `before` or `after` (all or nothing); after running the import again to
    the end, the `final` tables must be as `clean` and nothing may stay staged."""
    outcomes = {"nothing": 0, "everything": 0}
    for delay in kill_points(duration):
        if sum(outcomes.values()) >= KILLS:
            break
        db.restore()
        if not spiral.run(*args, kill_after=delay)["killed"]:
            continue  # it had finished: not a kill
        now = state(db, seen)
        assert now in (before, after), f"killed after {delay:.2f} s, readers see part of the import: {now}"
        outcomes["nothing" if now == before else "everything"] += 1
        spiral.run(*args)
        assert state(db, final) == clean, f"killed after {delay:.2f} s, the second run differs"
        assert staging(db) == {"staged": 0, "imports": 0}
    assert sum(outcomes.values()) >= KILLS, f"only {outcomes} of the kills landed before the import ended"
    return outcomes


# ------------------------------------------------------------------------------------------------
# The tests


def test_an_observations_import_killed_at_random_points_leaves_all_or_nothing_and_reruns_clean(
    scratch, spiral
):
    units, measures, first, second = (scratch.data_dir / n for n in ("u.csv", "m.csv", "a.csv", "b.csv"))
    write_hierarchy(units)
    write_measures(measures)
    # Stored already: two years for half the teams. The file corrects some of them and adds the rest.
    write_observations(first, months=24, teams=TEAMS // 2, corrected=False, seed=1)
    write_observations(second, months=MONTHS, teams=TEAMS, corrected=True, seed=1)
    spiral.run("migrate", "--no-input", "-v", "0")
    spiral.run("import", "units", str(units))
    spiral.run("import", "measures", str(measures))
    spiral.run("import", "observations", str(first))
    scratch.save()
    before = state(scratch, OBSERVATION_TABLES)
    args = ("import", "observations", str(second))

    duration = spiral.run(*args)["seconds"]
    clean = state(scratch, OBSERVATION_TABLES | {"analyses": ANALYSES})
    assert clean["observations"][0] == TEAMS * len(MEASURES) * MONTHS
    assert clean["history"][0] > before["history"][0]  # the file corrected stored rows
    assert staging(scratch) == {"staged": 0, "imports": 0}
    spiral.run(*args)  # the same file again changes nothing
    assert state(scratch, OBSERVATION_TABLES | {"analyses": ANALYSES}) == clean

    after = {k: v for k, v in clean.items() if k in OBSERVATION_TABLES}
    final = OBSERVATION_TABLES | {"analyses": ANALYSES}
    outcomes = kill_and_rerun(
        scratch, spiral, args, seen=OBSERVATION_TABLES, before=before, after=after, final=final, clean=clean,
        duration=duration,
    )  # fmt: skip
    print(f"observations import of {duration:.2f} s, {KILLS} kills: {outcomes}")


def test_a_units_import_killed_at_random_points_leaves_all_or_nothing_and_reruns_clean(scratch, spiral):
    units, more = scratch.data_dir / "u.csv", scratch.data_dir / "more.csv"
    write_hierarchy(units)
    write_hierarchy(more, extra_teams=300)
    spiral.run("migrate", "--no-input", "-v", "0")
    spiral.run("import", "units", str(units))
    scratch.save()
    before = state(scratch, UNIT_TABLES)
    args = ("import", "units", str(more))

    duration = spiral.run(*args)["seconds"]
    clean = state(scratch, UNIT_TABLES)
    assert clean["units"][0] == before["units"][0] + 301
    spiral.run(*args)
    assert state(scratch, UNIT_TABLES) == clean

    outcomes = kill_and_rerun(
        scratch, spiral, args, seen=UNIT_TABLES, before=before, after=clean, final=UNIT_TABLES, clean=clean,
        duration=duration,
    )  # fmt: skip
    print(f"units import of {duration:.2f} s, {KILLS} kills: {outcomes}")
