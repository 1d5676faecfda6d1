from __future__ import annotations

import pytest

from spiral.core.tabular import read_table


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_separated_files_are_all_read(delimiter):
    text = delimiter.join(["code", "name", "kind", "parent_code"]) + "\n"
    text += delimiter.join(["RAA", '"Riverside, Hospitals; NHS"', "organisation", "QAA"]) + "\n"
    table = read_table(text.encode(), required=["code", "name", "kind", "parent_code"])
    assert table.rows[0].values["name"] == "Riverside, Hospitals; NHS"
    assert table.rows[0].number == 2


def test_a_note_with_semicolons_above_a_comma_header_does_not_change_the_delimiter():
    text = "Source: ODS; extracted; March\ncode,name,kind,parent_code\nRAA,Riverside,organisation,QAA\n"
    table = read_table(text.encode(), required=["code", "name", "kind", "parent_code"])
    assert table.header_row == 2
    assert table.rows[0].values["code"] == "RAA"
    assert table.rows[0].number == 3
