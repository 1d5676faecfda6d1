"""Every required field of every form says what it is when left empty ("Choose the team this project
belongs to"), never Django's "This field is required."."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from django import forms

import spiral
from spiral.organisations.models import Role, Unit

pytestmark = pytest.mark.django_db

DEFAULT = str(forms.Field.default_error_messages["required"])

# The arguments of the forms that need some to be built (a form not listed here is built without any:
# a new form that needs arguments fails below until it is given them here).
ARGUMENTS: dict[str, Any] = {
    "FunnelForm": lambda: {"user": None},
    "TrainingForm": lambda: {"units": []},
    "BulkTrainingForm": lambda: {"people": []},
    "NewUnitForm": lambda: {"parent": Unit(kind="organisation", code="RAA", name="R", path="0001")},
    "AddMemberForm": lambda: {"roles": [Role.MEMBER]},
    "NewProjectForm": lambda: {"user": None},
    "TeamMemberForm": lambda: {"user": None, "unit": Unit(kind="team", code="T", name="T", path="0001")},
    "NodeForm": lambda: {"parents": [(1, "Aim")]},
    "EditNodeForm": lambda: {"parents": []},
    "ChangeIdeaForm": lambda: {"parents": []},
    "NewCycleForm": lambda: {"ideas": [(1, "Idea")]},
    "ScoreForm": lambda: {"levels": []},
    "PortfolioFilterForm": lambda: {"levels": []},
    "LinkSeriesForm": lambda: {"series_choices": []},
    "NewSeriesForm": lambda: {"measure_choices": []},
    "AnswerForm": lambda: {"feedback_form": _feedback_form()},
    "AdoptForm": lambda: {"ideas": []},
    "TagForm": lambda: {"theme_choices": []},
    "SpiralPasswordChangeForm": lambda: {"user": None},
    # Two apps' forms of one name: keyed by module as well.
    "spiral.priorities.forms.ScoreForm": dict,
    "spiral.priorities.forms.AnswerForm": dict,
    "ServeForm": lambda: {"goals": []},
    "HandoverForm": lambda: {"project": _project()},
}


def _project() -> Any:
    from tests.factories import ProjectFactory

    return ProjectFactory()


def _feedback_form() -> Any:
    from spiral.voice.models import FeedbackForm

    return FeedbackForm(title="Ward 1", question="How was your stay?", own_questions=["Anything else?"])


def every_form() -> list[type[forms.BaseForm]]:
    found: list[type[forms.BaseForm]] = []
    for module in pkgutil.walk_packages(spiral.__path__, "spiral."):
        if not module.name.endswith(".forms"):
            continue
        mod = importlib.import_module(module.name)
        for cls in vars(mod).values():
            ours = inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == mod.__name__
            if ours and cls.base_fields:  # a base class without fields is no form to fill in
                found.append(cls)
    return found


def build(cls: type[forms.BaseForm]) -> forms.BaseForm:
    kwargs = ARGUMENTS.get(f"{cls.__module__}.{cls.__name__}", ARGUMENTS.get(cls.__name__, dict))()
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - the message says what to do
        pytest.fail(f"{cls.__module__}.{cls.__name__} needs arguments: add them to ARGUMENTS ({exc})")


def test_the_scan_finds_the_forms():
    names = {cls.__name__ for cls in every_form()}
    assert {"NewProjectForm", "TeamMemberForm", "AddMemberForm", "MeasureForm", "StoryForm"} <= names


@pytest.mark.parametrize("form_class", every_form(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_required_field_has_a_message_of_its_own(form_class):
    form = build(form_class)
    missing = [
        name
        for name, field in form.fields.items()
        if field.required and str(field.error_messages.get("required")) == DEFAULT
    ]
    assert not missing, f"{form_class.__name__}: give {missing} a required message saying what to enter"


def test_the_scan_would_catch_a_field_without_one():
    class Careless(forms.Form):
        name = forms.CharField()

    form = Careless()
    assert str(form.fields["name"].error_messages["required"]) == DEFAULT
