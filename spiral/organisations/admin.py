"""The Django admin is for looking, not changing: every change goes through services, which audit it."""

from __future__ import annotations

from django.contrib import admin

from spiral.core.admin import ReadOnlyAdmin
from spiral.organisations.models import ApiToken, Membership, Unit, User


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "organisation_type", "parent")
    list_filter = ("kind", "organisation_type")
    search_fields = ("code", "name")
    list_select_related = ("parent",)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "display_name", "job_title", "is_active", "is_superuser")
    search_fields = ("email", "display_name")
    exclude = ("password",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "unit", "role")
    list_filter = ("role",)
    list_select_related = ("user", "unit")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)
