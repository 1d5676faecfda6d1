"""Read replicas (spiral.core.db): reads marked for a replica go there, and nobody sees their own write vanish.

The replica here really lags: it is a second database frozen at the moment the test takes it (on SQLite
a copy of the database made with SQLite's backup API; on PostgreSQL a second connection holding a
repeatable-read snapshot), so whatever is written afterwards is on the primary only, as it would be
on a replica a few seconds behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from spiral.core import db
from spiral.organisations import services
from spiral.organisations.models import Unit
from tests.factories import UnitFactory, UserFactory

ALIAS = "replica_1"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ward() -> Unit:
    return UnitFactory(name="Ward")


@pytest.fixture
def lagging_replica(ward, tmp_path) -> Iterator[str]:
    """A replica alias frozen at this moment (it holds the ward, with its first name)."""
    primary = connections["default"]
    settings = dict(primary.settings_dict)
    if primary.vendor == "sqlite":
        primary.ensure_connection()
        copy = sqlite3.connect(tmp_path / "replica.sqlite3")
        primary.connection.backup(copy)
        copy.close()
        settings["NAME"] = str(tmp_path / "replica.sqlite3")
    connections.settings[ALIAS] = settings
    replica = connections[ALIAS]
    # Connect directly: the test case refuses `ensure_connection` to an alias it was not told of.
    replica.connect()
    if replica.vendor == "postgresql":
        with replica.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT count(*) FROM organisations_unit")  # the snapshot is taken here
    wrote = db._wrote.set(False)  # the test's own setup wrote; what follows starts afresh
    try:
        yield ALIAS
    finally:
        db._wrote.reset(wrote)
        if replica.vendor == "postgresql":
            with replica.cursor() as cursor:
                cursor.execute("ROLLBACK")
        replica.close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        cache.clear()


def _answer(request: HttpRequest, *, unit: Unit, rename_to: str | None = None) -> str:
    """A request through the middleware: optionally rename the unit, then read its name where allowed."""

    def view(request: HttpRequest) -> HttpResponse:
        if rename_to is not None:
            services.update_unit(unit=unit, by=request.user, name=rename_to)
        with db.reading_from_replica():
            return HttpResponse(Unit.objects.get(pk=unit.pk).name)

    return db.ReplicaMiddleware(view)(request).content.decode()


def _request(user) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_without_replicas_every_read_goes_to_the_primary():
    with db.reading_from_replica():
        assert db.choose_for_read() is None


def test_a_marked_read_goes_to_the_replica_which_really_lags(ward, lagging_replica):
    admin, reader = UserFactory(is_superuser=True), UserFactory()
    services.update_unit(unit=ward, by=admin, name="Ward renamed")  # after the replica was frozen

    assert _answer(_request(reader), unit=ward) == "Ward"
    assert Unit.objects.get(pk=ward.pk).name == "Ward renamed"  # not marked: the primary


def test_a_request_that_wrote_reads_its_own_write_from_the_primary(ward, lagging_replica):
    admin = UserFactory(is_superuser=True)

    assert _answer(_request(admin), unit=ward, rename_to="Ward renamed") == "Ward renamed"


def test_a_person_who_just_wrote_reads_from_the_primary_on_their_next_requests(ward, lagging_replica):
    admin, colleague = UserFactory(is_superuser=True), UserFactory()

    _answer(_request(admin), unit=ward, rename_to="Ward renamed")

    assert _answer(_request(admin), unit=ward) == "Ward renamed"
    assert _answer(_request(admin), unit=ward) == "Ward renamed"
    # Someone who wrote nothing is answered by the replica, which does not have the change yet.
    assert _answer(_request(colleague), unit=ward) == "Ward"


def test_once_the_sticky_time_has_passed_the_person_reads_from_the_replica_again(
    ward, lagging_replica, settings
):
    settings.SPIRAL_REPLICA_STICKY_SECONDS = 30
    admin = UserFactory(is_superuser=True)
    _answer(_request(admin), unit=ward, rename_to="Ward renamed")

    cache.delete(db._sticky_key(admin.pk))  # what the cache does after SPIRAL_REPLICA_STICKY_SECONDS

    assert _answer(_request(admin), unit=ward) == "Ward"


def test_reads_outside_a_marked_view_and_inside_a_transaction_stay_on_the_primary(lagging_replica):
    from django.db import transaction

    assert db.choose_for_read() is None  # not marked
    with db.reading_from_replica():
        assert db.choose_for_read() == lagging_replica
        with transaction.atomic():
            assert db.choose_for_read() is None


def test_the_cache_and_sessions_are_never_read_from_a_replica(lagging_replica):
    router = db.ReplicaRouter()

    class CacheEntry:
        class _meta:  # noqa: N801 - the shape Django's database cache passes to the router
            app_label = "django_cache"

    with db.reading_from_replica():
        assert router.db_for_read(CacheEntry) is None
        assert router.db_for_read(Unit) == lagging_replica
    assert router.allow_migrate(lagging_replica, "organisations") is False
    assert router.allow_migrate("default", "organisations") is True
