"""Capability pages: a person's training, a unit's dosage dashboard (and export), recording training in
bulk and headcount, imports, the leaky bucket, coaching capacity, leaders' development, and surveys.
Thin: authorise, call one query or service, render."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from spiral.assessments.forms import AnswerForm
from spiral.assessments.queries import current_instrument
from spiral.assessments.services import submit_unit_response
from spiral.capability import imports, presenters, queries, services
from spiral.capability.forms import BulkTrainingForm, HeadcountForm, ImportForm, TrainingForm
from spiral.core import exports, periods
from spiral.core.errors import Duplicate
from spiral.core.forms import add_service_errors, submit_form
from spiral.core.types import SignedInRequest
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Membership, Unit, User
from spiral.organisations.permissions import (
    Permission,
    can,
    get_or_deny,
    may_record_training,
    require,
    require_may_record_training,
)


def _crumbs(unit: Unit | None = None) -> list[dict[str, str]]:
    crumbs = [{"href": "/", "text": "Home"}, {"href": reverse("capability:index"), "text": "Capability"}]
    if unit is not None:
        crumbs.append({"href": reverse("capability:unit", args=[unit.code]), "text": unit.name})
    return crumbs


def _page(request: HttpRequest, template: str, title: str, unit: Unit | None, **context: Any) -> HttpResponse:
    status = context.pop("status", 200)
    return render(request, f"capability/{template}", {
        "page_title": title, "active_nav": "capability", "unit": unit, "breadcrumbs": _crumbs(unit if template != "unit.jinja" else None),
        "pct": presenters.percent, **context,
    }, status=status)  # fmt: skip


def index(request: SignedInRequest) -> HttpResponse:
    mine = [
        m.unit
        for m in Membership.objects.filter(user=request.user).select_related("unit").order_by("unit__path")
    ]
    return _page(
        request, "index.jinja", "Capability", None, mine=mine, roots=list(org_queries.roots(request.user))
    )


def unit_page(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    d = queries.dosage(request.user, unit)
    return _page(request, "unit.jinja", f"Improvement capability of {unit.name}", unit, d=d,
                 pace_text=presenters.PACE_TEXT[d.pace],
                 may_record=can(request.user, Permission.RECORD_TRAINING, unit),
                 may_headcount=can(request.user, Permission.RECORD_HEADCOUNT, unit))  # fmt: skip


def unit_export(request: SignedInRequest, code: str, fmt: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    d = queries.dosage(request.user, unit)
    name = f"{unit.code}-capability".replace("/", "-")
    if fmt == "xlsx":
        bucket = queries.leaky_bucket(request.user, unit)
        surveys = [r for slug in queries.SURVEYS if (r := queries.survey_results(request.user, unit, slug))]
        content = exports.write_xlsx([
            ("Dosage", presenters.DOSAGE_HEADER, presenters.dosage_rows(d)),
            ("Trend", presenters.TREND_HEADER, presenters.trend_rows(d)),
            ("Not active", presenters.BUCKET_HEADER, presenters.bucket_rows(bucket)),
            ("Surveys", presenters.SURVEY_HEADER, presenters.survey_rows(surveys)),
        ])  # fmt: skip
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    if fmt != "csv":
        raise Http404("Exports are CSV or XLSX")
    return exports.download(
        exports.write_csv(presenters.DOSAGE_HEADER, presenters.dosage_rows(d)),
        f"{name}.csv",
        exports.CSV_TYPE,
    )


def person_page(request: SignedInRequest, person_id: int) -> HttpResponse:
    person = get_or_deny(
        request.user, Permission.VIEW_PERSON, User.objects.filter(is_active=True), pk=person_id
    )
    units = [
        m.unit for m in Membership.objects.filter(user=person).select_related("unit").order_by("unit__path")
    ]
    if request.method == "POST":
        require_may_record_training(request.user, person)
    form = TrainingForm(request.POST if request.method == "POST" else None, units=units)

    def save(data: dict[str, Any]) -> Any:
        return services.record_training(person=person, tier=data["tier"], completed_on=data["completed_on"],
                                        provider=data["provider"], evidence=data.get("evidence", ""),
                                        unit=data["unit"], by=request.user)  # fmt: skip

    done = submit_form(request, form, save=save, success_url=request.path,
                       message=lambda r: "Training recorded" if r[1] else "This training was already recorded: nothing changed")  # fmt: skip
    if done is not None:
        return done
    return _page(request, "person.jinja", f"Improvement training of {person.display_name}", None, person=person,
                 records=list(queries.training_records(request.user, person=person)), form=form,
                 may_record=may_record_training(request.user, person) and bool(units),
                 status=400 if request.method == "POST" else 200)  # fmt: skip


def unit_record(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code, Permission.RECORD_TRAINING)
    people = queries.people_of(request.user, unit)
    form = BulkTrainingForm(request.POST if request.method == "POST" else None, people=people)

    def save(data: dict[str, Any]) -> Any:
        return services.record_training_many(unit=unit, people=data["people"], tier=data["tier"],
                                             completed_on=data["completed_on"], provider=data["provider"],
                                             evidence=data.get("evidence", ""), by=request.user)  # fmt: skip

    done = submit_form(request, form, save=save, success_url=reverse("capability:unit", args=[unit.code]),
                       message=lambda r: f"Training recorded for {r[0]} people ({r[1]} already recorded)")  # fmt: skip
    if done is not None:
        return done
    return _page(request, "record.jinja", f"Record training in {unit.name}", unit, form=form,
                 status=400 if request.method == "POST" else 200)  # fmt: skip


def unit_headcount(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    if request.method == "POST":
        require(request.user, Permission.RECORD_HEADCOUNT, unit)
    form = HeadcountForm(request.POST if request.method == "POST" else None)

    def save(data: dict[str, Any]) -> Any:
        try:
            month = periods.parse_month(data["period"])
        except periods.PeriodError as exc:
            raise ValidationError({"period": str(exc)}) from None
        return services.record_headcount(unit=unit, period_start=month, staff=data["staff"], by=request.user)

    done = submit_form(request, form, save=save, success_url=request.path, message="Headcount saved")
    if done is not None:
        return done
    rows = list(queries.headcounts(request.user, within=unit)[:500])
    return _page(request, "headcount.jinja", f"Headcount of {unit.name}", unit, form=form, rows=rows,
                 may_record=can(request.user, Permission.RECORD_HEADCOUNT, unit),
                 status=400 if request.method == "POST" else 200)  # fmt: skip


def import_page(request: SignedInRequest) -> HttpResponse:
    """Upload, preview what would change, then confirm: the file travels in the confirm form. Each row is
    checked against the person importing (their own training, or one they may record)."""
    form = ImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "result": None}
    if request.method == "POST" and "confirm" in request.POST:
        data = base64.b64decode(request.POST.get("payload", ""), validate=False)
        kind = "headcount" if request.POST.get("kind") == "headcount" else "training"
        result = imports.import_file(kind, data, by=request.user, filename=request.POST.get("filename", ""))
        if result.ok:
            messages.success(request, f"Imported: {result.count('create')} added, {result.count('update')} "
                                      f"updated, {result.count('unchanged')} already recorded.")  # fmt: skip
            return redirect("capability:import")
        context.update(result=result, form=ImportForm())
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        kind = form.cleaned_data["kind"]
        result = imports.import_file(kind, data, by=request.user, dry_run=True, filename=upload.name)
        context.update(
            result=result, payload=base64.b64encode(data).decode(), filename=upload.name, kind=kind
        )
    status = 400 if request.method == "POST" and ((not form.is_valid() and "confirm" not in request.POST)
                                                 or (context["result"] and not context["result"].ok)) else 200  # fmt: skip
    return _page(request, "import.jinja", "Import training or headcount", None, status=status, **context)


def leaky_bucket(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    try:
        years = min(max(int(request.GET.get("years", "3")), 1), 20)
    except ValueError:
        years = 3
    b = queries.leaky_bucket(request.user, unit, years=years)
    return _page(request, "bucket.jinja", f"The leaky bucket of {unit.name}", unit, b=b,
                 chart=presenters.funnel_svg(b), years=years)  # fmt: skip


def coaching(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    return _page(request, "coaching.jinja", f"Coaching capacity of {unit.name}", unit,
                 c=queries.coaching(request.user, unit))  # fmt: skip


def leaders(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    above = queries.is_above_organisation(unit)
    return _page(request, "leaders.jinja", f"Leaders' improvement development: {unit.name}", unit,
                 rows=queries.leaders(request.user, unit),
                 orgs=queries.leaders_by_organisation(request.user, unit) if above else [])  # fmt: skip


def surveys(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    results = [r for slug in queries.SURVEYS if (r := queries.survey_results(request.user, unit, slug))]
    return _page(request, "surveys.jinja", f"Readiness and culture: {unit.name}", unit, results=results,
                 may_answer=can(request.user, Permission.ANSWER_SURVEY, unit))  # fmt: skip


def survey_answer(request: SignedInRequest, code: str) -> HttpResponse:
    unit = org_queries.unit_for(request.user, code)
    if request.method == "POST":
        require(request.user, Permission.ANSWER_SURVEY, unit)
    slug = request.GET.get("instrument", "team-culture")[:80]
    instrument = current_instrument(request.user, slug)
    if instrument is None or instrument.applies_to == "project":
        raise Http404(f"No team or unit survey {slug!r} has been loaded: run `spiral load_instruments`")
    form = AnswerForm(request.POST if request.method == "POST" else None, instrument=instrument)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                submit_unit_response(
                    instrument=instrument, unit=unit, choices=form.cleaned_data, by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 409 if isinstance(exc, Duplicate) else 400
            else:
                messages.success(
                    request, "Your answers are saved. Results show once enough people have answered."
                )
                return redirect("capability:surveys", unit.code)
    return _page(request, "survey_answer.jinja", f"{instrument.name}: {unit.name}", unit, form=form,
                 instrument=instrument, threshold=queries.min_responses(), status=status)  # fmt: skip
