"""read_table refuses the shapes of a damaged or wrongly saved file, naming the row."""

from __future__ import annotations

import io

import openpyxl
import pytest

from spiral.core.tabular import TableError, read_table

REQUIRED = ["code", "name", "kind", "parent_code"]


def problems(data: bytes, **kwargs):
    with pytest.raises(TableError) as caught:
        read_table(data, required=REQUIRED, **kwargs)
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def test_a_header_without_rows_is_refused_naming_the_header_row():
    [(row, column, message)] = problems(b"Exported 2025\ncode,name,kind,parent_code\n,,,\n")
    assert (row, column) == (2, None)
    assert "no rows of data" in message


def test_a_header_without_rows_may_be_allowed_by_the_caller():
    assert read_table(b"code,name,kind,parent_code\n", required=REQUIRED, allow_empty=True).rows == []


def test_csv_rows_cut_short_are_each_refused_with_the_first_missing_column():
    found = problems(b"code,name,kind,parent_code\nA,Ward,team,B\nC,Ward C\nD,Ward D,team\n")
    assert [(r, c) for r, c, _ in found] == [(3, "kind"), (4, "parent_code")]
    assert "the header has 4 columns" in found[0][2]


def test_an_empty_trailing_header_cell_does_not_make_full_rows_short():
    table = read_table(b"code,name,kind,parent_code,\r\nA,Ward,team,B\r\n", required=REQUIRED)
    assert len(table.rows) == 1


def test_an_xlsx_row_without_trailing_empty_cells_is_not_short():
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "kind", "parent_code", "organisation_type"])
    book.active.append(["A", "Ward", "team", "B"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_table(buffer.getvalue(), required=REQUIRED, filename="u.xlsx").rows) == 1


def test_a_nul_byte_past_the_first_block_names_its_row_and_column():
    rows = b"".join(b"A%d,Ward,team,B\n" % i for i in range(400))
    [(row, column, message)] = problems(b"code,name,kind,parent_code\n" + rows + b"Z,W\x00,team,B\n")
    assert (row, column) == (402, "name")
    assert "U+0000" in message
