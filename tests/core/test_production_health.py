"""/healthz answers 503 whenever pages could not be served: the load balancer must not send people to a
server whose every page would be a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test import Client

from spiral.core import views


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "_migrations_applied", False)


def test_the_health_check_answers_ok_when_pages_render(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


def test_the_health_check_fails_when_static_files_were_not_collected(db, settings, tmp_path):
    # Production's manifest storage with an empty STATIC_ROOT: what a failed `collectstatic` leaves.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    assert client.get("/sign-in/").status_code == 500  # what people would get

    response = client.get("/healthz")
    assert response.status_code == 503
    text = response.content.decode()
    assert text.startswith("unhealthy")
    assert "pages: a static file is missing from the manifest; run `spiral collectstatic --no-input`" in text


def test_the_health_check_fails_when_the_database_does_not_answer(db, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connections["default"], "cursor", refuse)
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert "database: OperationalError" in response.content.decode()
    assert "connection refused" not in response.content.decode()  # details go to the log only


def test_the_health_check_fails_when_migrations_are_not_applied(db, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)])
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert "database: the database has migrations not yet applied; run `spiral migrate`" in (
        response.content.decode()
    )
