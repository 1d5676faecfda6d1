"""Feedback pages for staff, mounted at /feedback/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.voice import views

app_name = "voice"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_fft, name="import"),
    path("units/<code:code>/", views.unit_page, name="unit"),
    path("units/<code:code>/review/", views.review, name="review"),
    path("units/<code:code>/untagged/", views.untagged, name="untagged"),
    path("units/<code:code>/stories/", views.board, name="board"),
    path("units/<code:code>/stories/new/", views.story_create, name="story-create"),
    path("units/<code:code>/forms/new/", views.form_create, name="form-create"),
    path("units/<code:code>/export.<str:fmt>", views.unit_export, name="export"),
    path("forms/<int:pk>/", views.form_detail, name="form"),
    path("forms/<int:pk>/edit/", views.form_edit, name="form-edit"),
    path("forms/<int:pk>/poster/", views.form_poster, name="poster"),
    path("forms/<int:pk>/qr.svg", views.form_qr, name="qr"),
    path("answers/<int:pk>/", views.answer_detail, name="answer"),
    path("answers/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
    path("projects/<int:pk>/", views.project_feedback, name="project"),
]
