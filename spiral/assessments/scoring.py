"""Scoring one person's answers, and a group's, by an instrument's rule: pure Python, no database.

Rules (the instrument file's `scoring`):
- sum: the total is the sum of the chosen options' scores; the maximum, the sum of each item's best score.
- weighted_sum: as sum, each item's score (and best score) multiplied by its weight.
- group_mean: each group scores the mean of its items' scores (its maximum, the mean of their best
  scores); the total is the mean of the groups' scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import fmean

TWO = Decimal("0.01")
# An option keyed "dont_know" (the MUSIQ tool's "don't know / not applicable") is kept as the person's
# answer but not scored: the item counts as unanswered in every sum and mean.
DONT_KNOW = "dont_know"


@dataclass(frozen=True)
class ItemRule:
    key: str
    group: str
    weight: Decimal
    maximum: Decimal  # the best option's score (unweighted)


@dataclass(frozen=True)
class Score:
    items: dict[str, Decimal]  # item key -> its (weighted) score
    groups: dict[str, Decimal]  # group key -> its score
    total: Decimal


@dataclass(frozen=True)
class Maxima:
    items: dict[str, Decimal]
    groups: dict[str, Decimal]
    total: Decimal


def _round(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(TWO)


def _groups(
    rule: str, items: Sequence[ItemRule], values: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], Decimal]:
    by_group: dict[str, list[Decimal]] = {}
    for item in items:
        if item.key in values:
            by_group.setdefault(item.group, []).append(values[item.key])
    if rule == "group_mean":
        groups = {g: _round(fmean(v)) for g, v in by_group.items()}
        total = _round(fmean(groups.values())) if groups else Decimal(0)
    else:
        groups = {g: sum(v, Decimal(0)) for g, v in by_group.items()}
        total = sum(groups.values(), Decimal(0))
    return groups, total


def score(rule: str, items: Sequence[ItemRule], chosen: Mapping[str, Decimal]) -> Score:
    """Score one person's answers: `chosen` maps each answered item's key to its option's score."""
    weight = rule == "weighted_sum"
    values = {i.key: chosen[i.key] * (i.weight if weight else 1) for i in items if i.key in chosen}
    groups, total = _groups(rule, items, values)
    return Score(values, groups, total)


def maxima(rule: str, items: Sequence[ItemRule]) -> Maxima:
    """The best possible score of each item, group and the whole."""
    weight = rule == "weighted_sum"
    values = {i.key: i.maximum * (i.weight if weight else 1) for i in items}
    groups, total = _groups(rule, items, values)
    return Maxima(values, groups, total)


def mean(values: Sequence[Decimal]) -> Decimal | None:
    """The mean of some scores to two places (None for none)."""
    return _round(fmean(values)) if values else None
