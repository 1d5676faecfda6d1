"""Benchmark: Spiral's full import of ROWS observations against a raw bulk load of the same rows (issue 13).

    .venv/bin/python bench/import_scale.py [--rows 1000000] [--postgres] [--importers 10]

Default sizes are the issue's: 1,000,000 observations (10 indicators x 1,000 teams x 100 months, fixed
seed, about 1% missing values; bench/measurement.py's file), 10 concurrent importers.

For SQLite (a fresh temporary SPIRAL_DATA_DIR) and, with --postgres or DATABASE_URL, PostgreSQL (a
database `bench_import_scale` on DATABASE_URL's server, dropped and created; never the one it names):

1. **raw bulk load** (the baseline, in the same run and the same database): the CSV read with the `csv`
   module, each row's series looked up in a dict, and the rows inserted into the observations table in one
   transaction (`executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL). No checks, no history, no
   analyses. The rows are then deleted again.
2. **Spiral's import**: `spiral.measurement.imports.import_observations` on the same file, as
   `spiral import observations` runs it: every check, the comparison with what is stored, staged writes,
   the change history and audit, and the SPC re-analysis of every touched series.
   Prints the ratio (goal: within 5x).
3. On PostgreSQL only, in a fresh database: IMPORTERS processes each importing its own ROWS / IMPORTERS
   rows (a tenth of the teams each) at once, against the one importer of step 2: total wall time, and
   every process's outcome (goal: no error, no deadlock, every row written).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _scratch  # noqa: E402
import measurement as bench_measurement  # noqa: E402

GOAL_RATIO = 5.0
NAME = "bench_import_scale"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    import django

    django.setup()


def _setup(rows: int) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    bench_measurement._setup_hierarchy(max(1, rows // (len(bench_measurement.MEASURES) * 100)))


def _raw_load(path: Path) -> tuple[float, int]:
    """Read the file and insert its rows as they are: the floor any importer is measured against."""
    from django.db import connection, transaction

    from spiral.measurement.models import Measure, Observation, Series
    from spiral.organisations.models import Unit

    # The series exist (as they would after a first import); making them is not part of the load.
    units = dict(Unit.objects.filter(kind="team").values_list("code", "pk"))
    measures = {m.code: m for m in Measure.objects.all()}
    Series.objects.bulk_create(
        [Series(unit_id=u, measure=m) for u in units.values() for m in measures.values()],
        batch_size=5000,
        ignore_conflicts=True,
    )
    series = {(s.unit.code, s.measure.code): s.pk for s in Series.objects.select_related("unit", "measure")}
    table = Observation._meta.db_table
    columns = [
        "series_id",
        "period_start",
        "value",
        "numerator",
        "denominator",
        "note",
        "version",
        "updated_at",
    ]
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    out: list[tuple[Any, ...]] = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["value"] == "*":  # a missing value: Spiral stores no observation for it either
                continue
            key = (row["unit_code"], row["measure_code"])
            num = float(row["numerator"]) if row["numerator"] else None
            den = float(row["denominator"]) if row["denominator"] else None
            value = None if row["value"] in ("", "*") else float(row["value"])
            if num is not None and den:
                value = num / den
            period = dt.date.fromisoformat(row["period"] + "-01")
            out.append((series[key], period, value, num, den, row["note"], 1, now))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for record in out:
                    copy.write_row(record)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", out)  # noqa: S608
    seconds = time.perf_counter() - started
    with transaction.atomic():
        Observation.objects.all().delete()
    return seconds, len(out)


def _spiral_import(path: Path) -> dict[str, Any]:
    from spiral.measurement import imports
    from spiral.measurement.models import Analysis, Observation

    began = time.time()
    started = time.perf_counter()
    result = imports.import_observations(str(path), by=None)
    seconds = time.perf_counter() - started
    return {
        "began": began,
        "ended": time.time(),
        "seconds": seconds,
        "added": result.added,
        "rejected": len(result.rejected),
        "observations": Observation.objects.count(),
        "analyses": Analysis.objects.filter(stale=False).count(),
    }


def worker(args: argparse.Namespace) -> None:
    _django()
    from django.db import connection

    if args.worker == "compare":
        _setup(args.rows)
        raw_s, raw_rows = _raw_load(Path(args.csv))
        spiral = _spiral_import(Path(args.csv))
        if connection.vendor == "postgresql":  # the table's size with its indexes, per stored row
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE measurement_observation")
                cursor.execute("SELECT pg_total_relation_size('measurement_observation')")
                spiral["bytes_per_row"] = cursor.fetchone()[0] / max(1, spiral["observations"])
        print(
            "RESULT "
            + json.dumps({"database": connection.vendor, "raw_s": raw_s, "raw_rows": raw_rows} | spiral)
        )
    elif args.worker == "setup":
        _setup(args.rows)
    else:  # one of the concurrent importers
        try:
            outcome = _spiral_import(Path(args.csv)) | {"error": ""}
        except Exception as exc:  # the measurement: an importer's failure is reported, not fatal
            outcome = {
                "began": 0.0,
                "ended": 0.0,
                "seconds": 0.0,
                "added": 0,
                "rejected": 0,
                "error": f"{type(exc).__name__}: {exc}",
            }
        print("RESULT " + json.dumps(outcome))


def _result(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    if proc.returncode != 0:
        raise SystemExit(f"the benchmark's worker failed:\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def _command(*extra: str) -> list[str]:
    return [sys.executable, __file__, *extra]


def _split(csv_path: Path, parts: int, into: Path) -> list[Path]:
    """The file cut into `parts` files of whole teams (each team's rows in one file)."""
    with csv_path.open(newline="") as f:
        header, *lines = list(csv.reader(f))
    teams = sorted({line[0] for line in lines})
    of = {team: i * parts // len(teams) for i, team in enumerate(teams)}
    buffers = [io.StringIO() for _ in range(parts)]
    writers = [csv.writer(b) for b in buffers]
    for w in writers:
        w.writerow(header)
    for line in lines:
        writers[of[line[0]]].writerow(line)
    paths = []
    for i, b in enumerate(buffers):
        p = into / f"part{i}.csv"
        p.write_text(b.getvalue())
        paths.append(p)
    return paths


def concurrent(csv_path: Path, rows: int, importers: int) -> dict[str, Any] | None:
    work = Path(tempfile.mkdtemp(prefix="spiral-bench-scale-"))
    env = _scratch.env_for("postgresql", work, NAME)
    if env is None:
        return None
    env.update(SPIRAL_IMPORT_MAX_MB="500", PYTHONPATH=str(ROOT))
    subprocess.run(_command("--worker", "setup", "--rows", str(rows)), env=env, cwd=ROOT, check=True)
    parts = _split(csv_path, importers, work)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            _command("--worker", "import", "--csv", str(p)),
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in parts
    ]
    outcomes = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=3600)
        outcomes.append(_result(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)))
    wall = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        stored = conn.execute("SELECT count(*) FROM measurement_observation").fetchone()[0]  # type: ignore[index]
    return {
        "wall_s": wall,
        # From the first importer's start to the last one's end (the processes' start-up left out).
        "window_s": max(o["ended"] for o in outcomes) - min(o["began"] for o in outcomes if o["began"]),
        "slowest_s": max(o["seconds"] for o in outcomes),
        "errors": [o["error"] for o in outcomes if o["error"]],
        "added": sum(o["added"] for o in outcomes),
        "stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--importers", type=int, default=10)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    csv_dir = Path(tempfile.mkdtemp(prefix="spiral-bench-scale-csv-"))
    csv_path = csv_dir / "observations.csv"
    written = bench_measurement.write_csv(csv_path, args.rows)
    print(
        f"{written:,} observations; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    databases = ["sqlite"] + (["postgresql"] if args.postgres or os.environ.get("DATABASE_URL") else [])
    single: dict[str, dict[str, Any]] = {}
    for db in databases:
        work = Path(tempfile.mkdtemp(prefix="spiral-bench-scale-"))
        env = _scratch.env_for(db, work, NAME)
        if env is None:
            continue
        env.update(SPIRAL_IMPORT_MAX_MB="500", PYTHONPATH=str(ROOT))
        command = _command("--worker", "compare", "--rows", str(args.rows), "--csv", str(csv_path))
        r = _result(subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False))
        shutil.rmtree(work, ignore_errors=True)
        ratio = r["seconds"] / r["raw_s"]
        single[db] = r
        print(
            f"{db:<11} raw bulk load {r['raw_s']:6.1f} s ({r['raw_rows']:,} rows)   Spiral's import "
            f"{r['seconds']:6.1f} s ({r['added']:,} added, {r['rejected']} rejected, {r['analyses']:,} analyses)"
            f"   ratio {ratio:.1f}x: {'meets' if ratio <= GOAL_RATIO else 'MISSES'} the {GOAL_RATIO:.0f}x goal",
            flush=True,
        )
        if "bytes_per_row" in r:
            print(f"{'':<11} observations table with its indexes: {r['bytes_per_row']:.0f} bytes a row")
    if "postgresql" in single and args.importers > 1:
        c = concurrent(csv_path, args.rows, args.importers)
        if c is not None:
            one = single["postgresql"]
            ok = not c["errors"] and c["stored"] == c["added"] == one["added"]
            print(
                f"postgresql  {args.importers} concurrent importers of {written // args.importers:,}: "
                f"{c['window_s']:.1f} s from the first start to the last end ({c['wall_s']:.1f} s with "
                f"the processes' start-up; slowest importer {c['slowest_s']:.1f} s) against one importer of "
                f"{written:,}: {one['seconds']:.1f} s; {c['stored']:,} observations stored; "
                + ("no error or deadlock" if ok else f"FAILED: {c['errors'][:3]}")
            )
    shutil.rmtree(csv_dir, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
