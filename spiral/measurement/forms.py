from __future__ import annotations

from typing import Any

from django import forms

from spiral.core import codes, limits, periods
from spiral.core.forms import TextField, WindowedDateField
from spiral.measurement.models import (
    OVERDUE_DEFAULT,
    OVERDUE_MAX,
    Aggregation,
    AnnotationKind,
    Chart,
    Frequency,
    Improvement,
    MeasureType,
)
from spiral.organisations.models import OrganisationType, UnitKind

EMPTY = [("", "Choose one")]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class MeasureForm(forms.Form):
    code = forms.CharField(
        error_messages={"required": "Enter a code for the measure, for example FALLS-1000BD"},
        max_length=64,
        validators=[codes.CodeValidator(codes.MEASURE, max_length=64)],
        help_text="Unique across Spiral: letters, digits, -, _ and ., for example FALLS-1000BD",
    )
    name = TextField(error_messages={"required": "Enter the measure's name"}, max_length=limits.NAME)
    description = TextField(max_length=limits.TEXT, widget=forms.Textarea, required=False)
    measure_type = forms.ChoiceField(
        error_messages={"required": "Choose the type of measure"},
        choices=EMPTY + list(MeasureType.choices),
        label="Type of measure",
    )
    label = TextField(
        max_length=64,
        required=False,
        label="Unit of measurement",
        help_text="Shown on charts: %, per 1,000 bed days",
    )
    chart = forms.ChoiceField(
        error_messages={"required": "Choose the chart"}, choices=EMPTY + list(Chart.choices), label="Chart"
    )
    improvement = forms.ChoiceField(
        error_messages={"required": "Choose which direction is an improvement"},
        choices=EMPTY + list(Improvement.choices),
        label="Improvement direction",
    )
    frequency = forms.ChoiceField(
        error_messages={"required": "Choose how often the data is collected"},
        choices=EMPTY + list(Frequency.choices),
        label="How often data is collected",
    )
    overdue_after_periods = forms.IntegerField(
        min_value=1,
        max_value=OVERDUE_MAX,
        initial=OVERDUE_DEFAULT,
        required=False,
        label="Periods without data before a series is overdue",
        help_text=f"A whole number from 1 to {OVERDUE_MAX}; with 2, a monthly series is overdue once "
        "three ended months have no data (empty: 2)",
        error_messages={
            "required": f"Enter a whole number of periods from 1 to {OVERDUE_MAX}",
            "invalid": f"Enter a whole number of periods from 1 to {OVERDUE_MAX}, like 2",
            "min_value": f"Enter a whole number of periods from 1 to {OVERDUE_MAX}",
            "max_value": f"Enter a whole number of periods from 1 to {OVERDUE_MAX}",
        },
    )
    numerator_definition = TextField(
        max_length=limits.TEXT, widget=forms.Textarea, required=False, label="Numerator definition"
    )
    denominator_definition = TextField(
        max_length=limits.TEXT, widget=forms.Textarea, required=False, label="Denominator definition"
    )
    target = forms.CharField(
        required=False,
        max_length=32,
        help_text="A number on the chart's scale; for p charts a proportion (0.95, not 95%). Empty: none",
    )
    target_from = WindowedDateField(
        window=periods.RECORD_DATE,
        required=False,
        label="Target applies from",
        help_text="Optional, for a target that changes: for example 01/04/2025",
    )
    is_indicator = forms.BooleanField(required=False, label="Share with every unit beneath (an indicator)")
    aggregation = forms.ChoiceField(
        choices=list(Aggregation.choices),
        initial=Aggregation.NONE,
        required=False,
        label="How organisations' values add up",
        help_text="For run, XmR and c charts of an indicator: 'a sum' adds the organisations' values up to "
        "their ICB, region and the nation (counts of events). p and u charts always add up their "
        "numerators and denominators",
    )

    def clean_aggregation(self) -> str:
        return self.cleaned_data.get("aggregation") or Aggregation.NONE

    def clean_overdue_after_periods(self) -> int:
        value = self.cleaned_data.get("overdue_after_periods")
        return OVERDUE_DEFAULT if value is None else int(value)


class ObservationForm(forms.Form):
    period = forms.CharField(
        error_messages={"required": "Enter the period, for example 2025-04 for April 2025"},
        max_length=32,
        help_text="The first day of the period (01/04/2025), or 2025-04 for a month, 2025-W14 for a week",
    )
    value = forms.CharField(required=False, max_length=32)
    numerator = forms.CharField(required=False, max_length=32)
    denominator = forms.CharField(required=False, max_length=32)
    note = TextField(
        max_length=limits.SHORT_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="No names, NHS numbers or other personal details: they are removed",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ratio: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ratio:
            del self.fields["value"]
        else:
            del self.fields["numerator"]
            del self.fields["denominator"]


class AnnotationForm(forms.Form):
    period = forms.CharField(
        error_messages={"required": "Enter the period it applies from, for example 2025-04"},
        max_length=32,
        help_text="The period it applies from, like 01/04/2025 or 2025-04",
    )
    kind = forms.ChoiceField(
        error_messages={"required": "Choose the kind of annotation"},
        choices=EMPTY + list(AnnotationKind.choices),
        label="Kind of annotation",
    )
    text = TextField(
        error_messages={"required": "Say what happened or changed"},
        max_length=500,
        label="What happened or changed",
    )
    reason = TextField(
        max_length=limits.SHORT_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Rebase points only: why the process changed",
    )


class ImportForm(forms.Form):
    what = forms.ChoiceField(
        error_messages={"required": "Choose what the file holds"},
        choices=[("observations", "Observations"), ("measures", "Measure definitions")],
        widget=forms.RadioSelect,
        initial="observations",
        label="What the file holds",
    )
    file = forms.FileField(
        error_messages={"required": "Choose the file to import"},
        label="File (CSV or XLSX)",
        help_text="Observations: unit_code, measure_code, period, value, numerator, denominator, note",
    )
    measure = forms.CharField(
        required=False,
        max_length=64,
        label="Measure code (wide layout only)",
        help_text="For a file with one column per period and no measure_code column",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".xlsm", ".txt")):
            raise forms.ValidationError("The file must be a CSV or XLSX file")
        return upload


class SeriesFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Measure name or code")
    measure_type = forms.ChoiceField(
        choices=[("", "Any type"), *MeasureType.choices], required=False, label="Type"
    )
    beneath = forms.BooleanField(required=False, label="Include everything beneath")


class IndicatorFilterForm(forms.Form):
    """The indicator page's filters: the kind of unit and, for organisations, their type."""

    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *UnitKind.choices], required=False, label="Kind of unit"
    )
    organisation_type = forms.ChoiceField(
        choices=[("", "Any type"), *OrganisationType.choices], required=False, label="Organisation type"
    )
