"""Holding-the-gain pages, mounted at /sustainability/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.sustainability import views

app_name = "sustainability"

urlpatterns = [
    path("projects/<int:pk>/handover/", views.handover, name="handover"),
    path("units/<code:code>/", views.unit_owns, name="unit"),
]
