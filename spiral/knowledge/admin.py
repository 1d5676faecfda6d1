"""Read-only admin: every change goes through the services, which audit it."""

from __future__ import annotations

from django.contrib import admin

from spiral.core.admin import ReadOnlyAdmin
from spiral.knowledge.models import Adoption, Community, FieldTest, FieldTestSite, Resource, Thread


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "unit", "version", "updated_at")
    list_filter = ("kind",)
    search_fields = ("title",)


@admin.register(Community)
class CommunityAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit", "created_at")
    search_fields = ("name",)


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "last_post_at")


@admin.register(FieldTest)
class FieldTestAdmin(ReadOnlyAdmin):
    list_display = ("title", "sponsor", "status", "starts_on", "ends_on")


@admin.register(FieldTestSite)
class FieldTestSiteAdmin(ReadOnlyAdmin):
    list_display = ("field_test", "unit", "project")


@admin.register(Adoption)
class AdoptionAdmin(ReadOnlyAdmin):
    list_display = ("source_project", "unit", "project", "adopted_on")
