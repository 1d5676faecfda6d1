# ruff: noqa: E501
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from spiral.measurement import analyses
from spiral.measurement.models import Measure, Observation, ObservationChange
from tests.conftest import client_for, user_with_role
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

D = dt.date


@pytest.fixture
def series(tree):
    measure = MeasureFactory(
        code="WAIT", name="Waiting time", owner=tree["org"], is_indicator=True, label="days"
    )
    series = SeriesFactory(measure=measure, unit=tree["team"])
    for i, value in enumerate([5, 6, 5, 7, 6, 5, 6, 7, 8, 9, 10, 11, 12]):
        ObservationFactory(series=series, period_start=D(2024 + i // 12, i % 12 + 1, 1), value=value)
    analyses.recompute([series.pk])
    return series


def test_the_unit_measures_page_shows_each_series_with_icons_and_the_summary_matrix(tree, member, series):
    html = client_for(member).get("/measures/units/RAA-MED-01/").content.decode()
    assert "Measures of Ward 1" in html
    assert "Waiting time" in html and "(days)" in html
    assert "Special cause variation: improvement (high)" in html
    assert '<caption class="nhsuk-table__caption">Number of series by variation' in html
    assert "variation=improvement_high&assurance=#series" in html
    assert 'class="spiral-sparkline"' in html


def test_the_organisation_page_can_include_everything_beneath_grouped_by_unit(tree, member, series):
    alone = client_for(member).get("/measures/units/RAA/").content.decode()
    beneath = client_for(member).get("/measures/units/RAA/?beneath=on&sort=latest&dir=desc").content.decode()
    assert "No series match." in alone
    assert "Waiting time" in beneath and "RAA-MED-01" in beneath
    assert "sorted descending" in beneath
    grouped = client_for(member).get("/measures/units/RAA/?beneath=on").content.decode()
    assert '<th scope="colgroup" colspan="9"' in grouped and "Ward 1</a>" in grouped


def test_a_matrix_cell_filters_the_table(tree, member, series):
    html = (
        client_for(member)
        .get("/measures/units/RAA-MED-01/?variation=concern_low&assurance=")
        .content.decode()
    )
    assert "No series match." in html
    assert "Showing only" in html


def test_the_series_page_shows_the_chart_the_data_table_and_the_forms(tree, member, series):
    html = client_for(member).get(f"/measures/series/{series.pk}/").content.decode()
    assert "<svg" in html and "<title" in html
    assert "Waiting time for Ward 1, one row per period" in html
    assert "2025-01" in html
    assert "Save observation" in html and "Add an annotation" in html


def test_a_member_adds_and_corrects_an_observation_on_the_page_with_history(tree, member, series):
    client = client_for(member)
    response = client.post(f"/measures/series/{series.pk}/", {"period": "2025-02", "value": "13"})
    assert response.status_code == 302
    client.post(f"/measures/series/{series.pk}/", {"period": "01/02/2025", "value": "14", "note": "recount"})
    assert Observation.objects.get(series=series, period_start=D(2025, 2, 1)).value == 14
    html = client.get(f"/measures/series/{series.pk}/").content.decode()
    assert "History of corrections" in html and "value 13.0 → 14.0" in html and member.display_name in html


def test_a_bad_observation_shows_the_error_summary(tree, member, series):
    html = (
        client_for(member)
        .post(f"/measures/series/{series.pk}/", {"period": "15/02/2025", "value": "x"})
        .content.decode()
    )
    assert "There is a problem" in html
    assert "is not the start of a month" in html and "#id_period" in html


def test_deleting_an_observation_on_the_page(tree, member, series):
    obs = Observation.objects.filter(series=series).last()
    response = client_for(member).post(f"/measures/series/{series.pk}/observations/{obs.pk}/delete/")
    assert response.status_code == 302
    assert not Observation.objects.filter(pk=obs.pk).exists()
    assert ObservationChange.objects.filter(action="delete").exists()


def test_a_rebase_annotation_is_added_on_the_page(tree, member, series):
    client = client_for(member)
    client.post(
        f"/measures/series/{series.pk}/annotations/",
        {"period": "2024-08", "kind": "rebase", "text": "New rota", "reason": "Staffing changed"},
    )
    html = client.get(f"/measures/series/{series.pk}/").content.decode()
    assert "Rebase (recalculate limits from here)" in html and "Staffing changed" in html
    assert analyses.full_result(series)["rebase"] == [7]


def test_an_analyst_defines_a_measure_and_errors_are_summarised(tree):
    analyst = user_with_role("analyst", tree["org"])
    client = client_for(analyst)
    bad = client.post(
        "/measures/new/?unit=RAA",
        {
            "code": "SEP",
            "name": "Sepsis",
            "measure_type": "process",
            "chart": "p",
            "improvement": "increase",
            "frequency": "month",
            "target": "95%",
        },
    )
    html = bad.content.decode()
    assert "There is a problem" in html and "write 0.95" in html and "#id_target" in html
    good = client.post(
        "/measures/new/?unit=RAA",
        {
            "code": "SEP",
            "name": "Sepsis",
            "measure_type": "process",
            "chart": "p",
            "improvement": "increase",
            "frequency": "month",
            "target": "0.95",
            "is_indicator": "on",
        },
    )
    assert good.status_code == 302
    assert Measure.objects.get(code="SEP").is_indicator


def test_upload_preview_then_confirm(tree, member, series):
    client = client_for(member)
    upload = SimpleUploadedFile(
        "obs.csv",
        b"unit_code,measure_code,period,value,note\nRAA-MED-01,WAIT,2025-02,13,\nRAA-MED-01,WAIT,2025-01,99,fixed\nRAA-MED-01,WAIT,2025-03,*,\n",
    )
    html = client.post("/measures/import/", {"what": "observations", "file": upload}).content.decode()
    assert "1 to add, 1 to change, 0 unchanged, 1 warning" in html
    assert "No observation in the file is already in Spiral unchanged." in html
    assert "a missing observation for RAA-MED-01 WAIT 2025-03" in html
    assert Observation.objects.filter(series=series).count() == 13
    token = html.split('name="token" value="')[1].split('"')[0]
    done = client.post("/measures/import/", {"token": token})
    assert done.status_code == 302
    assert Observation.objects.get(series=series, period_start=D(2025, 1, 1)).value == 99


def test_the_preview_offers_to_import_only_the_valid_rows(tree, member, series):
    client = client_for(member)
    upload = SimpleUploadedFile(
        "obs.csv",
        b"unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-02,13\nRAA-MED-01,WAIT,2025-03,oops\n",
    )
    html = client.post("/measures/import/", {"what": "observations", "file": upload}).content.decode()
    assert (
        "Some rows cannot be imported" in html
        and "obs.csv, row 3, column value: &#39;oops&#39; is not a number" in html
    )
    assert "Import the valid rows (1)" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    client.post("/measures/import/", {"token": token, "valid_only": "1"})
    assert Observation.objects.filter(series=series, period_start=D(2025, 2, 1)).exists()


def test_exports_neutralise_formulas_and_the_chart_downloads_as_svg(tree, member, series):
    Observation.objects.filter(series=series, period_start=D(2024, 1, 1)).update(
        note='=HYPERLINK("http://x")'
    )
    client = client_for(member)
    csv = client.get(f"/measures/series/{series.pk}/export.csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in csv.content.decode("utf-8-sig")
    xlsx = client.get(f"/measures/series/{series.pk}/export.xlsx")
    assert xlsx.content[:2] == b"PK"
    svg = client.get(f"/measures/series/{series.pk}/export.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content[:300]
    summary = client.get("/measures/units/RAA-MED-01/export.csv").content.decode("utf-8-sig")
    assert summary.splitlines()[0].startswith("unit_code,unit,measure_code")
    assert "Special cause variation: improvement (high)" in summary


def test_the_unit_page_links_to_its_measures(tree, member):
    assert "/measures/units/RAA/" in client_for(member).get("/units/RAA/").content.decode()


def test_a_page_never_shows_a_stale_analysis_as_current(tree, member, series):
    from spiral.measurement import analyses
    from spiral.measurement.models import Analysis

    analyses.recompute([series.pk])
    Analysis.objects.filter(series=series).update(stale=True, variation_icon="concern_high")
    html = client_for(member).get("/measures/units/RAA-MED-01/").content.decode()
    assert "Updating</strong>" in html
    assert "last calculated" in html
    assert "being recalculated after a change and is not counted above" in html


def test_a_page_only_reads_the_analyses_it_shows(tree, member, series):
    from spiral.measurement import analyses
    from spiral.measurement.models import Analysis

    analyses.recompute([series.pk])
    Analysis.objects.filter(series=series).update(stale=True)
    client_for(member).get("/measures/units/RAA-MED-01/")
    assert Analysis.objects.get(series=series).stale  # left to its task: a read wrote nothing


def test_uploads_left_unconfirmed_for_a_day_are_removed(tree, member, series, settings, tmp_path):
    import os
    import time

    settings.MEDIA_ROOT = str(tmp_path)
    folder = tmp_path / "imports"
    folder.mkdir()
    stale = folder / "old.csv"
    stale.write_text("x")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    upload = SimpleUploadedFile(
        "obs.csv", b"unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-02,13\n"
    )
    client_for(member).post("/measures/import/", {"what": "observations", "file": upload})
    assert not stale.exists()
    assert len(list(folder.iterdir())) == 1


# --- long lists are paged, 50 a page (the measure's series, the measures) ----------------------------


def _rows(html: str) -> int:
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return body.count('<tr class="nhsuk-table__row">')


def test_the_measure_page_pages_its_series_50_at_a_time(tree, member):
    from tests.factories import UnitFactory

    measure = MeasureFactory(code="MANY", name="Many units", owner=tree["org"], is_indicator=True)
    for i in range(53):
        unit = UnitFactory(kind="team", code=f"T{i:03d}", name=f"Team {i:03d}", parent=tree["directorate"])
        SeriesFactory(measure=measure, unit=unit)
    client = client_for(member)
    first = client.get(f"/measures/{measure.pk}/").content.decode()
    assert _rows(first) == 50
    assert "53 units observe Many units; 1 to 50 shown (page 1 of 2)" in first
    assert 'class="nhsuk-pagination"' in first and "?page=2" in first
    second = client.get(f"/measures/{measure.pk}/", {"page": 2}).content.decode()
    assert _rows(second) == 3 and "51 to 53 shown (page 2 of 2)" in second
    assert "T052" in second and "T052" not in first
    # Past the end or not a number: the nearest page, never an error.
    assert _rows(client.get(f"/measures/{measure.pk}/", {"page": 99}).content.decode()) == 3
    assert _rows(client.get(f"/measures/{measure.pk}/", {"page": "x"}).content.decode()) == 50


def test_one_series_reads_as_one_unit_and_has_no_pagination(tree, member, series):
    html = client_for(member).get(f"/measures/{series.measure.pk}/").content.decode()
    assert "1 unit observes Waiting time</caption>" in html and 'class="nhsuk-pagination"' not in html


def test_the_measures_list_is_paged_and_keeps_the_search_in_its_page_links(tree, member):
    for i in range(52):
        MeasureFactory(code=f"FALL{i:02d}", name=f"Falls {i:02d}", owner=tree["org"])
    MeasureFactory(code="OTHER", name="Something else", owner=tree["org"])
    client = client_for(member)
    first = client.get("/measures/", {"q": "Falls"}).content.decode()
    assert _rows(first) == 50 and "52 measures; 1 to 50 shown (page 1 of 2)" in first
    assert "?q=Falls&amp;page=2" in first
    second = client.get("/measures/", {"q": "Falls", "page": 2}).content.decode()
    assert _rows(second) == 2 and "Something else" not in second
