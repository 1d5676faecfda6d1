"""Addresses under /projects/."""

from __future__ import annotations

from django.urls import path

from spiral.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_index, name="index"),
    path("mine/", views.project_mine, name="mine"),
    path("coaching/", views.project_coaching, name="coaching"),
    path("new/", views.project_new, name="new"),
    path("new/similar/", views.project_new_similar, name="new-similar"),
    path("unit/<code:code>/", views.unit_projects, name="unit"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/close/", views.project_close, name="close"),
    path("<int:pk>/team/", views.project_team, name="team"),
    path("<int:pk>/team/<int:member_id>/remove/", views.team_remove, name="team-remove"),
    path("<int:pk>/diagram/", views.diagram, name="diagram"),
    path("<int:pk>/diagram/<int:node_id>/", views.node_edit, name="node-edit"),
    path("<int:pk>/diagram/<int:node_id>/<str:direction>/", views.node_shift, name="node-shift"),
    path("<int:pk>/diagram/<int:node_id>/delete", views.node_delete, name="node-delete"),
    path("<int:pk>/ideas/new/", views.idea_new, name="idea-new"),
    path("<int:pk>/ideas/<int:idea_id>/", views.idea_detail, name="idea"),
    path("<int:pk>/cycles/new/", views.cycle_new, name="cycle-new"),
    path("<int:pk>/cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path("<int:pk>/cycles/<int:cycle_id>/record/", views.cycle_record, name="cycle-record"),
    path("<int:pk>/measures/", views.project_measures, name="measures"),
    path("<int:pk>/measures/<int:link_id>/remove/", views.measure_unlink, name="measure-unlink"),
    path("<int:pk>/measures/<int:link_id>/aim/", views.measure_aim, name="measure-aim"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/journal/", views.journal, name="journal"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
