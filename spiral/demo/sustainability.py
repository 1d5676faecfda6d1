"""Demo: Sustainability Model answers on sustaining projects (members who disagree, two rounds), and
hand-overs in every state (none, partial, complete) with the watch run over them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from spiral.assessments import services as assessments
from spiral.assessments.models import Instrument
from spiral.organisations.models import Membership
from spiral.projects.models import Project, ProjectMeasure
from spiral.sustainability import services as sustainability
from spiral.sustainability import watch

LEVELS = "abcd"
PROJECTS = 12  # sustaining projects that get assessments (the first ones, by id)


def _owner(project: Project) -> Any:
    """Someone who holds a role on the project's unit or above it (the first, by id)."""
    paths = [project.unit.path[:n] for n in range(len(project.unit.path), 0, -1)]
    found = (
        Membership.objects.filter(unit__path__in=paths, user__is_active=True)
        .select_related("user").order_by("id").first()
    )  # fmt: skip
    return found.user if found else None


def build(ctx: Any) -> None:
    instrument = Instrument.objects.filter(slug="nhs-sustainability-model", is_current=True).first()
    if instrument is None:
        return
    rng = ctx.rng
    today = timezone.localdate()
    keys = [item.key for item in instrument.items.order_by("position")]
    projects = list(
        Project.objects.filter(stage__in=("sustaining", "spreading"))
        .select_related("unit")
        .order_by("id")[:PROJECTS]
    )
    answers = handovers = 0
    for n, project in enumerate(projects):
        team = [m.user for m in project.team.select_related("user").order_by("id")]
        # A view of the project the team shares, and each member's own reading of it (some disagree).
        shared = {k: rng.randrange(4) for k in keys}
        for day in (today - dt.timedelta(days=120), today):
            for person in team:
                choices = {k: LEVELS[min(3, max(0, shared[k] + rng.choice((-1, 0, 0, 0, 1))))] for k in keys}
                assessments.submit_response(
                    instrument=instrument, project=project, choices=choices, by=person, answered_on=day
                )
                answers += 1
            shared = {k: max(0, v - rng.choice((0, 0, 1))) for k, v in shared.items()}  # a little better
        if n % 3 == 2 or not team:
            continue  # no hand-over yet
        links = list(ProjectMeasure.objects.filter(project=project).values_list("pk", flat=True))
        complete = n % 3 == 0
        sustainability.save_handover(
            project=project, by=team[0], owner=_owner(project), measure_ids=links,
            standard_work="Ward standard operating procedure, updated" if complete else "",
            training="Covered in the induction of every new member of staff" if complete else "",
            review_on=today + dt.timedelta(days=90) if complete else None,
        )  # fmt: skip
        handovers += 1
    # The demo's projects are made today but stand for work that has run for years: fix each hand-over,
    # and each sustaining or closed project's move to sustaining, ten months before its measures' latest
    # data, so the watch has points to judge.
    from django.db.models import Max

    from spiral.sustainability.models import FixedFrom, Handover, Watch, WatchAlert

    for handover in Handover.objects.filter(handed_over_on__isnull=False):
        latest = handover.measures.aggregate(last=Max("series__observations__period_start"))["last"]
        if latest is not None:
            handover.handed_over_on = latest - dt.timedelta(days=300)
            handover.save(update_fields=["handed_over_on"])
    handed = set(Handover.objects.filter(handed_over_on__isnull=False).values_list("project_id", flat=True))
    moved = []
    for link in (
        watch.watched_links()
        .exclude(project_id__in=handed)
        .annotate(last=Max("series__observations__period_start"))
    ):
        if link.last is not None:
            moved.append(Watch(link=link, project_id=link.project_id, fixed_on=link.last - dt.timedelta(days=300),
                               fixed_from=FixedFrom.SUSTAINING))  # fmt: skip
    Watch.objects.bulk_create(moved)
    slip(ctx)
    counts = watch.run()
    for alert in list(WatchAlert.objects.select_related("project").order_by("id"))[::2]:
        lead = alert.link.project.team.select_related("user").order_by("id").first()
        if lead is not None:
            sustainability.acknowledge_alert(
                alert=alert,
                by=lead.user,
                note="Known cause: two new starters this month; a refresher huddle is booked",
            )
    ctx.counts["assessment answers"] = answers
    ctx.counts["hand-overs"] = handovers
    ctx.counts["gains at risk"] = counts["raised"]
    ctx.counts["watched measures"] = counts["watched"]


def slip(ctx: Any) -> None:
    """Let the gain slip on one watched measure in five: its last seven points move a third of the way back
    against its improvement direction (a shift the watch must see), written as a correction would be."""
    from spiral.measurement.models import Observation

    links = list(watch.watched_links().select_related("series__measure").order_by("pk"))[::5]
    changed = []
    for link in links:
        rows = list(Observation.objects.filter(series=link.series).order_by("-period_start")[:7])
        worse = -1 if link.series.measure.improvement == "increase" else 1
        for obs in rows:
            if (
                link.series.measure.chart in watch.PROPORTIONS
                and obs.numerator is not None
                and obs.denominator
            ):
                share = min(1.0, max(0.0, obs.numerator / obs.denominator * (1 + worse * 0.35)))
                obs.numerator = round(share * obs.denominator)
                obs.value = obs.numerator / obs.denominator
            elif obs.value is not None:
                obs.value = obs.value * (1 + worse * 0.35)
            changed.append(obs)
    Observation.objects.bulk_update(changed, ["value", "numerator"], batch_size=1000)
    from spiral.measurement import tasks as measurement_tasks

    measurement_tasks.schedule({link.series_id for link in links})  # their charts are drawn again
    ctx.counts["gains slipped"] = len(links)
