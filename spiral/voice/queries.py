"""Reads that the feedback pages, the API and exports share. Every function takes the user and filters
through permissions.visible_to; answers waiting for review reach only those who may moderate them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet

from spiral.core import periods
from spiral.core.types import AnyUser
from spiral.organisations.models import PATH_WIDTH, Unit, UnitKind, subtree_q
from spiral.organisations.permissions import Permission, scopes, visible_to
from spiral.voice import services
from spiral.voice.models import Answer, Audience, FeedbackForm, FeedbackLink, Moderation, Story, Theme


def forms(user: AnyUser, *, unit: Unit | None = None, beneath: bool = False) -> QuerySet[FeedbackForm]:
    """Feedback forms the user may see: optionally of `unit` (or, with `beneath`, of it and everything
    beneath it)."""
    qs = visible_to(user, FeedbackForm.objects.select_related("unit"))
    if unit is not None:
        qs = qs.filter(subtree_q(unit.path, "unit__") if beneath else Q(unit=unit))
    return qs.order_by("unit__name", "audience", "title", "id")


def form_by_id(user: AnyUser, pk: int) -> FeedbackForm | None:
    """The feedback form with this id, if the user may see it (None otherwise)."""
    return forms(user).filter(pk=pk).first()


def nearest_patient_forms(user: AnyUser, units: list[Unit]) -> dict[int, FeedbackForm]:
    """{unit id: the open patient form of the unit, or else of the unit nearest above it that has one}
    (one query): where a patient partner of a project gives feedback on its service."""
    paths = {unit.path[:end] for unit in units for end in range(PATH_WIDTH, len(unit.path) + 1, PATH_WIDTH)}
    candidates = (
        visible_to(user, FeedbackForm.objects.select_related("unit"))
        .filter(unit__path__in=paths, is_open=True, audience=Audience.PATIENT)
        .order_by("unit__depth", "id")
    )
    by_path: dict[str, FeedbackForm] = {}
    for form in candidates:
        by_path.setdefault(form.unit.path, form)  # the first (oldest) form of each unit
    out: dict[int, FeedbackForm] = {}
    for unit in units:
        for end in range(len(unit.path), 0, -PATH_WIDTH):  # the unit first, then each unit above it
            if unit.path[:end] in by_path:
                out[unit.pk] = by_path[unit.path[:end]]
                break
    return out


def open_form_by_slug(slug: str) -> FeedbackForm | None:
    """The public side: an open form by its slug, and nothing else about it or its unit's other forms."""
    return FeedbackForm.objects.select_related("unit").filter(slug=slug, is_open=True).first()


def _moderation_q(user: AnyUser) -> Q:
    """Answers the user may read: shown ones, plus those waiting where they may moderate."""
    paths = scopes(user, Permission.MODERATE_FEEDBACK)
    if paths is None:
        return Q()
    waiting = Q(pk__in=[])
    for path in paths:
        waiting |= subtree_q(path, "form__unit__")
    return Q(status=Moderation.PUBLISHED) | (Q(status=Moderation.REVIEW) & waiting)


def answers(
    user: AnyUser,
    *,
    unit: Unit | None = None,
    form: FeedbackForm | None = None,
    status: str | None = None,
    theme: Theme | None = None,
    with_text: bool = False,
) -> QuerySet[Answer]:
    """Feedback answers the user may read (published ones, and those waiting where they moderate), newest
    first, filtered by unit and beneath, form, status, theme or having text."""
    qs = visible_to(user, Answer.objects.select_related("form", "form__unit")).filter(_moderation_q(user))
    if unit is not None:
        qs = qs.filter(subtree_q(unit.path, "form__unit__"))
    if form is not None:
        qs = qs.filter(form=form)
    if status:
        qs = qs.filter(status=status)
    if theme is not None:
        qs = qs.filter(themes=theme)
    if with_text:
        qs = qs.exclude(good="", better="")
    return qs.prefetch_related("themes").order_by("-created_at", "-id")


def answer_by_id(user: AnyUser, pk: int) -> Answer | None:
    """The answer with this id, if the user may read it (None otherwise)."""
    return answers(user).filter(pk=pk).first()


def waiting_for_review(user: AnyUser, unit: Unit) -> QuerySet[Answer]:
    """Answers on the unit and beneath waiting for moderation that the user may moderate, oldest first."""
    return answers(user, unit=unit, status=Moderation.REVIEW).order_by("created_at", "id")


def themes() -> QuerySet[Theme]:
    """The themes in use for tagging feedback, by name."""
    return Theme.objects.filter(is_active=True).order_by("name")


def theme_counts(user: AnyUser, *, unit: Unit, months: int = 6, end: dt.date | None = None) -> dict[str, Any]:
    """Counts of each theme by month over the last `months` months (tagged, readable answers)."""
    end = end or services.month_of(dt.date.today())
    first = periods.from_index(periods.index(end, "month") - months + 1, "month")
    rows = (
        answers(user, unit=unit)
        .filter(period_start__gte=first, period_start__lte=end, themes__isnull=False)
        .values_list("themes__name", "period_start")
        .annotate(n=Count("id"))
        .order_by()
    )
    months_list = periods.calendar(first, end, "month")
    grid: dict[str, dict[dt.date, int]] = {}
    totals: Counter[str] = Counter()
    for name, day, n in rows:
        grid.setdefault(name, {})[day] = n
        totals[name] += n
    ordered = [name for name, _ in totals.most_common()]
    return {
        "months": months_list,
        "rows": [{"theme": name, "total": totals[name], "counts": [grid[name].get(m, 0) for m in months_list]}
                 for name in ordered],
    }  # fmt: skip


def stories(user: AnyUser, *, unit: Unit | None = None) -> QuerySet[Story]:
    """Stories the user may see, optionally of a unit and beneath, oldest first, with their projects."""
    qs = visible_to(user, Story.objects.select_related("unit")).prefetch_related("projects")
    if unit is not None:
        qs = qs.filter(subtree_q(unit.path, "unit__"))
    return qs.order_by("created_at", "id")


def story_by_id(user: AnyUser, pk: int) -> Story | None:
    """The story with this id, if the user may see it (None otherwise)."""
    return stories(user).filter(pk=pk).first()


def board_stories(user: AnyUser, unit: Unit) -> dict[str, Any]:
    """The next story for the board of `unit` to hear (oldest consented, not yet heard) and those heard."""
    qs = stories(user, unit=unit)
    waiting = list(qs.filter(heard_on__isnull=True).order_by("consent_given_on", "created_at", "id"))
    heard = list(qs.filter(heard_on__isnull=False).order_by("-heard_on", "-id"))
    return {"next": waiting[0] if waiting else None, "waiting": waiting[1:], "heard": heard}


def links_for_project(user: AnyUser, project: Any) -> QuerySet[FeedbackLink]:
    """You said, we did: the feedback that prompted `project`."""
    return (
        visible_to(user, FeedbackLink.objects.filter(project=project))
        .select_related("theme", "answer", "unit", "answer__form")
        .order_by("-created_at")
    )


def links_for_unit(user: AnyUser, unit: Unit) -> QuerySet[FeedbackLink]:
    """The "you said, we did" links (a theme or an answer to the project it led to) of the unit and
    beneath that the user may see, newest first."""
    return (
        visible_to(user, FeedbackLink.objects.filter(subtree_q(unit.path, "unit__")))
        .select_related("theme", "answer", "project", "unit")
        .order_by("-created_at")
    )


def monthly_share(user: AnyUser, form: FeedbackForm, months: int = 12) -> list[dict[str, Any]]:
    """The form's positive share by month (counts are not personal: every reader of the form sees them)."""
    counts = services.counts_by_period([form.pk])
    rows = []
    for (_, day), c in sorted(counts.items(), key=lambda item: item[0][1])[-months:]:
        positive, total = services.positive_share(c)
        rows.append(
            {
                "period": day,
                "positive": positive,
                "total": total,
                "share": positive / total if total else None,
            }
        )
    return rows


def provider_shares(
    user: AnyUser, *, within: Unit, period: dt.date | None = None
) -> tuple[dt.date | None, list[dict[str, Any]]]:
    """Positive share of patient and carer feedback for each organisation beneath `within` in one month
    (default: the latest with answers), for the region's funnel plot."""
    orgs = {u.path: u for u in Unit.objects.filter(subtree_q(within.path), kind=UnitKind.ORGANISATION)}
    if not orgs:
        return None, []
    form_list = list(
        FeedbackForm.objects.filter(
            subtree_q(within.path, "unit__"), audience=Audience.PATIENT
        ).select_related("unit")
    )
    by_form = {f.pk: f for f in form_list}
    counts = services.counts_by_period(by_form)
    if not counts:
        return None, []
    period = period or max(day for _, day in counts)
    width = len(next(iter(orgs)))
    totals: dict[str, list[int]] = {}
    for (form_id, day), c in counts.items():
        if day != period:
            continue
        path = by_form[form_id].unit.path[:width]
        if path not in orgs:
            continue
        positive, total = services.positive_share(c)
        acc = totals.setdefault(path, [0, 0])
        acc[0] += positive
        acc[1] += total
    rows = [
        {"unit": orgs[path], "positive": pos, "total": tot}
        for path, (pos, tot) in sorted(totals.items(), key=lambda kv: orgs[kv[0]].name)
        if tot > 0
    ]
    return period, rows
