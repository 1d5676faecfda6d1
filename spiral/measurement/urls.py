"""Measurement pages, mounted at /measures/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.measurement import views

app_name = "measurement"

urlpatterns = [
    path("", views.measure_index, name="index"),
    path("new/", views.measure_create, name="measure-create"),
    path("import/", views.import_data, name="import"),
    path("<int:pk>/", views.measure_detail, name="measure"),
    path("<int:pk>/edit/", views.measure_edit, name="measure-edit"),
    path("<int:pk>/units/<code:code>/", views.series_for_unit, name="series-for-unit"),
    path("<int:pk>/units/<code:code>/across/", views.indicator_across, name="indicator-across"),
    path(
        "<int:pk>/units/<code:code>/across/export.<str:fmt>",
        views.indicator_across_export,
        name="indicator-across-export",
    ),
    path("series/<int:pk>/", views.series_detail, name="series"),
    path("series/<int:pk>/export.<str:fmt>", views.series_export, name="series-export"),
    path(
        "series/<int:pk>/observations/<int:obs_id>/delete/",
        views.observation_delete,
        name="observation-delete",
    ),
    path("series/<int:pk>/chart/", views.series_chart, name="series-chart"),
    path("series/<int:pk>/rebase/", views.series_rebase, name="series-rebase"),
    path("series/<int:pk>/annotations/", views.annotation_add, name="annotation-add"),
    path(
        "series/<int:pk>/annotations/<int:annotation_id>/delete/",
        views.annotation_delete,
        name="annotation-delete",
    ),
    path("units/<code:code>/", views.unit_measures, name="unit"),
    path("units/<code:code>/export.<str:fmt>", views.unit_measures_export, name="unit-export"),
]
