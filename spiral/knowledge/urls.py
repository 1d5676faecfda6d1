"""Addresses of the knowledge pages, included at the site root (before /projects/, whose pages these
extend: /projects/<id>/similar/, /spread/, /adopt/)."""

from __future__ import annotations

from django.urls import path

from spiral.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("projects/<int:pk>/similar/", views.similar, name="similar"),
    path("projects/<int:pk>/spread/", views.spread, name="spread"),
    path("projects/<int:pk>/adopt/", views.adopt, name="adopt"),
    path("resources/", views.resource_index, name="resources"),
    path("resources/new/", views.resource_new, name="resource-new"),
    path("resources/<int:pk>/", views.resource_detail, name="resource"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("communities/", views.community_index, name="communities"),
    path("communities/new/", views.community_new, name="community-new"),
    path("communities/<int:pk>/", views.community_detail, name="community"),
    path("communities/<int:pk>/join/", views.community_join, name="community-join"),
    path("communities/<int:pk>/leave/", views.community_leave, name="community-leave"),
    path("communities/<int:pk>/threads/new/", views.thread_new, name="thread-new"),
    path("communities/threads/<int:pk>/", views.thread_detail, name="thread"),
    path("field-tests/", views.field_test_index, name="field-tests"),
    path("field-tests/<int:pk>/", views.field_test_detail, name="field-test"),
    path("field-tests/<int:pk>/join/", views.field_test_join, name="field-test-join"),
]
