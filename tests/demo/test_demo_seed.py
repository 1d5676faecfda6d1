"""The demo is deterministic: the same seed builds the same units, people and roles."""

from __future__ import annotations

from django.db import transaction

from spiral.demo.builder import build_demo
from spiral.organisations.models import Membership, Unit, User


def snapshot() -> dict[str, object]:
    return {
        "units": list(
            Unit.objects.order_by("code").values_list("code", "name", "kind", "parent__code", "path")
        ),
        "people": list(User.objects.order_by("email").values_list("email", "display_name", "job_title")),
        "roles": sorted(Membership.objects.values_list("user__email", "unit__code", "role")),
    }


def build_and_snapshot(seed: int) -> dict[str, object]:
    """Build the demo, read it, and undo it (a savepoint), leaving the database as it was."""
    savepoint = transaction.savepoint()
    try:
        build_demo(size="small", seed=seed)
        return snapshot()
    finally:
        transaction.savepoint_rollback(savepoint)


def test_the_same_seed_builds_the_same_demo(db):
    first = build_and_snapshot(1)
    assert not Unit.objects.exists()
    assert build_and_snapshot(1) == first
    assert len(first["units"]) > 200


def test_another_seed_builds_a_different_demo(db):
    assert build_and_snapshot(2)["people"] != build_and_snapshot(1)["people"]
