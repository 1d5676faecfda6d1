"""Benchmark: the cascade of the national True North goal and a team's huddle board (issue 16).

    .venv/bin/python bench/priorities.py [--size national] [--repeat 5] [--reuse DIR] [--keep] [--postgres]

For SQLite (a fresh temporary SPIRAL_DATA_DIR; `--reuse DIR` times against a data directory already built,
`--keep` keeps the one made) and, with --postgres, PostgreSQL (a database `bench_priorities`, dropped and
created on DATABASE_URL's server; never DATABASE_URL's own), each in its own subprocess: migrate, build the
demo (`build_demo(size=..., seed=1)`, as `spiral demo` does; the national demo takes about ten minutes),
then time, medians of REPEAT runs after one warm-up, in the same run:

(a) **the cascade** of the goal set at the top of the tree with the largest cascade (in the demo: the
    nation's goal, which regions, ICBs and organisations adopt and their directorates and teams answer),
    read as admin@example.com (an administrator at the nation):
    * the page: GET /priorities/goals/<pk>/cascade/ through Django's test client, cold (the `pages` cache
      cleared before each request);
    * the query alone, as the page reads it: `priorities.queries.cascade(user, goal, listed=CASCADE_SHOWN)`
      (the levels of the tree that hold at most CASCADE_SHOWN units built as nodes with their cells and
      icons; every unit counted in the shares from plain rows);
    * the query building the whole tree as nodes: `queries.cascade(user, goal)`, as the API reads it;
    * baseline, **one query per unit**: for each unit beneath the goal's unit, its answer to the goal read
      alone, then its measures, then each measure's series with its analysis (the naive form; it builds the
      per-unit icons only, not the shares). It checks that the whole tree and the baseline agree (the same
      units, the same variation and assurance icons for every measure of every unit), and that the page's
      read has the whole tree's shares.
(b) **a team's huddle board**: the board of the demo sign-ins' team, read as team@example.com (a member):
    * the page: GET /priorities/units/<code>/board/, cold;
    * the query alone: `priorities.queries.board(user, team)`;
    * baseline, **one query per row**: the same parts read with no select_related or grouped reads (each
      idea's scores, each cycle's project and change idea, each driver measure's series and analysis, each
      note's author and answerer, each gain's project, measure and analysis read on their own). It checks
      that both show the same ideas, cycles, drivers (with their icons), story, gains, notes and decisions.
Goals (issue 16): the cascade page under 500 ms, the board page under 100 ms. Ratios are baseline / each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _scratch  # noqa: E402
from _timing import timed  # noqa: E402

NAME = "bench_priorities"
CASCADE_GOAL_S, BOARD_GOAL_S = 0.5, 0.1
ADMIN, MEMBER = "admin@example.com", "team@example.com"


def counted(fn: Callable[[], Any]) -> int:
    """How many SQL queries one call of `fn` makes (counted as they run: Django's query log keeps 9,000)."""
    from django.db import connection

    count = 0

    def count_one(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_one):
        fn()
    return count


# --- the baselines, written naively on purpose ----------------------------------------------------------


def naive_cascade(goal: Any) -> dict[int, tuple[str, list[tuple[int, str, str]]]]:
    """unit id -> (its answer, [(measure id, variation, assurance)]), one query per unit (and per measure):
    each unit beneath the goal's unit is asked for its answer to the goal, then its measures, then each
    measure's series and analysis."""
    from spiral.measurement.models import Series
    from spiral.organisations.models import Unit
    from spiral.priorities.models import Goal, GoalMeasure

    top = goal.top
    out: dict[int, tuple[str, list[tuple[int, str, str]]]] = {}
    for unit in Unit.objects.filter(goal.unit.subtree_q()).order_by("path"):
        mine = (
            Goal.objects.filter(unit=unit, pk=top).first()
            or Goal.objects.filter(unit=unit, root_id=top).first()
        )
        if mine is None:
            continue
        cells = []
        for gm in GoalMeasure.objects.filter(goal=mine).order_by("order", "id"):
            series = (
                Series.objects.filter(measure_id=gm.measure_id, unit=unit).select_related("analysis").first()
            )
            analysis = getattr(series, "analysis", None) if series is not None else None
            measured = analysis is not None and not analysis.stale and bool(analysis.points)
            cells.append((gm.measure_id, analysis.variation_icon if measured else "",
                          analysis.assurance_icon if measured else ""))  # fmt: skip
        out[unit.pk] = (mine.response, cells)
    return out


def fast_cascade(found: Any) -> dict[int, tuple[str, list[tuple[int, str, str]]]]:
    """The same shape read from `queries.cascade`'s tree."""
    return {
        n.goal.unit_id: (
            n.goal.response,
            [(c.goal_measure.measure_id, c.variation, c.assurance) for c in n.cells],
        )
        for n in found.root.walk()
    }


def naive_board(user: Any, unit: Any) -> dict[str, Any]:
    """The board's parts read one row at a time: no select_related, no grouped reads."""
    import datetime as dt

    from django.db.models import F, Q
    from django.utils import timezone

    from spiral.measurement.models import Series
    from spiral.organisations.models import subtree_q
    from spiral.priorities import queries
    from spiral.priorities.models import (
        CARRIED,
        Decision,
        Goal,
        GoalMeasure,
        Idea,
        IdeaScore,
        IdeaStatus,
        MeasureRole,
        RoundNote,
    )
    from spiral.projects.models import PdsaCycle

    day = timezone.localdate()
    start, end = queries._this_week(day)
    weights = queries.weights_for(user, unit)
    ideas = []
    for idea in Idea.objects.filter(unit=unit):
        scores = list(IdeaScore.objects.filter(idea=idea))
        _ = idea.goal, idea.created_by  # each read on its own
        ideas.append(queries.Scored(idea, queries._means([s for s in scores if not s.is_patient]),
                                    queries._means([s for s in scores if s.is_patient]), weights))  # fmt: skip
    this_week = (
        Q(planned_start__range=(start, end))
        | Q(planned_end__range=(start, end))
        | Q(started_on__lte=end, ended_on__isnull=True, started_on__isnull=False)
        | Q(ended_on__range=(start, end))
    )
    cycles = []
    for cycle in (
        PdsaCycle.objects.filter(subtree_q(unit.path, "project__unit__"))
        .filter(this_week, decision="")
        .order_by("planned_end", "started_on", "id")[: queries.BOARD_ROWS]
    ):
        _ = cycle.project, cycle.change_idea
        cycles.append(cycle.pk)
    drivers = []
    for goal in Goal.objects.filter(unit=unit, response__in=list(CARRIED)).order_by("id"):
        for gm in GoalMeasure.objects.filter(goal=goal, role=MeasureRole.DRIVER).order_by("order", "id"):
            series = Series.objects.filter(unit=unit, measure_id=gm.measure_id).first()
            cell = queries.Cell(gm, series)
            _ = gm.measure, cell.analysis
            drivers.append((goal.pk, gm.measure_id, cell.variation, cell.assurance))
    notes = []
    for note in RoundNote.objects.filter(unit=unit).order_by("-created_at", "-id")[: queries.BOARD_ROWS]:
        _ = note.created_by, note.answered_by
        notes.append(note.pk)
    from spiral.organisations.permissions import visible_to
    from spiral.projects.models import ProjectMeasure, Stage
    from spiral.voice.models import Story, Teller

    story = (  # the stories the person may see, as the board's
        visible_to(user, Story.objects.all())
        .filter(unit_id__in=[*unit.ancestor_ids(), unit.pk], heard_on__isnull=True,
                             teller__in=[Teller.PATIENT, Teller.CARER])
        .order_by("-unit__depth", "created_at", "id")
        .first()
    )  # fmt: skip
    if story is not None:
        _ = story.unit
    gains, seen = [], set()
    for link in ProjectMeasure.objects.filter(
        subtree_q(unit.path, "project__unit__"), project__stage__in=[Stage.SUSTAINING, Stage.SPREADING],
        series__analysis__variation_icon__startswith="improvement", series__analysis__stale=False,
    ).order_by("project__title", "order", "id")[: queries.BOARD_ROWS * 2]:  # fmt: skip
        if link.project_id not in seen:
            seen.add(link.project_id)
            _ = link.project, link.series.measure, link.series.analysis
            gains.append(link.project_id)
    decisions = []
    for decision in (
        Decision.objects.filter(subtree_q(unit.path, "unit__"))
        .filter(Q(review_on__lte=day) | Q(decided_on__gte=day - dt.timedelta(days=30)))
        .order_by(F("review_on").asc(nulls_last=True), "-decided_on", "-id")[: queries.BOARD_ROWS]
    ):
        _ = decision.unit
        decisions.append(decision.pk)
    order = {status: n for n, status in enumerate(IdeaStatus.values)}
    ideas.sort(key=lambda s: (order[s.idea.status], -(s.priority or -1), s.idea.pk))
    shown = [[s.idea.pk for s in ideas if s.idea.status == status][: queries.BOARD_IDEAS] for status in order]
    return {"ideas": shown, "cycles": cycles, "story": story.pk if story else None,
            "gains": gains[: queries.BOARD_ROWS], "drivers": drivers, "notes": notes,
            "decisions": decisions}  # fmt: skip


def fast_board(b: Any) -> dict[str, Any]:
    return {
        "ideas": [[s.idea.pk for s in found] for found in b.ideas.values()],
        "cycles": [c.pk for c in b.cycles],
        "drivers": [(g.pk, c.goal_measure.measure_id, c.variation, c.assurance) for g, c in b.drivers],
        "story": b.story.pk if b.story else None,
        "gains": [g.project.pk for g in b.gains],
        "notes": [n.pk for n in b.notes],
        "decisions": [d.pk for d in b.decisions],
    }


# --- the worker -------------------------------------------------------------------------------------------


def worker(size: str, repeat: int) -> dict[str, Any]:
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
    from django.db.models import Count
    from django.test import Client

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", interactive=False, verbosity=0)
    from spiral.demo.builder import build_demo
    from spiral.organisations.models import Membership, Unit, UnitKind, User
    from spiral.priorities import queries
    from spiral.priorities.models import Goal, Response

    out: dict[str, Any] = {"database": connection.vendor, "size": size}
    if Unit.objects.exists():
        out["build_s"] = None  # reused
    else:
        started = time.perf_counter()
        build_demo(size=size, seed=1)
        out["build_s"] = time.perf_counter() - started

    # (a) the cascade of the goal set highest in the tree with the largest cascade
    admin = User.objects.get(email=ADMIN)
    sizes = dict(
        Goal.objects.filter(root__isnull=False).values_list("root_id").annotate(n=Count("id")).order_by()
    )
    top = min(
        Goal.objects.filter(response=Response.SET).select_related("unit"),
        key=lambda g: (g.unit.depth, -sizes.get(g.pk, 0), g.pk),
    )
    out["goal"] = f"{top.title} ({top.unit.name}, a {top.unit.get_kind_display().lower()})"
    out["units"] = Unit.objects.count()
    out["units_beneath"] = Unit.objects.filter(top.unit.subtree_q()).count()
    listed = queries.CASCADE_SHOWN
    out["cascade_query_s"], page_read = timed(lambda: queries.cascade(admin, top, listed=listed), repeat)
    out["cascade_units"] = page_read.root.size
    out["cascade_listed"] = len(page_read.root.walk())
    out["cascade_listed_max"] = listed
    out["cascade_shares"] = page_read.shares
    out["cascade_queries"] = counted(lambda: queries.cascade(admin, top, listed=listed))
    out["cascade_whole_s"], found = timed(lambda: queries.cascade(admin, top), max(1, repeat // 2))
    out["cascade_whole_queries"] = counted(lambda: queries.cascade(admin, top))

    def get(client: Any, url: str) -> int:
        caches["pages"].clear()
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {url} answered {response.status_code}")
        return len(response.content)

    client = Client()
    client.force_login(admin)
    cascade_url = f"/priorities/goals/{top.pk}/cascade/"
    out["cascade_page_s"], out["cascade_page_bytes"] = timed(lambda: get(client, cascade_url), repeat)
    out["cascade_page_queries"] = counted(lambda: get(client, cascade_url))
    out["cascade_baseline_s"], naive = timed(lambda: naive_cascade(top), max(1, repeat // 2))
    out["cascade_baseline_queries"] = counted(lambda: naive_cascade(top))
    fast = fast_cascade(found)
    out["cascade_differs"] = {
        "shares of the page's read and the whole tree": int(page_read.shares != found.shares),
        "units only in the query": len(set(fast) - set(naive)),
        "units only in the baseline": len(set(naive) - set(fast)),
        "units whose icons differ": sum(1 for u in set(fast) & set(naive) if fast[u] != naive[u]),
    }

    # (b) the huddle board of the demo sign-ins' team
    member = User.objects.get(email=MEMBER)
    team = (
        Membership.objects.filter(user=member, unit__kind=UnitKind.TEAM).select_related("unit").first().unit
    )
    b = queries.board(member, team)
    out["team"] = team.name
    out["board_contents"] = {
        "ideas": sum(b.counts.values()), "cycles": len(b.cycles), "drivers": len(b.drivers),
        "notes": len(b.notes), "decisions": len(b.decisions),
    }  # fmt: skip
    out["board_query_s"], b = timed(lambda: queries.board(member, team), repeat)
    out["board_queries"] = counted(lambda: queries.board(member, team))
    client = Client()
    client.force_login(member)
    board_url = f"/priorities/units/{team.code}/board/"
    out["board_page_s"], out["board_page_bytes"] = timed(lambda: get(client, board_url), repeat)
    out["board_page_queries"] = counted(lambda: get(client, board_url))
    out["board_baseline_s"], naive_b = timed(lambda: naive_board(member, team), repeat)
    out["board_baseline_queries"] = counted(lambda: naive_board(member, team))
    fast_b = fast_board(b)
    out["board_differs"] = [k for k in fast_b if fast_b[k] != naive_b[k]]
    return out


def run(db: str, args: argparse.Namespace) -> dict[str, Any] | None:
    tmp = (
        args.reuse
        if db == "sqlite" and args.reuse
        else Path(tempfile.mkdtemp(prefix="spiral-bench-priorities-"))
    )
    try:
        env = _scratch.env_for(db, tmp, NAME)
        if env is None:
            return None
        command = [sys.executable, __file__, "--worker", "--size", args.size, "--repeat", str(args.repeat)]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            print(f"{db}: the benchmark failed:\n{proc.stderr[-4000:]}", file=sys.stderr)
            return None
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        result: dict[str, Any] = json.loads(line[len("RESULT ") :])
        return result
    finally:
        if db == "sqlite" and args.reuse:
            pass
        elif db == "sqlite" and args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 0.1 else f"{seconds * 1000:,.0f} ms"


def report(r: dict[str, Any]) -> bool:
    built = "reused" if r["build_s"] is None else f"built in {r['build_s']:.0f} s"
    print(f"\n== {r['database']}, {r['size']} demo ({built}) ==")
    print(f"cascade of {r['goal']}: {r['cascade_units']:,} units answering it, of the {r['units_beneath']:,} "
          f"units beneath its unit ({r['units']:,} in all); shares {r['cascade_shares']}; the page lists "
          f"{r['cascade_listed']:,} of them (at most {r['cascade_listed_max']}), the rest as shares beneath")  # fmt: skip
    base = r["cascade_baseline_s"]
    differs = {k: n for k, n in r["cascade_differs"].items() if n}
    agree = "agree" if not differs else f"DIFFER {differs}"
    print("\n| cascade | time | goal | baseline / this |")
    print("|---|---|---|---|")
    print(f"| page, cold ({r['cascade_page_bytes'] / 1024:,.0f} KiB, {r['cascade_page_queries']} queries) | "
          f"{ms(r['cascade_page_s'])} | < {CASCADE_GOAL_S * 1000:.0f} ms | {base / r['cascade_page_s']:.1f}x |")  # fmt: skip
    print(f"| query alone, as the page reads it (`queries.cascade(..., listed={r['cascade_listed_max']})`, "
          f"{r['cascade_queries']} queries) | {ms(r['cascade_query_s'])} | | {base / r['cascade_query_s']:.1f}x |")  # fmt: skip
    print(f"| query, the whole tree built as nodes (`queries.cascade`, as the API reads it; "
          f"{r['cascade_whole_queries']} queries) | {ms(r['cascade_whole_s'])} | | {base / r['cascade_whole_s']:.1f}x |")  # fmt: skip
    print(f"| baseline: one query per unit ({r['cascade_baseline_queries']:,} queries; units and icons {agree}) | "
          f"{ms(base)} | | 1 |")  # fmt: skip
    ok = r["cascade_page_s"] < CASCADE_GOAL_S and not differs
    base = r["board_baseline_s"]
    agree = "agree" if not r["board_differs"] else f"DIFFER in {r['board_differs']}"
    print(f"\nhuddle board of {r['team']}: {r['board_contents']}")
    print("\n| huddle board | time | goal | baseline / this |")
    print("|---|---|---|---|")
    print(f"| page, cold ({r['board_page_bytes'] / 1024:,.0f} KiB, {r['board_page_queries']} queries) | "
          f"{ms(r['board_page_s'])} | < {BOARD_GOAL_S * 1000:.0f} ms | {base / r['board_page_s']:.1f}x |")  # fmt: skip
    print(f"| query alone (`queries.board`, {r['board_queries']} queries) | {ms(r['board_query_s'])} | | "
          f"{base / r['board_query_s']:.1f}x |")  # fmt: skip
    print(
        f"| baseline: one query per row ({r['board_baseline_queries']} queries; parts {agree}) | {ms(base)} | | 1 |"
    )
    ok = ok and r["board_page_s"] < BOARD_GOAL_S and not r["board_differs"]
    print(f"\ngoals {'met' if ok else 'NOT met'} on {r['database']}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("small", "medium", "national"), default="national")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", type=Path, help="a SQLite data directory with the demo already built")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite data directory")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (DATABASE_URL or a default)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.size, args.repeat)))
        return 0
    databases = ["sqlite"] + (["postgresql"] if args.postgres else [])
    ok = True
    for db in databases:
        print(f"running on {db} ({args.size} demo)...", flush=True)
        result = run(db, args)
        ok = (result is not None and report(result)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
