# ruff: noqa: E501
"""One indicator across every unit that reports it (issue 14): rows, sort, filter, pagination,
funnel positions, permissions, exports and the API, on factories."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from spiral.measurement import analyses, extensions, views
from spiral.organisations.models import Role
from tests.assertions import assert_refuses_anonymous, bearer
from tests.conftest import client_for, user_with_role
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory, UnitFactory

D = dt.date
MONTHS = [D(2025, m, 1) for m in range(1, 13)]


def _record(series, rate: float, n: int = 1000) -> None:
    for i, day in enumerate(MONTHS):
        wobble = (i % 3 - 1) * 0.002
        num = round(n * (rate + wobble))
        ObservationFactory(series=series, period_start=day, numerator=num, denominator=n, value=num / n)


@pytest.fixture
def world(tree):
    """A p-chart indicator of the nation (lower is better) reported by twelve acute trusts, two community
    trusts and a team; trust "RW1" is far worse than its peers, "RB1" far better."""
    measure = MeasureFactory(code="BREACH", name="Four-hour breaches", owner=tree["nation"], is_indicator=True,
                             chart="p", improvement="decrease", label="%")  # fmt: skip
    rates = {f"RA{i:02d}": 0.20 + (i % 4) * 0.002 for i in range(10)} | {"RW1": 0.40, "RB1": 0.05}
    units = {}
    for code, rate in rates.items():
        org = UnitFactory(kind="organisation", code=code, name=f"Trust {code}", parent=tree["icb"],
                          organisation_type="acute_trust")  # fmt: skip
        units[code] = org
        _record(SeriesFactory(measure=measure, unit=org), rate)
    _record(SeriesFactory(measure=measure, unit=tree["other_org"]), 0.10)
    community = UnitFactory(kind="organisation", code="RCC", name="Another community trust", parent=tree["icb"],
                            organisation_type="community_trust")  # fmt: skip
    _record(SeriesFactory(measure=measure, unit=community), 0.11)
    _record(SeriesFactory(measure=measure, unit=tree["team"]), 0.3, n=50)
    analyses.recompute(measure.series.values_list("pk", flat=True))
    return {"measure": measure, "units": units}


def _url(world, code: str = "ENG", query: str = "", export: str = "") -> str:
    base = f"/measures/{world['measure'].pk}/units/{code}/across/"
    return base + (f"export.{export}" if export else "") + (f"?{query}" if query else "")


def _units(html: str) -> list[str]:
    """The unit codes of the table's rows, in order."""
    return re.findall(
        r'</a> <span class="spiral-meta">([A-Z0-9-]+)</span></td>\s*<td class="nhsuk-table__cell">(?:Organisation|Team)',
        html,
    )


def test_the_page_shows_one_row_per_unit_that_reports_the_indicator_with_the_summary_matrix(world, member):
    html = client_for(member).get(_url(world)).content.decode()
    assert "Four-hour breaches across England" in html
    assert sorted(_units(html)) == sorted([*world["units"], "RBB", "RCC", "RAA-MED-01"])
    assert "15 units report Four-hour breaches" in html
    assert "Number of units by variation" in html
    assert 'class="spiral-sparkline"' in html
    total = sum(int(n) for n in re.findall(r'#units">(\d+)<span', html))
    assert total == 15


def test_each_unit_is_placed_on_the_funnel_of_its_like_for_like_peers(world, member):
    html = client_for(member).get(_url(world)).content.decode()
    worse = re.search(r'Trust RW1</a>.*?class="spiral-position spiral-position--(\w+)">(\w+)', html, re.S)
    better = re.search(r'Trust RB1</a>.*?class="spiral-position spiral-position--(\w+)">(\w+)', html, re.S)
    assert worse.groups() == ("concern", "Worse")
    assert better.groups() == ("improvement", "Better")
    assert "among acute trusts in England" in html
    # The funnel link highlights the unit among units of its kind.
    assert "/benchmarking/BREACH/?kind=organisation&amp;unit=RW1&amp;method=auto" in html
    # The team is compared with teams only: it is the only one, so within its own limits.
    team = re.search(r"Ward 1</a>.*?spiral-position--(\w+)", html, re.S)
    assert team.group(1) == "common"
    assert "On the funnel plot: 1 worse than expected, 1 better" in html


def test_rows_sort_by_latest_value_either_way_and_by_funnel_position(world, member):
    client = client_for(member)
    up = _units(client.get(_url(world, query="sort=latest")).content.decode())
    down = _units(client.get(_url(world, query="sort=latest&dir=desc")).content.decode())
    assert up[0] == "RB1" and down[0] == "RW1"
    assert down == list(reversed(up)) or down[0] == up[-1]
    worst_first = _units(client.get(_url(world, query="sort=position")).content.decode())
    best_first = _units(client.get(_url(world, query="sort=position&dir=desc")).content.decode())
    assert worst_first[0] == "RW1"
    assert best_first[0] == "RB1"


def test_rows_filter_by_kind_and_organisation_type(world, member):
    client = client_for(member)
    teams = _units(client.get(_url(world, query="kind=team")).content.decode())
    community = _units(
        client.get(_url(world, query="kind=organisation&organisation_type=community_trust")).content.decode()
    )
    assert teams == ["RAA-MED-01"]
    assert sorted(community) == ["RBB", "RCC"]


def test_an_unknown_filter_value_is_said_in_the_error_summary_and_not_applied(world, member):
    response = client_for(member).get(_url(world, query="kind=galaxy"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "galaxy" in html
    assert len(_units(html)) == 15


def test_a_unit_lower_down_shows_only_the_units_beneath_it(world, member):
    html = client_for(member).get(_url(world, code="RAA")).content.decode()
    assert _units(html) == ["RAA-MED-01"]


def test_the_rows_are_paged(world, member, monkeypatch):
    monkeypatch.setattr(views, "INDICATOR_ROWS", 4)
    client = client_for(member)
    first = client.get(_url(world)).content.decode()
    last = client.get(_url(world, query="page=4")).content.decode()
    beyond = client.get(_url(world, query="page=99")).content.decode()
    assert len(_units(first)) == 4 and len(_units(last)) == 3
    assert "page 1 of 4" in first and "page=2" in first
    assert _units(beyond) == _units(last)
    by_position = client.get(_url(world, query="sort=position&page=4")).content.decode()
    assert len(_units(by_position)) == 3


def test_the_default_page_holds_between_25_and_50_rows():
    assert 25 <= views.INDICATOR_ROWS <= 50 and 25 <= views.PAGE_ROWS <= 50


def test_a_measure_that_cannot_be_benchmarked_shows_no_funnel_column(tree, member):
    measure = MeasureFactory(code="XM", owner=tree["org"], is_indicator=True)
    series = SeriesFactory(measure=measure, unit=tree["team"])
    ObservationFactory(series=series, period_start=D(2025, 1, 1), value=4)
    html = client_for(member).get(f"/measures/{measure.pk}/units/RAA/across/").content.decode()
    assert _units(html) == ["RAA-MED-01"]
    assert "Funnel position" not in html


def test_without_a_registered_placer_the_page_still_lists_the_units(world, member, monkeypatch):
    monkeypatch.setattr(extensions, "_indicator_positions", None)
    html = client_for(member).get(_url(world)).content.decode()
    assert len(_units(html)) == 15 and "Funnel position" not in html


def test_the_page_refuses_anonymous_visitors_and_unknown_units(world, member):
    assert_refuses_anonymous(_url(world))
    assert client_for(member).get(_url(world, code="NOPE")).status_code == 404
    assert client_for(member).get("/measures/999999/units/ENG/across/").status_code == 404


def test_the_measure_page_and_the_series_page_link_to_it(world, member):
    measure = world["measure"]
    series = measure.series.get(unit=world["units"]["RW1"])
    client = client_for(member)
    link = f"/measures/{measure.pk}/units/ENG/across/"
    assert link in client.get(f"/measures/{measure.pk}/").content.decode()
    assert link in client.get(f"/measures/series/{series.pk}/").content.decode()


def test_the_csv_export_holds_every_row_with_its_position(world, member, monkeypatch):
    monkeypatch.setattr(views, "INDICATOR_ROWS", 4)
    response = client_for(member).get(_url(world, query="sort=latest&dir=desc", export="csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 15
    assert rows[0]["unit_code"] == "RW1" and rows[0]["funnel_position"] == "worse"
    assert rows[0]["funnel_limit"] == "above_998" and rows[0]["funnel_period"] == "2025-12"
    assert rows[0]["peers"] == "acute trusts in England"


def test_the_xlsx_export_has_the_units_and_the_summary(world, member):
    response = client_for(member).get(_url(world, query="kind=team", export="xlsx"))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Units", "Summary"]
    units = list(book["Units"].iter_rows(values_only=True))
    assert len(units) == 2 and units[1][0] == "RAA-MED-01"
    counts = [c for row in book["Summary"].iter_rows(min_row=2, min_col=2, values_only=True) for c in row]
    assert sum(counts) == 1


def test_an_unknown_export_format_is_not_found(world, member):
    assert client_for(member).get(_url(world, export="pdf")).status_code == 404


def test_the_api_lists_the_units_paginated_with_their_positions(world, member):
    from django.test import Client

    client, headers = Client(), bearer(member)
    path = f"/api/v1/measures/{world['measure'].pk}/units/ENG/across"
    body = client.get(path, {"limit": 5, "sort": "position"}, **headers).json()
    assert body["count"] == 15 and len(body["items"]) == 5
    first = body["items"][0]
    assert first["unit"] == "RW1" and first["unit_kind"] == "organisation"
    assert first["position"]["judgement"] == "worse" and first["position"]["flag"] == "above_998"
    assert first["position"]["period"] == "2025-12-01"
    filtered = client.get(path, {"kind": "team"}, **headers).json()
    assert [i["unit"] for i in filtered["items"]] == ["RAA-MED-01"]
    last = client.get(
        path, {"limit": 5, "offset": 10, "sort": "latest", "descending": True}, **headers
    ).json()
    assert len(last["items"]) == 5 and last["items"][-1]["unit"] == "RB1"


def test_the_api_refuses_bad_filters_and_anonymous_callers(world, member):
    from django.test import Client

    path = f"/api/v1/measures/{world['measure'].pk}/units/ENG/across"
    assert Client().get(path, {"kind": "galaxy"}, **bearer(member)).status_code == 422
    assert Client().get(path, {"sort": "height"}, **bearer(member)).status_code == 422
    assert_refuses_anonymous(path)


def test_a_patient_partner_sees_it_as_everyone_may_see_measures(world, tree):
    partner = user_with_role(Role.PATIENT_PARTNER, tree["team"])
    assert client_for(partner).get(_url(world)).status_code == 200


def test_the_unit_measures_page_pages_its_series(tree, member, monkeypatch):
    monkeypatch.setattr(views, "PAGE_ROWS", 3)
    made = []
    for i in range(7):
        measure = MeasureFactory(code=f"PG{i}", name=f"Paged {i}", owner=tree["team"])
        made.append(SeriesFactory(measure=measure, unit=tree["team"]))
        ObservationFactory(series=made[-1], period_start=D(2025, 1, 1), value=i)
    analyses.recompute([s.pk for s in made])
    client = client_for(member)
    first = client.get("/measures/units/RAA/?beneath=on").content.decode()
    third = client.get("/measures/units/RAA/?beneath=on&page=3").content.decode()
    assert first.count(">Paged ") == 3 and third.count(">Paged ") == 1
    assert "7 series; 1 to 3 shown (page 1 of 3" in first
    # The summary matrix still counts every series, not just the page's.
    assert sum(int(n) for n in re.findall(r'#series">(\d+)<span', first)) == 7


def test_the_rows_read_only_the_slice_asked_for_in_either_order(world, member, django_assert_num_queries):
    from spiral.measurement import queries

    qs = queries.indicator_series(
        member, measure=world["measure"], unit=world["units"]["RW1"].parent, sort="latest"
    )
    rows = queries.IndicatorRows(qs, {world["units"]["RW1"].pk: {"judgement": "worse"}})
    with django_assert_num_queries(1):
        first = rows[0]
    assert first.unit.code == "RB1" and rows[-1].unit.code == "RW1"
    by_position = queries.IndicatorRows(
        qs, {world["units"]["RW1"].pk: {"judgement": "worse"}}, by_position=True
    )
    assert by_position[0].unit.code == "RW1" and by_position[0].position == {"judgement": "worse"}
    assert len(by_position) == len(rows) == 15
    with pytest.raises(IndexError):
        rows[99]
