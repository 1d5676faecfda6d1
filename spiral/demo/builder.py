"""Build the demo improvement system: each step in STEPS adds one capability's data."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from spiral.organisations.models import Unit


@dataclass(frozen=True)
class DemoSize:
    name: str
    regions: int
    icbs_per_region: int
    acute_per_icb: int
    mental_health_per_icb: int
    community_per_icb: int
    gp_per_icb: int
    social_care_per_icb: int
    ambulance_per_region: int
    acute_directorates: int
    teams_per_acute_directorate: int
    teams_per_other_directorate: int


SIZES: dict[str, DemoSize] = {
    # ~20 organisations, ~200 teams, ~400 people.
    "small": DemoSize("small", 2, 2, 1, 1, 0, 2, 1, 0, 4, 7, 4),
    # About five times small.
    "medium": DemoSize("medium", 4, 5, 1, 1, 0, 2, 1, 0, 4, 7, 4),
    # 7 regions, 42 ICBs, ~1,200 organisations including GP practices, ~20,000 teams.
    "national": DemoSize("national", 7, 6, 3, 1, 1, 20, 3, 1, 5, 20, 14),
}


@dataclass
class DemoContext:
    """What the steps share: the size, a seeded random generator, and what earlier steps made."""

    size: DemoSize
    seed: int
    rng: random.Random
    units: dict[str, list[Unit]] = field(default_factory=dict)  # by kind
    anchors: dict[str, Unit] = field(default_factory=dict)  # the units the demo sign-ins belong to
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    from spiral.demo import (
        capability,
        history,
        knowledge,
        measurement,
        organisations,
        priorities,
        projects,
        reporting,
        sustainability,
        voice,
    )

    # Later capabilities append their steps here (e.g. measurement, projects, voice).
    return [
        ("organisations", organisations.build),
        ("measurement", measurement.build),
        ("projects", projects.build),
        ("voice", voice.build),
        ("knowledge", knowledge.build),
        ("priorities", priorities.build),
        ("sustainability", sustainability.build),
        ("capability", capability.build),
        ("history", history.build),  # after capability: a trained lead comes from its training records
        ("reporting", reporting.build),  # last: the board packs read every other step's data
    ]


def demo_exists() -> bool:
    return Unit.objects.exists()


def reset_sequences(models: list[type]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def build_demo(*, size: str = "small", seed: int = 1, embeddings: bool = False) -> DemoContext:
    """Load the demo into an empty database, all in one transaction.

    `embeddings`: also compute the search embeddings (semantic search), as `spiral demo` does.
    """
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}: use one of {', '.join(SIZES)}")
    if demo_exists():
        raise RuntimeError("the database already holds units; the demo loads only into an empty database")
    ctx = DemoContext(size=SIZES[size], seed=seed, rng=random.Random(seed))
    ctx.extra["embeddings"] = embeddings
    with transaction.atomic():
        for name, step in _steps():
            started = time.perf_counter()
            step(ctx)
            ctx.timings[name] = time.perf_counter() - started
    refresh_planner_statistics()
    return ctx


def refresh_planner_statistics() -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts now, not when autovacuum wakes.

    Without it the first pages plan for a near-empty table (e.g. 12 units beneath a region, not 3,000).
    SQLite keeps no statistics unless asked and plans these queries well from the indexes alone.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
