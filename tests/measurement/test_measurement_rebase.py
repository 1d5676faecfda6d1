"""A recalculation offered after a change tested: the series page's notice, the rebase page with both
charts, its confirmation by someone who may annotate, and the API's `suggested_rebase`."""

from __future__ import annotations

import datetime as dt

import pytest

from spiral.measurement import analyses
from spiral.measurement.models import Annotation, AnnotationKind
from spiral.organisations.permissions import Role
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

D = dt.date
VALUES = [10, 11, 9, 10, 12, 9, 11, 10, 12, 9, 20, 21, 19, 20, 22, 19, 21, 20, 20, 21, 19, 22]
CHANGE = D(2024, 11, 1)  # the 11th month: the first of the shifted points


def _month(i: int) -> dt.date:
    return D(2024 + i // 12, i % 12 + 1, 1)


@pytest.fixture
def series(tree):
    measure = MeasureFactory(
        code="NOON", name="Discharges before noon", owner=tree["org"], is_indicator=False
    )
    series = SeriesFactory(measure=measure, unit=tree["team"])
    for i, value in enumerate(VALUES):
        ObservationFactory(series=series, period_start=_month(i), value=value)
    Annotation.objects.create(
        series=series, period_start=CHANGE, kind=AnnotationKind.CHANGE, text="PDSA 1: discharge lounge"
    )
    analyses.recompute([series.pk])
    return series


def test_a_shift_after_a_change_is_suggested_and_the_after_version_is_computed_in_memory(series):
    found = analyses.suggested_rebase(series)
    assert found is not None
    assert found.period == CHANGE and found.reason == "PDSA 1: discharge lounge" and found.label
    after, _ = analyses.analyse_series(series, extra_rebase=[CHANGE])
    assert after.period_starts == (0, 10)
    assert after.centre[0] == pytest.approx(10.3) and after.centre[-1] == pytest.approx(20.333333)
    assert not Annotation.objects.filter(series=series, kind=AnnotationKind.REBASE).exists()


def test_no_change_annotated_or_too_few_points_no_suggestion(series, tree):
    plain = SeriesFactory(measure=series.measure, unit=tree["directorate"])
    for i, value in enumerate(VALUES):
        ObservationFactory(series=plain, period_start=_month(i), value=value)
    assert analyses.suggested_rebase(plain) is None
    series.observations.filter(period_start__gte=_month(20)).delete()
    assert analyses.suggested_rebase(series) is None


def test_the_series_page_offers_the_recalculation(series, member):
    html = client_for(member).get(f"/measures/series/{series.pk}/").content.decode()
    assert f"/measures/series/{series.pk}/rebase/" in html
    assert "compare the chart with limits recalculated" in html


def test_the_rebase_page_shows_both_charts_the_reason_and_for_a_member_the_confirmation(series, member):
    html = client_for(member).get(f"/measures/series/{series.pk}/rebase/").content.decode()
    assert html.count("<svg") >= 2
    assert "PDSA 1: discharge lounge" in html
    assert "Recalculate the limits from" in html and 'name="period" value="2024-11-01"' in html


def test_someone_who_may_only_view_sees_the_charts_but_may_not_confirm(series, tree):
    partner = user_with_role(Role.PATIENT_PARTNER, tree["team"])
    client = client_for(partner)
    html = client.get(f"/measures/series/{series.pk}/rebase/").content.decode()
    assert "PDSA 1: discharge lounge" in html and "Recalculate the limits from" not in html
    assert client.post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-11-01"}).status_code == 403
    assert not Annotation.objects.filter(series=series, kind=AnnotationKind.REBASE).exists()


def test_someone_of_another_organisation_may_look_but_not_confirm_and_no_series_is_404(series, outsider):
    client = client_for(outsider)  # every signed-in person sees every unit's charts (openness for learning)
    assert (
        "Recalculate the limits from"
        not in client.get(f"/measures/series/{series.pk}/rebase/").content.decode()
    )
    assert client.post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-11-01"}).status_code == 403
    assert client.get("/measures/series/999999/rebase/").status_code == 404
    assert client.post("/measures/series/999999/rebase/", {"period": "2024-11-01"}).status_code == 404
    anonymous = client_for(None).get(f"/measures/series/{series.pk}/rebase/")
    assert anonymous.status_code == 302 and "sign" in anonymous["Location"]
    assert not Annotation.objects.filter(series=series, kind=AnnotationKind.REBASE).exists()


def test_confirming_creates_exactly_one_rebase_with_the_change_as_reason_and_a_repeat_is_refused(
    series, member
):
    client = client_for(member)
    response = client.post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-11-01"})
    assert response.status_code == 302
    rebase = Annotation.objects.get(series=series, kind=AnnotationKind.REBASE)
    assert rebase.period_start == CHANGE and "PDSA 1: discharge lounge" in rebase.reason
    assert rebase.created_by == member
    assert analyses.suggested_rebase(series) is None
    again = client.post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-11-01"}, follow=True)
    assert "Limits not recalculated" in again.content.decode()
    assert Annotation.objects.filter(series=series, kind=AnnotationKind.REBASE).count() == 1
    page = client.get(f"/measures/series/{series.pk}/rebase/").content.decode()
    assert "No recalculation is suggested" in page
    assert analyses.full_result(series)["rebase"] == [10]


def test_a_confirmation_for_another_period_is_refused(series, member):
    client = client_for(member)
    response = client.post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-05-01"}, follow=True)
    assert "Limits not recalculated" in response.content.decode()
    assert not Annotation.objects.filter(series=series, kind=AnnotationKind.REBASE).exists()


def test_the_api_analysis_says_the_suggested_rebase_or_null(series, member):
    from django.test import Client

    api = Client()
    body = api.get(f"/api/v1/series/{series.pk}/analysis", **bearer(member)).json()
    assert body["suggested_rebase"] == {"period": "2024-11-01", "reason": "PDSA 1: discharge lounge"}
    client_for(member).post(f"/measures/series/{series.pk}/rebase/", {"period": "2024-11-01"})
    body = api.get(f"/api/v1/series/{series.pk}/analysis", **bearer(member)).json()
    assert body["suggested_rebase"] is None
    assert body["rebase"] == [10]


def test_of_two_changes_before_one_shift_the_first_is_offered(series):
    Annotation.objects.create(
        series=series, period_start=D(2024, 12, 1), kind=AnnotationKind.CHANGE, text="PDSA 2: earlier rounds"
    )
    found = analyses.suggested_rebase(series)
    assert found is not None and found.period == CHANGE and found.reason == "PDSA 1: discharge lounge"
