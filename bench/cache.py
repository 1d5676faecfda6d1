"""Benchmark: pages and funnel plots served cold and from the cache (issues 13 and 14).

    .venv/bin/python bench/cache.py [--size national] [--repeat 5] [--sqlite]

Loads the demo of SIZE (default `national`, the issue's; `spiral demo --size SIZE --no-serve
--no-embeddings`) into a database `bench_cache` on DATABASE_URL's server (default 127.0.0.1:5432;
dropped and created; never the database DATABASE_URL names), or with --sqlite into a temporary SQLite
file, then in one process (Django's test client, DEBUG off, signed in as national@example.com):

1. **ICB measures summary** (`/measures/units/<ICB>/`) and **the national portfolio** (`/projects/`):
   *cold* = the page cache cleared before each request (every query and the rendering run), *cached* =
   the same request again (served from the `pages` cache, per person and data generation). Goals
   (issue 13): cached under 50 ms, cold under 1 s.
2. **The funnel plot's default method after an import** (issue 14): an observations file of the demo's
   first indicator is imported again with one value changed (the ordinary import), then the funnel page
   is opened. *Baseline, computed in the request*: the funnel cache cleared after the import, so the page
   reads the peers and computes the funnel, as before this change; *after the import's own work*: the
   cache as the import left it (it computes its indicators' default funnels once it has finished).
   Goal: under 300 ms.
Each figure is the median of REPEAT requests. Prints the load average.
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

SIGN_IN = "national@example.com"
CACHED_GOAL_MS, COLD_GOAL_MS, FUNNEL_GOAL_MS = 50.0, 1000.0, 300.0


def _ms(client: Any, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"bench: GET {url} answered {response.status_code}")
    return seconds * 1000


def worker(repeat: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    from spiral.benchmarking import queries
    from spiral.measurement import imports
    from spiral.measurement.models import Observation
    from spiral.organisations.models import Unit, User

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    person = User.objects.get(email=SIGN_IN)
    client = Client()
    client.force_login(person)
    icb = Unit.objects.filter(kind="icb").order_by("code").first()
    assert icb is not None
    pages = {"ICB measures summary": f"/measures/units/{icb.code}/", "national portfolio": "/projects/"}
    out: dict[str, Any] = {"database": connection.vendor, "icb": icb.code, "pages": {}}
    for name, url in pages.items():
        _ms(client, url)  # the process's first request (templates compiled) is not what is measured
        cold, cached = [], []
        for _ in range(repeat):
            caches["pages"].clear()
            cold.append(_ms(client, url))
            cached.append(_ms(client, url))
        out["pages"][name] = {"cold_ms": statistics.median(cold), "cached_ms": statistics.median(cached)}

    measure = queries.indicators(person).first()
    assert measure is not None
    url = f"/benchmarking/{measure.code}/"
    rows = list(
        Observation.objects.filter(series__measure=measure).values_list(
            "series__unit__code", "period_start", "numerator", "denominator"
        )
    )
    lines = ["unit_code,measure_code,period,value,numerator,denominator,note"]
    lines += [f"{u},{measure.code},{p:%Y-%m},,{n:g},{d:g}," for u, p, n, d in rows if n is not None and d]
    funnel: dict[str, list[float]] = {"in the request": [], "after the import": []}
    base = lines[1].split(",")
    for k in range(repeat):
        for i, which in enumerate(funnel):
            first = list(base)
            first[4] = str(
                max(0.0, float(base[4]) - 1 - (2 * k + i) % 2)
            )  # a change: a real import each time
            data = ("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n").encode()
            result = imports.import_observations(data, by=None, filename="again.csv")
            assert result.applied and result.changed == 1, result.rejected[:3]
            caches["pages"].clear()
            if which == "in the request":
                caches["default"].clear()  # as before: nothing computed ahead of the first reader
            funnel[which].append(_ms(client, url))
    out["funnel"] = {k: statistics.median(v) for k, v in funnel.items()}
    out["funnel_rows"] = len(lines) - 1
    out["indicator"] = measure.code
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="national")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.repeat)
        return
    work = Path(tempfile.mkdtemp(prefix="spiral-bench-cache-"))
    env = _scratch.env_for("sqlite" if args.sqlite else "postgresql", work, "bench_cache")
    if env is None:
        raise SystemExit("bench/cache.py needs PostgreSQL (or --sqlite)")
    env["PYTHONPATH"] = str(ROOT)
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; loading the {args.size} demo",
        flush=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "spiral", "demo", "--size", args.size, "--no-serve", "--no-embeddings"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", "--repeat", str(args.repeat)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"the benchmark failed:\n{proc.stderr[-4000:]}")
    r = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))[len("RESULT ") :])
    print(f"{args.size} demo on {r['database']}, median of {args.repeat}:")
    for name, p in r["pages"].items():
        ok = p["cached_ms"] < CACHED_GOAL_MS and p["cold_ms"] < COLD_GOAL_MS
        print(
            f"  {name:<22} cold {p['cold_ms']:7.1f} ms   cached {p['cached_ms']:6.1f} ms   "
            f"{'meets' if ok else 'MISSES'} the goals (cached < {CACHED_GOAL_MS:.0f} ms, cold < {COLD_GOAL_MS:.0f} ms)"
        )
    f = r["funnel"]
    print(
        f"  funnel of {r['indicator']} after an import of its {r['funnel_rows']:,} observations: computed in the "
        f"request {f['in the request']:.1f} ms (baseline), after the import's own work {f['after the import']:.1f} ms; "
        f"{'meets' if f['after the import'] < FUNNEL_GOAL_MS else 'MISSES'} the {FUNNEL_GOAL_MS:.0f} ms goal"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
