"""Shared fixtures: a small hierarchy and a permission cast (owner, colleague, outsider, anonymous)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from spiral.organisations.models import Role, Unit, User
from tests.factories import MembershipFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def tree(db: object) -> dict[str, Unit]:
    """nation → region → icb → organisation → directorate → team, and a sibling organisation."""
    nation = UnitFactory(kind="nation", code="ENG", name="England", parent=None)
    region = UnitFactory(kind="region", code="Y56", name="London", parent=nation)
    icb = UnitFactory(kind="icb", code="QAA", name="NHS Riverside ICB", parent=region)
    org = UnitFactory(
        kind="organisation", code="RAA", name="Riverside Hospitals", parent=icb,
        organisation_type="acute_trust",
    )  # fmt: skip
    directorate = UnitFactory(kind="directorate", code="RAA-MED", name="Medicine", parent=org)
    team = UnitFactory(kind="team", code="RAA-MED-01", name="Ward 1", parent=directorate)
    other_org = UnitFactory(
        kind="organisation", code="RBB", name="Hillside Trust", parent=icb,
        organisation_type="community_trust",
    )  # fmt: skip
    other_team = UnitFactory(kind="team", code="RBB-T1", name="District nurses", parent=other_org)
    return {
        "nation": nation, "region": region, "icb": icb, "org": org, "directorate": directorate,
        "team": team, "other_org": other_org, "other_team": other_team,
    }  # fmt: skip


def user_with_role(role: str, unit: Unit, **kwargs: object) -> User:
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def member(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.MEMBER, tree["team"])


@pytest.fixture
def leader(tree: dict[str, Unit]) -> User:
    """Leader of the organisation (may change it and everything beneath)."""
    return user_with_role(Role.LEADER, tree["org"])


@pytest.fixture
def admin_user(tree: dict[str, Unit]) -> User:
    return user_with_role(Role.ADMIN, tree["nation"])


@pytest.fixture
def outsider(tree: dict[str, Unit]) -> User:
    """Leader of the sibling organisation: may change that one, not ours."""
    return user_with_role(Role.LEADER, tree["other_org"])


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def queued_tasks(settings: Any) -> Any:
    """Tasks are queued and not run, as with SPIRAL_TASKS=database before a worker takes them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}}
    return settings


@pytest.fixture(scope="module")
def built(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The small demo, built once for the module that asks for it, inside a transaction rolled back at the
    module's end. Each test's own transaction nests inside it (as a savepoint), like Django's setUpTestData."""
    # The tests' fast password hasher (set per test; this runs before any test of the module).
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        from spiral.demo.builder import build_demo

        outer = transaction.atomic()
        outer.__enter__()
        try:
            build_demo(size="small", seed=1)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(built: Any, db: Any) -> None:
    """Each test runs in a transaction over the built small demo, rolled back afterwards."""
