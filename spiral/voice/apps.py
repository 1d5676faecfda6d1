from __future__ import annotations

from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "spiral.voice"
    label = "voice"
    verbose_name = "Voice of patients, carers and staff"

    def ready(self) -> None:
        from spiral.organisations.permissions import Permission, register_visibility
        from spiral.voice.models import Answer, FeedbackForm, FeedbackLink, ImportedCounts, Story, Theme

        # Who sees what (docs/permissions.md, "Benchmarking and voice"). A form is public by design (its
        # link is printed on posters) and the themes are one shared list: open. Feedback is not: answers,
        # imported counts, stories and "you said, we did" links are seen only beneath a unit where the
        # person may view feedback.
        register_visibility(FeedbackForm, "open")
        register_visibility(Theme, "open")
        for model, path in (
            (Answer, "form__unit__path"),
            (ImportedCounts, "form__unit__path"),
            (Story, "unit__path"),
            (FeedbackLink, "unit__path"),
        ):
            register_visibility(model, "unit", permission=Permission.VIEW_FEEDBACK, path=path)
