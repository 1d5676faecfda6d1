"""Benchmark: the dosage dashboard of a region and the leaky bucket of the nation (issue 18).

    .venv/bin/python bench/capability.py [--orgs 120] [--people 40000] [--repeat 5]

In a fresh temporary SQLite database (migrated): a nation with two regions, each with 6 ICBs, ORGS
organisations per region, 4 directorates each with 5 teams; PEOPLE people (each with a role on a team),
about 1.3 training records each over six years across the five tiers, a headcount for every team for
three Aprils, and a project for about one person in ten with a lead, members and a coach. Times, end to
end through the code the pages use (spiral.capability.queries): the dosage of one region (people per
tier, headcount, pace, trend, peers) and the leaky bucket of the nation (3 years).
Baselines in the same run, the way a first version would do it: the dosage's people per tier and
headcount worked out unit by unit (one query per team for its headcount and per tier for its people),
and the leaky bucket asking for each trained person's projects one person at a time (on a sample,
scaled up).
Goals: the region's dosage under 300 ms; the nation's leaky bucket under 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _timing import timed_ms as timed  # noqa: E402

GOAL_DOSAGE_MS = 300.0
GOAL_BUCKET_MS = 1000.0
UNUSABLE = "!"  # Django's mark of an unusable password: nobody signs in as these people


def setup_django(data_dir: str) -> None:
    os.environ["SPIRAL_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(orgs: int, people: int, seed: int = 1) -> dict[str, Any]:
    from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
    from spiral.organisations.models import Membership, Unit, User, path_segment
    from spiral.projects.models import ProgressScale, Project, TeamMember

    rng = random.Random(seed)
    today = dt.date.today()
    units: list[Unit] = []

    def unit(code: str, name: str, kind: str, parent: Unit | None, **extra: Any) -> Unit:
        u = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, path="", **extra)
        u.path = (parent.path if parent else "") + path_segment(u.pk)
        u.save(update_fields=["path"])
        units.append(u)
        return u

    nation = unit("ENG", "England", "nation", None)
    teams: list[Unit] = []
    regions = []
    for r in range(2):
        region = unit(f"R{r}", f"Region {r}", "region", nation)
        regions.append(region)
        for i in range(6):
            icb = unit(f"R{r}I{i}", f"ICB {r}.{i}", "icb", region)
            for o in range(orgs // 6):
                org = unit(
                    f"R{r}I{i}O{o}",
                    f"Trust {r}.{i}.{o}",
                    "organisation",
                    icb,
                    organisation_type="acute_trust",
                )
                for d in range(4):
                    directorate = unit(f"{org.code}D{d}", f"Directorate {d}", "directorate", org)
                    teams += [
                        unit(f"{directorate.code}T{t}", f"Team {t}", "team", directorate) for t in range(5)
                    ]
    users = User.objects.bulk_create(
        [
            User(email=f"p{n}@example.nhs.uk", display_name=f"Person {n}", password=UNUSABLE)
            for n in range(people)
        ],
        batch_size=5000,
    )
    home = {u.pk: rng.choice(teams) for u in users}
    Membership.objects.bulk_create(
        [Membership(user=u, unit=home[u.pk], role="member") for u in users], batch_size=5000
    )
    tiers = list(TrainingTier.objects.all())
    weights = [70, 30, 8, 5, 3]
    records, seen = [], set()
    for u in users:
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2))):
            tier = rng.choices(tiers, weights)[0]
            day = today - dt.timedelta(days=rng.randrange(30, 365 * 6))
            if (u.pk, tier.pk, day) not in seen:
                seen.add((u.pk, tier.pk, day))
                records.append(
                    TrainingRecord(person=u, tier=tier, unit=home[u.pk], completed_on=day, provider="QI team")
                )
    TrainingRecord.objects.bulk_create(records, batch_size=5000)
    Headcount.objects.bulk_create(
        [Headcount(unit=t, period_start=dt.date(today.year - b - 1, 4, 1), staff=rng.randrange(15, 60))
         for t in teams for b in range(3)], batch_size=5000,
    )  # fmt: skip
    scale = ProgressScale.objects.get(is_default=True)
    projects = Project.objects.bulk_create(
        [Project(unit=rng.choice(teams), title=f"Project {n}", status=rng.choice(("active", "active", "closed")),
                 closed_on=today - dt.timedelta(days=rng.randrange(0, 900)), scale=scale)
         for n in range(people // 10)], batch_size=5000,
    )  # fmt: skip
    TeamMember.objects.bulk_create(
        [TeamMember(project=p, user=rng.choice(users), role=role)
         for p in projects for role in ("lead", "member", "member", "coach")], batch_size=5000, ignore_conflicts=True,
    )  # fmt: skip
    return {
        "nation": nation,
        "region": regions[0],
        "records": len(records),
        "units": len(units),
        "teams": len(teams),
    }


def dosage_unit_by_unit(region: Any) -> dict[str, Any]:
    """Baseline: each team's latest headcount and each tier's people asked one query at a time."""
    from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
    from spiral.organisations.models import Unit, subtree_q

    staff = 0
    for team in Unit.objects.filter(subtree_q(region.path), kind="team"):
        latest = Headcount.objects.filter(unit=team).order_by("-period_start").first()
        staff += latest.staff if latest else 0
    people = {
        t.slug: TrainingRecord.objects.filter(subtree_q(region.path, "unit__"), tier=t)
        .values("person_id")
        .distinct()
        .count()
        for t in TrainingTier.objects.all()
    }
    return {"headcount": staff, "people": people}


def bucket_person_by_person(nation: Any, since: dt.date, sample: int) -> tuple[float, int]:
    """Baseline: each trained person's projects asked one person at a time (timed on a sample)."""
    from spiral.capability.models import TrainingRecord
    from spiral.organisations.models import subtree_q
    from spiral.projects.models import TeamMember

    ids = list(TrainingRecord.objects.filter(subtree_q(nation.path, "unit__"), completed_on__gte=since)
               .order_by().values_list("person_id", flat=True).distinct())  # fmt: skip
    start = time.perf_counter()
    for person in ids[:sample]:
        list(TeamMember.objects.filter(user_id=person).values_list("project__status", "project__closed_on"))
    per = (time.perf_counter() - start) / max(1, min(sample, len(ids)))
    return per * len(ids) * 1000, len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=120, help="organisations per region")
    parser.add_argument("--people", type=int, default=40000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        started = time.perf_counter()
        world = build(args.orgs, args.people)
        print(f"built {world['units']:,} units ({world['teams']:,} teams), {args.people:,} people, "
              f"{world['records']:,} training records in {time.perf_counter() - started:.1f} s")  # fmt: skip
        from spiral.capability import queries
        from spiral.organisations.models import User

        viewer = User.objects.order_by("pk").first()
        dosage_ms, d = timed(lambda: queries.dosage(viewer, world["region"]), args.repeat)
        base_ms, base = timed(lambda: dosage_unit_by_unit(world["region"]), max(1, args.repeat // 2))
        assert base["headcount"] == d.headcount, (base["headcount"], d.headcount)
        bucket_ms, b = timed(lambda: queries.leaky_bucket(viewer, world["nation"], years=3), args.repeat)
        naive_ms, trained = bucket_person_by_person(world["nation"], b.since, sample=2000)
        assert trained == b.trained
        print()
        print("| what | Spiral | baseline (same run) | ratio | goal |")
        print("| --- | --- | --- | --- | --- |")
        print(f"| dosage of a region ({d.headcount:,} staff, peers and trend included) | {dosage_ms:.0f} ms | "
              f"{base_ms:.0f} ms unit by unit (headcount and tiers only) | {base_ms / dosage_ms:.1f}x | < {GOAL_DOSAGE_MS:.0f} ms |")  # fmt: skip
        print(f"| leaky bucket of the nation ({b.trained:,} trained, {b.active:,} active) | {bucket_ms:.0f} ms | "
              f"{naive_ms:.0f} ms person by person (projects only, extrapolated) | {naive_ms / bucket_ms:.1f}x | < {GOAL_BUCKET_MS:.0f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
