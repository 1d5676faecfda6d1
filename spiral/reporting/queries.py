"""Each person's home page, by the roles they hold (issue 15): reporting reads every app below it
(DESIGN.md: reporting may read everything), through their queries, so that every list is filtered by the
permission module as it is on the app's own page.

Which sections a person sees follows from their roles (ROLE_SECTIONS); what each section shows is read
only where `can` allows it. Each section is a few grouped queries and lists a handful of rows with a link to
the full page, so that the whole home page stays within the query budget (tests/test_query_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from spiral.measurement import queries as measurement_queries
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Membership, Role, Unit, UnitKind, User
from spiral.organisations.permissions import Permission, can, may_import_data
from spiral.projects import queries as project_queries
from spiral.projects.models import Stage
from spiral.sustainability import queries as sustainability_queries
from spiral.voice import queries as voice_queries

# The sections of the home page, in the order they are shown, and the roles that bring each one.
# A person with several roles sees the sections of each (once each).
TEAM, PARTNER, COACH, BOARD, COMPARISON, ANALYST = (
    "team", "partner", "coach", "board", "comparison", "analyst",
)  # fmt: skip
ROLE_SECTIONS: dict[str, tuple[str, ...]] = {
    Role.MEMBER: (TEAM,),
    Role.PATIENT_PARTNER: (PARTNER,),
    Role.COACH: (COACH,),
    # An improvement lead coaches and reports to the board; a leader is the board (or, held on an ICB,
    # region or nation, a regional or national lead: the comparison of the units beneath).
    Role.IMPROVEMENT_LEAD: (COACH, BOARD),
    Role.LEADER: (BOARD,),
    Role.ANALYST: (ANALYST,),
    Role.ADMIN: (BOARD, ANALYST),
}
SECTION_ORDER = (TEAM, PARTNER, COACH, BOARD, COMPARISON, ANALYST)
# Units above an organisation: a board role held there looks across the units beneath instead.
ABOVE_ORGANISATIONS = {UnitKind.NATION, UnitKind.REGION, UnitKind.ICB}
ROWS = 5  # rows of each list on the home page; each list links to its full page
CONCERN = ("concern_high", "concern_low")


@dataclass
class Home:
    memberships: list[Membership]
    sections: list[str]
    units: dict[str, list[Unit]]  # section -> the units it is about (highest first)
    data: dict[str, Any] = field(default_factory=dict)


def home_sections(memberships: list[Membership]) -> tuple[list[str], dict[str, list[Unit]]]:
    """The home page's sections for these roles (in SECTION_ORDER) and, for each, the units it covers."""
    units: dict[str, list[Unit]] = {}
    for m in sorted(memberships, key=lambda m: (m.unit.depth, m.unit.name)):
        for section in ROLE_SECTIONS.get(m.role, ()):
            if section == BOARD and m.unit.kind in ABOVE_ORGANISATIONS:
                section = COMPARISON
            held = units.setdefault(section, [])
            if m.unit not in held:
                held.append(m.unit)
    return [s for s in SECTION_ORDER if s in units], units


def home(user: User) -> Home:
    """Everything the person's home page shows, section by section (see the module's docstring)."""
    memberships = list(org_queries.memberships_of_person(user, user).select_related("unit"))
    sections, units = home_sections(memberships)
    page = Home(memberships=memberships, sections=sections, units=units)
    if TEAM in units or PARTNER in units:
        page.data["projects"] = list(project_queries.my_projects(user)[: ROWS * 2])
    if TEAM in units:
        page.data[TEAM] = _team(user, units[TEAM])
    if PARTNER in units:
        page.data[PARTNER] = _partner(user, page.data["projects"], units[PARTNER])
    if COACH in units:
        page.data[COACH] = project_queries.coached_projects(user)
        # An improvement lead who coaches no project has no signals to watch: the section is left out.
        if not page.data[COACH] and not any(m.role == Role.COACH for m in memberships):
            page.sections.remove(COACH)
    if BOARD in units:
        page.data[BOARD] = _board(user, units[BOARD][0])
    if COMPARISON in units:
        page.data[COMPARISON] = _comparison(user, units[COMPARISON][0])
    if ANALYST in units:
        page.data[ANALYST] = _analyst(user, units[ANALYST][0])
    return page


def _team(user: User, teams: list[Unit]) -> dict[str, Any]:
    """Cycles due, scores to update, and the team's measures with their icons (those of the first team)."""
    team = teams[0]
    series = measurement_queries.series_queryset(user, unit=team)
    return {
        "unit": team,
        "cycles_due": list(project_queries.cycles_due(user)[:ROWS]),
        "unscored": list(project_queries.scores_not_updated(user)[:ROWS]),
        "series": list(series[: ROWS * 2]),
    }


def _partner(user: User, projects: list[Any], held: list[Unit]) -> dict[str, Any]:
    """For each of the partner's projects (or, with none, the units where they are a partner), the open
    patient feedback form nearest above its unit, where they can give feedback like anyone else."""
    units = list({p.unit_id: p.unit for p in projects}.values()) or held
    forms = voice_queries.nearest_patient_forms(user, units)
    return {
        "places": [(u, forms.get(u.pk)) for u in units],
        "may_read": {u.pk for u in units if can(user, Permission.VIEW_FEEDBACK, u)},
    }


def _board(user: User, unit: Unit) -> dict[str, Any]:
    """The organisation's summary matrix, its gains at risk (the holding-the-gain watch), its stories, its
    portfolio by stage, and its concerning signals."""
    everything = measurement_queries.series_queryset(user, unit=unit, include_beneath=True)
    counts = measurement_queries.icon_counts(everything)
    stages = dict(
        project_queries.projects(user, within=unit)
        .exclude(status="closed")
        .order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
    )
    may_read_feedback = can(user, Permission.VIEW_FEEDBACK, unit)
    stories = (
        list(voice_queries.stories(user, unit=unit).filter(heard_on__isnull=True)[:3])
        if may_read_feedback
        else []
    )
    concerning = list(everything.filter(analysis__stale=False, analysis__variation_icon__in=CONCERN)[:ROWS])
    at_risk = sustainability_queries.at_risk(user, unit)
    gains_at_risk = list(at_risk[:ROWS])
    return {
        "unit": unit,
        "counts": counts,
        "stages": [(value, label, stages.get(value, 0)) for value, label in Stage.choices],
        "projects": sum(stages.values()),
        "may_read_feedback": may_read_feedback,
        "stories": stories,
        "concerning": concerning,
        "gains_at_risk": gains_at_risk,
        "gains_at_risk_total": len(gains_at_risk) if len(gains_at_risk) < ROWS else at_risk.count(),
        "concerning_total": sum(n for (v, _a), n in counts.items() if v in CONCERN),
    }


def _comparison(user: User, unit: Unit) -> dict[str, Any]:
    """The units beneath a regional or national lead's unit, side by side: improving and concerning series
    beneath each, and the open projects in each (two grouped queries beside the children's own)."""
    children = [c.unit for c in org_queries.children_with_counts(user, unit)]
    by_child = measurement_queries.icon_counts_by_branch(user, unit)
    return {
        "unit": unit,
        "rows": [
            {
                "unit": child,
                "improving": by_child.get(child.path, {}).get("improvement", 0),
                "concerning": by_child.get(child.path, {}).get("concern", 0),
                "series": sum(by_child.get(child.path, {}).values()),
            }
            for child in children
        ],
    }


def _analyst(user: User, unit: Unit) -> dict[str, Any]:
    """The measures owned where the analyst works and whether they may import (data is open to read)."""
    return {
        "unit": unit,
        "measures": list(measurement_queries.measures(user, owner=unit)[:ROWS]),
        "may_import": may_import_data(user),
        "jobs": org_queries.jobs_started_by(user),
        "may_define": can(user, Permission.CHANGE_MEASURE, unit),
    }
