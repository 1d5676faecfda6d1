"""Reporting pages, mounted at /reporting/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.reporting import views

app_name = "reporting"

urlpatterns = [
    path("units/<code:code>/success/", views.success, name="success"),
    path("units/<code:code>/success.<str:fmt>", views.success_export, name="success-export"),
]
urlpatterns += [
    path("units/<code:code>/portfolio/", views.portfolio, name="portfolio"),
    path("units/<code:code>/portfolio.<str:fmt>", views.portfolio_export, name="portfolio-export"),
]
urlpatterns += [
    path("units/<code:code>/impact/", views.impact, name="impact"),
    path("units/<code:code>/impact.<str:fmt>", views.impact_export, name="impact-export"),
]
urlpatterns += [
    path("units/<code:code>/board/", views.board, name="board"),
    path("units/<code:code>/board/preview/", views.board_preview, name="board-preview"),
    path("packs/<int:pk>/", views.pack, name="pack"),
    path("packs/<int:pk>.<str:fmt>", views.pack_download, name="pack-download"),
]
urlpatterns += [
    path("comparative/", views.comparative_index, name="comparative"),
    path("comparative/<code:code>.<str:fmt>", views.comparative_download, name="comparative-download"),
]
