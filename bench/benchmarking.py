"""Benchmark: funnel plots, the gap to potential, and screening free text (issue 7).

    .venv/bin/python bench/benchmarking.py [--units 10000] [--answers 20000] [--repeat 7]

1. In a fresh temporary SQLite database (migrated), one region with 42 ICBs and UNITS organisations
   beneath them, each observing a p-chart indicator for one month. Times, end to end through the same
   code the pages use: reading the peers from the database, the funnel (exact limits, φ and τ²), and the
   SVG drawing; then the gap to potential of the region with its roll-up over the 42 ICBs.
   Baseline in the same run: the exact binomial limits computed unit by unit in a Python loop (summing
   each unit's probabilities from 0, on a sample of units, scaled up to UNITS).
2. Screening: ANSWERS realistic free-text answers (about one in eight holding personal details) through
   spiral.core.screening.redact on one core; baseline in the same run: every pattern run on every answer
   (no cheap pre-checks), as a first implementation would.
Goals: the funnel plot and the region's gap roll-up each under 300 ms; at least 2,000 answers a second.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _timing import timed_ms as timed  # noqa: E402

GOAL_MS = 300.0
GOAL_ANSWERS = 2000.0


def setup_django(data_dir: str) -> None:
    os.environ["SPIRAL_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(units: int) -> tuple[Any, Any, Any]:
    import datetime as dt

    import numpy as np

    from spiral.measurement.models import Measure, Observation, Series
    from spiral.organisations.models import Unit, User, path_segment

    rng = np.random.default_rng(7)

    def add(code: str, kind: str, parent: Any, org_type: str = "") -> Unit:
        unit = Unit.objects.create(
            code=code, name=code, kind=kind, parent=parent, organisation_type=org_type, path=""
        )
        unit.path = (parent.path if parent else "") + path_segment(unit.pk)
        unit.depth = parent.depth + 1 if parent else 0
        unit.save(update_fields=["path", "depth"])
        return unit

    nation = add("ENG", "nation", None)
    region = add("Y56", "region", nation)
    icbs = [add(f"Q{i:02d}", "icb", region) for i in range(42)]
    orgs = [Unit(code=f"R{i:05d}", name=f"Trust {i:05d}", kind="organisation", parent=icbs[i % 42], path="",
                 depth=3, organisation_type="acute_trust") for i in range(units)]  # fmt: skip
    Unit.objects.bulk_create(orgs, batch_size=5000)
    orgs = list(Unit.objects.filter(kind="organisation").select_related("parent"))
    for org in orgs:
        org.path = org.parent.path + path_segment(org.pk)
    Unit.objects.bulk_update(orgs, ["path"], batch_size=5000)
    measure = Measure.objects.create(code="IND", name="Indicator", chart="p", improvement="increase",
                                     owner=nation, is_indicator=True, numerator_definition="patients treated")  # fmt: skip
    Series.objects.bulk_create([Series(measure=measure, unit=o) for o in orgs], batch_size=5000)
    sids = list(Series.objects.values_list("pk", flat=True))
    n = rng.integers(50, 5000, len(sids))
    p = np.clip(rng.normal(0.8, 0.04, len(sids)), 0.01, 0.99)
    r = rng.binomial(n, p)
    day = dt.date(2025, 3, 1)
    Observation.objects.bulk_create(
        [Observation(series_id=s, period_start=day, value=float(a / b), numerator=float(a), denominator=float(b))
         for s, a, b in zip(sids, r, n, strict=True)],
        batch_size=5000,
    )  # fmt: skip
    user = User.objects.create_user("bench@example.com", display_name="Bench")
    return measure, region, user


def naive_binomial_limit(n: int, p0: float, p: float) -> float:
    """One unit's exact limit by summing the binomial probabilities from 0 (the obvious loop)."""
    q0 = 1 - p0
    pmf = q0**n
    cdf, previous, r = pmf, 0.0, 0
    while cdf < p and r < n:
        previous = cdf
        pmf *= (n - r) / (r + 1) * p0 / q0
        r += 1
        cdf += pmf
    alpha = (cdf - p) / (cdf - previous) if cdf > previous else 0.0
    return max(0.0, (r - alpha) / n)


def answers_text(count: int) -> list[str]:
    import random

    rng = random.Random(3)
    plain = [
        "The nurses were kind and caring and explained everything clearly to my family",
        "I waited four hours to be seen and nobody told me what was happening",
        "The food was cold and the ward was noisy at night but the staff were lovely",
        "Discharge was well organised and my medicines were ready when I left",
        "More information about the plan would help, the doctor was rushed",
    ]
    personal = [
        "My name is Margaret Holloway and the nurse on the ward was wonderful",
        "Please call me on 07700 900123 about my father's care on the ward",
        "My NHS number is 943 476 5919 and my letter had the wrong date on it",
        "Email me at jo.bloggs@example.com because the wait was far too long",
        "I live at SW1A 1AA and the transport home took hours, DOB 12/03/1950",
    ]
    out = []
    for i in range(count):
        bank = personal if i % 8 == 0 else plain
        out.append(" ".join(rng.choice(bank) for _ in range(rng.randint(1, 3))))
    return out


def naive_redact(text: str) -> list[str]:
    import screening_previous as s  # the regular expressions of the previous screen (bench/)

    kinds = []
    for kind, pattern in (("date_of_birth", s._DOB), ("email", s._EMAIL), ("nhs_number", s._NHS_NUMBER),
                          ("phone", s._PHONE), ("postcode", s._POSTCODE), ("name", s._NAME)):  # fmt: skip
        for m in pattern.finditer(text):
            if kind == "nhs_number" and not s.is_valid_nhs_number("".join(m.groups())):
                continue
            kinds.append(kind)
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spiral-bench-") as data_dir:
        t0 = time.perf_counter()
        setup_django(data_dir)
        measure, region, user = build(args.units)
        print(f"setup: migrated and loaded {args.units:,} organisations in {time.perf_counter() - t0:.1f} s")

        from spiral.benchmarking import presenters, queries
        from spiral.benchmarking.funnel import funnel

        group = queries.PeerGroup(within=region, kind="organisation")

        def funnel_plot(method: str) -> str:
            data = queries.peer_data(user, measure=measure, group=group, period="2025-03")
            result = queries.compute(data, method)
            return presenters.funnel_svg(data, result, title="Funnel", chosen="R00042")

        def gap_rollup() -> Any:
            data = queries.peer_data(user, measure=measure, group=group, period="2025-03")
            _potential, rows = queries.gaps(data, "quartile")
            return queries.gaps_by_child(user, parent=region, rows=rows)

        data = queries.peer_data(user, measure=measure, group=group, period="2025-03")
        n = [pt.denominator for pt in data.points]
        r = [pt.numerator for pt in data.points]
        print(f"\nfunnel plot over {len(n):,} units (read, compute, draw SVG), median of {args.repeat}:")
        for method in ("auto", "none", "phi", "tau2"):
            ms, svg = timed(lambda m=method: funnel_plot(m), args.repeat)
            ok = "ok" if ms < GOAL_MS else "OVER GOAL"
            print(
                f"  method={method:<5} {ms:8.1f} ms  (SVG {len(svg) / 1e6:.1f} MB)  goal < {GOAL_MS:.0f} ms: {ok}"
            )
        compute_ms, _ = timed(lambda: funnel(r, n, method="none"), args.repeat)
        print(f"  of which the exact limits alone: {compute_ms:.1f} ms")
        ms, children = timed(gap_rollup, args.repeat)
        print(f"gap to potential of the region, rolled up over {len(children)} ICBs: {ms:.1f} ms "
              f"(goal < {GOAL_MS:.0f} ms: {'ok' if ms < GOAL_MS else 'OVER GOAL'})")  # fmt: skip

        sample = list(zip(r, n, strict=True))[:500]
        p0 = sum(r) / sum(n)
        start = time.perf_counter()
        for _ri, ni in sample:
            for p in (0.001, 0.025, 0.975, 0.999):
                naive_binomial_limit(int(ni), p0, p)
        per_unit = (time.perf_counter() - start) / len(sample)
        naive_ms = per_unit * len(n) * 1000
        print(
            f"baseline: exact limits unit by unit in a Python loop: {per_unit * 1e3:.2f} ms a unit, "
            f"{naive_ms:,.0f} ms for {len(n):,} units; vectorised is {naive_ms / compute_ms:.0f}× faster"
        )

    from spiral.core.screening import redact

    texts = answers_text(args.answers)
    start = time.perf_counter()
    flagged = sum(1 for t in texts if redact(t)[1])
    elapsed = time.perf_counter() - start
    rate = len(texts) / elapsed
    start = time.perf_counter()
    naive_flagged = sum(1 for t in texts if naive_redact(t))
    naive_rate = len(texts) / (time.perf_counter() - start)
    print(f"\nscreening {len(texts):,} answers (mean {statistics.mean(len(t) for t in texts):.0f} characters, "
          f"{flagged:,} with personal details) on one core:")  # fmt: skip
    print(f"  spiral.core.screening.redact: {rate:,.0f} answers a second "
          f"(goal ≥ {GOAL_ANSWERS:,.0f}: {'ok' if rate >= GOAL_ANSWERS else 'UNDER GOAL'})")  # fmt: skip
    print(f"  baseline, every pattern on every answer: {naive_rate:,.0f} answers a second "
          f"({naive_flagged:,} flagged); ratio {rate / naive_rate:.1f}×")  # fmt: skip
    if not math.isfinite(rate):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
