"""Demo: training records across tiers and years for the demo's people, headcount for every unit (each
unit's figure the sum of its teams'), a visible leaky bucket (many trained, fewer still improving),
coaches with uneven loads and some trained coaches coaching nothing, leaders with and without training,
and culture and NHS IMPACT answers, some units below the anonymity threshold."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone

from spiral.assessments import scoring
from spiral.assessments.models import Answer, Instrument, Response
from spiral.assessments.services import item_rules
from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
from spiral.core import audit
from spiral.organisations.models import Membership, Role, Unit, UnitKind
from spiral.projects.models import ProjectRole, TeamMember

PROVIDERS = ("Trust QI team", "IHI Open School", "NHS England", "ICB improvement academy", "Q community")
YEARS = 6  # training dates spread over the last six years


def _day(rng: Any, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(30, 365 * YEARS))


def build(ctx: Any) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    tiers = {t.slug: t for t in TrainingTier.objects.all()}
    if not tiers:
        return
    home: dict[int, tuple[int, str]] = {}
    for user_id, unit_id, role in Membership.objects.order_by("id").values_list("user_id", "unit_id", "role"):
        home.setdefault(user_id, (unit_id, role))
    coaches = set(TeamMember.objects.filter(role=ProjectRole.COACH).values_list("user_id", flat=True))
    records: list[TrainingRecord] = []
    seen: set[tuple[int, int, dt.date]] = set()

    def add(person: int, unit: int, slug: str, day: dt.date) -> None:
        key = (person, tiers[slug].pk, day)
        if key not in seen:
            seen.add(key)
            records.append(TrainingRecord(person_id=person, unit_id=unit, tier=tiers[slug], completed_on=day,
                                          provider=rng.choice(PROVIDERS)))  # fmt: skip

    for person, (unit, role) in home.items():
        if role == Role.PATIENT_PARTNER:
            if rng.random() < 0.3:
                add(person, unit, "awareness", _day(rng, today))
            continue
        if rng.random() < 0.7:
            add(person, unit, "awareness", _day(rng, today))
        if rng.random() < 0.3:
            add(person, unit, "practitioner", _day(rng, today))
        # Most people who coach were trained as coaches; some trained coaches coach nothing (the leak).
        if (person in coaches and rng.random() < 0.8) or rng.random() < 0.06:
            add(person, unit, "coach", _day(rng, today))
        if role in (Role.LEADER, Role.ADMIN):  # leaders with and without development
            if rng.random() < 0.55:
                add(person, unit, "leaders", _day(rng, today))
            if rng.random() < 0.45:
                add(person, unit, "board", _day(rng, today))
    TrainingRecord.objects.bulk_create(records, batch_size=5000)
    audit.record_many(action="capability.training_add", objects=records, by=None)
    ctx.counts["training records"] = len(records)
    ctx.counts["headcounts"] = _headcounts(rng, today)
    ctx.counts["survey answers"] = _surveys(rng, today)


def _headcounts(rng: Any, today: dt.date) -> int:
    """Staff in post each April of the last three years: teams 15-60, every unit above the sum beneath."""
    units = list(Unit.objects.values_list("pk", "parent_id", "kind", "path"))
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent, _, _ in units:
        children[parent].append(pk)
    base = {
        pk: rng.randrange(15, 61) for pk, _, kind, _ in units if kind == UnitKind.TEAM or not children[pk]
    }
    rows = []
    for back in range(3):
        april = dt.date(today.year - back - (1 if today.month < 4 else 0), 4, 1)
        staff: dict[int, int] = {}
        for pk, _, _, _ in sorted(units, key=lambda u: -len(u[3])):
            staff[pk] = (
                max(0, base[pk] - back * rng.randrange(0, 3))
                if pk in base
                else sum(staff[c] for c in children[pk])
            )
            rows.append(Headcount(unit_id=pk, period_start=april, staff=staff[pk]))
    Headcount.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _surveys(rng: Any, today: dt.date) -> int:
    """Culture answers from every member of most teams (small teams stay below the threshold) and NHS
    IMPACT answers from each organisation's leaders and staff, in two rounds."""
    total = 0
    members: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in Membership.objects.exclude(role=Role.PATIENT_PARTNER).values_list(
        "unit_id", "user_id"
    ):
        members[unit_id].append(user_id)
    by_kind = dict(Unit.objects.values_list("pk", "kind"))
    # An organisation's self-assessment is answered by its staff anywhere beneath it (up to 40 of them).
    paths = dict(Unit.objects.values_list("pk", "path"))
    staff_of: dict[int, list[int]] = defaultdict(list)
    orgs = {pk: path for pk, path in paths.items() if by_kind[pk] == UnitKind.ORGANISATION}
    for unit_id, people in sorted(members.items()):
        owner = next((o for o, p in orgs.items() if paths[unit_id].startswith(p)), None)
        if owner is not None:
            staff_of[owner].extend(people)
    for slug, kind, share in (
        ("team-culture", UnitKind.TEAM, 0.6),
        ("nhs-impact", UnitKind.ORGANISATION, 1.0),
    ):
        instrument = Instrument.objects.filter(slug=slug, is_current=True).first()
        if instrument is None:
            continue
        items = list(instrument.items.prefetch_related("options").order_by("position"))
        rules = item_rules(instrument)
        units = sorted(u for u in (members if kind == UnitKind.TEAM else staff_of) if by_kind.get(u) == kind)
        for unit in units:
            if rng.random() > share:
                continue
            mood = rng.uniform(-1.5, 1.5)  # a unit's culture: some better than others
            for back, day in ((1, today - dt.timedelta(days=150)), (0, today - dt.timedelta(days=10))):
                responses, chosen_all = [], []
                people = members[unit] if kind == UnitKind.TEAM else staff_of[unit][:40]
                for person in dict.fromkeys(people):
                    chosen = {}
                    for item in items:
                        options = sorted(item.options.all(), key=lambda o: o.score)
                        mid = (len(options) - 1) / 2 + mood - back * 0.5 + rng.uniform(-1, 1)
                        chosen[item.key] = options[max(0, min(len(options) - 1, round(mid)))]
                    result = scoring.score(instrument.scoring, rules, {k: o.score for k, o in chosen.items()})
                    responses.append(Response(instrument=instrument, unit_id=unit, respondent_id=person,
                                              answered_on=day, total=result.total))  # fmt: skip
                    chosen_all.append(chosen)
                Response.objects.bulk_create(responses, batch_size=2000)
                Answer.objects.bulk_create(
                    [Answer(response=r, item=next(i for i in items if i.key == k), option=o)
                     for r, chosen in zip(responses, chosen_all, strict=True) for k, o in chosen.items()],
                    batch_size=5000,
                )  # fmt: skip
                total += len(responses)
    return total
