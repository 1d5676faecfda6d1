"""One role table and one visibility registry: the permission module reads both and nothing else.

The role table is a single literal in permissions.py (no copy is rebuilt from it); every model the module
is asked about has its visibility registered by its app, and a model without one is refused with an error
(fail closed) rather than shown.
"""

from __future__ import annotations

import ast
import inspect

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from spiral.core.models import DataGeneration
from spiral.organisations import permissions
from spiral.organisations.models import Unit
from spiral.organisations.permissions import (
    Permission,
    Visibility,
    can,
    register_visibility,
    registered_models,
    visibility_of,
    visible_to,
)
from tests import permtable
from tests.factories import UserFactory

# Models that no page, API operation or export lists or checks a permission on: caches, staging rows,
# lookups and the insides of other objects. They are not registered, so `visible_to` and `can` refuse them.
NOT_ASKED = {
    "core.idempotencykey",  # the API's replay guard
    "core.datageneration",  # the demo's bookkeeping
    "measurement.target",  # read through its measure
    "measurement.observationchange",  # the history of an observation, read through it
    "measurement.analysis",  # the SPC cache
    "measurement.observationimport",  # an upload waiting for confirmation
    "measurement.stagedobservation",
    "projects.progressscale",  # lookups
    "projects.progresslevel",
    "projects.topic",
    "projects.driveredge",  # read through its project's diagram
    "knowledge.searchterm",  # the search index's vocabulary
}


def spiral_models() -> list:
    return [m for m in apps.get_models() if m.__module__.startswith("spiral.")]


# --- the role table --------------------------------------------------------------------------------


def _assignments(name: str) -> list[ast.AST]:
    tree = ast.parse(inspect.getsource(permissions))
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and any(
            isinstance(t, ast.Name) and t.id == name for t in targets
        ):
            found.append(node)
    return found


@pytest.mark.parametrize("name", ["ROLE_PERMISSIONS", "EVERYONE", "OWN_RECORD", "TEAM_PERMISSIONS"])
def test_each_table_of_grants_is_written_once_as_a_literal(name):
    (assignment,) = _assignments(name)
    if name == "ROLE_PERMISSIONS":
        assert isinstance(assignment.value, ast.Dict)
        values = assignment.value.values
    else:
        values = [assignment.value]
    for value in values:  # frozenset({P.X, ...}): members named, nothing computed
        assert isinstance(value, ast.Call) and getattr(value.func, "id", "") == "frozenset"
        (members,) = value.args
        assert isinstance(members, ast.Set)
        assert all(isinstance(e, ast.Attribute) for e in members.elts)


def test_the_role_table_has_every_role_once_and_names_only_permissions():
    assert sorted(permtable.ROLES) == sorted(r.value for r in permissions.Role)
    for role in permtable.ROLES:
        assert permtable.grants(role) <= set(Permission)


# --- the visibility registry -------------------------------------------------------------------------


def test_every_model_is_registered_or_named_as_never_asked_about():
    registered = {m._meta.label_lower for m in registered_models()}
    every = {m._meta.label_lower for m in spiral_models()}
    assert not registered & NOT_ASKED
    missing = every - registered - NOT_ASKED
    assert not missing, (
        f"These models have no registered visibility: {sorted(missing)}. Register each in its app's "
        "AppConfig.ready() with permissions.register_visibility(...), or add it to NOT_ASKED if no page "
        "or API operation ever lists it or checks a permission on it"
    )
    assert every >= NOT_ASKED, f"NOT_ASKED names models that no longer exist: {sorted(NOT_ASKED - every)}"


def test_every_model_that_can_reads_is_registered():
    # can() reads the unit of an object (`permission_unit`), its team and its facilitators.
    hooks = ("permission_unit", "has_team_member", "has_facilitator")
    asked = {m._meta.label_lower for m in spiral_models() if any(hasattr(m, h) for h in hooks)}
    assert asked <= {m._meta.label_lower for m in registered_models()}


def test_no_model_declares_its_own_visibility_any_more():
    assert [m for m in spiral_models() if hasattr(m, "visibility")] == []


def test_the_registry_says_what_the_document_says_about_feedback_and_tokens():
    from spiral.core.models import AuditEvent
    from spiral.organisations.models import ApiToken
    from spiral.voice.models import Answer, FeedbackForm, Story

    assert visibility_of(Unit).visibility is Visibility.OPEN
    assert visibility_of(FeedbackForm).visibility is Visibility.OPEN
    assert visibility_of(Answer) == permissions.VisibilityRule(
        Visibility.UNIT, Permission.VIEW_FEEDBACK, "form__unit__path"
    )
    assert visibility_of(Story).permission is Permission.VIEW_FEEDBACK
    assert visibility_of(ApiToken) == permissions.VisibilityRule(Visibility.OWN, owner="user")
    assert visibility_of(AuditEvent).permission is Permission.VIEW_AUDIT


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "signed in", "superuser"])
def test_an_unregistered_model_is_refused_with_an_error_not_shown(who):
    user = {
        "anonymous": AnonymousUser,
        "signed in": UserFactory,
        "superuser": lambda: UserFactory(is_superuser=True),
    }[who]()
    with pytest.raises(TypeError, match=r"does not know core\.DataGeneration: register its visibility"):
        visible_to(user, DataGeneration.objects.all())
    with pytest.raises(TypeError, match=r"does not know core\.DataGeneration"):
        can(user, Permission.VIEW_UNIT, DataGeneration())


def test_a_model_is_registered_in_one_place_only():
    with pytest.raises(ValueError, match="already registered"):
        register_visibility(Unit, "own", owner="user")
    register_visibility(Unit, "open")  # the same rule again changes nothing


def test_a_registration_must_say_what_it_needs():
    with pytest.raises(ValueError, match="needs a permission and a path"):
        register_visibility(DataGeneration, "unit")
    with pytest.raises(ValueError, match="needs the owner field"):
        register_visibility(DataGeneration, "own")
    with pytest.raises(ValueError, match="is not a valid Visibility"):
        register_visibility(DataGeneration, "everyone")
    assert DataGeneration not in registered_models()
