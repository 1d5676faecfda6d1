"""Kept pages (spiral.core.pagecache): served again to the same person until anything is written, never to
someone else, with this request's own CSP nonce and CSRF token, and never while a change is uncommitted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from spiral.core import pagecache
from spiral.organisations.models import Role, Unit
from tests.conftest import client_for, user_with_role

HIT = "X-Spiral-Page-Cache"


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "projects_project" ("title") VALUES (%s)', "projects_project"),
        ("insert or replace into organisations_unit (name) values (?)", "organisations_unit"),
        ('UPDATE "measurement_observation" SET "value" = 1', "measurement_observation"),
        ('  DELETE FROM "knowledge_resource" WHERE id = 1', "knowledge_resource"),
        ('INSERT INTO "spiral_cache" (cache_key) VALUES (%s)', "spiral_cache"),
        ("CREATE TABLE x (id int)", None),
        ("TRUNCATE organisations_unit", ""),
        ("WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved", ""),
        ('SELECT "id" FROM "organisations_unit"', None),
        ('SELECT 1 FROM "projects_project" WHERE "title" = \'UPDATE x\' FOR UPDATE', None),
        ('SAVEPOINT "s1"', None),
    ],
)
def test_the_statements_that_write_are_told_from_those_that_read(sql: str, table: str | None) -> None:
    assert pagecache._table_written(sql) == table


def _home(client: Client) -> Any:
    response = client.get("/")
    assert response.status_code == 200
    return response


def _nonce(response: Any) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


@pytest.mark.django_db(transaction=True)
def test_a_page_is_kept_for_its_person_until_something_is_written(tree: dict[str, Unit]) -> None:
    person = user_with_role(Role.MEMBER, tree["team"], display_name="Ada Keeper")
    other = user_with_role(Role.MEMBER, tree["other_team"], display_name="Bea Other")
    client = client_for(person)

    first = _home(client)
    assert HIT not in first
    again = _home(client)
    assert again[HIT] == "hit"
    assert tree["team"].name in again.content.decode()

    # Someone else never gets the page kept for another person.
    theirs = _home(client_for(other))
    assert HIT not in theirs
    assert "Bea Other" in theirs.content.decode() and "Ada Keeper" not in theirs.content.decode()

    # A write through the ORM without signals (QuerySet.update) starts a new generation.
    Unit.objects.filter(pk=tree["team"].pk).update(name="Ward 1 renamed")
    fresh = _home(client)
    assert HIT not in fresh
    assert "Ward 1 renamed" in fresh.content.decode()
    assert _home(client)[HIT] == "hit"

    # So does raw SQL, and a write inside a transaction once it commits.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE organisations_unit SET name = %s WHERE id = %s", ["Ward One", tree["team"].pk])
    fresh = _home(client)
    assert HIT not in fresh and "Ward One" in fresh.content.decode()

    # A write that is rolled back changes nothing: the kept page stays.
    assert _home(client)[HIT] == "hit"
    with pytest.raises(RuntimeError), transaction.atomic():
        Unit.objects.filter(pk=tree["team"].pk).update(name="never")
        raise RuntimeError
    assert _home(client)[HIT] == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_kept_page_carries_this_requests_nonce_and_a_csrf_token_that_works(tree: dict[str, Unit]) -> None:
    person = user_with_role(Role.MEMBER, tree["team"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    first = _home(client)
    kept = _home(client)
    assert kept[HIT] == "hit"
    html = kept.content.decode()
    assert _nonce(kept) != _nonce(first)
    assert f'nonce="{_nonce(kept)}"' in html and _nonce(first) not in html
    assert "__spiral" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    # The sign-out form on the kept page is accepted with its token.
    response = client.post("/sign-out/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.django_db
def test_nothing_is_kept_or_served_while_this_connection_has_uncommitted_writes(
    tree: dict[str, Unit],
) -> None:
    # The test runs inside one transaction and the fixture has written: pages are built every time.
    person = user_with_role(Role.MEMBER, tree["team"])
    client = client_for(person)
    assert pagecache.has_unsaved_writes()
    assert HIT not in _home(client)
    assert HIT not in _home(client)


@pytest.mark.django_db(transaction=True)
def test_pages_are_not_kept_when_turned_off(tree: dict[str, Unit], settings: Any) -> None:
    settings.SPIRAL_PAGE_CACHE_SECONDS = 0
    client = client_for(user_with_role(Role.MEMBER, tree["team"]))
    _home(client)
    assert HIT not in _home(client)
