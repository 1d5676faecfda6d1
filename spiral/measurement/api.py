"""API for measures, series, observations (bulk upsert: the import's own checks) and analyses.

Handlers are thin: the same queries, services and import code as the pages and the command line.
"""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import Annotated, Any, Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from spiral.core.api import Code, ErrorOut, Id, Name, Number, Pagination, ShortText, Text, Version, model_str
from spiral.core.types import SignedInRequest
from spiral.measurement import analyses, extensions, imports, queries, services, tasks
from spiral.measurement.models import (
    OVERDUE_DEFAULT,
    OVERDUE_MAX,
    Chart,
    Frequency,
    Improvement,
    Measure,
    MeasureType,
    Observation,
    Series,
)
from spiral.measurement.presenters import timeliness
from spiral.organisations import queries as org_queries
from spiral.organisations.models import OrganisationType, UnitKind
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
    overdue_after_periods: int
    numerator_definition: str
    denominator_definition: str
    owner: str = Field(description="The owning unit's code")
    is_indicator: bool
    aggregation: str = Field(description="How values add up to the units above: none or sum (roll-ups)")
    targets: list[TargetOut]
    version: int


# How many ended periods without data a series may have before it is overdue (docs/measurement.md).
OverdueAfter = Annotated[int, Field(ge=1, le=OVERDUE_MAX, description="Whole number of periods, 1 to 24")]


class MeasureIn(Schema):
    code: Code
    name: Name
    owner: Code = Field(description="The owning unit's code")
    measure_type: MeasureType = MeasureType.OUTCOME
    chart: Chart = Chart.XMR
    improvement: Improvement = Improvement.INCREASE
    frequency: Frequency = Frequency.MONTH
    overdue_after_periods: OverdueAfter = OVERDUE_DEFAULT
    label: model_str(Measure, "label") = ""  # type: ignore[valid-type]  # a type built at run time
    description: Text = ""
    numerator_definition: Text = ""
    denominator_definition: Text = ""
    is_indicator: bool = False
    aggregation: Literal["none", "sum"] = "none"
    target: Number | Name | None = Field(None, description="On the plotted scale: 0.95 on a p chart, not 95%")
    target_from: dt.date | None = None


# In a PATCH, a field left out is unchanged; null is refused where the measure cannot hold it (a target
# may be cleared with null).
class MeasurePatch(Schema):
    code: Code = None
    name: Name = None
    measure_type: MeasureType = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    chart: Chart = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    improvement: Improvement = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    frequency: Frequency = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    overdue_after_periods: OverdueAfter = None  # type: ignore[assignment]  # PATCH: left out is unchanged
    label: model_str(Measure, "label") = None  # type: ignore[valid-type]  # a type built at run time
    description: Text = None
    numerator_definition: Text = None
    denominator_definition: Text = None
    is_indicator: bool = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    aggregation: Literal["none", "sum"] = None  # type: ignore[assignment]  # PATCH: left out is unchanged
    target: Number | Name | None = None
    target_from: dt.date | None = None
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


class ChartWarningOut(Schema):
    code: Literal["overdispersion", "mostly_zero", "too_few_points"]
    message: str
    suggested_chart: str | None = Field(
        None, description="The chart likely to be right (a measure chart code)"
    )
    value: float = Field(
        description="The figure tested: Laney's sigma-z squared, the share of zeros, the points"
    )


class SeriesOut(Schema):
    id: int
    measure: int
    measure_code: str
    unit: str
    derived: bool = Field(False, description="Added up from the organisations beneath (a roll-up): read only")
    latest_period: dt.date | None = None
    latest_value: float | None = None
    target: float | None = None
    variation_icon: str | None = None
    assurance_icon: str | None = None
    points: int = 0
    overdue: bool = Field(False, description="More ended periods lack data than the measure allows")
    incomplete_period: dt.date | None = Field(
        None, description="A period not yet ended: its value is left out of the icons and latest value"
    )
    analysis_status: Literal["current", "updating"] = Field(
        "current",
        description="updating: the analysis is being recalculated after a change; its icons and latest "
        "value are from `last_analysed_at`, not current",
    )
    analysed_at: dt.datetime | None = Field(None, description="When the current analysis was calculated")
    last_analysed_at: dt.datetime | None = Field(None, description="When an analysis was last calculated")
    warnings: list[ChartWarningOut] = Field(
        default_factory=list,
        description="Why the measure's chart may mislead this series (docs/reference/spc.md section 11)",
    )

    @staticmethod
    def resolve_warnings(obj: Any) -> list[dict[str, Any]]:
        if isinstance(obj, dict):
            return obj.get("warnings") or []
        analysis = getattr(obj, "analysis", None)
        return list(analysis.warnings or []) if analysis is not None else []

    @staticmethod
    def _state(obj: Any, name: str) -> Any:
        return obj[name] if isinstance(obj, dict) else analysis_state(getattr(obj, "analysis", None))[name]

    @staticmethod
    def resolve_analysis_status(obj: Any) -> str:
        return SeriesOut._state(obj, "analysis_status")

    @staticmethod
    def resolve_analysed_at(obj: Any) -> dt.datetime | None:
        return SeriesOut._state(obj, "analysed_at")

    @staticmethod
    def resolve_last_analysed_at(obj: Any) -> dt.datetime | None:
        return SeriesOut._state(obj, "last_analysed_at")

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
    def resolve_overdue(obj: Any) -> bool:
        return obj["overdue"] if isinstance(obj, dict) else bool(timeliness(obj)["overdue"])

    @staticmethod
    def resolve_incomplete_period(obj: Any) -> Any:
        return SeriesOut._analysis(obj, "incomplete_period")

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
    unit: Code
    measure: Code = Field(description="The measure's code")
    period: Name | Annotated[int, Field(ge=0, le=99_999_999)] | dt.date = Field(
        description="2025-04-01, 01/04/2025, 2025-04, 2025-W14 or 2025-Q2"
    )
    value: Number | Name | None = None
    numerator: Number | Name | None = None
    denominator: Number | Name | None = None
    note: ShortText | None = None


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


class BulkRefusedOut(ErrorOut):
    """A bulk upsert refused whole (nothing written): the errors shape and, when rows were checked, the
    report of every row (a body refused before its rows were read has only the errors shape)."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[IssueOut] = []
    warnings: list[IssueOut] = []
    applied: bool = False


class ObservationPatch(Schema):
    value: Number | Name | None = None
    numerator: Number | Name | None = None
    denominator: Number | Name | None = None
    note: ShortText = None
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


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
        "overdue_after_periods": m.overdue_after_periods,
        "numerator_definition": m.numerator_definition,
        "denominator_definition": m.denominator_definition,
        "owner": m.owner.code,
        "is_indicator": m.is_indicator,
        "aggregation": m.aggregation,
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
        "derived": s.derived,
        "latest_period": a.latest_period if a else None,
        "latest_value": a.latest_value if a else None,
        "incomplete_period": a.incomplete_period if a else None,
        "overdue": bool(timeliness(s)["overdue"]),
        "target": a.target if a else None,
        "variation_icon": (a.variation_icon or None) if a else None,
        "assurance_icon": (a.assurance_icon or None) if a else None,
        "points": a.points if a else 0,
        "warnings": list(a.warnings or []) if a else [],
    } | analysis_state(a)


def analysis_state(a: Any) -> dict[str, Any]:
    """Whether a series' cached analysis is current or being recalculated (stale, or none yet), and when it
    was calculated: the status fields of SeriesOut."""
    current = a is not None and not a.stale
    return {
        "analysis_status": "current" if current else "updating",
        "analysed_at": a.computed_at if current else None,
        "last_analysed_at": a.computed_at if a is not None else None,
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


def _unit(request: SignedInRequest, code: str, field: str = "unit") -> Any:
    unit = org_queries.unit_by_code(request.auth, code)
    if unit is None:
        raise Http404(f"No unit has the code {code!r} ({field})")
    return unit


class MeasureFilters(Schema):
    q: Name | None = Field(None, description="Text in the name or description, or the exact code")
    owner: Code | None = Field(None, description="Measures owned by this unit code")


@router.get("/measures", response=list[MeasureOut], summary="List measures")
@paginate(Pagination)
def list_measures(request: SignedInRequest, filters: Query[MeasureFilters]) -> Any:
    owner = _unit(request, filters.owner, "owner") if filters.owner else None
    return [
        measure_out(m)
        for m in queries.measures(request.auth, q=filters.q, owner=owner).prefetch_related("targets")
    ]


@router.post("/measures", response={201: MeasureOut}, summary="Define a measure")
def create_measure(request: SignedInRequest, payload: MeasureIn) -> Any:
    owner = _unit(request, payload.owner, "owner")
    require(request.auth, Permission.CHANGE_MEASURE, owner)
    data = payload.dict(exclude={"owner"})
    measure = services.create_measure(owner=owner, by=request.auth, **data)
    return Status(201, measure_out(measure))


@router.get("/measures/{measure_id}", response=MeasureOut, summary="One measure")
def get_measure(request: SignedInRequest, measure_id: Id) -> Any:
    return measure_out(queries.measure_for(request.auth, measure_id))


@router.patch("/measures/{measure_id}", response={200: MeasureOut, 409: ErrorOut}, summary="Change a measure")
def patch_measure(request: SignedInRequest, measure_id: Id, payload: MeasurePatch) -> Any:
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
    unit: Code | None = Field(None, description="Series of this unit code")
    within: Code | None = Field(None, description="Series of this unit code and everything beneath it")
    measure: Code | None = Field(None, description="Series of this measure code")
    variation_icon: Name | None = None
    assurance_icon: Name | None = None


@router.get("/series", response=list[SeriesOut], summary="List series with their latest analysis")
@paginate(Pagination)
def list_series(request: SignedInRequest, filters: Query[SeriesFilters]) -> Any:
    unit = _unit(request, filters.within or filters.unit) if (filters.within or filters.unit) else None  # type: ignore[arg-type]  # not None: tested
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


class IndicatorFilters(Schema):
    kind: UnitKind | None = Field(None, description="Only units of this kind")
    organisation_type: OrganisationType | None = Field(None, description="Only organisations of this type")
    variation_icon: Name | None = None
    assurance_icon: Name | None = None
    sort: Literal[tuple(queries.INDICATOR_SORTS)] = Field(  # type: ignore[valid-type]  # built from the sorts
        "unit", description="unit, code, kind, period, latest, target, variation, assurance or position"
    )
    descending: bool = False


class PositionOut(Schema):
    judgement: str = Field(description="better, worse, neutral (beyond the limits, no direction) or within")
    flag: str = Field(description="above_998, above_95, within, below_95 or below_998")
    period: dt.date | None = Field(None, description="The period of the funnel: the peers' latest")
    peers: str = Field(description="The peer group: units of the unit's kind (and organisation type)")
    method: str = Field(description="The limits drawn: none (exact), phi or tau2")


class IndicatorRowOut(SeriesOut):
    unit_name: str
    unit_kind: str
    organisation_type: str
    position: PositionOut | None = Field(
        None, description="The unit's place on the funnel plot of its peers; null when not placed"
    )

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_unit_kind(obj: Any) -> str:
        return obj.unit.kind

    @staticmethod
    def resolve_organisation_type(obj: Any) -> str:
        return obj.unit.organisation_type

    @staticmethod
    def resolve_position(obj: Any) -> dict[str, Any] | None:
        found = getattr(obj, "position", None)
        if not found:
            return None
        return {"judgement": found["judgement"], "flag": found["flag"], "period": found["period"],
                "peers": found.get("peers_text", ""), "method": found["applied"]}  # fmt: skip


@router.get(
    "/measures/{measure_id}/units/{code}/across",
    response=list[IndicatorRowOut],
    summary="One indicator across every unit beneath a unit that reports it",
)
@paginate(Pagination)
def indicator_across(
    request: SignedInRequest, measure_id: Id, code: Code, filters: Query[IndicatorFilters]
) -> Any:
    measure = queries.measure_for(request.auth, measure_id)
    unit = org_queries.unit_for(request.auth, code)
    common: dict[str, Any] = {
        "measure": measure,
        "unit": unit,
        "kind": filters.kind,
        "organisation_type": filters.organisation_type,
    }
    qs = queries.indicator_series(
        request.auth,
        **common,
        variation=filters.variation_icon,
        assurance=filters.assurance_icon,
        sort=filters.sort,
        descending=filters.descending,
    )
    units = queries.reporting_units(queries.indicator_series(request.auth, **common))
    positions = extensions.indicator_positions(request.auth, measure, {(k, t) for _, k, t in units})
    return queries.IndicatorRows(
        qs, positions, by_position=filters.sort == "position", descending=filters.descending
    )


def _series(request: SignedInRequest, series_id: int) -> Series:
    series = queries.series_by_id(request.auth, series_id)
    if series is None:
        raise Http404(f"No series has the id {series_id}")
    return series


@router.get("/series/{series_id}", response=SeriesOut, summary="One series")
def get_series(request: SignedInRequest, series_id: Id) -> Any:
    series = _series(request, series_id)
    return series_out(Series.objects.select_related("measure", "unit", "analysis").get(pk=series.pk))


@router.get(
    "/series/{series_id}/observations", response=list[ObservationOut], summary="A series' observations"
)
@paginate(Pagination)
def series_observations(request: SignedInRequest, series_id: Id) -> Any:
    series = _series(request, series_id)
    return [observation_out(o) for o in queries.observations(request.auth, series)]


@router.get(
    "/series/{series_id}/analysis",
    response=dict,
    summary="The SPC analysis (Analysis.to_dict()) with its warnings (code, message, suggested_chart, value)",
)
def series_analysis(request: SignedInRequest, series_id: Id) -> Any:
    series = _series(request, series_id)
    result = dict(analyses.full_result(series))
    if "error" not in result:
        # A recalculation Spiral offers after a change tested (never made on its own), or null.
        found = analyses.suggested_rebase(series)
        result["suggested_rebase"] = (
            None if found is None else {"period": found.period.isoformat(), "reason": found.reason}
        )
    return result


class JobAcceptedOut(Schema):
    """A request large enough to run as background work: follow it at `url` (GET /api/v1/jobs/{id})."""

    job: int
    status: str
    url: str
    page: str


@router.post(
    "/observations",
    response={200: BulkOut, 202: JobAcceptedOut, 400: BulkRefusedOut},
    summary=f"Add or correct up to {MAX_OBSERVATIONS:,} observations (the import's checks)",
)
def upsert_observations(request: SignedInRequest, payload: BulkIn) -> Any:
    if len(payload.observations) > MAX_OBSERVATIONS:
        raise HttpError(
            413,
            f"{len(payload.observations):,} observations sent; at most {MAX_OBSERVATIONS:,} go in one "
            "request: split them into several requests",
        )
    require(request.auth, Permission.RECORD_DATA)
    rows = [o.dict() for o in payload.observations]
    if not payload.dry_run and tasks.rows_in_background(len(rows)):
        job = tasks.start_rows(rows=rows, by=request.auth, valid_only=payload.valid_only)
        return Status(
            202,
            {
                "job": job.pk,
                "status": job.status,
                "url": f"/api/v1/jobs/{job.pk}",
                "page": f"/jobs/{job.pk}/",
            },
        )
    result = imports.apply_rows(rows, by=request.auth, dry_run=payload.dry_run, valid_only=payload.valid_only)

    def issues(items: list[imports.Issue]) -> list[dict[str, Any]]:
        return [{"row": i.row, "field": _field(i.row, i.column), "message": i.message} for i in items]

    body: dict[str, Any] = {
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
    response={200: ObservationOut, 409: ErrorOut},
    summary="Correct one observation",
)
def patch_observation(request: SignedInRequest, observation_id: Id, payload: ObservationPatch) -> Any:
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
def delete_observation(request: SignedInRequest, observation_id: Id) -> Any:
    obs = queries.observation_for(request.auth, observation_id)
    services.delete_observation(observation=obs, by=request.auth, source="API")
    return Status(204, None)
