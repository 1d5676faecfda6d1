"""`spiral make_board_packs`: queue this month's scheduled board packs (safe to run every day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from spiral.reporting.services import request_due_packs


class Command(BaseCommand):
    help = "Queue this month's board pack of every board that asked for one monthly (run it daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = request_due_packs()
        self.stdout.write(f"{queued} board pack{'s' if queued != 1 else ''} queued for this month.")
