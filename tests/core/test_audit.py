"""Every change to units, memberships and profiles is attributable: who, when, what changed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from spiral.core.models import AuditEvent
from spiral.organisations import services
from tests.factories import UserFactory


def only_event(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_creating_a_unit_records_who_when_and_its_values(tree, leader):
    before = timezone.now()
    unit = services.create_unit(
        code="RAA-MED-02", name="Ward 2", kind="team", parent=tree["directorate"], by=leader
    )
    event = only_event("unit.create")
    assert event.actor == leader
    assert before - dt.timedelta(seconds=1) <= event.at <= timezone.now()
    assert (event.object_type, event.object_id) == ("organisations.unit", str(unit.pk))
    assert event.changes == {
        "code": [None, "RAA-MED-02"], "name": [None, "Ward 2"], "kind": [None, "team"],
        "parent": [None, "RAA-MED"],
    }  # fmt: skip
    assert event.scope_path == unit.path


def test_updating_a_unit_records_only_what_changed(tree, leader):
    services.update_unit(unit=tree["org"], by=leader, name="Riverside General", code="RAA")
    event = only_event("unit.update")
    assert event.actor == leader
    assert event.changes == {"name": ["Riverside Hospitals", "Riverside General"]}


def test_an_update_that_changes_nothing_records_nothing(tree, leader):
    services.update_unit(unit=tree["org"], by=leader, name="Riverside Hospitals")
    assert not AuditEvent.objects.filter(action="unit.update").exists()


def test_moving_a_unit_records_the_old_and_new_parent(tree, admin_user):
    services.move_unit(unit=tree["directorate"], new_parent=tree["other_org"], by=admin_user)
    event = only_event("unit.move")
    assert event.actor == admin_user
    assert event.changes["parent"] == ["RAA", "RBB"]


def test_adding_and_removing_a_role_are_recorded(tree, leader):
    person = UserFactory()
    membership = services.add_membership(user=person, unit=tree["team"], role="coach", by=leader)
    services.remove_membership(membership=membership, by=leader)
    added, removed = only_event("membership.add"), only_event("membership.remove")
    assert added.actor == removed.actor == leader
    assert added.changes == {
        "user": [None, person.email],
        "unit": [None, "RAA-MED-01"],
        "role": [None, "coach"],
    }
    assert removed.changes["role"] == ["coach", None]
    assert added.scope_path == removed.scope_path == tree["team"].path


def test_adding_a_role_someone_already_holds_records_nothing(tree, member, leader):
    services.add_membership(user=member, unit=tree["team"], role="member", by=leader)
    assert not AuditEvent.objects.filter(action="membership.add").exists()


def test_a_profile_update_records_who_and_what_changed(tree, member):
    services.update_profile(user=member, by=member, job_title="Ward sister", display_name=member.display_name)
    event = only_event("user.update")
    assert event.actor == member
    assert event.changes == {"job_title": ["Staff nurse", "Ward sister"]}


def test_a_change_by_the_system_has_no_actor(tree):
    services.update_unit(unit=tree["org"], by=None, name="Renamed by a script")
    assert only_event("unit.update").actor is None


def test_an_event_reads_as_when_what_and_which(tree, leader):
    services.update_unit(unit=tree["org"], by=leader, name="Riverside General")
    assert str(only_event("unit.update")).endswith("unit.update Riverside General (RAA)")
