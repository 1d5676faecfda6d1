"""In-app notifications: each person's own list, unread count in the header, mark read on the page and
the API, sent once per key."""

from __future__ import annotations

import pytest
from django.test import Client

from spiral.core.models import Notification
from spiral.core.notifications import notify, unread_count
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_sends_one_per_person_and_once_per_key():
    alice, bob = UserFactory(), UserFactory()
    sent = notify([alice, bob, alice], title="Gain at risk", url="/projects/1/", key="alert:1")
    assert len(sent) == 2
    assert notify([alice, bob], title="Gain at risk", key="alert:1") == []  # the same episode: nothing new
    assert len(notify([alice], title="Another", key="alert:2")) == 1
    assert unread_count(alice) == 2 and unread_count(bob) == 1


def test_the_header_shows_the_unread_count_and_a_person_sees_only_their_own():
    alice, bob = UserFactory(), UserFactory()
    notify([alice], title="For Alice only", body="Something slipped")
    page = client_for(alice).get("/notifications/").content.decode()
    assert "For Alice only" in page and 'spiral-unread">1<' in page
    other = client_for(bob).get("/notifications/").content.decode()
    assert "For Alice only" not in other and "spiral-unread" not in other


def test_anonymous_visitors_are_sent_to_sign_in_and_cost_no_count_query(django_assert_num_queries):
    assert Client().get("/notifications/").status_code == 302
    with django_assert_num_queries(0):
        assert unread_count(None) == 0


def test_marking_one_and_all_as_read_on_the_page():
    alice, bob = UserFactory(), UserFactory()
    first, _second = notify([alice], title="One") + notify([alice], title="Two")
    theirs = notify([bob], title="Bob's")[0]
    client = client_for(alice)
    client.post("/notifications/", {"read": first.pk})
    first.refresh_from_db()
    assert first.read_at is not None and unread_count(alice) == 1
    client.post("/notifications/", {"read": theirs.pk})  # not hers: nothing happens to it
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/notifications/", {"all": "1"})
    assert unread_count(alice) == 0 and unread_count(bob) == 1


def test_the_api_lists_pages_and_marks_read():
    alice, bob = UserFactory(), UserFactory()
    for n in range(3):
        notify([alice], title=f"Note {n}")
    notify([bob], title="Bob's")
    client = client_for(alice)
    data = client.get("/api/v1/notifications?limit=2").json()
    assert data["count"] == 3 and len(data["items"]) == 2 and data["items"][0]["title"] == "Note 2"
    one = data["items"][0]["id"]
    bobs = Notification.objects.get(recipient=bob).pk
    answer = client.post("/api/v1/notifications/read", {"ids": [one, bobs]}, content_type="application/json")
    assert answer.json() == {"marked": 1, "unread": 2}
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 2
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json").json() == {
        "marked": 2,
        "unread": 0,
    }
    assert Notification.objects.get(pk=bobs).read_at is None
