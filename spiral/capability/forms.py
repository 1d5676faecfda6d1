"""Forms of the capability pages. The rules live in services; these shape the input."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.capability.models import TrainingTier
from spiral.core import limits
from spiral.core.forms import RequiredMessages, TextField, clean_tabular_upload
from spiral.organisations.models import Unit, User

PROVIDER_HINT = "For example: the trust's QI team, IHI Open School, NHS England"


class TrainingForm(RequiredMessages, forms.Form):
    """One person's training record (on their page)."""

    REQUIRED = {
        "tier": "Choose the tier of the training",
        "completed_on": "Enter the date the training was completed, for example 14/03/2025",
        "provider": "Enter who provided the training, for example the trust's QI team",
        "unit": "Choose the unit the person worked in when they were trained",
    }

    tier = forms.ModelChoiceField(queryset=TrainingTier.objects.order_by("kind", "level"), label="Tier",
                                  empty_label=None)  # fmt: skip
    completed_on = forms.DateField(label="Completed on", help_text="For example, 14/03/2025",
                                   input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                   error_messages={"invalid": "Enter the date as day/month/year, for example 14/03/2025"})  # fmt: skip
    provider = TextField(max_length=limits.NAME, label="Provider", help_text=PROVIDER_HINT)
    evidence = TextField(max_length=limits.SHORT_TEXT, label="Evidence (optional)", required=False,
                         widget=forms.Textarea(attrs={"rows": 2}),
                         help_text="A link to a certificate, or a short note. No personal details.")  # fmt: skip
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="Unit", empty_label=None)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Choose one of the units the person holds a role on"


class BulkTrainingForm(TrainingForm):
    """One course completed by many people of a unit."""

    REQUIRED = TrainingForm.REQUIRED | {"people": "Choose at least one person who completed the training"}

    people = forms.ModelMultipleChoiceField(queryset=User.objects.none(), label="People",
                                            widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, units=[], **kwargs)
        del self.fields["unit"]
        field = self.fields["people"]
        field.queryset = User.objects.filter(pk__in=[p.pk for p in people]).order_by("display_name")  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = "Choose people who hold a role on this unit or beneath"


class ImportForm(RequiredMessages, forms.Form):
    REQUIRED = {"kind": "Choose what the file holds", "file": "Choose the file to import"}

    kind = forms.ChoiceField(choices=[("training", "Training records"), ("headcount", "Headcount")],
                             label="What the file holds", widget=forms.RadioSelect)  # fmt: skip
    file = forms.FileField(label="File (CSV or XLSX)", help_text=(
        "Training: email, tier, completed_on, provider (evidence and unit optional). "
        "Headcount: unit, period, staff. The first row names the columns."))  # fmt: skip

    def clean_file(self) -> Any:
        return clean_tabular_upload(self.cleaned_data["file"])


class HeadcountForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "period": "Enter the month, for example 2025-04",
        "staff": "Enter the number of staff in post",
    }

    period = forms.CharField(max_length=20, label="Month", help_text="For example, 2025-04")
    staff = forms.IntegerField(min_value=0, label="Staff in post",
                               error_messages={"invalid": "Enter the number of staff as a whole number, for example 240"})  # fmt: skip
