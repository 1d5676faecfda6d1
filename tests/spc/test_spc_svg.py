"""render_svg: well-formed, escaped, accessible SVG for every kind of series."""

from __future__ import annotations

import itertools
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
    # A group, not an image: its points take focus, and an image's children are presentational.
    assert root.get("role") == "group"
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    assert ids[root.get("aria-labelledby")].tag == f"{SVG}title"
    assert ids[root.get("aria-describedby")].tag == f"{SVG}desc"


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


# --- Points people can reach with a keyboard and a screen reader; the phone layout; margins --------------

INTERACTIVE = ("a",)


def _local(tag: str) -> str:
    return tag.split("}")[-1]


def nested_interactive(root: ET.Element) -> list[ET.Element]:
    """Focusable elements inside an element whose children are presentational (role img): axe's
    nested-interactive failure."""
    found = []
    for image in root.iter():
        if image.get("role") != "img":
            continue
        for inner in image.iter():
            if inner is not image and (inner.get("tabindex") is not None or _local(inner.tag) in INTERACTIVE):
                found.append(inner)
    return found


def points(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "spiral-svg-point" in (g.get("class") or "")]


def font_sizes(root: ET.Element) -> list[float]:
    """The font size each <text> is drawn at (its own, else its nearest ancestor's)."""
    sizes = []

    def walk(element: ET.Element, inherited: float) -> None:
        size = float(element.get("font-size") or inherited)
        if _local(element.tag) == "text":
            sizes.append(size)
        for child in element:
            walk(child, size)

    walk(root, 16)
    return sizes


@pytest.mark.parametrize("narrow", [False, True])
def test_each_point_takes_focus_and_is_named_with_its_tooltip(narrow: bool) -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40]
    dates = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]
    root = parse(
        render_svg(
            analyse(values, dates=dates, baseline=12),
            title="Falls",
            unit_label="falls",
            pending=[("2026-02", 12)],
            narrow=narrow,
        )
    )

    marks = points(root)
    assert len(marks) == 14  # 13 analysed points and the incomplete one
    for mark in marks:
        assert mark.get("tabindex") == "0" and mark.get("role") == "img"
        circle = mark.find(f"{SVG}circle")
        assert mark.get("aria-label") == circle.find(f"{SVG}title").text  # the hover tooltip says the same
        tip = mark.find(f"{SVG}g[@class='spiral-svg-tip']")
        assert tip.get("visibility") == "hidden" and tip.get("aria-hidden") == "true"  # until focused
        shown = " ".join(t.text for t in tip.iter(f"{SVG}tspan"))
        assert shown == mark.get("aria-label")  # the drawn tooltip has all of it
    assert marks[-2].get("aria-label").startswith("2026-01: 40 falls; special cause, improvement")
    assert marks[-1].get("aria-label").startswith("2026-02: 12 falls; incomplete")
    assert nested_interactive(root) == []


def test_the_drawn_tooltip_fits_the_chart() -> None:
    root = parse(render_svg(analyse(WORKED, target=35), title="Falls", narrow=True))
    width = float(root.get("width"))
    for mark in points(root):
        rect = mark.find(f"{SVG}g/{SVG}rect")
        x, w = float(rect.get("x")), float(rect.get("width"))
        assert x >= 0 and x + w <= width


def test_the_narrow_layout_is_phone_width_with_readable_type_and_fewer_labels() -> None:
    dates = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    title = "Falls on the ward per 1,000 occupied bed days — Ward 1 (acute medicine)"
    wide = parse(render_svg(analyse(list(range(36)), dates=dates, target=20), title=title))
    narrow = parse(render_svg(analyse(list(range(36)), dates=dates, target=20), title=title, narrow=True))

    assert narrow.get("width") == "340" and narrow.get("viewBox").startswith("0 0 340 ")
    assert min(font_sizes(narrow)) >= 12 and min(font_sizes(wide)) >= 12
    # Drawn at its own size on a 390 px phone, so these are the sizes people see; most are 13.
    assert sorted(font_sizes(narrow))[len(font_sizes(narrow)) // 10] >= 13
    # The long title is wrapped, each line inside the chart.
    lines = [t for t in narrow.iter(f"{SVG}text") if t.get("font-size") == "15" and t.get("x") == "12"]
    assert len(lines) >= 2 and " ".join(t.text for t in lines) == title
    assert all(float(t.get("x")) + len(t.text) * 0.56 * 15 <= 340 - 80 for t in lines)  # clear of the icons
    # Fewer dates along the axis, no two overlapping.
    axis = next(g for g in narrow.iter(f"{SVG}g") if g.get("class") == "spc-axes")
    dates_drawn = [t for t in axis.iter(f"{SVG}text") if t.text in dates]
    assert 2 <= len(dates_drawn) <= 5
    xs = [float(t.get("x")) for t in dates_drawn]
    assert min(b - a for a, b in itertools.pairwise(xs)) > 7 * 0.56 * 13
    # Ids differ from the wide layout's: both are on the page.
    assert narrow.find(f"{SVG}title").get("id") != wide.find(f"{SVG}title").get("id")


@pytest.mark.parametrize("narrow", [False, True])
def test_long_tick_labels_widen_the_margin_rather_than_being_cut_off(narrow: bool) -> None:
    values = [12_345_678 + 1_000_000 * (i % 3) for i in range(12)]
    root = parse(render_svg(analyse(values), title="Bed days", narrow=narrow))

    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "spc-axes")
    size = float(axis.get("font-size"))
    ticks = [t for t in axis.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks and any(len(t.text) >= 10 for t in ticks)  # "13,000,000"
    for t in ticks:
        starts = float(t.get("x")) - len(t.text) * 0.56 * size
        assert starts >= 20  # clear of the edge and of the axis title at x=16
    # The dates at either end of the x axis are inside the chart too.
    width = float(root.get("width"))
    for t in axis.iter(f"{SVG}text"):
        if t.get("text-anchor") == "middle" and t.get("x"):
            half = len(t.text or "") * 0.56 * size / 2
            assert float(t.get("x")) - half >= 0 and float(t.get("x")) + half <= width
