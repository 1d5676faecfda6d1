"""National comparative data packs (issue 19): for every indicator, every unit's latest value, its Making
Data Count icons, its funnel position against like-for-like peers and its recent values, with metadata.

Nothing is recomputed here: the rows are measurement's "one indicator across every unit" (issue 14:
`measurement.queries.indicator_series`, `IndicatorRows` and `presenters.indicator_export_rows`, the rows of
the indicator page's own export) with the funnel positions benchmarking registers for that page; this adds
the recent values (the analysis' sparkline) and the metadata sheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from spiral.benchmarking import queries as benchmarking_queries
from spiral.benchmarking.funnel import DEFAULT_METHOD
from spiral.core.types import AnyUser
from spiral.measurement import extensions
from spiral.measurement import presenters as measurement_presenters
from spiral.measurement import queries as measurement_queries
from spiral.measurement.models import Measure
from spiral.organisations.models import Unit

HEADER = [*measurement_presenters.INDICATOR_HEADER, "recent_values"]
METHOD = (
    "Each unit's series is analysed on its SPC chart with the Making Data Count rules (variation and "
    "assurance icons). The funnel position places each unit's latest period against its like-for-like "
    "peers (the same kind of unit and organisation type) on a funnel plot with 95% and 99.8% limits, "
    f"overdispersion handled by the '{DEFAULT_METHOD}' method (docs/adr/0011-funnel-default.md). Recent values "
    "are the latest plotted values of the unit's chart, oldest first."
)


@dataclass
class ComparativePack:
    measure: Measure
    unit: Unit
    header: list[str]
    rows: list[list[Any]]
    metadata: list[tuple[str, str]]


def indicators(user: AnyUser) -> QuerySet[Measure]:
    """Every indicator a pack is made for (benchmarking's: shared measures with a numerator and a
    denominator)."""
    return benchmarking_queries.indicators(user)


def comparative_pack(user: AnyUser, measure: Measure, *, unit: Unit | None = None) -> ComparativePack:
    """The pack of one indicator across every unit beneath `unit` (default the top of the hierarchy)."""
    unit = unit or benchmarking_queries.top_unit(user)
    if unit is None:
        raise LookupError("There is no unit to compare beneath")
    qs = measurement_queries.indicator_series(user, measure=measure, unit=unit)
    kinds = {(k, t) for _, k, t in measurement_queries.reporting_units(qs)}
    positions = extensions.indicator_positions(user, measure, kinds)
    rows = measurement_queries.IndicatorRows(qs, positions)
    series = list(rows[: len(rows)])
    cells = measurement_presenters.indicator_export_rows(series)
    for s, row in zip(series, cells, strict=True):
        spark = getattr(getattr(s, "analysis", None), "sparkline", None) or []
        row.append("; ".join("" if v is None else measurement_presenters.number(v, measure) for v in spark))
    latest = max((s.analysis.latest_period for s in series if getattr(s, "analysis", None)
                  and s.analysis.latest_period), default=None)  # fmt: skip
    metadata = [
        ("indicator code", measure.code), ("indicator", measure.name), ("definition", measure.description),
        ("numerator", measure.numerator_definition), ("denominator", measure.denominator_definition),
        ("chart", measure.get_chart_display()), ("better is", measure.get_improvement_display()),
        ("frequency", measure.get_frequency_display()), ("source", f"Defined by {measure.owner.name}; "
         "each unit's observations as recorded or imported in Spiral"),
        ("units", f"{len(series)} units beneath {unit.name} that report it"),
        ("latest period", latest.isoformat() if latest else ""), ("method", METHOD),
        ("made", timezone.now().strftime("%Y-%m-%d %H:%M UTC")),
    ]  # fmt: skip
    return ComparativePack(measure=measure, unit=unit, header=HEADER, rows=cells, metadata=metadata)
