"""Reading CSV and XLSX tables as analysts save them, with rows numbered as a spreadsheet shows them."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from spiral.core.tabular import ACTIVE_SHEET, Problem, TableError, iter_records, read_table

REQUIRED = ["code", "name", "kind", "parent_code"]


def read(data: bytes, **kwargs: object):
    return read_table(data, required=REQUIRED, **kwargs)


def rows(table) -> list[tuple[int, dict[str, object]]]:
    return [(r.number, r.values) for r in table.rows]


def workbook(cells: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in cells:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_header_is_row_one_and_the_first_record_row_two():
    table = read(b"code,name,kind,parent_code\nA,Ward,team,B\n")
    assert table.header_row == 1
    assert rows(table) == [(2, {"code": "A", "name": "Ward", "kind": "team", "parent_code": "B"})]


def test_header_names_ignore_case_and_spaces():
    table = read(b"Code, Name ,KIND,Parent code\nA,Ward,team,B\n")
    assert table.columns == ["code", "name", "kind", "parent_code"]


def test_a_quoted_cell_spanning_lines_is_one_row():
    table = read(b'code,name,kind,parent_code\nA,"Ward\nwith a long name",team,B\nC,Clinic,team,B\n')
    assert [n for n, _ in rows(table)] == [2, 3]
    assert table.rows[0].values["name"] == "Ward\nwith a long name"


def test_notes_above_the_header_keep_the_real_sheet_numbers():
    table = read(b"Exported by Jane; for the board\n\ncode,name,kind,parent_code\nA,Ward,team,B\n")
    assert table.header_row == 3
    assert rows(table)[0][0] == 4


def test_blank_rows_are_skipped_but_still_counted():
    table = read(b"code,name,kind,parent_code\nA,Ward,team,B\n,,,\n\nC,Clinic,team,B\n")
    assert [n for n, _ in rows(table)] == [2, 5]


def test_windows_line_endings_are_read():
    table = read(b"code,name,kind,parent_code\r\nA,Ward,team,B\r\n")
    assert rows(table) == [(2, {"code": "A", "name": "Ward", "kind": "team", "parent_code": "B"})]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("code,name,kind,parent_code\nA,Hôpital,team,B\n".encode(), "Hôpital"),
        ("code,name,kind,parent_code\nA,Hôpital,team,B\n".encode("utf-8-sig"), "Hôpital"),
        ("code,name,kind,parent_code\nA,St John’s £5 café,team,B\n".encode("cp1252"), "St John’s £5 café"),
    ],
    ids=["utf-8", "utf-8 with BOM", "cp1252"],
)
def test_text_in_the_encodings_excel_saves_is_decoded(data, name):
    table = read(data)
    assert table.columns[0] == "code"
    assert table.rows[0].values["name"] == name


@pytest.mark.parametrize(
    "data",
    [
        b"code;name;kind;parent_code\nA;Ward 1, day unit;team;B\n",
        b"code\tname\tkind\tparent_code\nA\tWard 1, day unit\tteam\tB\n",
        b'code,name,kind,parent_code\nA,"Ward 1, day unit",team,B\n',
    ],
    ids=["semicolons", "tabs", "commas"],
)
def test_the_delimiter_is_found(data):
    assert read(data).rows[0].values["name"] == "Ward 1, day unit"


def test_apostrophes_and_doubled_quotes_survive():
    table = read(b'code,name,kind,parent_code\nA,St John\'s,team,B\nC,"The ""Big"" ward",team,B\n')
    assert [r.values["name"] for r in table.rows] == ["St John's", 'The "Big" ward']


def test_extra_columns_are_kept_and_optional_ones_may_be_absent():
    table = read(b"code,name,kind,parent_code,notes\nA,Ward,team,B,busy\n", optional=["organisation_type"])
    assert table.rows[0].values["notes"] == "busy"
    assert table.rows[0].get("organisation_type") is None


def test_xlsx_cells_keep_their_types_and_rows_their_numbers():
    data = workbook(
        [["Units export"], [], ["code", "name", "kind", "parent_code", "opened_on"],
         [101, "Ward", "team", "B", dt.datetime(2025, 4, 1)]]
    )  # fmt: skip
    table = read(data, filename="units.xlsx")
    assert table.header_row == 3
    assert rows(table) == [
        (
            4,
            {
                "code": 101,
                "name": "Ward",
                "kind": "team",
                "parent_code": "B",
                "opened_on": dt.datetime(2025, 4, 1),
            },
        )
    ]


def test_a_file_path_is_read(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"code,name,kind,parent_code\nA,Ward,team,B\n")
    assert len(read_table(path, required=REQUIRED).rows) == 1


def test_a_file_object_is_read():
    assert len(read(b"code,name,kind,parent_code\nA,Ward,team,B\n").rows) == 1
    table = read_table(io.BytesIO(b"code,name,kind,parent_code\nA,Ward,team,B\n"), required=REQUIRED)
    assert len(table.rows) == 1


def problems(data: bytes, **kwargs: object) -> list[Problem]:
    with pytest.raises(TableError) as caught:
        read(data, **kwargs)
    return caught.value.problems


def test_a_missing_column_is_named_with_the_header_row():
    assert problems(b"note\ncode,name,kind\nA,Ward,team\n") == [
        Problem(2, "parent_code", "the header has no parent_code column; the columns needed are "
                "code, name, kind, parent_code"),
    ]  # fmt: skip


def test_no_header_at_all_says_what_the_first_row_should_hold():
    (problem,) = problems(b"just some text\nand more\n")
    assert "no header row with the columns code, name, kind, parent_code" in problem.message


def test_a_column_given_twice_is_refused():
    assert problems(b"code,name,kind,parent_code,name\n") == [Problem(1, "name", "this column appears twice")]


def test_a_row_longer_than_the_header_is_refused_with_its_row():
    (problem,) = problems(b"code,name,kind,parent_code\nA,Ward,team,B\nC,Clinic,team,B,surprise\n")
    assert problem.row == 3


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b" \r\n \n", "the file is empty"),
        (b"\x00\x01\x02binary\xff\xfe", "binary data"),
        (b"PK\x03\x04junk", "not a readable XLSX workbook"),
    ],
    ids=["empty", "blank", "binary", "damaged xlsx"],
)
def test_a_file_that_is_not_a_table_gets_a_clear_message(data, words):
    (problem,) = problems(data)
    assert words in problem.message


def test_an_unreadable_path_says_so(tmp_path):
    with pytest.raises(TableError) as caught:
        read_table(tmp_path / "nope.csv", required=REQUIRED)
    assert "cannot read" in str(caught.value)


def test_a_problem_reads_as_row_column_and_message():
    assert str(Problem(7, "kind", "not a kind")) == "row 7, column kind: not a kind"
    assert str(Problem(None, None, "the file is empty")) == "the file is empty"


def two_sheets(active: int) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["about", "this file"])
    data = book.create_sheet("Data")
    data.append(["date", "value"])
    data.append(["2025-01", 4])
    book.active = active
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_iter_records_reads_the_first_sheet_unless_told_which():
    assert list(iter_records(two_sheets(active=1))[1]) == [["about", "this file"]]
    assert list(iter_records(two_sheets(active=0), sheet="Data")[1]) == [["date", "value"], ["2025-01", 4]]
    active = iter_records(two_sheets(active=1), default_sheet=ACTIVE_SHEET)[1]
    assert list(active) == [["date", "value"], ["2025-01", 4]]


def test_iter_records_names_the_sheets_when_the_one_asked_for_is_absent():
    with pytest.raises(TableError, match="no sheet named 'Summary'; sheets are Notes, Data"):
        list(iter_records(two_sheets(active=0), sheet="Summary")[1])


def test_iter_records_gives_csv_records_by_sheet_row_whatever_the_encoding():
    data = '\ufeffdate;note\n2025-01;"a; b\nc"\n2025-02;£\n'.encode()
    assert iter_records(data)[0] is False
    assert list(iter_records(data)[1]) == [["date", "note"], ["2025-01", "a; b\nc"], ["2025-02", "£"]]
    assert list(iter_records("date\tvalue\n2025-01\t1\n".encode("utf-16"))[1])[1] == ["2025-01", "1"]
