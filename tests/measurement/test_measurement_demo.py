"""The demo's measurement step: indicators for every organisation, 3 to 8 series per team, every icon."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import transaction
from django.test import override_settings

from spiral.demo import measurement, organisations
from spiral.demo.builder import SIZES, DemoContext
from spiral.measurement.models import Analysis, Annotation, Observation, Series
from spiral.organisations.models import Unit
from spiral.spc import ASSURANCE_ICONS, VARIATION_ICONS


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The hierarchy and the measurement step, built once in a transaction rolled back at the end."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ctx = DemoContext(size=SIZES["small"], seed=1, rng=random.Random(1))
            organisations.build(ctx)
            measurement.build(ctx)
            yield ctx
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(built, db):
    return built


def test_every_team_has_three_to_eight_series_and_every_organisation_its_indicators(demo):
    per_team = Counter(Series.objects.filter(unit__kind="team").values_list("unit_id", flat=True))
    teams = Unit.objects.filter(kind="team").count()
    assert len(per_team) == teams
    assert min(per_team.values()) >= 3 and max(per_team.values()) <= 8
    for org in Unit.objects.filter(kind="organisation"):
        assert Series.objects.filter(unit=org, measure__is_indicator=True).count() >= 2


def test_every_series_has_24_to_60_periods_and_a_fresh_analysis(demo):
    lengths = Counter(Observation.objects.values_list("series_id", flat=True))
    assert min(lengths.values()) >= 23  # a period may be missing, never recorded as zero
    assert max(lengths.values()) <= 80  # weekly measures have more periods
    assert not Analysis.objects.filter(stale=True).exists()
    assert Analysis.objects.count() == Series.objects.count()


def test_every_icon_appears_somewhere(demo):
    variation = set(Analysis.objects.values_list("variation_icon", flat=True))
    assurance = set(Analysis.objects.values_list("assurance_icon", flat=True))
    assert set(VARIATION_ICONS) <= variation
    assert set(ASSURANCE_ICONS) <= assurance
    assert Annotation.objects.filter(kind="rebase").exists()


def test_the_demo_is_the_same_for_the_same_seed(demo):
    first = sorted(
        Observation.objects.values_list(
            "series__unit__code", "series__measure__code", "period_start", "value"
        )
    )
    Observation.objects.all().delete()
    Annotation.objects.all().delete()
    Analysis.objects.all().delete()
    Series.objects.all().delete()
    from spiral.measurement.models import Measure

    Measure.objects.all().delete()
    ctx = DemoContext(size=SIZES["small"], seed=1, rng=random.Random(1))
    ctx.units = demo.units
    measurement.build(ctx)
    again = sorted(
        Observation.objects.values_list(
            "series__unit__code", "series__measure__code", "period_start", "value"
        )
    )
    assert again == first
