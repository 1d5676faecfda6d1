"""Riverside Hospitals (the organisation) with its directorate Medicine and team Ward 1; Hillside Trust
next door. Ward 1 has a member, Medicine a leader; the tiers are loaded by the data migration."""

from __future__ import annotations

from typing import Any

import pytest

from spiral.capability.models import TrainingTier
from spiral.organisations.models import Role, Unit, User
from tests.conftest import user_with_role


@pytest.fixture
def tier(db: Any) -> Any:
    return lambda slug: TrainingTier.objects.get(slug=slug)


@pytest.fixture
def nurse(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.MEMBER, tree["team"], display_name="Nina Nurse")


@pytest.fixture
def colleague(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.MEMBER, tree["team"], display_name="Colin Colleague")


@pytest.fixture
def medicine_leader(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.LEADER, tree["directorate"], display_name="Lee Leader")
