"""Capability pages, mounted at /capability/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.capability import views

app_name = "capability"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_page, name="import"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("units/<code:code>/", views.unit_page, name="unit"),
    path("units/<code:code>/export.<str:fmt>", views.unit_export, name="export"),
    path("units/<code:code>/record/", views.unit_record, name="record"),
    path("units/<code:code>/headcount/", views.unit_headcount, name="headcount"),
    path("units/<code:code>/leaky-bucket/", views.leaky_bucket, name="bucket"),
    path("units/<code:code>/coaching/", views.coaching, name="coaching"),
    path("units/<code:code>/leaders/", views.leaders, name="leaders"),
    path("units/<code:code>/surveys/", views.surveys, name="surveys"),
    path("units/<code:code>/surveys/answer/", views.survey_answer, name="survey-answer"),
]
