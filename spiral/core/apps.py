from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(**kwargs: object) -> None:
    # The database cache (rate limits, lock-outs) needs its table; make `spiral migrate` enough.
    from django.conf import settings
    from django.core.management import call_command

    if any(c["BACKEND"].endswith("DatabaseCache") for c in settings.CACHES.values()):
        call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class CoreConfig(AppConfig):
    name = "spiral.core"
    label = "core"
    verbose_name = "Spiral core"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
        from django.db.backends.signals import connection_created

        from spiral.core import pagecache

        connection_created.connect(pagecache.install)
        from django.urls import register_converter

        from spiral.core.codes import CodeConverter

        register_converter(CodeConverter, "code")
        from django.core import checks

        from spiral.core.codes import check_existing_codes

        checks.register(check_existing_codes, checks.Tags.database)
