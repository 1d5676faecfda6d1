"""Forms for feedback pages. Validation that matters lives in services; these shape the input."""

from __future__ import annotations

from typing import Any

from django import forms

from spiral.core import limits, periods
from spiral.core.forms import TextField, WindowedDateField
from spiral.voice.models import TEXT_LIMIT, Audience, FeedbackForm, Rating, Teller


class AnswerForm(forms.Form):
    """The public form: the FFT question, the form's own questions, two free-text questions, a honeypot."""

    rating = forms.ChoiceField(choices=Rating.choices, widget=forms.RadioSelect, required=False)
    good = TextField(max_length=TEXT_LIMIT, label="What was good?", widget=forms.Textarea, required=False)
    better = TextField(
        max_length=TEXT_LIMIT, label="What could we do better?", widget=forms.Textarea, required=False
    )
    # People do not see this field (it is hidden from sight and from screen readers); robots fill it in.
    website = forms.CharField(label="Leave this empty", required=False)

    def __init__(self, *args: Any, feedback_form: FeedbackForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rating"].label = feedback_form.question
        hint = f"Please do not include names or personal details. At most {TEXT_LIMIT:,} characters."
        self.fields["good"].help_text = hint
        self.fields["better"].help_text = hint
        for i, question in enumerate(feedback_form.own_questions, start=1):
            self.fields[f"q{i}"] = TextField(
                max_length=TEXT_LIMIT, label=question, widget=forms.Textarea, required=False
            )

    def clean(self) -> dict[str, Any]:
        """Text over the limit, or holding nothing but personal details, is refused here too, so that every
        problem shows at once (services.submit_answer checks again before storing)."""
        from spiral.voice.services import screen_text

        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        for name, f in self.fields.items():
            if name in ("rating", "website") or name in self.errors:
                continue
            try:
                screen_text(data.get(name), field=name, label=str(f.label).rstrip("?"))
            except forms.ValidationError as exc:
                for message in exc.message_dict.get(name, []):
                    self.add_error(name, message)
                    if "personal details" in message:
                        # Not even shown back: the box is emptied for the person to write again.
                        self.data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict
                        self.data[name] = ""  # type: ignore[index]  # the copy is mutable
        return data

    def clean_rating(self) -> str:
        value = self.cleaned_data.get("rating")
        if not value:
            raise forms.ValidationError("Choose one answer to the first question")
        return value


class FeedbackFormForm(forms.Form):
    title = forms.CharField(
        error_messages={"required": "Enter the form's title"},
        max_length=200,
        help_text="For example 'Ward 1: tell us about your stay'",
    )
    audience = forms.ChoiceField(
        error_messages={"required": "Choose who the form is for"},
        choices=Audience.choices,
        widget=forms.RadioSelect,
        initial=Audience.PATIENT,
    )
    question = forms.CharField(
        max_length=300, required=False, help_text="Leave empty for the Friends and Family Test question"
    )
    introduction = TextField(max_length=limits.TEXT, widget=forms.Textarea, required=False)
    own_questions = TextField(
        max_length=limits.SHORT_TEXT,
        label="Questions of your own", widget=forms.Textarea, required=False,
        help_text="One question a line, at most five; each is answered in free text",
    )  # fmt: skip


class FormEditForm(FeedbackFormForm):
    is_open = forms.BooleanField(label="Accepting answers", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["audience"]


class TagForm(forms.Form):
    themes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, theme_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices  # type: ignore[attr-defined]  # a ChoiceField


class LinkForm(forms.Form):
    project = forms.IntegerField(
        error_messages={"required": "Enter the project's number, from its page's address"},
        label="Project number",
        help_text="The number in the project's address",
    )
    theme = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = TextField(label="What was done", max_length=300, required=False)


class StoryForm(forms.Form):
    title = forms.CharField(error_messages={"required": "Enter the story's title"}, max_length=200)
    teller = forms.ChoiceField(
        error_messages={"required": "Choose who told the story"},
        label="Told by",
        choices=Teller.choices,
        widget=forms.RadioSelect,
    )
    about = forms.CharField(
        error_messages={"required": "Say who the story is about, in general terms"},
        max_length=200,
        help_text="Who it is about, in general terms",
    )
    text = TextField(
        error_messages={"required": "Write the story"},
        max_length=limits.TEXT,
        label="The story",
        widget=forms.Textarea,
    )
    quote = TextField(
        max_length=limits.SHORT_TEXT,
        label="An anonymised quote (optional)",
        widget=forms.Textarea,
        required=False,
    )
    consent_given_on = WindowedDateField(
        error_messages={"required": "Enter the date consent was given, for example 14/03/2025"},
        window=periods.RECORD_DATE,
        label="Consent given on",
        help_text="For example 2025-03-14",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consent_note = TextField(label="How consent was recorded", max_length=300, required=False)


class FftImportForm(forms.Form):
    file = forms.FileField(
        error_messages={"required": "Choose the file of FFT returns"},
        label="FFT returns (CSV or XLSX)",
        help_text="Columns: unit_code, period, very_good, good, neither, poor, very_poor, dont_know (and total)",
    )
    dry_run = forms.BooleanField(label="Only check the file (write nothing)", required=False)
