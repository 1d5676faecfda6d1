"""Forms for the knowledge pages, rendered with core/forms.jinja (one error summary, NHS.UK fields)."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.core import limits, periods
from spiral.core.forms import TextField, WindowedDateField
from spiral.core.types import AnyUser
from spiral.knowledge.models import DocKind, ResourceKind
from spiral.knowledge.search import Filters
from spiral.organisations import choices
from spiral.organisations.choices import UnitChoiceField
from spiral.organisations.models import OrganisationType, Unit
from spiral.organisations.permissions import Permission
from spiral.projects.models import Stage

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


def _unit_field(label: str = "Unit code", help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=32,
        help_text=help_text,
        error_messages={"required": "Enter the code of a unit, for example RAA-MED-01"},
    )


def _chosen_unit(label: str, help_text: str, missing: str) -> UnitChoiceField:
    """A unit chosen from those where the person's roles allow the form's action (never a typed code)."""
    return UnitChoiceField(
        label=label,
        help_text=help_text,
        error_messages={
            "required": missing,
            "invalid_choice": "No unit has the code %(value)s: choose one from the list",
        },
    )


class UnitChoosingForm(forms.Form):
    """A form whose `unit` is chosen from the units where `user` has `PERMISSION`, pre-filled from
    `initial` (the page's unit or ?unit=CODE)."""

    PERMISSION: Permission

    def __init__(self, *args: Any, user: AnyUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        permitted = (
            choices.permitted_units(user, self.PERMISSION) if user is not None else Unit.objects.none()
        )
        selected = str((self.data if self.is_bound else self.initial).get("unit") or "")
        field: UnitChoiceField = self.fields["unit"]  # type: ignore[assignment]
        # Any real unit is read (the page refuses one without the role, 403); the permitted are offered.
        field.offer(Unit.objects.all(), choices.offer_units(permitted, user, selected=selected))


def clean_unit_code(code: str, *, required: bool = False) -> Unit | None:
    code = (code or "").strip()
    if not code:
        if required:
            raise forms.ValidationError("Enter the code of a unit, for example RAA-MED-01")
        return None
    unit = Unit.objects.filter(code__iexact=code).first()
    if unit is None:
        raise forms.ValidationError(f"No unit has the code {code}: check it on the Units page")
    return unit


def _date(label: str) -> forms.DateField:
    return WindowedDateField(
        window=periods.RECORD_DATE,
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text="For example 31/03/2026",
        error_messages={"invalid": f"Enter the {label.lower()} as a date, for example 31/03/2026"},
    )


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the catalogue", required=False, max_length=300)
    type = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "Projects, resources, communities, measures and decisions"), *DocKind.choices],
    )
    unit = _unit_field(help_text="This unit and everything beneath it")
    organisation_type = forms.ChoiceField(
        label="Organisation type", required=False, choices=[("", "Any"), *OrganisationType.choices]
    )
    topic = forms.CharField(required=False, max_length=60)
    stage = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Stage.choices])
    score = forms.ChoiceField(
        label="Progress score at least",
        required=False,
        choices=[("", "Any")] + [(str(s), str(s)) for s in (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)],
    )
    patient_partner = forms.ChoiceField(label="Has patient or carer partners", required=False, choices=YES_NO)
    improvement = forms.ChoiceField(label="Improvement shown in the data", required=False, choices=YES_NO)
    since = _date("Started on or after")
    until = _date("Started on or before")

    def clean_unit(self) -> Unit | None:
        return clean_unit_code(self.cleaned_data["unit"])

    def filters(self) -> Filters:
        d = self.cleaned_data
        return Filters(
            unit=d["unit"],
            organisation_type=d["organisation_type"],
            topic=d["topic"],
            stage=d["stage"],
            score=d["score"],
            patient_partner=_yes_no(d["patient_partner"]),
            improvement_shown=_yes_no(d["improvement"]),
            since=d["since"],
            until=d["until"],
        )


class ResourceForm(UnitChoosingForm):
    PERMISSION = Permission.CURATE_RESOURCE

    title = TextField(error_messages={"required": "Enter the resource's title"}, max_length=limits.NAME)
    kind = forms.ChoiceField(
        error_messages={"required": "Choose the kind of resource"},
        label="Kind of resource",
        choices=[("", "Choose one"), *ResourceKind.choices],
    )
    unit = _chosen_unit(
        "Owning unit",
        "The unit that keeps this resource up to date: start typing its name",
        "Choose the unit that keeps this resource up to date",
    )
    summary = TextField(
        error_messages={"required": "Enter a summary: what it is and who it helps"},
        max_length=limits.SHORT_TEXT,
        widget=forms.Textarea,
        help_text="What it is and who it helps, in a few lines",
    )
    body = TextField(
        max_length=limits.LONG_TEXT,
        widget=forms.Textarea,
        required=False,
        help_text="Markdown: # headings, *emphasis*, lists, [links](https://...). Scripts are removed.",
    )
    topics = forms.CharField(
        required=False, max_length=600, help_text="Separate topics with commas, for example: falls, sepsis"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommunityForm(UnitChoosingForm):
    PERMISSION = Permission.CREATE_COMMUNITY

    name = TextField(error_messages={"required": "Enter the community's name"}, max_length=limits.NAME)
    unit = _chosen_unit(
        "Host unit",
        "The unit that hosts the community: start typing its name",
        "Choose the unit that hosts the community",
    )
    topic = forms.CharField(required=False, max_length=60)
    description = TextField(max_length=limits.TEXT, widget=forms.Textarea, required=False)


class ThreadForm(forms.Form):
    title = TextField(error_messages={"required": "Enter a title for the thread"}, max_length=limits.NAME)
    body = TextField(
        error_messages={"required": "Write your message"},
        max_length=limits.LONG_TEXT,
        label="Your message",
        widget=forms.Textarea,
    )


class ReplyForm(forms.Form):
    body = TextField(
        error_messages={"required": "Write your reply"},
        max_length=limits.LONG_TEXT,
        label="Your reply",
        widget=forms.Textarea,
    )


class SiteForm(UnitChoosingForm):
    PERMISSION = Permission.CREATE_PROJECT

    unit = _chosen_unit(
        "Your team or service",
        "The unit that will test the change: a project starts there",
        "Choose the team that will test the change",
    )


class AdoptForm(UnitChoosingForm):
    PERMISSION = Permission.CREATE_PROJECT

    unit = _chosen_unit(
        "Adopting team or service",
        "A project linked to this one starts there: start typing its name",
        "Choose the team that will adopt the change",
    )
    idea = forms.ChoiceField(label="What to adopt", required=False)
    adaptation = TextField(
        max_length=limits.TEXT,
        label="Adaptation",
        widget=forms.Textarea,
        required=False,
        help_text="What you will do differently, and why",
    )

    def __init__(self, *args: Any, ideas: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idea"].choices = [("", "The whole project (all its change ideas)")] + [  # type: ignore[attr-defined]
            (str(pk), text) for pk, text in ideas
        ]
