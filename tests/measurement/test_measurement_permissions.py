"""Every cell of the Measurement table in docs/permissions.md, through can() and the pages."""

from __future__ import annotations

import pytest

from spiral.organisations.permissions import Permission, can
from tests import permtable
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider
from tests.conftest import user_with_role
from tests.factories import MeasureFactory, SeriesFactory, UserFactory

ROLES = permtable.ROLES
# role -> (change measures, record data) on the unit where the role is held and beneath it: read from the
# one role table, which docs/permissions.md is checked against (tests/organisations/test_permissions_doc.py).
TABLE = {
    role: (
        permtable.holds(role, Permission.CHANGE_MEASURE),
        permtable.holds(role, Permission.RECORD_DATA),
    )
    for role in ROLES
}


def test_patient_partners_record_no_data_and_analysts_define_measures():
    # The decisions the Measurement section of docs/permissions.md explains, pinned here.
    assert TABLE["patient_partner"] == (False, False)
    assert TABLE["member"] == (False, True)
    assert TABLE["analyst"] == (True, True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_a_unit_and_beneath_it(tree, role):
    user = user_with_role(role, tree["org"])
    change, record = TABLE[role]
    for unit in (tree["org"], tree["directorate"], tree["team"]):
        assert can(user, Permission.CHANGE_MEASURE, unit) is change
        assert can(user, Permission.RECORD_DATA, unit) is record
    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    assert can(user, Permission.RECORD_DATA, series) is record
    assert can(user, Permission.CHANGE_MEASURE, series.measure) is change


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_a_sibling_or_an_ancestor(tree, role):
    user = user_with_role(role, tree["org"])
    for unit in (tree["other_org"], tree["other_team"], tree["icb"]):
        assert not can(user, Permission.CHANGE_MEASURE, unit)
        assert not can(user, Permission.RECORD_DATA, unit)


def test_without_a_role_or_signed_in_nothing_may_change(tree):
    nobody = UserFactory()
    assert not can(nobody, Permission.RECORD_DATA, tree["team"])
    assert not can(None, Permission.RECORD_DATA, tree["team"])
    superuser = UserFactory(is_superuser=True)
    assert can(superuser, Permission.CHANGE_MEASURE, tree["team"])


def test_pages_refuse_anonymous_visitors(tree):
    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    for path in (
        "/measures/",
        f"/measures/units/{tree['team'].code}/",
        f"/measures/series/{series.pk}/",
        "/measures/import/",
        f"/measures/series/{series.pk}/export.csv",
    ):
        assert_refuses_anonymous(path)


def test_pages_refuse_outsiders_who_would_change_data(tree, outsider):
    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    assert_refuses_outsider(
        f"/measures/series/{series.pk}/", outsider, "post", {"period": "2025-01", "value": "1"}
    )
    assert_refuses_outsider(f"/measures/{series.measure.pk}/edit/", outsider)
    assert_refuses_outsider(f"/measures/new/?unit={tree['org'].code}", outsider)


def test_a_patient_partner_may_see_but_not_record(tree):
    partner = user_with_role("patient_partner", tree["team"])
    series = SeriesFactory(measure=MeasureFactory(owner=tree["team"]), unit=tree["team"])
    assert_refuses_outsider(
        f"/measures/series/{series.pk}/", partner, "post", {"period": "2025-01", "value": "1"}
    )
    assert_refuses_outsider("/measures/import/", partner)
