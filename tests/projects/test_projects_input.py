"""Numbers, dates and free text given to project services and forms: one parser, windows and limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from spiral.core import limits
from spiral.projects import services
from spiral.projects.forms import JournalForm, ProjectForm, ScoreForm


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (1e308, "outside the range"),
        ("1e308", "outside the range"),
        ("1_000", "underscore"),
        ("\u0661\u0662", "digits other than 0 to 9"),
        (float("inf"), "not a finite number"),
    ],
)
def test_an_aim_target_out_of_range_or_loosely_written_is_refused(project, lead, target, says):
    with pytest.raises(ValidationError) as caught:
        services.update_project(project=project, by=lead, aim_target=target)
    assert says in caught.value.message_dict["aim_target"][0]


def test_a_plain_aim_target_is_still_accepted(project, lead):
    updated = services.update_project(project=project, by=lead, aim_target="4.5")
    assert updated.aim_target == 4.5


@pytest.mark.parametrize("month", ["1066-10", "2205-01", "\u0662\u0660\u0662\u0665-01"])
def test_a_progress_month_outside_its_window_is_refused(project, lead, month):
    with pytest.raises(ValidationError) as caught:
        services.record_score(project=project, score="1.0", by=lead, month=month)
    assert "month" in caught.value.message_dict


def test_a_progress_score_in_other_digits_is_refused(project, lead):
    with pytest.raises(ValidationError) as caught:
        services.record_score(project=project, score="\u0661.\u0660", by=lead)
    assert "score" in caught.value.message_dict


def test_a_problem_longer_than_its_limit_is_refused_with_the_limit(project, lead):
    with pytest.raises(ValidationError) as caught:
        services.update_project(project=project, by=lead, problem="x" * (limits.TEXT + 1))
    assert caught.value.message_dict["problem"] == [limits.too_long_message(limits.TEXT, limits.TEXT + 1)]


def test_an_aim_date_far_ahead_is_refused(project, lead):
    with pytest.raises(ValidationError) as caught:
        services.update_project(project=project, by=lead, aim_date=dt.date(2999, 1, 1))
    assert "check the year" in caught.value.message_dict["aim_date"][0]


def test_a_journal_entry_longer_than_its_limit_is_refused(project, lead):
    with pytest.raises(ValidationError) as caught:
        services.add_journal_entry(project=project, by=lead, text="x" * (limits.LONG_TEXT + 1))
    assert "the limit is 50,000" in caught.value.message_dict["text"][0]


def test_the_project_form_refuses_a_loose_target_and_a_long_problem_with_messages():
    form = ProjectForm(data={"title": "T", "status": "draft", "aim_target": "1_000", "problem": "x" * 10_001})
    assert not form.is_valid()
    assert "underscore" in form.errors["aim_target"][0]
    assert form.errors["problem"] == [limits.too_long_message(limits.TEXT, 10_001)]


def test_the_project_form_reads_a_target_with_a_thousands_comma():
    form = ProjectForm(data={"title": "T", "status": "draft", "aim_target": "1,200"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["aim_target"] == 1200.0


def test_a_date_in_another_script_or_centuries_off_is_refused_by_the_form():
    assert "on" in JournalForm(data={"on": "\u0662\u0660\u0662\u0665-01-01", "text": "x"}).errors
    assert "check the year" in JournalForm(data={"on": "1066-10-14", "text": "x"}).errors["on"][0]


def test_a_text_field_does_not_set_the_browser_maxlength():
    # The browser would cut a pasted text short without a word; the server refuses it and says why.
    assert "maxlength" not in str(ScoreForm(levels=[])["comment"])
