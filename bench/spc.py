"""Benchmark of spiral.spc: the whole country's measures in one call.

    python bench/spc.py [--series 100000] [--points 36] [--sample 2000] [--peer-sample 200]

Builds `--series` series of `--points` monthly points with a fixed seed (noise, shifts, trends,
spikes, about 1% missing values, mixed improvement directions, a target for every series) and
times, in the same run:

  * `analyse_many` over the whole table: XmR, all four rules, both icons, targets;
  * a loop of `analyse` over a sample of series, extrapolated to all of them;
  * the fastest SPC package from PyPI that applies the MDC rules, `abspc` (optional: skipped with
    a message if it is not installed), over a sample of series, extrapolated likewise.

It prints points per second, the ratios, and the peak memory of `analyse_many` (tracemalloc, in a
separate run so tracing does not slow the timed ones) and of the process (getrusage maxrss).
The goal (issue 8): 3.6 million points in under 2 s on one core, >= 50x the peer, peak < 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spiral.spc import analyse, analyse_many

SEED = 20251123


def build(series: int, points: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """A long table: ids (n,), values (n,), and per-series improvement and target (S,)."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(20, 500, series)[:, None]
    spread = level * rng.uniform(0.02, 0.15, series)[:, None]
    values = level + spread * rng.standard_normal((series, points))
    kind = rng.integers(0, 4, series)
    t = np.arange(points)
    values[kind == 1] += (t >= points // 2) * 2.5 * spread[kind == 1]  # a sustained shift
    values[kind == 2] += t * 0.3 * spread[kind == 2]  # a drift
    spikes = rng.random((series, points)) < 0.01
    values[spikes] += 6 * np.broadcast_to(spread, values.shape)[spikes]
    values = np.round(values, 1)
    values[rng.random((series, points)) < 0.01] = np.nan  # missing months
    improvement = np.where(rng.random(series) < 0.5, "increase", "decrease")
    target = level[:, 0] * rng.uniform(0.8, 1.2, series)
    return {
        "ids": np.repeat(np.arange(series), points),
        "values": values.ravel(),
        "improvement": improvement,
        "target": target,
        "points": np.full(series, points),
    }


def run_batch(data: dict[str, np.ndarray]):
    return analyse_many(data["ids"], data["values"], improvement=data["improvement"], target=data["target"])


def run_loop(data: dict[str, np.ndarray], sample: int, points: int) -> float:
    values = data["values"].reshape(-1, points)
    start = time.perf_counter()
    for i in range(sample):
        analyse(values[i], improvement=str(data["improvement"][i]), target=float(data["target"][i]))
    return time.perf_counter() - start


def run_abspc(data: dict[str, np.ndarray], sample: int, points: int) -> float | None:
    try:
        import pandas as pd
        from abspc import (
            calculate_control_limits,
            detect_special_causes,
            determine_assurance_type,
            determine_variation_type,
        )
    except ImportError:
        return None
    values = data["values"].reshape(-1, points)
    frames = [pd.DataFrame({"value": values[i]}) for i in range(sample)]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, frame in enumerate(frames):
            direction = "high" if data["improvement"][i] == "increase" else "low"
            limits = calculate_control_limits(frame, "XmR")
            signals = detect_special_causes(limits)
            determine_variation_type(signals, improvement_direction=direction)
            determine_assurance_type(limits, float(data["target"][i]), improvement_direction=direction)
    return time.perf_counter() - start


def check_equal(data: dict[str, np.ndarray], batch, points: int, count: int = 200) -> None:
    values = data["values"].reshape(-1, points)
    for i in np.random.default_rng(1).choice(len(values), count, replace=False):
        single = analyse(values[i], improvement=str(data["improvement"][i]), target=float(data["target"][i]))
        assert batch.series(i).to_dict() == single.to_dict(), f"series {i} differs"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=36)
    parser.add_argument("--sample", type=int, default=2_000, help="series timed with the analyse loop")
    parser.add_argument("--peer-sample", type=int, default=200, help="series timed with abspc")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = build(args.series, args.points)
    n = args.series * args.points
    print(f"spiral.spc benchmark: {args.series:,} series x {args.points} points = {n:,} points (seed {SEED})")
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"{os.cpu_count()} cpu(s) visible, one core used"
    )

    start = time.perf_counter()
    batch = run_batch(data)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        batch = run_batch(data)
        warm.append(time.perf_counter() - start)
    best = min(warm)
    print("\nanalyse_many (XmR, 4 rules, both icons, targets)")
    print(f"  first call  {cold:8.3f} s   {n / cold / 1e6:8.2f} M points/s")
    print(
        f"  best of {args.repeat}   {best:8.3f} s   {n / best / 1e6:8.2f} M points/s   "
        f"({best / n * 1e6:.3f} µs a point)"
    )
    flagged = int((batch.flag_bits > 0).sum())
    names, counts = np.unique(batch.variation_icon.astype(str), return_counts=True)
    icons = {str(k): int(v) for k, v in zip(names, counts, strict=True)}
    print(f"  {flagged:,} points flagged; variation icons {icons}")

    check_equal(data, batch, args.points)
    print("  200 random series checked equal to analyse()")

    sample = min(args.sample, args.series)
    loop = run_loop(data, sample, args.points)
    loop_all = loop / sample * args.series
    print(
        f"\nloop of analyse(): {sample:,} series in {loop:.3f} s, "
        f"extrapolated to {args.series:,}: {loop_all:.1f} s"
    )
    print(f"  {n / loop_all / 1e6:8.3f} M points/s; analyse_many is {loop_all / best:,.0f}x faster")

    peer_sample = min(args.peer_sample, args.series)
    peer = run_abspc(data, peer_sample, args.points)
    if peer is None:
        print("\nabspc: not installed (pip install abspc) - peer comparison skipped")
    else:
        import abspc

        peer_all = peer / peer_sample * args.series
        version = getattr(abspc, "__version__", None) or _dist_version("abspc")
        print(
            f"\nabspc {version} (pandas; XmR limits, its 4 rules, variation and assurance): "
            f"{peer_sample:,} series "
            f"in {peer:.3f} s, extrapolated to {args.series:,}: {peer_all:,.0f} s"
        )
        print(f"  {n / peer_all / 1e6:8.4f} M points/s; analyse_many is {peer_all / best:,.0f}x faster")

    tracemalloc.start()
    run_batch(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    input_bytes = sum(a.nbytes for a in data.values())
    print(f"\npeak memory of one analyse_many call (tracemalloc): {peak / 2**20:,.0f} MiB")
    print(
        f"  input table: {input_bytes / 2**20:,.0f} MiB; "
        f"process max RSS (all of the above): {maxrss / 2**20:,.0f} MiB"
    )

    goal_time = best < 2.0
    goal_memory = peak < 2**30
    print(
        f"\ngoal: under 2 s {'met' if goal_time else 'NOT met'}; "
        f"under 1 GiB {'met' if goal_memory else 'NOT met'}"
    )
    if peer is not None:
        ratio = peer / peer_sample * args.series / best
        print(f"goal: 50x faster than abspc {'met' if ratio >= 50 else 'NOT met'} ({ratio:,.0f}x)")
    return 0


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    raise SystemExit(main())
