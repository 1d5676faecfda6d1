from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "spiral.projects"
    label = "projects"
    verbose_name = "Improvement projects"
    default_auto_field = "django.db.models.BigAutoField"
