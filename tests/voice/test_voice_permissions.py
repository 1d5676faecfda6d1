"""Every cell of the "Benchmarking and voice" block of the permission table (docs/permissions.md)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from spiral.organisations.models import Role, Unit
from spiral.organisations.permissions import Permission, can, visible_to
from spiral.voice.models import Answer, Story
from spiral.voice.services import create_story, submit_answer
from tests import permtable
from tests.conftest import client_for, user_with_role
from tests.factories import FeedbackFormFactory

P = Permission
ALL = {P.VIEW_FEEDBACK, P.TAG_FEEDBACK, P.MODERATE_FEEDBACK, P.MANAGE_FEEDBACK, P.IMPORT_FEEDBACK}
# The voice permissions of each role, read from the one role table (docs/permissions.md is checked
# against it in tests/organisations/test_permissions_doc.py).
TABLE: dict[str, set[Permission]] = {role: set(permtable.grants(role) & ALL) for role in permtable.ROLES}


def test_every_role_reads_feedback_and_only_leading_roles_moderate_it():
    # The decisions the "Benchmarking and voice" section of docs/permissions.md explains, pinned here.
    assert all(P.VIEW_FEEDBACK in granted for granted in TABLE.values())
    assert {role for role, granted in TABLE.items() if P.MODERATE_FEEDBACK in granted} == {
        Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ADMIN,
    }  # fmt: skip


@pytest.mark.parametrize("role", list(TABLE))
@pytest.mark.parametrize("permission", sorted(ALL))
def test_each_role_has_exactly_its_voice_permissions_on_its_unit_and_beneath(
    tree: dict[str, Unit], role: str, permission: Permission
) -> None:
    user = user_with_role(role, tree["org"])
    expected = permission in TABLE[role]
    assert can(user, permission, tree["org"]) is expected
    assert can(user, permission, tree["team"]) is expected  # beneath
    assert can(user, permission, tree["other_org"]) is False  # a sibling: never
    assert can(user, permission, tree["icb"]) is False  # above: never


@pytest.mark.parametrize("permission", sorted(ALL))
def test_anonymous_visitors_have_no_voice_permission(tree: dict[str, Unit], permission: Permission) -> None:
    assert can(AnonymousUser(), permission, tree["org"]) is False


@pytest.fixture
def answers(tree: dict[str, Unit]) -> dict[str, Answer]:
    ours = FeedbackFormFactory(unit=tree["team"])
    theirs = FeedbackFormFactory(unit=tree["other_org"])
    return {
        "shown": submit_answer(form=ours, rating="good", good="Kind staff"),
        "waiting": submit_answer(form=ours, rating="poor", better="My name is Jane Smith, slow"),
        "theirs": submit_answer(form=theirs, rating="good", good="Lovely"),
    }


def test_answers_are_listed_only_beneath_where_the_person_may_see_feedback(
    tree: dict[str, Unit], answers: dict[str, Answer]
) -> None:
    member = user_with_role(Role.MEMBER, tree["org"])
    assert set(visible_to(member, Answer.objects.all())) == {answers["shown"], answers["waiting"]}
    outsider = user_with_role(Role.MEMBER, tree["other_org"])
    assert set(visible_to(outsider, Answer.objects.all())) == {answers["theirs"]}


def test_waiting_answers_reach_only_moderators(tree: dict[str, Unit], answers: dict[str, Answer]) -> None:
    from spiral.voice import queries

    member = user_with_role(Role.MEMBER, tree["org"])
    lead = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    assert set(queries.answers(member)) == {answers["shown"]}
    assert set(queries.answers(lead)) == {answers["shown"], answers["waiting"]}


def test_stories_are_scoped_like_answers(tree: dict[str, Unit]) -> None:
    story, _ = create_story(unit=tree["org"], by=None, title="A story", teller="patient", about="a patient",
                            text="It went well", consent_given_on="2025-01-01")  # fmt: skip
    assert list(visible_to(user_with_role(Role.PATIENT_PARTNER, tree["org"]), Story.objects.all())) == [story]
    assert not visible_to(user_with_role(Role.LEADER, tree["other_org"]), Story.objects.all()).exists()


def test_api_answers_refuse_an_outsider_and_anonymous(
    tree: dict[str, Unit], answers: dict[str, Answer]
) -> None:
    outsider = user_with_role(Role.LEADER, tree["other_org"])
    assert client_for(outsider).get("/api/v1/feedback/responses?unit=RAA").status_code == 403
    assert client_for(None).get("/api/v1/feedback/responses?unit=RAA").status_code == 401
    member = user_with_role(Role.MEMBER, tree["org"])
    body = client_for(member).get("/api/v1/feedback/responses?unit=RAA").json()
    assert body["count"] == 1 and body["items"][0]["good"] == "Kind staff"


@pytest.mark.parametrize(
    ("role", "name", "path"),
    [
        (Role.MEMBER, "voice:review", "/feedback/units/RAA/review/"),
        (Role.IMPROVEMENT_LEAD, "voice:review", "/feedback/units/RAA/review/"),
        (Role.MEMBER, "voice:form-create", "/feedback/units/RAA/forms/new/"),
        (Role.LEADER, "voice:form-create", "/feedback/units/RAA/forms/new/"),
        (Role.PATIENT_PARTNER, "voice:board", "/feedback/units/RAA/stories/"),
        (Role.PATIENT_PARTNER, "voice:story-create", "/feedback/units/RAA/stories/new/"),
        (Role.MEMBER, "voice:import", "/feedback/import/"),
        (Role.ANALYST, "voice:import", "/feedback/import/"),
        (Role.MEMBER, "voice:export", "/feedback/units/RAA/export.csv"),
    ],
)
def test_pages_follow_the_table(tree: dict[str, Unit], role: str, name: str, path: str) -> None:
    # The answer comes from the one access table (spiral/organisations/access.py) and the role table.
    from spiral.organisations.access import ROUTES, Answer, expected

    allowed = expected(ROUTES[name].methods["GET"], role, inside=True) is Answer.ALLOWED
    assert client_for(user_with_role(role, tree["org"])).get(path).status_code == (200 if allowed else 403)


def test_an_outsider_sees_forms_but_not_answers_of_another_unit(
    tree: dict[str, Unit], answers: dict[str, Answer]
) -> None:
    outsider = user_with_role(Role.LEADER, tree["other_org"])
    html = client_for(outsider).get("/feedback/units/RAA/").content.decode()
    assert "Tell us about your care" in html
    assert "Kind staff" not in html
    assert "answers and stories are not shown to you" in html
    assert client_for(outsider).get("/feedback/units/RAA/export.csv").status_code == 403
    assert client_for(outsider).get(f"/feedback/answers/{answers['shown'].pk}/").status_code == 404


@pytest.mark.parametrize("permission", sorted(ALL))
def test_no_role_means_no_voice_permission_and_a_superuser_has_all(
    tree: dict[str, Unit], permission: Permission
) -> None:
    from tests.factories import UserFactory

    assert can(UserFactory(), permission, tree["org"]) is False
    assert can(UserFactory(is_superuser=True), permission, tree["org"]) is True


def test_everyone_may_answer_and_anyone_signed_in_may_see_forms_and_benchmarking(
    tree: dict[str, Unit],
) -> None:
    from tests.factories import UserFactory

    form = FeedbackFormFactory(unit=tree["org"])
    assert client_for(None).get(f"/f/{form.slug}/").status_code == 200
    nobody = client_for(UserFactory())
    assert nobody.get("/api/v1/feedback/forms?unit=RAA").json()["items"][0]["slug"] == form.slug
    assert nobody.get("/benchmarking/").status_code == 200
    assert client_for(None).get("/benchmarking/").status_code == 302
