"""The permission matrix: every page and API operation, every way of coming, inside and outside one's units.

The expected answers come from `spiral.organisations.access` (what each address needs) and
`spiral.organisations.permissions` (what each role grants): nothing here says who may do what.
Every URL pattern of the site and every operation of the API must have an entry there.

Each address is asked by the ten columns of docs/permissions.md — anonymous, signed in with no role, one
person for each unit role (held on the organisation Riverside Hospitals), a superuser — and by a patient
partner on the team of the inside project who holds no unit role, about an object on a team beneath Riverside
("inside") and about the same kind of object on a team of the trust next door ("outside"). Every
request runs in a savepoint that is rolled back, so the cast and objects are built once per module and
a permitted write does not change what the next person sees. A refused request must write nothing: the
SQL of each refused request is watched for INSERT, UPDATE and DELETE.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import get_resolver, reverse

from spiral.core import jobs
from spiral.core.models import Job
from spiral.organisations import access
from spiral.organisations.access import COLUMNS, TEAM, Answer, Route, Rule, expected
from spiral.organisations.models import ApiToken, Role, Unit, User
from tests.factories import (
    CommunityFactory,
    FeedbackFormFactory,
    MeasureFactory,
    MembershipFactory,
    ObservationFactory,
    ResourceFactory,
    SeriesFactory,
    TeamMemberFactory,
    UnitFactory,
    UserFactory,
)

PLACES = ("inside", "outside")
PEOPLE = (*COLUMNS, TEAM)  # the ten columns of docs/permissions.md, and a project's team
# Objects whose place does not change the answer (the person's own record, or nothing at all).
PLACELESS = {"", "self", "indicator", "admin"}


# --- every address has an entry ---------------------------------------------------------------------


_walk = access.walk
site_patterns = access.site_patterns
api_operations = access.api_operations


def test_every_page_of_the_site_has_an_entry_in_the_access_table():
    missing = [
        f"{name or '(unnamed)'}  /{route}"
        for name, route, _ in site_patterns()
        if route != "api/v1/" and access.route_for(name) is None
    ]
    assert not missing, (
        "These pages have no entry in spiral/organisations/access.py (PAGES): add one saying what each "
        "method needs, so the permission matrix tests it:\n" + "\n".join(missing)
    )


def test_every_api_operation_has_an_entry_in_the_access_table():
    missing = [op for op in api_operations() if op not in access.ROUTES]
    assert not missing, (
        "These API operations have no entry in spiral/organisations/access.py (API): add one:\n"
        + "\n".join(missing)
    )


def test_every_entry_of_the_access_table_names_a_real_address():
    names = {name for name, _, _ in site_patterns()}
    operations = set(api_operations())
    stale = [r.address for r in access.PAGES if r.address not in names]
    stale += [r.address for r in access.API if r.address not in operations]
    assert not stale, f"Entries of spiral/organisations/access.py for addresses that no longer exist: {stale}"


def test_every_url_pattern_of_the_api_is_an_operation_of_its_schema():
    # The page walk leaves the API's patterns to the schema: make sure none hides from both.
    paths = {op.split(" ", 1)[1] for op in api_operations()}
    routes = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        for _, route, _ in _walk(get_resolver().url_patterns)
    }
    api_routes = {
        r for r in routes if r.startswith("/api/v1/") and r not in ("/api/v1/openapi.json", "/api/v1/")
    }
    assert api_routes == paths


def test_every_entry_names_a_kind_of_object_the_matrix_can_build():
    assert (
        {route.obj for route in access.PAGES + access.API} <= set(access.OBJECTS) <= set(BUILDERS) | {"admin"}
    )


# --- the expected answers follow from the role table ------------------------------------------------


def test_an_object_one_may_not_see_answers_404_and_one_one_may_see_but_not_change_403():
    tag = Rule(access.Permission.TAG_FEEDBACK, hidden_without=access.Permission.VIEW_FEEDBACK)
    assert expected(tag, Role.PATIENT_PARTNER, inside=True) is Answer.FORBIDDEN  # sees, may not tag
    assert expected(tag, Role.PATIENT_PARTNER, inside=False) is Answer.NOT_FOUND  # does not even see
    assert expected(tag, Role.MEMBER, inside=True) is Answer.ALLOWED
    assert expected(tag, "anonymous", inside=True) is Answer.SIGN_IN
    assert expected(tag, "superuser", inside=False) is Answer.ALLOWED


def test_a_project_team_changes_its_own_project_and_nothing_else():
    change = Rule(access.Permission.CHANGE_PROJECT)
    assert expected(change, TEAM, inside=True, obj="cycle") is Answer.ALLOWED
    assert expected(change, TEAM, inside=False, obj="cycle") is Answer.FORBIDDEN  # another project
    assert expected(change, TEAM, inside=True, obj="unit") is Answer.FORBIDDEN
    assert (
        expected(Rule(access.Permission.CREATE_PROJECT), TEAM, inside=True, obj="project") is Answer.FORBIDDEN
    )


def test_a_role_reaches_only_the_units_where_it_is_held_unless_the_address_names_none():
    change = Rule(access.Permission.CHANGE_UNIT)
    assert expected(change, Role.LEADER, inside=True) is Answer.ALLOWED
    assert expected(change, Role.LEADER, inside=False) is Answer.FORBIDDEN
    anywhere = Rule(access.Permission.IMPORT_UNITS, on=access.ANYWHERE)
    assert expected(anywhere, Role.ADMIN, inside=False) is Answer.ALLOWED
    assert expected(anywhere, Role.LEADER, inside=True) is Answer.FORBIDDEN


# --- the cast and the objects, built once -----------------------------------------------------------


@dataclass
class Person:
    column: str
    user: User | None
    page: Client
    api_headers: dict[str, str]
    own_token: ApiToken | None = None
    own_job: Job | None = None


@dataclass
class World:
    people: dict[str, Person]
    objects: dict[str, dict[str, Any]]  # place -> kind -> object(s)


def _tree() -> dict[str, Unit]:
    nation = UnitFactory(kind="nation", code="ENG", name="England", parent=None)
    region = UnitFactory(kind="region", code="Y56", name="London", parent=nation)
    icb = UnitFactory(kind="icb", code="QAA", name="NHS Riverside ICB", parent=region)
    org = UnitFactory(kind="organisation", code="RAA", name="Riverside Hospitals", parent=icb,
                      organisation_type="acute_trust")  # fmt: skip
    directorate = UnitFactory(kind="directorate", code="RAA-MED", name="Medicine", parent=org)
    team = UnitFactory(kind="team", code="RAA-MED-01", name="Ward 1", parent=directorate)
    other_org = UnitFactory(kind="organisation", code="RBB", name="Hillside Trust", parent=icb,
                            organisation_type="community_trust")  # fmt: skip
    other_team = UnitFactory(kind="team", code="RBB-T1", name="District nurses", parent=other_org)
    return {"nation": nation, "org": org, "team": team, "other_org": other_org, "other_team": other_team}


def _objects_on(unit: Unit, indicator: Any, n: int) -> dict[str, Any]:
    """One object of every kind, belonging to `unit` (a team)."""
    from spiral.knowledge import services as knowledge
    from spiral.measurement import services as measurement
    from spiral.priorities import services as priorities
    from spiral.projects import services as projects
    from spiral.projects.measures import link_series
    from spiral.voice.services import create_story, submit_answer

    filler = UserFactory(display_name=f"Filler {n}")
    membership = MembershipFactory(user=filler, unit=unit, role=Role.MEMBER)
    measure = MeasureFactory(owner=unit, code=f"MX{n}")
    bare_measure = MeasureFactory(owner=unit, code=f"MB{n}")  # no series yet: its page records the first
    series = SeriesFactory(measure=measure, unit=unit)
    observation = ObservationFactory(series=series, period_start=dt.date(2025, 1, 1))
    annotation = measurement.add_annotation(
        series=series, period="2025-01", kind="event", text="Opened", by=None
    )
    project = projects.create_project(unit=unit, title=f"Falls {n}", problem="Falls at night",
                                      aim="Halve falls by spring", status="active", by=None)  # fmt: skip
    member = projects.add_team_member(project=project, user=filler, role="member", by=None)
    aim = project.nodes.get(kind="aim")
    driver = projects.add_node(
        project=project, kind="primary", text="Safer nights", parents=[aim.pk], by=None
    )
    idea = projects.create_change_idea(project=project, title="Night checks", parents=[driver.pk], by=None)
    cycle = projects.create_cycle(project=project, change_idea=idea, objective="Try it", by=None)
    link = link_series(project=project, series=series, role="process", by=None)
    entry = projects.add_journal_entry(project=project, text="Started", by=None,
                                       files=[SimpleUploadedFile("notes.txt", b"notes", "text/plain")])  # fmt: skip
    resource = ResourceFactory(unit=unit, title=f"Guide {n}")
    community = CommunityFactory(unit=unit, name=f"Falls community {n}")
    form = FeedbackFormFactory(unit=unit)
    answer = submit_answer(form=form, rating="good", good="Kind staff")
    story, _ = create_story(unit=unit, by=None, title="A story", teller="patient", about="a patient",
                            text="It went well", consent_given_on="2025-01-01")  # fmt: skip
    field_test = knowledge.create_field_test(sponsor=unit, title=f"Test {n}", change_idea="Night checks",
                                             measure=measure, starts_on=dt.date(2026, 1, 1),
                                             ends_on=dt.date(2026, 6, 1), by=None)  # fmt: skip
    knowledge.join_community(community=community, by=filler)
    thread = knowledge.start_thread(community=community, title="Hello", body="Welcome", by=filler)
    # A goal of the unit above the team (which the team may answer), and the team's adaptation of it.
    goal = priorities.set_goal(unit=unit.parent, by=None, title=f"Zero harm {n}", target_date=dt.date(2027, 3, 31),
                               measures=[(indicator, 0.9)], category="safety")  # fmt: skip
    adapted = priorities.respond(goal=goal, unit=unit, by=None, response="adapt", target=0.8,
                                 reason="Our baseline is lower")  # fmt: skip
    from spiral.reporting.services import store_board_pack

    board_pack = store_board_pack(unit=unit, month=dt.date(2025, 1, 1), trigger="on_demand",
                                  html="<h1>Pack</h1>", by=None, job=None)  # fmt: skip
    backlog_idea = priorities.add_idea(unit=unit, by=None, problem="Patients wait for medicines",
                                       idea="Pharmacy on the ward round", helps="Patients going home")  # fmt: skip
    round_note = priorities.leave_round_note(unit=unit, by=None, kind="question", text="What did you learn?")
    decision = priorities.log_decision(unit=unit, by=None, what="Open a discharge lounge", why="Beds wait",
                                       decided_by="The team", decided_on=dt.date(2025, 1, 1))  # fmt: skip
    return {
        "goal": goal, "cascaded_goal": adapted, "backlog_idea": backlog_idea, "board_pack": board_pack,
        "round_note": round_note, "decision": decision,
        "unit": unit, "bare_measure": bare_measure, "membership": membership, "person": filler, "measure": measure, "series": series,
        "observation": observation, "annotation": annotation, "project": project, "team_member": member,
        "node": driver, "idea": idea, "cycle": cycle, "project_measure": link,
        "attachment": entry.attachments.get(), "resource": resource, "community": community, "thread": thread,
        "field_test": field_test, "form": form, "answer": answer, "story": story, "indicator": indicator,
    }  # fmt: skip


def _person(column: str, org: Unit) -> Person:
    from spiral.organisations import services

    if column == "anonymous":
        return Person(column, None, Client(), {})
    user = UserFactory(display_name=f"The {column}", is_superuser=column == "superuser",
                       is_staff=column == "superuser", password=make_password("x"))  # fmt: skip
    if column in Role.values:
        MembershipFactory(user=user, unit=org, role=column)
    token, raw = services.create_api_token(user=user, name="matrix", by=None)
    job = jobs.start("matrix.job", title=f"The {column}'s import", by=user)
    page = Client()
    page.force_login(user)
    return Person(column, user, page, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, token, job)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        tree = _tree()
        indicator = MeasureFactory(owner=tree["nation"], code="IND1", is_indicator=True, chart="p")
        objects = {
            "inside": _objects_on(tree["team"], indicator, 1),
            "outside": _objects_on(tree["other_team"], indicator, 2),
        }
        people = {column: _person(column, tree["org"]) for column in PEOPLE}
        TeamMemberFactory(
            project=objects["inside"]["project"], user=people[TEAM].user, role="patient_partner"
        )
        cache.clear()
        yield World(people, objects)
        transaction.set_rollback(True)


# --- addresses and bodies ---------------------------------------------------------------------------


def _kwargs(kind: str, objects: dict[str, Any], person: Person, place: str, world: World) -> dict[str, Any]:
    """Every argument an address of this kind may need."""
    o = objects
    if kind in ("", "self"):
        return {}
    if kind == "token":
        token = person.own_token if place == "inside" else world.people["no role"].own_token
        if person.column == "no role" and place == "outside":
            token = world.people["member"].own_token
        return {"token_id": token.pk if token else 1}
    if kind == "job":
        job = person.own_job if place == "inside" else world.people["no role"].own_job
        if person.column == "no role" and place == "outside":
            job = world.people["member"].own_job
        return {"job_id": job.pk if job else 1}
    return BUILDERS[kind](o)


BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "": lambda o: {},
    "admin": lambda o: {},
    "self": lambda o: {},
    "token": lambda o: {},
    "job": lambda o: {},
    "unit": lambda o: {"code": o["unit"].code, "fmt": "csv"},
    "membership": lambda o: {"code": o["unit"].code, "membership_id": o["membership"].pk},
    "person": lambda o: {"person_id": o["person"].pk},
    "measure": lambda o: {"pk": o["measure"].pk, "measure_id": o["measure"].pk},
    "measure_unit": lambda o: {
        "pk": o["bare_measure"].pk,
        "measure_id": o["bare_measure"].pk,
        "code": o["unit"].code,
        "fmt": "csv",
    },
    "series": lambda o: {"pk": o["series"].pk, "series_id": o["series"].pk, "fmt": "csv"},
    "observation": lambda o: {
        "pk": o["series"].pk,
        "obs_id": o["observation"].pk,
        "observation_id": o["observation"].pk,
    },
    "annotation": lambda o: {"pk": o["series"].pk, "annotation_id": o["annotation"].pk},
    "project": lambda o: {"pk": o["project"].pk, "project_id": o["project"].pk},
    "team_member": lambda o: {
        "pk": o["project"].pk,
        "project_id": o["project"].pk,
        "member_id": o["team_member"].pk,
    },
    "node": lambda o: {"pk": o["project"].pk, "node_id": o["node"].pk, "direction": "down"},
    "idea": lambda o: {"pk": o["project"].pk, "project_id": o["project"].pk, "idea_id": o["idea"].pk},
    "cycle": lambda o: {"pk": o["project"].pk, "cycle_id": o["cycle"].pk},
    "project_measure": lambda o: {
        "pk": o["project"].pk,
        "project_id": o["project"].pk,
        "link_id": o["project_measure"].pk,
    },
    "attachment": lambda o: {"pk": o["project"].pk, "attachment_id": o["attachment"].pk},
    "resource": lambda o: {"pk": o["resource"].pk},
    "community": lambda o: {"pk": o["community"].pk},
    "thread": lambda o: {"pk": o["thread"].pk},
    "field_test": lambda o: {"pk": o["field_test"].pk},
    "site": lambda o: {"pk": o["field_test"].pk},
    "form": lambda o: {"pk": o["form"].pk},
    "slug": lambda o: {"slug": o["form"].slug},
    "answer": lambda o: {"pk": o["answer"].pk},
    "story": lambda o: {"pk": o["story"].pk},
    "goal": lambda o: {"pk": o["goal"].pk, "goal_id": o["goal"].pk},
    "cascaded_goal": lambda o: {"pk": o["cascaded_goal"].pk, "goal_id": o["cascaded_goal"].pk},
    "backlog_idea": lambda o: {"pk": o["backlog_idea"].pk, "idea_id": o["backlog_idea"].pk},
    "board_pack": lambda o: {"pk": o["board_pack"].pk, "fmt": "html"},
    "round_note": lambda o: {"pk": o["round_note"].pk, "note_id": o["round_note"].pk},
    "decision": lambda o: {"pk": o["decision"].pk},
    "indicator": lambda o: {"code": o["indicator"].code, "measure_code": o["indicator"].code, "fmt": "csv"},
}

# Query strings some addresses name their object with.
QUERIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "measurement:measure-create": lambda o: f"?unit={o['unit'].code}",
    "GET /api/v1/feedback/responses": lambda o: f"?unit={o['unit'].code}",
    "GET /api/v1/decisions": lambda o: f"?unit={o['unit'].code}",
    "GET /api/v1/ideas": lambda o: f"?unit={o['unit'].code}",
}

# Form bodies that reach the permission check of a page's POST (an empty form stops before it).
PAGE_BODIES: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "knowledge:adopt": lambda o: {"unit": o["unit"].code},
    "knowledge:field-test-join": lambda o: {"unit": o["unit"].code},
    "projects:measures": lambda o: {"action": "link"},
    "voice:answer": lambda o: {"themes-submit": "1"},
    "priorities:goal-create": lambda o: {"title": "A goal"},
    "priorities:respond": lambda o: {"unit": o["unit"].code, "response": "adopt"},
    "priorities:catchball": lambda o: {"kind": "reply", "text": "We can do more"},
    "priorities:idea-score": lambda o: {"impact": "3", "effort": "2", "alignment": "4"},
    "priorities:idea-move": lambda o: {"to": "discussion", "why": "The huddle agreed"},
    "priorities:project-goals": lambda o: {"goal": str(o["goal"].pk)},
    "priorities:breakthrough": lambda o: {"breakthrough-title": "Halve falls", "breakthrough-year": "2026"},
}

# Minimal bodies for API writes, naming the object of the place (an empty body fails validation first).
API_BODIES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "POST /api/v1/units": lambda o: {
        "code": "MXNEW",
        "name": "New ward",
        "kind": "team",
        "parent": o["unit"].code,
    },
    "POST /api/v1/memberships": lambda o: {
        "user": o["person"].email,
        "unit": o["unit"].code,
        "role": "coach",
    },
    "POST /api/v1/measures": lambda o: {"code": "MXNEW", "name": "New measure", "owner": o["unit"].code},
    "POST /api/v1/observations": lambda o: {
        "observations": [
            {"unit": o["unit"].code, "measure": o["measure"].code, "period": "2025-02", "value": 3}
        ]
    },
    "POST /api/v1/projects": lambda o: {"unit": o["unit"].code, "title": "A new project"},
    "POST /api/v1/projects/{project_id}/team": lambda o: {"user": o["person"].email, "role": "member"},
    "PUT /api/v1/projects/{project_id}/driver-diagram": lambda o: {"nodes": []},
    "POST /api/v1/projects/{project_id}/change-ideas": lambda o: {"title": "Another idea"},
    "POST /api/v1/projects/{project_id}/pdsa-cycles": lambda o: {
        "change_idea": o["idea"].pk,
        "objective": "Again",
    },
    "POST /api/v1/projects/{project_id}/progress": lambda o: {"score": 1},
    "POST /api/v1/projects/{project_id}/measures": lambda o: {"series": o["series"].pk, "role": "balancing"},
    "POST /api/v1/feedback/forms/{slug}/responses": lambda o: {"rating": "good"},
    "POST /api/v1/goals": lambda o: {
        "unit": o["unit"].code,
        "title": "A goal",
        "target_date": "2027-03-31",
        "measures": [{"measure": o["measure"].code, "target": 5}],
    },
    "PATCH /api/v1/goals/{goal_id}": lambda o: {"title": "Zero harm, everywhere"},
    "POST /api/v1/goals/{goal_id}/responses": lambda o: {"unit": o["unit"].code, "response": "adopt"},
    "POST /api/v1/goals/{goal_id}/catchball": lambda o: {"kind": "reply", "text": "We can do more"},
    "POST /api/v1/ideas": lambda o: {
        "unit": o["unit"].code,
        "problem": "Long waits",
        "idea": "Text reminders",
        "helps": "Patients",
    },
    "POST /api/v1/ideas/{idea_id}/scores": lambda o: {"impact": 3, "effort": 2, "alignment": 4},
    "POST /api/v1/ideas/{idea_id}/moves": lambda o: {"to": "discussion", "why": "The huddle agreed"},
    "POST /api/v1/ideas/similar": lambda o: {"unit": o["unit"].code, "idea": "Text reminders"},
    "PATCH /api/v1/goals/{goal_id}/measures": lambda o: {"measure": "NOPE", "role": "watch"},
    "PUT /api/v1/units/{code}/idea-weights": lambda o: {
        "impact": 50,
        "effort": 20,
        "alignment": 30,
        "patient_share": 50,
    },
    "POST /api/v1/units/{code}/rounds": lambda o: {"kind": "recognition", "text": "Well done"},
    "POST /api/v1/rounds/{note_id}/answer": lambda o: {"answer": "We learnt a lot"},
    "POST /api/v1/decisions": lambda o: {
        "unit": o["unit"].code,
        "what": "Safety huddle daily",
        "why": "Falls rose",
        "decided_by": "Ward 1 huddle",
        "decided_on": "2025-11-14",
    },
    "POST /api/v1/projects/{project_id}/goals": lambda o: {"goal": o["goal"].pk},
    "POST /api/v1/goals/{goal_id}/breakthroughs": lambda o: {"title": "Halve falls with harm", "year": 2026},
    "POST /api/v1/resources": lambda o: {
        "title": "A guide",
        "kind": "guide",
        "summary": "How to",
        "unit": o["unit"].code,
    },
    "POST /api/v1/communities": lambda o: {"name": "A new community", "unit": o["unit"].code},
    "POST /api/v1/communities/{pk}/threads": lambda o: {
        "title": "A question",
        "body": "Has anyone tried it?",
    },
    "POST /api/v1/threads/{pk}/replies": lambda o: {"body": "Yes"},
    "POST /api/v1/projects/{project_id}/watch/acknowledge": lambda o: {"alert": 1, "note": "A known cause"},
    "POST /api/v1/projects/{project_id}/assessments": lambda o: {
        "instrument": "nhs-sustainability-model",
        "answers": {},
    },
    "POST /api/v1/field-tests": lambda o: {
        "title": "A test",
        "sponsor": o["unit"].code,
        "change_idea": "Checks",
        "measure": o["measure"].code,
        "starts_on": "2026-01-01",
        "ends_on": "2026-06-01",
    },
    "POST /api/v1/field-tests/{pk}/sites": lambda o: {"unit": o["unit"].code},
    "POST /api/v1/training-records": lambda o: {
        "person": o["person"].email,
        "tier": "awareness",
        "completed_on": "2025-01-01",
        "provider": "QI team",
    },
    "POST /api/v1/headcounts": lambda o: {"unit": o["unit"].code, "period": "2025-01", "staff": 40},
    "POST /api/v1/units/{code}/survey-responses": lambda o: {"instrument": "team-culture", "answers": {}},
    "POST /api/v1/adoptions": lambda o: {"source_project": o["project"].pk, "unit": o["unit"].code},
}


def _page_path(route: Route, kwargs: dict[str, Any]) -> str:
    pattern = next(p for name, _, p in site_patterns() if name == route.address)
    wanted = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    return reverse(route.address, kwargs={k: v for k, v in kwargs.items() if k in wanted})


def _api_path(route: Route, kwargs: dict[str, Any]) -> str:
    path = route.address.split(" ", 1)[1]
    return re.sub(r"\{(\w+)\}", lambda m: str(kwargs[m.group(1)]), path)


# --- sending and judging ----------------------------------------------------------------------------

# Writes that are not the request's doing: the session, sign-in throttling, a token's "last used".
# The SPC analysis of a series and the search index are caches filled when a page first reads them.
_BOOKKEEPING = re.compile(
    r'"?(django_session|axes_\w+|spiral_cache|measurement_analysis|knowledge_search\w*|knowledge_fts\w*)"?'
    r"|last_used_at",
    re.IGNORECASE,
)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@dataclass
class Outcome:
    answer: str
    status: int
    writes: list[str]
    detail: str = ""


def send(person: Person, method: str, path: str, body: Any, *, is_api: bool) -> Outcome:
    """Send one request in a savepoint that is rolled back; classify its answer; record its writes."""
    writes: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if _WRITE.match(sql) and not _BOOKKEEPING.search(sql):
            writes.append(sql[:120])
        return execute(sql, params, many, context)

    client = person.page if not is_api else Client()
    cookies = SimpleCookie(client.cookies)
    extra = person.api_headers if is_api else {}
    try:
        with transaction.atomic(), connection.execute_wrapper(watch):
            try:
                if is_api:
                    data = json.dumps(body if body is not None else {}) if method != "GET" else None
                    kwargs = {"content_type": "application/json"} if data is not None else {}
                    response = getattr(client, method.lower())(path, data, **kwargs, **extra)
                else:
                    response = getattr(client, method.lower())(path, body or {}, **extra)
            finally:
                transaction.set_rollback(True)
    except Exception as exc:  # a server error: the test client re-raises the view's exception
        return Outcome("500", 500, writes, f"{type(exc).__name__}: {exc}")
    finally:
        client.cookies = cookies
    if response.streaming:
        # Reading a download to its end closes its file (the test client's wrapper does so without
        # closing the database connection, as response.close() would outside it on PostgreSQL).
        b"".join(response.streaming_content)
    staff = bool(person.user and person.user.is_staff)
    return Outcome(
        classify(response, is_api=is_api, staff=staff), response.status_code, writes, _detail(response)
    )


def _detail(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.content.decode()[:200]
    return response.get("Location", "")


def classify(response: Any, *, is_api: bool, staff: bool = False) -> str:
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303, 307, 308) else ""
    if status == 401 or location.startswith("/sign-in/?next="):
        return Answer.SIGN_IN
    if not staff and (location.startswith("/admin/login/") or location == "/admin/"):
        return Answer.STAFF_SIGN_IN  # the admin's index sends on to its sign-in
    if status == 403:
        return Answer.FORBIDDEN
    if status == 404:
        return Answer.NOT_FOUND
    if status < 400 or status in (400, 409, 413, 422):
        return Answer.ALLOWED  # a body refused after the permission check is "allowed past it"
    return str(status)


def places_for(route: Route) -> tuple[str, ...]:
    return ("inside",) if route.obj in PLACELESS else PLACES


def ask(world: World, route: Route, method: str, column: str, place: str) -> Outcome:
    person = world.people[column]
    objects = world.objects[place]
    kwargs = _kwargs(route.obj, objects, person, place, world)
    query = QUERIES.get(route.address, lambda o: "")(objects)
    if route.is_api:
        path = _api_path(route, kwargs) + query
        body = API_BODIES[route.address](objects) if route.address in API_BODIES else None
        return send(person, method, path, body, is_api=True)
    path = _page_path(route, kwargs) + query
    body = PAGE_BODIES[route.address](objects) if method == "POST" and route.address in PAGE_BODIES else None
    return send(person, method, path, body, is_api=False)


def mismatches(world: World, route: Route, method: str, rule: Rule) -> list[str]:
    found = []
    for column in PEOPLE:
        for place in places_for(route):
            want = expected(rule, column, inside=place == "inside", obj=route.obj)
            got = ask(world, route, method, column, place)
            if want == Answer.FORBIDDEN and got.status == rule.refused_as:
                pass  # a bulk write refuses the rows it may not write, all in one answer
            elif got.answer != want:
                found.append(
                    f"{column:>16} {place:<7}: expected {want}, got {got.status} ({got.answer}) {got.detail}"
                )
            elif want != Answer.ALLOWED and got.writes:
                found.append(f"{column:>16} {place:<7}: refused ({got.status}) but wrote {got.writes}")
    return found


# Known mismatches between the table and the code: (address, method) -> why, until fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _cases() -> list[Any]:
    cases = []
    for route, method, rule in access.entries():
        if route.obj == "admin":
            continue  # test_every_page_of_the_django_admin_is_for_staff_only
        marks = []
        if (route.address, method) in KNOWN:
            marks.append(pytest.mark.xfail(reason=KNOWN[route.address, method], strict=True))
        cases.append(pytest.param(route, method, rule, id=f"{method} {route.address}", marks=marks))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "rule"), _cases())
def test_every_person_gets_the_answer_the_table_gives(world: World, route: Route, method: str, rule: Rule):
    found = mismatches(world, route, method, rule)
    assert not found, f"{method} {route.address} (needs {rule.needs}):\n" + "\n".join(found)


# --- methods an address does not declare ------------------------------------------------------------


def _undeclared() -> list[Any]:
    cases = []
    for route in access.PAGES:
        if route.address.startswith("admin:"):
            continue  # the Django admin's own views
        for method in ("GET", "POST"):
            if method not in route.methods:
                cases.append(pytest.param(route, method, id=f"{method} {route.address}"))
    declared: dict[str, set[str]] = {}
    for route in access.API:
        method, path = route.address.split(" ", 1)
        declared.setdefault(path, set()).add(method)
    for path, methods in declared.items():
        for method in sorted(set(access.API_METHODS) - methods):
            route = access.ROUTES[f"{sorted(methods)[0]} {path}"]
            cases.append(pytest.param(route, method, id=f"{method} {path}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), _undeclared())
def test_a_method_an_address_does_not_declare_is_refused_or_read_and_writes_nothing(
    world: World, route: Route, method: str
):
    # A page's undeclared POST is refused with 405 or read like its GET (the view ignores the method);
    # an undeclared GET of a form that only posts answers 405; the API answers 405 to every person.
    found = []
    declared = next(iter(route.methods.values()))
    for column in PEOPLE:
        got = ask(world, route, method, column, "inside")
        if route.is_api or method == "GET":
            allowed = {"405"} if route.is_api or column != "anonymous" else {Answer.SIGN_IN}
            if declared.needs is access.Open.PUBLIC and column == "anonymous":
                allowed = {"405"}
        else:
            allowed = {"405", expected(route.methods["GET"], column, inside=True)}
        if got.answer not in allowed:
            found.append(f"{column:>16}: expected one of {sorted(allowed)}, got {got.status} {got.detail}")
        if got.writes:
            found.append(f"{column:>16}: {method} wrote {got.writes}")
    assert not found, f"{method} {route.address}:\n" + "\n".join(found)


# --- the Django admin -------------------------------------------------------------------------------


def _admin_pages() -> list[Any]:
    return [
        pytest.param(name, route, id=route)
        for name, route, _ in site_patterns()
        if name.startswith("admin:") and access.route_for(name).obj == "admin"
    ]


def _admin_path(name: str, route: str, world: World) -> str:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    if name == "admin:app_list":
        return "/admin/organisations/"
    if name == "admin:":  # the catch-all: an address the admin does not know
        return "/admin/organisations/unit"
    parts = route.split("/")
    values: dict[str, Any] = {}
    if "object_id" in route and name != "admin:view_on_site":
        model = apps.get_model(parts[1], parts[2])
        first = model.objects.order_by("pk").first()
        values["object_id"] = first.pk if first else 1
    if name == "admin:view_on_site":
        unit = world.objects["inside"]["unit"]
        values = {"content_type_id": ContentType.objects.get_for_model(unit).pk, "object_id": unit.pk}
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route"), _admin_pages())
def test_every_page_of_the_django_admin_is_for_staff_only(world: World, name: str, route: str):
    path = _admin_path(name, route, world)
    found = []
    for method, rule in access.route_for(name).methods.items():
        for column in PEOPLE:
            want = expected(rule, column, inside=True)
            got = send(world.people[column], method, path, None, is_api=False)
            if want == Answer.FORBIDDEN and got.status == rule.refused_as:
                continue
            if got.answer != want:
                found.append(
                    f"{method} {column:>16}: expected {want}, got {got.status} ({got.answer}) {got.detail}"
                )
    assert not found, f"{path}:\n" + "\n".join(found)
