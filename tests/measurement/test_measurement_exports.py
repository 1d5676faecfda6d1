from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from spiral.core.exports import neutralise, write_csv, write_xlsx


@pytest.mark.parametrize("text", ["=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


def test_numbers_and_plain_text_are_left_as_they_are():
    assert neutralise(-2) == -2
    assert neutralise("falls") == "falls"


def test_csv_export_neutralises_text_and_keeps_numbers():
    data = write_csv(["note", "value"], [['=HYPERLINK("x")', -3.5], ["ok", 2.0]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["note", "value"], ['\'=HYPERLINK("x")', "-3.5"], ["ok", "2"]]


def test_xlsx_export_writes_strings_never_formulas():
    data = write_xlsx([("Sheet", ["note", "value", "day"], [["=cmd|' /C calc'!A0", 4, dt.date(2025, 3, 1)]])])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 4
    assert sheet["C2"].value == dt.datetime(2025, 3, 1)
