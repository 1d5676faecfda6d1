"""A small cascade: Riverside Hospitals (the organisation) sets a goal on an indicator of England; its
directorate Medicine and Medicine's team Ward 1 are beneath it; Hillside Trust is another branch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from spiral.measurement import analyses
from spiral.organisations.models import Role, Unit, User
from tests.conftest import user_with_role
from tests.factories import GoalFactory, MeasureFactory, ObservationFactory, SeriesFactory


@pytest.fixture
def indicator(tree: dict[str, Unit]) -> Any:
    """A share of patients harmed... as a count of falls: lower is better, observed by every unit."""
    return MeasureFactory(owner=tree["nation"], code="FALLS", name="Falls", is_indicator=True,
                          improvement="decrease")  # fmt: skip


@pytest.fixture
def goal(tree: dict[str, Unit], indicator: Any) -> Any:
    return GoalFactory(unit=tree["org"], measures=[(indicator, 4.0)], title="Zero avoidable harm")


@pytest.fixture
def org_leader(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.LEADER, tree["org"])


@pytest.fixture
def team_leader(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.LEADER, tree["team"])


@pytest.fixture
def directorate_leader(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.LEADER, tree["directorate"])


def observe(measure: Any, unit: Unit, values: list[float]) -> Any:
    """A monthly series of `values` from January 2024, with its analysis computed."""
    series = SeriesFactory(measure=measure, unit=unit)
    for i, value in enumerate(values):
        ObservationFactory(series=series, period_start=dt.date(2024 + i // 12, i % 12 + 1, 1), value=value)
    analyses.recompute([series.pk])
    return series


# Eight months well above twelve before: a shift (special cause, high side).
SHIFT_UP = [10.0, 11.0, 9.0, 10.0, 10.0, 11.0, 9.0, 10.0, 10.0, 11.0, 9.0, 10.0] + [20.0] * 8
STEADY = [10.0, 11.0, 9.0, 10.0, 10.0, 11.0, 9.0, 10.0, 10.0, 11.0, 9.0, 10.0]
