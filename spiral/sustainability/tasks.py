"""Sustainability's background work: the holding-the-gain watch (spiral.sustainability.watch)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models, transaction
from django_tasks import task

from spiral.sustainability import watch


@task(queue_name="analyses")
def watch_gains(link_ids: list[int] | None = None, force: bool = False) -> dict[str, int]:
    """Run the watch over every watched measure (or the measure links given): one alert per episode, safe
    to repeat; measures with no new data since their last verdict are skipped unless `force`."""
    return watch.run(link_ids, force=force)


def series_changed(objects: Sequence[models.Model]) -> None:
    """Audit listener: after a change to series (an observation, an import), watch the measures on them."""
    series_ids = {obj.pk for obj in objects}
    ids = sorted(watch.watched_links().filter(series_id__in=series_ids).values_list("pk", flat=True))
    if ids:
        transaction.on_commit(lambda: watch_gains.enqueue(ids))
