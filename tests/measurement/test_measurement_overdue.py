"""Overdue series (too many ended periods without data) and incomplete periods (not yet ended: shown,
but left out of the icons and the latest value), issue 14."""

# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from spiral.core import periods
from spiral.measurement import analyses, presenters, tasks
from spiral.measurement.models import Analysis, Measure
from tests.assertions import bearer
from tests.conftest import client_for
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

D = dt.date


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "latest", "today_at_n", "today_at_n_plus_1"),
    [
        # Latest March 2025; April and May ended by 1 June (2 missing); June ended by 1 July (3).
        ("month", D(2025, 3, 1), D(2025, 6, 30), D(2025, 7, 1)),
        # Latest the week of 3 March 2025; weeks of 10 and 17 March ended by the 24th; the 24th's by the 31st.
        ("week", D(2025, 3, 3), D(2025, 3, 30), D(2025, 3, 31)),
        # Latest 2025 Q1; Q2 and Q3 ended by 1 October; Q4 by 1 January 2026.
        ("quarter", D(2025, 1, 1), D(2025, 12, 31), D(2026, 1, 1)),
    ],
)
def test_a_series_is_overdue_once_more_than_n_ended_periods_are_missing(
    frequency, latest, today_at_n, today_at_n_plus_1
):
    assert periods.missing_since(latest, frequency, today_at_n) == 2
    assert not periods.is_overdue(latest, frequency, 2, today_at_n)
    assert periods.missing_since(latest, frequency, today_at_n_plus_1) == 3
    assert periods.is_overdue(latest, frequency, 2, today_at_n_plus_1)
    assert not periods.is_overdue(latest, frequency, 3, today_at_n_plus_1)
    assert not periods.is_overdue(None, frequency, 2, today_at_n_plus_1)


def test_a_period_has_ended_once_the_next_has_begun():
    assert not periods.has_ended(D(2025, 7, 1), "month", D(2025, 7, 31))
    assert periods.has_ended(D(2025, 7, 1), "month", D(2025, 8, 1))
    assert not periods.has_ended(D(2025, 3, 3), "week", D(2025, 3, 9))
    assert periods.has_ended(D(2025, 3, 3), "week", D(2025, 3, 10))
    assert not periods.is_overdue(
        D(2025, 7, 1), "month", 1, D(2025, 7, 2)
    )  # an incomplete period is not overdue


def test_the_presenter_marks_overdue_at_n_plus_1_and_not_at_n(db):
    measure = MeasureFactory(frequency="month", overdue_after_periods=2)
    series = SeriesFactory(measure=measure)
    for m in (1, 2, 3):
        ObservationFactory(series=series, period_start=D(2025, m, 1), value=m)
    analyses.recompute([series.pk], today=D(2025, 6, 15))
    series.refresh_from_db()
    assert presenters.timeliness(series, D(2025, 6, 30))["overdue"] is False
    assert presenters.timeliness(series, D(2025, 7, 1))["overdue"] is True
    assert "no data for the last 3 months (allowed: 2)" in str(presenters.overdue_tag(series, D(2025, 7, 1)))
    assert str(presenters.overdue_tag(series, D(2025, 6, 30))) == ""


# --- incomplete periods ---------------------------------------------------------------------------


JANUARY_2025 = D(2025, 1, 1)


def _monthly(values, *, start=JANUARY_2025, chart="xmr", extra=None):
    measure = MeasureFactory(frequency="month", chart=chart)
    series = SeriesFactory(measure=measure)
    for i, v in enumerate(values):
        ObservationFactory(
            series=series,
            period_start=periods.from_index(periods.index(start, "month") + i, "month"),
            value=v,
        )
    for day, v in (extra or {}).items():
        ObservationFactory(series=series, period_start=day, value=v)
    return series


@pytest.mark.parametrize("rebased", [False, True])  # the bulk path and the one-by-one path
def test_an_incomplete_period_is_left_out_of_icons_and_headline_but_kept(db, rebased):
    values = [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 11]  # January to December 2025
    series = _monthly(values, extra={D(2026, 1, 1): 500.0})  # one answer in a month barely begun
    if rebased:
        series.annotations.create(
            period_start=D(2025, 6, 1), kind="rebase", text="New process", reason="Change"
        )
    analyses.recompute([series.pk], today=D(2026, 1, 3))
    a = Analysis.objects.get(series=series)
    assert (a.latest_period, a.latest_value) == (D(2025, 12, 1), 11.0)
    assert a.incomplete_period == D(2026, 1, 1)
    assert a.points == 12 and 500.0 not in a.sparkline
    # The icons are those of the ended periods alone: the same as a series without the January answer.
    alone = _monthly(values)
    if rebased:
        alone.annotations.create(
            period_start=D(2025, 6, 1), kind="rebase", text="New process", reason="Change"
        )
    analyses.recompute([alone.pk], today=D(2026, 1, 3))
    b = Analysis.objects.get(series=alone)
    assert (a.variation_icon, a.assurance_icon) == (b.variation_icon, b.assurance_icon)
    assert b.incomplete_period is None
    # The full result (the series page's chart) leaves it out too, and the page is told of it.
    result, laid = analyses.analyse_series(series, today=D(2026, 1, 3))
    assert laid.incomplete == D(2026, 1, 1) and len(result.values) == 12
    assert "January 2026 has not ended" in str(presenters.incomplete_tag(series))


@pytest.mark.parametrize(
    ("frequency", "first", "current", "today"),
    [
        ("week", D(2025, 3, 3), D(2025, 3, 24), D(2025, 3, 26)),
        ("quarter", D(2024, 1, 1), D(2025, 1, 1), D(2025, 2, 1)),
    ],
)
def test_weekly_and_quarterly_incomplete_periods_are_left_out(db, frequency, first, current, today):
    series = SeriesFactory(measure=MeasureFactory(frequency=frequency))
    for day in periods.calendar(first, current, frequency):
        ObservationFactory(series=series, period_start=day, value=1.0 if day < current else 50.0)
    analyses.recompute([series.pk], today=today)
    a = Analysis.objects.get(series=series)
    assert a.incomplete_period == current and a.latest_value == 1.0
    assert a.latest_period == periods.from_index(periods.index(current, frequency) - 1, frequency)


def test_store_one_keeps_the_incomplete_period(db):
    series = _monthly([1, 2, 3], extra={D(2025, 4, 1): 9.0})
    row = analyses.store_one(series, today=D(2025, 4, 10))
    assert row.incomplete_period == D(2025, 4, 1) and row.latest_period == D(2025, 3, 1)


def test_a_series_with_only_an_incomplete_period_has_no_headline_yet(db):
    series = _monthly([], extra={D(2025, 4, 1): 9.0})
    analyses.recompute([series.pk], today=D(2025, 4, 10))
    a = Analysis.objects.get(series=series)
    assert (a.latest_period, a.latest_value, a.points, a.incomplete_period) == (None, None, 0, D(2025, 4, 1))


def test_the_sweep_recomputes_once_the_incomplete_period_has_ended(db):
    series = _monthly([10, 11, 12], extra={D(2025, 4, 1): 30.0})
    other = _monthly([5, 6, 7])
    analyses.recompute([series.pk, other.pk], today=D(2025, 4, 10))
    assert analyses.recompute_ended(today=D(2025, 4, 30)) == 0  # April has not ended
    assert Analysis.objects.get(series=series).latest_value == 12.0
    assert analyses.recompute_ended(today=D(2025, 5, 1)) == 1  # only the series that had one
    a = Analysis.objects.get(series=series)
    assert (a.latest_period, a.latest_value, a.incomplete_period, a.points) == (D(2025, 4, 1), 30.0, None, 4)
    assert analyses.recompute_ended(today=D(2025, 5, 2)) == 0


def test_the_minute_task_runs_the_sweep(db):
    today = timezone.localdate()
    this_month = periods.start_of(today, "month")
    last_month = periods.from_index(periods.index(this_month, "month") - 1, "month")
    series = _monthly([1, 2], start=periods.from_index(periods.index(last_month, "month") - 2, "month"))
    ObservationFactory(series=series, period_start=last_month, value=3)
    # Analysed "last month" (when last month was the incomplete one), then swept today.
    analyses.recompute([series.pk], today=last_month)
    assert Analysis.objects.get(series=series).incomplete_period == last_month
    assert tasks.recompute_stale.call() >= 1
    a = Analysis.objects.get(series=series)
    assert a.incomplete_period is None and a.latest_period == last_month


# --- pages and the API ------------------------------------------------------------------------------


def _months_ago(n: int) -> dt.date:
    this = periods.start_of(timezone.localdate(), "month")
    return periods.from_index(periods.index(this, "month") - n, "month")


@pytest.fixture
def late(tree):
    """A series whose latest month is 14 months ago, and one with an answer in the current month."""
    measure = MeasureFactory(code="LATE", name="Late measure", owner=tree["org"], is_indicator=True)
    late = SeriesFactory(measure=measure, unit=tree["team"])
    for n in range(20, 13, -1):
        ObservationFactory(series=late, period_start=_months_ago(n), value=float(n))
    fresh_measure = MeasureFactory(code="FRESH", name="Fresh measure", owner=tree["org"], is_indicator=True)
    fresh = SeriesFactory(measure=fresh_measure, unit=tree["team"])
    for n in range(6, 0, -1):
        ObservationFactory(series=fresh, period_start=_months_ago(n), value=float(n))
    ObservationFactory(series=fresh, period_start=_months_ago(0), value=99.0)
    analyses.recompute([late.pk, fresh.pk])
    return late, fresh


def test_pages_mark_the_overdue_series_and_the_incomplete_period(tree, member, late):
    late_series, fresh = late
    client = client_for(member)
    unit_page = client.get("/measures/units/RAA-MED-01/").content.decode()
    assert "1 series is overdue" in unit_page
    assert "no data for the last 13 months (allowed: 2)" in unit_page
    assert "has not ended: not used for the icons or latest value" in unit_page
    measure_page = client.get(f"/measures/{late_series.measure.pk}/").content.decode()
    assert "Overdue</strong>" in measure_page
    series_page = client.get(f"/measures/series/{late_series.pk}/").content.decode()
    assert "no data for the last 13 months" in series_page
    fresh_page = client.get(f"/measures/series/{fresh.pk}/").content.decode()
    assert "Overdue</strong>" not in fresh_page and "Incomplete</strong>" in fresh_page
    assert "period not ended: drawn hollow on the chart, not used for the limits or icons" in fresh_page
    assert f"Drawn hollow and marked incomplete: {_months_ago(0):%B %Y}, which has not ended" in fresh_page
    assert (
        '<span class="nhsuk-table-responsive__heading" aria-hidden="true">Value </span>99</td>' in fresh_page
    )


def test_the_api_says_overdue_and_incomplete(tree, member, late):
    late_series, fresh = late
    body = Client().get("/api/v1/series", {"within": "RAA"}, **bearer(member)).json()
    items = {i["id"]: i for i in body["items"]}
    assert items[late_series.pk]["overdue"] is True and items[late_series.pk]["incomplete_period"] is None
    assert items[fresh.pk]["overdue"] is False
    assert items[fresh.pk]["incomplete_period"] == _months_ago(0).isoformat()
    assert items[fresh.pk]["latest_value"] == 1.0  # the ended month's, not the month barely begun
    assert items[fresh.pk]["latest_period"] == _months_ago(1).isoformat()


# --- the setting ---------------------------------------------------------------------------------


def _post(user, body):
    return Client().post(
        "/api/v1/measures", json.dumps(body), content_type="application/json", **bearer(user)
    )


def test_the_api_accepts_the_setting_and_refuses_what_is_not_1_to_24(tree, leader):
    good = _post(leader, {"code": "OD1", "name": "Od", "owner": "RAA", "overdue_after_periods": 6})
    assert good.status_code == 201 and good.json()["overdue_after_periods"] == 6
    default = _post(leader, {"code": "OD2", "name": "Od", "owner": "RAA"})
    assert default.json()["overdue_after_periods"] == 2
    for bad in (0, 25, "two", 1.5):
        response = _post(leader, {"code": "OD3", "name": "Od", "owner": "RAA", "overdue_after_periods": bad})
        assert response.status_code in (400, 422), (bad, response.content)
        assert "overdue_after_periods" in response.content.decode()
    assert not Measure.objects.filter(code="OD3").exists()
    patched = Client().patch(
        f"/api/v1/measures/{good.json()['id']}",
        json.dumps({"overdue_after_periods": 3}),
        content_type="application/json",
        **bearer(leader),
    )
    assert patched.status_code == 200 and patched.json()["overdue_after_periods"] == 3


def test_the_service_refuses_an_out_of_range_setting_with_a_clear_message(tree, leader):
    from django.core.exceptions import ValidationError

    from spiral.measurement import services

    with pytest.raises(ValidationError) as caught:
        services.create_measure(code="ODX", name="Od", owner=tree["org"], by=leader, overdue_after_periods=30)
    assert "whole number of periods from 1 to 24" in str(caught.value)


def test_the_measure_form_takes_the_setting(tree, leader):
    client = client_for(leader)
    data = {
        "code": "ODF",
        "name": "Od form",
        "measure_type": "outcome",
        "chart": "xmr",
        "improvement": "increase",
        "frequency": "month",
    }
    bad = client.post("/measures/new/?unit=RAA", data | {"overdue_after_periods": "40"})
    assert bad.status_code == 200 and "Enter a whole number of periods from 1 to 24" in bad.content.decode()
    good = client.post("/measures/new/?unit=RAA", data | {"overdue_after_periods": "4"})
    assert good.status_code == 302, good.content.decode()[:500]
    assert Measure.objects.get(code="ODF").overdue_after_periods == 4


# --- exports --------------------------------------------------------------------------------------


def _csv_rows(response) -> dict[str, dict[str, str]]:
    import csv
    import io

    assert response.status_code == 200, response.content[:300]
    return {r["measure_code"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}


def test_the_measures_page_exports_say_overdue_and_incomplete(tree, member, late):
    import io

    from openpyxl import load_workbook

    client = client_for(member)
    rows = _csv_rows(client.get("/measures/units/RAA-MED-01/export.csv"))
    assert (rows["LATE"]["overdue"], rows["LATE"]["periods_missing"], rows["LATE"]["incomplete_period"]) == (
        "yes", "13", ""
    )  # fmt: skip
    assert (rows["FRESH"]["overdue"], rows["FRESH"]["periods_missing"]) == ("no", "0")
    assert rows["FRESH"]["incomplete_period"] == periods.label(_months_ago(0), "month")
    assert rows["FRESH"]["latest_period"] == periods.label(_months_ago(1), "month")
    book = load_workbook(io.BytesIO(client.get("/measures/units/RAA-MED-01/export.xlsx").content))
    sheet = list(book["Measures"].iter_rows(values_only=True))
    header, body = list(sheet[0]), {r[2]: r for r in sheet[1:]}
    assert body["LATE"][header.index("overdue")] == "yes"
    assert body["FRESH"][header.index("incomplete_period")] == periods.label(_months_ago(0), "month")


def test_the_indicator_page_and_its_exports_say_overdue_and_incomplete(tree, member, late):
    import io

    from openpyxl import load_workbook

    late_series, fresh = late
    client = client_for(member)
    for series, overdue, incomplete in (
        (late_series, "yes", ""),
        (fresh, "no", periods.label(_months_ago(0), "month")),
    ):
        base = f"/measures/{series.measure.pk}/units/RAA/across/"
        rows = _csv_rows(client.get(base + "export.csv"))
        row = rows[series.measure.code]
        assert (row["unit_code"], row["overdue"], row["incomplete_period"]) == (
            "RAA-MED-01",
            overdue,
            incomplete,
        )
        book = load_workbook(io.BytesIO(client.get(base + "export.xlsx").content))
        sheet = list(book["Units"].iter_rows(values_only=True))
        assert sheet[1][list(sheet[0]).index("overdue")] == overdue
        api = Client().get(f"/api/v1/measures/{series.measure.pk}/units/RAA/across", **bearer(member)).json()
        (item,) = api["items"]
        assert item["overdue"] is (overdue == "yes")
        assert item["incomplete_period"] == (_months_ago(0).isoformat() if incomplete else None)
    page = client.get(f"/measures/{late_series.measure.pk}/units/RAA/across/").content.decode()
    assert "no data for the last 13 months (allowed: 2)" in page
    fresh_page = client.get(f"/measures/{fresh.measure.pk}/units/RAA/across/").content.decode()
    assert "has not ended: not used for the icons or latest value" in fresh_page


def test_both_exports_share_the_headline_columns():
    from spiral.measurement.presenters import HEADLINE_HEADER, INDICATOR_HEADER, SUMMARY_HEADER

    for header in (SUMMARY_HEADER, INDICATOR_HEADER):
        start = header.index("latest_period")
        assert header[start : start + len(HEADLINE_HEADER)] == HEADLINE_HEADER
    assert {"overdue", "incomplete_period"} <= set(HEADLINE_HEADER)


def test_the_series_chart_draws_the_incomplete_period_hollow_on_the_page_and_in_the_svg_export(
    tree, member, late
):
    late_series, fresh = late
    client = client_for(member)
    label = periods.label(_months_ago(0), "month")
    page = client.get(f"/measures/series/{fresh.pk}/").content.decode()
    exported = client.get(f"/measures/series/{fresh.pk}/export.svg").content.decode()
    # The page draws the chart twice, its wide and its phone layout (one shown at a time); the export once.
    for svg, layouts in ((page, 2), (exported, 1)):
        assert svg.count('class="spc-point-incomplete"') == layouts
        assert f"<title>{label}: 99; incomplete: the period has not ended" in svg
        assert (
            f"Incomplete, drawn hollow (the period has not ended, so not used for the limits, rules or icons): {label}: 99."
            in svg
        )
        # 99 is not an ordinary point: no filled marker carries it.
        assert f"{label}: 99; common cause" not in svg and f"{label}: 99; special cause" not in svg
    # A series whose every period has ended has no such marker.
    assert (
        'class="spc-point-incomplete"'
        not in client.get(f"/measures/series/{late_series.pk}/").content.decode()
    )
