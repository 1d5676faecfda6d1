"""factory_boy factories for every model the tests need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from spiral.organisations.models import ApiToken, Membership, Unit, User, path_segment


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.nhs.uk")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    job_title = "Staff nurse"
    profession = "Nursing"
    password = factory.django.Password("correct horse battery")


class UnitFactory(factory.django.DjangoModelFactory):
    """Creates a unit with a correct materialised path (saved twice: the path needs the id)."""

    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = "team"
    parent = None
    organisation_type = ""

    @classmethod
    def _create(cls, model_class: type[Unit], *args: Any, **kwargs: Any) -> Unit:
        unit = model_class(*args, **kwargs)
        unit.path = ""
        unit.save()
        parent = unit.parent
        unit.path = (parent.path if parent else "") + path_segment(unit.pk)
        unit.depth = parent.depth + 1 if parent else 0
        unit.save(update_fields=["path", "depth"])
        return unit


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = "member"


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "script"
    token_hash = factory.Sequence(lambda n: ApiToken.hash(f"spiral_token{n:030d}"))


# --- projects ---------------------------------------------------------------------------------------


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project with its aim node (as services.create_project makes), no team unless given."""

    class Meta:
        model = "projects.Project"
        skip_postgeneration_save = True

    unit = factory.SubFactory(UnitFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    problem = "Too many falls at night"
    aim = "Reduce falls on the ward by half by next spring"
    status = "active"
    scale = factory.LazyFunction(lambda: _default_scale())

    @factory.post_generation
    def aim_node(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            from spiral.projects.models import DriverNode

            DriverNode.objects.create(project=self, kind="aim", text=self.aim or self.title)


def _default_scale() -> Any:
    from spiral.projects.models import ProgressScale

    return ProgressScale.objects.get(is_default=True)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.TeamMember"

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = "member"


class ChangeIdeaFactory(factory.django.DjangoModelFactory):
    """A change idea: the driver diagram node PDSA cycles test."""

    class Meta:
        model = "projects.DriverNode"

    project = factory.SubFactory(ProjectFactory)
    kind = "change_idea"
    text = factory.Sequence(lambda n: f"Change idea {n}")


class PdsaCycleFactory(factory.django.DjangoModelFactory):
    """A PDSA cycle of a change idea; give `started_on` / `planned_start` for when it happened (the row's
    `created_at` is when it was recorded, which may be much later)."""

    class Meta:
        model = "projects.PdsaCycle"

    change_idea = factory.SubFactory(ChangeIdeaFactory)
    project = factory.LazyAttribute(lambda c: c.change_idea.project)
    number = factory.Sequence(lambda n: n + 1)
    objective = "Test the change on one shift"


class ProgressScoreFactory(factory.django.DjangoModelFactory):
    """One month's self-assessed progress score."""

    class Meta:
        model = "projects.ProgressScore"

    project = factory.SubFactory(ProjectFactory)
    month = factory.LazyFunction(lambda: dt.date.today().replace(day=1))
    score = Decimal("2.0")
    role = "self"
    scale = factory.LazyAttribute(lambda s: s.project.scale)


# --- measurement ------------------------------------------------------------------------------------


class MeasureFactory(factory.django.DjangoModelFactory):
    """A monthly XmR measure owned by a unit (not shared beneath it unless is_indicator=True)."""

    class Meta:
        model = "measurement.Measure"

    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"Measure {n}")
    owner = factory.SubFactory(UnitFactory, kind="organisation")
    measure_type = "outcome"
    chart = "xmr"
    improvement = "increase"
    frequency = "month"
    label = ""
    is_indicator = False


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "measurement.Series"

    measure = factory.SubFactory(MeasureFactory)
    unit = factory.LazyAttribute(lambda o: o.measure.owner)


def _month(n: int) -> Any:
    import datetime as dt

    return dt.date(2024 + n // 12 % 50, n % 12 + 1, 1)


class ObservationFactory(factory.django.DjangoModelFactory):
    """One month's value; `period_start` counts months from January 2024."""

    class Meta:
        model = "measurement.Observation"

    series = factory.SubFactory(SeriesFactory)
    period_start = factory.Sequence(lambda n: _month(n))
    value = 10.0


# --- voice ------------------------------------------------------------------------------------------


def FeedbackFormFactory(**kwargs: Any) -> Any:
    """A published feedback form (through the service, so it has its positive-share measure and series)."""
    from spiral.voice.services import create_form

    kwargs.setdefault("unit", UnitFactory(kind="organisation"))
    kwargs.setdefault("title", "Tell us about your care")
    return create_form(by=None, **kwargs)


# --- knowledge ----------------------------------------------------------------------------------------


class ResourceFactory(factory.django.DjangoModelFactory):
    """A resource (not indexed for search: call spiral.knowledge.search.index_resources, or the service)."""

    class Meta:
        model = "knowledge.Resource"

    title = factory.Sequence(lambda n: f"Resource {n}")
    kind = "guide"
    summary = "A short guide"
    body = ""
    unit = factory.SubFactory(UnitFactory, kind="organisation")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "knowledge.Community"

    name = factory.Sequence(lambda n: f"Community {n}")
    description = "People improving together"
    unit = factory.SubFactory(UnitFactory, kind="organisation")


# --- priorities -----------------------------------------------------------------------------------------


def GoalFactory(**kwargs: Any) -> Any:
    """A True North goal set at a unit (through the service, so it has its measures), by the system.

    measures: [(measure, target)]; by default one new indicator of the unit, target 0.9."""
    import datetime as dt

    from spiral.priorities.services import set_goal

    unit = kwargs.pop("unit", None) or UnitFactory(kind="organisation")
    if "measures" not in kwargs:
        kwargs["measures"] = [(MeasureFactory(owner=unit, is_indicator=True), 0.9)]
    kwargs.setdefault("title", "Zero avoidable harm")
    kwargs.setdefault("category", "safety")
    kwargs.setdefault("target_date", dt.date(2027, 3, 31))
    kwargs.setdefault("by", None)
    return set_goal(unit=unit, **kwargs)


def ResponseFactory(*, goal: Any, unit: Any, response: str = "adopt", **kwargs: Any) -> Any:
    """A unit's answer to the goal of the unit above (adopt by default), by the system."""
    from spiral.priorities.services import respond

    if response != "adopt":
        kwargs.setdefault("reason", "Our context differs")
    if response == "adapt":
        kwargs.setdefault("target", 0.8)
    kwargs.setdefault("by", None)
    return respond(goal=goal, unit=unit, response=response, **kwargs)


class ProjectMeasureFactory(factory.django.DjangoModelFactory):
    """A series linked to a project as a process measure."""

    class Meta:
        model = "projects.ProjectMeasure"

    project = factory.SubFactory(ProjectFactory)
    series = factory.SubFactory(SeriesFactory)
    role = "process"


class HandoverFactory(factory.django.DjangoModelFactory):
    """A sustaining project's hand-over checklist, empty unless given."""

    class Meta:
        model = "sustainability.Handover"

    project = factory.SubFactory(ProjectFactory, stage="sustaining")


class AssessmentResponseFactory(factory.django.DjangoModelFactory):
    """One person's Sustainability Model answers about a project (every factor at `level`, default a)."""

    class Meta:
        model = "assessments.Response"
        skip_postgeneration_save = True

    instrument = factory.LazyFunction(
        lambda: __import__("spiral.assessments.models", fromlist=["Instrument"]).Instrument.objects.get(
            slug="nhs-sustainability-model", is_current=True
        )
    )
    project = factory.SubFactory(ProjectFactory)
    unit = factory.LazyAttribute(lambda o: o.project.unit)
    respondent = factory.SubFactory(UserFactory)
    answered_on = factory.LazyFunction(lambda: __import__("datetime").date.today())
    total = 0

    @factory.post_generation
    def level(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        from spiral.assessments.models import Answer

        chosen = [i.options.get(key=extracted or "a") for i in self.instrument.items.all()]
        Answer.objects.bulk_create(Answer(response=self, item=o.item, option=o) for o in chosen)
        self.total = sum(o.score for o in chosen)
        self.save(update_fields=["total"])


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    """A completed course of a tier (the tiers are data: pass `tier=TrainingTier.objects.get(slug=...)`)."""

    class Meta:
        model = "capability.TrainingRecord"

    person = factory.SubFactory(UserFactory)
    tier = factory.LazyFunction(lambda: _tier("awareness"))
    unit = factory.SubFactory(UnitFactory)
    completed_on = dt.date(2025, 3, 14)
    provider = "Trust QI team"


def _tier(slug: str) -> Any:
    from spiral.capability.models import TrainingTier

    return TrainingTier.objects.get(slug=slug)


class HeadcountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "capability.Headcount"

    unit = factory.SubFactory(UnitFactory)
    period_start = dt.date(2025, 4, 1)
    staff = 100
