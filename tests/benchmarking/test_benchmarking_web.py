"""Benchmarking pages, exports and API, through HTTP."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from spiral.measurement.models import Measure, Observation, Series
from spiral.organisations.models import Unit
from tests.conftest import client_for
from tests.factories import UnitFactory, UserFactory

MARCH = dt.date(2025, 3, 1)


@pytest.fixture
def indicator(tree: dict[str, Unit]) -> Measure:
    """Sepsis antibiotics within an hour at eight organisations; RAA is far below the others in March."""
    measure = Measure.objects.create(
        code="SEPSIS", name="Sepsis: antibiotics within one hour", chart="p", improvement="increase",
        owner=tree["nation"], is_indicator=True, label="%", numerator_definition="Patients treated in time",
    )  # fmt: skip
    orgs = [tree["org"], tree["other_org"]] + [
        UnitFactory(kind="organisation", code=f"R{i}X", name=f"Trust {i}", parent=tree["icb"],
                    organisation_type="acute_trust")
        for i in range(6)
    ]  # fmt: skip
    for i, org in enumerate(orgs):
        series = Series.objects.create(measure=measure, unit=org)
        for month in (1, 2, 3):
            num = 120 if org.code == "RAA" and month == 3 else 180 + i
            Observation.objects.create(
                series=series,
                period_start=dt.date(2025, month, 1),
                value=num / 200,
                numerator=num,
                denominator=200,
            )
    return measure


@pytest.fixture
def viewer(tree: dict[str, Unit]) -> object:
    return UserFactory()


def test_funnel_api_answers_in_the_interface_shape(indicator: Measure, viewer: object) -> None:
    response = client_for(viewer).get(
        "/api/v1/indicators/SEPSIS/funnel?within=Y56&kind=organisation&period=2025-03&method=none"
    )
    assert response.status_code == 200
    body = response.json()
    assert {"method", "centre", "phi", "tau2", "points"} <= set(body)
    assert body["method"] == "none"
    assert len(body["points"]) == 8
    point = next(p for p in body["points"] if p["unit"] == "RAA")
    assert set(point) == {"unit", "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998",
                          "upper_998", "flag", "judgement"}  # fmt: skip
    assert point["value"] == 0.6
    assert point["flag"] == "below_998"
    assert point["judgement"] == "worse"  # higher is better, and RAA is below
    assert body["applied"] == "none"
    assert 0 < body["centre"] < 1


def test_funnel_api_refuses_an_unknown_method(indicator: Measure, viewer: object) -> None:
    response = client_for(viewer).get("/api/v1/indicators/SEPSIS/funnel?method=both")
    assert response.status_code == 422
    assert "method" in response.json()["detail"]


def test_funnel_api_names_an_unknown_indicator(viewer: object, tree: dict[str, Unit]) -> None:
    response = client_for(viewer).get("/api/v1/indicators/NOPE/funnel")
    assert response.status_code == 404


def test_funnel_api_refuses_a_bad_period_with_a_message(indicator: Measure, viewer: object) -> None:
    response = client_for(viewer).get("/api/v1/indicators/SEPSIS/funnel?period=2024/25")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period"


def test_funnel_api_needs_a_signed_in_person(indicator: Measure) -> None:
    assert client_for(None).get("/api/v1/indicators/SEPSIS/funnel").status_code == 401


def test_gap_api_sums_the_gap_over_the_children_of_within(indicator: Measure, viewer: object) -> None:
    body = client_for(viewer).get("/api/v1/indicators/SEPSIS/gap?within=QAA&period=2025-03").json()
    assert body["improvement"] == "increase"
    raa = next(u for u in body["units"] if u["unit"] == "RAA")
    assert raa["gap"] > 0 and raa["events"] == pytest.approx(raa["gap"] * 200)
    assert raa["wording"].endswith("more patients treated in time a month")
    assert sum(c["events"] for c in body["by_child"]) == pytest.approx(body["total_events"])
    assert body["units"][0]["unit"] == "RAA"  # the biggest gain first


def test_funnel_page_shows_the_chart_table_and_the_chosen_unit(indicator: Measure, viewer: object) -> None:
    response = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03&unit=RAA&method=tau2")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "<title" in html and "<desc" in html
    assert "Below the 99.8% limit (alarm)" in html
    assert "Riverside Hospitals</strong>: 60.0%" in html
    assert "Additive random effects (τ²)" in html
    assert "/measures/series/" in html  # each point links to its series
    assert "Gap to potential" in html and "more patients treated in time a month" in html
    assert "its own SPC chart" in html
    table = html[html.index("not a ranking") :]
    names = [n for n in ("Hillside Trust", "Riverside Hospitals", "Trust 0", "Trust 5") if n in table]
    assert sorted(names, key=table.index) == names  # the table is in name order, never a league table


def test_funnel_page_explains_a_bad_unit_code(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?unit=ZZZ").content.decode()
    assert "There is a problem" in html and "No unit has the code ZZZ" in html


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("csv", "text/csv"), ("xlsx", "spreadsheetml"), ("svg", "svg")]
)
def test_every_view_exports(indicator: Measure, viewer: object, fmt: str, content_type: str) -> None:
    response = client_for(viewer).get(f"/benchmarking/SEPSIS/export.{fmt}?period=2025-03")
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("unit_code,unit,numerator,denominator,value")
        assert "RAA,Riverside Hospitals,120,200,0.6" in text


def test_unit_page_compares_each_indicator_with_peers(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/units/RAA/").content.decode()
    assert "Sepsis: antibiotics within one hour" in html
    assert "Below the 99.8% limit (alarm)" in html
    assert "worse than its peers would lead us to expect" in html


def test_index_lists_indicators_that_can_be_benchmarked(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/").content.decode()
    assert "Sepsis: antibiotics within one hour" in html


def test_pages_refuse_anonymous_visitors(indicator: Measure) -> None:
    response = client_for(None).get("/benchmarking/SEPSIS/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_api_schema_lists_the_benchmarking_paths(indicator: Measure, viewer: object) -> None:
    schema = json.loads(client_for(viewer).get("/api/v1/openapi.json").content)
    assert "/api/v1/indicators/{measure_code}/funnel" in schema["paths"]
    assert "/api/v1/indicators/{measure_code}/gap" in schema["paths"]


def test_the_unit_measures_page_has_a_compared_with_peers_column_for_indicators(
    indicator: Measure, viewer: object
) -> None:
    html = client_for(viewer).get("/measures/units/RAA/").content.decode()
    assert "Compared with peers" in html
    assert "Below the 99.8% limit (alarm)" in html
    assert "/benchmarking/SEPSIS/?kind=organisation&amp;unit=RAA" in html


def test_the_peer_column_is_left_out_when_the_page_includes_everything_beneath(
    indicator: Measure, viewer: object
) -> None:
    html = client_for(viewer).get("/measures/units/QAA/?beneath=1").content.decode()
    assert "Compared with peers" not in html


def test_funnel_page_says_which_method_it_used_and_why(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03").content.decode()
    assert "Overdispersion: automatic" in html
    assert "The points vary more than chance allows (φ = 3.81, χ² p &lt; 0.001), so the limits allow for " \
           "differences between organisations (additive random effects, τ² = 0.00419)." in html  # fmt: skip


def test_funnel_page_counts_the_units_each_method_flags_and_offers_the_others(
    indicator: Measure, viewer: object
) -> None:
    html = (
        client_for(viewer)
        .get("/benchmarking/SEPSIS/?period=2025-03&unit=RAA&organisation_type=any")
        .content.decode()
    )
    table = html[html.index("Units each method flags") :]
    table = table[: table.index("</table>")]
    rows = {cells[0]: cells[1:] for cells in _rows(table)}
    assert rows["Additive random effects (τ²) (shown)"][:2] == ["1", "1"]
    assert rows["No overdispersion adjustment (exact limits)"][:2] == ["1", "4"]
    assert "Multiplicative overdispersion (φ)" in rows
    assert "?period=2025-03&amp;unit=RAA&amp;organisation_type=any&amp;method=none" in table  # one click away


def test_funnel_plot_colours_points_by_direction_with_a_legend(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03").content.decode()
    svg = _funnel_svg(html)
    at = svg.index('aria-label="Riverside Hospitals (RAA)')
    raa = svg[at : svg.index("</circle>", at)]
    assert 'fill="#e46c0a"' in raa  # orange: worse than expected (higher is better, and it is low)
    assert "Below the 99.8% limit (alarm): worse than expected (concern)" in svg
    assert svg.count('fill="#a6a6a6"') >= 7  # grey: the seven within the limits
    for words in ("Better (improvement)", "Worse (concern)", "Within the limits", "Ring: beyond 95% only"):
        assert words in svg
    assert "Blue: better than expected (improvement, as higher is better); orange: worse" in html


def test_a_measure_with_no_direction_is_coloured_neither_better_nor_worse(
    indicator: Measure, viewer: object
) -> None:
    indicator.improvement = "neutral"
    indicator.save()
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03").content.decode()
    svg = _funnel_svg(html)
    assert 'fill="#490092"' in svg and "Beyond the limits (no direction)" in svg
    assert "#e46c0a" not in svg and "#00b0f0" not in svg
    assert "beyond the limits (this measure has no better direction)" in html


def test_funnel_page_warns_when_exact_limits_are_chosen_for_overdispersed_data(
    indicator: Measure, viewer: object
) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03&method=none").content.decode()
    assert "as chosen, the limits are the exact binomial ones, with no allowance for it" in html
    assert "No overdispersion adjustment (exact limits)</strong> (shown)" in html


def test_funnel_api_defaults_to_auto_and_says_what_it_applied(indicator: Measure, viewer: object) -> None:
    body = client_for(viewer).get("/api/v1/indicators/SEPSIS/funnel?period=2025-03").json()
    assert (body["method"], body["applied"], body["overdispersed"]) == ("auto", "tau2", True)
    assert 0 < body["p_value"] < 0.001
    assert [p["judgement"] for p in body["points"]].count("worse") == 1


def _funnel_svg(html: str) -> str:
    start = html.rindex("<svg", 0, html.index('class="spiral-funnel"'))
    return html[start : html.index("</svg>", start)]


def _rows(table: str) -> list[list[str]]:
    """The text of each body row's cells (tags stripped)."""
    import re

    body = table[table.index("<tbody") :]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_a_highlighted_organisation_is_compared_like_for_like_and_the_page_says_so(
    indicator: Measure, viewer: object
) -> None:
    """RAA is an acute trust; RBB (a community trust) is left out unless the peers are widened."""
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03&unit=RAA").content.decode()
    assert "7 acute trusts in England, March 2025" in html
    assert "Compared like for like: Riverside Hospitals with other acute trusts only" in html
    assert "organisation_type=any" in html  # the way to widen them

    wide = (
        client_for(viewer)
        .get("/benchmarking/SEPSIS/?period=2025-03&unit=RAA&organisation_type=any")
        .content.decode()
    )
    assert "8 organisations in England, March 2025" in wide and "Compared like for like" not in wide


def test_the_unit_comparison_uses_like_peers_and_the_funnels_default_method_and_says_both(
    indicator: Measure, viewer: object
) -> None:
    from spiral.benchmarking import queries

    (row,) = queries.compared_with_peers(viewer, Unit.objects.get(code="RAA"))
    assert row["peers"] == 7 and row["group"].organisation_type == "acute_trust"
    assert row["applied"] in ("none", "tau2")
    html = client_for(viewer).get("/benchmarking/units/RAA/").content.decode()
    assert "acute trusts in England, like for like" in html
    assert "(among 7 acute trusts)" in html
    assert "method=auto" in html and "method=tau2" not in html


# --- The funnel plot people can read: focusable points, no nested interactive, a phone layout ----------


def _funnel_root(html: str, narrow: bool = False) -> ET.Element:
    marker = 'class="spiral-funnel spiral-funnel--narrow"' if narrow else 'class="spiral-funnel"'
    start = html.rindex("<svg", 0, html.index(marker))
    svg = html[start : html.index("</svg>", start) + len("</svg>")]
    return ET.fromstring(svg.replace("&nbsp;", " "))  # noqa: S314 - our own output


def test_funnel_points_are_named_links_in_a_group_not_links_inside_an_image(
    indicator: Measure, viewer: object
) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03").content.decode()
    for narrow in (False, True):
        root = _funnel_root(html, narrow)
        assert root.get("role") == "group"  # was role="img" around links: axe's nested-interactive
        assert not [e for e in root.iter() if e.get("role") == "img" and e.find(".//{*}a") is not None]
        links = list(root.iter("{http://www.w3.org/2000/svg}a"))
        assert len(links) == 8
        for link in links:
            assert link.get("href", "").startswith("/measures/series/")
            label = link.get("aria-label")
            assert label and label == link.find(".//{*}circle/{*}title").text
            tip = link.find("{*}g[@class='spiral-svg-tip']")
            assert tip.get("visibility") == "hidden"
            assert " ".join(t.text for t in tip.iter("{http://www.w3.org/2000/svg}tspan")) == label
        # From left to right (by denominator), so a tooltip is drawn after the points beneath it.
        xs = [float(link.find(".//{*}circle").get("cx")) for link in links]
        assert xs == sorted(xs)
    assert "Riverside Hospitals (RAA): 60.0%, 120 of 200" in html


def test_funnel_has_a_phone_layout_with_readable_type(indicator: Measure, viewer: object) -> None:
    html = client_for(viewer).get("/benchmarking/SEPSIS/?period=2025-03").content.decode()
    wide, narrow = _funnel_root(html), _funnel_root(html, narrow=True)
    assert '<div class="spiral-svg-wide">' in html and '<div class="spiral-svg-narrow">' in html
    assert narrow.get("width") == "340" and narrow.get("viewBox").startswith("0 0 340 ")
    assert wide.get("aria-labelledby") != narrow.get("aria-labelledby")  # both on the page: ids differ

    def sizes(element: ET.Element, inherited: float = 16) -> list[float]:
        size = float(element.get("font-size") or inherited)
        own = [size] if element.tag.endswith("}text") else []
        return own + [s for child in element for s in sizes(child, size)]

    assert min(sizes(narrow)) >= 13 and min(sizes(wide)) >= 12
    # Every line of the heading fits the narrow chart (the stats sentence is wrapped, not cut off).
    for text in narrow.iter("{http://www.w3.org/2000/svg}text"):
        if text.get("x") == "12" and text.text:
            assert 12 + len(text.text) * 0.56 * float(text.get("font-size") or 13) <= 340 + 4
