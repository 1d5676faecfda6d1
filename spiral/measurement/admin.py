"""Read-only admin: every change to measures and observations goes through services, which audit it."""

from __future__ import annotations

from django.contrib import admin

from spiral.core.admin import ReadOnlyAdmin
from spiral.measurement.models import Analysis, Annotation, Measure, Observation, ObservationChange, Series


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "owner", "chart", "improvement", "frequency", "is_indicator")
    list_filter = ("chart", "measure_type", "frequency", "is_indicator")
    search_fields = ("code", "name")
    list_select_related = ("owner",)


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ("measure", "unit", "created_at")
    search_fields = ("measure__code", "unit__code")
    list_select_related = ("measure", "unit")


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = ("series", "period_start", "value", "numerator", "denominator", "version")
    list_select_related = ("series__measure", "series__unit")


@admin.register(ObservationChange)
class ObservationChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "by", "series", "period_start", "action", "source")
    list_select_related = ("by", "series__measure", "series__unit")


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    list_display = ("series", "period_start", "kind", "text")
    list_select_related = ("series__measure", "series__unit")


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdmin):
    list_display = ("series", "variation_icon", "assurance_icon", "latest_period", "stale", "computed_at")
    list_filter = ("variation_icon", "assurance_icon", "stale")
    list_select_related = ("series__measure", "series__unit")
