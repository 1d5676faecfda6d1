"""An edit locks the rows it changes and no others (PostgreSQL: two connections).

A `select_for_update()` over a query with joins (`select_related`, or a model's ordering through a
foreign key) locks every joined row: correcting one observation locked its measure and unit, and so
waited for any transaction holding the key-share lock that inserting a row referring to them takes.
A million-row import's commit (Django's foreign keys are checked then, deferred) held those for seconds
(an edit waited 4 – 5 s in bench/import_lock.py). Every `select_for_update` in Spiral names `of=("self",)`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from spiral.measurement import services
from spiral.organisations.models import Unit
from spiral.projects import services as project_services
from tests.factories import MeasureFactory, ProjectFactory, SeriesFactory, UnitFactory

SPIRAL = Path(__file__).resolve().parents[2] / "spiral"


def test_every_select_for_update_locks_only_its_own_rows() -> None:
    unnamed = [
        f"{path.relative_to(SPIRAL)}:{n}"
        for path in SPIRAL.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"select_for_update\((?!of=)", line)
    ]
    assert unnamed == [], "select_for_update without of=('self',) locks every joined row too"


@pytest.fixture
def other_connection() -> Iterator[object]:
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite locks the whole database for a write")
    import psycopg

    s = connection.settings_dict
    conn = psycopg.connect(
        dbname=s["NAME"],
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
    )
    yield conn
    conn.rollback()
    conn.close()


def _no_waiting() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")


@pytest.mark.django_db(transaction=True)
def test_an_edit_does_not_wait_for_another_transaction_referring_to_its_measure_and_unit(
    other_connection: object, tree: dict[str, Unit]
) -> None:
    measure = MeasureFactory(code="LOCKS", owner=tree["org"], is_indicator=True, chart="xmr")
    series = SeriesFactory(measure=measure, unit=tree["team"])
    services.record_observation(series=series, period="2024-05", value=4, by=None)
    # Another transaction (an import publishing) starts a series of the same measure. Django's foreign
    # keys are checked at commit (deferred), when the check takes key-share locks on the measure and unit
    # rows: an import's commit checked a million rows for seconds. Checked at once here, to hold them.
    other_connection.execute("SET CONSTRAINTS ALL IMMEDIATE")  # type: ignore[attr-defined]
    other_connection.execute(  # type: ignore[attr-defined]
        "INSERT INTO measurement_series (measure_id, unit_id, created_at, derived) "
        "VALUES (%s, %s, now(), false)",
        [measure.pk, tree["directorate"].pk],
    )
    _no_waiting()
    obs, _ = services.record_observation(series=series, period="2024-05", value=5, by=None)
    assert obs.value == 5


@pytest.mark.django_db(transaction=True)
def test_a_project_edit_does_not_wait_for_another_project_starting_in_its_unit(
    other_connection: object,
) -> None:
    from spiral.projects.models import ProgressScale

    if not ProgressScale.objects.filter(is_default=True).exists():  # flushed by an earlier test
        seed = importlib.import_module("spiral.projects.migrations.0002_progress_scale_ihi")
        seed.add_ihi_scale(apps, None)
    unit = UnitFactory(kind="team")
    project = ProjectFactory(unit=unit)
    other_connection.execute(  # type: ignore[attr-defined]
        "SELECT id FROM organisations_unit WHERE id = %s FOR KEY SHARE", [unit.pk]
    )
    _no_waiting()
    changed = project_services.update_project(project=project, by=None, title="Fewer falls on the ward")
    assert changed.title == "Fewer falls on the ward"
