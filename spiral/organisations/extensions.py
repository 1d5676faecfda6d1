"""Extension points: apps above organisations follow changes to the hierarchy without organisations
importing them (dependencies point one way, DESIGN.md).

Measurement registers here so that moving a unit to another parent re-runs the roll-ups of the indicators
its organisations observe (their old and new ICB, region and nation are added up again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (unit, old parent, new parent) -> None, called by services.move_unit inside its transaction, after the
# paths and the parent have been rewritten.
UnitMoved = Callable[[Any, Any, Any], None]

_unit_moved: list[UnitMoved] = []


def register_unit_moved(function: UnitMoved) -> None:
    """Have `function` called after every move of a unit (once, however often an app starts)."""
    if function not in _unit_moved:
        _unit_moved.append(function)


def unit_moved(unit: Any, old_parent: Any, new_parent: Any) -> None:
    """Tell every registered app that `unit` (and everything beneath it) now sits under `new_parent`."""
    for function in list(_unit_moved):
        function(unit, old_parent, new_parent)
