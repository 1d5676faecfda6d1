"""Decisions that are more than one permission on one object, asked of permissions.py by name: a new top
of the hierarchy, importing units, the import of measurement data, linking to a community."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client

from spiral.knowledge import services as knowledge
from spiral.organisations.models import Role
from spiral.organisations.permissions import (
    may_create_unit,
    may_import_data,
    may_import_units_beneath,
    require_may_create_unit,
    require_may_link_to_community,
)
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_a_superuser_starts_a_new_top_of_the_hierarchy(tree):
    admin = user_with_role(Role.ADMIN, tree["nation"])
    assert may_create_unit(UserFactory(is_superuser=True), None)
    assert not may_create_unit(admin, None)
    assert not may_create_unit(AnonymousUser(), None)
    with pytest.raises(
        PermissionDenied, match="without a parent can only be created by a system administrator"
    ):
        require_may_create_unit(admin, None)


def test_a_unit_beneath_another_needs_change_unit_on_the_parent(tree):
    leader = user_with_role(Role.LEADER, tree["org"])
    assert may_create_unit(leader, tree["directorate"])
    assert not may_create_unit(leader, tree["icb"])
    with pytest.raises(PermissionDenied, match="change unit"):
        require_may_create_unit(leader, tree["other_org"])


def test_the_api_refuses_a_top_unit_to_everyone_but_a_superuser(tree):
    body = json.dumps({"code": "WAL", "name": "Wales", "kind": "nation"})
    for person, status in (
        (user_with_role(Role.ADMIN, tree["nation"]), 403),
        (UserFactory(is_superuser=True), 201),
    ):
        response = Client().post("/api/v1/units", body, content_type="application/json", **bearer(person))
        assert response.status_code == status, response.content


def test_units_are_imported_where_the_importer_holds_import_units_and_anywhere_by_the_system(tree):
    admin = user_with_role(Role.ADMIN, tree["org"])
    assert may_import_units_beneath(None, None)  # the command line
    assert may_import_units_beneath(None, tree["icb"])
    assert may_import_units_beneath(admin, tree["team"])
    assert not may_import_units_beneath(admin, tree["other_org"])
    assert not may_import_units_beneath(admin, None)  # the top of the hierarchy: superusers only
    assert may_import_units_beneath(UserFactory(is_superuser=True), None)


@pytest.mark.parametrize(("role", "allowed"), [(Role.MEMBER, True), (Role.PATIENT_PARTNER, False)])
def test_the_import_of_data_opens_to_whoever_records_data_or_defines_measures_somewhere(tree, role, allowed):
    assert may_import_data(user_with_role(role, tree["team"])) is allowed
    assert may_import_data(user_with_role(Role.ANALYST, tree["team"]))  # defines measures
    assert not may_import_data(UserFactory())


def test_a_communitys_facilitator_and_its_units_curators_keep_its_links_and_nobody_else(tree):
    facilitator = UserFactory()
    community = knowledge.create_community(unit=tree["org"], name="Falls prevention", by=facilitator)
    require_may_link_to_community(facilitator, community)  # no unit role: the facilitator
    require_may_link_to_community(user_with_role(Role.COACH, tree["org"]), community)  # create_community
    for outsider in (UserFactory(), user_with_role(Role.COACH, tree["other_org"]), AnonymousUser()):
        with pytest.raises(PermissionDenied):
            require_may_link_to_community(outsider, community)


def test_the_api_lets_the_facilitator_link_and_refuses_another_member(tree):
    facilitator, member = UserFactory(), UserFactory()
    community = knowledge.create_community(unit=tree["org"], name="Falls prevention", by=facilitator)
    knowledge.join_community(community=community, by=member)
    for person, status in ((facilitator, 200), (member, 403)):
        response = Client().post(
            f"/api/v1/communities/{community.pk}/links",
            "{}",
            content_type="application/json",
            **bearer(person),
        )
        assert response.status_code == status, response.content
