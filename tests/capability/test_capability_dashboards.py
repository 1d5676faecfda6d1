"""Dosage, the leaky bucket, coaching capacity and leaders' development, on pages, exports and the API."""

from __future__ import annotations

import datetime as dt

from spiral.capability import queries
from spiral.organisations.models import Role
from tests.conftest import client_for, user_with_role
from tests.factories import (
    HeadcountFactory,
    ProjectFactory,
    TeamMemberFactory,
    TrainingRecordFactory,
    UserFactory,
)

TODAY = dt.date.today()
RECENT = TODAY - dt.timedelta(days=30)


def _trained(unit, tier, n, *, on=RECENT):
    people = [user_with_role(Role.MEMBER, unit) for _ in range(n)]
    for p in people:
        TrainingRecordFactory(person=p, unit=unit, tier=tier, completed_on=on)
    return people


def test_dosage_is_people_trained_per_tier_against_the_headcount_beneath(tree, tier, leader):
    HeadcountFactory(unit=tree["team"], period_start=RECENT.replace(day=1), staff=40)
    HeadcountFactory(
        unit=tree["directorate"], period_start=RECENT.replace(day=1) - dt.timedelta(days=400), staff=10
    )
    aware = _trained(tree["team"], tier("awareness"), 6)
    TrainingRecordFactory(person=aware[0], unit=tree["team"], tier=tier("practitioner"), completed_on=RECENT)
    d = queries.dosage(leader, tree["org"])
    assert d.headcount == 40  # the team's figure: the directorate's own one is older
    row = {r.tier.slug: r for r in d.rows}
    assert (row["awareness"].people, row["awareness"].rate) == (6, 0.15)
    assert (row["practitioner"].people, row["practitioner"].at_least) == (1, 1)
    assert row["awareness"].at_least == 6
    assert d.pace == "within" and d.awareness_last_year == 6


def test_a_units_own_headcount_is_not_added_to_its_childrens(tree, leader):
    month = RECENT.replace(day=1)
    HeadcountFactory(unit=tree["directorate"], period_start=month, staff=100)
    HeadcountFactory(unit=tree["team"], period_start=month, staff=40)
    HeadcountFactory(unit=tree["other_org"], period_start=month, staff=300)
    assert queries.latest_headcount(tree["org"]) == (month, 100)
    assert queries.latest_headcount(tree["icb"]) == (month, 400)


def test_pace_below_ten_percent_and_projects_per_thousand_staff(tree, tier, leader):
    HeadcountFactory(unit=tree["org"], period_start=RECENT.replace(day=1), staff=2000)
    _trained(tree["team"], tier("awareness"), 3)
    ProjectFactory(unit=tree["team"], status="active")
    ProjectFactory(unit=tree["team"], status="draft")
    d = queries.dosage(leader, tree["org"])
    assert d.pace == "below" and d.projects_per_1000 == 0.5


def test_the_board_first_counts_the_units_own_leaders_with_board_development(tree, tier, leader):
    TrainingRecordFactory(person=leader, unit=tree["org"], tier=tier("board"))
    assert queries.dosage(leader, tree["org"]).board_first
    user_with_role(Role.LEADER, tree["org"])
    assert not queries.dosage(leader, tree["org"]).board_first


def test_the_dashboard_page_and_its_exports(tree, tier, member):
    HeadcountFactory(unit=tree["org"], period_start=RECENT.replace(day=1), staff=50)
    _trained(tree["team"], tier("awareness"), 5)
    client = client_for(member)
    page = client.get(f"/capability/units/{tree['org'].code}/").content.decode()
    assert "People trained at each tier" in page and "10.0%" in page
    csv = client.get(f"/capability/units/{tree['org'].code}/export.csv")
    assert (
        csv["Content-Type"].startswith("text/csv")
        and b"Awareness,Improvement science,5,50,0.1" in csv.content
    )
    xlsx = client.get(f"/capability/units/{tree['org'].code}/export.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get(f"/capability/units/{tree['org'].code}/export.pdf").status_code == 404


def test_peers_are_units_of_the_same_kind_and_type_and_count_people_once(tree, tier, leader):
    (person,) = _trained(tree["team"], tier("awareness"), 1)
    TrainingRecordFactory(person=person, unit=tree["team"], tier=tier("practitioner"), completed_on=RECENT)
    peers = queries.dosage(leader, tree["org"]).peers
    assert [p["unit"].name for p in peers] == ["Riverside Hospitals"]  # Hillside is a community trust
    assert peers[0]["trained"] == 1


def test_the_leaky_bucket_counts_the_trained_the_active_and_the_experienced(tree, tier, member):
    people = _trained(tree["team"], tier("practitioner"), 4)
    _trained(tree["team"], tier("awareness"), 1, on=TODAY - dt.timedelta(days=365 * 5))  # too long ago
    active, veteran = people[0], people[1]
    TeamMemberFactory(project=ProjectFactory(unit=tree["team"], status="active"), user=active, role="lead")
    for _ in range(3):
        TeamMemberFactory(project=ProjectFactory(unit=tree["team"], status="closed", closed_on=TODAY - dt.timedelta(days=500)),
                          user=veteran)  # fmt: skip
    TeamMemberFactory(project=ProjectFactory(unit=tree["team"], status="active"), user=veteran, role="coach")
    b = queries.leaky_bucket(member, tree["org"], years=3)
    assert (b.trained, b.active, b.experienced) == (4, 2, 1)
    idle = {p.pk for g in b.inactive for p, _, _ in g["people"]}
    assert idle == {people[2].pk, people[3].pk}
    page = (
        client_for(member).get(f"/capability/units/{tree['org'].code}/leaky-bucket/?years=3").content.decode()
    )
    assert "<svg" in page and '<title id="leaky-bucket-title">' in page
    assert people[2].display_name in page and active.display_name not in page.split("not active")[1]


def test_coaching_capacity_shows_loads_idle_coaches_and_projects_without_one(tree, tier, member):
    coach = user_with_role(Role.COACH, tree["org"], display_name="Cara Coach")
    TrainingRecordFactory(person=coach, unit=tree["org"], tier=tier("coach"))
    idle = user_with_role(Role.COACH, tree["org"], display_name="Ivan Idle")
    TrainingRecordFactory(person=idle, unit=tree["org"], tier=tier("coach"))
    coached = [ProjectFactory(unit=tree["team"]) for _ in range(2)]
    for p in coached:
        TeamMemberFactory(project=p, user=coach, role="coach")
    lonely = ProjectFactory(unit=tree["team"], title="Lonely project")
    veteran = UserFactory(display_name="Vera Veteran")
    for _ in range(2):
        TeamMemberFactory(
            project=ProjectFactory(unit=tree["team"], status="closed", closed_on=TODAY), user=veteran
        )
    TeamMemberFactory(project=lonely, user=veteran, role="lead")
    c = queries.coaching(member, tree["org"])
    assert [(load.coach.display_name, len(load.projects)) for load in c.coaches] == [("Cara Coach", 2)]
    assert [u.display_name for u in c.idle_coaches] == ["Ivan Idle"]
    assert [p.title for p in c.without_coach] == ["Lonely project"]
    assert [(u.display_name, p.title) for u, p in c.unsupported] == [("Vera Veteran", "Lonely project")]
    assert (
        "Ivan Idle"
        in client_for(member).get(f"/capability/units/{tree['org'].code}/coaching/").content.decode()
    )


def test_coaching_capacity_is_read_in_the_same_queries_however_many_coaches_and_flags_stuck_projects(
    tree, member
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_coach(n):
        coach = UserFactory(display_name=f"Coach {n:02d}")
        stuck = ProjectFactory(unit=tree["team"], title=f"Stuck {n:02d}", stage="testing",
                               start_date=TODAY - dt.timedelta(days=200))  # fmt: skip
        TeamMemberFactory(project=stuck, user=coach, role="coach")
        return coach

    def queries_for_page():
        with CaptureQueriesContext(connection) as read:
            c = queries.coaching(member, tree["org"])
        return len(read), c

    add_coach(1)
    few, _ = queries_for_page()
    for n in range(2, 8):
        add_coach(n)
    many, c = queries_for_page()
    assert many == few
    assert len(c.coaches) == 7
    assert all(len(load.stuck) == 1 and "No PDSA cycle" in load.stuck[0][1][0] for load in c.coaches)


def test_leaders_show_their_improvement_training_and_leadership_development(tree, tier, leader, member):
    TrainingRecordFactory(
        person=leader, unit=tree["org"], tier=tier("practitioner"), completed_on=dt.date(2024, 5, 1)
    )
    TrainingRecordFactory(
        person=leader, unit=tree["org"], tier=tier("board"), completed_on=dt.date(2025, 1, 2)
    )
    untrained = user_with_role(Role.LEADER, tree["team"], display_name="Una Untrained")
    rows = {r.person.pk: r for r in queries.leaders(member, tree["org"])}
    assert rows[leader.pk].improvement.tier.slug == "practitioner"
    assert rows[leader.pk].leadership.tier.slug == "board"
    assert rows[untrained.pk].improvement is None
    icb = queries.leaders_by_organisation(member, tree["icb"])
    assert {o["unit"].code: (o["leaders"], o["both"]) for o in icb} == {"RAA": (2, 1), "RBB": (0, 0)}
    page = client_for(member).get(f"/capability/units/{tree['icb'].code}/leaders/").content.decode()
    assert "By organisation" in page and "Riverside Hospitals" in page


def test_the_api_gives_dosage_bucket_coaching_and_leaders(tree, tier, member):
    HeadcountFactory(unit=tree["org"], period_start=RECENT.replace(day=1), staff=20)
    _trained(tree["team"], tier("awareness"), 2)
    client = client_for(member)
    dosage = client.get(f"/api/v1/units/{tree['org'].code}/dosage").json()
    assert (
        dosage["headcount"] == 20 and dosage["tiers"][0]["people"] == 2 and dosage["tiers"][0]["rate"] == 0.1
    )
    bucket = client.get(f"/api/v1/units/{tree['org'].code}/leaky-bucket?years=2").json()
    assert (bucket["trained"], bucket["active"]) == (2, 0)
    assert client.get(f"/api/v1/units/{tree['org'].code}/leaky-bucket?years=99").status_code == 422
    assert client.get(f"/api/v1/units/{tree['org'].code}/coaching").json()["coaches"] == []
    assert client.get(f"/api/v1/units/{tree['org'].code}/leaders").status_code == 200
    assert client.get("/api/v1/units/NOPE/dosage").status_code == 404
