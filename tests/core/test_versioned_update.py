"""The one versioned update (spiral.core.audit): refuse a stale version, then set, bump, save and audit."""

from __future__ import annotations

import pytest

from spiral.core import audit
from spiral.core.models import AuditEvent
from spiral.organisations.models import Unit


class StaleThing(audit.StaleEdit):
    message = "This {kind} changed under you"


def test_a_matching_version_or_none_is_not_refused(tree):
    unit = tree["org"]
    audit.refuse_stale(unit, unit.version)
    audit.refuse_stale(unit, None)


def test_a_stale_version_is_refused_with_the_saved_record(tree):
    unit = tree["org"]
    with pytest.raises(audit.StaleEdit) as caught:
        audit.refuse_stale(unit, unit.version + 1)
    assert caught.value.current is unit
    assert str(caught.value) == (
        "This record was changed by someone else since you opened it; reload and try again"
    )


def test_an_app_words_its_own_refusal_and_names_the_record(tree):
    with pytest.raises(StaleThing, match=r"^This ward changed under you$"):
        audit.refuse_stale(tree["org"], 99, error=StaleThing, kind="ward")


def test_another_version_field_can_be_checked(tree):
    unit = tree["org"]
    unit.diagram_version = 3  # any integer attribute serves
    audit.refuse_stale(unit, 3, field="diagram_version")
    with pytest.raises(audit.StaleEdit):
        audit.refuse_stale(unit, 2, field="diagram_version")


def test_saving_a_version_sets_bumps_saves_and_audits(tree, leader):
    unit = tree["org"]
    version = unit.version
    event = audit.save_version(
        unit,
        {"name": "Riverside General"},
        by=leader,
        action="unit.update",
        changes={"name": ["Riverside Hospitals", "Riverside General"]},
        scope_path=unit.path,
    )
    stored = Unit.objects.get(pk=unit.pk)
    assert (stored.name, stored.version) == ("Riverside General", version + 1)
    assert AuditEvent.objects.get(pk=event.pk).changes == {
        "name": ["Riverside Hospitals", "Riverside General"]
    }
    assert (event.actor, event.action, event.scope_path) == (leader, "unit.update", unit.path)


def test_saving_only_some_fields_leaves_the_others_as_stored(tree, leader):
    unit = tree["org"]
    unit.code = "NOT-SAVED"
    audit.save_version(
        unit, {"name": "Renamed"}, update_fields=["name", "version"], by=leader, action="unit.update"
    )
    stored = Unit.objects.get(pk=unit.pk)
    assert (stored.name, stored.code) == ("Renamed", "RAA")
