"""The audit history: an admin filters it by where, who, what and when; its rows cannot be changed."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client
from django.utils import timezone

from spiral.core.models import AuditEvent, AuditIsAppendOnly
from spiral.organisations import services
from tests.conftest import client_for, user_with_role
from tests.factories import UserFactory


def rows(response) -> list[str]:
    """The audit table's rows, as plain text."""
    html = response.content.decode()
    body = re.search(r'<tbody class="nhsuk-table__body">(.*?)</tbody>', html, re.S).group(1)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()
        for r in re.findall(r"<tr.*?</tr>", body, re.S)
    ]


def at(day: dt.date):
    """Record what happens inside as if at noon on `day`."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def history(tree, admin_user, leader):
    """Changes by two people, to two units and a role, on three days."""
    with at(dt.date(2026, 3, 1)):
        services.update_unit(unit=tree["org"], by=leader, name="Riverside General")
    with at(dt.date(2026, 3, 15)):
        services.update_unit(unit=tree["other_org"], by=admin_user, name="Hillside Community")
    with at(dt.date(2026, 4, 2)):
        services.add_membership(user=UserFactory(), unit=tree["team"], role="coach", by=leader)
    return tree


# --- filtering ---------------------------------------------------------------------------------------------


def test_an_admin_filters_the_history_by_who_made_the_change(history, admin_user, leader):
    found = rows(client_for(admin_user).get("/audit/", {"person": leader.email.upper()}))
    assert len(found) == 2
    assert all(leader.display_name in r for r in found)


def test_an_admin_filters_the_history_by_action(history, admin_user):
    found = rows(client_for(admin_user).get("/audit/", {"action": "membership."}))
    assert len(found) == 1 and "membership.add" in found[0]


def test_an_admin_filters_the_history_of_one_object(history, admin_user):
    response = client_for(admin_user).get(
        "/audit/", {"object_type": "organisations.unit", "object_id": str(history["other_org"].pk)}
    )
    found = rows(response)
    assert len(found) == 1 and "Hillside Community" in found[0]


def test_an_admin_filters_the_history_by_date_both_days_included(history, admin_user):
    client = client_for(admin_user)
    found = rows(client.get("/audit/", {"date_from": "2026-03-01", "date_to": "15/03/2026"}))
    assert len(found) == 2 and "Riverside General" in found[1] and "Hillside Community" in found[0]
    assert len(rows(client.get("/audit/", {"date_from": "2026-03-02"}))) == 2
    assert len(rows(client.get("/audit/", {"date_to": "2026-02-28"}))) == 1  # "No changes recorded"
    assert (
        "No changes recorded that match these filters"
        in rows(client.get("/audit/", {"date_to": "2026-02-28"}))[0]
    )


def test_filters_combine(history, admin_user, leader):
    found = rows(client_for(admin_user).get("/audit/", {"person": leader.email, "action": "unit."}))
    assert len(found) == 1 and "Riverside General" in found[0]


def test_each_row_links_to_the_history_of_its_object_and_of_its_author(history, admin_user, leader):
    html = client_for(admin_user).get("/audit/").content.decode()
    assert f'href="/audit/?object_type=organisations.unit&amp;object_id={history["org"].pk}"' in html
    assert "/audit/?person=" in html


def test_the_filters_stay_scoped_to_the_admins_tree(history):
    org_admin = user_with_role("admin", history["org"])
    found = rows(client_for(org_admin).get("/audit/", {"action": "unit."}))
    assert len(found) == 1 and "Riverside General" in found[0]
    other = {"object_type": "organisations.unit", "object_id": str(history["other_org"].pk)}
    assert "No changes recorded" in rows(client_for(org_admin).get("/audit/", other))[0]


def test_the_filter_form_uses_the_nhs_error_summary_and_shows_nothing_when_in_error(history, admin_user):
    response = client_for(admin_user).get(
        "/audit/", {"person": "nobody@example.nhs.uk", "date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_person"' in html and "No one with the email address nobody@example.nhs.uk" in html
    assert 'href="#id_date_to"' in html and "must be on or after the &#39;from&#39; date" in html
    assert "No changes recorded" in rows(response)[0]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [({"date_from": "1066-10-14"}, "date_from", "Enter a date from 2000-01-01"),
     ({"date_to": "31/02/2026"}, "date_to", "Enter a real date"),
     ({"object_id": "12"}, "object_type", "Choose the kind of record"),
     ({"object_type": "no.such"}, "object_type", "Select a valid choice")],
)  # fmt: skip
def test_a_bad_filter_is_refused_with_a_message_on_its_field(history, admin_user, params, field, message):
    response = client_for(admin_user).get("/audit/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="#id_{field}"' in html and message in html


def test_the_history_is_paginated_keeping_the_filters(tree, admin_user, leader):
    for n in range(51):
        services.update_unit(unit=tree["team"], by=leader, name=f"Ward {n}")
    client = client_for(admin_user)
    first = client.get("/audit/", {"person": leader.email})
    assert len(rows(first)) == 50
    assert "page=2" in first.content.decode() and "person=" in first.content.decode()
    second = client.get("/audit/", {"person": leader.email, "page": 2})
    assert len(rows(second)) == 1 and "Ward 0" in rows(second)[0]


def test_the_filtered_history_is_for_admins_only(history, leader):
    assert client_for(leader).get("/audit/", {"person": leader.email}).status_code == 403
    assert Client().get("/audit/").status_code == 302


# --- append-only -------------------------------------------------------------------------------------------


@pytest.fixture
def event(tree, leader) -> AuditEvent:
    services.update_unit(unit=tree["org"], by=leader, name="Riverside General")
    return AuditEvent.objects.get(action="unit.update")


def test_an_audit_event_cannot_be_saved_again(event):
    event.action = "unit.nothing"
    with pytest.raises(AuditIsAppendOnly, match="cannot be changed"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "unit.update"


def test_an_audit_event_cannot_be_deleted(event):
    with pytest.raises(AuditIsAppendOnly, match="cannot be deleted"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(AuditIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="unit.nothing")
    with pytest.raises(AuditIsAppendOnly), transaction.atomic():  # bulk_update runs in a transaction
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "unit.update"


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(AuditIsAppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditIsAppendOnly):
        AuditEvent._base_manager.all().delete()
    assert AuditEvent.objects.count() == 1


def test_a_person_with_a_history_cannot_be_deleted_so_who_is_never_lost(event, leader):
    with pytest.raises(ProtectedError):
        leader.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor == leader


def test_the_django_admin_shows_audit_events_read_only(event, rf):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    model_admin = site._registry[AuditEvent]
    request = rf.get("/admin/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    client = client_for(superuser)
    response = client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
