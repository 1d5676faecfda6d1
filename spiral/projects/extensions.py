"""Extension points: other apps add to Projects' pages without Projects importing them.

Dependencies point inwards (DESIGN.md): the catalogue (knowledge) builds on projects, so projects cannot
import it. Knowledge registers its "work like this" function here when it starts, and the start-a-project
form shows what it finds before the project is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypedDict

from spiral.core.types import AnyUser

logger = logging.getLogger(__name__)


class SimilarWork(TypedDict):
    """A saved project like the one being written."""

    title: str
    href: str
    where: str  # the unit's name
    stage: str
    nearby: bool  # active in the same organisation or system: talk to them before starting
    reason: str  # why it looks like the same work ("the same outcome measure"); "" when not nearby
    improvement_shown: bool


# (user, unit or None, {"title", "aim", "problem", "aim_measure"}) -> the projects that look alike.
WorkLike = Callable[[Any, Any, dict[str, str]], list[SimilarWork]]

_work_like: WorkLike | None = None


def register_work_like(function: WorkLike) -> None:
    """Let another app say which saved projects look like one being written."""
    global _work_like
    _work_like = function


def work_like(user: AnyUser, unit: Any, draft: dict[str, str]) -> list[SimilarWork]:
    """Saved projects like the draft ([] when nobody registered, or the search fails: the form stands)."""
    if _work_like is None:
        return []
    try:
        return _work_like(user, unit, draft)
    except Exception:
        logger.exception("work_like_failed")
        return []


# (request, project) -> HTML of a panel for the project's overview ("" for none). Sustainability shows the
# gains at risk of a sustaining project's measures, with their charts, and the project's spread.
OverviewPanel = Callable[[Any, Any], str]

_overview_panels: list[OverviewPanel] = []


def register_overview_panel(function: OverviewPanel) -> None:
    """Let another app add a panel to the project's overview (once, however often an app starts)."""
    if function not in _overview_panels:
        _overview_panels.append(function)


def overview_panels(request: Any, project: Any) -> list[str]:
    """The registered panels' HTML for this project; a panel that fails is left out, the page stands."""
    out = []
    for function in _overview_panels:
        try:
            html = function(request, project)
        except Exception:
            logger.exception("overview_panel_failed project_id=%s", getattr(project, "pk", None))
            continue
        if html:
            out.append(html)
    return out
