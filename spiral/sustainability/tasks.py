"""Sustainability's background work: the holding-the-gain watch (spiral.sustainability.watch)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models, transaction
from django_tasks import task

from spiral.sustainability import watch


@task(queue_name="analyses")
def watch_gains(handover_ids: list[int] | None = None) -> dict[str, int]:
    """Run the watch over every hand-over (or those given): one alert per episode, safe to repeat."""
    return watch.run(handover_ids)


def series_changed(objects: Sequence[models.Model]) -> None:
    """Audit listener: after a change to watched series (an observation, an import), watch their hand-overs."""
    from spiral.sustainability.models import Handover

    series_ids = {obj.pk for obj in objects}
    ids = sorted(
        Handover.objects.filter(handed_over_on__isnull=False, measures__series_id__in=series_ids)
        .values_list("pk", flat=True)
        .distinct()
    )
    if ids:
        transaction.on_commit(lambda: watch_gains.enqueue(ids))
