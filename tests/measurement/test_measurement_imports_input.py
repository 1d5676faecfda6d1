"""Observation and measure imports refuse the input the probe found passing: each refusal names the
file, row, column and what to do, and the command exits non-zero."""

# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from spiral.cli import main
from spiral.measurement.imports import import_measures, import_observations
from spiral.measurement.models import Observation
from spiral.organisations.imports import import_units
from tests.factories import MeasureFactory

HEADER = "unit_code,measure_code,period,value,numerator,denominator,note\n"


@pytest.fixture
def measures(tree):
    return {
        "p": MeasureFactory(code="SEPSIS", owner=tree["team"], chart="p"),
        "u": MeasureFactory(code="INFECT", owner=tree["team"], chart="u"),
        "c": MeasureFactory(code="FALLS", owner=tree["team"], chart="c"),
        "xmr": MeasureFactory(code="WAIT", owner=tree["team"], chart="xmr"),
    }


def run(text, name="obs.csv", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_observations(data, by=None, filename=name, **kwargs)


def only_problem(result):
    assert not result.ok and not result.applied
    assert len(result.rejected) == 1, result.rejected
    return result.rejected[0]


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("RAA-MED-01,SEPSIS,2025-01,,2.5,10,", "numerator", "not a whole number"),
        ("RAA-MED-01,SEPSIS,2025-01,,2,10.5,", "denominator", "not a whole number"),
        ("RAA-MED-01,INFECT,2025-01,,2.5,10,", "numerator", "not a whole number"),
        ("RAA-MED-01,INFECT,2025-01,,-1,10.5,", "numerator", "negative"),
        ("RAA-MED-01,FALLS,2025-01,,3,10,", "numerator", "a c chart plots a count"),
        ("RAA-MED-01,FALLS,2025-01,4,3,,", "numerator", "a c chart plots a count"),
        ("RAA-MED-01,WAIT,2025-01,1_000,,,", "value", "underscore"),
        ("RAA-MED-01,WAIT,2025-01,\u0661\u0662,,,", "value", "digits other than 0 to 9"),
        ("RAA-MED-01,WAIT,2025-01,1e308,,,", "value", "outside the range"),
        ("RAA-MED-01,WAIT,1066-10,4,,,", "period", "check the year"),
        ("RAA-MED-01,WAIT,2205-01,4,,,", "period", "check the year"),
        ("RAA-MED-01\x1b,WAIT,2025-01,4,,,", "unit_code", "control character"),
        ("RAA-MED-01,WA\x07IT,2025-01,4,,,", "measure_code", "control character"),
        ('RAA-MED-01,WAIT,2025-01,4,,,"a\x07b"', "note", "control character"),
        ("RAA-MED-01,WAIT,2025-01,4,,," + "x" * 2001, "note", "the limit is 2,000"),
        ("RAA-MED-01,WAIT,2025-01,4", "numerator", "the header has 7 columns"),
    ],
)
def test_each_loose_row_is_refused_with_its_row_and_column(measures, row, column, says):
    problem = only_problem(run(HEADER + "RAA-MED-01,WAIT,2024-12,10,,,\n" + row + "\n"))
    assert (problem.file, problem.row, problem.column) == ("obs.csv", 3, column)
    assert says in problem.message
    assert not Observation.objects.exists()


def test_a_whole_numerator_on_a_p_chart_is_still_accepted(measures):
    result = run(HEADER + "RAA-MED-01,SEPSIS,2025-01,,2,10,\n")
    assert result.ok and result.applied
    assert Observation.objects.get().value == pytest.approx(0.2)


def test_a_file_with_a_header_and_no_rows_is_refused(measures):
    problem = only_problem(run(HEADER + "\n,,,,,,\n"))
    assert problem.row == 1
    assert "no rows of data" in problem.message


def test_an_excel_csv_with_a_byte_order_mark_and_crlf_and_a_header_only_is_refused(measures):
    data = b"\xef\xbb\xbf" + HEADER.replace("\n", "\r\n").encode()
    problem = only_problem(run(data))
    assert "no rows of data" in problem.message


def test_an_xlsx_sheet_with_a_header_and_no_rows_is_refused(measures):
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    assert "no rows of data" in only_problem(run(buffer.getvalue(), name="obs.xlsx")).message


def test_an_xlsx_row_without_its_trailing_empty_cells_is_read(measures):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["RAA-MED-01", "WAIT", "2025-01", 4])
    buffer = io.BytesIO()
    book.save(buffer)
    result = run(buffer.getvalue(), name="obs.xlsx")
    assert result.ok and result.added == 1


def test_a_period_in_the_future_is_imported_with_a_warning(measures):
    next_month = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    result = run(HEADER + f"RAA-MED-01,WAIT,{next_month:%Y-%m},4,,,\n")
    assert result.ok and result.applied
    assert [(w.row, w.column) for w in result.warnings] == [(2, "period")]
    assert "in the future" in result.warnings[0].message


def test_a_nul_byte_deep_in_a_csv_file_names_its_row(measures):
    rows = "".join(f"RAA-MED-01,WAIT,{2000 + i // 12}-{i % 12 + 1:02d},1,,,\n" for i in range(200))
    problem = only_problem(run(HEADER + rows + "RAA-MED-01,WAIT,2024-01,1\x00,,,\n"))
    assert problem.row == 202


def test_the_command_exits_non_zero_for_a_header_only_file_and_names_the_file(tmp_path, capsys, measures):
    path = tmp_path / "empty.csv"
    path.write_text(HEADER)
    assert main(["import", "observations", str(path)]) == 1
    err = capsys.readouterr().err
    assert "empty.csv, row 1: the file has a header (row 1) but no rows of data" in err


def test_a_units_file_with_a_header_and_no_rows_is_refused(db):
    result = import_units(b"code,name,kind,parent_code\n", by=None, filename="units.csv")
    assert not result.ok
    assert "no rows of data" in str(result.problems[0])


def test_a_units_row_cut_short_is_refused_with_its_row(tree):
    result = import_units(
        b"code,name,kind,parent_code,organisation_type\nRAA-X,Ward X,team\n", by=None, filename="units.csv"
    )
    assert [(p.row, p.column) for p in result.problems] == [(2, "parent_code")]


def test_a_unit_code_with_a_slash_is_refused_in_the_units_import(tree):
    result = import_units(
        b"code,name,kind,parent_code\nRAA/X,Ward X,team,RAA-MED\n", by=None, filename="units.csv"
    )
    assert [(p.row, p.column) for p in result.problems] == [(2, "code")]
    assert "'/'" in result.problems[0].message


def test_the_units_command_exits_non_zero_for_a_header_only_file(tmp_path, capsys, db):
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code\n")
    assert main(["import", "units", str(path)]) == 1
    assert "no rows of data" in capsys.readouterr().err


MEASURES = "code,name,owner_unit_code,measure_type,chart,improvement,frequency,target,label,description\n"


def test_a_measures_file_with_a_header_and_no_rows_is_refused(tree):
    result = import_measures(MEASURES.encode(), by=None, filename="m.csv")
    assert not result.ok and "no rows of data" in result.rejected[0].message


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("SEP/1,Sepsis,RAA,process,p,increase,month,0.9,%,x", "code", "'/'"),
        ("SEP\u20131,Sepsis,RAA,process,p,increase,month,0.9,%,x", "code", "U+2013"),
        ("SEP,Sepsis,RAA,process,p,increase,month,1e308,%,x", "target", "outside the range"),
        ("SEP,Sepsis,RAA,process,xmr,increase,month,1_000,%,x", "target", "underscore"),
        (
            "SEP,Sepsis,RAA,process,p,increase,month,0.9,%," + "d" * 10_001,
            "description",
            "the limit is 10,000",
        ),
        ("SEP," + "n" * 201 + ",RAA,process,p,increase,month,0.9,%,x", "name", "the limit is 200"),
    ],
)
def test_a_bad_measure_row_is_refused_with_its_row_and_column(tree, row, column, says):
    result = import_measures((MEASURES + row + "\n").encode(), by=None, filename="m.csv")
    assert not result.ok and not result.applied
    problem = result.rejected[0]
    assert (problem.file, problem.row, problem.column) == ("m.csv", 2, column)
    assert says in problem.message


def test_recording_one_observation_refuses_a_period_centuries_off_and_warns_of_one_ahead(measures):
    from django.core.exceptions import ValidationError

    from spiral.measurement import services
    from spiral.measurement.models import Series

    series = Series.objects.create(measure=measures["xmr"], unit=measures["xmr"].owner)
    with pytest.raises(ValidationError) as caught:
        services.record_observation(series=series, period="1066-10", value=4, by=None)
    assert "check the year" in caught.value.message_dict["period"][0]
    next_month = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    _, warnings = services.record_observation(series=series, period=f"{next_month:%Y-%m}", value=4, by=None)
    assert any("in the future" in w for w in warnings)


def test_recording_one_observation_refuses_an_oversized_note(measures):
    from django.core.exceptions import ValidationError

    from spiral.measurement import services
    from spiral.measurement.models import Series

    series = Series.objects.create(measure=measures["xmr"], unit=measures["xmr"].owner)
    with pytest.raises(ValidationError) as caught:
        services.record_observation(series=series, period="2025-01", value=4, note="x" * 2001, by=None)
    assert "the limit is 2,000" in caught.value.message_dict["note"][0]


def test_the_web_import_preview_lists_the_refusal_of_a_header_only_file(measures, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import client_for, user_with_role

    analyst = user_with_role("analyst", tree["org"])
    upload = SimpleUploadedFile("empty.csv", HEADER.encode(), content_type="text/csv")
    response = client_for(analyst).post("/measures/import/", {"what": "observations", "file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "empty.csv, row 1: the file has a header (row 1) but no rows of data" in html


def test_a_u_chart_denominator_may_be_an_exposure_with_decimals(measures):
    result = run(HEADER + "RAA-MED-01,INFECT,2025-01,,3,1.5,\n")
    assert result.ok and Observation.objects.get().value == pytest.approx(2.0)


def test_the_web_import_preview_shows_unit_and_measure_names_beside_their_codes(measures, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import client_for, user_with_role

    measures["xmr"].name = "Minutes waited for a bed"
    measures["xmr"].save()
    analyst = user_with_role("analyst", tree["org"])
    upload = SimpleUploadedFile("obs.csv", (HEADER + "RAA-MED-01,WAIT,2025-01,4,,,\n").encode())
    html = (
        client_for(analyst)
        .post("/measures/import/", {"what": "observations", "file": upload})
        .content.decode()
    )
    team = tree["team"]
    assert f'{team.name} <span class="spiral-meta">{team.code}</span>' in html
    assert 'Minutes waited for a bed <span class="spiral-meta">WAIT</span>' in html


def test_the_measure_import_preview_names_each_measure_beside_its_code(tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import client_for, user_with_role

    analyst = user_with_role("analyst", tree["org"])
    text = "code,name,owner_unit_code,measure_type,chart,improvement,frequency\n"
    text += f"NEWM,Falls with harm,{tree['team'].code},outcome,c,decrease,month\n"
    upload = SimpleUploadedFile("measures.csv", text.encode())
    html = (
        client_for(analyst).post("/measures/import/", {"what": "measures", "file": upload}).content.decode()
    )
    assert "To create: Falls with harm (NEWM)." in html
