"""Sustainability's background work: the holding-the-gain watch (spiral.sustainability.watch)."""

from __future__ import annotations

from django_tasks import task

from spiral.sustainability import watch


@task(queue_name="analyses")
def watch_gains(handover_ids: list[int] | None = None) -> dict[str, int]:
    """Run the watch over every hand-over (or those given): one alert per episode, safe to repeat."""
    return watch.run(handover_ids)
