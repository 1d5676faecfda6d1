"""Read-only admin: every change goes through the services, which audit it."""

from __future__ import annotations

from django.contrib import admin

from spiral.core.admin import ReadOnlyAdmin
from spiral.projects.models import (
    DriverNode,
    PdsaCycle,
    ProgressLevel,
    ProgressScale,
    ProgressScore,
    Project,
    TeamMember,
)


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("title", "unit", "status", "stage", "latest_score")
    list_filter = ("status", "stage")
    search_fields = ("title", "aim")


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyAdmin):
    list_display = ("project", "user", "role")
    list_filter = ("role",)


@admin.register(DriverNode)
class DriverNodeAdmin(ReadOnlyAdmin):
    list_display = ("text", "kind", "project")
    list_filter = ("kind",)


@admin.register(PdsaCycle)
class PdsaCycleAdmin(ReadOnlyAdmin):
    list_display = ("project", "change_idea", "number", "started_on", "decision")


@admin.register(ProgressScore)
class ProgressScoreAdmin(ReadOnlyAdmin):
    list_display = ("project", "month", "score", "role")


@admin.register(ProgressScale)
class ProgressScaleAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "is_default")


@admin.register(ProgressLevel)
class ProgressLevelAdmin(ReadOnlyAdmin):
    list_display = ("scale", "score", "label")
