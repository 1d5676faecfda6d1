"""Goal pages, mounted at /priorities/ by spiral/urls.py."""

from __future__ import annotations

from django.urls import path

from spiral.priorities import views

app_name = "priorities"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<code:code>/", views.unit_page, name="unit"),
    path("units/<code:code>/goals/new/", views.goal_create, name="goal-create"),
    path("units/<code:code>/decisions/", views.decisions, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("units/<code:code>/ideas/", views.ideas, name="ideas"),
    path("units/<code:code>/ideas/new/", views.idea_create, name="idea-create"),
    path("units/<code:code>/ideas/new/similar/", views.idea_new_similar, name="idea-similar"),
    path("units/<code:code>/ideas/weights/", views.weights, name="weights"),
    path("units/<code:code>/board/", views.board, name="board"),
    path("units/<code:code>/board/rounds/", views.round_note, name="round-note"),
    path("rounds/<int:pk>/answer/", views.round_answer, name="round-answer"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea"),
    path("ideas/<int:pk>/scores/", views.idea_score, name="idea-score"),
    path("ideas/<int:pk>/moves/", views.idea_move, name="idea-move"),
    path("units/<code:code>/decisions/new/", views.decision_create, name="decision-create"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:pk>/measures/", views.goal_measure_role, name="goal-measure-role"),
    path("goals/<int:pk>/respond/", views.respond, name="respond"),
    path("goals/<int:pk>/catchball/", views.catchball, name="catchball"),
    path("goals/<int:pk>/cascade/", views.cascade, name="cascade"),
    path("goals/<int:pk>/breakthroughs/", views.breakthrough, name="breakthrough"),
    path("projects/<int:pk>/goals/", views.project_goals, name="project-goals"),
]
