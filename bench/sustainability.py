"""Benchmark: the holding-the-gain watch over every sustained series of the national demo (issue 17).

    .venv/bin/python bench/sustainability.py [--size national] [--reuse DIR] [--keep]

1. In a fresh temporary SPIRAL_DATA_DIR (SQLite, migrated), builds the demo (`build_demo(size=...)`, as
   `spiral demo` does; its last step runs the watch once, so every watched measure has its fixed date).
   `--reuse DIR` times against a data directory already built (and `--keep` keeps the one made).
2. Pinned to one core, times in the same run:
   * **full run**: `watch.run(force=True)`, every watched measure judged again (observations read in a few
     grouped queries, each chart type analysed at once by `spc.analyse_many`, verdicts written in bulk);
   * **re-run with no new data**: `watch.run()`, each measure's data stamp compared with the one it was
     last judged on (two grouped queries), nothing analysed;
   * **baseline**: each watched measure analysed one by one (`watch.judge`: its observations and target
     read, then `spc.analyse`), the naive form, verdicts only (nothing written).
   It checks that the full run and the baseline agree on every verdict.
Goals: the full run under 30 s, the re-run under 2 s. Ratios are baseline / each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL_GOAL_S, RERUN_GOAL_S = 30.0, 2.0


def setup_django(data_dir: Path) -> None:
    os.environ["SPIRAL_DATA_DIR"] = str(data_dir)
    os.environ["SPIRAL_DEMO"] = "1"
    os.environ["DEBUG"] = "0"  # no query log
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build(size: str) -> None:
    from spiral.demo.builder import build_demo
    from spiral.organisations.models import Unit

    if Unit.objects.exists():
        print("  reusing the demo already built")
        return
    started = time.perf_counter()
    ctx = build_demo(size=size, seed=1)
    print(f"  {size} demo built in {time.perf_counter() - started:.1f} s: "
          f"watched measures {ctx.counts.get('watched measures')}, gains at risk {ctx.counts.get('gains at risk')}")  # fmt: skip
    print("  steps: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ctx.timings.items()))


def timed(label: str, function):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s")
    return elapsed, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=("small", "medium", "national"), default="national")
    parser.add_argument("--reuse", type=Path, help="a data directory with the demo already built")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal says
    data_dir = args.reuse or Path(tempfile.mkdtemp(prefix="spiral-bench-watch-"))
    try:
        setup_django(data_dir)
        print(f"== holding-the-gain watch, {args.size} demo, SQLite, one core ({data_dir}) ==")
        build(args.size)
        from spiral.measurement.models import Observation
        from spiral.sustainability import watch
        from spiral.sustainability.models import Watch

        links = list(watch.watched_links())
        fixed = dict(Watch.objects.values_list("link_id", "fixed_on"))
        points = Observation.objects.filter(series_id__in={link.series_id for link in links}).count()
        print(f"  watched measures {len(links):,} on {len({link.series_id for link in links}):,} series, "
              f"{points:,} observations")  # fmt: skip
        full, counts = timed(
            "full run, every measure judged (watch.run(force=True))", lambda: watch.run(force=True)
        )
        print(f"    {counts}")
        rerun, again = timed("re-run with no new data (watch.run())", watch.run)
        print(f"    {again}")
        if again["judged"]:
            print("  bench: the re-run judged measures although no data changed")
            return 1

        def one_by_one() -> dict[int, watch.Verdict]:
            return {link.pk: watch.judge(link, fixed[link.pk]) for link in links}

        baseline, naive = timed("baseline, each measure analysed one by one (watch.judge)", one_by_one)
        analysis, _ = timed(
            "the full run's analysis alone (watch.judge_many, nothing written)",
            lambda: watch.judge_many([(link, fixed[link.pk]) for link in links]),
        )
        states = dict(Watch.objects.values_list("link_id", "state"))
        differ = [pk for pk, verdict in naive.items() if verdict.state != states[pk]]
        print(f"  verdicts that differ between the full run and the baseline: {len(differ)}")
        print()
        print("  | | time | goal | baseline / this |")
        print("  |---|---|---|---|")
        print(f"  | full run | {full:.2f} s | < {FULL_GOAL_S:.0f} s | {baseline / full:.1f}x |")
        print(f"  | re-run, no new data | {rerun:.3f} s | < {RERUN_GOAL_S:.0f} s | {baseline / rerun:.1f}x |")
        print(
            f"  | full run's analysis alone (no writes) | {analysis:.2f} s | | {baseline / analysis:.1f}x |"
        )
        print(f"  | baseline, one by one (no writes) | {baseline:.2f} s | | 1 |")
        ok = full < FULL_GOAL_S and rerun < RERUN_GOAL_S and not differ
        print(f"\n  goals {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if not args.reuse and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif not args.reuse:
            print(f"  kept {data_dir}")


if __name__ == "__main__":
    sys.exit(main())
