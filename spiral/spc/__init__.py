"""Spiral's statistics core: SPC charts with Making Data Count rules and icons.

Pure Python and numpy; imports nothing else from Spiral. Definitions: docs/reference/spc.md
(NHSRplotthedots 0.2.2 for XmR, rules and icons; qicharts2 for attribute and run charts). The
conventions chosen where the peers disagree are in its §9 and §10; docs/spc.md says how to call it.

    >>> from spiral.spc import analyse
    >>> a = analyse([20, 24, 21, 23, 22, 26, 21, 23, 30, 22], improvement="increase", target=35)
    >>> a.variation_icon, a.assurance_icon
    ('common_cause', 'fail')

Public API: `analyse` (one series), `analyse_many` (many series, vectorised), `diagnose` and
`diagnose_many` (warnings that a chart may mislead), `ChartWarning`, `render_svg`,
`Analysis`, `BatchAnalysis`, `RunsAnalysis`, `SPCError` (every input error; a ValueError),
`SPCWarning`, `suggest_rebase` (where a shift follows an annotated change), and the constants below.
"""

from __future__ import annotations

from ._analysis import Analysis, BatchAnalysis, RunsAnalysis
from ._api import analyse, analyse_many
from ._constants import (
    ASSURANCE_ICONS,
    CHARTS,
    IMPROVEMENTS,
    LIMIT,
    LIMIT_ONE_SIGMA,
    LIMIT_TWO_SIGMA,
    MR_SCREEN,
    POINT_TYPES,
    RULES,
    SHIFT_LENGTH,
    TREND_LENGTH,
    VARIATION_ICONS,
)
from ._diagnose import ChartWarning, diagnose, diagnose_many
from ._suggest import suggest_rebase
from ._validate import SPCError, SPCWarning
from .svg import render_svg

__all__ = [
    "ASSURANCE_ICONS",
    "CHARTS",
    "IMPROVEMENTS",
    "LIMIT",
    "LIMIT_ONE_SIGMA",
    "LIMIT_TWO_SIGMA",
    "MR_SCREEN",
    "POINT_TYPES",
    "RULES",
    "SHIFT_LENGTH",
    "TREND_LENGTH",
    "VARIATION_ICONS",
    "Analysis",
    "BatchAnalysis",
    "ChartWarning",
    "RunsAnalysis",
    "SPCError",
    "SPCWarning",
    "analyse",
    "analyse_many",
    "diagnose",
    "diagnose_many",
    "render_svg",
    "suggest_rebase",
]
