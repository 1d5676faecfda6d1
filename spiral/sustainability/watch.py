"""The holding-the-gain watch: every measure a hand-over names, its limits fixed on the points up to the
hand-over (Making Data Count: limits are not redrawn on their own), checked for special cause of concern
after it, or for the assurance icon turning to fail. One alert per episode, however often it runs."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from spiral import spc
from spiral.core import audit
from spiral.projects.models import ProjectMeasure
from spiral.sustainability.models import Handover, WatchAlert, WatchKind

logger = logging.getLogger(__name__)

MIN_POINTS_AFTER = 6  # fewer points since hand-over than this: "too early to tell", never an alert
MIN_BASELINE = 6  # fewer points up to the hand-over than this: limits cannot be fixed fairly


@dataclass(frozen=True)
class Verdict:
    state: str  # "too_early", "holding" or "at_risk"
    points_after: int
    rule: str = ""
    kind: str = ""
    first_period: dt.date | None = None

    @property
    def text(self) -> str:
        if self.state == "too_early":
            return f"Too early to tell: {self.points_after} of {MIN_POINTS_AFTER} points since hand-over"
        if self.state == "holding":
            return f"Holding: no special cause of concern in {self.points_after} points since hand-over"
        return f"Gain at risk: {self.rule} (from {self.first_period})"


def judge(link: ProjectMeasure, handed_over_on: dt.date) -> Verdict:
    """Analyse one watched series with limits fixed on its points up to the hand-over."""
    series = link.series
    measure = series.measure
    rows = list(
        series.observations.order_by("period_start").values_list(
            "period_start", "value", "numerator", "denominator"
        )
    )
    base = sum(1 for r in rows if r[0] <= handed_over_on)
    after = len(rows) - base
    if base < MIN_BASELINE or after < MIN_POINTS_AFTER:
        return Verdict("too_early", after)
    proportions = measure.chart in ("p", "pprime", "u", "uprime")
    values = [r[2] if proportions else r[1] for r in rows]
    target = measure.targets.order_by("-valid_from").values_list("value", flat=True).first()
    analysis = spc.analyse(
        values, chart=measure.chart, improvement=measure.improvement, baseline=base, target=target,
        denominators=[r[3] for r in rows] if proportions else None,
    )  # fmt: skip
    types, flags = analysis.point_type, analysis.flags
    for i in range(base, len(rows)):
        if types[i] == "concern":
            rule = ", ".join(flags[i]) or "special cause of concern"
            return Verdict("at_risk", after, rule, WatchKind.CONCERN, rows[i][0])
    if analysis.assurance_icon == "fail":
        return Verdict("at_risk", after, "the assurance icon shows the target consistently failed",
                       WatchKind.ASSURANCE_FAIL, rows[base][0])  # fmt: skip
    return Verdict("holding", after)


def _notify(alert: WatchAlert) -> None:
    project = alert.handover.project
    people = {m.user for m in project.team.select_related("user")}
    if alert.handover.owner is not None:
        people.add(alert.handover.owner)
    emails = sorted(p.email for p in people if p.email and p.is_active)
    if emails:
        send_mail(
            f"Gain at risk: {project.title}",
            f"{alert.link.series.measure.name} ({alert.link.series.unit.name}) shows {alert.rule} since "
            f"{alert.first_period}. See the project's hand-over page in Spiral.",
            settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True,
        )  # fmt: skip


def run(handover_ids: list[int] | None = None) -> dict[str, int]:
    """Watch every handed-over measure (or those of the hand-overs given); idempotent."""
    counts = {"watched": 0, "raised": 0, "closed": 0, "too_early": 0}
    qs = Handover.objects.filter(handed_over_on__isnull=False).select_related("project__unit", "owner")
    if handover_ids is not None:
        qs = qs.filter(pk__in=handover_ids)
    for handover in qs.prefetch_related("measures__series__measure"):
        handed_over_on = handover.handed_over_on
        assert handed_over_on is not None  # filtered above
        for link in handover.measures.all():
            counts["watched"] += 1
            verdict = judge(link, handed_over_on)
            with transaction.atomic():
                open_alert = (
                    WatchAlert.objects.select_for_update(of=("self",))
                    .filter(link=link, closed_at__isnull=True)
                    .first()
                )
                if verdict.state == "too_early":
                    counts["too_early"] += 1
                elif verdict.state == "at_risk" and open_alert is None:
                    alert = WatchAlert.objects.create(
                        handover=handover, link=link, kind=verdict.kind, rule=verdict.rule[:200],
                        first_period=verdict.first_period or handed_over_on,
                    )  # fmt: skip
                    audit.record(action="sustainability.gain_at_risk", obj=handover.project, by=None,
                                 scope_path=handover.project.unit.path,
                                 changes={"gain_at_risk": [None, alert.rule]})  # fmt: skip
                    transaction.on_commit(functools.partial(_notify, alert))
                    counts["raised"] += 1
                elif verdict.state == "holding" and open_alert is not None:
                    open_alert.closed_at = timezone.now()
                    open_alert.save(update_fields=["closed_at"])
                    counts["closed"] += 1
    logger.info("sustainability.watch %s", counts)
    return counts
