"""render_svg: well-formed, escaped, accessible SVG for every kind of series."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from spiral.spc import SPCError, analyse, render_svg

SVG = "{http://www.w3.org/2000/svg}"
WORKED = [20, 24, 21, 23, 22, 26, 21, 23, 30, 22]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def point_titles(root: ET.Element) -> list[str]:
    return [
        c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None
    ]


def test_chart_is_well_formed_xml_with_title_and_description() -> None:
    root = parse(render_svg(analyse(WORKED, target=35), title="Falls per 1,000 bed days", unit_label="falls"))

    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Falls per 1,000 bed days"
    desc = root.find(f"{SVG}desc").text
    assert "XmR chart" in desc and "Common cause variation" in desc and "consistently miss the target" in desc
    assert root.get("role") == "img" and root.get("aria-labelledby")


def test_title_and_labels_are_escaped() -> None:
    svg = render_svg(
        analyse(WORKED, dates=[f"<d{i}>&" for i in range(10)]),
        title='Waits <4 hours> & "breaches"\x01',
        unit_label="<%>",
        annotations=[{"index": 2, "text": "<script>alert(1)</script>"}],
    )

    root = parse(svg)
    assert root.find(f"{SVG}title").text == 'Waits <4 hours> & "breaches"'
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_each_point_has_a_tooltip_with_date_value_and_signal() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40]
    dates = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]

    tips = point_titles(parse(render_svg(analyse(values, dates=dates, baseline=12), title="t")))

    assert len(tips) == 13
    assert tips[0].startswith("2025-01: 10; common cause")
    assert tips[-1].startswith("2026-01: 40; special cause, improvement (outside the process limits")


def test_missing_points_are_not_drawn_and_break_the_line() -> None:
    root = parse(render_svg(analyse([1, 2, None, 4, 5]), title="gap"))

    assert len(point_titles(root)) == 4
    value_path = next(p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#a6a6a6").get("d")
    assert value_path.count("M") == 2


def test_all_missing_series_renders_a_no_data_message() -> None:
    svg = render_svg(analyse([None, None, None]), title="empty")

    assert "No data to plot" in svg
    parse(svg)


def test_empty_series_renders() -> None:
    parse(render_svg(analyse([]), title="nothing"))


def test_a_single_point_renders_without_limits() -> None:
    root = parse(render_svg(analyse([5]), title="one"))

    assert len(point_titles(root)) == 1
    assert root.find(f".//{SVG}path[@class='spc-ucl']") is None


def test_run_chart_has_a_median_and_no_limits_or_icons() -> None:
    svg = render_svg(analyse(list(range(20)), chart="run"), title="run")
    root = parse(svg)

    assert root.find(f".//{SVG}path[@class='spc-centre']") is not None
    assert root.find(f".//{SVG}path[@class='spc-ucl']") is None
    assert "spc-icon" not in svg
    assert "Runs analysis" in root.find(f"{SVG}desc").text


def test_icons_are_badges_with_accessible_text() -> None:
    root = parse(render_svg(analyse([*WORKED, 60], target=35), title="icons"))

    icons = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("spc-icon")]
    assert [g.get("class") for g in icons] == ["spc-icon spc-icon-assurance", "spc-icon spc-icon-variation"]
    assert icons[1].get("aria-label") == "Special cause variation, improving: higher values"
    assert icons[0].find(f"{SVG}title").text.startswith("Assurance:")


def test_target_and_rebase_are_drawn() -> None:
    root = parse(render_svg(analyse(WORKED + WORKED, target=[30] * 20, rebase=[10]), title="t"))

    assert root.find(f".//{SVG}path[@class='spc-target']") is not None
    assert len(root.findall(f".//{SVG}line[@class='spc-rebase']")) == 1


def test_p_chart_values_show_as_percentages() -> None:
    tips = point_titles(parse(render_svg(analyse([5, 6], chart="p", denominators=[10, 20]), title="p")))

    assert tips[0].startswith("Point 1: 50%")


def test_annotations_by_date_or_object_and_bad_ones_raise() -> None:
    class Note:
        index = 1
        text = "PDSA 1"

    a = analyse(WORKED, dates=[f"2025-{m:02d}" for m in range(1, 11)])
    svg = render_svg(a, title="t", annotations=[{"date": "2025-03", "text": "New rota"}, Note()])

    assert "New rota" in svg and "PDSA 1" in svg
    with pytest.raises(SPCError, match=r"annotations\[0\]: '2030-01' is not one of the chart's dates"):
        render_svg(a, title="t", annotations=[{"date": "2030-01", "text": "x"}])
    with pytest.raises(SPCError, match=r"annotations\[0\]: index 99"):
        render_svg(a, title="t", annotations=[{"index": 99, "text": "x"}])


def test_width_and_height_are_honoured() -> None:
    root = parse(render_svg(analyse(WORKED), title="t", width=400, height=200))

    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("400", "200", "0 0 400 200")


def test_run_chart_states_the_runs_verdict() -> None:
    shifted = render_svg(
        analyse([1, 2, 1, 2, 1, 2, 1, 2, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8], chart="run"), title="r"
    )

    assert "Non-random variation: a long run" in shifted
    assert "Random variation" in render_svg(analyse([5, 3, 6, 2, 7, 4, 8, 1, 6, 3], chart="run"), title="r")


def _incomplete(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if c.get("class") == "spc-point-incomplete"]


def test_a_pending_period_is_a_hollow_incomplete_marker_not_an_ordinary_point() -> None:
    dates = [f"2025-{m:02d}" for m in range(1, 11)]
    plain = parse(render_svg(analyse(WORKED, dates=dates), title="Falls"))
    svg = render_svg(
        analyse(WORKED, dates=dates), title="Falls", unit_label="falls", pending=[("2025-11", 99)]
    )
    root = parse(svg)

    # The ten analysed points are as before, and one more marker stands apart from them.
    ordinary = [
        c for c in root.iter(f"{SVG}circle") if c.get("class") is None and c.find(f"{SVG}title") is not None
    ]
    assert len(ordinary) == len(point_titles(plain)) == 10
    (marker,) = _incomplete(root)
    assert marker.get("fill") == "#ffffff" and marker.get("stroke")  # hollow
    assert marker.find(f"{SVG}title").text.startswith(
        "2025-11: 99 falls; incomplete: the period has not ended"
    )
    # After the last analysed point.
    assert float(marker.get("cx")) > max(float(c.get("cx")) for c in ordinary)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "incomplete" in texts  # on the chart, and in the legend
    assert "2025-11" in texts  # the x axis reaches it
    desc = root.find(f"{SVG}desc").text
    assert "Latest (2025-10): 22 falls" in desc  # the headline is still the latest ended period
    assert (
        "Incomplete, drawn hollow (the period has not ended, so not used for the limits, rules or icons): 2025-11: 99 falls."
        in desc
    )
    # The value does not count: limits, signals and icons read as on the chart without it.
    alone = parse(render_svg(analyse(WORKED, dates=dates), title="Falls", unit_label="falls"))
    assert desc.split(" Incomplete, drawn hollow")[0] == alone.find(f"{SVG}desc").text
    assert "ncomplete" not in alone.find(f"{SVG}desc").text


def test_without_pending_periods_nothing_is_marked_incomplete() -> None:
    svg = render_svg(analyse(WORKED), title="Falls", pending=[("2025-11", None)])
    assert not _incomplete(parse(svg)) and "incomplete" not in svg.lower()


def test_a_chart_of_only_an_incomplete_period_draws_it_and_not_no_data() -> None:
    root = parse(render_svg(analyse([]), title="Falls", pending=[("2025-11", 4)]))
    assert len(_incomplete(root)) == 1
    assert "No data to plot" not in [t.text for t in root.iter(f"{SVG}text")]


def test_a_bad_pending_item_is_a_clear_error() -> None:
    with pytest.raises(SPCError, match=r"pending\[0\]: give \(label, value\)"):
        render_svg(analyse(WORKED), title="Falls", pending=[("2025-11", "lots")])
