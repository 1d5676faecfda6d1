"""Extension points: apps above organisations follow changes to the hierarchy without organisations
importing them (dependencies point one way, DESIGN.md).

Measurement registers here so that moving a unit to another parent re-runs the roll-ups of the indicators
its organisations observe (their old and new ICB, region and nation are added up again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

# (the units moved, each with everything beneath it) -> None; called by services.move_unit inside its
# transaction, after the paths and parents have been rewritten, or once at the end of `moves_batched`.
UnitsMoved = Callable[[list[Any]], None]

_units_moved: list[UnitsMoved] = []
_batch = threading.local()


def register_units_moved(function: UnitsMoved) -> None:
    """Have `function` called after units move (once, however often an app starts)."""
    if function not in _units_moved:
        _units_moved.append(function)


def units_moved(units: list[Any]) -> None:
    """Tell every registered app that these units (and everything beneath them) sit somewhere new; inside
    `moves_batched`, only remember them until the batch ends."""
    pending = getattr(_batch, "units", None)
    if pending is not None:
        pending.extend(units)
        return
    if units:
        for function in list(_units_moved):
            function(list(units))


@contextmanager
def moves_batched() -> Iterator[None]:
    """Many moves in one go (a units import): the apps hear of them all once, at the end, not once each.
    Nothing is told if the block fails (its transaction is rolled back)."""
    if getattr(_batch, "units", None) is not None:  # already batching: the outer batch tells
        yield
        return
    _batch.units = []
    try:
        yield
        moved = _batch.units
    finally:
        _batch.units = None
    units_moved(moved)


# (request, unit) -> HTML of a panel for the unit's page ("" for none). Sustainability lists the gains at
# risk of the projects in the unit and beneath it.
UnitPanel = Callable[[Any, Any], str]

_unit_panels: list[UnitPanel] = []


def register_unit_panel(function: UnitPanel) -> None:
    """Let another app add a panel to the unit's page (once, however often an app starts)."""
    if function not in _unit_panels:
        _unit_panels.append(function)


def unit_panels(request: Any, unit: Any) -> list[str]:
    """The registered panels' HTML for this unit; a panel that fails is left out, the page stands."""
    out = []
    for function in _unit_panels:
        try:
            html = function(request, unit)
        except Exception:
            logger.exception("unit_panel_failed unit_id=%s", getattr(unit, "pk", None))
            continue
        if html:
            out.append(html)
    return out
