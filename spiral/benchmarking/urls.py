"""Benchmarking pages, mounted at /benchmarking/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.benchmarking import views

app_name = "benchmarking"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<code:code>/", views.unit_compared, name="unit"),
    path("<code:code>/", views.funnel_page, name="funnel"),
    path("<code:code>/export.<str:fmt>", views.funnel_export, name="export"),
]
