"""Benchmark: how long a person's edit waits while a 1,000,000-row observations file is imported.

    .venv/bin/python bench/import_lock.py [--rows 1000000] [--postgres]

For SQLite (a fresh temporary SPIRAL_DATA_DIR) and, with --postgres or DATABASE_URL, PostgreSQL (a
database `bench_import_lock` on DATABASE_URL's server, default 127.0.0.1:5432, dropped and created; the
database DATABASE_URL names is never touched), and for each of two write paths:

* **baseline, one transaction**: the file written as Spiral wrote it before issue 11 (check, compare and
  write every row, history, audit and analyses in one transaction: `imports._plan_and_write`);
* **staged**: as `spiral import observations` writes it now (rows staged in short transactions, published
  in one short transaction, analyses recomputed a chunk at a time: `imports._plan_and_write_staged`),

it loads a fresh hierarchy (bench/measurement.py's: 10 indicators, ROWS / 1,000 teams), starts an
*editor* process that corrects one observation through `services.record_observation` every 100 ms (a
team not in the file, so the only thing it can wait for is the database's lock), imports the file in
another process, and reports the import's duration and the editor's waits during it: the longest, the
99th percentile, the median, and how many edits failed ("database is locked" after SQLite's 20 s timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _scratch  # noqa: E402

GOAL_S = 1.0  # issue 13: "a web write during a 1,000,000-row import waits under 1 s"
PATHS = ("baseline", "staged")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    import django

    django.setup()


def role_setup(rows: int) -> None:
    _django()
    import measurement as bench_measurement
    from django.core.management import call_command

    from spiral.measurement import services
    from spiral.measurement.models import Measure
    from spiral.organisations.models import Unit, path_segment

    call_command("migrate", interactive=False, verbosity=0)
    made = bench_measurement._setup_hierarchy(rows // (len(bench_measurement.MEASURES) * 100))
    directorate = made["directorate"]
    team = Unit.objects.create(code="BEDIT", name="Editing team", kind="team", parent=directorate, path="")
    team.path = directorate.path + path_segment(team.pk)
    team.depth = directorate.depth + 1
    team.save()
    series = services.get_or_create_series(measure=Measure.objects.get(code="B-XMR-1"), unit=team, by=None)
    for month in range(1, 13):
        services.record_observation(series=series, period=f"2024-{month:02d}", value=10 + month, by=None)


def role_editor(ready: Path, stop: Path, out: Path) -> None:
    """Correct one observation every 100 ms until `stop` exists; write every call's duration."""
    _django()
    from spiral.measurement import services
    from spiral.measurement.models import Series

    series = Series.objects.select_related("measure", "unit").get(unit__code="BEDIT")
    waits: list[tuple[float, float]] = []  # (started, seconds)
    failures: list[str] = []
    ready.touch()
    k = 0
    while not stop.exists():
        k += 1
        started = time.time()
        t = time.perf_counter()
        try:
            services.record_observation(series=series, period="2024-06", value=20 + k % 7, by=None)
        except Exception as exc:  # the measurement: a refused edit is counted, not fatal
            failures.append(f"{type(exc).__name__}: {exc}")
        waits.append((started, time.perf_counter() - t))
        time.sleep(0.1)
    out.write_text(json.dumps({"waits": waits, "failures": failures}))


def role_import(path: str, which: str, out: Path) -> None:
    _django()
    from spiral.measurement import imports

    if which == "baseline":
        one_transaction = imports._plan_and_write

        def old_path(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            return one_transaction(*args, **kwargs)  # the old path: one transaction (no progress)

        imports._plan_and_write_staged = old_path
    phases: list[tuple[str, float, float]] = []  # (step, start, end): where the longest wait fell

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.time()
            try:
                return function(*args, **kwargs)
            finally:
                phases.append((name, t0, time.time()))

        return wrapper

    for name in ("_read_rows", "_compare", "_stage", "_publish", "_finish", "_write"):
        setattr(imports, name, timed(name, getattr(imports, name)))
    imports.analyses.recompute = timed("recompute", imports.analyses.recompute)
    started = time.time()
    t = time.perf_counter()
    result = imports.import_observations(path, by=None)
    seconds = time.perf_counter() - t
    out.write_text(
        json.dumps(
            {
                "started": started,
                "seconds": seconds,
                "added": result.added,
                "rejected": len(result.rejected),
                "phases": phases,
            }
        )
    )


def _run(db: str, which: str, csv_path: Path, rows: int) -> dict[str, Any] | None:
    work = Path(tempfile.mkdtemp(prefix="spiral-bench-lock-"))
    env = _scratch.env_for(db, work, "bench_import_lock")
    if env is None:
        return None
    env.update(SPIRAL_IMPORT_MAX_MB="500", PYTHONPATH=str(ROOT))

    def role(*args: str) -> list[str]:
        return [sys.executable, __file__, "--role", *args]

    subprocess.run(role("setup", str(rows)), env=env, cwd=ROOT, check=True)
    ready, stop, edits, imported = (work / n for n in ("ready", "stop", "edits.json", "import.json"))
    editor = subprocess.Popen(role("editor", str(ready), str(stop), str(edits)), env=env, cwd=ROOT)
    while not ready.exists():
        time.sleep(0.05)
    time.sleep(1.0)  # a second of edits before the import starts
    try:
        subprocess.run(role("import", str(csv_path), which, str(imported)), env=env, cwd=ROOT, check=True)
        time.sleep(1.0)
    finally:
        stop.touch()  # the editor stops even when the import failed
    editor.wait(timeout=120)
    run = json.loads(imported.read_text())
    edit = json.loads(edits.read_text())
    shutil.rmtree(work, ignore_errors=True)
    begin, end = run["started"], run["started"] + run["seconds"]
    # Edits that were under way at some moment of the import.
    during = sorted(s for start, s in edit["waits"] if start + s >= begin and start <= end)
    worst = max(edit["waits"], key=lambda w: w[1] if begin <= w[0] + w[1] and w[0] <= end else -1)
    # The import's steps under way while the longest-waiting edit waited (innermost last).
    overlapping = [
        f"{name} {e - b:.1f}s" for name, b, e in run["phases"] if b < worst[0] + worst[1] and e > worst[0]
    ]
    return {
        "database": db,
        "path": which,
        "import_s": run["seconds"],
        "added": run["added"],
        "edits": len(during),
        "longest_s": during[-1] if during else 0.0,
        "p99_s": during[int(len(during) * 0.99) - 1] if len(during) >= 100 else (during[-1] if during else 0),
        "median_s": statistics.median(during) if during else 0.0,
        "failed": len(edit["failures"]),
        "failure": edit["failures"][0] if edit["failures"] else "",
        "during": ", ".join(overlapping),
        "added_ok": run["added"] > 0 and not run["rejected"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="measure one database only")
    parser.add_argument("--role", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        name, *rest = args.role
        if name == "setup":
            role_setup(int(rest[0]))
        elif name == "editor":
            role_editor(Path(rest[0]), Path(rest[1]), Path(rest[2]))
        else:
            role_import(rest[0], rest[1], Path(rest[2]))
        return
    import measurement as bench_measurement

    csv_path = Path(tempfile.mkdtemp(prefix="spiral-bench-lock-csv-")) / "observations.csv"
    written = bench_measurement.write_csv(csv_path, args.rows)
    databases = ["sqlite"] + (["postgresql"] if args.postgres or os.environ.get("DATABASE_URL") else [])
    if args.only:
        databases = [args.only]
    print(f"{written:,} rows; an edit every 100 ms in another process during the import", flush=True)
    print(
        f"{'database':<11} {'path':<9} {'import':>8} {'edits':>6} {'longest':>8} {'p99':>7} {'median':>7} failed"
    )
    results = []
    for db in databases:
        for which in PATHS:
            r = _run(db, which, csv_path, args.rows)
            if r is None:
                continue
            results.append(r)
            print(
                f"{db:<11} {which:<9} {r['import_s']:>7.1f}s {r['edits']:>6} {r['longest_s']:>7.2f}s "
                f"{r['p99_s']:>6.2f}s {r['median_s'] * 1000:>5.0f}ms {r['failed']}"
                + (f"  ({r['failure'][:80]})" if r["failure"] else "")
                + f"  longest during: {r['during'] or '-'}"
                + ("" if r["added_ok"] else "  THE IMPORT WROTE NOTHING"),
                flush=True,
            )
    shutil.rmtree(csv_path.parent, ignore_errors=True)
    for db in databases:
        pair = {r["path"]: r for r in results if r["database"] == db}
        if len(pair) == 2:
            verdict = "meets" if pair["staged"]["longest_s"] <= GOAL_S else "MISSES"
            print(
                f"{db}: longest wait {pair['baseline']['longest_s']:.2f} s (baseline) -> "
                f"{pair['staged']['longest_s']:.2f} s (staged); {verdict} the {GOAL_S:.0f} s goal"
            )


if __name__ == "__main__":
    main()
