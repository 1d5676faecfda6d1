"""The project cast: a project on Ward 1 with a lead, a patient partner and a coach on its team."""

from __future__ import annotations

import pytest

from spiral.organisations.models import Unit, User
from spiral.projects import services
from spiral.projects.models import Project
from tests.factories import UserFactory


@pytest.fixture
def lead(tree: dict[str, Unit]) -> User:
    return UserFactory(display_name="Lola Lead")


@pytest.fixture
def partner(tree: dict[str, Unit]) -> User:
    return UserFactory(display_name="Pat Partner")


@pytest.fixture
def coach(tree: dict[str, Unit]) -> User:
    return UserFactory(display_name="Cora Coach")


@pytest.fixture
def project(tree: dict[str, Unit], lead: User, partner: User, coach: User) -> Project:
    return services.create_project(
        unit=tree["team"],
        title="Fewer falls on Ward 1",
        problem="Twelve falls a month, most at night",
        aim="Reduce falls on Ward 1 from 8 to 4 per 1,000 bed days by March",
        status="active",
        topics=["Falls", "older people"],
        team=[(lead, "lead"), (partner, "patient_partner"), (coach, "coach")],
        by=lead,
    )
