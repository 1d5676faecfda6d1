"""No main page makes more than 21 SQL queries, on the small demo, for people at every level: 20 for the
page, and one for the header's count of unread notifications, which every page shows to a signed-in person.

A page whose query count grows with the rows it shows (an N+1) fails here long before it is slow.
Counted, never timed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from spiral.demo.accounts import DEMO_ACCOUNTS
from spiral.measurement.models import Measure, Series
from spiral.organisations.models import Membership, User
from spiral.projects.models import Project
from spiral.voice.models import FeedbackForm

MAX_QUERIES = 21  # 20 for the page + the header's unread count (spiral.core.notifications)
PEOPLE = ("team@example.com", "lead@example.com", "region@example.com", "admin@example.com")


def _home_unit(person: User):
    return Membership.objects.filter(user=person).select_related("unit").order_by("unit__depth").first().unit


def _busiest_series(person: User) -> Series:
    unit = _home_unit(person)
    return (
        Series.objects.filter(unit__path__startswith=unit.path, observations__isnull=False)
        .order_by("-unit__depth", "pk")
        .first()
    )


def _project(person: User) -> Project:
    unit = _home_unit(person)
    return Project.objects.filter(unit__path__startswith=unit.path).order_by("pk").first() or (
        Project.objects.order_by("pk").first()
    )


def _feedback_unit(person: User) -> str:
    unit = _home_unit(person)
    form = FeedbackForm.objects.filter(unit__path__startswith=unit.path).order_by("pk").first()
    return (form.unit if form else unit).code


def _indicator() -> str:
    measure = Measure.objects.filter(is_indicator=True, series__isnull=False).order_by("pk").first()
    return measure.code


def _across(person: User) -> str:
    measure = Measure.objects.filter(is_indicator=True, series__isnull=False).order_by("pk").first()
    return f"/measures/{measure.pk}/units/{measure.owner.code}/across/"


PAGES: dict[str, Callable[[User], str]] = {
    "home": lambda p: "/",
    "my work": lambda p: "/projects/mine/",
    "unit page": lambda p: f"/units/{_home_unit(p).code}/",
    "unit's measures": lambda p: f"/measures/units/{_home_unit(p).code}/",
    "unit's measures, everything beneath": lambda p: f"/measures/units/{_home_unit(p).code}/?beneath=on",
    "series page": lambda p: f"/measures/series/{_busiest_series(p).pk}/",
    "project page": lambda p: f"/projects/{_project(p).pk}/",
    "portfolio": lambda p: "/projects/",
    "portfolio of a unit": lambda p: f"/projects/?unit={_home_unit(p).code}",
    "search": lambda p: "/search/?q=falls",
    "feedback page": lambda p: f"/feedback/units/{_feedback_unit(p)}/",
    "funnel page": lambda p: f"/benchmarking/{_indicator()}/",
    "indicator across every unit": _across,
    "indicator across every unit, by funnel position": lambda p: _across(p) + "?sort=position",
    "person's page": lambda p: f"/people/{p.pk}/",
    "start a project": lambda p: "/projects/new/",
    "project's team": lambda p: f"/projects/{_project(p).pk}/team/",
}


@pytest.mark.parametrize("email", PEOPLE)
@pytest.mark.parametrize("page", PAGES)
def test_a_main_page_makes_at_most_twenty_one_queries(demo, django_assert_max_num_queries, email, page):
    person = User.objects.get(email=email)
    client = Client()
    client.force_login(person)
    url = PAGES[page](person)
    assert client.get(url).status_code == 200  # warm: analyses computed, caches filled
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize("email", [a.email for a in DEMO_ACCOUNTS])
def test_every_demo_persons_home_makes_at_most_twenty_queries(demo, django_assert_max_num_queries, email):
    client = Client()
    client.force_login(User.objects.get(email=email))
    assert client.get("/").status_code == 200  # warm
    with django_assert_max_num_queries(MAX_QUERIES) as counted:
        response = client.get("/")
    assert response.status_code == 200
    print(email, len(counted.captured_queries))  # noqa: T201 - shown with -s
