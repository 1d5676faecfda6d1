"""The seam between projects and Measurement: linked measures, their charts, and cycle annotations.

Everything that touches spiral.measurement goes through this module, so the rest of the app does not
depend on how measures are stored. A project links series (a measure observed for a unit) in a role:
outcome, process or balancing; one outcome link is the aim's measure. The series stay Measurement's:
their observations, annotations and analyses are written by Measurement's services only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from spiral.core import audit, periods, screening
from spiral.measurement import analyses
from spiral.measurement import presenters as m_presenters
from spiral.measurement import services as m_services
from spiral.measurement.models import Annotation, AnnotationKind, Measure, Observation, Series
from spiral.projects.models import MeasureRole, PdsaCycle, Project, ProjectMeasure

if TYPE_CHECKING:
    from spiral.organisations.models import Unit, User


def _user(by: User | None) -> User | None:
    return by if getattr(by, "pk", None) else None


def _series_text(series: Series) -> str:
    return f"{series.measure.code} for {series.unit.code}"


# --- links --------------------------------------------------------------------------------------------


@transaction.atomic
def link_series(*, project: Project, series: Series, role: str, by: User | None) -> ProjectMeasure:
    """Link a series to the project in `role`. The first outcome becomes the aim's measure (and names the
    aim's outcome measure if the project had none). Cycles already started are marked on its chart."""
    if role not in MeasureRole.values:
        raise ValidationError(
            {"role": f"'{role}' is not a role; use one of: {', '.join(MeasureRole.values)}"}
        )
    series = Series.objects.select_related("measure", "unit").get(pk=series.pk)
    existing = ProjectMeasure.objects.filter(project=project, series=series).first()
    if existing is not None:
        raise ValidationError(
            {
                "series": f"{series.measure.name} ({_series_text(series)}) is already linked to this project "
                f"as a {existing.get_role_display().lower()} measure; unlink it first to change its role"
            }
        )
    project = Project.objects.select_for_update(of=("self",)).select_related("unit").get(pk=project.pk)
    has_aim = ProjectMeasure.objects.filter(project=project, is_aim=True).exists()
    is_aim = role == MeasureRole.OUTCOME and not has_aim
    order = (ProjectMeasure.objects.filter(project=project).aggregate(n=Max("order"))["n"] or 0) + 1
    link = ProjectMeasure.objects.create(
        project=project, series=series, role=role, is_aim=is_aim, order=order, created_by=_user(by)
    )
    changes: dict[str, list[Any]] = {
        "measure": [None, f"{series.measure.name} ({_series_text(series)}) as {role}"]
    }
    if is_aim:
        changes["aim_series"] = [None, _series_text(series)]
        if not project.aim_measure.strip():
            Project.objects.filter(pk=project.pk).update(aim_measure=series.measure.name[:200])
            changes["aim_measure"] = ["", series.measure.name[:200]]
    audit.record(
        action="project.measure_link", obj=project, by=by, scope_path=project.unit.path, changes=changes
    )
    cycles = PdsaCycle.objects.filter(project=project, started_on__isnull=False).select_related(
        "change_idea", "project"
    )
    for cycle in cycles:
        _annotate(cycle, link.series, by)
    return link


@transaction.atomic
def create_series_for_project(
    *, project: Project, measure: Measure, role: str, by: User | None, unit: Unit | None = None
) -> ProjectMeasure:
    """Start (or find) the series of `measure` for the project's unit, and link it in `role`.

    The series belongs to the project's unit: a project starts series only there (docs/permissions.md).
    """
    if unit is not None and unit.pk != project.unit_id:
        raise ValidationError(
            {
                "unit": f"A project starts series only for its own unit ({project.unit.code}); "
                f"link {unit.code}'s series instead, or ask someone there to start it"
            }
        )
    try:
        series = m_services.get_or_create_series(measure=measure, unit=project.unit, by=by)
    except ValidationError as exc:
        raise ValidationError({"measure": exc.messages}) from None
    return link_series(project=project, series=series, role=role, by=by)


@transaction.atomic
def unlink_series(*, link: ProjectMeasure, by: User | None) -> None:
    """Take a series off the project (the series and its data stay in Measurement). When it was the
    aim's measure, the next outcome link (if any) becomes the aim's measure."""
    link = ProjectMeasure.objects.select_related("project__unit", "series__measure", "series__unit").get(
        pk=link.pk
    )
    project = link.project
    changes: dict[str, list[Any]] = {
        "measure": [f"{link.series.measure.name} ({_series_text(link.series)}) as {link.role}", None]
    }
    link.delete()
    if link.is_aim:
        successor = (
            ProjectMeasure.objects.filter(project=project, role=MeasureRole.OUTCOME)
            .select_related("series__measure", "series__unit")
            .order_by("order", "id")
            .first()
        )
        if successor is not None:
            successor.is_aim = True
            successor.save(update_fields=["is_aim"])
        changes["aim_series"] = [
            _series_text(link.series),
            _series_text(successor.series) if successor else None,
        ]
    audit.record(
        action="project.measure_unlink", obj=project, by=by, scope_path=project.unit.path, changes=changes
    )


@transaction.atomic
def set_aim_series(*, link: ProjectMeasure, by: User | None) -> ProjectMeasure:
    """Make this outcome link the measure the aim is judged by."""
    link = ProjectMeasure.objects.select_related("project__unit", "series__measure", "series__unit").get(
        pk=link.pk
    )
    if link.role != MeasureRole.OUTCOME:
        raise ValidationError({"role": "The aim is judged by an outcome measure; link this series as one"})
    if link.is_aim:
        return link
    before = ProjectMeasure.objects.filter(project=link.project, is_aim=True).select_related(
        "series__measure", "series__unit"
    )
    old = next(iter(before), None)
    before.update(is_aim=False)
    link.is_aim = True
    link.save(update_fields=["is_aim"])
    audit.record(
        action="project.measure_aim",
        obj=link.project,
        by=by,
        scope_path=link.project.unit.path,
        changes={"aim_series": [_series_text(old.series) if old else None, _series_text(link.series)]},
    )
    return link


# --- cycle annotations --------------------------------------------------------------------------------


def annotation_text(number: int, idea: str, project_title: str) -> str:
    """What the chart says at the start of a cycle (stable, so that marking twice finds the first)."""
    text = f"PDSA cycle {number} started: {idea} ({project_title})"
    return screening.redact(text[:500])[0]


def cycle_annotation_text(cycle: PdsaCycle) -> str:
    return annotation_text(cycle.number, cycle.change_idea.text, cycle.project.title)


def _annotate(cycle: PdsaCycle, series: Series, by: User | None) -> bool:
    """Add the cycle's "change tested" annotation to `series` unless it is already there."""
    if cycle.started_on is None:
        return False
    start = periods.start_of(cycle.started_on, series.measure.frequency)
    text = cycle_annotation_text(cycle)
    if Annotation.objects.filter(
        series=series, period_start=start, kind=AnnotationKind.CHANGE, text=text
    ).exists():
        return False
    m_services.add_annotation(series=series, period=start, kind=AnnotationKind.CHANGE, text=text, by=by)
    return True


def annotate_cycle_start(cycle: PdsaCycle, *, by: User | None) -> int:
    """Add a "change tested" annotation on the start date of `cycle` to each of the project's charts.

    Idempotent: a chart that already shows this cycle's start is left alone. Returns how many were added.
    """
    links = ProjectMeasure.objects.filter(project_id=cycle.project_id).select_related(
        "series__measure", "series__unit"
    )
    return sum(_annotate(cycle, link.series, by) for link in links)


# --- reads --------------------------------------------------------------------------------------------


@dataclass
class LinkedChart:
    """One linked series drawn for the project page: the SPC chart with its annotations, and its data."""

    link: ProjectMeasure
    series: Series
    svg: str
    caption: str
    rows: list[dict[str, str]]
    annotations: list[Annotation]
    url: str

    @property
    def role(self) -> str:
        return self.link.get_role_display()


ROLE_ORDER: dict[str, int] = {MeasureRole.OUTCOME: 0, MeasureRole.PROCESS: 1, MeasureRole.BALANCING: 2}


def links(project: Project) -> list[ProjectMeasure]:
    """The project's links, the aim's measure first, then outcome, process and balancing."""
    found = list(
        ProjectMeasure.objects.filter(project=project).select_related(
            "series__measure", "series__unit", "series__analysis"
        )
    )
    return sorted(found, key=lambda m: (not m.is_aim, ROLE_ORDER.get(m.role, 9), m.order, m.pk))


def _table(series: Series, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The chart's data as text, one row per period (a missing period says so)."""
    number = m_presenters.number
    measure = series.measure
    return [
        {
            "label": r["label"],
            "value": "Missing" if r["observation"] is None else number(r["value"], measure),
            "centre": number(r["centre"], measure),
            "lcl": number(r["lcl"], measure),
            "ucl": number(r["ucl"], measure),
        }
        for r in rows
    ]


def linked_charts(project: Any) -> list[LinkedChart]:
    """The project's measures, charted with their PDSA annotations (none until measures are linked)."""
    out = []
    linked = list(links(project))
    # Read the observations, annotations and targets of every linked series at once (not per series).
    ids = [link.series_id for link in linked]
    observations_of: dict[int, list[Any]] = {i: [] for i in ids}
    for obs in Observation.objects.filter(series_id__in=ids).order_by("series_id", "period_start"):
        observations_of[obs.series_id].append(obs)
    annotations_of: dict[int, list[Any]] = {i: [] for i in ids}
    for note in Annotation.objects.filter(series_id__in=ids).order_by("series_id", "period_start", "id"):
        annotations_of[note.series_id].append(note)
    targets = analyses._targets_by_measure({link.series.measure_id for link in linked})
    for link in linked:
        series = link.series
        annotations = annotations_of[series.pk]
        observations = observations_of[series.pk]
        result, _laid = analyses.analyse_series(
            series,
            observations=observations,
            annotations=annotations,
            targets=targets.get(series.measure_id, []),
        )
        role = "Aim's outcome measure" if link.is_aim else f"{link.get_role_display()} measure"
        out.append(
            LinkedChart(
                link=link,
                series=series,
                svg=m_presenters.chart_html(series, result, annotations),
                caption=f"{role}: {series.measure.name}, {series.unit.name}",
                rows=_table(series, m_presenters.data_rows(series, result, observations)),
                annotations=annotations,
                url=reverse("measurement:series", args=[series.pk]),
            )
        )
    return out


def projects_without_recent_outcome_data(
    project_ids: list[int], *, periods: int, today: dt.date | None = None
) -> set[int]:
    """Projects whose outcome measure has no observation in its last `periods` periods.

    "Its last periods" are the complete periods before the one holding `today` (this month's figure is
    not due yet). The outcome measure is the aim's linked series; a project with none is not flagged
    here (its aim is incomplete, which the project page says).
    """
    from spiral.core import periods as calendar

    today = today or timezone.localdate()
    aims = list(
        ProjectMeasure.objects.filter(project_id__in=project_ids, is_aim=True).values_list(
            "project_id", "series_id", "series__measure__frequency"
        )
    )
    latest = dict(
        Observation.objects.filter(series_id__in=[s for _, s, _ in aims])
        .values_list("series_id")
        .annotate(last=Max("period_start"))
        .values_list("series_id", "last")
    )
    flagged = set()
    for project_id, series_id, frequency in aims:
        due = calendar.index(today, frequency) - 1  # the last complete period
        last = latest.get(series_id)
        if last is None or calendar.index(last, frequency) <= due - periods:
            flagged.add(project_id)
    return flagged
