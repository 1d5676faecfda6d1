"""Every write to measures, series, observations and annotations: one transaction, audited; the
series' analyses are marked stale in that transaction and recomputed by a task (measurement.tasks: at
once in-process by default, by a worker with SPIRAL_TASKS=database), so no page shows a stale one as
current."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from spiral.core import audit, codes, limits, numbers, periods, screening
from spiral.core.errors import Duplicate
from spiral.measurement import rollups, tasks
from spiral.measurement.models import (
    OVERDUE_DEFAULT,
    OVERDUE_MAX,
    PROPORTION_CHARTS,
    RATIO_CHARTS,
    Aggregation,
    Analysis,
    Annotation,
    AnnotationKind,
    Chart,
    Frequency,
    Improvement,
    Measure,
    MeasureType,
    Observation,
    ObservationChange,
    Series,
    Target,
)
from spiral.measurement.values import check_observation
from spiral.organisations.models import Unit, User
from spiral.organisations.services import StaleVersion

logger = logging.getLogger(__name__)

MEASURE_FIELDS = (
    "code",
    "name",
    "description",
    "measure_type",
    "label",
    "chart",
    "improvement",
    "frequency",
    "overdue_after_periods",
    "numerator_definition",
    "denominator_definition",
    "is_indicator",
    "aggregation",
)
# A change to one of these changes which series are added up to the units above (measurement.rollups).
ROLL_UP_FIELDS = frozenset({"chart", "is_indicator", "aggregation"})
# A change to one of these changes every analysis of the measure.
ANALYSIS_FIELDS = frozenset({"chart", "improvement", "frequency"})


class StaleRecord(StaleVersion):
    """A measure or observation changed since the client read it (HTTP 409 with the current record)."""


MEASURE_CODE_LENGTH: int = Measure._meta.get_field("code").max_length  # type: ignore[assignment]  # a CharField: set


def _choices_message(value: str, choices: list[str]) -> str:
    return f"'{value}' is not one of: {', '.join(choices)}"


def parse_target(value: Any, chart: str) -> float | None:
    """A target on the plotted scale, or None. `95%` on a proportion chart is refused: use 0.95."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, str) and text.endswith("%"):
        try:
            share = numbers.parse_number(text[:-1]) / 100
        except numbers.NumberError as exc:
            raise ValidationError({"target": str(exc)}) from None
        raise ValidationError(
            {
                "target": f"'{text}' is a percentage; targets are plain numbers on the chart's scale: "
                f"write {share:g}" + (" (a proportion between 0 and 1)" if chart in PROPORTION_CHARTS else "")
            }
        )
    try:
        number = numbers.parse_number(value, what="target")
    except numbers.NumberError as exc:
        raise ValidationError({"target": f"{exc}; leave it empty for no target"}) from None
    if chart in PROPORTION_CHARTS and not 0 <= number <= 1:
        hint = f"; write {number / 100:g} for {number:g}%" if 1 < number <= 100 else ""
        raise ValidationError(
            {
                "target": f"{number:g} is not a proportion: on a {chart} chart the target is "
                f"between 0 and 1{hint}"
            }
        )
    return number


def overdue_problem(value: Any) -> str | None:
    """Why `value` cannot be a measure's overdue_after_periods (a whole number 1 to 24), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= OVERDUE_MAX:
        return (
            f"'{value}' is not allowed for periods before a series is overdue; give a whole number of "
            f"periods from 1 to {OVERDUE_MAX} (the default is {OVERDUE_DEFAULT})"
        )
    return None


def clean_measure_fields(values: dict[str, Any]) -> dict[str, str]:
    """Field errors for a measure's own values."""
    errors: dict[str, str] = {}
    code = (values.get("code") or "").strip()
    problem = codes.code_problem(code, kind=codes.MEASURE, max_length=MEASURE_CODE_LENGTH)
    if problem:
        errors["code"] = problem
    if not (values.get("name") or "").strip():
        errors["name"] = "Enter a name"
    for name, choices in (
        ("measure_type", MeasureType.values),
        ("chart", Chart.values),
        ("improvement", Improvement.values),
        ("frequency", Frequency.values),
        ("aggregation", Aggregation.values),
    ):
        if values.get(name) not in choices:
            errors[name] = _choices_message(str(values.get(name) or ""), choices)
    if "overdue_after_periods" in values:
        problem = overdue_problem(values["overdue_after_periods"])
        if problem:
            errors["overdue_after_periods"] = problem
    for name, message in limits.length_errors(
        Measure, {k: v for k, v in values.items() if k != "code"}
    ).items():
        errors.setdefault(name, message)
    return errors


MEASURE_TEXT_LABELS = {
    "name": "The name", "description": "The description", "numerator_definition": "The numerator's definition",
    "denominator_definition": "The denominator's definition", "text": "The annotation", "reason": "The reason",
}  # fmt: skip


def screen_measure_text(values: dict[str, Any], before: dict[str, Any] | None = None) -> dict[str, str]:
    """Refusals for staff-written measure text holding personal data (core.screening decides); text
    unchanged since `before` is not screened again."""
    return screening.check_fields(
        {
            k: v
            for k, v in values.items()
            if k in MEASURE_TEXT_LABELS and (before is None or before.get(k) != v)
        },
        MEASURE_TEXT_LABELS,
    )


def _set_target(measure: Measure, target: float | None, target_from: dt.date | None) -> dict[str, list[Any]]:
    """Put `target` in force from `target_from` (None: replace every target), return the change."""
    before = [(t.valid_from, t.value) for t in measure.targets.all()]
    if target_from is None:
        measure.targets.all().delete()
        if target is not None:
            Target.objects.create(measure=measure, value=target, valid_from=None)
    else:
        start = periods.start_of(target_from, measure.frequency)
        measure.targets.filter(valid_from__gte=start).delete()
        if target is not None:
            Target.objects.create(measure=measure, value=target, valid_from=start)
    after = [(t.valid_from, t.value) for t in measure.targets.all()]
    if before == after:
        return {}
    return {"targets": [_targets_text(before), _targets_text(after)]}


def _targets_text(items: list[tuple[dt.date | None, float]]) -> str:
    return "; ".join(f"{v:g}" + (f" from {d.isoformat()}" if d else "") for d, v in items) or "none"


@transaction.atomic
def create_measure(
    *,
    code: str,
    name: str,
    owner: Unit,
    by: User | None,
    measure_type: str = MeasureType.OUTCOME,
    chart: str = Chart.XMR,
    improvement: str = Improvement.INCREASE,
    frequency: str = Frequency.MONTH,
    overdue_after_periods: int = OVERDUE_DEFAULT,
    label: str = "",
    description: str = "",
    numerator_definition: str = "",
    denominator_definition: str = "",
    is_indicator: bool = False,
    aggregation: str = Aggregation.NONE,
    target: Any = None,
    target_from: dt.date | None = None,
) -> Measure:
    """Define a measure owned by `owner` (an indicator when `is_indicator`: shared with all beneath)."""
    values = {
        "code": (code or "").strip(),
        "name": (name or "").strip(),
        "measure_type": measure_type,
        "chart": chart,
        "improvement": improvement,
        "frequency": frequency,
        "overdue_after_periods": overdue_after_periods,
        "label": (label or "").strip(),
        "description": description or "",
        "numerator_definition": numerator_definition or "",
        "denominator_definition": denominator_definition or "",
        "is_indicator": bool(is_indicator),
        "aggregation": aggregation or Aggregation.NONE,
    }
    errors = clean_measure_fields(values) | screen_measure_text(values)
    duplicate = "code" not in errors and Measure.objects.filter(code__iexact=values["code"]).exists()
    if duplicate:
        errors["code"] = f"A measure with the code {values['code']} already exists; codes are unique"
    target_value = None
    try:
        target_value = parse_target(target, chart)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise (Duplicate if duplicate and len(errors) == 1 else ValidationError)(errors)
    measure = Measure.objects.create(owner=owner, **values)
    if target_value is not None:
        _set_target(measure, target_value, target_from)
    audit.record(
        action="measure.create",
        obj=measure,
        by=by,
        scope_path=owner.path,
        changes={k: [None, v] for k, v in values.items() if v not in ("", False)}
        | ({"target": [None, target_value]} if target_value is not None else {}),
    )
    return measure


_UNSET = object()


@transaction.atomic
def update_measure(
    *,
    measure: Measure,
    by: User | None,
    version: int | None = None,
    target: Any = _UNSET,
    target_from: dt.date | None = None,
    **changes: Any,
) -> Measure:
    """Change a measure's definition (and its target). Analyses of its series follow."""
    unknown = set(changes) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({f: "This field cannot be changed here" for f in sorted(unknown)})
    measure = Measure.objects.select_for_update(of=("self",)).select_related("owner").get(pk=measure.pk)
    audit.refuse_stale(measure, version, error=StaleRecord)
    before = audit.snapshot(measure, MEASURE_FIELDS)
    values = before | {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    errors = clean_measure_fields(values) | screen_measure_text(values, before)
    duplicate = (
        "code" not in errors
        and values["code"].lower() != measure.code.lower()
        and Measure.objects.filter(code__iexact=values["code"]).exists()
    )
    if duplicate:
        errors["code"] = f"A measure with the code {values['code']} already exists; codes are unique"
    has_data = measure.series.filter(observations__isnull=False).exists()
    if (values["chart"] in RATIO_CHARTS) != (measure.chart in RATIO_CHARTS) and has_data:
        errors["chart"] = (
            "Observations are recorded as "
            + ("numerators and denominators" if measure.chart in RATIO_CHARTS else "values")
            + f"; a {values['chart']} chart needs "
            + ("numerators and denominators" if values["chart"] in RATIO_CHARTS else "values")
            + ": define a new measure"
        )
    if values["frequency"] != measure.frequency and has_data:
        errors["frequency"] = (
            "The frequency cannot change once observations are recorded; define a new measure"
        )
    target_value: Any = _UNSET
    if target is not _UNSET:
        try:
            target_value = parse_target(target, values["chart"])
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    elif values["chart"] in PROPORTION_CHARTS:
        for t in measure.targets.all():
            if not 0 <= t.value <= 1:
                errors["chart"] = (
                    f"The target {t.value:g} is not a proportion: change it along with the chart"
                )
    if (
        not values["is_indicator"]
        and measure.is_indicator
        and measure.series.exclude(unit=measure.owner).exists()
    ):
        errors["is_indicator"] = "Units beneath the owner already record this indicator; it stays shared"
    if errors:
        raise (Duplicate if duplicate and len(errors) == 1 else ValidationError)(errors)
    changed = audit.diff(before, values)
    for key in changed:
        setattr(measure, key, values[key])
    if target_value is not _UNSET:
        changed |= _set_target(measure, target_value, target_from)
    if not changed:
        return measure
    audit.save_version(
        measure, by=by, action="measure.update", changes=changed, scope_path=measure.owner.path
    )
    if ANALYSIS_FIELDS & set(changed) or "targets" in changed:
        mark_stale(measure)
    if ROLL_UP_FIELDS & set(changed):
        schedule_roll_up([measure.pk])
    return measure


def schedule_roll_up(measure_ids: Any) -> None:
    """Recompute these measures' roll-ups (their derived series) by a task, as analyses are."""
    tasks.schedule_roll_up(measure_ids)


def roll_up_after_moves(units: list[Unit]) -> None:
    """Units moved to other parents (organisations.services.move_unit): the indicators observed by the
    organisations in or beneath them are added up again, so their old ICB, region and nation no longer
    count them and the new ones do (each measure is recomputed whole, at every level, by the task)."""
    measure_ids: set[int] = set()
    # Read again: in a batch of moves, a later move may have changed an earlier unit's path.
    for unit in Unit.objects.filter(pk__in={u.pk for u in units}):
        measure_ids |= set(rollups.measures_concerned(unit).values_list("pk", flat=True))
    if measure_ids:
        logger.info("measurement.roll_up_after_moves units=%d measures=%d", len(units), len(measure_ids))
        schedule_roll_up(measure_ids)


def derived_error(series: Series) -> str:
    """Why a derived series' observations cannot be written (a message for people)."""
    return (
        f"{series.measure.code} for {series.unit.code} is added up from the organisations beneath "
        f"{series.unit.name} (a derived series): record or import the organisations' own figures, and "
        "it is recomputed from them"
    )


def mark_stale(measure: Measure) -> None:
    """The measure's definition changed: its analyses are stale until their task recomputes them."""
    tasks.schedule(measure.series.values_list("pk", flat=True))


def applicability_error(measure: Measure, unit: Unit) -> str | None:
    """Why `measure` cannot be observed for `unit` (a message for people), or None when it applies."""
    if measure.applies_to(unit):
        return None
    owner = measure.owner
    if measure.is_indicator:
        return f"{measure.code} is an indicator of {owner.name} ({owner.code}); {unit.code} is not beneath it"
    return (
        f"{measure.code} belongs to {owner.name} ({owner.code}) and is not shared with other units; "
        "make it an indicator to share it with everything beneath"
    )


@transaction.atomic
def get_or_create_series(*, measure: Measure, unit: Unit, by: User | None) -> Series:
    """The series of `measure` for `unit`, started if need be (the measure must apply to the unit)."""
    series = Series.objects.filter(measure=measure, unit=unit).first()
    if series is not None:
        return series
    problem = applicability_error(measure, unit)
    if problem:
        raise ValidationError({"unit": problem})
    series = Series.objects.create(measure=measure, unit=unit)
    Analysis.objects.create(series=series, computed_at=series.created_at)
    audit.record(
        action="series.create",
        obj=series,
        by=by,
        scope_path=unit.path,
        changes={"measure": [None, measure.code], "unit": [None, unit.code]},
    )
    return series


def observation_state(obs: Observation | None) -> dict[str, Any]:
    """An observation's value, numerator, denominator and note as a dict (the audit's before, the 409
    answer's current record); {} for none."""
    if obs is None:
        return {}
    return {"value": obs.value, "numerator": obs.numerator, "denominator": obs.denominator, "note": obs.note}


def screen_note(note: Any) -> tuple[str, str | None]:
    """The note to store (personal data redacted) and a warning naming what was removed, if anything."""
    text = "" if note is None else str(note).strip()
    if not text:
        return "", None
    cleaned, kinds = screening.redact(text)
    if not kinds:
        return text, None
    return (
        cleaned,
        f"the note held {screening.describe(kinds)}, which has been replaced by {screening.REDACTED}",
    )


@transaction.atomic
def record_observation(
    *,
    series: Series,
    period: Any,
    by: User | None,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    note: Any = "",
    version: int | None = None,
    source: str = "page",
) -> tuple[Observation, list[str]]:
    """Add or correct one period's observation (history kept), then recompute the series' analysis.

    Returns the observation and warnings (e.g. a redacted note). Raises ValidationError per field.
    """
    measure = series.measure
    if series.derived:
        raise ValidationError({"series": derived_error(series)})
    errors: dict[str, str] = {}
    future = None
    try:
        start = periods.OBSERVATION_PERIOD.check(periods.period_start(period, measure.frequency))
        future = periods.OBSERVATION_PERIOD.warning(start)
    except periods.PeriodError as exc:
        errors["period"] = str(exc)
        start = None
    v, n, d, problems, missing = check_observation(measure.chart, value, numerator, denominator)
    for column, message in problems:
        errors.setdefault(column, message)
    if missing and not problems:
        errors.setdefault(
            missing, f"Enter the {missing}; a missing period is simply left out (it is never recorded as 0)"
        )
    if errors:
        raise ValidationError(errors)
    assert start is not None  # a period in error raised above
    note_text = "" if note is None else str(note).strip()
    if len(note_text) > limits.SHORT_TEXT:
        raise ValidationError({"note": limits.too_long_message(limits.SHORT_TEXT, len(note_text))})
    cleaned_note, warning = screen_note(note_text)
    warnings = [w for w in (warning, future) if w]
    obs = (
        Observation.objects.select_for_update(of=("self",)).filter(series=series, period_start=start).first()
    )
    before = observation_state(obs)
    after = {"value": v, "numerator": n, "denominator": d, "note": cleaned_note}
    if obs is not None:
        audit.refuse_stale(obs, version, error=StaleRecord)
        if before == after:
            return obs, warnings
        for key, new in after.items():
            setattr(obs, key, new)
        obs.version += 1
        obs.updated_by = by if getattr(by, "pk", None) else None
        obs.save()
        action = ObservationChange.Action.UPDATE
    else:
        obs = Observation.objects.create(
            series=series, period_start=start, updated_by=by if getattr(by, "pk", None) else None, **after
        )
        action = ObservationChange.Action.CREATE
    ObservationChange.objects.create(
        series=series,
        period_start=start,
        action=action,
        before=_json(before),
        after=_json(after),
        by=by if getattr(by, "pk", None) else None,
        source=source,
    )
    audit.record(
        action=f"observation.{action}",
        obj=series,
        by=by,
        scope_path=series.unit.path,
        changes={"period": [None, start]} | audit.diff(before, after),
    )
    tasks.schedule([series.pk])
    if measure.rolls_up:
        schedule_roll_up([measure.pk])
    return obs, warnings


def _json(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if v not in (None, "")}


@transaction.atomic
def delete_observation(*, observation: Observation, by: User | None, source: str = "page") -> None:
    """Remove one period's observation (the period becomes missing); history kept."""
    series = observation.series
    if series.derived:
        raise ValidationError({"series": derived_error(series)})
    before = observation_state(observation)
    ObservationChange.objects.create(
        series=series,
        period_start=observation.period_start,
        action=ObservationChange.Action.DELETE,
        before=_json(before),
        after={},
        by=by if getattr(by, "pk", None) else None,
        source=source,
    )
    audit.record(
        action="observation.delete",
        obj=series,
        by=by,
        scope_path=series.unit.path,
        changes={"period": [observation.period_start, None]}
        | {k: [v, None] for k, v in _json(before).items()},
    )
    observation.delete()
    tasks.schedule([series.pk])
    if series.measure.rolls_up:
        schedule_roll_up([series.measure_id])


@transaction.atomic
def add_annotation(
    *, series: Series, period: Any, kind: str, text: str, by: User | None, reason: str = ""
) -> Annotation:
    """Note an event, a change tested, or a rebase point (a rebase needs a reason) on a series."""
    errors: dict[str, str] = {}
    try:
        start = periods.period_start(period, series.measure.frequency)
    except periods.PeriodError as exc:
        errors["period"] = str(exc)
        start = None
    if kind not in AnnotationKind.values:
        errors["kind"] = _choices_message(kind, AnnotationKind.values)
    text, reason = (text or "").strip(), (reason or "").strip()
    # Staff write annotations on charts everyone may see: personal data is refused, not silently removed.
    errors |= screen_measure_text({"text": text, "reason": reason})
    if not text:
        errors["text"] = "Enter what happened, or what was changed"
    elif len(text) > 500:
        errors["text"] = "Use at most 500 characters"
    if kind == AnnotationKind.REBASE and not reason:
        errors["reason"] = (
            "Say why the limits are recalculated from this period (what changed in the process)"
        )
    if errors:
        raise ValidationError(errors)
    assert start is not None  # a period in error raised above
    annotation = Annotation.objects.create(
        series=series,
        period_start=start,
        kind=kind,
        text=text,
        reason=reason,
        created_by=by if getattr(by, "pk", None) else None,
    )
    audit.record(
        action="annotation.create",
        obj=series,
        by=by,
        scope_path=series.unit.path,
        changes={"kind": [None, kind], "period": [None, start], "text": [None, text]},
    )
    if kind == AnnotationKind.REBASE:
        tasks.schedule([series.pk])
    return annotation


@transaction.atomic
def delete_annotation(*, annotation: Annotation, by: User | None) -> None:
    """Delete an annotation from its series (audited); removing a rebase recomputes the series' analysis."""
    series = annotation.series
    audit.record(
        action="annotation.delete",
        obj=series,
        by=by,
        scope_path=series.unit.path,
        changes={"kind": [annotation.kind, None], "period": [annotation.period_start, None]},
    )
    was_rebase = annotation.kind == AnnotationKind.REBASE
    annotation.delete()
    if was_rebase:
        tasks.schedule([series.pk])
