"""Benchmark: the national portfolio roll-up and a board pack as PDF (issue 19).

    .venv/bin/python bench/reporting.py [--size small|medium|national] [--postgres] [--repeat 5]
    .venv/bin/python bench/reporting.py --reuse DIR     # SQLite only: a data directory with a demo loaded

For SQLite (a fresh temporary SPIRAL_DATA_DIR) and, with --postgres or DATABASE_URL, PostgreSQL (a
database `bench_reporting`, dropped and created, on DATABASE_URL's server; never DATABASE_URL's own), each
in its own subprocess: migrate, build the demo of SIZE (`build_demo(size=..., seed=1)`, as `spiral demo`
does; the national demo takes several minutes, so the default is `small`), then time, medians of REPEAT
runs after one warm-up:

(a) **the national portfolio roll-up**, read as national@example.com:
    * the query: `reporting.portfolio.portfolio(user, nation)` (everything the page shows);
    * the page: GET /reporting/units/<nation>/portfolio/ through Django's test client, *cold* (the `pages`
      cache cleared before each request, so every query and the rendering run);
    * baseline, **unit by unit**: `portfolio(user, organisation)` for each organisation in the nation, and
      its additive figures (open projects, statuses, stages, patient partners, coaches, stuck, gains at
      risk, teams and teams with an active project) summed in Python. Medians and the trend cannot be
      combined that way, so the baseline yields less than the roll-up; it checks that what it sums equals
      the national roll-up's figures.
(b) **a board pack as PDF** for the organisation of board@example.com, read as that leader, with the board's
    twelve chosen measures charted (the settings are saved first, as a leader would):
    * the PDF: `board.board_pack` (the numbers) + `tasks.render_pack` (the HTML) + `documents.pack_pdf`
      (WeasyPrint), end to end, and each of the three parts alone;
    * baseline, **the same pack as HTML only** (the print page: numbers + HTML), so the ratio says what
      making it a PDF costs.
(c) **the nation's impact**, read as national@example.com:
    * the query: `reporting.impact.impact(user, nation)` (every active and closed project's outcome series
      read in grouped queries and analysed together), with its number of queries;
    * the page: GET /reporting/units/<nation>/impact/, cold;
    * baseline, **project by project**: each project's outcome series read and analysed on its own
      (`impact.judge`, as `impact` did before); it checks that the evidence and the reasons agree.
Goals: the national portfolio under 1 s (query and page); the board pack PDF under 10 s.

`--reuse DIR`: skip the migration and the build and time against the demo already loaded in the SQLite
data directory DIR (e.g. one kept from a national build); the board pack settings are saved into it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _scratch  # noqa: E402
from _timing import timed  # noqa: E402

NAME = "bench_reporting"
PORTFOLIO_GOAL_S, PDF_GOAL_S = 1.0, 10.0
READER, LEADER = "national@example.com", "board@example.com"


PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF (its /Type /Page objects, in the open or in compressed object streams)."""
    found = len(PAGE_OBJECT.findall(pdf))
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            found += len(PAGE_OBJECT.findall(zlib.decompress(stream.group(1).rstrip(b"\r\n"))))
        except zlib.error:
            continue
    return found


def additive(p: Any) -> dict[str, Any]:
    """The figures of a portfolio that add up across units (the unit-by-unit baseline sums these)."""
    return {
        "open": p.open,
        "with patient partner": p.with_patient_partner,
        "with coach": p.with_coach,
        "stuck": len(p.stuck),
        "gains at risk": len(p.gains_at_risk),
        "teams": p.penetration_total.teams,
        "teams with an active project": p.penetration_total.with_active,
        **{f"status {v}": n for v, _label, n in p.statuses},
        **{f"stage {v}": n for v, _label, n in p.counts.by_stage},
    }


def worker(size: str, repeat: int, reuse: bool = False) -> dict[str, Any]:
    os.environ["SPIRAL_DEMO"] = "1"
    os.environ["DEBUG"] = "0"  # no query log
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    if not reuse:
        call_command("migrate", interactive=False, verbosity=0)
    from spiral.demo.builder import build_demo
    from spiral.measurement import queries as measurement_queries
    from spiral.organisations.models import Membership, Unit, UnitKind, User
    from spiral.reporting import board, documents, services, tasks
    from spiral.reporting import impact as impact_rules
    from spiral.reporting.portfolio import portfolio

    out: dict[str, Any] = {"database": connection.vendor, "size": "reused" if reuse else size}
    started = time.perf_counter()
    if not reuse:
        build_demo(size=size, seed=1)
    out["build_s"] = time.perf_counter() - started

    # (a) the national portfolio
    reader = User.objects.get(email=READER)
    nation = Unit.objects.get(kind=UnitKind.NATION, parent__isnull=True)
    organisations = list(Unit.objects.filter(nation.subtree_q(), kind=UnitKind.ORGANISATION).order_by("path"))
    out["units"] = Unit.objects.filter(nation.subtree_q()).count()
    out["organisations"] = len(organisations)
    out["query_s"], national = timed(lambda: portfolio(reader, nation), repeat)
    with CaptureQueriesContext(connection) as queries:
        portfolio(reader, nation)
    out["query_queries"] = len(queries)
    out["open"], out["teams"] = national.open, national.penetration_total.teams

    client = Client()
    client.force_login(reader)

    def cold_page(url: str) -> Callable[[], int]:
        """A GET of `url` with the kept pages cleared first; the page's size in bytes."""

        def get() -> int:
            caches["pages"].clear()
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"bench: GET {url} answered {response.status_code}")
            return len(response.content)

        return get

    out["page_s"], out["page_bytes"] = timed(cold_page(f"/reporting/units/{nation.code}/portfolio/"), repeat)

    def unit_by_unit() -> dict[str, Any]:
        total: dict[str, Any] = {}
        for org in organisations:
            for key, n in additive(portfolio(reader, org)).items():
                total[key] = total.get(key, 0) + n
        return total

    out["baseline_s"], summed = timed(unit_by_unit, max(1, repeat // 2))
    whole = additive(national)
    out["baseline_differs"] = {
        k: [whole.get(k), summed.get(k)] for k in whole if whole.get(k) != summed.get(k)
    }

    # (c) the nation's impact, and the baseline: each project's outcome series read and analysed alone
    out["impact_s"], found = timed(lambda: impact_rules.impact(reader, nation), repeat)
    with CaptureQueriesContext(connection) as queries:
        impact_rules.impact(reader, nation)
    out["impact_queries"] = len(queries)
    out["impact_projects"], out["impact_evidence"] = found.projects, len(found.evidence)
    out["impact_page_s"], out["impact_page_bytes"] = timed(
        cold_page(f"/reporting/units/{nation.code}/impact/"), repeat
    )

    def project_by_project() -> tuple[dict[str, int], list[Any]]:
        from spiral.projects import queries as project_queries
        from spiral.projects.models import Status

        projects = list(project_queries.projects(reader, within=nation)
                        .filter(status__in=[Status.ACTIVE, Status.CLOSED]))  # fmt: skip
        links = impact_rules._outcome_links(projects)
        reasons: dict[str, int] = {}
        evidence = []
        for project in projects:
            link = links.get(project.pk)
            got = impact_rules.NO_MEASURE if link is None else impact_rules.judge(project, link.series)
            if isinstance(got, str):
                reasons[got] = reasons.get(got, 0) + 1
            else:
                evidence.append((project.pk, got.change, got.events_a_year))
        return reasons, evidence

    out["impact_baseline_s"], (reasons, alone) = timed(project_by_project, max(1, repeat // 2))
    together = [(e.project.pk, e.change, e.events_a_year) for e in found.evidence]
    out["impact_agree"] = reasons == found.without and alone == together

    # (b) the board pack of the leader's organisation, with the board's chosen measures charted
    leader = User.objects.get(email=LEADER)
    org = (
        Membership.objects.filter(user=leader, unit__kind=UnitKind.ORGANISATION)
        .select_related("unit")
        .first()
    )
    assert org is not None, "the demo's board member has no organisation"
    unit = org.unit
    chosen = list(
        measurement_queries.series_queryset(leader, unit=unit, include_beneath=True)
        .order_by("measure__name", "unit__name")
        .values_list("pk", flat=True)[: services.MAX_MEASURES]
    )
    services.save_board_schedule(unit=unit, series_ids=chosen, monthly=True, by=leader)
    out["pack_unit"], out["pack_charts"] = unit.name, len(chosen)
    out["pdf_available"] = documents.pdf_available()

    def html_only() -> str:
        return tasks.render_pack(board.board_pack(leader, unit))

    out["numbers_s"], data = timed(lambda: board.board_pack(leader, unit), repeat)
    out["render_s"], html = timed(lambda: tasks.render_pack(data), repeat)
    out["html_s"], html = timed(html_only, repeat)
    out["html_bytes"] = len(html.encode("utf-8"))
    if out["pdf_available"]:
        out["weasyprint_s"], pdf = timed(lambda: documents.pack_pdf(html), repeat)
        out["pdf_s"], pdf = timed(lambda: documents.pack_pdf(html_only()), repeat)
        out["pdf_bytes"] = len(pdf)
        out["pdf_pages"] = pdf_pages(pdf)
    return out


def run(db: str, args: argparse.Namespace) -> dict[str, Any] | None:
    tmp = Path(tempfile.mkdtemp(prefix="spiral-bench-reporting-"))
    try:
        env = _scratch.env_for(db, args.reuse or tmp, NAME)
        if env is None:
            return None
        command = [sys.executable, __file__, "--worker", "--size", args.size, "--repeat", str(args.repeat)]
        if args.reuse:
            command.append("--reused")
        proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            print(f"{db}: the benchmark failed:\n{proc.stderr[-4000:]}", file=sys.stderr)
            return None
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        result: dict[str, Any] = json.loads(line[len("RESULT ") :])
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(r: dict[str, Any]) -> bool:
    print(f"\n== {r['database']}, {r['size']} demo (built in {r['build_s']:.0f} s) ==")
    print(f"nation: {r['units']:,} units, {r['organisations']:,} organisations, {r['teams']:,} teams, "
          f"{r['open']:,} open projects")  # fmt: skip
    base = r["baseline_s"]
    agree = "agree" if not r["baseline_differs"] else f"DIFFER {r['baseline_differs']}"
    print("\n| national portfolio | time | goal | baseline / this |")
    print("|---|---|---|---|")
    print(f"| query (`portfolio(user, nation)`, {r['query_queries']} queries) | {ms(r['query_s'])} | "
          f"< {PORTFOLIO_GOAL_S:.0f} s | {base / r['query_s']:.1f}x |")  # fmt: skip
    print(f"| page, cold ({r['page_bytes'] / 1024:,.0f} KiB) | {ms(r['page_s'])} | < {PORTFOLIO_GOAL_S:.0f} s | "
          f"{base / r['page_s']:.1f}x |")  # fmt: skip
    print(f"| baseline: each of the {r['organisations']} organisations' portfolio, summed (sums {agree}) | "
          f"{ms(base)} | | 1 |")  # fmt: skip
    ok = r["query_s"] < PORTFOLIO_GOAL_S and r["page_s"] < PORTFOLIO_GOAL_S and not r["baseline_differs"]
    ibase = r["impact_baseline_s"]
    print(f"\nnation's impact: {r['impact_projects']:,} active and closed projects, "
          f"{r['impact_evidence']:,} with evidence of sustained improvement")  # fmt: skip
    print("\n| nation's impact | time | baseline / this |")
    print("|---|---|---|")
    print(f"| query (`impact(user, nation)`, {r['impact_queries']} queries) | {ms(r['impact_s'])} | "
          f"{ibase / r['impact_s']:.1f}x |")  # fmt: skip
    print(f"| page, cold ({r['impact_page_bytes'] / 1024:,.0f} KiB) | {ms(r['impact_page_s'])} | "
          f"{ibase / r['impact_page_s']:.1f}x |")  # fmt: skip
    agree = "agree" if r["impact_agree"] else "DIFFER"
    print(f"| baseline: each project's outcome series read and analysed alone ({agree}) | {ms(ibase)} | 1 |")
    ok = ok and r["impact_agree"]
    print(
        f"\nboard pack of {r['pack_unit']} ({r['pack_charts']} charts, HTML {r['html_bytes'] / 1024:,.0f} KiB)"
    )
    print("\n| board pack | time | goal | this / baseline |")
    print("|---|---|---|---|")
    if r["pdf_available"]:
        print(f"| PDF end to end ({r['pdf_pages']} pages, {r['pdf_bytes'] / 1024:,.0f} KiB) | {ms(r['pdf_s'])} | "
              f"< {PDF_GOAL_S:.0f} s | {r['pdf_s'] / r['html_s']:.1f}x |")  # fmt: skip
        print(f"| of which WeasyPrint alone (`pack_pdf`) | {ms(r['weasyprint_s'])} | | |")
        ok = ok and r["pdf_s"] < PDF_GOAL_S
    else:
        print(f"| PDF | {documents_missing()} | | |")
        ok = False
    print(f"| baseline: the same pack as HTML only (the print page) | {ms(r['html_s'])} | | 1 |")
    print(f"| of which the numbers (`board_pack`) | {ms(r['numbers_s'])} | | |")
    print(f"| of which the HTML (`render_pack`) | {ms(r['render_s'])} | | |")
    print(f"\ngoals {'met' if ok else 'NOT met'} on {r['database']}")
    return ok


def documents_missing() -> str:
    return "not timed: WeasyPrint is not installed"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("small", "medium", "national"), default="small")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (DATABASE_URL or a default)")
    parser.add_argument("--reuse", type=Path, metavar="DIR", help="SQLite only: time the demo loaded in DIR")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reused", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.size, args.repeat, reuse=args.reused)))
        return 0
    databases = ["sqlite"] + (["postgresql"] if args.postgres or os.environ.get("DATABASE_URL") else [])
    if args.reuse:
        args.reuse = args.reuse.resolve()
        databases = ["sqlite"]
    ok = True
    for db in databases:
        print(f"running on {db} ({args.reuse or f'{args.size} demo'})...", flush=True)
        result = run(db, args)
        ok = (result is not None and report(result)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
