"""Demo: board packs for demo organisations, an ICB and a region (issue 19), so the pack pages list past
packs. Each board gets its settings (a few measures of the unit or beneath, made monthly) saved by the
demo leader who reads it, and a scheduled pack for each of the last few months, made the way the monthly
task makes one (`board.board_pack` as the reader, `tasks.render_pack`, `services.store_board_pack`), but
inline rather than as a queued job. Only the HTML is kept, as for every pack: PDF and Word are made from
it when someone downloads them, so the demo never pays for WeasyPrint.

A demo has no history of its own, so a past month's pack shows today's numbers under that month's name
(the story of the month is still that month's)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from spiral.measurement import queries as measurement_queries
from spiral.organisations.models import Unit, UnitKind, User
from spiral.reporting import board, services, tasks
from spiral.reporting.models import Trigger

MONTHS = 3  # scheduled packs for this month and the two before it
MEASURES = 6  # charts in each pack
OTHER_ORGANISATIONS = 2  # besides the board member's own organisation


def _months(today: dt.date) -> list[dt.date]:
    months = [board.month_start(today)]
    while len(months) < MONTHS:
        months.append(board.month_start(months[-1] - dt.timedelta(days=1)))
    return sorted(months)


def _measures(reader: User, unit: Unit) -> list[int]:
    """A few series for the board to chart: one per measure, the unit's own series before those beneath."""
    chosen: list[int] = []
    seen: set[int] = set()
    series = measurement_queries.series_queryset(reader, unit=unit, include_beneath=True)
    for pk, measure_id, _path in sorted(
        series.values_list("pk", "measure_id", "unit__path"), key=lambda row: (len(row[2]), row[2], row[0])
    ):
        if measure_id not in seen:
            seen.add(measure_id)
            chosen.append(pk)
        if len(chosen) == MEASURES:
            break
    return chosen


def _boards(ctx: Any) -> list[tuple[Unit, User]]:
    """The boards that get packs, each with the demo leader who reads it."""
    users = ctx.extra.get("demo_users", {})
    organisation_reader, region_reader = users.get("board@example.com"), users.get("region@example.com")
    anchors = ctx.anchors
    if not anchors or organisation_reader is None or region_reader is None:
        return []
    region: Unit = anchors["region"]
    others = list(
        Unit.objects.filter(region.subtree_q(), kind=UnitKind.ORGANISATION)
        .exclude(pk=anchors["organisation"].pk)
        .order_by("path")[:OTHER_ORGANISATIONS]
    )
    return [
        (anchors["organisation"], organisation_reader),
        *((org, region_reader) for org in others),
        (anchors["icb"], region_reader),
        (region, region_reader),
    ]


def build(ctx: Any) -> None:
    months = _months(timezone.localdate())
    packs = 0
    for unit, reader in _boards(ctx):
        services.save_board_schedule(unit=unit, series_ids=_measures(reader, unit), monthly=True, by=reader)
        # The numbers are today's whichever month the pack is named for (module docstring): read them once
        # per board; each month gets its own story.
        latest = board.board_pack(reader, unit, month=months[-1])
        for month in months:
            data = latest
            if month != latest.month:
                story = board.story_of_the_month(reader, unit, month) if latest.may_read_feedback else None
                data = dataclasses.replace(latest, month=month, story=story)
            services.store_board_pack(
                unit=unit, month=data.month, trigger=Trigger.SCHEDULE, html=tasks.render_pack(data),
                by=reader, job=None,
            )  # fmt: skip
            packs += 1
    ctx.counts["board packs"] = packs
