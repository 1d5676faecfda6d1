"""The public feedback form, mounted at /f/ (open without signing in: core.middleware.OPEN_PREFIXES)."""

from __future__ import annotations

from django.urls import path

from spiral.voice import views

app_name = "public_feedback"

urlpatterns = [path("<slug:slug>/", views.answer, name="answer")]
