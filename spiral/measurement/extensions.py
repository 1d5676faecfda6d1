"""Extension points: other apps add to Measurement's pages without Measurement importing them.

Dependencies point inwards (DESIGN.md): benchmarking builds on measurement, so measurement cannot import
benchmarking. Instead benchmarking registers its "compared with peers" function here when it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spiral.core.types import AnyUser

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
