"""Benchmark: load the demo, then time the unit pages and the units API against it.

    .venv/bin/python bench/demo.py [--size national] [--repeat 30] [--keep] [--explain]

1. In a fresh temporary SPIRAL_DATA_DIR, times `spiral demo --size SIZE --no-serve` (a subprocess, so
   the figure includes start-up and migrations, as a person running it would see) and counts the rows.
2. Against that database, times pages server-side with Django's test client as a signed-in demo person
   (region@example.com): every region page, the nation, one ICB and the demo's acute trust, and
   `GET /api/v1/units?within=<region>&kind=team&limit=50`. Each is warmed up, then requested REPEAT
   times: median and 95th percentile in milliseconds, and the SQL queries of one request.
3. Baseline, in the same run: the same pages with a naive implementation of the counts (three COUNT
   queries per child with `path LIKE 'prefix%'`, as a first implementation would write them). The
   ratio is naive median / Spiral median: above 1 means Spiral is that many times faster.

PostgreSQL: set DATABASE_URL to an empty database (e.g. postgres://postgres@127.0.0.1:5432/bench_demo).
The goals (issue 3): the national demo loads in under 5 minutes on SQLite; a region page renders in
under 100 ms server time.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
BUILD_GOAL_S = 300.0
REGION_PAGE_GOAL_MS = 100.0
SIGN_IN = "region@example.com"


@dataclass
class Timing:
    label: str
    url: str
    queries: int
    median_ms: float
    p95_ms: float
    counts_ms: float | None = None  # children_with_counts + people_count_beneath alone
    naive_queries: int | None = None
    naive_median_ms: float | None = None
    naive_counts_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.naive_median_ms is None:
            return None
        return self.naive_median_ms / self.median_ms

    @property
    def counts_ratio(self) -> float | None:
        if self.naive_counts_ms is None or not self.counts_ms:
            return None
        return self.naive_counts_ms / self.counts_ms


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def build(size: str, data_dir: Path) -> tuple[float, float | None]:
    """Run `spiral demo --no-serve`; return the wall time and the builder's own figure (seconds)."""
    env = {**os.environ, "SPIRAL_DATA_DIR": str(data_dir)}
    # `python -m spiral` from the checkout is the `spiral` command of this very tree.
    command = [sys.executable, "-m", "spiral", "demo", "--size", size, "--no-serve"]
    print(f"$ SPIRAL_DATA_DIR={data_dir} spiral {' '.join(command[3:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench: the demo failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    found = re.search(r"demo loaded in ([\d.]+) s", done.stdout)
    return wall, float(found.group(1)) if found else None


def setup_django(data_dir: Path) -> None:
    os.environ["SPIRAL_DATA_DIR"] = str(data_dir)
    os.environ["SPIRAL_DEMO"] = "1"
    os.environ["DEBUG"] = "0"  # as served: no query log, no template auto-reload
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def naive_counts() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The counts as a first implementation would write them: per child, per kind, with LIKE."""
    from spiral.organisations.models import Membership, Unit, UnitKind
    from spiral.organisations.queries import ChildSummary

    def people_count_beneath(user: Any, unit: Any) -> int:
        return Membership.objects.filter(unit__path__startswith=unit.path).values("user").distinct().count()

    def children_with_counts(user: Any, unit: Any) -> list[Any]:
        summaries = []
        for child in Unit.objects.filter(parent=unit).order_by("name"):
            beneath = Unit.objects.filter(path__startswith=child.path)
            summaries.append(
                ChildSummary(
                    unit=child,
                    organisations=beneath.filter(kind=UnitKind.ORGANISATION).count(),
                    teams=beneath.filter(kind=UnitKind.TEAM).count(),
                    people=people_count_beneath(user, child),
                )
            )
        return summaries

    return children_with_counts, people_count_beneath


def request_ms(client: Any, url: str) -> float:
    """Server time of one GET in milliseconds: middleware, view, queries and template, no network."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"bench: GET {url} answered {response.status_code}")
    return elapsed


def call_ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def count_queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)  # read now: the next request clears the log


def interleaved(
    ours: Callable[[], float], naive: Callable[[], float] | None, repeat: int, naive_repeat: int
) -> tuple[list[float], list[float]]:
    """Warm up, then time `ours` REPEAT times with `naive` spread among them (a busy machine slows both)."""
    for _ in range(3):
        ours()
    if naive is not None:
        naive()
    every = max(1, round(repeat / naive_repeat))
    ours_ms: list[float] = []
    naive_ms: list[float] = []
    for i in range(repeat):
        ours_ms.append(ours())
        if naive is not None and i % every == 0:
            naive_ms.append(naive())
    return ours_ms, naive_ms


def explain(client: Any, url: str) -> None:
    """Print each SELECT of one request with the database's plan for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    print(f"\nPlans for GET {url} ({connection.vendor}):")
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        print(f"\n  {sql[:400]}{' ...' if len(sql) > 400 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("    " + " | ".join(str(c) for c in row))


def measure(repeat: int, naive_repeat: int, show_plans: bool) -> tuple[dict[str, int], list[Timing]]:
    from django.db import connection
    from django.test import Client

    from spiral.core.models import AuditEvent
    from spiral.organisations import queries
    from spiral.organisations.models import Membership, OrganisationType, Unit, UnitKind, User

    rows = {
        "units": Unit.objects.count(),
        "people": User.objects.count(),
        "memberships": Membership.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }
    client = Client(raise_request_exception=True)
    client.force_login(User.objects.get(email=SIGN_IN))

    pages: list[tuple[str, str]] = []
    regions = list(Unit.objects.filter(kind=UnitKind.REGION).order_by("path"))
    pages += [(f"region {r.name}", f"/units/{r.code}/") for r in regions]
    nation = Unit.objects.get(kind=UnitKind.NATION)
    pages.append((f"nation {nation.name}", f"/units/{nation.code}/"))
    icb = Unit.objects.filter(kind=UnitKind.ICB).order_by("path").first()
    pages.append((f"ICB {icb.name}", f"/units/{icb.code}/"))
    trust = Unit.objects.filter(organisation_type=OrganisationType.ACUTE_TRUST).order_by("path").first()
    pages.append((f"acute trust {trust.name}", f"/units/{trust.code}/"))
    api_url = f"/api/v1/units?within={regions[0].code}&kind=team&limit=50"

    naive_children, naive_people = naive_counts()
    user = User.objects.get(email=SIGN_IN)
    timings = []
    for label, url in pages:
        print(f"  timing {label} ...", flush=True)
        unit = Unit.objects.get(code=url.split("/")[2])
        # The baseline must give the same figures, or the comparison means nothing.
        got = [
            (c.unit.pk, c.organisations, c.teams, c.people) for c in queries.children_with_counts(user, unit)
        ]
        want = [(c.unit.pk, c.organisations, c.teams, c.people) for c in naive_children(user, unit)]
        if got != want or queries.people_count_beneath(user, unit) != naive_people(user, unit):
            sys.exit(f"bench: the counts for {label} differ from the naive baseline:\n{got}\n{want}")

        def naive_page(url: str = url) -> float:
            with (
                mock.patch.object(queries, "children_with_counts", naive_children),
                mock.patch.object(queries, "people_count_beneath", naive_people),
            ):
                return request_ms(client, url)

        def naive_page_queries(url: str = url) -> int:
            with (
                mock.patch.object(queries, "children_with_counts", naive_children),
                mock.patch.object(queries, "people_count_beneath", naive_people),
            ):
                return count_queries(client, url)

        times, naive_times = interleaved(
            lambda url=url: request_ms(client, url), naive_page, repeat, naive_repeat
        )
        counts, naive_counts_times = interleaved(
            lambda u=unit: call_ms(
                lambda: (queries.children_with_counts(user, u), queries.people_count_beneath(user, u))
            ),
            lambda u=unit: call_ms(lambda: (naive_children(user, u), naive_people(user, u))),
            repeat,
            naive_repeat,
        )
        timings.append(
            Timing(
                label,
                url,
                count_queries(client, url),
                statistics.median(times),
                p95(times),
                counts_ms=statistics.median(counts),
                naive_queries=naive_page_queries(),
                naive_median_ms=statistics.median(naive_times),
                naive_counts_ms=statistics.median(naive_counts_times),
            )
        )
    print("  timing the units API ...", flush=True)
    times, _ = interleaved(lambda: request_ms(client, api_url), None, repeat, repeat)
    timings.append(
        Timing(
            f"API teams within {regions[0].code}",
            api_url,
            count_queries(client, api_url),
            statistics.median(times),
            p95(times),
        )
    )

    if show_plans:
        explain(client, pages[0][1])
        explain(client, api_url)
    print(f"\nDatabase: {connection.vendor} {connection.settings_dict['NAME']}")
    return rows, timings


def report(
    size: str, wall: float, builder_s: float | None, rows: dict[str, int], timings: list[Timing]
) -> None:
    from django.db import connection

    total = sum(rows.values())
    print(f"\n== spiral demo --size {size} --no-serve ({connection.vendor}) ==")
    if math.isnan(wall):
        print("wall time: not measured (--reuse)")
        print("rows in the database: " + ", ".join(f"{v:,} {k}" for k, v in rows.items()) + f" = {total:,}")
    else:
        print(
            f"wall time {wall:.1f} s (building the data {builder_s or 0:.1f} s; the rest is start-up and "
            f"migrations); goal < {BUILD_GOAL_S:.0f} s: {'met' if wall < BUILD_GOAL_S else 'MISSED'}"
        )
        print(
            "rows created: "
            + ", ".join(f"{v:,} {k}" for k, v in rows.items())
            + f" = {total:,} rows ({total / wall:,.0f} rows/s of wall time)"
        )
    print(f"\n== server time per request, signed in as {SIGN_IN} (ms; q = SQL queries per request) ==")
    print(
        "counts: children_with_counts + people_count_beneath alone; naive: the baseline (see bench/demo.py)"
    )
    header = (
        f"{'page':<52} {'q':>3} {'median':>7} {'p95':>7} {'counts':>7} | {'naive q':>7} {'median':>7} "
        f"{'ratio':>6} {'counts':>7} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for t in timings:
        ours = f"{t.label[:52]:<52} {t.queries:>3} {t.median_ms:>7.1f} {t.p95_ms:>7.1f}"
        if t.naive_median_ms is None:
            print(f"{ours} {'':>7} |")
            continue
        print(
            f"{ours} {t.counts_ms:>7.1f} | {t.naive_queries:>7} {t.naive_median_ms:>7.1f} {t.ratio:>5.1f}x "
            f"{t.naive_counts_ms:>7.1f} {t.counts_ratio:>5.1f}x"
        )
    region = [t for t in timings if t.label.startswith("region ")]
    worst = max(t.p95_ms for t in region)
    page_ratio = statistics.median([t.ratio for t in region if t.ratio is not None])
    counts_ratio = statistics.median([t.counts_ratio for t in region if t.counts_ratio is not None])
    print(
        f"\nregion pages: median {statistics.median(t.median_ms for t in region):.1f} ms "
        f"(median of the 7 medians), worst p95 {worst:.1f} ms, {region[0].queries} queries; "
        f"goal < {REGION_PAGE_GOAL_MS:.0f} ms: {'met' if worst < REGION_PAGE_GOAL_MS else 'MISSED'}"
    )
    print(
        f"ratio vs naive baseline (naive median / Spiral median; per-child COUNTs with LIKE), region pages: "
        f"whole page {page_ratio:.1f}x, the counts alone {counts_ratio:.1f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("small", "medium", "national"), default="national")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--explain", action="store_true", help="print the query plans of a region page")
    parser.add_argument(
        "--reuse", metavar="DIR", help="skip the build and time pages against the demo already in DIR"
    )
    args = parser.parse_args()

    wall, builder_s = float("nan"), None
    if args.reuse:
        data_dir = Path(args.reuse).resolve()
    else:
        data_dir = Path(tempfile.mkdtemp(prefix=f"spiral-bench-{args.size}-"))
    try:
        if not args.reuse:
            wall, builder_s = build(args.size, data_dir)
        setup_django(data_dir)
        load_before = os.getloadavg()[0]
        rows, timings = measure(args.repeat, max(5, args.repeat // 3), args.explain)
        report(args.size, wall, builder_s, rows, timings)
        # Figures from a busy machine run slow: say how busy it was.
        print(
            f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, 1-minute load average "
            f"{load_before:.2f} before the page timings, {os.getloadavg()[0]:.2f} after"
        )
    finally:
        if args.keep or args.reuse:
            print(f"\ndata kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
