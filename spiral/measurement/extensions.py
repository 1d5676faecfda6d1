"""Extension points: other apps add to Measurement's pages without Measurement importing them.

Dependencies point inwards (DESIGN.md): benchmarking builds on measurement, so measurement cannot import
benchmarking. Instead benchmarking registers its "compared with peers" function here when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from spiral.core.types import AnyUser

logger = logging.getLogger(__name__)

# (user, unit) -> {series id: {"text": "...", "href": "..."}} for the unit's own indicator series.
PeerComparison = Callable[[Any, Any], dict[int, dict[str, str]]]

_peer_comparison: PeerComparison | None = None


def register_peer_comparison(function: PeerComparison) -> None:
    """Let another app fill the measures page's "compared with peers" column."""
    global _peer_comparison
    _peer_comparison = function


def peer_comparison(user: AnyUser, unit: Any) -> dict[int, dict[str, str]]:
    """The "compared with peers" cell of each of the unit's indicator series ({} when nobody registered)."""
    return _peer_comparison(user, unit) if _peer_comparison is not None else {}


# (user, measure, peer kinds) -> {unit id: position} for an indicator, where `peer kinds` are the (unit
# kind, organisation type) pairs of the units to place, and a position is a dict with "judgement"
# (better, worse, neutral or within), "flag" (above_998 ... below_998), "text", "href" and "period".
IndicatorPositions = Callable[[Any, Any, set[tuple[str, str]]], dict[int, dict[str, Any]]]

_indicator_positions: IndicatorPositions | None = None


def register_indicator_positions(function: IndicatorPositions) -> None:
    """Let another app fill the indicator page's "funnel position" column (benchmarking does)."""
    global _indicator_positions
    _indicator_positions = function


def has_indicator_positions() -> bool:
    """Whether some app places units on a funnel (the column is shown only then)."""
    return _indicator_positions is not None


def indicator_positions(
    user: AnyUser, measure: Any, kinds: set[tuple[str, str]]
) -> dict[int, dict[str, Any]]:
    """Each unit's position on the funnel of `measure` among its like-for-like peers, at the latest
    period, for the peer groups `kinds` ({} when nobody registered or the measure cannot be compared)."""
    if _indicator_positions is None or not kinds:
        return {}
    return _indicator_positions(user, measure, kinds)


# series ids -> None: run once an import's rows are written and their analyses recomputed.
AfterImport = Callable[[list[int]], object]

_after_import: list[AfterImport] = []


def register_after_import(function: AfterImport) -> None:
    """Let another app compute, as part of an import, what the first reader after it would otherwise
    compute (benchmarking's funnel plots of the indicators the import touched)."""
    if function not in _after_import:
        _after_import.append(function)


def after_import(series_ids: list[int]) -> None:
    """Run every registered after-import function; one that fails is logged, the import stands."""
    for function in _after_import:
        try:
            function(series_ids)
        except Exception:  # the rows are written: a cache left cold is no reason to report a failure
            logger.exception("measurement.extensions.after_import: %s failed", function.__qualname__)
