"""Benchmarking pages: indicators, the funnel plot with distribution, gap and trend, exports, and a unit's
indicators compared with peers. Thin: authorise, call queries, shape with presenters, render."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from markupsafe import Markup

from spiral.benchmarking import funnel as fm
from spiral.benchmarking import presenters, queries
from spiral.benchmarking.forms import ANY_TYPE, FunnelForm, with_defaults
from spiral.core import exports
from spiral.core import periods as core_periods
from spiral.core.types import AnyUser
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit


def _crumbs() -> list[dict[str, str]]:
    return [{"href": "/", "text": "Home"}, {"href": "/benchmarking/", "text": "Benchmarking"}]


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "benchmarking/index.jinja",
        {
            "page_title": "Benchmarking",
            "active_nav": "benchmarking",
            "indicators": list(queries.indicators(request.user)),
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )


def _state(request: HttpRequest, code: str) -> dict[str, Any]:
    """Everything a funnel page or export needs, from the address's query."""
    measure = queries.indicator_by_code(request.user, code)
    if measure is None:
        raise Http404("No indicator has that code")
    form = FunnelForm(request.GET or None, user=request.user)
    choices: dict[str, Any] = with_defaults(form)
    within = queries.top_unit(request.user)
    if choices["within"]:
        found = org_queries.unit_by_code(request.user, choices["within"].strip())
        if found is None:
            form.add_error("within", f"No unit has the code {choices['within']}")
        else:
            within = found
    if within is None:
        raise Http404("There are no units yet")
    chosen = None
    if choices["unit"]:
        chosen = org_queries.unit_by_code(request.user, choices["unit"].strip())
        if chosen is None:
            form.add_error("unit", f"No unit has the code {choices['unit']}")
    organisation_type = choices["organisation_type"]
    like_for_like = False
    if organisation_type == ANY_TYPE:
        organisation_type = ""
    elif not organisation_type and chosen is not None and chosen.kind == choices["kind"]:
        organisation_type = queries.like_for_like(within, chosen).organisation_type
        like_for_like = bool(organisation_type)
    group = queries.PeerGroup(within=within, kind=choices["kind"], organisation_type=organisation_type)
    try:
        data, result = queries.funnel_for(
            request.user,
            measure=measure,
            group=group,
            period=choices["period"] or None,
            method=choices["method"],
        )
    except ValidationError as exc:
        if "period" in getattr(exc, "message_dict", {}):
            form.add_error("period", exc.message_dict["period"])
            data, result = queries.funnel_for(
                request.user, measure=measure, group=group, method=choices["method"]
            )
        else:
            raise Http404("; ".join(exc.messages)) from None
    return {
        "measure": measure, "form": form, "choices": choices, "group": group, "data": data, "result": result,
        "chosen": chosen, "like_for_like": like_for_like,
    }  # fmt: skip


def funnel_page(request: HttpRequest, code: str) -> HttpResponse:
    state = _state(request, code)
    measure, data, result, chosen = state["measure"], state["data"], state["result"], state["chosen"]
    context: dict[str, Any] = state | {
        "page_title": f"{measure.name}: compared with peers",
        "active_nav": "benchmarking",
        "breadcrumbs": _crumbs(),
        "p": presenters,
        "proportion": data.kind == "proportion",
        "query": request.GET.urlencode(),
        "series_url": presenters.series_url_maker(),
    }
    if result is not None:
        rows = presenters.point_rows(data, result)
        title = f"{measure.name}, {data.group.describe()}, {core_periods.long_label(data.period, measure.frequency)}"
        context["rows"] = rows
        context["method_sentence"] = presenters.method_sentence(result, data.group.plural())
        context["by_method"] = queries.compute_each_method(data, result)
        context["svg"] = presenters.funnel_html(
            data, result, title=title, chosen=chosen.code if chosen else None
        )
        context["distribution"] = fm.distribution(result.values)
        context["chosen_row"] = next((r for r in rows if chosen and r["unit"] == chosen.code), None)
        if context["chosen_row"]:
            context["chosen_rank"] = fm.percentile_rank(result.values, context["chosen_row"]["value"])
        if measure.improvement in ("increase", "decrease"):
            potential, gap_rows = queries.gaps(data, state["choices"]["best"])
            context["potential"] = potential
            context["gap_rows"] = gap_rows[:50]
            context["gap_total"] = sum(r.events for r in gap_rows)
            context["by_child"] = queries.gaps_by_child(request.user, parent=data.group.within, rows=gap_rows)
            context["chosen_gap"] = next(
                (r for r in gap_rows if chosen and r.point.code == chosen.code), None
            )
        if context["chosen_row"]:
            context["spc_svg"] = _spc_chart(request, context["chosen_row"]["series_id"])
        trend = queries.trend(request.user, data=data, unit=chosen)
        context["trend"] = trend
        context["trend_svg"] = presenters.trend_html(
            trend,
            title=f"{chosen.name if chosen else 'Peers'}: {measure.name} beside the peers' median, by period",
            proportion=data.kind == "proportion",
        )
    return render(request, "benchmarking/funnel.jinja", context)


def _spc_chart(request: HttpRequest, series_id: int) -> Markup | None:
    """The chosen unit's own SPC chart (measurement's analysis and drawing, read only)."""
    from spiral.measurement import analyses
    from spiral.measurement import presenters as measurement_presenters
    from spiral.measurement import queries as measurement_queries

    series = measurement_queries.series_by_id(request.user, series_id)
    if series is None:
        return None
    try:
        result, _ = analyses.analyse_series(series)
        return measurement_presenters.chart_html(series, result, list(series.annotations.all()))
    except Exception:  # noqa: BLE001 - the funnel page stands without the unit's own chart
        return None


def funnel_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    state = _state(request, code)
    measure, data, result = state["measure"], state["data"], state["result"]
    if fmt not in ("csv", "xlsx", "svg"):
        raise Http404("Exports are CSV, XLSX or SVG")
    period = data.period.isoformat()[:7] if data.period else "none"
    name = f"{measure.code}-funnel-{data.group.within.code}-{period}".replace("/", "-")
    if result is None:
        rows: list[list[Any]] = []
    else:
        rows = presenters.export_rows(presenters.point_rows(data, result), result)
    if fmt == "svg":
        if result is None:
            raise Http404("No unit has data for that period")
        chosen = state["chosen"]
        svg = presenters.funnel_svg(data, result, title=f"{measure.name}, {data.group.describe()}, {period}",
                                    chosen=chosen.code if chosen else None)  # fmt: skip
        return exports.download(svg, f"{name}.svg", "image/svg+xml")
    gap_rows: list[list[Any]] = []
    if result is not None and measure.improvement in ("increase", "decrease"):
        potential, found = queries.gaps(data, state["choices"]["best"])
        gap_rows = presenters.gap_export_rows(found, potential)
    if fmt == "xlsx":
        content = exports.write_xlsx(
            [
                ("Funnel", presenters.EXPORT_HEADER, rows),
                ("Gap to potential", presenters.GAP_HEADER, gap_rows),
            ]
        )
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.EXPORT_HEADER, rows), f"{name}.csv", exports.CSV_TYPE
    )


def unit_compared(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's indicators compared with its peers (the same kind, across the whole hierarchy)."""
    unit = org_queries.unit_for(request.user, code)
    return render(
        request,
        "benchmarking/unit.jinja",
        {
            "page_title": f"{unit.name}: compared with peers",
            "active_nav": "benchmarking",
            "unit": unit,
            "rows": queries.compared_with_peers(request.user, unit),
            "peers": queries.like_for_like(queries.top_unit(request.user) or unit, unit).describe(),
            "p": presenters,
            "breadcrumbs": [
                {"href": "/", "text": "Home"},
                {"href": f"/units/{unit.code}/", "text": unit.name},
            ],
        },
    )


def peer_cells(user: AnyUser, unit: Unit) -> dict[int, dict[str, str]]:
    """The measures page's "compared with peers" cells: the flag in the reference's words and a link to
    the funnel plot with the unit highlighted (no rank: funnel plots compare with limits, not places)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from spiral.benchmarking.presenters import flag_text

    cells: dict[int, dict[str, str]] = {}
    for row in queries.compared_with_peers(user, unit):
        if row["flag"] is None:
            continue
        query = urlencode(
            {"kind": unit.kind, "unit": unit.code, "method": fm.DEFAULT_METHOD}
        )  # like for like
        cells[row["series_id"]] = {
            "text": flag_text(row["flag"]),
            "href": reverse("benchmarking:funnel", args=[row["measure"].code]) + "?" + query,
        }
    return cells


def indicator_positions(
    user: AnyUser, measure: Any, kinds: set[tuple[str, str]]
) -> dict[int, dict[str, Any]]:
    """The indicator page's "funnel position" cells: each unit's judgement against its like-for-like peers,
    in words, with a link to the funnel plot with the unit highlighted (measurement.extensions)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    found = queries.positions(user, measure, kinds)
    if not found:
        return found
    base = reverse("benchmarking:funnel", args=[measure.code])
    for position in found.values():
        group = position.pop("group")
        query = {"kind": group.kind, "unit": position["code"], "method": fm.DEFAULT_METHOD}
        position["text"] = presenters.judgement_text(position["judgement"]).capitalize()
        position["peers_text"] = group.describe()
        position["href"] = f"{base}?{urlencode(query)}"
    return found
