# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from spiral.measurement.imports import import_measures, import_observations
from spiral.measurement.models import Analysis, Measure, Observation, ObservationChange, Series, Target
from tests.conftest import user_with_role
from tests.factories import MeasureFactory

D = dt.date
HEADER = "unit_code,measure_code,period,value,numerator,denominator,note\n"


@pytest.fixture
def measures(tree):
    """An XmR indicator of the organisation, a p chart and a c chart of the team."""
    return {
        "xmr": MeasureFactory(code="WAIT", owner=tree["org"], is_indicator=True, chart="xmr"),
        "p": MeasureFactory(code="SEPSIS", owner=tree["team"], chart="p"),
        "c": MeasureFactory(code="FALLS", owner=tree["team"], chart="c"),
        "week": MeasureFactory(code="HUDDLE", owner=tree["team"], chart="xmr", frequency="week"),
    }


def run(text: str, *, by=None, name: str = "obs.csv", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_observations(data, by=by, filename=name, **kwargs)


def problems(result):
    return [(p.row, p.column, p.message) for p in result.rejected]


def test_a_good_file_lands_whole_with_analyses(measures):
    result = run(
        HEADER
        + "RAA-MED-01,WAIT,2025-01,12,,,\nRAA-MED-01,WAIT,2025-02,14,,,\nRAA-MED-01,SEPSIS,01/01/2025,,40,50,\n"
    )
    assert result.ok and result.applied
    assert (result.added, result.changed, result.unchanged) == (3, 0, 0)
    series = Series.objects.get(measure=measures["xmr"])
    assert Analysis.objects.get(series=series).latest_value == 14
    assert Observation.objects.get(series__measure=measures["p"]).value == 0.8


def test_reimporting_the_same_file_changes_nothing(measures):
    text = HEADER + "RAA-MED-01,WAIT,2025-01,12,,,note\nRAA-MED-01,SEPSIS,2025-01,,40,50,\n"
    run(text)
    before = list(Observation.objects.values_list("pk", "version", "updated_at"))
    again = run(text)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    assert list(Observation.objects.values_list("pk", "version", "updated_at")) == before
    assert not ObservationChange.objects.exists()


def test_a_correction_by_import_is_kept_in_history_with_who_and_when(tree, measures, member):
    run(HEADER + "RAA-MED-01,WAIT,2025-01,12,,,\n", by=member)
    analyst = user_with_role("analyst", tree["org"])
    result = run(HEADER + "RAA-MED-01,WAIT,2025-01,13,,,\n", by=analyst, name="march.csv")
    assert result.changed == 1
    change = ObservationChange.objects.get()
    assert (change.by, change.source, change.before, change.after) == (
        analyst,
        "march.csv",
        {"value": 12.0},
        {"value": 13.0},
    )
    assert Observation.objects.get().version == 2
    assert Analysis.objects.get().latest_value == 13


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("NOPE,WAIT,2025-01,1,,,", "unit_code", "no unit has the code NOPE"),
        ("RAA-MED-01,NOPE,2025-01,1,,,", "measure_code", "no measure has the code NOPE"),
        ("RAA-MED-01,WAIT,sometime,1,,,", "period", "'sometime' is not a period Spiral can read"),
        ("RAA-MED-01,WAIT,15/01/2025,1,,,", "period", "'15/01/2025' is not the start of a month"),
        ("RAA-MED-01,WAIT,2024/25,1,,,", "period", "is a financial year"),
        ("RAA-MED-01,HUDDLE,2025-01,1,,,", "period", "names a month, but this measure is weekly"),
        ("RAA-MED-01,WAIT,2025-01,twelve,,,", "value", "'twelve' is not a number"),
        ("RAA-MED-01,SEPSIS,2025-01,,60,50,", "numerator", "60 is greater than the denominator 50"),
        ("RAA-MED-01,SEPSIS,2025-01,,5,0,", "denominator", "0 is not a positive number"),
        ("RAA-MED-01,FALLS,2025-01,-2,,,", "value", "-2 is a negative count"),
        ("RBB-T1,FALLS,2025-01,2,,,", "measure_code", "FALLS belongs to Ward 1"),
        ("RBB-T1,WAIT,2025-01,2,,,", "measure_code", "is not beneath it"),
    ],
)
def test_each_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_written(
    measures, row, column, message
):
    result = run(HEADER + "RAA-MED-01,WAIT,2024-12,10,,,\n" + row + "\n")
    assert not result.ok and not result.applied
    assert len(result.rejected) == 1
    problem = result.rejected[0]
    assert (problem.file, problem.row, problem.column) == ("obs.csv", 3, column)
    assert message in problem.message
    assert f"obs.csv, row 3, column {column}: " in str(problem)
    assert not Observation.objects.exists()


def test_duplicate_rows_within_the_file_are_both_rejected(measures):
    result = run(
        HEADER
        + "RAA-MED-01,WAIT,2025-01,1,,,\nRAA-MED-01,WAIT,2025-02,1,,,\nRAA-MED-01,WAIT,01/01/2025,2,,,\n"
    )
    assert problems(result) == [
        (
            2,
            "period",
            "duplicate row: later rows give RAA-MED-01 WAIT 2025-01 again; keep one row per unit, measure and period",
        ),
        (
            4,
            "period",
            "duplicate row: row 2 already gives RAA-MED-01 WAIT 2025-01; keep one row per unit, measure and period",
        ),
    ]
    assert not Observation.objects.exists()


def test_a_measure_the_importer_may_not_write_to_is_refused(tree, measures, outsider):
    result = run(HEADER + "RAA-MED-01,WAIT,2025-01,1,,,\n", by=outsider)
    assert problems(result) == [
        (2, "measure_code", "you may not record data for RAA-MED-01; ask someone with a role there")
    ]


def test_importing_the_valid_rows_writes_them_and_reports_the_rest(measures):
    result = run(HEADER + "RAA-MED-01,WAIT,2025-01,1,,,\nRAA-MED-01,WAIT,2025-02,oops,,,\n", valid_only=True)
    assert result.applied and result.added == 1 and result.rejected_rows == 1
    assert list(Observation.objects.values_list("period_start", flat=True)) == [D(2025, 1, 1)]


@pytest.mark.parametrize("marker", ["*", "..", "-", "N/A", ""])
def test_suppressed_or_empty_values_are_missing_observations_never_zero(measures, marker):
    result = run(HEADER + f"RAA-MED-01,WAIT,2025-01,1,,,\nRAA-MED-01,WAIT,2025-02,{marker},,,\n")
    assert result.ok and result.added == 1
    assert len(result.warnings) == 1
    assert (
        result.warnings[0].row == 3
        and "a missing observation for RAA-MED-01 WAIT 2025-02" in result.warnings[0].message
    )
    assert not Observation.objects.filter(value=0).exists()


def test_a_misspelt_column_is_refused_by_name(measures):
    result = run("unit_code,measure_code,period,valeu\nRAA-MED-01,WAIT,2025-01,1\n")
    assert len(result.rejected) == 2
    assert result.rejected[0].column == "valeu"
    assert "unknown column 'valeu'; did you mean value?" in result.rejected[0].message
    assert not Observation.objects.exists()


def test_a_missing_required_column_gets_one_clear_message(measures):
    result = run("unit_code,measure_code,value\nRAA-MED-01,WAIT,1\n")
    assert [str(p) for p in result.rejected] == [
        "obs.csv, row 1: the file has no period column; the columns are "
        "unit_code, measure_code, period, value, numerator, denominator, note"
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "obs.csv", "the file is empty"),
        (b"%PDF-1.4 binary", "report.pdf", "the file must be CSV or XLSX, not .pdf"),
        (b"\x00\x01\x02binary", "obs.csv", "not a text CSV file"),
        (b"PK\x03\x04 not really a workbook", "obs.xlsx", "not a readable XLSX workbook"),
    ],
)
def test_unreadable_files_get_one_clear_message(measures, data, name, message):
    result = run(data, name=name)
    assert len(result.rejected) == 1
    assert message in result.rejected[0].message


def test_a_file_larger_than_the_limit_is_refused(measures, settings):
    settings.MEASUREMENT_IMPORT_MAX_BYTES = 100
    result = run(HEADER + "RAA-MED-01,WAIT,2025-01,1,,,\n" * 5)
    assert "larger than the limit" in result.rejected[0].message


def test_excel_utf8_with_bom_and_cp1252_are_read(measures):
    bom = ("\ufeff" + HEADER + "RAA-MED-01,WAIT,2025-01,1,,,café\n").encode("utf-8")
    cp1252 = (HEADER + "RAA-MED-01,WAIT,2025-02,2,,,£5 voucher\n").encode("cp1252")
    assert run(bom).ok and run(cp1252).ok
    assert set(Observation.objects.values_list("note", flat=True)) == {"café", "£5 voucher"}


def test_rows_above_the_header_and_multiline_cells_keep_spreadsheet_row_numbers(measures):
    text = (
        "Falls report\nExported 2025\n"
        + HEADER
        + 'RAA-MED-01,WAIT,2025-01,1,,,"two\nlines"\nRAA-MED-01,WAIT,2025-02,bad,,,\n'
    )
    result = run(text)
    assert problems(result) == [
        (5, "value", "'bad' is not a number; write it with digits, like 4.5 or 1,200")
    ]


def test_xlsx_problems_name_the_cell(measures):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["unit_code", "measure_code", "period", "value"])
    sheet.append(["RAA-MED-01", "WAIT", dt.datetime(2025, 1, 1), 3])
    sheet.append(["RAA-MED-01", "WAIT", dt.datetime(2025, 2, 1), "n/k"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = run(buffer.getvalue(), name="obs.xlsx")
    assert [str(p) for p in result.rejected] == [
        "obs.xlsx, row 3, column value (D3): 'n/k' is not a number; write it with digits, like 4.5 or 1,200"
    ]


def test_the_wide_layout_reads_one_column_per_period(measures):
    result = run("unit_code,measure_code,2025-01,2025-02,Mar-25\nRAA-MED-01,WAIT,1,2,*\n")
    assert result.ok and result.layout == "wide" and result.added == 2
    assert result.warnings[0].column == "Mar-25"
    assert sorted(Observation.objects.values_list("value", flat=True)) == [1, 2]


def test_the_wide_layout_can_name_its_measure_outside_the_file(measures):
    result = run("unit_code,01/01/2025,01/02/2025\nRAA-MED-01,5,6\n", measure_code="WAIT")
    assert result.ok and result.added == 2


def test_personal_data_in_notes_is_redacted_and_formula_text_stored_as_written(measures):
    result = run(
        HEADER + "RAA-MED-01,WAIT,2025-01,1,,,call jo@example.com\nRAA-MED-01,WAIT,2025-02,1,,,=SUM(A1)\n"
    )
    assert result.warnings[0].row == 2 and "an email address" in result.warnings[0].message
    assert list(Observation.objects.order_by("period_start").values_list("note", flat=True)) == [
        "call [redacted]",
        "=SUM(A1)",
    ]


# --- measures --------------------------------------------------------------------------------------

MEASURES = "code,name,owner_unit_code,measure_type,chart,improvement,frequency,target,label,description\n"


def test_measures_are_defined_in_bulk_and_reimporting_changes_nothing(tree):
    text = (
        MEASURES
        + "SEP,Sepsis,RAA,process,p,increase,month,0.9,%,Within an hour\nWT,Wait,RAA-MED-01,outcome,xmr,decrease,week,,days,\n"
    )
    first = import_measures(text.encode(), by=None, filename="m.csv")
    assert first.ok and first.created == ["SEP", "WT"]
    assert Measure.objects.get(code="SEP").is_indicator and not Measure.objects.get(code="WT").is_indicator
    assert Target.objects.get(measure__code="SEP").value == 0.9
    again = import_measures(text.encode(), by=None, filename="m.csv")
    assert again.unchanged == ["SEP", "WT"] and not again.created and not again.updated


def test_a_bad_measure_row_is_reported_and_nothing_is_written(tree):
    text = (
        MEASURES + "SEP,Sepsis,RAA,process,p,increase,month,95%,%,\nX,Other,NOWHERE,outcome,xmr,up,month,,,\n"
    )
    result = import_measures(text.encode(), by=None, filename="m.csv")
    assert [(p.row, p.column) for p in result.rejected] == [(2, "target"), (3, "owner_unit_code")]
    assert "write 0.95" in result.rejected[0].message
    assert not Measure.objects.exists()


def test_a_measure_import_refuses_unknown_columns(tree):
    result = import_measures((MEASURES.strip() + ",colour\n").encode(), by=None, filename="m.csv")
    assert result.rejected[0].column == "colour"


def test_a_large_correction_updates_every_row_and_keeps_each_in_history(tree, measures):
    months = [f"{1920 + m // 12}-{m % 12 + 1:02d}" for m in range(1100)]
    run(HEADER + "".join(f"RAA-MED-01,WAIT,{m},1,,,\n" for m in months))
    result = run(HEADER + "".join(f"RAA-MED-01,WAIT,{m},2,,,\n" for m in months), name="again.csv")
    assert (result.added, result.changed, result.unchanged) == (0, 1100, 0)
    assert set(Observation.objects.values_list("value", "version")) == {(2.0, 2)}
    assert ObservationChange.objects.filter(source="again.csv").count() == 1100
    assert Analysis.objects.get().latest_value == 2


def test_xlsx_rows_keep_their_sheet_numbers_below_notes_and_blank_rows(measures):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Waiting times, exported from the ward system"
    sheet.append([])
    sheet.append(["unit_code", "measure_code", dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1)])
    sheet.append(["RAA-MED-01", "WAIT", 3, "three"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = run(buffer.getvalue(), name="wide.xlsx")
    assert [str(p) for p in result.rejected] == [
        "wide.xlsx, row 4, column 2025-02-01 (D4): 'three' is not a number; write it with digits, like 4.5 or 1,200"
    ]


def test_a_later_file_adds_its_months_and_leaves_the_history_alone(measures):
    run(HEADER + "RAA-MED-01,WAIT,2024-11,1,,,\nRAA-MED-01,WAIT,2024-12,2,,,\nRAA-MED-01,WAIT,2025-01,3,,,\n")
    result = run(HEADER + "RAA-MED-01,WAIT,2025-01,3,,,\nRAA-MED-01,WAIT,2025-02,4,,,\n")
    assert (result.added, result.changed, result.unchanged) == (1, 0, 1)
    assert list(Observation.objects.order_by("period_start").values_list("value", flat=True)) == [1, 2, 3, 4]
    assert Analysis.objects.get().points == 4


def test_excel_unicode_text_is_read(measures):
    text = "unit_code\tmeasure_code\tperiod\tvalue\nRAA-MED-01\tWAIT\t2025-01\t7\n"
    result = run(text.encode("utf-16"), name="obs.txt")
    assert result.ok and result.added == 1
