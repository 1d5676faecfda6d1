"""The A&E demo (`spiral demo --dataset ae-attendances`): real NHS England data loaded through the ordinary
imports, and what Spiral then shows of it checked against values worked here from the raw CSV with plain
numpy (the p-chart's pooled centre and 3-sigma limits, the points beyond them, the funnel's units)."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from spiral.demo import ae
from spiral.measurement.models import Observation, Series
from spiral.organisations.models import Unit, User
from tests.assertions import bearer
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> ae.Loaded:
    return ae.load()


def _raw() -> tuple[dict[str, set[str]], dict[tuple[str, str], tuple[int, int]]]:
    types: dict[str, set[str]] = defaultdict(set)
    type1: dict[tuple[str, str], tuple[int, int]] = {}
    with ae.DATA.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            types[row["org_code"]].add(row["type"])
            if row["type"] == "1":
                type1[(row["org_code"], row["period"])] = (int(row["breaches"]), int(row["attendances"]))
    return types, type1


def test_every_provider_and_month_arrives_through_the_imports(loaded: ae.Loaded) -> None:
    types, type1 = _raw()
    assert Unit.objects.filter(kind="organisation").count() == len(types) == 274
    acute = set(Unit.objects.filter(organisation_type="acute_trust").values_list("code", flat=True))
    assert acute == {code for code, kinds in types.items() if "1" in kinds}
    stored = {
        (code, start.strftime("%Y-%m")): (int(num), int(den))
        for code, start, num, den in Observation.objects.filter(
            series__measure__code=ae.TYPE1, series__derived=False
        ).values_list("series__unit__code", "period_start", "numerator", "denominator")
    }
    assert stored == type1
    assert loaded.counts["observations"] == Observation.objects.filter(series__derived=False).count()
    # the demo's sign-ins are there, each with its role
    assert User.objects.filter(email="national@example.com", memberships__unit__code="ENG").exists()


def test_a_trusts_p_chart_matches_the_pooled_centre_and_limits_worked_by_hand(loaded: ae.Loaded) -> None:
    _, type1 = _raw()
    trust = loaded.anchors["organisation"]  # the busiest type 1 department
    months = sorted(period for code, period in type1 if code == trust.code)
    r = np.array([type1[(trust.code, m)][0] for m in months], float)
    n = np.array([type1[(trust.code, m)][1] for m in months], float)
    centre = r.sum() / n.sum()
    sigma = np.sqrt(centre * (1 - centre) / n)
    outside = int(((r / n > centre + 3 * sigma) | (r / n < centre - 3 * sigma)).sum())

    series = Series.objects.get(measure__code=ae.TYPE1, unit=trust)
    user = User.objects.get(email="national@example.com")
    body = client_for(user).get(f"/api/v1/series/{series.pk}/analysis", **bearer(user)).json()

    assert body["dates"] == months and body["chart"] == "p"
    np.testing.assert_allclose(body["centre"], centre, rtol=1e-12)
    np.testing.assert_allclose(body["ucl"], centre + 3 * sigma, rtol=1e-9)
    np.testing.assert_allclose(body["lcl"], centre - 3 * sigma, rtol=1e-9)
    assert sum("outside_limits" in flags for flags in body["flags"]) == outside
    assert outside > len(months) / 2  # what the issue saw: tens of thousands a month make a p chart wrong


def test_the_funnel_page_plots_every_type_1_trust_of_the_latest_month(loaded: ae.Loaded) -> None:
    _, type1 = _raw()
    latest = sum(1 for _, period in type1 if period == "2019-03")
    page = client_for(User.objects.get(email="national@example.com")).get(f"/benchmarking/{ae.TYPE1}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"{latest} organisations in England, March 2019" in text
    assert "so the limits allow for differences between organisations" in text  # the default adjusted
    assert latest == 134


def test_it_loads_only_into_an_empty_database(loaded: ae.Loaded) -> None:
    with pytest.raises(ae.DatasetError, match="empty database"):
        ae.load()


def test_the_documented_command_loads_it(tmp_path) -> None:
    """`spiral demo --dataset ae-attendances --no-serve`, as the README gives it, on a database of its own."""
    from tests.core.scratch_db import child_env, run_spiral, scratch_database_url

    with scratch_database_url(tmp_path) as url:
        done = run_spiral(["demo", "--dataset", "ae-attendances", "--no-serve"], child_env(tmp_path, url))
    assert "A&E demo loaded" in done.stdout and "277 units, 2 indicators" in done.stdout
    assert "national@example.com" in done.stdout


def test_the_nation_region_and_icb_series_add_up_every_trusts_breaches_and_attendances(
    loaded: ae.Loaded,
) -> None:
    _, type1 = _raw()
    months = sorted({period for _, period in type1})
    breaches = {m: sum(b for (_, p), (b, _a) in type1.items() if p == m) for m in months}
    attendances = {m: sum(a for (_, p), (_b, a) in type1.items() if p == m) for m in months}
    reporting = {m: sum(1 for _, p in type1 if p == m) for m in months}
    for code in (ae.NATION, ae.REGION, ae.ICB):
        series = Series.objects.get(measure__code=ae.TYPE1, unit__code=code)
        assert series.derived
        stored = {o.period_start.strftime("%Y-%m"): o for o in series.observations.all()}
        assert sorted(stored) == months
        for m in months:
            assert stored[m].numerator == breaches[m] and stored[m].denominator == attendances[m]
            assert stored[m].value == pytest.approx(breaches[m] / attendances[m], rel=1e-12)
            assert stored[m].contributors == reporting[m]
    # the nation's own p chart, through the API, plots the pooled proportion of every month
    nation = Series.objects.get(measure__code=ae.TYPE1, unit__code=ae.NATION)
    user = User.objects.get(email="national@example.com")
    body = client_for(user).get(f"/api/v1/series/{nation.pk}/analysis", **bearer(user)).json()
    np.testing.assert_allclose(body["values"], [breaches[m] / attendances[m] for m in months], rtol=1e-12)
    page = client_for(user).get(f"/measures/series/{nation.pk}/").content.decode()
    assert f"Added up from {len({c for c, _ in type1})} organisations" in page
