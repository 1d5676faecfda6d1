"""The seam between projects and Measurement: linked measures, their charts, and cycle annotations.

Everything that touches spiral.measurement goes through this module, so the rest of the app does not
depend on how measures are stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spiral.organisations.models import User
    from spiral.projects.models import PdsaCycle


def annotate_cycle_start(cycle: PdsaCycle, *, by: User | None) -> int:
    """Add a "change tested" annotation on the start date of `cycle` to each of the project's charts."""
    return 0


def linked_charts(project: Any) -> list[Any]:
    """The project's measures, charted with their PDSA annotations (none until measures are linked)."""
    return []


def projects_without_recent_outcome_data(project_ids: list[int], *, periods: int) -> set[int]:
    """Projects whose outcome measure has no observation in its last `periods` periods."""
    return set()
