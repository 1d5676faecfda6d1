"""The hand-over checklist form."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.organisations.models import User
from spiral.projects.models import Project


class HandoverForm(forms.Form):
    owner = forms.EmailField(
        label="Owner in the unit", required=False, max_length=254,
        help_text="The email of the person who now owns the change: they must hold a role on the unit",
    )  # fmt: skip
    measures = forms.TypedMultipleChoiceField(
        label="Measures to watch", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    standard_work = forms.CharField(
        label="Standard work or guideline changed", required=False, max_length=500,
        help_text="A link to it, or its name and where it is kept",
    )  # fmt: skip
    training = forms.CharField(
        label="Training for new staff", required=False, max_length=2000, widget=forms.Textarea
    )
    review_on = forms.DateField(
        label="Date to review", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measures"].choices = [  # type: ignore[attr-defined]
            (link.pk, f"{link.series.measure.name} ({link.series.unit.name})")
            for link in project.measures.select_related("series__measure", "series__unit")
        ]

    def clean_owner(self) -> User | None:
        email = self.cleaned_data.get("owner")
        if not email:
            return None
        found = User.objects.filter(email__iexact=email, is_active=True).first()
        if found is None:
            raise forms.ValidationError(f"Nobody uses Spiral with the email {email}")
        return found
