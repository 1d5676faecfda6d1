"""The demo's capability: training across tiers and years, headcount everywhere, a visible leaky bucket,
coaches with uneven loads, leaders with and without training, survey results and units below the threshold."""

from __future__ import annotations

import pytest

from spiral.capability import queries
from spiral.capability.models import Headcount, TrainingRecord
from spiral.organisations.models import Unit, User


@pytest.fixture
def viewer(demo):
    return User.objects.filter(is_superuser=False, is_active=True).order_by("id").first()


def test_training_spans_every_tier_and_several_years(demo):
    tiers = set(TrainingRecord.objects.values_list("tier__slug", flat=True))
    years = {d.year for d in TrainingRecord.objects.values_list("completed_on", flat=True)}
    assert tiers == {"awareness", "practitioner", "coach", "leaders", "board"}
    assert len(years) >= 4


def test_every_unit_has_a_headcount_and_the_nation_is_the_sum_of_its_teams(demo, viewer):
    assert Headcount.objects.values("unit_id").distinct().count() == Unit.objects.count()
    nation = Unit.objects.get(kind="nation")
    month, staff = queries.latest_headcount(nation)
    teams = Unit.objects.filter(kind="team").values_list("pk", flat=True)
    assert staff == sum(
        Headcount.objects.filter(unit_id__in=teams, period_start=month).values_list("staff", flat=True)
    )
    assert queries.dosage(viewer, nation).rows[0].rate > 0


def test_the_bucket_leaks_and_coaches_carry_uneven_loads(demo, viewer):
    nation = Unit.objects.get(kind="nation")
    bucket = queries.leaky_bucket(viewer, nation, years=6)
    assert 0 < bucket.active < bucket.trained and bucket.inactive
    coaching = queries.coaching(viewer, nation)
    loads = {len(c.projects) for c in coaching.coaches}
    assert len(loads) > 1 and coaching.idle_coaches


def test_some_leaders_are_trained_and_some_are_not(demo, viewer):
    rows = queries.leaders(viewer, Unit.objects.get(kind="nation"))
    assert any(r.improvement and r.leadership for r in rows) and any(not r.leadership for r in rows)


def test_culture_results_hide_small_teams_and_show_their_directorates(demo, viewer):
    from spiral.assessments.models import Response

    answered = (
        Response.objects.filter(instrument__slug="team-culture").values_list("unit_id", flat=True).distinct()
    )
    teams = list(Unit.objects.filter(pk__in=list(answered)))
    hidden = [
        t
        for t in teams
        if all(r["too_few"] for r in queries.survey_results(viewer, t, "team-culture")["rounds"])
    ]
    assert hidden  # small teams: only "too few answered"
    parents = {t.parent for t in teams}
    assert any(
        not r["too_few"] for p in parents for r in queries.survey_results(viewer, p, "team-culture")["rounds"]
    )


def test_organisations_show_their_nhs_impact_self_assessment(demo, viewer):
    org = Unit.objects.filter(kind="organisation").order_by("id").first()
    rounds = queries.survey_results(viewer, org, "nhs-impact")["rounds"]
    assert rounds and not rounds[-1]["too_few"] and rounds[-1]["total"] is not None
