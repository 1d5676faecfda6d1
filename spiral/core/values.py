"""Missing values: the one set of markers that mean "no value for this period" in a cell.

Analysts' files mark a suppressed or unavailable figure in many ways (`*` and `**` for small numbers,
`..` and `x` in ONS tables, `c` for confidential, `-`, `N/A`, Excel's `#N/A`); each is a missing period,
never zero and never an error. Observation imports, the pages and the API (spiral.measurement.values) and
`spiral spc` all ask `is_missing`, so a file means the same wherever it is read.
"""

from __future__ import annotations

import math
from typing import Any

MISSING_MARKERS = frozenset(
    {"", "*", "**", "..", ".", "-", "–", "—", "n/a", "na", "#n/a", "null", "none", "x", "c"}
)


def is_missing(cell: Any) -> bool:
    """Whether a cell holds no value: None, NaN, blank text or one of MISSING_MARKERS (any case)."""
    if cell is None:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    return isinstance(cell, str) and cell.strip().casefold() in MISSING_MARKERS
