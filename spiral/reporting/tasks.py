"""Reporting's background work: making a board pack (spiral.reporting.board), on demand or monthly."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.urls import reverse

from spiral.core import jobs
from spiral.organisations.models import Unit, User
from spiral.reporting import board, presenters


def render_pack(data: board.BoardPackData) -> str:
    """The pack as one HTML document (the print page; PDF and Word are made from it)."""
    return render_to_string(
        "reporting/board_pack.jinja", {"pack": data, "p": presenters, "stats": presenters.stats}
    )


@jobs.job_task(queue_name="default")
def make_board_pack(
    progress: jobs.Progress, unit_id: int, month: str, trigger: str, reader_id: int | None
) -> jobs.Outcome:
    """Read the pack's numbers as the reader, render it, and keep it. Safe to run again: a job makes one pack."""
    from spiral.reporting import services
    from spiral.reporting.models import BoardPack

    done = BoardPack.objects.filter(job=progress.job).first()
    if done is not None:
        return jobs.Outcome(
            "The pack was already made.", result_url=reverse("reporting:pack", args=[done.pk])
        )
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise jobs.JobFailed("The unit was removed before its pack could be made.")
    reader = User.objects.filter(pk=reader_id, is_active=True).first() if reader_id else None
    if reader is None:
        raise jobs.JobFailed(
            "Nobody can read this pack's numbers: the person who set the schedule has left. Save the board "
            "pack settings again to make the packs as yourself."
        )
    progress.update(stage="reading the numbers")
    data = board.board_pack(reader, unit, month=dt.date.fromisoformat(month))
    progress.update(stage="writing the pack")
    pack = services.store_board_pack(unit=unit, month=data.month, trigger=trigger, html=render_pack(data),
                                     by=reader, job=progress.job)  # fmt: skip
    return jobs.Outcome(
        f"The board pack for {data.month:%B %Y} is ready.",
        result_url=reverse("reporting:pack", args=[pack.pk]),
    )
