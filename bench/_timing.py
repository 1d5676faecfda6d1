"""Timing for the benchmarks: the median of repeated runs after one warm-up."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds over `repeat` runs after one warm-up, and the last result."""
    result = fn()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def timed_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """As `timed`, in milliseconds."""
    seconds, result = timed(fn, repeat)
    return seconds * 1000, result
