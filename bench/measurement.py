"""Benchmark: importing a million observations, and the measures page of an organisation with 300 series.

    .venv/bin/python bench/measurement.py [--postgres] [--rows 1000000] [--sample 20000] [--repeat 20]

1. Writes, with a fixed seed, a CSV of ROWS observations (10,000 series of 100 monthly periods: 1,000
   teams x 10 measures, XmR, p and c charts, about 1% suppressed values) into a temporary directory.
2. For SQLite (a fresh temporary SPIRAL_DATA_DIR) and, with --postgres or DATABASE_URL, PostgreSQL (on
   the server DATABASE_URL names, default 127.0.0.1:5432, a database `bench_measurement` is dropped and
   created; the database DATABASE_URL names is never touched), in a subprocess each:
   * `import_observations` of the whole file, as `spiral import observations` runs it: reading,
     validation, writing and recomputing every analysis (goal: under 60 s);
   * the same file again (nothing changes: the idempotent path);
   * baseline in the same run: a naive import of a SAMPLE-row slice (per row `update_or_create`, then
     `analyse` per series), rolled back, extrapolated to ROWS; the ratio is naive / Spiral;
   * recomputing 10,000 analyses with `analyse_many` (analyses.recompute) against a loop of `analyse`
     over 500 series, extrapolated;
   * the measures page of an organisation with 300 series beneath it (`/measures/units/ORG/?beneath=on`),
     server time with Django's test client, median and 95th percentile of REPEAT requests after a
     warm-up (goal: under 200 ms), and its SQL query count.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
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

IMPORT_GOAL_S = 60.0
PAGE_GOAL_MS = 200.0
MEASURES = [  # code, chart
    ("B-XMR-1", "xmr"),
    ("B-XMR-2", "xmr"),
    ("B-XMR-3", "xmr"),
    ("B-XMR-4", "xmr"),
    ("B-XMR-5", "xmr"),
    ("B-XMR-6", "xmr"),
    ("B-P-1", "p"),
    ("B-P-2", "p"),
    ("B-C-1", "c"),
    ("B-C-2", "c"),
]


def write_csv(path: Path, rows: int, seed: int = 20251123) -> int:
    """10 measures x (rows / 1,000) teams x 100 months; returns the number of rows written."""
    rng = random.Random(seed)
    teams = max(1, rows // (len(MEASURES) * 100))
    written = 0
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["unit_code", "measure_code", "period", "value", "numerator", "denominator", "note"])
        months = [f"{2017 + m // 12}-{m % 12 + 1:02d}" for m in range(100)]
        for t in range(teams):
            unit = f"BT{t:05d}"
            for code, chart in MEASURES:
                level = rng.uniform(20, 80)
                for m, month in enumerate(months):
                    shift = 8 if m > 70 and t % 7 == 0 else 0
                    if rng.random() < 0.01:
                        out.writerow([unit, code, month, "*", "", "", ""])
                    elif chart == "p":
                        den = rng.randint(80, 120)
                        num = min(den, max(0, round(den * (level + shift) / 100 + rng.gauss(0, 3))))
                        out.writerow([unit, code, month, "", num, den, ""])
                    elif chart == "c":
                        out.writerow(
                            [unit, code, month, max(0, round(level / 5 + rng.gauss(0, 2))), "", "", ""]
                        )
                    else:
                        out.writerow(
                            [unit, code, month, f"{level + shift + rng.gauss(0, 4):.2f}", "", "", ""]
                        )
                    written += 1
    return written


# ---------------------------------------------------------------------------------------------
# Worker: runs inside one configured Django process


def _setup_hierarchy(teams: int) -> dict[str, Any]:
    from spiral.measurement.models import Measure
    from spiral.organisations.models import Unit, path_segment

    def unit(code: str, name: str, kind: str, parent: Unit | None, org_type: str = "") -> Unit:
        u = Unit.objects.create(
            code=code, name=name, kind=kind, parent=parent, organisation_type=org_type, path=""
        )
        u.path = (parent.path if parent else "") + path_segment(u.pk)
        u.depth = parent.depth + 1 if parent else 0
        u.save(update_fields=["path", "depth"])
        return u

    nation = unit("BENG", "England", "nation", None)
    region = unit("BY56", "London", "region", nation)
    icb = unit("BQAA", "Bench ICB", "icb", region)
    org = unit("BRAA", "Bench Trust", "organisation", icb, "acute_trust")
    directorate = unit("BRAA-D", "Medicine", "directorate", org)
    base = Unit.objects.order_by("-pk").first().pk
    rows = [
        Unit(
            pk=base + 1 + t,
            code=f"BT{t:05d}",
            name=f"Team {t}",
            kind="team",
            parent=directorate,
            path=directorate.path + path_segment(base + 1 + t),
            depth=directorate.depth + 1,
        )
        for t in range(teams)
    ]
    Unit.objects.bulk_create(rows, batch_size=2000)
    _reset_sequences([Unit])
    for code, chart in MEASURES:
        Measure.objects.create(
            code=code, name=f"Bench {code}", chart=chart, owner=org, is_indicator=True, frequency="month"
        )
    return {"org": org, "directorate": directorate, "nation": nation}


def _reset_sequences(models: list[type]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


class _Rollback(Exception):
    pass


def _naive_import(path: Path, sample: int) -> float:
    """A first implementation: per-row update_or_create, then `analyse` per touched series."""
    from django.db import transaction

    from spiral.core import periods
    from spiral.measurement import analyses
    from spiral.measurement.models import Measure, Observation, Series
    from spiral.organisations.models import Unit

    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = [next(reader) for _ in range(sample)]
    started = time.perf_counter()
    try:
        with transaction.atomic():
            touched = set()
            for row in rows:
                unit = Unit.objects.get(code=row["unit_code"])
                measure = Measure.objects.get(code=row["measure_code"])
                series, _ = Series.objects.get_or_create(measure=measure, unit=unit)
                day = periods.period_start(row["period"], measure.frequency)
                if row["value"] == "*":
                    continue
                values = {
                    "value": float(row["value"])
                    if row["value"]
                    else int(row["numerator"]) / int(row["denominator"]),
                    "numerator": float(row["numerator"]) if row["numerator"] else None,
                    "denominator": float(row["denominator"]) if row["denominator"] else None,
                }
                Observation.objects.update_or_create(series=series, period_start=day, defaults=values)
                touched.add(series.pk)
            for series in Series.objects.select_related("measure").filter(pk__in=touched):
                analyses.store_one(series)
            raise _Rollback
    except _Rollback:
        pass
    return time.perf_counter() - started


def _page(org_code: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from spiral.organisations.models import User

    setup_test_environment()
    user = User.objects.create_user("bench@example.com", "x", display_name="Bench", is_superuser=True)
    client = Client()
    client.force_login(user)
    url = f"/measures/units/{org_code}/?beneath=on"
    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[max(0, int(len(times) * 0.95) - 1)],
        "queries": len(ctx.captured_queries),
        "bytes": len(response.content),
    }


def _page_org(series: int = 300) -> str:
    """An organisation with `series` series beneath it (30 teams x 10 indicators), 36 months each."""
    import datetime as dt

    from spiral.measurement import analyses
    from spiral.measurement.imports import bulk_insert_observations
    from spiral.measurement.models import Measure, Series
    from spiral.organisations.models import Unit, path_segment

    icb = Unit.objects.get(code="BQAA")
    org = Unit.objects.create(
        code="BPAGE",
        name="Page Trust",
        kind="organisation",
        parent=icb,
        path="",
        organisation_type="acute_trust",
    )
    org.path = icb.path + path_segment(org.pk)
    org.depth = icb.depth + 1
    org.save()
    measures = list(Measure.objects.filter(code__startswith="B-"))
    teams = []
    for t in range(series // len(measures)):
        team = Unit.objects.create(code=f"BP{t:03d}", name=f"Page team {t}", kind="team", parent=org, path="")
        team.path = org.path + path_segment(team.pk)
        team.depth = org.depth + 1
        team.save()
        teams.append(team)
    for m in measures:
        m.owner = org
        m.save(update_fields=["owner"])
    Series.objects.bulk_create([Series(measure=m, unit=t) for t in teams for m in measures])
    rng = random.Random(7)
    rows = []
    now = dt.datetime.now(dt.UTC)
    ids = list(Series.objects.filter(unit__in=teams).values_list("pk", "measure__chart"))
    for sid, chart in ids:
        for k in range(36):
            day = dt.date(2022 + k // 12, k % 12 + 1, 1)
            if chart == "p":
                den = rng.randint(80, 120)
                num = rng.randint(40, 80)
                rows.append((sid, day, num / den, float(num), float(den), "", 1, now, None))
            else:
                rows.append((sid, day, float(rng.randint(5, 50)), None, None, "", 1, now, None))
    bulk_insert_observations(rows)
    analyses.recompute([sid for sid, _ in ids])
    return org.code


def worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from spiral.measurement import analyses
    from spiral.measurement.imports import import_observations
    from spiral.measurement.models import Series

    call_command("migrate", interactive=False, verbosity=0)
    path = Path(args.csv)
    teams = args.rows // (len(MEASURES) * 100)
    _setup_hierarchy(teams)
    out: dict[str, Any] = {"database": connection.vendor, "rows": args.rows}

    naive = _naive_import(path, args.sample)
    out["naive_sample_s"] = naive
    out["naive_extrapolated_s"] = naive * args.rows / args.sample

    t = time.perf_counter()
    result = import_observations(path, by=None)
    out["import_s"] = time.perf_counter() - t
    out["added"], out["warnings"], out["rejected"] = result.added, len(result.warnings), len(result.rejected)
    out["series"] = result.series_touched

    t = time.perf_counter()
    again = import_observations(path, by=None)
    out["reimport_s"] = time.perf_counter() - t
    out["reimport_unchanged"] = again.unchanged

    ids = list(Series.objects.values_list("pk", flat=True))
    out["recompute_series"] = len(ids)
    with transaction.atomic():
        t = time.perf_counter()
        analyses.recompute(ids)
        out["recompute_many_s"] = time.perf_counter() - t
        sample = list(Series.objects.select_related("measure").order_by("pk")[:500])
        t = time.perf_counter()
        for series in sample:
            analyses.store_one(series)
        out["recompute_loop_extrapolated_s"] = (time.perf_counter() - t) * len(ids) / len(sample)

    org_code = _page_org()
    out["page"] = _page(org_code, args.repeat)
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------------------------------------
# Driver


def _run(db: str, csv_path: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    tmp = Path(tempfile.mkdtemp(prefix="spiral-bench-db-"))
    # Never the database DATABASE_URL names: the benchmark's own on its server, dropped and created.
    env = _scratch.env_for(db, tmp, "bench_measurement")
    if env is None:
        return None
    env["SPIRAL_IMPORT_MAX_MB"] = "500"
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--csv",
        str(csv_path),
        "--rows",
        str(args.rows),
        "--sample",
        str(args.sample),
        "--repeat",
        str(args.repeat),
    ]
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode != 0:
        print(f"{db}: the benchmark failed:\n{proc.stderr[-4000:]}", file=sys.stderr)
        return None
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["wall_s"] = time.perf_counter() - started
    return result


def report(results: list[dict[str, Any]]) -> None:
    for r in results:
        ok = "meets" if r["import_s"] < IMPORT_GOAL_S else "MISSES"
        page = r["page"]
        print(f"\n== {r['database']} ==")
        print(
            f"import of {r['rows']:,} rows ({r['series']:,} series, {r['warnings']:,} suppressed values "
            f"skipped): {r['import_s']:.1f} s, {r['rows'] / r['import_s']:,.0f} rows/s "
            f"({ok} the {IMPORT_GOAL_S:.0f} s goal)"
        )
        print(f"same file again (all {r['reimport_unchanged']:,} unchanged): {r['reimport_s']:.1f} s")
        print(
            f"baseline, naive per-row update_or_create + analyse per series: {r['naive_sample_s']:.1f} s for "
            f"the sample, {r['naive_extrapolated_s']:,.0f} s extrapolated; ratio naive/Spiral "
            f"{r['naive_extrapolated_s'] / r['import_s']:.0f}x"
        )
        print(
            f"recompute {r['recompute_series']:,} analyses: analyse_many {r['recompute_many_s']:.2f} s; loop of analyse "
            f"{r['recompute_loop_extrapolated_s']:.1f} s extrapolated; ratio "
            f"{r['recompute_loop_extrapolated_s'] / r['recompute_many_s']:.1f}x"
        )
        page_ok = "meets" if page["median_ms"] < PAGE_GOAL_MS else "MISSES"
        print(
            f"measures page, organisation with 300 series beneath: median {page['median_ms']:.0f} ms, "
            f"p95 {page['p95_ms']:.0f} ms, {page['queries']} queries, {page['bytes'] / 1024:.0f} KiB "
            f"({page_ok} the {PAGE_GOAL_MS:.0f} ms goal)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the naive baseline")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (DATABASE_URL or a default)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    folder = Path(tempfile.mkdtemp(prefix="spiral-bench-measurement-"))
    try:
        csv_path = folder / "observations.csv"
        t = time.perf_counter()
        rows = write_csv(csv_path, args.rows)
        print(
            f"wrote {rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
        args.rows = rows
        results = []
        for db in (
            ("sqlite", "postgresql") if (args.postgres or os.environ.get("DATABASE_URL")) else ("sqlite",)
        ):
            print(f"running on {db}...", flush=True)
            result = _run(db, csv_path, args)
            if result is not None:
                results.append(result)
        report(results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
