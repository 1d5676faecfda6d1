"""The funnel positions benchmarking gives measurement's indicator page (measurement.extensions)."""

from __future__ import annotations

import datetime as dt

from spiral.benchmarking import queries
from spiral.measurement import extensions
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory, UnitFactory


def _trusts(
    tree, measure, rates: dict[str, float], organisation_type: str = "acute_trust"
) -> dict[str, object]:
    made = {}
    for code, rate in rates.items():
        unit = UnitFactory(
            kind="organisation", code=code, parent=tree["icb"], organisation_type=organisation_type
        )
        series = SeriesFactory(measure=measure, unit=unit)
        ObservationFactory(series=series, period_start=dt.date(2025, 3, 1), numerator=round(rate * 2000),
                           denominator=2000, value=rate)  # fmt: skip
        made[code] = unit
    return made


def test_benchmarking_registers_the_indicator_positions_when_it_starts():
    assert extensions.has_indicator_positions()


def test_a_units_position_is_the_verdict_of_its_compared_with_peers_page(tree, member):
    measure = MeasureFactory(
        code="BR", owner=tree["nation"], is_indicator=True, chart="p", improvement="decrease"
    )
    units = _trusts(tree, measure, {f"T{i}": 0.2 for i in range(8)} | {"TW": 0.35, "TB": 0.08})
    found = queries.positions(member, measure, {("organisation", "acute_trust")})
    assert found[units["TW"].pk]["judgement"] == "worse"
    assert found[units["TB"].pk]["judgement"] == "better"
    assert found[units["T0"].pk]["judgement"] == "within"
    for code in ("TW", "TB", "T0"):
        verdict = next(r for r in queries.compared_with_peers(member, units[code]) if r["measure"] == measure)
        assert found[units[code].pk]["flag"] == verdict["flag"]


def test_organisations_are_placed_among_their_own_type_only(tree, member):
    measure = MeasureFactory(
        code="BR2", owner=tree["nation"], is_indicator=True, chart="p", improvement="decrease"
    )
    acute = _trusts(tree, measure, {f"A{i}": 0.2 for i in range(6)})
    practices = _trusts(tree, measure, {f"G{i}": 0.6 for i in range(6)}, organisation_type="gp_practice")
    found = queries.positions(
        member, measure, {("organisation", "acute_trust"), ("organisation", "gp_practice")}
    )
    # Among all twelve every practice would be worse; each among its own type is within its limits.
    assert {found[u.pk]["judgement"] for u in [*acute.values(), *practices.values()]} == {"within"}
    assert found[practices["G0"].pk]["group"].organisation_type == "gp_practice"


def test_a_measure_without_a_numerator_and_denominator_is_not_placed(tree, member):
    measure = MeasureFactory(code="XM", owner=tree["nation"], is_indicator=True, chart="xmr")
    assert queries.positions(member, measure, {("organisation", "acute_trust")}) == {}
