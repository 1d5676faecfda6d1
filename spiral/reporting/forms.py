"""The board pack settings form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from spiral.core.forms import RequiredMessages
from spiral.reporting.services import MAX_MEASURES


class BoardScheduleForm(RequiredMessages, forms.Form):
    measures = forms.TypedMultipleChoiceField(
        label="Measures to chart in the pack", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=f"Up to {MAX_MEASURES} series of the unit or beneath it",
    )  # fmt: skip
    monthly = forms.BooleanField(label="Make a pack at the start of every month", required=False)

    def offer(self, series: Iterable[Any]) -> BoardScheduleForm:
        """Offer these series (with their measure and unit) as the choices."""
        self.fields["measures"].choices = [  # type: ignore[attr-defined]
            (s.pk, f"{s.measure.name} — {s.unit.name}") for s in series
        ]
        return self
