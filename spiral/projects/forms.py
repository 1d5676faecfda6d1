"""Forms for project pages, rendered with core/forms.jinja (one error summary, NHS.UK fields)."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.core import limits, periods
from spiral.core.forms import NumberField, TextField, WindowedDateField
from spiral.core.types import AnyUser
from spiral.organisations import choices
from spiral.organisations.choices import PersonChoiceField, UnitChoiceField
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission
from spiral.projects.models import (
    AimAchieved,
    CarriedOut,
    Decision,
    Method,
    NodeKind,
    PredictionConfirmed,
    ProgressLevel,
    ProjectRole,
    Purpose,
    Stage,
    Status,
)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
EMPTY = [("", "Choose one")]


def _date(label: str, help_text: str = "For example 31/03/2026", required: bool = False) -> forms.DateField:
    return WindowedDateField(
        window=periods.PROJECT_DATE,
        label=label,
        required=required,
        help_text=help_text,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": f"Enter the {label.lower()} as a date, for example 31/03/2026"},
    )


def _text(label: str, help_text: str = "", *, textarea: bool = True, max_length: int = limits.TEXT) -> Any:
    return TextField(
        label=label,
        required=False,
        help_text=help_text,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else None,
    )


class ProjectForm(forms.Form):
    title = TextField(
        max_length=limits.NAME, required=False, help_text="A short name colleagues will recognise"
    )
    problem = _text("The problem", "Why it matters, for whom, and what the data show")
    aim = _text("Aim: what are you trying to accomplish?", "For example: Reduce falls on Ward 1 from 8 to 4 "
                "per 1,000 bed days by 31 March 2026")  # fmt: skip
    aim_measure = _text(
        "Outcome measure",
        "How will you know that a change is an improvement?",
        textarea=False,
        max_length=200,
    )
    aim_baseline = NumberField(label="Baseline (now)", required=False, what="baseline")
    aim_target = NumberField(label="Target: how much", required=False, what="target")
    aim_date = _date("Aim date: by when")
    topics = forms.CharField(
        required=False, max_length=600, help_text="Separate topics with commas, for example: falls, dementia"
    )
    method = forms.ChoiceField(choices=Method.choices, initial=Method.MODEL_FOR_IMPROVEMENT, required=False)
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.SCOPING, required=False)
    start_date = _date("Start date", "Today if left blank")
    status = forms.ChoiceField(
        error_messages={"required": "Choose the project's status: draft or active"},
        choices=[
            (Status.DRAFT, "Draft: still shaping the aim"),
            (Status.ACTIVE, "Active: the work has begun"),
        ],
        widget=forms.RadioSelect,
        initial=Status.DRAFT,
        label="Status",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # The fields a stale save compares, with their labels.
    COMPARED = (
        "title", "problem", "aim", "aim_measure", "aim_baseline", "aim_target", "aim_date", "topics",
        "method", "stage", "start_date", "status",
    )  # fmt: skip

    def labels(self) -> dict[str, str]:
        return {
            name: str(self.fields[name].label or name.replace("_", " ").capitalize())
            for name in self.COMPARED
        }


class NewProjectForm(ProjectForm):
    """A new project: its unit chosen from those where the person may start one (never a typed code)."""

    unit = UnitChoiceField(
        label="Team or service",
        help_text="The team or service the project belongs to: start typing its name",
        error_messages={
            "required": "Choose the team this project belongs to",
            "invalid_choice": "No team or service has the code %(value)s: choose one from the list",
        },
    )

    field_order = ["unit", "title"]

    def __init__(self, *args: Any, user: AnyUser, find: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = choices.permitted_units(user, Permission.CREATE_PROJECT)
        selected = str((self.data if self.is_bound else self.initial).get("unit") or "")
        offered = choices.offer_units(allowed, user, query=find, selected=selected)
        field: UnitChoiceField = self.fields["unit"]  # type: ignore[assignment]
        # Any real unit is read (the page says when the person may not start a project there).
        field.offer(Unit.objects.all(), offered)
        if not selected and len(offered.choices) == 1 and not self.is_bound:
            self.initial["unit"] = offered.choices[0][0]  # the one unit the person may use
        self.unit_offer = offered


class CloseForm(forms.Form):
    lessons = TextField(
        max_length=limits.TEXT,
        label="What did the team learn?",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="For the teams that come after you: what worked, what did not, what you would do again",
    )
    aim_achieved = forms.ChoiceField(
        label="Was the aim achieved?", choices=AimAchieved.choices, widget=forms.RadioSelect, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TeamMemberForm(forms.Form):
    """Someone joins a project's team: chosen from the people of the project's organisation, or anyone
    who uses Spiral by their email address."""

    person = PersonChoiceField(
        label="Person",
        required=False,
        help_text="People who hold a role in this organisation: start typing a name",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )
    email = forms.EmailField(
        label="Or the email address of someone else",
        required=False,
        help_text="Anyone who uses Spiral, in another organisation too",
        error_messages={"invalid": "Enter an email address like name@nhs.net"},
    )
    role = forms.ChoiceField(
        choices=EMPTY + list(ProjectRole.choices),
        label="Role on the project",
        error_messages={"required": "Choose the person's role on the project"},
    )

    def __init__(self, *args: Any, user: AnyUser, unit: Unit, exclude: list[int] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        field: PersonChoiceField = self.fields["person"]  # type: ignore[assignment]
        field.offer(choices.offer_people(user, unit, exclude=exclude))

    def clean_email(self) -> User | None:
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if not email:
            return None
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No one with the email address {email} uses Spiral yet")
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("person") or data.get("email")
        if chosen is None and not self.has_error("person") and not self.has_error("email"):
            self.add_error("person", "Choose the person to add to the team, or give their email address")
        data["chosen"] = chosen
        return data


class NodeForm(forms.Form):
    kind = forms.ChoiceField(
        error_messages={"required": "Choose the kind of node"},
        label="Kind of node",
        choices=EMPTY + [(k, label) for k, label in NodeKind.choices if k != NodeKind.AIM],
    )
    text = TextField(error_messages={"required": "Enter the node's text"}, label="Text", max_length=500)
    parent = forms.TypedChoiceField(
        error_messages={"required": "Choose where it sits beneath"},
        label="Sits beneath",
        coerce=int,
        choices=EMPTY,
    )

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = EMPTY + parents  # type: ignore[attr-defined]


class EditNodeForm(forms.Form):
    text = TextField(error_messages={"required": "Enter the node's text"}, label="Text", max_length=500)
    description = TextField(
        max_length=limits.TEXT, label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parents = forms.TypedMultipleChoiceField(
        label="Sits beneath", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parents"].choices = parents  # type: ignore[attr-defined]


class ChangeIdeaForm(forms.Form):
    title = TextField(
        error_messages={"required": "Enter the change idea"},
        label="Change idea",
        max_length=500,
        help_text="A specific, testable change",
    )
    description = TextField(
        max_length=limits.TEXT, label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parents = forms.TypedMultipleChoiceField(
        label="Drivers it acts on", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parents"].choices = parents  # type: ignore[attr-defined]


def _choice(label: str, choices: list[tuple[str, str]], help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=[("", "Not yet"), *choices], required=False, help_text=help_text
    )


class CycleForm(forms.Form):
    # Plan
    purpose = _choice("Purpose", list(Purpose.choices), "Develop, test or implement a change")
    objective = _text("Objective", "What is this cycle for?")
    questions = _text("Questions", "What do you want to find out?")
    prediction = _text("Prediction", "What do you think will happen? Write it before the test")
    plan_who = _text("Who", textarea=False, max_length=300)
    plan_what = _text("What")
    plan_when = _text("When", textarea=False, max_length=300)
    plan_where = _text("Where", textarea=False, max_length=300)
    data_to_collect = _text("Data to collect", "What, by whom, how, and the sample")
    scale_of_test = _text(
        "Scale of the test", "For example: 1 patient, 1 nurse, 1 morning", textarea=False, max_length=200
    )
    planned_start = _date("Planned start")
    planned_end = _date("Due", "When the results will be studied")
    # Do
    started_on = _date("Started on", "Starting marks the date on the project's charts")
    ended_on = _date("Ended on")
    carried_out = _choice("Carried out as planned?", list(CarriedOut.choices))
    what_happened = _text("What happened")
    problems = _text("Problems and unexpected events")
    observations = _text("Observations")
    # Study
    results = _text("Results compared with the prediction")
    prediction_confirmed = _choice("Was the prediction confirmed?", list(PredictionConfirmed.choices))
    learning = _text("What was learned")
    # Act
    decision = _choice("Decision", list(Decision.choices), "Adopt, adapt or abandon the change")
    rationale = _text("Why")
    next_steps = _text("Next cycle", "What the next cycle will be")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    PHASES = (
        ("Plan", ("purpose", "objective", "questions", "prediction", "plan_who", "plan_what", "plan_when",
                  "plan_where", "data_to_collect", "scale_of_test", "planned_start", "planned_end")),
        ("Do", ("started_on", "ended_on", "carried_out", "what_happened", "problems", "observations")),
        ("Study", ("results", "prediction_confirmed", "learning")),
        ("Act", ("decision", "rationale", "next_steps")),
    )  # fmt: skip

    def labels(self) -> dict[str, str]:
        return {name: str(f.label) for name, f in self.fields.items() if name != "version"}


class NewCycleForm(CycleForm):
    change_idea = forms.TypedChoiceField(
        error_messages={"required": "Choose the change idea this cycle tests"},
        label="Change idea",
        coerce=int,
        choices=EMPTY,
    )

    def __init__(self, *args: Any, ideas: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change_idea"].choices = EMPTY + ideas  # type: ignore[attr-defined]


class ScoreForm(forms.Form):
    score = forms.ChoiceField(
        error_messages={"required": "Choose a score on the scale"},
        label="Progress score",
        widget=forms.RadioSelect,
        choices=[],
    )
    month = forms.CharField(
        label="Month",
        required=False,
        max_length=7,
        help_text="YYYY-MM, for example 2025-03; this month if blank",
    )
    comment = TextField(
        max_length=limits.SHORT_TEXT,
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, levels: list[ProgressLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(str(lv.score), f"{lv.score} {lv.label}") for lv in levels]  # type: ignore[attr-defined]
        self.levels = levels


class JournalForm(forms.Form):
    on = _date("Date", "Today if left blank")
    text = TextField(
        max_length=limits.LONG_TEXT, label="Update", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    file = forms.FileField(
        label="Attach a file (optional)",
        required=False,
        help_text="PDF, Word, Excel, PowerPoint, CSV, text or an image (PNG, JPEG), up to 10 MB",
    )


class PortfolioFilterForm(forms.Form):
    unit = forms.CharField(label="Unit code", required=False, help_text="This unit and everything beneath it")
    q = forms.CharField(label="Words in the title or aim", required=False, max_length=limits.NAME)
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    stage = forms.ChoiceField(choices=[("", "Any stage"), *Stage.choices], required=False)
    score = forms.ChoiceField(required=False, label="Latest progress score")
    topic = forms.CharField(required=False)
    patient_partner = forms.ChoiceField(
        label="Patient partnership",
        required=False,
        choices=[("", "Any"), ("yes", "With a patient or carer partner"), ("no", "Without")],
    )

    def __init__(self, *args: Any, levels: list[ProgressLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = (  # type: ignore[attr-defined]
            [("", "Any score")]
            + [(str(lv.score), f"{lv.score} {lv.label}") for lv in levels]
            + [("none", "Not scored")]
        )

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code__iexact=code).first()
        if unit is None:
            raise forms.ValidationError(f"No unit has the code {code}")
        return unit


ROLE_CHOICES = [
    ("outcome", "Outcome: the result the aim is about"),
    ("process", "Process: whether the changes are being done"),
    ("balancing", "Balancing: what might get worse elsewhere"),
]


class LinkSeriesForm(forms.Form):
    """Link a series already in Measurement (the unit's own and those beneath it are offered; any
    series may be linked by its number, from its page's address)."""

    series = forms.ChoiceField(label="Series", required=False, choices=[])
    series_id = forms.IntegerField(
        label="Or the series number",
        required=False,
        min_value=1,
        help_text="The number in the series page's address, /measures/series/<number>/",
    )
    role = forms.ChoiceField(label="Role in this project", choices=EMPTY + ROLE_CHOICES)

    def __init__(self, *args: Any, series_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = EMPTY + series_choices  # type: ignore[attr-defined]
        self.fields["role"].error_messages["required"] = "Choose the measure's role in the project"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("series_id") or (int(data["series"]) if data.get("series") else None)
        if chosen is None and "series_id" not in self.errors:
            self.add_error("series", "Choose a series, or give its number")
        data["chosen"] = chosen
        return data


class NewSeriesForm(forms.Form):
    """Start a series of a measure for the project's unit."""

    measure = forms.ChoiceField(label="Measure", choices=[])
    role = forms.ChoiceField(label="Role in this project", choices=EMPTY + ROLE_CHOICES)

    def __init__(self, *args: Any, measure_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = EMPTY + measure_choices  # type: ignore[attr-defined]
        self.fields["measure"].error_messages["required"] = "Choose the measure to record for this unit"
        self.fields["role"].error_messages["required"] = "Choose the measure's role in the project"
