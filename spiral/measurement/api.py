"""API for measures, series, observations (bulk upsert: the import's own checks) and analyses.

Handlers are thin: the same queries, services and import code as the pages and the command line.
"""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from spiral.measurement import analyses, imports, queries, services
from spiral.measurement.models import Chart, Frequency, Improvement, Measure, MeasureType, Observation, Series
from spiral.organisations import queries as org_queries
from spiral.organisations.permissions import Permission, get_or_deny, require

router = Router(tags=["measures and observations"])

MAX_OBSERVATIONS = 50_000


class TargetOut(Schema):
    value: float
    valid_from: dt.date | None = None


class MeasureOut(Schema):
    id: int
    code: str
    name: str
    description: str
    measure_type: str
    label: str
    chart: str
    improvement: str
    frequency: str
    numerator_definition: str
    denominator_definition: str
    owner: str = Field(description="The owning unit's code")
    is_indicator: bool
    targets: list[TargetOut]
    version: int


class MeasureIn(Schema):
    code: str
    name: str
    owner: str = Field(description="The owning unit's code")
    measure_type: MeasureType = MeasureType.OUTCOME
    chart: Chart = Chart.XMR
    improvement: Improvement = Improvement.INCREASE
    frequency: Frequency = Frequency.MONTH
    label: str = ""
    description: str = ""
    numerator_definition: str = ""
    denominator_definition: str = ""
    is_indicator: bool = False
    target: float | str | None = Field(None, description="On the plotted scale: 0.95 on a p chart, not 95%")
    target_from: dt.date | None = None


class MeasurePatch(Schema):
    code: str | None = None
    name: str | None = None
    measure_type: MeasureType | None = None
    chart: Chart | None = None
    improvement: Improvement | None = None
    frequency: Frequency | None = None
    label: str | None = None
    description: str | None = None
    numerator_definition: str | None = None
    denominator_definition: str | None = None
    is_indicator: bool | None = None
    target: float | str | None = None
    target_from: dt.date | None = None
    version: int | None = Field(None, description="The version you read; a stale one gets 409")


class SeriesOut(Schema):
    id: int
    measure: int
    measure_code: str
    unit: str
    latest_period: dt.date | None = None
    latest_value: float | None = None
    target: float | None = None
    variation_icon: str | None = None
    assurance_icon: str | None = None
    points: int = 0

    @staticmethod
    def resolve_measure(obj: Any) -> int:
        return obj["measure"] if isinstance(obj, dict) else obj.measure_id

    @staticmethod
    def resolve_measure_code(obj: Any) -> str:
        return obj["measure_code"] if isinstance(obj, dict) else obj.measure.code

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj["unit"] if isinstance(obj, dict) else obj.unit.code

    @staticmethod
    def _analysis(obj: Any, name: str) -> Any:
        if isinstance(obj, dict):
            return obj.get(name)
        analysis = getattr(obj, "analysis", None)
        value = getattr(analysis, name, None) if analysis is not None else None
        return value or None if name.endswith("_icon") else value

    @staticmethod
    def resolve_latest_period(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "latest_period")

    @staticmethod
    def resolve_latest_value(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "latest_value")

    @staticmethod
    def resolve_target(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "target")

    @staticmethod
    def resolve_variation_icon(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "variation_icon")

    @staticmethod
    def resolve_assurance_icon(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "assurance_icon")

    @staticmethod
    def resolve_points(obj: Any) -> int:
        return SeriesOut._analysis(obj, "points") or 0


class ObservationOut(Schema):
    id: int
    series: int
    period_start: dt.date
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    note: str
    version: int


class ObservationIn(Schema):
    unit: str
    measure: str = Field(description="The measure's code")
    period: str | int | dt.date = Field(description="2025-04-01, 01/04/2025, 2025-04, 2025-W14 or 2025-Q2")
    value: float | str | None = None
    numerator: float | str | None = None
    denominator: float | str | None = None
    note: str | None = None


class BulkIn(Schema):
    observations: list[ObservationIn]
    dry_run: bool = Field(False, description="Check and report, write nothing")
    valid_only: bool = Field(False, description="Write the valid rows even when others are rejected")


class IssueOut(Schema):
    row: int | None = None
    field: str | None = None
    message: str


class BulkOut(Schema):
    added: int
    changed: int
    unchanged: int
    rejected: list[IssueOut]
    warnings: list[IssueOut]
    applied: bool


class ObservationPatch(Schema):
    value: float | str | None = None
    numerator: float | str | None = None
    denominator: float | str | None = None
    note: str | None = None
    version: int | None = Field(None, description="The version you read; a stale one gets 409")


def measure_out(m: Measure) -> dict[str, Any]:
    return {
        "id": m.pk,
        "code": m.code,
        "name": m.name,
        "description": m.description,
        "measure_type": m.measure_type,
        "label": m.label,
        "chart": m.chart,
        "improvement": m.improvement,
        "frequency": m.frequency,
        "numerator_definition": m.numerator_definition,
        "denominator_definition": m.denominator_definition,
        "owner": m.owner.code,
        "is_indicator": m.is_indicator,
        "targets": [{"value": t.value, "valid_from": t.valid_from} for t in m.targets.all()],
        "version": m.version,
    }


def series_out(s: Series) -> dict[str, Any]:
    a = getattr(s, "analysis", None)
    return {
        "id": s.pk,
        "measure": s.measure_id,
        "measure_code": s.measure.code,
        "unit": s.unit.code,
        "latest_period": a.latest_period if a else None,
        "latest_value": a.latest_value if a else None,
        "target": a.target if a else None,
        "variation_icon": (a.variation_icon or None) if a else None,
        "assurance_icon": (a.assurance_icon or None) if a else None,
        "points": a.points if a else 0,
    }


def observation_out(o: Observation) -> dict[str, Any]:
    return {
        "id": o.pk,
        "series": o.series_id,
        "period_start": o.period_start,
        "value": o.value,
        "numerator": o.numerator,
        "denominator": o.denominator,
        "note": o.note,
        "version": o.version,
    }


def _stale(exc: services.StaleRecord, current: dict[str, Any]) -> Status:
    return Status(
        409, {"detail": str(exc), "errors": [{"field": "version", "message": str(exc)}], "current": current}
    )


def _unit(request: HttpRequest, code: str, field: str = "unit") -> Any:
    unit = org_queries.unit_by_code(request.auth, code)
    if unit is None:
        raise Http404(f"No unit has the code {code!r} ({field})")
    return unit


class MeasureFilters(Schema):
    q: str | None = Field(None, description="Text in the name or description, or the exact code")
    owner: str | None = Field(None, description="Measures owned by this unit code")


@router.get("/measures", response=list[MeasureOut], summary="List measures")
@paginate(LimitOffsetPagination)
def list_measures(request: HttpRequest, filters: Query[MeasureFilters]) -> Any:
    owner = _unit(request, filters.owner, "owner") if filters.owner else None
    return [
        measure_out(m)
        for m in queries.measures(request.auth, q=filters.q, owner=owner).prefetch_related("targets")
    ]


@router.post("/measures", response={201: MeasureOut}, summary="Define a measure")
def create_measure(request: HttpRequest, payload: MeasureIn) -> Any:
    owner = _unit(request, payload.owner, "owner")
    require(request.auth, Permission.CHANGE_MEASURE, owner)
    data = payload.dict(exclude={"owner"})
    measure = services.create_measure(owner=owner, by=request.auth, **data)
    return Status(201, measure_out(measure))


@router.get("/measures/{measure_id}", response=MeasureOut, summary="One measure")
def get_measure(request: HttpRequest, measure_id: int) -> Any:
    return measure_out(
        get_or_deny(
            request.auth, Permission.VIEW_UNIT, Measure.objects.select_related("owner"), pk=measure_id
        )
    )


@router.patch("/measures/{measure_id}", response={200: MeasureOut, 409: dict}, summary="Change a measure")
def patch_measure(request: HttpRequest, measure_id: int, payload: MeasurePatch) -> Any:
    measure = get_or_deny(
        request.auth, Permission.CHANGE_MEASURE, Measure.objects.select_related("owner"), pk=measure_id
    )
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "target" in changes:
        changes["target"] = changes["target"]
    else:
        changes.pop("target_from", None)
    try:
        services.update_measure(measure=measure, by=request.auth, version=version, **changes)
    except services.StaleRecord as exc:
        return _stale(exc, measure_out(Measure.objects.select_related("owner").get(pk=measure.pk)))
    return measure_out(Measure.objects.select_related("owner").get(pk=measure.pk))


class SeriesFilters(Schema):
    unit: str | None = Field(None, description="Series of this unit code")
    within: str | None = Field(None, description="Series of this unit code and everything beneath it")
    measure: str | None = Field(None, description="Series of this measure code")
    variation_icon: str | None = None
    assurance_icon: str | None = None


@router.get("/series", response=list[SeriesOut], summary="List series with their latest analysis")
@paginate(LimitOffsetPagination)
def list_series(request: HttpRequest, filters: Query[SeriesFilters]) -> Any:
    unit = _unit(request, filters.within or filters.unit) if (filters.within or filters.unit) else None
    measure = queries.measure_by_code(request.auth, filters.measure) if filters.measure else None
    if filters.measure and measure is None:
        raise Http404(f"No measure has the code {filters.measure!r} (measure)")
    return queries.series_queryset(
        request.auth,
        unit=unit,
        include_beneath=bool(filters.within),
        measure=measure,
        variation=filters.variation_icon,
        assurance=filters.assurance_icon,
        sort="unit",
    )


def _series(request: HttpRequest, series_id: int) -> Series:
    series = queries.series_by_id(request.auth, series_id)
    if series is None:
        raise Http404(f"No series has the id {series_id}")
    return series


@router.get("/series/{series_id}", response=SeriesOut, summary="One series")
def get_series(request: HttpRequest, series_id: int) -> Any:
    series = _series(request, series_id)
    analyses.ensure_fresh([series.pk])
    return series_out(Series.objects.select_related("measure", "unit", "analysis").get(pk=series.pk))


@router.get(
    "/series/{series_id}/observations", response=list[ObservationOut], summary="A series' observations"
)
@paginate(LimitOffsetPagination)
def series_observations(request: HttpRequest, series_id: int) -> Any:
    series = _series(request, series_id)
    return [observation_out(o) for o in queries.observations(request.auth, series)]


@router.get("/series/{series_id}/analysis", response=dict, summary="The SPC analysis (Analysis.to_dict())")
def series_analysis(request: HttpRequest, series_id: int) -> Any:
    return analyses.full_result(_series(request, series_id))


@router.post(
    "/observations",
    response={200: BulkOut, 400: dict},
    summary=f"Add or correct up to {MAX_OBSERVATIONS:,} observations (the import's checks)",
)
def upsert_observations(request: HttpRequest, payload: BulkIn) -> Any:
    if len(payload.observations) > MAX_OBSERVATIONS:
        raise HttpError(
            413,
            f"{len(payload.observations):,} observations sent; at most {MAX_OBSERVATIONS:,} go in one "
            "request: split them into several requests",
        )
    require(request.auth, Permission.RECORD_DATA)
    rows = [o.dict() for o in payload.observations]
    result = imports.apply_rows(rows, by=request.auth, dry_run=payload.dry_run, valid_only=payload.valid_only)

    def issues(items: list[imports.Issue]) -> list[dict[str, Any]]:
        return [{"row": i.row, "field": _field(i.row, i.column), "message": i.message} for i in items]

    body = {
        "added": result.added,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "rejected": issues(result.rejected),
        "warnings": issues(result.warnings),
        "applied": result.applied,
    }
    if result.rejected and not payload.valid_only:
        first = result.rejected[0]
        where = _field(first.row, first.column)
        detail = f"{len(result.rejected):,} problems; nothing was written (first: {where}: {first.message})"
        errors = [{"field": e["field"], "message": e["message"]} for e in body["rejected"]]
        return Status(400, {"detail": detail, "errors": errors} | body)
    return body


_API_FIELD = {"unit_code": "unit", "measure_code": "measure"}


def _field(row: int | None, column: str | None) -> str:
    name = _API_FIELD.get(column or "", column or "")
    return f"observations[{(row or 1) - 1}].{name}" if row else name


@router.patch(
    "/observations/{observation_id}",
    response={200: ObservationOut, 409: dict},
    summary="Correct one observation",
)
def patch_observation(request: HttpRequest, observation_id: int, payload: ObservationPatch) -> Any:
    obs = get_or_deny(
        request.auth,
        Permission.RECORD_DATA,
        Observation.objects.select_related("series__unit", "series__measure"),
        pk=observation_id,
    )
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    current = services.observation_state(obs)
    values = current | data
    try:
        obs, _warnings = services.record_observation(
            series=obs.series,
            period=obs.period_start,
            by=request.auth,
            version=version,
            source="API",
            **values,
        )
    except services.StaleRecord as exc:
        return _stale(exc, observation_out(Observation.objects.get(pk=observation_id)))
    return observation_out(obs)


@router.delete("/observations/{observation_id}", response={204: None}, summary="Delete one observation")
def delete_observation(request: HttpRequest, observation_id: int) -> Any:
    obs = get_or_deny(
        request.auth,
        Permission.RECORD_DATA,
        Observation.objects.select_related("series__unit"),
        pk=observation_id,
    )
    services.delete_observation(observation=obs, by=request.auth, source="API")
    return Status(204, None)
