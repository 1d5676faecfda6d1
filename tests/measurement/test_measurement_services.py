from __future__ import annotations

import datetime as dt
import math

import pytest
from django.core.exceptions import ValidationError

from spiral import spc
from spiral.core.models import AuditEvent
from spiral.measurement import analyses, services, tasks
from spiral.measurement.models import Analysis, AnnotationKind, Measure, Observation, ObservationChange
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

D = dt.date


def _series(tree, **measure):
    return SeriesFactory(measure=MeasureFactory(owner=tree["team"], **measure), unit=tree["team"])


def test_a_measure_is_defined_with_its_target_and_audited(tree, leader):
    measure = services.create_measure(
        code="SEPSIS",
        name="Sepsis antibiotics in 1 hour",
        owner=tree["org"],
        by=leader,
        chart="p",
        improvement="increase",
        frequency="month",
        target="0.95",
        is_indicator=True,
    )
    assert measure.targets.get().value == 0.95
    assert AuditEvent.objects.filter(
        action="measure.create", actor=leader, object_id=str(measure.pk)
    ).exists()


def test_a_percentage_target_is_refused_with_the_proportion_suggested(tree, leader):
    with pytest.raises(ValidationError) as caught:
        services.create_measure(
            code="S1", name="Sepsis", owner=tree["org"], by=leader, chart="p", target="95%"
        )
    assert "write 0.95" in caught.value.message_dict["target"][0]
    assert not Measure.objects.filter(code="S1").exists()


def test_a_proportion_target_above_one_is_refused(tree, leader):
    with pytest.raises(ValidationError) as caught:
        services.create_measure(code="S1", name="Sepsis", owner=tree["org"], by=leader, chart="p", target=95)
    assert "write 0.95 for 95%" in caught.value.message_dict["target"][0]


def test_measure_codes_are_unique_across_the_system(tree, leader):
    MeasureFactory(code="FALLS", owner=tree["other_org"])
    with pytest.raises(ValidationError) as caught:
        services.create_measure(code="falls", name="Falls", owner=tree["org"], by=leader)
    assert "already exists" in caught.value.message_dict["code"][0]


def test_recording_an_observation_recomputes_the_analysis(tree, member):
    series = _series(tree)
    for month, value in enumerate([5, 6, 5, 7, 6], start=1):
        services.record_observation(series=series, period=f"2025-{month:02d}", value=value, by=member)
    analysis = Analysis.objects.get(series=series)
    assert analysis.points == 5
    assert analysis.latest_value == 6
    assert analysis.latest_period == D(2025, 5, 1)
    assert analysis.variation_icon == "common_cause"
    assert not analysis.stale


def test_a_correction_is_kept_in_history_with_who_and_when(tree, member, leader):
    series = _series(tree)
    services.record_observation(series=series, period="2025-01", value=5, by=member)
    services.record_observation(series=series, period="01/01/2025", value=7, note="recount", by=leader)
    obs = Observation.objects.get(series=series)
    assert (obs.value, obs.version, obs.updated_by) == (7, 2, leader)
    change = ObservationChange.objects.get(series=series, action="update")
    assert change.by == leader
    assert change.at is not None
    assert change.before == {"value": 5}
    assert change.after == {"value": 7, "note": "recount"}
    assert Analysis.objects.get(series=series).latest_value == 7


def test_saving_the_same_value_again_changes_nothing(tree, member):
    series = _series(tree)
    services.record_observation(series=series, period="2025-01", value=5, by=member)
    services.record_observation(series=series, period="2025-01", value="5", by=member)
    assert Observation.objects.get(series=series).version == 1
    assert ObservationChange.objects.filter(series=series).count() == 1


def test_a_stale_version_is_refused(tree, member):
    series = _series(tree)
    obs, _ = services.record_observation(series=series, period="2025-01", value=5, by=member)
    services.record_observation(series=series, period="2025-01", value=6, by=member, version=1)
    with pytest.raises(services.StaleRecord):
        services.record_observation(series=series, period="2025-01", value=8, by=member, version=1)
    assert Observation.objects.get(pk=obs.pk).value == 6


def test_deleting_an_observation_makes_the_period_missing_and_keeps_history(tree, member):
    series = _series(tree)
    for month in (1, 2, 3):
        services.record_observation(series=series, period=f"2025-{month:02d}", value=month, by=member)
    services.delete_observation(
        observation=Observation.objects.get(series=series, period_start=D(2025, 2, 1)), by=member
    )
    result = analyses.full_result(series)
    assert result["values"] == [1.0, None, 3.0]
    assert ObservationChange.objects.filter(series=series, action="delete", before={"value": 2.0}).exists()


def test_a_gap_in_the_calendar_goes_to_spc_as_missing_not_skipped(tree):
    series = _series(tree)
    ObservationFactory(series=series, period_start=D(2025, 1, 1), value=1)
    ObservationFactory(series=series, period_start=D(2025, 4, 1), value=4)
    analyses.recompute([series.pk])
    result = analyses.full_result(series)
    assert result["values"] == [1.0, None, None, 4.0]
    assert result["dates"] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert Analysis.objects.get(series=series).sparkline == [1.0, None, None, 4.0]


def test_values_must_suit_the_chart(tree, member):
    series = _series(tree, chart="p")
    with pytest.raises(ValidationError) as caught:
        services.record_observation(series=series, period="2025-01", numerator=12, denominator=10, by=member)
    assert "greater than the denominator" in caught.value.message_dict["numerator"][0]
    with pytest.raises(ValidationError) as caught:
        services.record_observation(series=series, period="2025-01", value=0.5, by=member)
    assert "needs a numerator and a denominator" in caught.value.message_dict["numerator"][0]


def test_a_suppressed_value_is_not_recorded_as_zero(tree, member):
    series = _series(tree)
    with pytest.raises(ValidationError) as caught:
        services.record_observation(series=series, period="2025-01", value="*", by=member)
    assert "never recorded as 0" in caught.value.message_dict["value"][0]
    assert not Observation.objects.exists()


def test_personal_data_in_a_note_is_redacted_before_it_is_stored(tree, member):
    series = _series(tree)
    obs, warnings = services.record_observation(
        series=series, period="2025-01", value=3, note="Fall, NHS no 943 476 5919", by=member
    )
    assert obs.note == "Fall, NHS no [redacted]"
    assert "an NHS number" in warnings[0]


def test_a_rebase_recomputes_the_limits_from_that_period(tree, member):
    series = _series(tree)
    for i, value in enumerate([10, 11, 9, 10, 11, 10, 20, 21, 19, 20, 21, 20]):
        ObservationFactory(series=series, period_start=D(2024, i + 1, 1), value=value)
    analyses.recompute([series.pk])
    services.add_annotation(
        series=series,
        period="2024-07",
        kind=AnnotationKind.REBASE,
        text="New pathway",
        reason="Process changed",
        by=member,
    )
    result = analyses.full_result(series)
    assert result["rebase"] == [6]
    expected = spc.analyse([10, 11, 9, 10, 11, 10, 20, 21, 19, 20, 21, 20], rebase=[6])
    assert result["centre"] == expected.to_dict()["centre"]


def test_a_rebase_needs_a_reason(tree, member):
    series = _series(tree)
    with pytest.raises(ValidationError) as caught:
        services.add_annotation(series=series, period="2025-01", kind="rebase", text="Change", by=member)
    assert "reason" in caught.value.message_dict


def test_changing_a_measure_refreshes_its_analyses(tree, leader):
    series = _series(tree, improvement="increase")
    for i, value in enumerate([1, 2, 3, 4, 5, 6, 7, 8]):
        ObservationFactory(series=series, period_start=D(2024, i + 1, 1), value=value)
    analyses.recompute([series.pk])
    assert Analysis.objects.get(series=series).variation_icon == "improvement_high"
    services.update_measure(measure=series.measure, by=leader, improvement="decrease", target=3)
    analysis = Analysis.objects.get(series=series)
    assert (analysis.variation_icon, analysis.target) == ("concern_high", 3.0)


def test_an_analysis_left_stale_is_recomputed_by_the_sweep(tree):
    series = _series(tree)
    ObservationFactory(series=series, period_start=D(2025, 1, 1), value=4)
    Analysis.objects.update_or_create(series=series, defaults={"stale": True, "latest_value": 99})
    assert tasks.recompute_stale.call() == 1
    analysis = Analysis.objects.get(series=series)
    assert (analysis.latest_value, analysis.stale) == (4, False)


def test_bulk_analyses_equal_analysing_each_series_alone(tree):
    ids = []
    for k in range(3):
        series = _series(tree)
        for i in range(15):
            ObservationFactory(
                series=series, period_start=D(2024 + i // 12, i % 12 + 1, 1), value=(i * 7 + k) % 11
            )
        ids.append(series.pk)
    analyses.recompute(ids)
    for sid in ids:
        stored = Analysis.objects.get(series_id=sid)
        alone, _ = analyses.analyse_series(stored.series)
        assert stored.variation_icon == (alone.variation_icon or "")
        assert math.isclose(stored.latest_value, alone.values[-1])


def test_an_indicator_is_observed_beneath_its_owner_only(tree, leader):
    indicator = MeasureFactory(owner=tree["org"], is_indicator=True)
    local = MeasureFactory(owner=tree["org"], is_indicator=False)
    assert services.get_or_create_series(measure=indicator, unit=tree["team"], by=leader).unit == tree["team"]
    with pytest.raises(ValidationError):
        services.get_or_create_series(measure=indicator, unit=tree["other_team"], by=leader)
    with pytest.raises(ValidationError) as caught:
        services.get_or_create_series(measure=local, unit=tree["team"], by=leader)
    assert "not shared" in caught.value.message_dict["unit"][0]


def test_a_chart_cannot_switch_between_values_and_ratios_once_data_is_recorded(tree, leader):
    series = _series(tree, chart="xmr")
    ObservationFactory(series=series, period_start=D(2025, 1, 1), value=4)
    with pytest.raises(ValidationError) as caught:
        services.update_measure(measure=series.measure, by=leader, chart="p")
    assert "a p chart needs numerators and denominators" in caught.value.message_dict["chart"][0]
    services.update_measure(measure=series.measure, by=leader, chart="run")
    assert Measure.objects.get(pk=series.measure.pk).chart == "run"
