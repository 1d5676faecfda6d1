"""The form of one instrument: one set of radios per item, built from the instrument's data."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.assessments.models import Instrument


class AnswerForm(forms.Form):
    """One person's answers: a required choice per item (the option keys, e.g. a-d)."""

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        provisional = instrument.provisional
        for n, item in enumerate(instrument.items.all(), 1):
            choices = []
            for option in item.options.all():
                mark = "" if option.verified or not provisional else ", provisional"
                choices.append((option.key, f"{option.key}. {option.text} (score {option.score}{mark})"))
            self.fields[item.key] = forms.ChoiceField(
                label=f"{n}. {item.text}", help_text=item.help, choices=choices, widget=forms.RadioSelect,
                error_messages={"required": f"Choose one answer for '{item.text}'",
                                "invalid_choice": f"Choose one of the answers listed for '{item.text}'"},
            )  # fmt: skip
