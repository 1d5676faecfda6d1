"""`spiral spc FILE`: CSV and XLSX in, table / JSON / CSV / SVG out, clear errors with exit status 2."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from spiral.spc_cli import main

WORKED = [20, 24, 21, 23, 22, 26, 21, 23, 30, 22]
Capsys = pytest.CaptureFixture[str]


def write_csv(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def worked_csv(tmp_path: Path) -> Path:
    lines = ["Month,Falls"] + [f"01/{m:02d}/2025,{v}" for m, v in enumerate(WORKED, start=1)]
    return write_csv(tmp_path, "\n".join(lines) + "\n")


def test_json_output_matches_the_worked_example(tmp_path: Path, capsys: Capsys) -> None:
    status = main([str(worked_csv(tmp_path)), "--format", "json", "--target", "35"])

    d = json.loads(capsys.readouterr().out)
    assert status == 0
    assert d["centre"][0] == pytest.approx(23.2)
    assert d["ucl"][0] == pytest.approx(33.84)
    assert d["dates"][0] == "01/01/2025"
    assert d["assurance_icon"] == "fail"


def test_table_output_lists_points_and_icons(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path))]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["date", "value", "centre", "lcl", "ucl", "type", "signals"]
    assert "variation icon: common_cause" in out


def test_csv_output_has_one_row_per_point(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path)), "--format", "csv"]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 10
    assert float(rows[0]["centre"]) == pytest.approx(23.2)
    assert rows[0]["outside_limits"] == "false"


def test_svg_output_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "chart.svg"

    assert (
        main([str(worked_csv(tmp_path)), "--format", "svg", "--title", "Falls & <harm>", "-o", str(out)]) == 0
    )

    root = ET.fromstring(out.read_text(encoding="utf-8"))  # noqa: S314 - our own output
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Falls & <harm>"


def test_suppressed_and_empty_cells_are_missing_not_zero(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(
        tmp_path,
        'date,value\n2025-01,"1,200"\n2025-02,*\n2025-03,\n2025-04,-\n2025-05,..\n2025-06,95%\n2025-07,x\n'
        "2025-08,#N/A\n",
    )

    assert main([str(path), "--format", "json"]) == 0

    d = json.loads(capsys.readouterr().out)
    assert d["values"] == [1200.0, None, None, None, None, 95.0, None, None]


def test_cp1252_files_are_read(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "Période,Wait £\nJan-25,1\nFeb-25,2\n", encoding="cp1252")

    assert main([str(path), "--format", "json"]) == 0

    assert json.loads(capsys.readouterr().out)["dates"] == ["Jan-25", "Feb-25"]


def test_a_bad_cell_names_the_row_and_column(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "date,value\n2025-01,1\n2025-02,abc\n")

    status = main([str(path)])

    err = capsys.readouterr().err
    assert status == 2
    assert "row 3, column 'value': 'abc' is not a number" in err


def test_rows_count_like_a_spreadsheet_with_lines_above_the_header(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, '\n\ndate,value,note\n2025-01,1,"two\nlines"\n2025-02,lots,\n')

    assert main([str(path)]) == 2

    assert "row 5, column 'value'" in capsys.readouterr().err


def test_p_chart_errors_point_at_the_cell(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "date,breaches,attendances\n2025-01,5,50\n2025-02,7,0\n")

    status = main([str(path), "--chart", "p", "--value", "breaches", "--denominator", "attendances"])

    assert status == 2
    assert "row 3, column 'attendances': 0 is not a positive number" in capsys.readouterr().err


def test_p_chart_without_denominator_says_which_option(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path)), "--chart", "p"]) == 2

    assert "--denominator" in capsys.readouterr().err


def test_unknown_column_lists_the_header(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path)), "--value", "Waits"]) == 2

    assert (
        "no column 'Waits' for the values; the header (row 1) has 'Month', 'Falls'" in capsys.readouterr().err
    )


def test_missing_file_and_bad_options_exit_2(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(tmp_path / "nope.csv")]) == 2
    assert main([str(worked_csv(tmp_path)), "--chart", "xbar"]) == 2
    assert main([str(worked_csv(tmp_path)), "--baseline", "1"]) == 2
    assert "--baseline: 1 is too short" in capsys.readouterr().err


def test_rebase_matches_dates_in_any_supported_format(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path)), "--format", "json", "--rebase", "2025-06-01"]) == 0

    assert json.loads(capsys.readouterr().out)["rebase"] == [5]


def test_rebase_to_an_unknown_date_is_an_error(tmp_path: Path, capsys: Capsys) -> None:
    assert main([str(worked_csv(tmp_path)), "--rebase", "2031-01-01"]) == 2

    assert "--rebase 2031-01-01: no row has this date" in capsys.readouterr().err


def test_xlsx_with_dates_and_suppressed_cells(tmp_path: Path, capsys: Capsys) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Period", "Numerator", "Denominator"])
    for m in range(1, 13):
        ws.append([dt.datetime(2025, m, 1), "*" if m == 4 else 10 + m, 100])
    path = tmp_path / "data.xlsx"
    book.save(path)

    status = main(
        [
            str(path),
            "--chart",
            "p",
            "--value",
            "numerator",
            "--denominator",
            "denominator",
            "--format",
            "json",
        ]
    )

    d = json.loads(capsys.readouterr().out)
    assert status == 0
    assert d["dates"][0] == "2025-01-01"
    assert d["values"][3] is None
    assert d["values"][0] == pytest.approx(0.11)


def test_xlsx_sheet_option_reads_that_sheet_and_lists_the_sheets_when_absent(
    tmp_path: Path, capsys: Capsys
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["about"])
    data = book.create_sheet("Data")
    data.append(["date", "value"])
    for m in range(1, 4):
        data.append([f"2025-0{m}", m])
    path = tmp_path / "two.xlsx"
    book.save(path)

    assert main([str(path), "--sheet", "Data", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["values"] == [1.0, 2.0, 3.0]
    assert main([str(path), "--sheet", "Summary"]) == 2
    assert "no sheet named 'Summary'; sheets are Notes, Data" in capsys.readouterr().err


def test_xlsx_errors_give_the_cell_reference(tmp_path: Path, capsys: Capsys) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["date", "value"])
    ws.append(["2025-01", 1])
    ws.append(["2025-02", "lots"])
    path = tmp_path / "bad.xlsx"
    book.save(path)

    assert main([str(path)]) == 2

    assert "row 3, column 'value' (B3): 'lots' is not a number" in capsys.readouterr().err


@pytest.mark.parametrize(
    "labels",
    [
        ["2025-04-01", "2025-05-01"],
        ["01/04/2025", "01/05/2025"],
        ["2025-04", "2025-05"],
        ["Apr-25", "May-25"],
        ["April 2025", "May 2025"],
    ],
)
def test_rebase_reads_dates_written_as_the_file_writes_them(
    labels: list[str], tmp_path: Path, capsys: Capsys
) -> None:
    rows = [f"{label},{v}" for label, v in zip(labels, [1, 2], strict=True)]
    path = write_csv(tmp_path, "date,value\n2025-02-01,3\n2025-03-01,4\n" + "\n".join(rows) + "\n")

    assert main([str(path), "--format", "json", "--rebase", "01/04/2025"]) == 0

    assert json.loads(capsys.readouterr().out)["rebase"] == [2]


def test_a_financial_year_label_is_a_free_label_kept_in_file_order(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "period,value\n2024/25,3\n2023/24,2\n")

    assert main([str(path), "--format", "json"]) == 0

    assert json.loads(capsys.readouterr().out)["dates"] == ["2024/25", "2023/24"]


def test_a_two_digit_year_is_refused_with_how_to_write_it(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "date,value\n01/03/2025,3\n01/04/25,2\n")

    assert main([str(path)]) == 2

    assert (
        "row 3, column 'date': '01/04/25' has a two-digit year; write the year in full, like 01/04/2025"
        in capsys.readouterr().err
    )


def test_rows_latest_first_are_put_in_date_order(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "date,value\n2025-03,3\n2025-02,lots\n2025-01,1\n")

    assert main([str(path)]) == 2
    assert "row 3, column 'value': 'lots' is not a number" in capsys.readouterr().err

    path = write_csv(tmp_path, "date,value\nMar-25,3\nFeb-25,2\nJan-25,1\n")
    assert main([str(path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["values"] == [1.0, 2.0, 3.0]
    assert "put in date order" in captured.err


def test_a_repeated_date_is_an_error(tmp_path: Path, capsys: Capsys) -> None:
    path = write_csv(tmp_path, "date,value\n2025-01-01,1\n01/01/2025,2\n")

    assert main([str(path)]) == 2

    assert "row 3, column 'date': 2025-01-01 repeats row 2" in capsys.readouterr().err
