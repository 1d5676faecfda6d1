"""National comparative data packs (issue 19): every unit's row of an indicator, the same rows as the
indicator page's export (issue 14, not recomputed), with recent values and metadata; CSV, XLSX and API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from spiral.measurement import analyses
from spiral.organisations.models import Unit, User
from tests.conftest import client_for
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def indicator(tree: dict[str, Unit]) -> object:
    measure = MeasureFactory(owner=tree["nation"], code="FALLS-P", name="Falls with harm", chart="p",
                             is_indicator=True, improvement="decrease", numerator_definition="Falls with harm",
                             denominator_definition="Admissions", description="Falls with harm per admission")  # fmt: skip
    ids = []
    for unit, rate in ((tree["org"], 30), (tree["other_org"], 60)):
        series = SeriesFactory(measure=measure, unit=unit)
        for i in range(12):
            ObservationFactory(series=series, period_start=dt.date(2025, i + 1, 1), value=None,
                               numerator=rate + i % 3, denominator=1000)  # fmt: skip
        ids.append(series.pk)
    analyses.recompute(ids)
    return measure


def test_the_pack_holds_the_indicator_pages_rows_and_recent_values(
    tree: dict[str, Unit], member: User, indicator: object
) -> None:
    client = client_for(member)
    pack = _csv(client.get("/reporting/comparative/FALLS-P.csv").content)
    page = _csv(client.get(f"/measures/{indicator.pk}/units/ENG/across/export.csv").content)
    assert pack[0] == [*page[0], "recent_values"]
    assert [row[:-1] for row in pack[1:]] == page[1:]  # not recomputed: the indicator page's own rows
    assert sorted(r[0] for r in pack[1:]) == ["RAA", "RBB"]
    raa = next(r for r in pack[1:] if r[0] == "RAA")
    assert raa[pack[0].index("latest_period")] == "2025-12"
    assert raa[-1].split("; ")[-3:] == ["3.0%", "3.1%", "3.2%"]  # Oct, Nov, Dec: (30 + i % 3) / 1000


def test_the_xlsx_pack_has_the_metadata_and_the_index_lists_every_indicator(
    tree: dict[str, Unit], member: User, indicator: object
) -> None:
    client = client_for(member)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/reporting/comparative/FALLS-P.xlsx").content))
    about = {row[0].value: row[1].value for row in book["About"].iter_rows(min_row=2)}
    assert about["definition"] == "Falls with harm per admission" and about["denominator"] == "Admissions"
    assert about["latest period"] == "2025-12-01" and "funnel plot" in about["method"]
    assert book["Units"].max_row == 3
    index = client.get("/reporting/comparative/").content.decode()
    assert "Falls with harm" in index and "/reporting/comparative/FALLS-P.xlsx" in index
    assert client.get("/reporting/comparative/NOPE.csv").status_code == 404


def test_the_api_gives_each_units_row(tree: dict[str, Unit], member: User, indicator: object) -> None:
    client = client_for(member)
    listed = client.get("/api/v1/reporting/comparative").json()
    assert [i["code"] for i in listed["items"]] == ["FALLS-P"]
    rows = client.get("/api/v1/reporting/comparative/FALLS-P/units").json()
    assert rows["count"] == 2
    raa = next(r for r in rows["items"] if r["unit_code"] == "RAA")
    assert raa["values"]["latest_value"] == pytest.approx(0.032)  # December: 32 of 1000
    assert client.get("/api/v1/reporting/comparative/NOPE/units").status_code == 404
