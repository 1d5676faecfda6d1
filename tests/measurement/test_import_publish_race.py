"""Two imports of overlapping files that publish at the same moment (PostgreSQL: two connections).

Both start the same new series. Before imports took turns to publish, the second one's INSERT waited for
the first's and then failed with a unique violation: its background job failed ("an unexpected error"),
the flake of tests/core/test_multiprocess.py. Now the second publishes after the first and finds the
first's rows: a conflict, which the job resolves by checking its file again.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from spiral.measurement import imports
from spiral.measurement.models import Observation, Series
from spiral.organisations.models import Unit
from tests.factories import MeasureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def _file(teams: range) -> bytes:
    lines = ["unit_code,measure_code,period,value"]
    lines += [f"{t.code},RACE,2024-{m:02d},{m}" for t in teams for m in range(1, 13)]  # type: ignore[attr-defined]
    return ("\n".join(lines) + "\n").encode()


def test_two_imports_publishing_at_once_never_fail_and_never_double(tree: dict[str, Unit]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: two publishes cannot overlap")
    MeasureFactory(code="RACE", owner=tree["org"], is_indicator=True, chart="xmr")
    teams = [tree["team"], tree["directorate"], tree["org"]]
    files = [_file(teams[:2]), _file(teams[1:])]  # both start the directorate's series
    both_staged = threading.Barrier(2, timeout=60)
    original = imports._stage

    def stage_then_wait(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        both_staged.wait()  # neither publishes before both have checked and staged their file

    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(data: bytes, name: str) -> None:
        try:
            results[name] = imports.import_observations(data, by=None, filename=name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    imports._stage = stage_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=run, args=(f, f"{i}.csv")) for i, f in enumerate(files)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        imports._stage = original  # type: ignore[assignment]

    assert errors == []
    assert sorted(r.applied for r in results.values()) == [False, True]  # one published, one found its rows
    (late,) = [name for name, r in results.items() if not r.applied]
    assert results[late].conflict
    again = imports.import_observations(files[int(late[0])], by=None, filename=late)
    assert again.applied and not again.conflict  # checked again: what the job does next
    assert Series.objects.filter(measure__code="RACE").count() == 3
    assert Observation.objects.filter(series__measure__code="RACE").count() == 36
