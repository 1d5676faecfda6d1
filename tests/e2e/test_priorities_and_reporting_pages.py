"""In a real browser: a team's huddle board on a wall screen (reloads itself, and can be stopped), a decision
found by the catalogue search and opened, and a board's goal, cascade, success and board pack pages, each
checked with axe (WCAG 2.2 AA)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from spiral.organisations.models import Role
from spiral.priorities import services
from tests.e2e.browser import assert_accessible, expect, sign_in
from tests.factories import GoalFactory, MeasureFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_a_wall_screen_reloads_itself_until_stopped_and_a_decision_is_found_by_search(
    live_server: Any, tree: dict[str, Any], browser_page: Any
) -> None:
    team, org = tree["team"], tree["org"]
    member = UserFactory(email="nurse@example.nhs.uk")
    MembershipFactory(user=member, unit=team, role=Role.MEMBER)
    services.add_idea(unit=team, by=member, problem="Patients wait all day for their medicines",
                      idea="A pharmacist on the morning ward round", helps="Patients going home")  # fmt: skip
    decision = services.log_decision(unit=org, by=None, what="Open a discharge lounge",
                                     why="Patients wait on the ward for their transport home",
                                     decided_by="The board", decided_on=dt.date(2025, 11, 14))  # fmt: skip
    page = browser_page
    sign_in(page, live_server.url, member.email)

    page.goto(f"{live_server.url}/priorities/units/{team.code}/board/?wall=1")
    expect(page.locator("h1", has_text=team.name)).to_be_visible()
    toggle = page.locator("[data-reload-toggle]")
    expect(toggle).to_have_text("Stop reloading")
    assert_accessible(page)  # no meta refresh: a time limit the person can turn off
    toggle.click()
    expect(toggle).to_have_text("Start reloading")
    expect(page.locator("[data-reload-state]")).to_have_text("reloading is stopped")

    page.goto(f"{live_server.url}/search/?q=discharge+lounge")
    result = page.locator("[data-type='decision'] a", has_text="Open a discharge lounge")
    expect(result).to_be_visible()
    assert_accessible(page)
    result.click()
    page.wait_for_url(f"**/priorities/decisions/{decision.pk}/")
    expect(page.locator("h1", has_text=f"Decision of {org.name}")).to_be_visible()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_board_member_reads_the_goal_its_cascade_what_makes_projects_succeed_and_the_board_pack(
    live_server: Any, tree: dict[str, Any], browser_page: Any
) -> None:
    org = tree["org"]
    leader = UserFactory(email="chair@example.nhs.uk")
    MembershipFactory(user=leader, unit=org, role=Role.LEADER)
    indicator = MeasureFactory(owner=tree["nation"], code="FALLS", name="Falls", is_indicator=True)
    goal = GoalFactory(unit=org, measures=[(indicator, 4.0)], title="Zero avoidable harm")
    page = browser_page
    sign_in(page, live_server.url, leader.email)
    for address, heading in (
        (f"/priorities/goals/{goal.pk}/", "Zero avoidable harm"),
        (f"/priorities/goals/{goal.pk}/cascade/", "Zero avoidable harm"),
        (f"/reporting/units/{org.code}/success/", ""),
        (f"/reporting/units/{org.code}/portfolio/", ""),
        (f"/reporting/units/{org.code}/board/", ""),
        (f"/reporting/units/{org.code}/board/preview/", f"Board pack: {org.name}"),  # the pack's own page
        (f"/capability/units/{org.code}/", ""),
    ):
        response = page.goto(f"{live_server.url}{address}")
        assert response is not None and response.status == 200, address
        if heading:
            expect(page.locator("h1", has_text=heading)).to_be_visible()
        assert_accessible(page)
