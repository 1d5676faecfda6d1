from __future__ import annotations

from django.apps import AppConfig


class PrioritiesConfig(AppConfig):
    name = "spiral.priorities"
    label = "priorities"
    verbose_name = "Priorities: True North goals and their cascade"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spiral.knowledge import sources
        from spiral.organisations.permissions import register_visibility
        from spiral.priorities.models import (
            Breakthrough,
            CatchballMessage,
            Decision,
            Goal,
            GoalMeasure,
            Idea,
            IdeaMove,
            IdeaScore,
            IdeaWeights,
            RoundNote,
            ServedGoal,
        )
        from spiral.priorities.queries import DECISION_SOURCE

        # Who sees what (docs/permissions.md, "Priorities"): goals, their measures and the catchball
        # conversations are open to every signed-in person, so that a team sees how its work connects to
        # the goal and a board sees which parts of its system are moving. Changing them needs `set_goals`;
        # so are units' decision logs (logging one needs `set_goals` too),
        # and the teams' ideas backlogs with their scores and moves (to learn from each other's ideas),
        # the units' weights of a priority, and the notes left on leader standard work rounds (a huddle
        # board hangs on the ward's wall: what is on it is not confidential).
        for model in (
            Goal,
            GoalMeasure,
            CatchballMessage,
            Breakthrough,
            ServedGoal,
            Decision,
            Idea,
            IdeaScore,
            IdeaMove,
            IdeaWeights,
            RoundNote,
        ):
            register_visibility(model, "open")
        # Decisions are found by the catalogue search (issue 16), through knowledge's extension point.
        sources.register(DECISION_SOURCE)
