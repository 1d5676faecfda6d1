"""What every address of Spiral needs: one entry per page and per API operation, for each method.

`permissions.py` says what each role grants (ROLE_PERMISSIONS, EVERYONE, OWN_RECORD); this module says
what each address asks for. Together they give the expected answer for any person on any object
(`expected`), which `tests/test_permission_matrix.py` checks for every role, inside and outside the
person's units, for every method, and which `docs/permissions.md` lists (`spiral permissions-doc`).
A page or API operation without an entry here fails that test: add one when you add an address.

The answer a refused person gets (docs/permissions.md, "Refusals"):
- anonymous visitors are sent to the sign-in page (pages) or get 401 (the API);
- an object the person may not even see answers 404, as if it did not exist;
- an object they may see but not change answers 403;
- the Django admin sends signed-in people who are not staff to its own sign-in page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from spiral.organisations.models import Role
from spiral.organisations.permissions import (
    EVERYONE,
    OWN_RECORD,
    ROLE_PERMISSIONS,
    TEAM_PERMISSIONS,
    Permission,
)


class Open(StrEnum):
    """Needs that are not a permission."""

    PUBLIC = "public"  # no sign-in at all
    SIGNED_IN = "signed in"  # any active signed-in person, whatever their roles
    STAFF = "staff"  # the Django admin: `is_staff` (superusers in Spiral)
    # The admin is read-only: records change only through Spiral's services, which audit each change.
    # Its add and delete pages refuse staff too (after sending everyone else to its sign-in).
    NOBODY = "nobody (the admin is read-only)"


ANYWHERE = "anywhere"  # the permission held on some unit: the address names no object to check it on


@dataclass(frozen=True)
class Rule:
    """What one method of one address needs.

    needs: a permission, or an Open need.
    on: what the permission is checked on: "object" (the object the address or body names) or ANYWHERE.
    hidden_without: without this permission on the object it is not even shown (answers 404).
    refused_as: the status a bulk write answers instead of 403, naming each row it may not write.
    """

    needs: Permission | Open
    on: str = "object"
    hidden_without: Permission | None = None
    refused_as: int | None = None

    def describe(self, noun: str) -> str:
        if isinstance(self.needs, Open):
            return self.needs.value
        if self.needs in OWN_RECORD:
            return f"`{self.needs.value}` on one's own {noun or 'record'}"
        if self.needs in EVERYONE:
            return f"`{self.needs.value}` (everyone signed in)"
        where = "on some unit" if self.on == ANYWHERE or not noun else f"on the {noun}"
        text = f"`{self.needs.value}` {where}"
        if self.hidden_without is not None:
            text += f"; hidden (404) without `{self.hidden_without.value}`"
        if self.refused_as is not None:
            text += f"; rows it may not write are refused with {self.refused_as}"
        return text


@dataclass(frozen=True)
class Route:
    """One page (a URL name) or one API operation ("PATCH /api/v1/units/{code}") and its methods.

    obj: the kind of object that fills the address (and the body): see OBJECTS; "" when none.
    methods: method -> Rule. A page's other methods are read like GET (or refused with 405) and must
    write nothing; an API path answers 405 to a method it does not declare.
    """

    address: str
    obj: str
    methods: Mapping[str, Rule]
    note: str = ""

    @property
    def is_api(self) -> bool:
        return self.address.split(" ", 1)[0] in API_METHODS


API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# The kinds of object an address names, as the generated docs call them. The matrix test builds each
# inside the person's units (on a team beneath the unit where the role is held) and outside them (on a
# team of the organisation next door).
OBJECTS: dict[str, str] = {
    "": "",
    "self": "profile",
    "token": "token",
    "job": "job",
    "unit": "unit",
    "membership": "role held on the unit",
    "person": "person",
    "measure": "measure's owning unit",
    "measure_unit": "unit",
    "series": "series' unit",
    "observation": "observation's unit",
    "annotation": "annotation's unit",
    "project": "project",
    "team_member": "project",
    "node": "project",
    "idea": "project",
    "cycle": "project",
    "project_measure": "project",
    "attachment": "project",
    "resource": "resource's unit",
    "community": "community's unit",
    "thread": "community's unit",
    "field_test": "sponsoring unit",
    "form": "form's unit",
    "slug": "form",
    "answer": "answer's unit",
    "story": "story's unit",
    "indicator": "indicator",
    "goal": "goal's unit",
    "cascaded_goal": "goal's unit",
    "backlog_idea": "idea's unit",
    "round_note": "board's unit",
    "decision": "decision's unit",
    "site": "unit that takes the change up",
    "board_pack": "board pack's unit",
    "admin": "",
}

P = Permission
SIGNED_IN = Rule(Open.SIGNED_IN)
PUBLIC = Rule(Open.PUBLIC)


def _r(needs: Permission | Open, on: str = "object", hidden_without: Permission | None = None) -> Rule:
    return Rule(needs, on, hidden_without)


def _any(needs: Permission) -> Rule:
    return Rule(needs, ANYWHERE)


VIEW_UNIT, VIEW_PERSON, VIEW_PROJECT = _r(P.VIEW_UNIT), _r(P.VIEW_PERSON), _r(P.VIEW_PROJECT)
SEARCH = _r(P.SEARCH_CATALOGUE)
CHANGE_PROJECT = _r(P.CHANGE_PROJECT)
_FEEDBACK = P.VIEW_FEEDBACK


def _read(rule: Rule) -> dict[str, Rule]:
    return {"GET": rule}


def _form(rule: Rule, post: Rule | None = None) -> dict[str, Rule]:
    """A page with a form: GET shows it, POST sends it."""
    return {"GET": rule, "POST": post or rule}


def _post(rule: Rule) -> dict[str, Rule]:
    return {"POST": rule}


PAGES: list[Route] = [
    # --- organisations (spiral/urls.py) ---
    Route("home", "", _read(SIGNED_IN)),
    Route("sign-in", "", _form(PUBLIC), "signed-in people are sent on to the home page"),
    Route("sign-out", "", _post(SIGNED_IN)),
    Route("password-change", "self", _form(_r(P.CHANGE_PERSON))),
    Route("profile", "self", _form(_r(P.CHANGE_PERSON))),
    Route("token-create", "self", _post(_r(P.MANAGE_TOKENS))),
    Route("token-revoke", "token", _post(_r(P.MANAGE_TOKENS))),
    Route("job", "job", _read(_r(P.VIEW_JOB)), "the progress of work one started"),
    Route("notifications", "", _form(SIGNED_IN), "each person sees and marks only their own"),
    Route("units:index", "", _read(VIEW_UNIT)),
    Route("units:import", "", _form(_any(P.IMPORT_UNITS))),
    Route("units:detail", "unit", _read(VIEW_UNIT)),
    Route("units:edit", "unit", _form(_r(P.CHANGE_UNIT))),
    Route("units:add", "unit", _form(_r(P.CHANGE_UNIT))),
    Route("units:move", "unit", _form(_r(P.CHANGE_UNIT))),
    Route("units:member-add", "unit", _form(_r(P.MANAGE_MEMBERS))),
    Route("units:member-remove", "membership", _post(_r(P.MANAGE_MEMBERS))),
    Route("people:search", "", _read(VIEW_PERSON)),
    Route("people:detail", "person", _read(VIEW_PERSON)),
    Route("audit", "", _read(_any(P.VIEW_AUDIT)), "shows only the changes within the admin's trees"),
    Route("healthz", "", _read(PUBLIC)),
    # --- knowledge ---
    Route("knowledge:search", "", _read(SEARCH)),
    Route("knowledge:similar", "project", _read(VIEW_PROJECT)),
    Route("knowledge:spread", "project", _read(VIEW_PROJECT)),
    Route("knowledge:adopt", "project", _form(VIEW_PROJECT, _r(P.CREATE_PROJECT)), "on the unit chosen"),
    Route("knowledge:resources", "", _read(SEARCH)),
    Route("knowledge:resource-new", "", _form(_any(P.CURATE_RESOURCE))),
    Route("knowledge:resource", "resource", _read(SEARCH)),
    Route("knowledge:resource-edit", "resource", _form(_r(P.CURATE_RESOURCE))),
    Route("knowledge:communities", "", _read(SEARCH)),
    Route("knowledge:community-new", "", _form(_any(P.CREATE_COMMUNITY))),
    Route("knowledge:community", "community", _read(SEARCH)),
    Route("knowledge:community-join", "community", _post(_r(P.JOIN_COMMUNITY))),
    Route("knowledge:community-leave", "community", _post(_r(P.JOIN_COMMUNITY))),
    Route("knowledge:thread-new", "community", _form(_r(P.JOIN_COMMUNITY)), "posting needs membership"),
    Route("knowledge:thread", "thread", _form(SEARCH, _r(P.JOIN_COMMUNITY)), "replying needs membership"),
    Route("knowledge:field-tests", "", _read(SEARCH)),
    Route("knowledge:field-test", "field_test", _read(SEARCH)),
    Route(
        "knowledge:field-test-join", "field_test", _form(SEARCH, _r(P.CREATE_PROJECT)), "on the unit chosen"
    ),
    # --- projects ---
    Route("projects:index", "", _read(VIEW_PROJECT)),
    Route("projects:mine", "", _read(VIEW_PROJECT)),
    Route("projects:coaching", "", _read(VIEW_PROJECT)),
    Route("projects:new", "", _form(_any(P.CREATE_PROJECT)), "and on the unit chosen"),
    Route("projects:new-similar", "", _post(_any(P.CREATE_PROJECT)), "lists only projects one may see"),
    Route("projects:unit", "unit", _read(VIEW_PROJECT), "redirects to the portfolio of the unit"),
    Route("projects:detail", "project", _read(VIEW_PROJECT)),
    Route("projects:edit", "project", _form(CHANGE_PROJECT)),
    Route("projects:close", "project", _form(CHANGE_PROJECT)),
    Route("projects:team", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:team-remove", "team_member", _post(CHANGE_PROJECT)),
    Route("projects:diagram", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:node-edit", "node", _form(CHANGE_PROJECT)),
    Route("projects:node-shift", "node", _post(CHANGE_PROJECT)),
    Route("projects:node-delete", "node", _post(CHANGE_PROJECT)),
    Route("projects:idea-new", "project", _form(CHANGE_PROJECT)),
    Route("projects:idea", "idea", _read(VIEW_PROJECT)),
    Route("projects:cycle-new", "project", _form(CHANGE_PROJECT)),
    Route("projects:cycle", "cycle", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:cycle-record", "cycle", _read(VIEW_PROJECT)),
    Route("projects:measures", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:measure-unlink", "project_measure", _post(CHANGE_PROJECT)),
    Route("projects:measure-aim", "project_measure", _post(CHANGE_PROJECT)),
    Route("projects:progress", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:journal", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("projects:attachment", "attachment", _read(VIEW_PROJECT)),
    # --- capability ---
    Route("capability:index", "", _read(SIGNED_IN)),
    Route(
        "capability:import",
        "",
        _form(SIGNED_IN),
        "each row: one's own training, or `record_training`/`record_headcount` there",
    ),
    Route(
        "capability:person",
        "person",
        _form(VIEW_PERSON, _r(P.RECORD_TRAINING)),
        "recording: the person, or on a unit they belong to",
    ),
    Route("capability:unit", "unit", _read(VIEW_UNIT)),
    Route("capability:export", "unit", _read(VIEW_UNIT)),
    Route("capability:record", "unit", _form(_r(P.RECORD_TRAINING))),
    Route("capability:headcount", "unit", _form(VIEW_UNIT, _r(P.RECORD_HEADCOUNT))),
    Route("capability:bucket", "unit", _read(VIEW_UNIT)),
    Route("capability:coaching", "unit", _read(VIEW_UNIT)),
    Route("capability:leaders", "unit", _read(VIEW_UNIT)),
    Route("capability:surveys", "unit", _read(VIEW_UNIT), "results only where enough people answered"),
    Route("capability:survey-answer", "unit", _form(VIEW_UNIT, _r(P.ANSWER_SURVEY))),
    # --- assessments ---
    Route(
        "assessments:project",
        "project",
        _form(VIEW_PROJECT, _r(P.ANSWER_ASSESSMENT)),
        "answering: the project's team only (no unit role grants it)",
    ),
    # --- sustainability ---
    Route("sustainability:handover", "project", _form(VIEW_PROJECT, CHANGE_PROJECT)),
    Route("sustainability:unit", "unit", _read(VIEW_UNIT), "lists the hand-overs of the unit and beneath it"),
    # --- reporting ---
    Route("reporting:success", "unit", _read(VIEW_UNIT), "closed projects of the unit and beneath it"),
    Route("reporting:success-export", "unit", _read(VIEW_UNIT)),
    Route("reporting:portfolio", "unit", _read(VIEW_UNIT)),
    Route("reporting:portfolio-export", "unit", _read(VIEW_UNIT)),
    Route("reporting:impact", "unit", _read(VIEW_UNIT)),
    Route("reporting:impact-export", "unit", _read(VIEW_UNIT)),
    Route(
        "reporting:board",
        "unit",
        _form(_r(_FEEDBACK), _r(P.CHANGE_UNIT)),
        "packs hold the story of the month; making one or changing the settings is the unit's leaders'",
    ),
    Route("reporting:board-preview", "unit", _read(_r(_FEEDBACK))),
    Route("reporting:pack", "board_pack", _read(_r(_FEEDBACK, hidden_without=_FEEDBACK))),
    Route("reporting:pack-download", "board_pack", _read(_r(_FEEDBACK, hidden_without=_FEEDBACK))),
    Route("reporting:comparative", "", _read(VIEW_UNIT)),
    Route("reporting:comparative-download", "indicator", _read(VIEW_UNIT)),
    # --- measurement ---
    Route("measurement:index", "", _read(VIEW_UNIT)),
    Route("measurement:measure-create", "unit", _form(_r(P.CHANGE_MEASURE)), "the unit is `?unit=<code>`"),
    Route("measurement:import", "", _form(_any(P.RECORD_DATA)), "or `change_measure` on some unit"),
    Route("measurement:measure", "measure", _read(VIEW_UNIT)),
    Route("measurement:measure-edit", "measure", _form(_r(P.CHANGE_MEASURE))),
    Route("measurement:series-for-unit", "measure_unit", _form(VIEW_UNIT, _r(P.RECORD_DATA))),
    Route("measurement:indicator-across", "measure_unit", _read(VIEW_UNIT), "the measure across the unit"),
    Route("measurement:indicator-across-export", "measure_unit", _read(VIEW_UNIT)),
    Route("measurement:series", "series", _form(VIEW_UNIT, _r(P.RECORD_DATA))),
    Route("measurement:series-export", "series", _read(VIEW_UNIT)),
    Route("measurement:observation-delete", "observation", _post(_r(P.RECORD_DATA))),
    Route(
        "measurement:series-rebase",
        "series",
        _form(VIEW_UNIT, _r(P.RECORD_DATA)),
        "a suggested recalculation",
    ),
    Route(
        "measurement:series-chart",
        "series",
        _post(_r(P.CHANGE_MEASURE)),
        "the suggested chart; checked on the measure's owning unit",
    ),
    Route("measurement:annotation-add", "series", _post(_r(P.RECORD_DATA))),
    Route("measurement:annotation-delete", "annotation", _post(_r(P.RECORD_DATA))),
    Route("measurement:unit", "unit", _read(VIEW_UNIT)),
    Route("measurement:unit-export", "unit", _read(VIEW_UNIT)),
    # --- voice ---
    Route("voice:index", "", _read(SIGNED_IN), "lists the units whose feedback the person may read"),
    Route("voice:import", "", _form(_any(P.IMPORT_FEEDBACK))),
    Route("voice:unit", "unit", _read(VIEW_UNIT), "answers are shown only with `view_feedback`"),
    Route("voice:review", "unit", _read(_r(P.MODERATE_FEEDBACK))),
    Route("voice:untagged", "unit", _read(_r(P.TAG_FEEDBACK))),
    Route("voice:board", "unit", _read(_r(_FEEDBACK))),
    Route("voice:story-create", "unit", _form(_r(P.MANAGE_FEEDBACK))),
    Route("voice:form-create", "unit", _form(_r(P.MANAGE_FEEDBACK))),
    Route("voice:export", "unit", _read(_r(_FEEDBACK))),
    Route("voice:form", "form", _read(VIEW_UNIT)),
    Route("voice:form-edit", "form", _form(_r(P.MANAGE_FEEDBACK))),
    Route("voice:poster", "form", _read(VIEW_UNIT)),
    Route("voice:qr", "form", _read(VIEW_UNIT)),
    Route(
        "voice:answer",
        "answer",
        _form(_r(_FEEDBACK, hidden_without=_FEEDBACK), _r(P.TAG_FEEDBACK, hidden_without=_FEEDBACK)),
        "tagging; linking to a project needs `manage_feedback`",
    ),
    Route("voice:moderate", "answer", _post(_r(P.MODERATE_FEEDBACK, hidden_without=_FEEDBACK))),
    Route(
        "voice:story",
        "story",
        _form(_r(_FEEDBACK, hidden_without=_FEEDBACK), _r(P.MANAGE_FEEDBACK, hidden_without=_FEEDBACK)),
    ),
    Route("voice:project", "project", _read(VIEW_PROJECT), "shows only the feedback the person may read"),
    Route("public_feedback:answer", "slug", _form(PUBLIC)),
    # --- priorities ---
    Route("priorities:index", "", _read(VIEW_UNIT)),
    Route("priorities:unit", "unit", _read(VIEW_UNIT)),
    Route("priorities:goal-create", "unit", _form(_r(P.SET_GOALS))),
    Route("priorities:goal", "goal", _read(VIEW_UNIT)),
    Route("priorities:decisions", "unit", _read(VIEW_UNIT)),
    Route("priorities:decision", "decision", _read(VIEW_UNIT)),
    Route("priorities:ideas", "unit", _read(VIEW_UNIT)),
    Route("priorities:idea-create", "unit", _form(_r(P.ADD_IDEA))),
    Route("priorities:idea", "backlog_idea", _read(VIEW_UNIT)),
    Route("priorities:idea-score", "backlog_idea", _post(_r(P.ADD_IDEA))),
    Route("priorities:idea-move", "backlog_idea", _post(_r(P.TRIAGE_IDEA))),
    Route("priorities:idea-similar", "unit", _post(_r(P.ADD_IDEA))),
    Route("priorities:weights", "unit", _form(VIEW_UNIT, _r(P.SET_GOALS))),
    Route("priorities:board", "unit", _read(VIEW_UNIT)),
    Route("priorities:round-note", "unit", _post(_r(P.WALK_ROUND))),
    Route("priorities:round-answer", "round_note", _post(_r(P.ANSWER_ROUND))),
    Route("priorities:goal-edit", "goal", _form(_r(P.SET_GOALS))),
    Route("priorities:goal-measure-role", "goal", _post(_r(P.SET_GOALS))),
    Route("priorities:decision-create", "unit", _form(_r(P.SET_GOALS))),
    Route("priorities:respond", "goal", _form(VIEW_UNIT, _r(P.SET_GOALS)), "on the unit chosen (beneath)"),
    Route("priorities:catchball", "cascaded_goal", _post(_r(P.SET_GOALS))),
    Route("priorities:cascade", "goal", _read(VIEW_UNIT)),
    Route("priorities:breakthrough", "goal", _post(_r(P.SET_GOALS))),
    Route(
        "priorities:project-goals",
        "project",
        _form(VIEW_PROJECT, CHANGE_PROJECT),
        "the goal named in the body",
    ),
    # --- benchmarking ---
    Route("benchmarking:index", "", _read(VIEW_UNIT)),
    Route("benchmarking:unit", "unit", _read(VIEW_UNIT)),
    Route("benchmarking:funnel", "indicator", _read(VIEW_UNIT)),
    Route("benchmarking:export", "indicator", _read(VIEW_UNIT)),
    # --- the Django admin's own sign-in and sign-out (the rest of /admin/ is PREFIX_RULES) ---
    Route(
        "admin:login", "", _read(SIGNED_IN), "staff go on to the admin; others are told they are not staff"
    ),
    Route("admin:logout", "admin", _post(Rule(Open.STAFF))),
    Route("admin:autocomplete", "admin", _read(Rule(Open.NOBODY)), "no admin page uses autocomplete fields"),
    Route(
        "admin:view_on_site",
        "admin",
        _read(Rule(Open.NOBODY, refused_as=404)),
        "no model has a page of its own",
    ),
    # --- the API's own pages ---
    Route("api:openapi-json", "", _read(PUBLIC), "the schema describes the API; it holds no data"),
]

# Every page of the Django admin (/admin/...) needs staff: the admin checks it itself. Its models are
# read-only (spiral.core.admin.ReadOnlyAdmin), so their add and delete pages refuse everyone; Django's
# groups and django-axes' lock-out records (cleared by deleting them) are the exceptions. The first
# pattern that matches the URL name wins.
PREFIX_RULES: dict[str, Route] = {
    r"admin:(?!auth_group_).*_add$": Route("admin:*_add", "admin", {"GET": Rule(Open.NOBODY)}),
    r"admin:(?!auth_group_|axes_).*_delete$": Route("admin:*_delete", "admin", {"GET": Rule(Open.NOBODY)}),
    r"admin:": Route("admin:*", "admin", {"GET": Rule(Open.STAFF)}),
}  # fmt: skip


def _api(method: str, path: str, obj: str, rule: Rule, note: str = "") -> Route:
    return Route(f"{method} /api/v1{path}", obj, {method: rule}, note)


API: list[Route] = [
    # --- organisations ---
    _api("GET", "/units", "", VIEW_UNIT),
    _api("POST", "/units", "unit", _r(P.CHANGE_UNIT), "on the parent named in the body"),
    _api("GET", "/units/{code}", "unit", VIEW_UNIT),
    _api("PATCH", "/units/{code}", "unit", _r(P.CHANGE_UNIT), "and on a new parent"),
    _api("GET", "/units/{code}/tree", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/memberships", "unit", VIEW_UNIT),
    _api("POST", "/memberships", "unit", _r(P.MANAGE_MEMBERS), "on the unit named in the body"),
    _api("DELETE", "/memberships/{membership_id}", "membership", _r(P.MANAGE_MEMBERS)),
    _api("GET", "/people", "", VIEW_PERSON),
    _api("GET", "/people/{person_id}", "person", VIEW_PERSON),
    _api("GET", "/people/{person_id}/memberships", "person", VIEW_PERSON),
    _api("GET", "/me", "", SIGNED_IN),
    _api("GET", "/jobs/{job_id}", "job", _r(P.VIEW_JOB)),
    _api("GET", "/notifications", "", SIGNED_IN, "each person's own"),
    _api("POST", "/notifications/read", "", SIGNED_IN, "marks only the person's own"),
    # --- measurement ---
    _api("GET", "/measures", "", VIEW_UNIT),
    _api("POST", "/measures", "unit", _r(P.CHANGE_MEASURE), "on the owner named in the body"),
    _api("GET", "/measures/{measure_id}", "measure", VIEW_UNIT),
    _api("PATCH", "/measures/{measure_id}", "measure", _r(P.CHANGE_MEASURE)),
    _api("GET", "/measures/{measure_id}/units/{code}/across", "measure_unit", VIEW_UNIT),
    _api("GET", "/series", "", VIEW_UNIT),
    _api("GET", "/series/{series_id}", "series", VIEW_UNIT),
    _api("GET", "/series/{series_id}/observations", "series", VIEW_UNIT),
    _api("GET", "/series/{series_id}/analysis", "series", VIEW_UNIT),
    _api(
        "POST", "/observations", "series", Rule(P.RECORD_DATA, refused_as=400), "and on the unit of every row"
    ),
    _api("PATCH", "/observations/{observation_id}", "observation", _r(P.RECORD_DATA)),
    _api("DELETE", "/observations/{observation_id}", "observation", _r(P.RECORD_DATA)),
    # --- projects ---
    _api("GET", "/projects", "", VIEW_PROJECT),
    _api("POST", "/projects", "unit", _r(P.CREATE_PROJECT), "on the unit named in the body"),
    _api("GET", "/projects/{project_id}", "project", VIEW_PROJECT),
    _api("PATCH", "/projects/{project_id}", "project", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/team", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/team", "project", CHANGE_PROJECT),
    _api("DELETE", "/projects/{project_id}/team/{member_id}", "team_member", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/driver-diagram", "project", VIEW_PROJECT),
    _api("PUT", "/projects/{project_id}/driver-diagram", "project", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/change-ideas", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/change-ideas", "project", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/pdsa-cycles", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/pdsa-cycles", "idea", CHANGE_PROJECT),
    _api("GET", "/pdsa-cycles/{cycle_id}", "cycle", VIEW_PROJECT),
    _api("PATCH", "/pdsa-cycles/{cycle_id}", "cycle", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/progress", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/progress", "project", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/measures", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/measures", "project", CHANGE_PROJECT),
    _api("DELETE", "/projects/{project_id}/measures/{link_id}", "project_measure", CHANGE_PROJECT),
    # --- benchmarking ---
    _api("GET", "/indicators/{measure_code}/funnel", "indicator", VIEW_UNIT),
    _api("GET", "/indicators/{measure_code}/gap", "indicator", VIEW_UNIT),
    # --- voice ---
    _api("GET", "/feedback/forms", "", SIGNED_IN),
    _api("POST", "/feedback/forms/{slug}/responses", "slug", PUBLIC),
    _api("GET", "/feedback/responses", "unit", _r(_FEEDBACK), "the unit is `?unit=<code>`"),
    # --- priorities ---
    _api("GET", "/goals", "", VIEW_UNIT),
    _api("POST", "/goals", "unit", _r(P.SET_GOALS), "on the unit named in the body"),
    _api("GET", "/goals/{goal_id}", "goal", VIEW_UNIT),
    _api("PATCH", "/goals/{goal_id}", "goal", _r(P.SET_GOALS)),
    _api("GET", "/goals/{goal_id}/cascade", "goal", VIEW_UNIT),
    _api("POST", "/goals/{goal_id}/responses", "goal", _r(P.SET_GOALS), "on the unit named in the body"),
    _api("GET", "/goals/{goal_id}/catchball", "cascaded_goal", VIEW_UNIT),
    _api("POST", "/goals/{goal_id}/catchball", "cascaded_goal", _r(P.SET_GOALS)),
    _api("POST", "/goals/{goal_id}/breakthroughs", "goal", _r(P.SET_GOALS)),
    _api("GET", "/goals/{goal_id}/bowling", "goal", VIEW_UNIT),
    _api("GET", "/goals/{goal_id}/projects", "goal", VIEW_UNIT),
    _api("GET", "/decisions", "unit", VIEW_UNIT, "the unit is `?unit=<code>`"),
    _api("GET", "/ideas", "unit", VIEW_UNIT, "the unit is `?unit=<code>`"),
    _api("POST", "/ideas", "unit", _r(P.ADD_IDEA), "on the unit named in the body"),
    _api("POST", "/ideas/{idea_id}/scores", "backlog_idea", _r(P.ADD_IDEA)),
    _api("POST", "/ideas/{idea_id}/moves", "backlog_idea", _r(P.TRIAGE_IDEA)),
    _api("POST", "/ideas/similar", "unit", _r(P.ADD_IDEA), "on the unit named in the body"),
    _api("PATCH", "/goals/{goal_id}/measures", "goal", _r(P.SET_GOALS)),
    _api("GET", "/units/{code}/idea-weights", "unit", VIEW_UNIT),
    _api("PUT", "/units/{code}/idea-weights", "unit", _r(P.SET_GOALS)),
    _api("GET", "/units/{code}/board", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/rounds", "unit", VIEW_UNIT),
    _api("POST", "/units/{code}/rounds", "unit", _r(P.WALK_ROUND)),
    _api("POST", "/rounds/{note_id}/answer", "round_note", _r(P.ANSWER_ROUND)),
    _api("POST", "/decisions", "unit", _r(P.SET_GOALS), "on the unit named in the body"),
    _api("GET", "/projects/{project_id}/goals", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/goals", "project", CHANGE_PROJECT, "the goal named in the body"),
    # --- knowledge ---
    _api("GET", "/search", "", SEARCH),
    _api("GET", "/projects/{pk}/similar", "project", VIEW_PROJECT),
    _api("GET", "/resources", "", SEARCH),
    _api("POST", "/resources", "unit", _r(P.CURATE_RESOURCE), "on the unit named in the body"),
    _api("GET", "/resources/{pk}", "resource", SEARCH),
    _api("PATCH", "/resources/{pk}", "resource", _r(P.CURATE_RESOURCE)),
    _api("GET", "/communities", "", SEARCH),
    _api("POST", "/communities", "unit", _r(P.CREATE_COMMUNITY), "on the unit named in the body"),
    _api("GET", "/communities/{pk}", "community", SEARCH),
    _api("POST", "/communities/{pk}/join", "community", _r(P.JOIN_COMMUNITY)),
    _api("POST", "/communities/{pk}/leave", "community", _r(P.JOIN_COMMUNITY)),
    _api("POST", "/communities/{pk}/links", "community", _r(P.CREATE_COMMUNITY), "or its facilitator"),
    _api("GET", "/communities/{pk}/threads", "community", SEARCH),
    _api("POST", "/communities/{pk}/threads", "community", _r(P.JOIN_COMMUNITY), "posting needs membership"),
    _api("POST", "/threads/{pk}/replies", "thread", _r(P.JOIN_COMMUNITY), "replying needs membership"),
    _api("GET", "/field-tests", "", SEARCH),
    _api("POST", "/field-tests", "unit", _r(P.SPONSOR_FIELD_TEST), "on the sponsor named in the body"),
    _api("GET", "/field-tests/{pk}", "field_test", SEARCH),
    _api("POST", "/field-tests/{pk}/sites", "site", _r(P.CREATE_PROJECT), "on the unit named in the body"),
    _api("GET", "/adoptions", "", SEARCH),
    _api("POST", "/adoptions", "site", _r(P.CREATE_PROJECT), "on the unit named in the body"),
    _api("GET", "/projects/{pk}/spread", "project", VIEW_PROJECT),
    # --- assessments ---
    _api("GET", "/assessment-instruments", "", SIGNED_IN),
    _api("GET", "/projects/{project_id}/assessments", "project", VIEW_PROJECT),
    _api("POST", "/projects/{project_id}/assessments", "project", _r(P.ANSWER_ASSESSMENT), "the team only"),
    # --- capability ---
    _api("GET", "/training-tiers", "", SIGNED_IN),
    _api("GET", "/training-records", "", SIGNED_IN),
    _api(
        "POST",
        "/training-records",
        "person",
        _r(P.RECORD_TRAINING),
        "the person named in the body, or oneself",
    ),
    _api("GET", "/headcounts", "", SIGNED_IN),
    _api("POST", "/headcounts", "unit", _r(P.RECORD_HEADCOUNT), "on the unit named in the body"),
    _api("GET", "/units/{code}/dosage", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/leaky-bucket", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/coaching", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/leaders", "unit", VIEW_UNIT),
    _api("GET", "/units/{code}/survey-results", "unit", VIEW_UNIT, "anonymous below the threshold"),
    _api("POST", "/units/{code}/survey-responses", "unit", _r(P.ANSWER_SURVEY)),
    # --- sustainability ---
    _api("GET", "/projects/{project_id}/handover", "project", VIEW_PROJECT),
    _api("PUT", "/projects/{project_id}/handover", "project", CHANGE_PROJECT),
    _api("GET", "/projects/{project_id}/watch", "project", VIEW_PROJECT),
    _api(
        "POST", "/projects/{project_id}/watch/acknowledge", "project", CHANGE_PROJECT, "an open gain at risk"
    ),
    # --- reporting ---
    _api("GET", "/reporting/units/{code}/success", "unit", VIEW_UNIT),
    _api("GET", "/reporting/units/{code}/success/factors", "unit", VIEW_UNIT),
    _api("GET", "/reporting/units/{code}/portfolio", "unit", VIEW_UNIT),
    _api("GET", "/reporting/units/{code}/penetration", "unit", VIEW_UNIT),
    _api("GET", "/reporting/units/{code}/impact", "unit", VIEW_UNIT),
    _api("GET", "/reporting/units/{code}/board-packs", "unit", _r(_FEEDBACK)),
    _api("POST", "/reporting/units/{code}/board-packs", "unit", _r(P.CHANGE_UNIT)),
    _api("GET", "/reporting/comparative", "", VIEW_UNIT),
    _api("GET", "/reporting/comparative/{code}/units", "indicator", VIEW_UNIT),
]

ROUTES: dict[str, Route] = {route.address: route for route in PAGES + API}


def route_for(address: str) -> Route | None:
    """The entry for a URL name or an API operation ("GET /api/v1/me"), prefix rules included."""
    if address in ROUTES:
        return ROUTES[address]
    return next((rule for pattern, rule in PREFIX_RULES.items() if re.match(pattern, address)), None)


# --- listing every address ------------------------------------------------------------------------------


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    """(URL name with its namespaces, route, pattern) of every URL pattern beneath `patterns`."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield namespace + (pattern.name or ""), prefix + str(pattern.pattern), pattern


def _is_api_operation(route: str) -> bool:
    return route.startswith("api/v1/") and route not in ("api/v1/openapi.json", "api/v1/")


@functools.cache
def site_patterns() -> list[tuple[str, str, Any]]:
    """(URL name, route, pattern) of every page; the API's operations are listed by `api_operations`."""
    return [row for row in walk(get_resolver().url_patterns) if not _is_api_operation(row[1])]


def api_operations() -> list[str]:
    """Every operation of the API, as "METHOD /api/v1/path", from its OpenAPI schema."""
    # Found through the URLconf, as the pages are: `spiral.api` wires every app together and sits above
    # them all (docs/architecture.md), so nothing here imports it. Its schema view holds the API.
    api = resolve("/api/v1/openapi.json").func.keywords["api"]  # type: ignore[attr-defined]  # a partial
    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


# --- the expected answer --------------------------------------------------------------------------------


class Answer(StrEnum):
    ALLOWED = "allowed"  # 2xx or 3xx; or 400/409/422 when the body is refused past the permission check
    SIGN_IN = "sign in"  # pages: 302 to /sign-in/?next=; API: 401
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    STAFF_SIGN_IN = "admin sign-in"  # the Django admin's own sign-in page (302 to /admin/login/)


# The ten ways a person can come: not signed in, signed in with no role, each unit role, a superuser.
COLUMNS: tuple[str, ...] = ("anonymous", "no role", *Role.values, "superuser")
# And one more: on a project's team (here as a patient partner), with no unit role. TEAM_PERMISSIONS
# reach that project and what is in it (PROJECT_OBJECTS), and nothing else.
TEAM = "project team"
PROJECT_OBJECTS = frozenset(
    {"project", "team_member", "node", "idea", "cycle", "project_measure", "attachment"}
)


def granted(column: str) -> frozenset[Permission]:
    """What `column` holds on the units where its role is held (and beneath)."""
    if column == "anonymous":
        return frozenset()
    if column in ("no role", "superuser", TEAM):
        return EVERYONE
    return EVERYONE | ROLE_PERMISSIONS[Role(column)]


def expected(rule: Rule, column: str, *, inside: bool, obj: str = "") -> Answer:
    """The answer to `column` acting on an object inside (or outside) the units where its role is held.

    Inside means on the unit where the role is held or beneath it; outside, on the organisation next
    door. For OWN_RECORD permissions, inside is the person's own record and outside someone else's.
    For the TEAM column, inside is the project whose team they are on; `obj` is the object's kind.
    """
    if rule.needs is Open.PUBLIC:
        return Answer.ALLOWED
    if column == "anonymous":
        return Answer.SIGN_IN
    if rule.needs in (Open.STAFF, Open.NOBODY) and column != "superuser":
        return Answer.STAFF_SIGN_IN
    if rule.needs is Open.STAFF:
        return Answer.ALLOWED
    if rule.needs is Open.NOBODY:
        return Answer.FORBIDDEN
    if rule.needs is Open.SIGNED_IN:
        return Answer.ALLOWED
    if rule.needs in OWN_RECORD:
        # Someone else's tokens (or jobs) are not even listed to their owner's colleagues (nor to a superuser:
        # the Django admin is where a superuser manages other people's records).
        return Answer.ALLOWED if inside else Answer.NOT_FOUND
    superuser = column == "superuser"
    reaches = inside or rule.on == ANYWHERE
    holds = granted(column)
    if column == TEAM and inside and obj in PROJECT_OBJECTS:
        holds |= TEAM_PERMISSIONS

    def has(permission: Permission) -> bool:
        return superuser or permission in EVERYONE or (reaches and permission in holds)

    if rule.hidden_without is not None and not has(rule.hidden_without):
        return Answer.NOT_FOUND
    return Answer.ALLOWED if has(rule.needs) else Answer.FORBIDDEN


# --- docs/permissions.md ------------------------------------------------------------------------------

DOC_BEGIN = (
    "<!-- BEGIN GENERATED by `spiral permissions_doc`: edit permissions.py and access.py, not this -->"
)
DOC_END = "<!-- END GENERATED by `spiral permissions_doc` -->"


def cell(permission: Permission, column: str) -> str:
    """One cell of the generated role table: yes, beneath, own or no."""
    if column == "anonymous":
        return "no"
    if column == TEAM and permission in TEAM_PERMISSIONS:
        return "its project"
    if permission in OWN_RECORD:
        return "own"
    if permission in EVERYONE or column == "superuser":
        return "yes"
    if column in ("no role", TEAM):
        return "no"
    return "beneath" if permission in ROLE_PERMISSIONS[Role(column)] else "no"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _address(route: Route) -> str:
    if route.is_api:
        return f"`{route.address.split(' ', 1)[1]}`"
    path = next((r for name, r, _ in site_patterns() if name == route.address), "")
    return f"`/{path}` ({route.address})"


def markdown() -> str:
    """The generated part of docs/permissions.md, markers included."""
    lines = [
        DOC_BEGIN,
        "",
        "## Every permission, every role",
        "",
        "Generated from `ROLE_PERMISSIONS`, `EVERYONE` and `OWN_RECORD` in `spiral/organisations/permissions.py`."
        " `yes`: anywhere; `beneath`: on the unit where the role is held and every unit beneath it; `own`: on"
        " one's own record only; `no`: refused. *project team*: on a project's team (any project role), with no"
        " unit role; `its project`: on that project only. The tables of the sections above must agree with this one"
        " (`tests/organisations/test_permissions_doc.py` checks them).",
        "",
        _row(["permission", *COLUMNS, TEAM]),
        _row(["---"] * (len(COLUMNS) + 2)),
    ]
    lines += [_row([f"`{p.value}`", *(cell(p, c) for c in (*COLUMNS, TEAM))]) for p in Permission]
    lines += [
        "",
        "## Every address",
        "",
        "Generated from `spiral/organisations/access.py`, which lists every page and every API operation;"
        " `tests/test_permission_matrix.py` asks each, for each method, as all eleven columns above, about an"
        " object inside and one outside the person's units, and fails on a page or operation missing from it."
        " Refusals: anonymous visitors are sent to `/sign-in/` (pages) or get `401` (API); an object the person"
        " may not even see answers `404`; one they may see but not change answers `403`; a method an address does"
        " not take answers `405` (some pages read any method like `GET`, and write nothing). *some unit*: the"
        " permission held anywhere (the page names no unit). Every page of the Django admin (`/admin/...`) needs"
        " staff, and its models are read-only: add and delete pages refuse everyone (except Django's groups and"
        " django-axes' lock-out records).",
        "",
        _row(["address", "method", "needs", "notes"]),
        _row(["---"] * 4),
    ]
    for route in PAGES + API:
        if route.obj == "admin":
            continue
        by_rule: dict[Rule, list[str]] = {}
        for method, rule in route.methods.items():
            by_rule.setdefault(rule, []).append(method)
        for rule, methods in by_rule.items():
            described = rule.describe(OBJECTS[route.obj])
            lines.append(_row([_address(route), ", ".join(methods), described, route.note]))
    lines += ["", DOC_END]
    return "\n".join(lines) + "\n"


def replace_generated(text: str) -> str:
    """`text` (docs/permissions.md) with its generated part replaced, or appended if it has none."""
    if DOC_BEGIN in text and DOC_END in text:
        before = text[: text.index(DOC_BEGIN)]
        after = text[text.index(DOC_END) + len(DOC_END) :].lstrip("\n")
        return before + markdown() + ("\n" + after if after else "")
    return text.rstrip("\n") + "\n\n" + markdown()


def entries() -> Iterator[tuple[Route, str, Rule]]:
    """(route, method, rule) for every address and method in the table, pages first."""
    for route in PAGES + API:
        for method, rule in route.methods.items():
            yield route, method, rule


__all__ = [
    "ANYWHERE",
    "API",
    "COLUMNS",
    "DOC_BEGIN",
    "DOC_END",
    "OBJECTS",
    "PAGES",
    "PREFIX_RULES",
    "PROJECT_OBJECTS",
    "ROUTES",
    "TEAM",
    "Answer",
    "Open",
    "Route",
    "Rule",
    "api_operations",
    "cell",
    "entries",
    "expected",
    "granted",
    "markdown",
    "replace_generated",
    "route_for",
    "site_patterns",
    "walk",
]
