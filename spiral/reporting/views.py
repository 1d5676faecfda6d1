"""Reporting pages: each person's home (issue 15), and the roll-ups of issue 19. Thin: load and
authorise, call one query, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from spiral.core import exports
from spiral.core.db import replica_reads
from spiral.core.forms import add_service_errors
from spiral.core.pagecache import cached_page
from spiral.core.types import SignedInRequest
from spiral.measurement import presenters as measurement_presenters
from spiral.measurement import queries as measurement_queries
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can, require
from spiral.reporting import board as board_queries
from spiral.reporting import comparative as comparative_queries
from spiral.reporting import documents, presenters, queries, services, stats
from spiral.reporting import impact as impact_queries
from spiral.reporting import portfolio as portfolio_queries
from spiral.reporting import success as success_queries
from spiral.reporting.forms import BoardScheduleForm
from spiral.reporting.models import BoardPack
from spiral.reporting.tasks import render_pack


@cached_page  # per person and data generation, as every main page
def home(request: SignedInRequest) -> HttpResponse:
    """The signed-in person's home: their work, by role, and one click to each full page."""
    page = queries.home(request.user)
    return render(
        request,
        "reporting/home.jinja",
        {
            "page_title": "Home",
            "active_nav": "home",
            "page": page,
            "memberships": page.memberships,
            "my_units": org_queries.my_units(request.user),
            "p": measurement_presenters,
        },
    )


def _crumbs(request: HttpRequest, unit: Unit) -> list[dict[str, str]]:
    from django.urls import reverse

    return [{"href": reverse("units:detail", args=[u.code]), "text": u.name}
            for u in [*org_queries.ancestors(request.user, unit), unit]]  # fmt: skip


def _export_format(fmt: str) -> str:
    if fmt not in ("csv", "xlsx"):
        raise Http404("Exports are CSV or XLSX: end the address with .csv or .xlsx")
    return fmt


@cached_page
def success(request: HttpRequest, code: str) -> HttpResponse:
    """What makes projects succeed, over the closed projects of the unit and everything beneath it."""
    unit = org_queries.unit_for(request.user, code)
    result = success_queries.success_factors(request.user, unit)
    return render(request, "reporting/success.jinja", {
        "page_title": f"What makes projects succeed in {unit.name}", "active_nav": "projects",
        "unit": unit, "result": result, "p": presenters, "stats": stats,
        "breadcrumbs": _crumbs(request, unit),
    })  # fmt: skip


@replica_reads
def success_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The success-factor table as CSV or XLSX: the same numbers as the page."""
    fmt = _export_format(fmt)
    unit = org_queries.unit_for(request.user, code)
    rows = presenters.success_rows(success_queries.success_factors(request.user, unit))
    name = f"success-factors-{unit.code}"
    if fmt == "xlsx":
        content = exports.write_xlsx([("Success factors", presenters.SUCCESS_HEADER, rows)])
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.SUCCESS_HEADER, rows), f"{name}.csv", exports.CSV_TYPE
    )


@cached_page
def portfolio(request: HttpRequest, code: str) -> HttpResponse:
    """The portfolio of the unit and everything beneath it: stages, scores and their trend, shares,
    time to 3.0 and 4.0, stuck projects, gains at risk, and penetration."""
    unit = org_queries.unit_for(request.user, code)
    result = portfolio_queries.portfolio(request.user, unit)
    return render(request, "reporting/portfolio.jinja", {
        "page_title": f"Portfolio of {unit.name}", "active_nav": "projects", "unit": unit, "pf": result,
        "p": presenters, "treemap": presenters.treemap_svg(
            result.penetration, title=f"Share of teams with an active project, by unit beneath {unit.name}"),
        "tables": list(presenters.portfolio_tables(result)), "breadcrumbs": _crumbs(request, unit),
    })  # fmt: skip


@replica_reads
def portfolio_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The portfolio's tables: every table as XLSX, or one (`?table=`, default "stages") as CSV or XLSX."""
    fmt = _export_format(fmt)
    unit = org_queries.unit_for(request.user, code)
    tables = presenters.portfolio_tables(portfolio_queries.portfolio(request.user, unit))
    table = request.GET.get("table") or ("all" if fmt == "xlsx" else "stages")
    if table != "all" and table not in tables:
        raise Http404(f"No table {table[:40]!r}: the tables are {', '.join(tables)} (or all, as XLSX)")
    name = f"portfolio-{unit.code}-{table}"
    if fmt == "xlsx":
        chosen = tables if table == "all" else {table: tables[table]}
        content = exports.write_xlsx([(t, h, rows) for t, (h, rows) in chosen.items()])
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    if table == "all":
        raise Http404("Every table at once is an XLSX workbook: end the address with .xlsx")
    header, rows = tables[table]
    return exports.download(exports.write_csv(header, rows), f"{name}.csv", exports.CSV_TYPE)


CHARTS_SHOWN = 12


@cached_page
def impact(request: HttpRequest, code: str) -> HttpResponse:
    """The impact of improvement in the unit and beneath: sustained gains in the measures' own units and
    in events a year, summed by unit, topic and goal, with the charts behind them."""
    unit = org_queries.unit_for(request.user, code)
    result = impact_queries.impact(request.user, unit)
    charts = [
        (e, measurement_presenters.chart_html(e.series, e.result, [])) for e in result.evidence[:CHARTS_SHOWN]
    ]
    return render(request, "reporting/impact.jinja", {
        "page_title": f"Impact of improvement in {unit.name}", "active_nav": "projects", "unit": unit,
        "result": result, "charts": charts, "p": presenters, "rules": impact_queries,
        "breadcrumbs": _crumbs(request, unit),
    })  # fmt: skip


@replica_reads
def impact_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """Each project with evidence of sustained improvement, as CSV or XLSX (with the counts without)."""
    fmt = _export_format(fmt)
    unit = org_queries.unit_for(request.user, code)
    result = impact_queries.impact(request.user, unit)
    rows = presenters.impact_rows(result)
    name = f"impact-{unit.code}"
    if fmt == "xlsx":
        without = [[reason, n] for reason, n in sorted(result.without.items())]
        content = exports.write_xlsx(
            [
                ("Evidence", presenters.IMPACT_HEADER, rows),
                ("Without evidence", ["reason", "projects"], without),
            ]
        )
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(
        exports.write_csv(presenters.IMPACT_HEADER, rows), f"{name}.csv", exports.CSV_TYPE
    )


# --- the board pack ---------------------------------------------------------------------------------

SERIES_OFFERED = 200


def _board_unit(request: HttpRequest, code: str) -> Unit:
    # Any unit may keep packs (a directorate's board, a team's huddle); the reporting pages offer them to
    # organisations, ICBs, regions and the nation (BOARD_KINDS).
    return org_queries.unit_for(request.user, code)


def board(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's board packs: past packs, make this month's, and the board's settings (leaders)."""
    unit = _board_unit(request, code)
    require(request.user, Permission.VIEW_FEEDBACK, unit)
    may_make = can(request.user, Permission.CHANGE_UNIT, unit)
    schedule = board_queries.schedule_of(request.user, unit)
    initial = {"monthly": schedule.monthly if schedule else True,
               "measures": [s.pk for s in schedule.measures.all()] if schedule else []}  # fmt: skip
    form = BoardScheduleForm(
        request.POST if request.POST.get("action") == "settings" else None, initial=initial
    )
    form.offer(measurement_queries.series_queryset(request.user, unit=unit, include_beneath=True)
               .select_related("measure", "unit").order_by("measure__name", "unit__name")[:SERIES_OFFERED])  # fmt: skip
    status = 200
    if request.method == "POST":
        require(request.user, Permission.CHANGE_UNIT, unit)
        try:
            if request.POST.get("action") == "make":
                job = services.request_board_pack(unit=unit, by=request.user)  # type: ignore[arg-type]
                messages.success(request, "The board pack is being made")
                return redirect("job", job_id=job.pk)
            if form.is_valid():
                services.save_board_schedule(
                    unit=unit, series_ids=form.cleaned_data["measures"], monthly=form.cleaned_data["monthly"],
                    by=request.user, version=schedule.version if schedule else None,  # type: ignore[arg-type]
                )  # fmt: skip
                messages.success(request, "The board pack settings are saved")
                return redirect(request.path)
        except ValidationError as exc:
            add_service_errors(form, exc)
        status = 400
    return render(request, "reporting/board.jinja", {
        "page_title": f"Board packs of {unit.name}", "active_nav": "projects", "unit": unit, "form": form,
        "packs": list(board_queries.packs(request.user, unit)[:60]), "may_make": may_make, "schedule": schedule,
        "pdf": documents.pdf_available(), "word": documents.word_available(), "documents": documents,
        "breadcrumbs": _crumbs(request, unit),
    }, status=status)  # fmt: skip


def board_preview(request: HttpRequest, code: str) -> HttpResponse:
    """This month's pack as it would be made now, read as the person looking (the print page)."""
    unit = _board_unit(request, code)
    require(request.user, Permission.VIEW_FEEDBACK, unit)
    return HttpResponse(render_pack(board_queries.board_pack(request.user, unit)))


def _pack(request: HttpRequest, pk: int) -> BoardPack:
    pack = board_queries.pack_for(request.user, pk)
    if pack is None:
        raise Http404("No board pack matches that address")
    return pack


def pack(request: HttpRequest, pk: int) -> HttpResponse:
    """A pack as it was made (the print page)."""
    found = _pack(request, pk)
    with found.file.open("rb") as f:
        return HttpResponse(f.read(), content_type="text/html; charset=utf-8")


def pack_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A pack as HTML, PDF (WeasyPrint) or Word (python-docx), made from the kept HTML."""
    found = _pack(request, pk)
    with found.file.open("rb") as f:
        html = f.read().decode("utf-8")
    name = f"board-pack-{found.unit.code}-{found.month:%Y-%m}"
    if fmt == "html":
        return exports.download(html, f"{name}.html", "text/html; charset=utf-8")
    if fmt == "pdf":
        if not documents.pdf_available():
            raise Http404(documents.PDF_MISSING)
        content = documents.pack_pdf(html)
        return exports.download(content, f"{name}.pdf", "application/pdf")
    if fmt == "docx":
        if not documents.word_available():
            raise Http404(documents.WORD_MISSING)
        word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return exports.download(documents.pack_docx(html), f"{name}.docx", word)
    raise Http404("A pack downloads as html, pdf or docx")


# --- national comparative data packs ------------------------------------------------------------------


@cached_page
def comparative_index(request: HttpRequest) -> HttpResponse:
    """Every indicator's comparative data pack, to download."""
    return render(request, "reporting/comparative.jinja", {
        "page_title": "Comparative data packs", "active_nav": "benchmarking",
        "indicators": list(comparative_queries.indicators(request.user)),
        "breadcrumbs": [{"href": "/", "text": "Home"}],
    })  # fmt: skip


@replica_reads
def comparative_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """One indicator's pack: every unit's row (CSV), or the rows and the metadata (XLSX)."""
    fmt = _export_format(fmt)
    measure = comparative_queries.indicators(request.user).filter(code=code).first()
    if measure is None:
        raise Http404(f"No indicator has the code {code}: the list is at /reporting/comparative/")
    found = comparative_queries.comparative_pack(request.user, measure)
    name = measurement_presenters.safe_filename(f"comparative-{measure.code}")
    if fmt == "xlsx":
        content = exports.write_xlsx([
            ("Units", found.header, found.rows), ("About", ["field", "value"], [list(m) for m in found.metadata]),
        ])  # fmt: skip
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    return exports.download(exports.write_csv(found.header, found.rows), f"{name}.csv", exports.CSV_TYPE)
