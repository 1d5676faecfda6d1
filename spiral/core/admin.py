"""The Django admin is for looking, not changing: every change goes through services, which audit it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from spiral.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_repr")
    list_filter = ("action",)
    search_fields = ("object_repr", "object_id")
