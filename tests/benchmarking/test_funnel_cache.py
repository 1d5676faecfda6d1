"""Funnel plots kept in the cache: an import computes its indicators' default funnels (issue 14: no slow
first request), a write to their data ends them, and a write elsewhere does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches

from spiral.benchmarking import funnel as fm
from spiral.benchmarking import queries
from spiral.core.models import Job
from spiral.measurement import imports
from spiral.measurement.models import Measure, Observation
from spiral.organisations.models import Unit
from tests.conftest import client_for
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _indicator(tree: dict[str, Unit]) -> tuple[Measure, bytes]:
    measure = Measure.objects.create(
        code="SEPSIS", name="Sepsis: antibiotics within one hour", chart="p", improvement="increase",
        owner=tree["nation"], is_indicator=True,
    )  # fmt: skip
    orgs = [tree["org"], tree["other_org"]] + [
        UnitFactory(kind="organisation", code=f"R{i}X", name=f"Trust {i}", parent=tree["icb"],
                    organisation_type="acute_trust")
        for i in range(4)
    ]  # fmt: skip
    lines = ["unit_code,measure_code,period,value,numerator,denominator,note"]
    for i, org in enumerate(orgs):
        for month in (1, 2, 3):
            lines.append(f"{org.code},SEPSIS,2025-{month:02d},,{150 + 5 * i + month},200,")
    return measure, ("\n".join(lines) + "\n").encode()


def _kept(measure: Measure, tree: dict[str, Unit]) -> Any:
    group = queries.PeerGroup(within=tree["nation"])
    return caches["default"].get(queries.funnel_key(measure, group, None, fm.DEFAULT_METHOD))


def test_an_import_leaves_the_default_funnel_computed_for_the_first_reader(
    tree: dict[str, Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    caches["default"].clear()
    measure, data = _indicator(tree)
    assert _kept(measure, tree) is None
    result = imports.import_observations(data, by=None, filename="sepsis.csv")
    assert result.applied and result.added == 18

    kept = _kept(measure, tree)
    assert kept is not None
    peers, funnel = kept
    assert peers.period.isoformat() == "2025-03-01"
    assert sorted(p.code for p in peers.points) == ["R0X", "R1X", "R2X", "R3X", "RAA", "RBB"]
    assert funnel is not None and funnel.centre == pytest.approx(
        sum(150 + 5 * i + 3 for i in range(6)) / 1200
    )

    # The first reader's page is built from what the import kept: it reads no observations for it.
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the funnel was computed in the request")

    monkeypatch.setattr(queries, "peer_data", refuse)
    page = client_for(UserFactory()).get("/benchmarking/SEPSIS/")
    assert page.status_code == 200
    assert "Riverside Hospitals" in page.content.decode()


def test_a_write_to_the_data_ends_a_kept_funnel_and_other_writes_do_not(tree: dict[str, Unit]) -> None:
    caches["default"].clear()
    measure, data = _indicator(tree)
    imports.import_observations(data, by=None, filename="sepsis.csv")
    assert _kept(measure, tree) is not None

    # A job's progress (or any write outside observations, series, measures and units) keeps it.
    Job.objects.create(kind="test", title="Something else")
    assert _kept(measure, tree) is not None

    Observation.objects.filter(series__unit__code="RAA", period_start__month=3).update(numerator=20)
    assert _kept(measure, tree) is None
    peers, _funnel = queries.funnel_for(
        UserFactory(), measure=measure, group=queries.PeerGroup(within=tree["nation"])
    )
    assert next(p for p in peers.points if p.code == "RAA").numerator == 20
    assert _kept(measure, tree) is not None
