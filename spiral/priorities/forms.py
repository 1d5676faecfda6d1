"""Forms for the goal pages. The rules live in services; these shape the input (measures are named by
their code, so an unknown one is refused with what was typed)."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.core import limits
from spiral.core.forms import NumberField, RequiredMessages, TextField, WindowedDateField
from spiral.priorities.models import (
    GOAL_DATE,
    SCORE_MAX,
    SCORE_MIN,
    Category,
    IdeaStatus,
    Kind,
    MeasureRole,
    NoteKind,
    Prompt,
)

CONFIRM_HINT = "Tick to save a target that points against the measure's improvement direction"


class GoalForm(RequiredMessages, forms.Form):
    """A True North goal with up to three measures (the API takes up to five)."""

    REQUIRED = {
        "title": "Enter the goal, for example zero avoidable harm",
        "category": "Choose the True North category of the goal",
        "target_date": "Enter the date the goal is to be met by, for example 31/03/2027",
        "measure_1": "Enter the code of the goal's first measure",
        "target_1": "Enter the target of the goal's first measure",
    }

    title = TextField(max_length=limits.NAME, label="Goal", help_text="For example: zero avoidable harm")
    category = forms.ChoiceField(choices=Category.choices, label="True North category")
    description = TextField(
        max_length=limits.TEXT, label="Description", widget=forms.Textarea, required=False
    )
    target_date = WindowedDateField(
        window=GOAL_DATE, label="Target date", help_text="For example, 31/03/2027"
    )
    measure_1 = forms.CharField(
        max_length=limits.CODE, label="Measure code", help_text="From the measures page"
    )
    target_1 = NumberField(label="Target", what="target")
    role_1 = forms.ChoiceField(
        choices=MeasureRole.choices, label="Role", initial=MeasureRole.DRIVER, required=False
    )
    measure_2 = forms.CharField(
        max_length=limits.CODE, label="Second measure code (optional)", required=False
    )
    target_2 = NumberField(label="Second target", what="target", required=False)
    role_2 = forms.ChoiceField(
        choices=MeasureRole.choices, label="Second role", initial=MeasureRole.DRIVER, required=False
    )
    measure_3 = forms.CharField(max_length=limits.CODE, label="Third measure code (optional)", required=False)
    target_3 = NumberField(label="Third target", what="target", required=False)
    role_3 = forms.ChoiceField(
        choices=MeasureRole.choices, label="Third role", initial=MeasureRole.DRIVER, required=False
    )
    confirm_direction = forms.BooleanField(
        label="Confirm the targets", help_text=CONFIRM_HINT, required=False
    )

    def pairs(self) -> list[tuple[str, float | None, str, int]]:
        """(code, target, role, index) of each measure row filled in."""
        data = self.cleaned_data
        return [
            (data[f"measure_{i}"].strip(), data.get(f"target_{i}"), data.get(f"role_{i}") or "driver", i)
            for i in (1, 2, 3)
            if (data.get(f"measure_{i}") or "").strip()
        ]


RESPONSE_CHOICES = [("adopt", "Adopt it as it is"), ("adapt", "Adapt it: propose our own measure or target"),
                    ("decline", "Decline it, with a reason")]  # fmt: skip


class RespondForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "unit": "Enter the code of the unit that answers, a unit directly beneath",
        "response": "Choose whether the unit adopts, adapts or declines the goal",
    }
    unit = forms.CharField(max_length=limits.CODE, label="Unit code", help_text="A unit directly beneath")
    response = forms.ChoiceField(choices=RESPONSE_CHOICES, widget=forms.RadioSelect, label="Response")
    reason = TextField(max_length=limits.SHORT_TEXT, label="Why", widget=forms.Textarea, required=False,
                       help_text="Needed to adapt or decline")  # fmt: skip
    measure = forms.CharField(max_length=limits.CODE, label="Our measure (code)", required=False,
                              help_text="Adapt: leave empty to keep the measure and change its target")  # fmt: skip
    replaces = forms.CharField(max_length=limits.CODE, label="In place of (code)", required=False,
                               help_text="Adapt: the measure of the goal above it changes")  # fmt: skip
    target = NumberField(label="Our target", what="target", required=False)
    confirm_direction = forms.BooleanField(label="Confirm the target", help_text=CONFIRM_HINT, required=False)


class MessageForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "kind": "Choose your turn: a proposal, a reply, a counter-proposal or an agreement",
        "text": "Enter why: what you propose or answer, and your reasons",
    }
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.RadioSelect, label="Your turn")
    text = TextField(max_length=limits.SHORT_TEXT, label="Why", widget=forms.Textarea)
    measure = forms.CharField(max_length=limits.CODE, label="Measure (code)", required=False,
                              help_text="A proposal or counter-proposal: leave empty to keep the measure")  # fmt: skip
    replaces = forms.CharField(max_length=limits.CODE, label="In place of (code)", required=False)
    target = NumberField(label="Target", what="target", required=False)
    confirm_direction = forms.BooleanField(label="Confirm the target", help_text=CONFIRM_HINT, required=False)


class BreakthroughForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "title": "Enter the breakthrough objective",
        "year": "Enter the year of the breakthrough objective, for example 2026",
    }
    title = TextField(max_length=limits.NAME, label="Breakthrough objective")
    year = forms.IntegerField(label="Year", min_value=2000, max_value=2100)
    description = TextField(
        max_length=limits.TEXT, label="Description", widget=forms.Textarea, required=False
    )


class ServeForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "goal": "Choose the goal this project serves",
    }
    goal = forms.TypedChoiceField(coerce=int, label="The goal this project serves")

    def __init__(self, *args: Any, goals: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(g.pk, f"{g.title} ({g.unit.name})") for g in goals]
        self.fields["goal"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


class DecisionForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "what": "Enter what was decided",
        "why": "Enter why it was decided",
        "decided_by": "Enter who decided: a person or a group",
        "decided_on": "Enter the date of the decision, for example 14/11/2025",
    }
    what = TextField(max_length=limits.NAME, label="What was decided")
    why = TextField(max_length=limits.TEXT, label="Why", widget=forms.Textarea)
    options = TextField(
        max_length=limits.TEXT, label="Options considered", widget=forms.Textarea, required=False
    )
    decided_by = TextField(max_length=limits.NAME, label="Who decided", help_text="A person or a group")
    decided_on = WindowedDateField(window=GOAL_DATE, label="Decided on", help_text="For example, 14/11/2025")
    review_on = WindowedDateField(window=GOAL_DATE, label="Review on (optional)", required=False)
    measures = forms.CharField(max_length=1000, label="Evidence: measure codes (optional)", required=False,
                               help_text="Separated by commas")  # fmt: skip
    projects = forms.CharField(max_length=1000, label="Evidence: project numbers (optional)", required=False,
                               help_text="Separated by commas")  # fmt: skip

    def clean_measures(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["measures"].split(",") if c.strip()]

    def clean_projects(self) -> list[int]:
        found = []
        for part in (p.strip() for p in self.cleaned_data["projects"].split(",")):
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                raise forms.ValidationError(
                    f"'{part[:20]}' is not a project number: use the number in its address"
                )
            found.append(int(part))
        return found


class IdeaForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "problem": "Enter the problem the idea is about",
        "idea": "Enter the idea",
        "helps": "Enter who the idea would help",
        "prompted_by": "Choose what prompted the idea",
    }
    problem = TextField(
        max_length=limits.SHORT_TEXT, label="The problem you have seen", widget=forms.Textarea
    )
    idea = TextField(max_length=limits.SHORT_TEXT, label="Your idea", widget=forms.Textarea)
    helps = TextField(max_length=limits.NAME, label="Who it helps")
    prompted_by = forms.ChoiceField(choices=Prompt.choices, label="What prompted it", initial=Prompt.OTHER)
    prompt = TextField(
        max_length=limits.NAME, label="Which theme, measure or story (optional)", required=False
    )


SCORES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]


class ScoreForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "impact": "Choose the impact score",
        "effort": "Choose the effort score",
        "alignment": "Choose the alignment score",
    }
    impact = forms.TypedChoiceField(
        choices=SCORES, coerce=int, label="Impact for patients (1 little, 5 a lot)"
    )
    effort = forms.TypedChoiceField(choices=SCORES, coerce=int, label="Effort (1 little, 5 a lot)")
    alignment = forms.TypedChoiceField(
        choices=SCORES, coerce=int, label="Alignment to a goal (1 little, 5 a lot)"
    )
    comment = TextField(
        max_length=limits.SHORT_TEXT, label="Comment (optional)", widget=forms.Textarea, required=False
    )


class MoveForm(RequiredMessages, forms.Form):
    REQUIRED = {
        "to": "Choose where the idea moves to",
        "why": "Enter why the idea moves on",
    }
    to = forms.ChoiceField(choices=IdeaStatus.choices, label="Move it to")
    why = TextField(max_length=limits.SHORT_TEXT, label="Why", widget=forms.Textarea)


class GoalEditForm(RequiredMessages, forms.Form):
    """Change a goal set at its unit (the measures' roles are changed one by one: MeasureRoleForm)."""

    REQUIRED = {
        "title": "Enter the goal, for example zero avoidable harm",
        "category": "Choose the True North category of the goal",
        "target_date": "Enter the date the goal is to be met by, for example 31/03/2027",
    }
    title = TextField(max_length=limits.NAME, label="Goal")
    category = forms.ChoiceField(choices=Category.choices, label="True North category")
    description = TextField(
        max_length=limits.TEXT, label="Description", widget=forms.Textarea, required=False
    )
    target_date = WindowedDateField(
        window=GOAL_DATE, label="Target date", help_text="For example, 31/03/2027"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def labels(self) -> dict[str, str]:
        return {name: str(f.label) for name, f in self.fields.items() if name != "version"}


class MeasureRoleForm(RequiredMessages, forms.Form):
    """A measure of a goal marked driver (expected to move) or watch (must not get worse)."""

    REQUIRED = {"measure": "Choose the measure", "role": "Choose driver or watch"}
    measure = forms.CharField(max_length=limits.CODE, widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=MeasureRole.choices, label="Role")


class WeightsForm(RequiredMessages, forms.Form):
    """A unit's weights of a priority, in whole percentages."""

    REQUIRED = {
        "impact": "Enter the weight of patient impact, for example 50",
        "effort": "Enter the weight of effort, for example 20",
        "alignment": "Enter the weight of alignment to a goal, for example 30",
        "patient_share": "Enter how much the patient partners' view counts, for example 50",
    }
    impact = forms.IntegerField(label="Patient impact (% of the priority)")
    effort = forms.IntegerField(label="Effort (% of the priority: less effort, higher priority)")
    alignment = forms.IntegerField(label="Alignment to a goal (% of the priority)")
    patient_share = forms.IntegerField(
        label="The patient partners' view (%)",
        help_text="How much patient and carer partners' scores count beside the staff's: 50 counts them equally",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("impact", "effort", "alignment", "patient_share"):
            self.fields[name].error_messages["invalid"] = (
                "Enter a whole percentage from 0 to 100, for example 30"
            )


class RoundNoteForm(RequiredMessages, forms.Form):
    REQUIRED = {"kind": "Choose a question or a recognition", "text": "Enter your question or recognition"}
    kind = forms.ChoiceField(choices=NoteKind.choices, label="What you leave", widget=forms.RadioSelect)
    text = TextField(
        max_length=limits.SHORT_TEXT, label="Your question or recognition", widget=forms.Textarea,
        help_text="Without names or personal details: the board is on the ward's wall",
    )  # fmt: skip


class AnswerForm(RequiredMessages, forms.Form):
    REQUIRED = {"answer": "Enter the team's answer"}
    answer = TextField(max_length=limits.SHORT_TEXT, label="The team's answer", widget=forms.Textarea)
