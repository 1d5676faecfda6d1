"""`spiral watch_gains`: the daily holding-the-gain watch over every hand-over (safe to repeat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from spiral.sustainability.tasks import watch_gains


class Command(BaseCommand):
    help = "Enqueue the holding-the-gain watch over every handed-over measure (run it daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = watch_gains.enqueue()
        self.stdout.write(
            f"Watch enqueued ({result.id}); with SPIRAL_TASKS=immediate it has run: {result.return_value if result.is_finished else 'queued'}"
        )
