"""The holding-the-gain watch: every measure of a sustaining (or spreading) or closed project, and every
measure a hand-over names, has its limits fixed on its points up to a date (Making Data Count: limits are
not redrawn on their own) and is checked for special cause of concern after it, or for the assurance icon
turning to fail. One alert per episode, however often it runs; the owner, the team and the coach are told
once per episode, in Spiral and by email.

The date the limits are fixed on (docs/adr/0016-hand-over-and-watch.md):
1. the hand-over's date, when the project has a hand-over that names measures;
2. otherwise the day the project last entered sustaining, spreading or closed, from its audit history;
3. otherwise the day it closed (`closed_on`), or else the day the watch first saw it.
The watch stores it on the measure's `Watch` the first time and never moves it itself (only a hand-over,
an explicit act, replaces it with its own date).

A run with no new data is cheap: each `Watch` keeps a stamp of the data it judged (the series'
observation count, latest change and sums, the fixed date, the chart, the direction and the target), and
only measures whose stamp changed are analysed again, all at once with `spc.analyse_many`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from spiral import spc
from spiral.core import audit, notifications
from spiral.core.models import AuditEvent
from spiral.measurement.models import Observation, Target
from spiral.organisations.models import Membership, Role
from spiral.projects.models import Project, ProjectMeasure, ProjectRole, Stage, Status
from spiral.sustainability.models import FixedFrom, Handover, Watch, WatchAlert, WatchKind, WatchState

logger = logging.getLogger(__name__)

MIN_POINTS_AFTER = 6  # fewer points since the fixed date than this: "too early to tell", never an alert
MIN_BASELINE = 6  # fewer points up to the fixed date than this: limits cannot be fixed fairly
WATCHED_STAGES = (Stage.SUSTAINING, Stage.SPREADING)
PROPORTIONS = ("p", "pprime", "u", "uprime")
CHUNK = 2000  # series whose observations are read in one query


@dataclass(frozen=True)
class Verdict:
    state: str  # "too_early", "holding" or "at_risk"
    points_after: int
    rule: str = ""
    kind: str = ""
    first_period: dt.date | None = None

    @property
    def text(self) -> str:
        return verdict_text(self.state, self.points_after, self.rule, self.first_period)


def verdict_text(state: str, points_after: int, rule: str = "", first_period: dt.date | None = None) -> str:
    """The verdict in words, as the pages show it."""
    if state == WatchState.TOO_EARLY:
        return f"Too early to tell: {points_after} of {MIN_POINTS_AFTER} points since the limits were fixed"
    if state == WatchState.HOLDING:
        return f"Holding: no special cause of concern in {points_after} points since the limits were fixed"
    return f"Gain at risk: {rule} (from {first_period})"


def _verdict(analysis: Any, periods: Sequence[dt.date], base: int) -> Verdict:
    after = len(periods) - base
    types, flags = analysis.point_type, analysis.flags
    for i in range(base, len(periods)):
        if types[i] == "concern":
            rule = ", ".join(flags[i]) or "special cause of concern"
            return Verdict(WatchState.AT_RISK, after, rule, WatchKind.CONCERN, periods[i])
    if analysis.assurance_icon == "fail":
        return Verdict(WatchState.AT_RISK, after, "the assurance icon shows the target consistently failed",
                       WatchKind.ASSURANCE_FAIL, periods[base])  # fmt: skip
    return Verdict(WatchState.HOLDING, after)


def _split(rows: Sequence[tuple[Any, ...]], fixed_on: dt.date) -> tuple[int, int]:
    base = sum(1 for r in rows if r[0] <= fixed_on)
    return base, len(rows) - base


def _latest_target(measure: Any) -> float | None:
    return measure.targets.order_by("-valid_from").values_list("value", flat=True).first()


def judge(link: ProjectMeasure, fixed_on: dt.date) -> Verdict:
    """Analyse one watched series with limits fixed on its points up to `fixed_on` (a few queries: the
    one-by-one form, used for one measure and as the benchmark's baseline)."""
    series = link.series
    measure = series.measure
    rows = list(
        series.observations.order_by("period_start").values_list(
            "period_start", "value", "numerator", "denominator"
        )
    )
    base, after = _split(rows, fixed_on)
    if base < MIN_BASELINE or after < MIN_POINTS_AFTER:
        return Verdict(WatchState.TOO_EARLY, after)
    proportions = measure.chart in PROPORTIONS
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", spc.SPCWarning
        )  # limits on 6 to 11 points: accepted, said on the page
        analysis = spc.analyse(
            [r[2] if proportions else r[1] for r in rows], chart=measure.chart, improvement=measure.improvement,
            baseline=base, target=_latest_target(measure),
            denominators=[r[3] for r in rows] if proportions else None,
        )  # fmt: skip
    return _verdict(analysis, [r[0] for r in rows], base)


# --- what is watched, and from when -------------------------------------------------------------------


def watched_links(link_ids: Iterable[int] | None = None) -> QuerySet[ProjectMeasure]:
    """Every measure link the watch covers: those of sustaining, spreading or closed projects, and those a
    hand-over names (or only those of `link_ids` among them)."""
    covered = Q(project__stage__in=WATCHED_STAGES) | Q(project__status=Status.CLOSED)
    covered |= Q(handovers__handed_over_on__isnull=False)
    qs = ProjectMeasure.objects.filter(pk__in=ProjectMeasure.objects.filter(covered).values("pk"))
    if link_ids is not None:
        qs = qs.filter(pk__in=list(link_ids))
    return qs.select_related("series__measure", "series__unit", "project__unit").order_by("pk")


def _watched_now(stage: Any, status: Any) -> bool:
    return stage in WATCHED_STAGES or status == Status.CLOSED


def entered_watch_on(project_ids: Sequence[int]) -> dict[int, tuple[dt.date, str]]:
    """For each project, the day it last entered sustaining, spreading or closed, read from its audit
    history (project.create and project.update events that changed its stage or status)."""
    found: dict[int, tuple[dt.date, str]] = {}
    if not project_ids:
        return found
    events = (
        AuditEvent.objects.filter(object_type="projects.project", object_id__in=[str(i) for i in project_ids])
        .filter(Q(changes__has_key="stage") | Q(changes__has_key="status"))
        .order_by("object_id", "at", "id")
        .values_list("object_id", "at", "changes")
    )
    state: dict[str, dict[str, Any]] = defaultdict(lambda: {"stage": None, "status": None})
    for object_id, at, changes in events.iterator(chunk_size=2000):
        now = state[object_id]
        before = _watched_now(now["stage"], now["status"])
        for key in ("stage", "status"):
            if key in changes and isinstance(changes[key], list) and len(changes[key]) == 2:
                now[key] = changes[key][1]
        if not before and _watched_now(now["stage"], now["status"]):
            source = (
                FixedFrom.CLOSED
                if now["status"] == Status.CLOSED and "status" in changes
                else FixedFrom.SUSTAINING
            )
            found[int(object_id)] = (timezone.localdate(at), str(source))
    return found


def _fixed_dates(links: Sequence[ProjectMeasure], today: dt.date) -> dict[int, tuple[dt.date, str]]:
    """The date each new link's limits are fixed on, and where it comes from (see the module's docstring)."""
    projects = {link.project_id: link.project for link in links}
    handed: dict[int, dt.date] = dict(
        Handover.objects.filter(project_id__in=list(projects), handed_over_on__isnull=False).values_list(
            "project_id", "handed_over_on"
        )  # type: ignore[arg-type]  # filtered: never None
    )
    entered = entered_watch_on([pk for pk in projects if pk not in handed])
    out: dict[int, tuple[dt.date, str]] = {}
    for pk, project in projects.items():
        if pk in handed:
            out[pk] = (handed[pk], FixedFrom.HANDOVER)
        elif pk in entered:
            out[pk] = entered[pk]
        elif project.closed_on is not None:
            out[pk] = (project.closed_on, str(FixedFrom.CLOSED))
        else:
            out[pk] = (today, FixedFrom.FIRST_WATCHED)
    return out


def _stamps(links: Sequence[ProjectMeasure], watches: dict[int, Watch]) -> dict[int, str]:
    """A short digest of everything a verdict depends on, per link (two grouped queries)."""
    series_ids = sorted({link.series_id for link in links})
    data: dict[int, tuple[Any, ...]] = {}
    for i in range(0, len(series_ids), CHUNK):
        rows = (
            Observation.objects.filter(series_id__in=series_ids[i : i + CHUNK])
            .values("series_id")
            .annotate(
                n=Count("id"),
                last=Max("updated_at"),
                v=Sum("value"),
                a=Sum("numerator"),
                d=Sum("denominator"),
            )
            .values_list("series_id", "n", "last", "v", "a", "d")
        )
        data.update({r[0]: r[1:] for r in rows})
    targets = _targets({link.series.measure_id for link in links})
    out = {}
    for link in links:
        m = link.series.measure
        text = f"{watches[link.pk].fixed_on}|{m.chart}|{m.improvement}|{targets.get(m.pk)}|{data.get(link.series_id)}"
        out[link.pk] = hashlib.sha256(text.encode()).hexdigest()[:40]
    return out


def _targets(measure_ids: Iterable[int]) -> dict[int, float]:
    """The latest target of each measure (the one with the latest `valid_from`)."""
    latest: dict[int, float] = {}
    rows = Target.objects.filter(measure_id__in=list(measure_ids)).order_by("measure_id", "valid_from")
    for measure_id, value in rows.values_list("measure_id", "value"):
        latest[measure_id] = value  # ordered by valid_from (None first): the last one wins
    return latest


# --- judging many at once -----------------------------------------------------------------------------


def judge_many(items: Sequence[tuple[ProjectMeasure, dt.date]]) -> dict[int, Verdict]:
    """The verdict of each (link, fixed date), {link id: verdict}: observations read in a few queries, and
    the series of each chart type analysed together by `spc.analyse_many` (equal to `judge` one by one)."""
    series_ids = sorted({link.series_id for link, _ in items})
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for i in range(0, len(series_ids), CHUNK):
        qs = (
            Observation.objects.filter(series_id__in=series_ids[i : i + CHUNK])
            .order_by("series_id", "period_start")
            .values_list("series_id", "period_start", "value", "numerator", "denominator")
        )
        for r in qs.iterator(chunk_size=5000):
            rows[r[0]].append(r[1:])
    targets = _targets({link.series.measure_id for link, _ in items})
    verdicts: dict[int, Verdict] = {}
    groups: dict[str, list[tuple[ProjectMeasure, int]]] = defaultdict(list)
    for link, fixed_on in items:
        series_rows = rows.get(link.series_id, [])
        base, after = _split(series_rows, fixed_on)
        if base < MIN_BASELINE or after < MIN_POINTS_AFTER:
            verdicts[link.pk] = Verdict(WatchState.TOO_EARLY, after)
        else:
            groups[link.series.measure.chart].append((link, base))
    for chart, members in groups.items():
        verdicts |= _analyse_group(chart, members, rows, targets)
    return verdicts


def _analyse_group(
    chart: str, members: list[tuple[ProjectMeasure, int]], rows: dict[int, list[tuple[Any, ...]]],
    targets: dict[int, float],
) -> dict[int, Verdict]:  # fmt: skip
    proportions = chart in PROPORTIONS
    ids: list[int] = []
    values: list[Any] = []
    denominators: list[Any] = []
    for link, _base in members:
        series_rows = rows[link.series_id]
        ids.extend([link.pk] * len(series_rows))
        values.extend(r[2] if proportions else r[1] for r in series_rows)
        denominators.extend(r[3] for r in series_rows)
    out: dict[int, Verdict] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", spc.SPCWarning)
            batch = spc.analyse_many(
                ids, values, chart=chart, denominators=denominators if proportions else None,
                improvement=[link.series.measure.improvement for link, _ in members],
                target=[targets.get(link.series.measure_id) for link, _ in members],
                baseline=[base for _, base in members],
            )  # fmt: skip
    except (spc.SPCError, ValueError):
        # One series the engine refuses (a numerator above its denominator...) must not hide the others.
        for link, _base in members:
            try:
                out[link.pk] = judge(link, _fixed_of(link, rows, _base))
            except (spc.SPCError, ValueError):
                logger.warning("sustainability.watch cannot analyse link_id=%s", link.pk)
        return out
    for link, base in members:
        out[link.pk] = _verdict(batch.series(link.pk), [r[0] for r in rows[link.series_id]], base)
    return out


def _fixed_of(link: ProjectMeasure, rows: dict[int, list[tuple[Any, ...]]], base: int) -> dt.date:
    return rows[link.series_id][base - 1][0]  # the last point of the fixed period: the same baseline


# --- telling people -----------------------------------------------------------------------------------


def people_to_tell(project: Project, owner: Any) -> list[Any]:
    """The hand-over's owner, the project's team (its coach among them) and, when the team has no coach,
    the coaches of the nearest unit at or above the project's unit that has any."""
    team = list(project.team.select_related("user"))
    people = {m.user.pk: m.user for m in team}
    if owner is not None:
        people[owner.pk] = owner
    if not any(m.role == ProjectRole.COACH for m in team):
        path = project.unit.path
        ancestors = [path[:n] for n in range(len(path), 0, -1)]
        coaches = Membership.objects.filter(unit__path__in=ancestors, role=Role.COACH, user__is_active=True)
        nearest: dict[str, list[Any]] = defaultdict(list)
        for m in coaches.select_related("user", "unit"):
            nearest[m.unit.path].append(m.user)
        if nearest:
            for user in nearest[max(nearest, key=len)]:
                people[user.pk] = user
    return [p for p in people.values() if p.is_active]


def _tell(alert: WatchAlert, people: list[Any]) -> None:
    project = alert.link.project
    measure = f"{alert.link.series.measure.name} ({alert.link.series.unit.name})"
    body = f"{measure} shows {alert.rule} since {alert.first_period}."
    notifications.notify(
        people, title=f"Gain at risk: {project.title}", body=body, url=f"/projects/{project.pk}/#gain-at-risk",
        key=f"sustainability.alert:{alert.pk}",
    )  # fmt: skip
    emails = sorted({p.email for p in people if p.email})
    if emails:
        transaction.on_commit(functools.partial(
            send_mail, f"Gain at risk: {project.title}",
            f"{body} See the project's page in Spiral: /projects/{project.pk}/",
            settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True,
        ))  # fmt: skip


# --- the run ------------------------------------------------------------------------------------------


def run(link_ids: Iterable[int] | None = None, *, force: bool = False) -> dict[str, int]:
    """Watch every watched measure (or those of `link_ids`); idempotent. Measures whose data are unchanged
    since their last verdict are skipped unless `force`."""
    today = timezone.localdate()
    counts = dict.fromkeys(("watched", "judged", "unchanged", "raised", "closed", "too_early", "at_risk"), 0)
    links = list(watched_links(link_ids))
    counts["watched"] = len(links)
    if not links:
        return counts
    watches = {w.link_id: w for w in Watch.objects.filter(link__in=[link.pk for link in links])}
    new = [link for link in links if link.pk not in watches]
    if new:
        fixed = _fixed_dates(new, today)
        Watch.objects.bulk_create(
            [Watch(link=link, project_id=link.project_id, fixed_on=fixed[link.project_id][0],
                   fixed_from=fixed[link.project_id][1]) for link in new],
            ignore_conflicts=True,  # a concurrent run made some: theirs stand
        )  # fmt: skip
        watches = {w.link_id: w for w in Watch.objects.filter(link__in=[link.pk for link in links])}
    _follow_handovers(links, watches)
    stamps = _stamps(links, watches)
    todo = [link for link in links if force or watches[link.pk].stamp != stamps[link.pk]]
    counts["unchanged"] = len(links) - len(todo)
    for i in range(0, len(todo), CHUNK):
        _apply(todo[i : i + CHUNK], watches, stamps, counts)
    logger.info("sustainability.watch %s", counts)
    return counts


def _follow_handovers(links: Sequence[ProjectMeasure], watches: dict[int, Watch]) -> None:
    """A hand-over's date, once set, is the date the limits are fixed on (the only move of a fixed date)."""
    handed = dict(
        Handover.objects.filter(
            project_id__in={link.project_id for link in links}, handed_over_on__isnull=False
        ).values_list("project_id", "handed_over_on")
    )
    moved = []
    for link in links:
        watch = watches[link.pk]
        on = handed.get(link.project_id)
        if on is not None and (watch.fixed_on != on or watch.fixed_from != FixedFrom.HANDOVER):
            watch.fixed_on, watch.fixed_from = on, FixedFrom.HANDOVER
            moved.append(watch)
    Watch.objects.bulk_update(moved, ["fixed_on", "fixed_from"])


@transaction.atomic
def _apply(
    links: list[ProjectMeasure], watches: dict[int, Watch], stamps: dict[int, str], counts: dict[str, int]
) -> None:
    ids = [link.pk for link in links]
    # Lock the watches being judged: a concurrent run waits, then sees the open alert this one raised.
    list(Watch.objects.select_for_update(of=("self",)).filter(link_id__in=ids).values_list("pk", flat=True))
    open_alerts = {a.link_id: a for a in WatchAlert.objects.filter(link_id__in=ids, closed_at__isnull=True)}
    verdicts = judge_many([(link, watches[link.pk].fixed_on) for link in links])
    handovers = {
        h.project_id: h
        for h in Handover.objects.filter(project_id__in={link.project_id for link in links}).select_related(
            "owner"
        )
    }
    now = timezone.now()
    changed: list[Watch] = []
    judged: list[int] = []
    for link in links:
        verdict = verdicts.get(link.pk)
        if verdict is None:  # the engine refused its data: judged again when they change
            continue
        counts["judged"] += 1
        watch = watches[link.pk]
        fresh = (
            verdict.state,
            verdict.points_after,
            verdict.rule[:200],
            verdict.first_period,
            stamps[link.pk],
        )
        if fresh != (watch.state, watch.points_after, watch.rule, watch.first_period, watch.stamp):
            watch.state, watch.points_after, watch.rule, watch.first_period, watch.stamp = fresh
            changed.append(watch)  # bulk_update is costly per row: only the verdicts that moved
        judged.append(watch.pk)
        open_alert = open_alerts.get(link.pk)
        project = link.project
        if verdict.state == WatchState.TOO_EARLY:
            counts["too_early"] += 1
        elif verdict.state == WatchState.AT_RISK:
            counts["at_risk"] += 1
            if open_alert is None:
                handover = handovers.get(project.pk)
                alert = WatchAlert.objects.create(
                    project=project, handover=handover, link=link, kind=verdict.kind, rule=verdict.rule[:200],
                    first_period=verdict.first_period or watch.fixed_on,
                )  # fmt: skip
                audit.record(action="sustainability.gain_at_risk", obj=project, by=None,
                             scope_path=project.unit.path,
                             changes={"gain_at_risk": [None, f"{link.series.measure.name}: {alert.rule}"]})  # fmt: skip
                _tell(alert, people_to_tell(project, handover.owner if handover else None))
                counts["raised"] += 1
        elif open_alert is not None:
            open_alert.closed_at = now
            open_alert.save(update_fields=["closed_at"])
            audit.record(action="sustainability.gain_holding", obj=project, by=None, scope_path=project.unit.path,
                         changes={"gain_at_risk": [f"{link.series.measure.name}: {open_alert.rule}", None]})  # fmt: skip
            counts["closed"] += 1
    Watch.objects.bulk_update(
        changed, ["state", "points_after", "rule", "first_period", "stamp"], batch_size=500
    )
    Watch.objects.filter(pk__in=judged).update(checked_at=now)
