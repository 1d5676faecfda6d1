"""Pages for measures, series, the unit's measures page (integrated performance report), imports and exports.

Thin: authorise, call a query or service, render.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from spiral import spc
from spiral.core import exports, periods
from spiral.core.db import replica_reads
from spiral.core.forms import submit_form
from spiral.core.pagecache import cached_page
from spiral.core.types import SignedInRequest
from spiral.measurement import analyses, extensions, imports, presenters, queries, rollups, services, tasks
from spiral.measurement.forms import (
    AnnotationForm,
    ImportForm,
    IndicatorFilterForm,
    MeasureForm,
    ObservationForm,
    SeriesFilterForm,
)
from spiral.measurement.models import AnnotationKind, Chart, Measure, Series
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can, may_import_data, require

# Rows a page of a long table shows (the measures, a measure's series, a unit's measures), within the
# 25-50 the NHS pages keep a table to.
PAGE_ROWS = 50


def _crumbs(request: HttpRequest, unit: Unit | None = None) -> list[dict[str, str]]:
    crumbs = [{"href": "/", "text": "Home"}]
    if unit is not None:
        crumbs += [
            {"href": f"/units/{u.code}/", "text": u.name} for u in org_queries.ancestors(request.user, unit)
        ]
        crumbs.append({"href": f"/units/{unit.code}/", "text": unit.name})
    return crumbs


def _unit(request: HttpRequest, code: str, permission: Permission = Permission.VIEW_UNIT) -> Unit:
    return org_queries.unit_for(request.user, code, permission)


def _measure(request: HttpRequest, pk: int, permission: Permission | None = None) -> Measure:
    measure = queries.measure_for(request.user, pk)
    if permission is not None:
        require(request.user, permission, measure)
    return measure


def _series(request: HttpRequest, pk: int) -> Series:
    series = queries.series_by_id(request.user, pk)
    if series is None:
        raise Http404("No series matches that address")
    return series


# ---------------------------------------------------------------------------------------------
# Measures


def measure_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = Paginator(queries.measures(request.user, q=q or None), PAGE_ROWS).get_page(request.GET.get("page"))
    return render(
        request,
        "measurement/measure_index.jinja",
        {
            "page_title": "Measures",
            "active_nav": "measures",
            "measures": list(page.object_list),
            "page": page,
            "total": page.paginator.count,
            "q": q,
            "breadcrumbs": _crumbs(request),
        },
    )


def measure_create(request: SignedInRequest) -> HttpResponse:
    unit = _unit(request, request.GET.get("unit", ""), Permission.CHANGE_MEASURE)
    form = MeasureForm(
        request.POST or None,
        initial={"is_indicator": unit.kind != "team", "frequency": "month", "overdue_after_periods": 2},
    )
    saved = submit_form(
        request,
        form,
        save=lambda data: services.create_measure(owner=unit, by=request.user, **data),
        success_url=lambda measure: reverse("measurement:measure", kwargs={"pk": measure.pk}),
        message=lambda measure: f"The measure {measure.name} has been defined.",
    )
    if saved is not None:
        return saved
    return render(
        request,
        "measurement/measure_form.jinja",
        {
            "page_title": f"Define a measure for {unit.name}",
            "form": form,
            "unit": unit,
            "heading": f"Define a measure for {unit.name}",
            "submit": "Save measure",
            "breadcrumbs": _crumbs(request, unit),
        },
    )


def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _measure(request, pk)
    qs = queries.series_queryset(request.user, measure=measure, sort="unit")
    # 50 a page, as the unit's measures page (the pagination links keep the rest of the query string).
    page = Paginator(qs, PAGE_ROWS).get_page(request.GET.get("page"))
    return render(
        request,
        "measurement/measure_detail.jinja",
        {
            "page_title": measure.name,
            "active_nav": "measures",
            "measure": measure,
            "series": list(page.object_list),
            "page": page,
            "series_count": page.paginator.count,
            "targets": list(measure.targets.all()),
            "p": presenters,
            "breadcrumbs": _crumbs(request, measure.owner),
        },
    )


def measure_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    measure = _measure(request, pk, Permission.CHANGE_MEASURE)
    current = measure.targets.order_by("-valid_from").first()
    initial = {f: getattr(measure, f) for f in services.MEASURE_FIELDS} | {
        "target": "" if current is None else f"{current.value:g}",
        "target_from": current.valid_from if current else None,
    }
    form = MeasureForm(request.POST or None, initial=initial)

    def update(cleaned: dict[str, Any]) -> Measure:
        data = dict(cleaned)
        target, target_from = data.pop("target"), data.pop("target_from")
        return services.update_measure(
            measure=measure, by=request.user, target=target, target_from=target_from, **data
        )

    saved = submit_form(
        request,
        form,
        save=update,
        success_url=reverse("measurement:measure", kwargs={"pk": measure.pk}),
        message=lambda _: f"{measure.name} has been updated.",
    )
    if saved is not None:
        return saved
    return render(
        request,
        "measurement/measure_form.jinja",
        {
            "page_title": f"Edit {measure.name}",
            "form": form,
            "unit": measure.owner,
            "measure": measure,
            "heading": f"Edit {measure.name}",
            "submit": "Save changes",
            "breadcrumbs": _crumbs(request, measure.owner),
        },
    )


# ---------------------------------------------------------------------------------------------
# Series


def series_for_unit(request: SignedInRequest, pk: int, code: str) -> HttpResponse:
    """The series of a measure for a unit; before the first observation, a page to record it."""
    measure = _measure(request, pk)
    unit = _unit(request, code)
    series = queries.series_of(request.user, measure, unit)
    if series is not None:
        return redirect("measurement:series", pk=series.pk)
    problem = services.applicability_error(measure, unit)
    if problem:
        raise Http404(problem)
    form = ObservationForm(request.POST or None, ratio=measure.is_ratio)
    if request.method == "POST":
        require(request.user, Permission.RECORD_DATA, unit)

        def start(data: dict[str, Any]) -> Series:
            started = services.get_or_create_series(measure=measure, unit=unit, by=request.user)
            _record(request, started, form)
            return started

        saved = submit_form(
            request,
            form,
            save=start,
            success_url=lambda started: reverse("measurement:series", kwargs={"pk": started.pk}),
            field_map={"unit": "period"},
        )
        if saved is not None:
            return saved
    return render(
        request,
        "measurement/series_empty.jinja",
        {
            "page_title": f"{measure.name} — {unit.name}",
            "measure": measure,
            "unit": unit,
            "form": form,
            "breadcrumbs": _crumbs(request, unit),
        },
    )


def _record(request: SignedInRequest, series: Series, form: ObservationForm) -> None:
    data = form.cleaned_data
    _, warnings = services.record_observation(
        series=series,
        period=data["period"],
        by=request.user,
        value=data.get("value"),
        numerator=data.get("numerator"),
        denominator=data.get("denominator"),
        note=data.get("note"),
        version=data.get("version"),
    )
    messages.success(request, f"The observation for {data['period']} has been saved.")
    for warning in warnings:
        messages.warning(request, f"Note: {warning}.")


def series_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    series = _series(request, pk)
    measure = series.measure
    # A derived series is added up from the organisations beneath: nobody types or corrects it.
    may_record = not series.derived and can(request.user, Permission.RECORD_DATA, series)
    correcting = None
    if request.method == "POST":
        require(request.user, Permission.RECORD_DATA, series)
        if series.derived:
            raise PermissionDenied(services.derived_error(series))
        form = ObservationForm(request.POST, ratio=measure.is_ratio)
        saved = submit_form(
            request,
            form,
            save=lambda _: _record(request, series, form),
            success_url=reverse("measurement:series", kwargs={"pk": series.pk}),
            on_stale="Someone changed this observation since you opened it; check it and try again",
        )
        if saved is not None:
            return saved
    else:
        initial: dict[str, Any] = {}
        correct = request.GET.get("correct")
        if correct:
            correcting = series.observations.filter(pk=correct).first()
            if correcting is not None:
                initial = {
                    "period": periods.label(correcting.period_start, measure.frequency),
                    "value": presenters.number(correcting.value).replace(",", "")
                    if not measure.is_ratio
                    else "",
                    "numerator": _plain(correcting.numerator),
                    "denominator": _plain(correcting.denominator),
                    "note": correcting.note,
                    "version": correcting.version,
                }
                if not measure.is_ratio:
                    initial["value"] = _plain(correcting.value)
        form = ObservationForm(initial=initial, ratio=measure.is_ratio)
    result, laid = analyses.analyse_series(series)
    chart_warnings = analyses.chart_warnings(measure.chart, laid.values, laid.denominators)
    annotations = list(series.annotations.select_related("created_by"))
    observations = list(queries.observations(request.user, series))
    rows = presenters.data_rows(series, result, observations)
    return render(
        request,
        "measurement/series_detail.jinja",
        {
            "page_title": f"{measure.name} — {series.unit.name}",
            "active_nav": "measures",
            "series": series,
            "measure": measure,
            "unit": series.unit,
            "result": result,
            "chart": presenters.chart_html(series, result, annotations, presenters.pending_points(rows)),
            "rows": rows,
            "annotations": annotations,
            "history": list(queries.history(request.user, series)[:100]),
            "form": form,
            "annotation_form": AnnotationForm(),
            "suggestion": analyses.suggested_rebase(series, result, laid),
            "may_record": may_record,
            "chart_warnings": chart_warnings,
            "chart_names": dict(measure._meta.get_field("chart").flatchoices),
            "may_annotate": can(request.user, Permission.RECORD_DATA, series),
            "may_change_chart": can(request.user, Permission.CHANGE_MEASURE, measure),
            "chart_buttons": {c: f"Use {_a_chart(c)} instead" for c in Chart.values},
            "contributing": rollups.contributing_organisations(series) if series.derived else None,
            "correcting": correcting,
            "p": presenters,
            "breadcrumbs": [
                *_crumbs(request, series.unit),
                {"href": reverse("measurement:unit", args=[series.unit.code]), "text": "Measures"},
            ],
        },
    )


def _plain(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@require_POST
def observation_delete(request: SignedInRequest, pk: int, obs_id: int) -> HttpResponse:
    series = _series(request, pk)
    observation = queries.observation_for(request.user, obs_id, series=series)
    services.delete_observation(observation=observation, by=request.user)
    messages.success(
        request,
        f"The observation for {periods.label(observation.period_start, series.measure.frequency)} "
        "has been deleted; the period is now missing.",
    )
    return redirect("measurement:series", pk=series.pk)


@require_POST
def series_chart(request: SignedInRequest, pk: int) -> HttpResponse:
    """The one-click change of the measure's chart to the one a chart warning suggests."""
    series = _series(request, pk)
    measure = series.measure
    require(request.user, Permission.CHANGE_MEASURE, measure)
    chart = request.POST.get("chart", "").strip()
    names = dict(Chart.choices)
    if chart not in names:
        messages.error(
            request,
            f"The chart was not changed: {chart!r} is not a chart Spiral draws; "
            f"choose one of {', '.join(names.values())}.",
        )
        return redirect("measurement:series", pk=series.pk)
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        version = None
    try:
        services.update_measure(measure=measure, by=request.user, version=version, chart=chart)
    except services.StaleRecord:
        messages.error(
            request,
            f"The chart was not changed: someone changed {measure.name} since you opened this page; "
            "check its chart and warnings below and try again.",
        )
        return redirect("measurement:series", pk=series.pk)
    except ValidationError as exc:
        problems = "; ".join(m for ms in exc.message_dict.values() for m in ms)
        messages.error(request, f"The chart was not changed: {problems}.")
        return redirect("measurement:series", pk=series.pk)
    messages.success(request, f"The chart is now {_a_chart(chart)}; its analyses are being recalculated.")
    return redirect("measurement:series", pk=series.pk)


def _chart_name(chart: str) -> str:
    """ "p′ chart" for "p′ chart (Laney)", "XmR chart" for "XmR (individuals)", "run chart" for "Run chart"."""
    name = str(Chart(chart).label).split(" (", 1)[0]
    name = name if name.endswith("chart") else f"{name} chart"
    return name[0].lower() + name[1:] if name.startswith("Run") else name


def _a_chart(chart: str) -> str:
    """ "a p′ chart", "an XmR chart": the chart named as a sentence names it."""
    name = _chart_name(chart)
    return f"{'an' if name[0] in 'AEIOUX' else 'a'} {name}"


@require_POST
def annotation_add(request: SignedInRequest, pk: int) -> HttpResponse:
    series = _series(request, pk)
    require(request.user, Permission.RECORD_DATA, series)
    form = AnnotationForm(request.POST)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.add_annotation(series=series, by=request.user, **data),
        success_url=reverse("measurement:series", kwargs={"pk": series.pk}),
        message="The annotation has been added.",
    )
    if saved is not None:
        return saved
    for name, errors in form.errors.items():
        for error in errors:
            messages.error(
                request, f"Annotation not added: {name.replace('__all__', '')} {error}".replace("  ", " ")
            )
    return redirect("measurement:series", pk=series.pk)


def series_rebase(request: SignedInRequest, pk: int) -> HttpResponse:
    """The recalculation Spiral suggests after a change (both charts), confirmed by a POST of someone who
    may annotate the series; limits are never recalculated without it."""
    series = _series(request, pk)
    if request.method == "POST":
        require(request.user, Permission.RECORD_DATA, series)
    measure = series.measure
    try:
        result, laid = analyses.analyse_series(series)
    except spc.SPCError as exc:
        messages.error(request, f"This series cannot be charted, so nothing can be recalculated: {exc}")
        return redirect("measurement:series", pk=series.pk)
    suggestion = analyses.suggested_rebase(series, result, laid)
    if request.method == "POST":
        asked = request.POST.get("period", "")
        if suggestion is None or asked != suggestion.period.isoformat():
            messages.error(
                request,
                "Limits not recalculated: no recalculation is suggested from that period now (it may have "
                "been confirmed already). Add a rebase annotation on the series page to choose another.",
            )
            return redirect("measurement:series", pk=series.pk)
        change = suggestion.annotation
        label = suggestion.label
        services.add_annotation(
            series=series,
            period=suggestion.period,
            kind=AnnotationKind.REBASE,
            text=f"Limits recalculated from {label}, after the change tested"[:500],
            reason=f"{change.get_kind_display()}: {change.text}",
            by=request.user,
        )
        messages.success(request, f"The limits are now recalculated from {label}.")
        return redirect("measurement:series", pk=series.pk)
    context: dict[str, Any] = {
        "page_title": f"Recalculate limits? {measure.name} — {series.unit.name}",
        "active_nav": "measures",
        "series": series,
        "measure": measure,
        "unit": series.unit,
        "suggestion": suggestion,
        "may_record": can(request.user, Permission.RECORD_DATA, series),
        "p": presenters,
        "breadcrumbs": [
            *_crumbs(request, series.unit),
            {"href": reverse("measurement:series", args=[series.pk]), "text": measure.name},
        ],
    }
    if suggestion is not None:
        annotations = list(series.annotations.all())
        after, _ = analyses.analyse_series(series, extra_rebase=[suggestion.period])
        observations = list(queries.observations(request.user, series))
        pending = presenters.pending_points(presenters.data_rows(series, result, observations))
        context |= {
            "label": suggestion.label,
            "before": presenters.chart_html(series, result, annotations, pending),
            "after": presenters.chart_html(series, after, annotations, pending),
            "before_result": result,
            "after_result": after,
        }
    return render(request, "measurement/series_rebase.jinja", context)


@require_POST
def annotation_delete(request: SignedInRequest, pk: int, annotation_id: int) -> HttpResponse:
    series = _series(request, pk)
    annotation = queries.annotation_for(request.user, annotation_id, series=series)
    services.delete_annotation(annotation=annotation, by=request.user)
    messages.success(request, "The annotation has been removed.")
    return redirect("measurement:series", pk=series.pk)


@replica_reads
def series_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    series = _series(request, pk)
    result, _ = analyses.analyse_series(series)
    name = presenters.safe_filename(f"{series.unit.code}-{series.measure.code}")
    table = presenters.data_rows(series, result, list(queries.observations(request.user, series)))
    if fmt == "svg":
        annotations = list(series.annotations.all())
        svg = presenters.chart_svg(series, result, annotations, presenters.pending_points(table))
        return exports.download(svg, f"{name}.svg", "image/svg+xml")
    rows = presenters.series_export_rows(series, table)
    if fmt == "xlsx":
        content = exports.write_xlsx([("Series", presenters.SERIES_HEADER, rows)])
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.SERIES_HEADER, rows), f"{name}.csv", exports.CSV_TYPE
    )


# ---------------------------------------------------------------------------------------------
# The unit's measures page


def _filters(request: HttpRequest) -> dict[str, Any]:
    form = SeriesFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    variation = request.GET.get("variation")
    assurance = request.GET.get("assurance")
    return {
        "form": form,
        "q": data.get("q") or None,
        "measure_type": data.get("measure_type") or None,
        "include_beneath": bool(data.get("beneath")),
        "variation": variation if variation in presenters.VARIATION else None,
        "assurance": assurance if assurance in presenters.ASSURANCE else None,
        # With everything beneath, rows are grouped by unit unless another order is asked for.
        "sort": request.GET["sort"]
        if request.GET.get("sort") in queries.SORTS
        else ("unit" if data.get("beneath") else "measure"),
        "descending": request.GET.get("dir") == "desc",
    }


@cached_page
def unit_measures(request: HttpRequest, code: str) -> HttpResponse:
    """Every series of the unit (or of it and everything beneath, by unit), and the summary matrix."""
    unit = _unit(request, code)
    f = _filters(request)
    common = {
        "unit": unit,
        "include_beneath": f["include_beneath"],
        "measure_type": f["measure_type"],
        "q": f["q"],
    }
    everything = queries.series_queryset(request.user, **common)
    qs = queries.series_queryset(
        request.user,
        **common,
        variation=f["variation"],
        assurance=f["assurance"],
        sort=f["sort"],
        descending=f["descending"],
    )
    page = Paginator(qs, PAGE_ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    for key in ("sort", "dir", "variation", "assurance", "page"):
        query.pop(key, None)
    context = {
        "page_title": f"Measures of {unit.name}",
        "active_nav": "units",
        "unit": unit,
        "rows": list(page.object_list),
        "page": page,
        "total": page.paginator.count,
        "matrix": presenters.summary_matrix(queries.icon_counts(everything)),
        "updating": queries.updating_count(everything),
        "overdue": queries.overdue_count(everything),
        "f": f,
        "form": f["form"],
        "base_query": query.urlencode(),
        "p": presenters,
        "breadcrumbs": _crumbs(request, unit),
        "may_define": can(request.user, Permission.CHANGE_MEASURE, unit),
        "available": list(queries.measures_for_unit(request.user, unit)[:200]),
        # Indicators compared with the unit's peers (filled by benchmarking); the unit's own series only.
        "peers": {} if f["include_beneath"] else extensions.peer_comparison(request.user, unit),
    }
    return render(request, "measurement/unit_measures.jinja", context)


@replica_reads
def unit_measures_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    unit = _unit(request, code)
    f = _filters(request)
    common = {
        "unit": unit,
        "include_beneath": f["include_beneath"],
        "measure_type": f["measure_type"],
        "q": f["q"],
    }
    rows = list(
        queries.series_queryset(
            request.user,
            **common,
            variation=f["variation"],
            assurance=f["assurance"],
            sort=f["sort"],
            descending=f["descending"],
        )
    )
    data = presenters.summary_export_rows(rows)
    name = presenters.safe_filename(f"{unit.code}-measures")
    if fmt == "xlsx":
        matrix = presenters.summary_matrix(
            queries.icon_counts(queries.series_queryset(request.user, **common))
        )
        header, grid = presenters.matrix_grid(matrix)
        content = exports.write_xlsx(
            [("Measures", presenters.SUMMARY_HEADER, data), ("Summary", header, grid)]
        )
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.SUMMARY_HEADER, data), f"{name}.csv", exports.CSV_TYPE
    )


# ---------------------------------------------------------------------------------------------
# One indicator across every unit that reports it

INDICATOR_ROWS = 50


def _indicator_state(request: HttpRequest, pk: int, code: str) -> dict[str, Any]:
    """What the indicator page and its exports share: the measure, the unit, the filters, the rows in
    order with their funnel positions, and the units they count."""
    measure = _measure(request, pk)
    unit = _unit(request, code)
    form = IndicatorFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    variation = request.GET.get("variation")
    assurance = request.GET.get("assurance")
    sort = request.GET["sort"] if request.GET.get("sort") in queries.INDICATOR_SORTS else "unit"
    f: dict[str, Any] = {
        "kind": data.get("kind") or None,
        "organisation_type": data.get("organisation_type") or None,
        "variation": variation if variation in presenters.VARIATION else None,
        "assurance": assurance if assurance in presenters.ASSURANCE else None,
        "sort": sort,
        "descending": request.GET.get("dir") == "desc",
    }
    common: dict[str, Any] = {
        "measure": measure,
        "unit": unit,
        "kind": f["kind"],
        "organisation_type": f["organisation_type"],
    }
    everything = queries.indicator_series(request.user, **common)
    qs = queries.indicator_series(
        request.user,
        **common,
        variation=f["variation"],
        assurance=f["assurance"],
        sort=sort,
        descending=f["descending"],
    )
    units = queries.reporting_units(everything)
    positions = extensions.indicator_positions(request.user, measure, {(k, t) for _, k, t in units})
    rows = queries.IndicatorRows(qs, positions, by_position=sort == "position", descending=f["descending"])
    return {
        "measure": measure, "unit": unit, "form": form, "f": f, "everything": everything, "rows": rows,
        "units": units, "positions": positions,
    }  # fmt: skip


@cached_page
def indicator_across(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One indicator across every unit beneath `code` that reports it: one row each, with the summary
    matrix of those units and their funnel positions."""
    state = _indicator_state(request, pk, code)
    measure, unit, everything = state["measure"], state["unit"], state["everything"]
    page = Paginator(state["rows"], INDICATOR_ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    for key in ("sort", "dir", "variation", "assurance", "page"):
        query.pop(key, None)
    return render(
        request,
        "measurement/indicator_across.jinja",
        state
        | {
            "page_title": f"{measure.name} across {unit.name}",
            "active_nav": "measures",
            "page": page,
            "page_rows": list(page.object_list),
            "matrix": presenters.summary_matrix(queries.icon_counts(everything)),
            "updating": queries.updating_count(everything),
            "position_counts": queries.position_counts(state["positions"], state["units"]),
            "placing": extensions.has_indicator_positions() and bool(state["positions"]),
            "base_query": query.urlencode(),
            "p": presenters,
            "breadcrumbs": [
                *_crumbs(request, unit),
                {"href": reverse("measurement:measure", args=[measure.pk]), "text": measure.name},
            ],
        },
    )


@replica_reads
def indicator_across_export(request: HttpRequest, pk: int, code: str, fmt: str) -> HttpResponse:
    """Every row of the indicator page (all pages, the same filters and order), as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or XLSX")
    state = _indicator_state(request, pk, code)
    measure, unit = state["measure"], state["unit"]
    data = presenters.indicator_export_rows(state["rows"])
    name = presenters.safe_filename(f"{measure.code}-across-{unit.code}")
    if fmt == "xlsx":
        header, grid = presenters.matrix_grid(
            presenters.summary_matrix(queries.icon_counts(state["everything"]))
        )
        content = exports.write_xlsx(
            [("Units", presenters.INDICATOR_HEADER, data), ("Summary", header, grid)]
        )
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.INDICATOR_HEADER, data), f"{name}.csv", exports.CSV_TYPE
    )


# ---------------------------------------------------------------------------------------------
# Imports: upload, preview, confirm


UPLOAD_KEPT_S = 24 * 3600


def _upload_dir() -> Path:
    """Where uploads wait between the preview and the confirmation; ones left a day are removed."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_KEPT_S
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return folder


def import_data(request: SignedInRequest) -> HttpResponse:
    """Upload a file, see what will be added, changed and rejected, then confirm (or import valid rows)."""
    if not may_import_data(request.user):
        raise PermissionDenied("You do not have permission to import data")
    context: dict[str, Any] = {
        "page_title": "Import measures or observations",
        "active_nav": "measures",
        "breadcrumbs": _crumbs(request),
        "max_mb": imports.max_bytes() // imports.MB,
    }
    pending = request.session.get("measurement_imports", {})
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        info = pending.pop(token, None)
        request.session["measurement_imports"] = pending
        if info is None or not Path(info["path"]).exists():
            messages.error(request, "That upload has expired; choose the file again.")
            return redirect("measurement:import")
        valid_only = request.POST.get("valid_only") == "1"
        path = Path(info["path"])
        if info["what"] == "observations" and tasks.runs_in_background(path.stat().st_size):
            # A large file is imported as background work: its page shows how far it has got.
            job = tasks.start_import(
                data=path.read_bytes(), filename=info["name"], by=request.user, valid_only=valid_only,
                measure_code=info.get("measure"),
            )  # fmt: skip
            path.unlink(missing_ok=True)
            return redirect("job", job_id=job.pk)
        result = _run_import(request, info, dry_run=False, valid_only=valid_only)
        path.unlink(missing_ok=True)
        if getattr(result, "applied", False):
            messages.success(request, f"{info['name']} has been imported: {result.summary}.")
            return redirect("measurement:import")
        context.update(result=result, what=info["what"], form=ImportForm())
        return render(request, "measurement/import.jinja", context)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = secrets.token_urlsafe(16)
        path = _upload_dir() / f"{token}{Path(upload.name).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        info = {
            "path": str(path),
            "name": upload.name,
            "what": form.cleaned_data["what"],
            "measure": form.cleaned_data.get("measure") or None,
        }
        result = _run_import(request, info, dry_run=True)
        pending[token] = info
        request.session["measurement_imports"] = pending
        context.update(result=result, token=token, what=info["what"], filename=upload.name)
    context["form"] = form
    return render(request, "measurement/import.jinja", context)


def _run_import(
    request: SignedInRequest, info: dict[str, Any], *, dry_run: bool, valid_only: bool = False
) -> Any:
    data = Path(info["path"]).read_bytes()
    if info["what"] == "measures":
        return imports.import_measures(data, by=request.user, dry_run=dry_run, filename=info["name"])
    return imports.import_observations(
        data,
        by=request.user,
        dry_run=dry_run,
        filename=info["name"],
        valid_only=valid_only,
        measure_code=info.get("measure"),
    )
