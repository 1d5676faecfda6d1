"""Roll-ups: organisations' observations of an indicator added up to their ICB, region and nation as
derived series (measurement.rollups), kept in step with every write, and refused as a place to write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from spiral.measurement import imports, services
from spiral.measurement.models import Analysis, Observation, Series
from spiral.organisations.models import User
from tests.conftest import client_for
from tests.factories import MeasureFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN, FEB = dt.date(2025, 1, 1), dt.date(2025, 2, 1)


@pytest.fixture
def tree() -> dict:
    nation = UnitFactory(kind="nation", code="ENG")
    region = UnitFactory(kind="region", parent=nation, code="Y56")
    icb_a = UnitFactory(kind="icb", parent=region, code="QA1")
    icb_b = UnitFactory(kind="icb", parent=region, code="QB1")
    orgs = [
        UnitFactory(kind="organisation", parent=icb_a, code="RA1", organisation_type="acute_trust"),
        UnitFactory(kind="organisation", parent=icb_a, code="RA2", organisation_type="acute_trust"),
        UnitFactory(kind="organisation", parent=icb_b, code="RB1", organisation_type="acute_trust"),
    ]
    team = UnitFactory(kind="team", parent=orgs[0], code="RA1-T1")
    p = MeasureFactory(code="P-1", owner=nation, is_indicator=True, chart="p", improvement="decrease")
    return {
        "nation": nation,
        "region": region,
        "icb_a": icb_a,
        "icb_b": icb_b,
        "orgs": orgs,
        "team": team,
        "p": p,
    }


def _record(measure, unit, period, **values):
    series = services.get_or_create_series(measure=measure, unit=unit, by=None)
    return services.record_observation(series=series, period=period, by=None, **values)[0]


def _derived(measure, unit) -> dict[dt.date, tuple]:
    return {
        o.period_start: (o.numerator, o.denominator, o.value, o.contributors)
        for o in Observation.objects.filter(series__measure=measure, series__unit=unit, series__derived=True)
    }


def test_numerators_and_denominators_add_up_to_the_icb_region_and_nation(tree) -> None:
    p, (ra1, ra2, rb1) = tree["p"], tree["orgs"]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    _record(p, ra2, "2025-01", numerator=30, denominator=200)
    _record(p, rb1, "2025-01", numerator=5, denominator=50)
    _record(p, rb1, "2025-02", numerator=7, denominator=70)

    assert _derived(p, tree["icb_a"]) == {JAN: (40, 300, 40 / 300, 2)}
    assert _derived(p, tree["icb_b"]) == {JAN: (5, 50, 0.1, 1), FEB: (7, 70, 0.1, 1)}
    assert _derived(p, tree["region"]) == {JAN: (45, 350, 45 / 350, 3), FEB: (7, 70, 0.1, 1)}
    assert _derived(p, tree["nation"]) == _derived(p, tree["region"])
    # the derived series have their own, current analyses
    nation_series = Series.objects.get(measure=p, unit=tree["nation"])
    analysis = Analysis.objects.get(series=nation_series)
    assert not analysis.stale and analysis.points == 2 and analysis.latest_period == FEB


def test_a_correction_and_a_deletion_are_followed(tree) -> None:
    p, (ra1, ra2, _rb1) = tree["p"], tree["orgs"]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    obs = _record(p, ra2, "2025-01", numerator=30, denominator=200)
    _record(p, ra2, "2025-01", numerator=20, denominator=200, version=obs.version)
    assert _derived(p, tree["icb_a"]) == {JAN: (30, 300, 0.1, 2)}
    services.delete_observation(observation=Observation.objects.get(pk=obs.pk), by=None)
    assert _derived(p, tree["icb_a"]) == {JAN: (10, 100, 0.1, 1)}
    services.delete_observation(observation=Observation.objects.get(series__unit=ra1), by=None)
    # nothing left to add up: the derived series go
    assert not Series.objects.filter(measure=p, derived=True).exists()


def test_teams_are_not_added_up_and_values_only_when_the_measure_says_how(tree) -> None:
    nation, ra1, rb1 = tree["nation"], tree["orgs"][0], tree["orgs"][2]
    xmr = MeasureFactory(code="X-1", owner=nation, is_indicator=True, chart="xmr")
    counts = MeasureFactory(code="C-1", owner=nation, is_indicator=True, chart="c", aggregation="sum")
    for measure in (xmr, counts):
        _record(measure, ra1, "2025-01", value=3)
        _record(measure, rb1, "2025-01", value=4)
    _record(tree["p"], tree["team"], "2025-01", numerator=1, denominator=2)
    assert not Series.objects.filter(measure=xmr, derived=True).exists()
    assert not Series.objects.filter(measure=tree["p"], derived=True).exists()
    assert _derived(counts, nation) == {JAN: (None, None, 7, 2)}
    # saying no more adds up no more
    services.update_measure(measure=counts, by=None, aggregation="none")
    assert not Series.objects.filter(measure=counts, derived=True).exists()


def test_a_derived_series_refuses_to_be_written_by_hand_or_by_a_file(tree) -> None:
    p, ra1 = tree["p"], tree["orgs"][0]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    icb = Series.objects.get(measure=p, unit=tree["icb_a"])
    with pytest.raises(ValidationError, match="added up from the organisations beneath"):
        services.record_observation(series=icb, period="2025-02", by=None, numerator=1, denominator=2)
    with pytest.raises(ValidationError, match="derived series"):
        services.delete_observation(observation=icb.observations.get(), by=None)
    data = b"unit_code,measure_code,period,numerator,denominator\nQA1,P-1,2025-02,1,2\n"
    result = imports.import_observations(data, by=None, filename="icb.csv")
    assert not result.applied and "derived series" in str(result.rejected[0])
    assert _derived(p, tree["icb_a"]) == {JAN: (10, 100, 0.1, 1)}


def test_an_import_rolls_up_once_it_is_published(tree) -> None:
    data = (
        b"unit_code,measure_code,period,numerator,denominator\nRA1,P-1,2025-01,1,10\nRB1,P-1,2025-01,2,10\n"
    )
    assert imports.import_observations(data, by=None, filename="orgs.csv").applied
    assert _derived(tree["p"], tree["nation"]) == {JAN: (3, 20, 0.15, 2)}
    # the same file again changes nothing, the roll-up included
    version = Observation.objects.get(series__unit=tree["nation"]).version
    imports.import_observations(data, by=None, filename="orgs.csv")
    assert Observation.objects.get(series__unit=tree["nation"]).version == version


def test_a_units_own_typed_series_is_left_alone(tree) -> None:
    p, ra1 = tree["p"], tree["orgs"][0]
    _record(p, tree["icb_a"], "2025-01", numerator=99, denominator=100)
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    own = Series.objects.get(measure=p, unit=tree["icb_a"])
    assert not own.derived and own.observations.get().numerator == 99
    assert _derived(p, tree["nation"]) == {JAN: (10, 100, 0.1, 1)}


def test_the_page_says_it_is_added_up_and_offers_no_edit(tree) -> None:
    p, ra1, ra2 = tree["p"], tree["orgs"][0], tree["orgs"][1]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    _record(p, ra2, "2025-02", numerator=10, denominator=100)
    admin = UserFactory(is_superuser=True, is_staff=True)
    from tests.factories import MembershipFactory

    MembershipFactory(user=admin, unit=tree["nation"], role="admin")
    series = Series.objects.get(measure=p, unit=tree["icb_a"])
    client = client_for(admin)
    page = client.get(f"/measures/series/{series.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Added up from 2 organisations beneath" in text
    assert "Save observation" not in text and "?correct=" not in text
    refused = client.post(
        f"/measures/series/{series.pk}/", {"period": "2025-03", "numerator": "1", "denominator": "2"}
    )
    assert refused.status_code == 403
    assert series.observations.count() == 2


def test_icbs_are_compared_with_icbs(tree) -> None:
    p, (ra1, ra2, rb1) = tree["p"], tree["orgs"]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    _record(p, ra2, "2025-01", numerator=30, denominator=200)
    _record(p, rb1, "2025-01", numerator=5, denominator=50)
    user = User.objects.create_superuser("boss@example.com", "pw-long-enough-1", display_name="Boss")
    from spiral.benchmarking import queries

    rows = queries.compared_with_peers(user, tree["icb_a"])
    assert [r["measure"].code for r in rows] == ["P-1"] and rows[0]["peers"] == 2


def test_the_funnel_api_finds_icbs_and_peers_like_for_like_by_default(tree) -> None:
    p, (ra1, ra2, rb1) = tree["p"], tree["orgs"]
    gp = UnitFactory(kind="organisation", parent=tree["icb_b"], code="GP1", organisation_type="gp_practice")
    for unit, n in ((ra1, 10), (ra2, 30), (rb1, 5), (gp, 1)):
        _record(p, unit, "2025-01", numerator=n, denominator=100)
    user = User.objects.create_superuser("api@example.com", "pw-long-enough-1", display_name="Analyst")
    client = client_for(user)

    def units(query: str) -> list[str]:
        body = client.get(f"/api/v1/indicators/P-1/funnel?{query}").json()
        return sorted(point["unit"] for point in body["points"])

    assert units("kind=icb") == ["QA1", "QB1"]
    assert units("kind=region") == ["Y56"]
    assert units("unit=RA1") == ["RA1", "RA2", "RB1"]  # acute trusts with acute trusts, as on the pages
    assert units("unit=RA1&organisation_type=any") == ["GP1", "RA1", "RA2", "RB1"]
    body = client.get("/api/v1/indicators/P-1/funnel?unit=RA1").json()
    assert body["peers"].startswith("acute trusts in")
    assert client.get("/api/v1/indicators/P-1/funnel?unit=NOPE").status_code == 400


def test_the_api_refuses_writes_to_a_derived_series_and_defines_a_summed_measure(tree) -> None:
    from tests.assertions import bearer

    p, ra1 = tree["p"], tree["orgs"][0]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    user = User.objects.create_superuser("writer@example.com", "pw-long-enough-1", display_name="Writer")
    client, auth = client_for(None), bearer(user)
    sent = {
        "observations": [
            {"unit": "QA1", "measure": "P-1", "period": "2025-02", "numerator": 1, "denominator": 2}
        ]
    }
    refused = client.post("/api/v1/observations", sent, content_type="application/json", **auth)
    assert refused.status_code == 400 and "derived series" in refused.content.decode()
    icb_obs = Observation.objects.get(series__unit=tree["icb_a"])
    changed = client.patch(
        f"/api/v1/observations/{icb_obs.pk}", {"numerator": 2}, content_type="application/json", **auth
    )
    assert changed.status_code in (400, 422) and "derived series" in changed.content.decode()
    assert client.delete(f"/api/v1/observations/{icb_obs.pk}", **auth).status_code in (400, 422)
    listed = client.get("/api/v1/series?unit=QA1", **auth).json()
    assert [s["derived"] for s in listed["items"]] == [True]
    made = client.post(
        "/api/v1/measures",
        {
            "code": "FALLS-N",
            "name": "Falls",
            "owner": "ENG",
            "chart": "c",
            "is_indicator": True,
            "aggregation": "sum",
        },
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201 and made.json()["aggregation"] == "sum"


# --- `spiral rollup`: the roll-up by hand ------------------------------------------------------------


def _typed_without_roll_up(measure, unit, period, numerator, denominator):
    """An observation written straight to the table (as a restore or a raw load would): no roll-up ran."""
    from tests.factories import ObservationFactory, SeriesFactory

    series = Series.objects.filter(measure=measure, unit=unit, derived=False).first() or SeriesFactory(
        measure=measure, unit=unit
    )
    ObservationFactory(
        series=series,
        period_start=period,
        numerator=numerator,
        denominator=denominator,
        value=numerator / denominator,
    )


def _rollup(*args: str) -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("rollup", *args, stdout=out)
    return out.getvalue()


def test_the_rollup_command_adds_up_what_no_roll_up_has_seen_and_then_changes_nothing(tree) -> None:
    p, (ra1, ra2, rb1) = tree["p"], tree["orgs"]
    _typed_without_roll_up(p, ra1, JAN, 10, 100)
    _typed_without_roll_up(p, ra2, JAN, 30, 200)
    _typed_without_roll_up(p, rb1, JAN, 5, 50)
    assert _derived(p, tree["icb_a"]) == {}

    out = _rollup()
    assert "Rolled up 1 measure (P-1): 4 derived series now held." in out
    assert _derived(p, tree["icb_a"]) == {JAN: (40, 300, 40 / 300, 2)}
    assert _derived(p, tree["nation"]) == {JAN: (45, 350, 45 / 350, 3)}
    nation = Analysis.objects.get(series__measure=p, series__unit=tree["nation"])
    assert not nation.stale and nation.points == 1  # the charts are recomputed, as the task does
    versions = list(Observation.objects.filter(series__derived=True).values_list("pk", "version"))
    _rollup()
    assert list(Observation.objects.filter(series__derived=True).values_list("pk", "version")) == versions


def test_the_rollup_command_takes_one_measure_or_one_unit(tree) -> None:
    p, (ra1, _ra2, rb1) = tree["p"], tree["orgs"]
    other = MeasureFactory(code="P-2", owner=tree["nation"], is_indicator=True, chart="p")
    _typed_without_roll_up(p, ra1, JAN, 10, 100)
    _typed_without_roll_up(other, rb1, JAN, 5, 50)

    assert "Rolled up 1 measure (P-2)" in _rollup("--measure", "P-2")
    assert _derived(other, tree["icb_b"]) == {JAN: (5, 50, 0.1, 1)} and _derived(p, tree["icb_a"]) == {}
    assert "Rolled up 1 measure (P-1)" in _rollup("--unit", "QA1")  # only P-1 is observed beneath QA1
    assert _derived(p, tree["icb_a"]) == {JAN: (10, 100, 0.1, 1)}
    assert "Nothing to roll up: no indicator observed in or beneath RA1-T1" in _rollup("--unit", "RA1-T1")


def test_the_rollup_command_says_when_a_measure_is_not_added_up(tree) -> None:
    MeasureFactory(code="TEAM-ONLY", owner=tree["nation"], is_indicator=False)
    out = _rollup("--measure", "TEAM-ONLY")
    assert "TEAM-ONLY is not added up to the units above: only an indicator is" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--measure", "NOPE"], "No measure has the code 'NOPE'. Give the code of a measure as on its page"),
        (
            ["--unit", "ZZZ"],
            "No unit has the code 'ZZZ'. Give the code of a unit as on its page under /units/",
        ),
    ],
)
def test_the_spiral_rollup_command_refuses_an_unknown_code_with_a_fix_and_a_non_zero_exit(
    tree, capsys, args, message
) -> None:
    from spiral.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["rollup", *args])
    assert stopped.value.code != 0
    err = capsys.readouterr().err
    assert message in err and "leave out" in err and "Traceback" not in err


# --- moving an organisation to another ICB re-runs the roll-up -----------------------------------------


def _move(how: str, unit, new_parent) -> None:
    """Move `unit` beneath `new_parent` the way a person does: the service, the page, the API or a file."""
    import json

    from django.test import Client

    from spiral.organisations import services as org_services
    from tests.assertions import bearer

    admin = UserFactory(is_superuser=True, is_staff=True)
    if how == "service":
        org_services.move_unit(unit=unit, new_parent=new_parent, by=admin)
    elif how == "import":
        from spiral.organisations.imports import import_units

        row = f"{unit.code},{unit.name},{unit.kind},{new_parent.code},{unit.organisation_type}\n"
        result = import_units(
            ("code,name,kind,parent_code,organisation_type\n" + row).encode(), by=admin, filename="units.csv"
        )
        assert result.applied, result.problems
    elif how == "page":
        response = client_for(admin).post(f"/units/{unit.code}/move/", {"parent_code": new_parent.code})
        assert response.status_code == 302, response.content.decode()[:500]
    else:
        response = Client().patch(
            f"/api/v1/units/{unit.code}",
            json.dumps({"parent": new_parent.code}),
            content_type="application/json",
            **bearer(admin),
        )
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("how", ["service", "page", "api", "import"])
def test_moving_an_organisation_to_another_icb_moves_its_figures_with_it(tree, how) -> None:
    p, (ra1, ra2, rb1) = tree["p"], tree["orgs"]
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    _record(p, ra2, "2025-01", numerator=30, denominator=200)
    _record(p, rb1, "2025-01", numerator=5, denominator=50)
    assert _derived(p, tree["icb_a"]) == {JAN: (40, 300, 40 / 300, 2)}
    assert _derived(p, tree["icb_b"]) == {JAN: (5, 50, 0.1, 1)}

    _move(how, ra1, tree["icb_b"])

    assert _derived(p, tree["icb_a"]) == {JAN: (30, 200, 0.15, 1)}  # no longer counts RA1's numbers
    assert _derived(p, tree["icb_b"]) == {JAN: (15, 150, 0.1, 2)}  # and ICB B does
    assert _derived(p, tree["region"]) == {JAN: (45, 350, 45 / 350, 3)}  # the region holds both: unchanged
    for icb in ("icb_a", "icb_b"):  # their charts are current, not stale
        analysis = Analysis.objects.get(series__measure=p, series__unit=tree[icb])
        assert not analysis.stale and analysis.latest_value == pytest.approx(0.15 if icb == "icb_a" else 0.1)


def test_moving_an_icbs_last_organisation_away_removes_its_derived_series(tree) -> None:
    p, (_ra1, _ra2, rb1) = tree["p"], tree["orgs"]
    _record(p, rb1, "2025-01", numerator=5, denominator=50)
    assert Series.objects.filter(measure=p, unit=tree["icb_b"], derived=True).exists()

    _move("service", rb1, tree["icb_a"])

    assert not Series.objects.filter(measure=p, unit=tree["icb_b"]).exists()
    assert _derived(p, tree["icb_a"]) == {JAN: (5, 50, 0.1, 1)}


def test_moving_an_icb_to_another_region_moves_its_figures_to_that_region(tree) -> None:
    p, (ra1, _ra2, rb1) = tree["p"], tree["orgs"]
    north = UnitFactory(kind="region", parent=tree["nation"], code="Y60")
    _record(p, ra1, "2025-01", numerator=10, denominator=100)
    _record(p, rb1, "2025-01", numerator=5, denominator=50)

    _move("service", tree["icb_b"], north)

    assert _derived(p, tree["region"]) == {JAN: (10, 100, 0.1, 1)}
    assert _derived(p, north) == {JAN: (5, 50, 0.1, 1)}
    assert _derived(p, tree["nation"]) == {JAN: (15, 150, 0.1, 2)}
