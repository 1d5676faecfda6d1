"""factory_boy factories for every model the tests need."""

from __future__ import annotations

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
