from __future__ import annotations

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "spiral.reporting"
    label = "reporting"
    verbose_name = "Reporting (each person's home, portfolio and board views)"
