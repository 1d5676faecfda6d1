from __future__ import annotations

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "spiral.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge and sharing"
    default_auto_field = "django.db.models.BigAutoField"
