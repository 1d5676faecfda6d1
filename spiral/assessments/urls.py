"""Assessment pages, mounted at /assessments/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.assessments import views

app_name = "assessments"

urlpatterns = [
    path("projects/<int:pk>/", views.project_assessment, name="project"),
]
