"""Benchmarking pages, mounted at /benchmarking/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.benchmarking import views

app_name = "benchmarking"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<str:code>/", views.unit_compared, name="unit"),
    path("<str:code>/", views.funnel_page, name="funnel"),
    path("<str:code>/export.<str:fmt>", views.funnel_export, name="export"),
]
