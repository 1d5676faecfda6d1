"""The one place that decides who may see and change what.

Openness for learning, care for change:
- any signed-in, active person may see every unit, every person and their roles;
- changing something needs a role, held on the unit or on any unit above it, that grants the permission;
- anonymous visitors see nothing but the sign-in page.
docs/permissions.md writes these rules out as a table; tests check every cell.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from spiral.organisations.models import ApiToken, Membership, Role, Unit, User, subtree_q

M = TypeVar("M", bound=Model)


class Permission(StrEnum):
    VIEW_UNIT = "view_unit"
    CHANGE_UNIT = "change_unit"  # edit a unit's details, add units beneath it, move it
    MANAGE_MEMBERS = "manage_members"  # add and remove people's roles on a unit
    IMPORT_UNITS = "import_units"  # load a hierarchy file beneath a unit
    VIEW_AUDIT = "view_audit"  # see the change history of a unit's tree
    VIEW_PERSON = "view_person"
    CHANGE_PERSON = "change_person"  # a profile: its owner only
    MANAGE_TOKENS = "manage_tokens"  # personal access tokens: their owner only

    # --- Measurement (spiral.measurement; docs/permissions.md, "Measurement") ---
    CHANGE_MEASURE = "change_measure"  # define and edit measures owned by a unit
    RECORD_DATA = "record_data"  # add, correct, delete and import observations; annotate series

    # --- Projects (spiral.projects; docs/permissions.md, "Projects") ---
    VIEW_PROJECT = "view_project"  # every signed-in person: sharing is the point
    CREATE_PROJECT = "create_project"  # start a project in a unit
    CHANGE_PROJECT = "change_project"  # edit a project and everything in it (team, diagram, cycles, scores)

    # --- Benchmarking and voice (spiral.voice; docs/permissions.md, "Benchmarking and voice") ---
    VIEW_FEEDBACK = "view_feedback"  # read a unit's feedback answers, themes and stories
    TAG_FEEDBACK = "tag_feedback"  # tag answers with themes
    MODERATE_FEEDBACK = "moderate_feedback"  # see answers waiting for review; show or hide them
    MANAGE_FEEDBACK = "manage_feedback"  # forms, stories, "you said, we did" links
    IMPORT_FEEDBACK = "import_feedback"  # load Friends and Family Test returns from a file

    # --- Knowledge (spiral.knowledge; docs/permissions.md, "Knowledge") ---
    SEARCH_CATALOGUE = (
        "search_catalogue"  # search and read the catalogue, resources, communities, field tests
    )
    JOIN_COMMUNITY = "join_community"  # join or leave a community of practice; take part in its threads
    CURATE_RESOURCE = "curate_resource"  # publish and edit resources owned by a unit
    CREATE_COMMUNITY = "create_community"  # start a community of practice hosted by a unit
    SPONSOR_FIELD_TEST = "sponsor_field_test"  # describe and run a field test sponsored by a unit


# What each unit role grants, on the unit where it is held and everything beneath it.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MEMBER: frozenset(),
    Role.PATIENT_PARTNER: frozenset(),
    Role.COACH: frozenset(),
    Role.ANALYST: frozenset(),
    Role.IMPROVEMENT_LEAD: frozenset({Permission.MANAGE_MEMBERS}),
    Role.LEADER: frozenset({Permission.CHANGE_UNIT, Permission.MANAGE_MEMBERS}),
    Role.ADMIN: frozenset(
        {Permission.CHANGE_UNIT, Permission.MANAGE_MEMBERS, Permission.IMPORT_UNITS, Permission.VIEW_AUDIT}
    ),
}

# --- Measurement ---
# Analysts, improvement leads, leaders and admins define measures for their unit and beneath; everyone
# with a working role in a unit (not patient and carer partners) records that unit's data.
_MEASUREMENT_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.MEMBER: frozenset({Permission.RECORD_DATA}),
    Role.PATIENT_PARTNER: frozenset(),
    Role.COACH: frozenset({Permission.RECORD_DATA}),
    Role.ANALYST: frozenset({Permission.CHANGE_MEASURE, Permission.RECORD_DATA}),
    Role.IMPROVEMENT_LEAD: frozenset({Permission.CHANGE_MEASURE, Permission.RECORD_DATA}),
    Role.LEADER: frozenset({Permission.CHANGE_MEASURE, Permission.RECORD_DATA}),
    Role.ADMIN: frozenset({Permission.CHANGE_MEASURE, Permission.RECORD_DATA}),
}
ROLE_PERMISSIONS = {role: perms | _MEASUREMENT_GRANTS[role] for role, perms in ROLE_PERMISSIONS.items()}
# --- end of Measurement ---

# --- Projects ---
# Anyone with any role on a unit or above it may start a project there. Leaders, improvement leads and
# admins change every project in their tree; a project's own team (any project role, patient and carer
# partners included) changes that project: see TEAM_PERMISSIONS and `_on_team` below.
_PROJECT_EDITORS = frozenset({Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ADMIN})
ROLE_PERMISSIONS = {
    role: perms
    | {Permission.CREATE_PROJECT}
    | ({Permission.CHANGE_PROJECT} if role in _PROJECT_EDITORS else frozenset())
    for role, perms in ROLE_PERMISSIONS.items()
}
# Granted by being on the object's team: a model takes part with `has_team_member(user) -> bool`.
TEAM_PERMISSIONS: frozenset[Permission] = frozenset({Permission.CHANGE_PROJECT})


def _on_team(user: Any, obj: Any) -> bool:
    check = getattr(obj, "has_team_member", None)
    return bool(check is not None and check(user))


# --- end of Projects ---

# --- Benchmarking and voice ---
# Benchmarking needs no permission of its own: indicators and their series are open to every signed-in
# person. Feedback is not: every role on a unit (patient and carer partners too) reads its answers and
# stories; staff roles tag them; improvement leads, leaders and admins moderate answers, publish forms,
# curate stories and link feedback to projects; analysts and those three import FFT returns.
_VOICE_STAFF = frozenset(
    {Role.MEMBER, Role.COACH, Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ANALYST, Role.ADMIN}
)
_VOICE_MANAGERS = frozenset({Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ADMIN})
ROLE_PERMISSIONS = {
    role: perms
    | {Permission.VIEW_FEEDBACK}
    | ({Permission.TAG_FEEDBACK} if role in _VOICE_STAFF else frozenset())
    | ({Permission.MODERATE_FEEDBACK, Permission.MANAGE_FEEDBACK} if role in _VOICE_MANAGERS else frozenset())
    | ({Permission.IMPORT_FEEDBACK} if role in _VOICE_MANAGERS | {Role.ANALYST} else frozenset())
    for role, perms in ROLE_PERMISSIONS.items()
}
# Lists of these models show only what lies beneath a unit where the user may see feedback
# (model label: the permission, and the lookup from the model to its unit).
SCOPED_MODELS: dict[str, tuple[Permission, str]] = {
    "voice.answer": (Permission.VIEW_FEEDBACK, "form__unit__"),
    "voice.importedcounts": (Permission.VIEW_FEEDBACK, "form__unit__"),
    "voice.story": (Permission.VIEW_FEEDBACK, "unit__"),
    "voice.feedbacklink": (Permission.VIEW_FEEDBACK, "unit__"),
}
# --- end of Benchmarking and voice ---

# Granted to every signed-in person, whatever their roles.
EVERYONE: frozenset[Permission] = frozenset(
    {Permission.VIEW_UNIT, Permission.VIEW_PERSON, Permission.VIEW_PROJECT}
)
# Granted only on the person's own record.
OWN_RECORD: frozenset[Permission] = frozenset({Permission.CHANGE_PERSON, Permission.MANAGE_TOKENS})

# --- Knowledge ---
# Openness for learning: every signed-in person searches and reads the whole catalogue, and joins and
# talks in any community. Coaches, analysts, improvement leads, leaders and admins publish resources and
# start communities for their unit and beneath; improvement leads, leaders and admins sponsor field tests.
# Signing a unit up to a field test, or adopting a change, starts a project there: CREATE_PROJECT.
EVERYONE = EVERYONE | {Permission.SEARCH_CATALOGUE, Permission.JOIN_COMMUNITY}
_CURATORS = frozenset({Role.COACH, Role.ANALYST, Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ADMIN})
_SPONSORS = frozenset({Role.IMPROVEMENT_LEAD, Role.LEADER, Role.ADMIN})
ROLE_PERMISSIONS = {
    role: perms
    | ({Permission.CURATE_RESOURCE, Permission.CREATE_COMMUNITY} if role in _CURATORS else frozenset())
    | ({Permission.SPONSOR_FIELD_TEST} if role in _SPONSORS else frozenset())
    for role, perms in ROLE_PERMISSIONS.items()
}
# --- end of Knowledge ---


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def role_grants(user: User) -> list[tuple[str, Role]]:
    """(unit path, role) for each role the user holds, read once per user object."""
    cached = getattr(user, "_spiral_role_grants", None)
    if cached is None:
        cached = [
            (path, Role(role))
            for path, role in Membership.objects.filter(user=user).values_list("unit__path", "role")
        ]
        user._spiral_role_grants = cached
    return cached


def forget_grants(user: User) -> None:
    """Drop the cached roles (after the user's memberships change)."""
    if hasattr(user, "_spiral_role_grants"):
        del user._spiral_role_grants


def _unit_of(obj: Any) -> Unit | None:
    """The unit whose roles govern `obj`.

    Other apps' models take part without this module importing them: a model exposes the unit it
    belongs to as a `permission_unit` property (e.g. a series returns its unit).
    """
    if isinstance(obj, Unit):
        return obj
    if isinstance(obj, Membership):
        return obj.unit
    return getattr(obj, "permission_unit", None)


def can(user: Any, permission: Permission, obj: Any = None) -> bool:
    """May `user` do `permission` to `obj` (a unit, membership, person or token; None = anywhere)?"""
    if not _is_signed_in(user):
        return False
    if permission in EVERYONE:
        return True
    if permission in OWN_RECORD:
        owner = obj.user_id if isinstance(obj, ApiToken) else getattr(obj, "pk", None)
        return obj is not None and (owner == user.pk or user.is_superuser)
    if user.is_superuser:
        return True
    if permission in TEAM_PERMISSIONS and _on_team(user, obj):
        return True
    grants = [path for path, role in role_grants(user) if permission in ROLE_PERMISSIONS[role]]
    if obj is None:
        return bool(grants)
    unit = _unit_of(obj)
    if unit is None or not unit.path:
        return False
    return any(unit.path.startswith(path) for path in grants)


def scopes(user: Any, permission: Permission) -> list[str] | None:
    """Unit paths beneath which the user has `permission`; None means everywhere."""
    if not _is_signed_in(user):
        return []
    if user.is_superuser or permission in EVERYONE:
        return None
    paths = sorted({path for path, role in role_grants(user) if permission in ROLE_PERMISSIONS[role]})
    # Keep only the topmost paths: a grant beneath another adds nothing.
    top: list[str] = []
    for path in paths:
        if not any(path.startswith(t) for t in top):
            top.append(path)
    return top


def units_where(user: Any, permission: Permission) -> QuerySet[Unit]:
    """The units on which the user has `permission`."""
    return _within(Unit.objects.all(), scopes(user, permission), "")


def _within(qs: QuerySet[M], paths: list[str] | None, prefix: str, field: str = "path") -> QuerySet[M]:
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= subtree_q(path, prefix, field)
    return qs.filter(q)


def visible_to(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """Filter a queryset of units, people, memberships or audit events down to what `user` may see."""
    if not _is_signed_in(user):
        return qs.none()
    model = qs.model
    if model in (Unit, User, Membership) or getattr(model, "visibility", None) == "open":
        # Openness for learning: every signed-in person sees the whole system. Another app's model
        # opts in with `visibility = "open"` on the class.
        return qs
    if model._meta.label_lower in SCOPED_MODELS:  # Benchmarking and voice
        permission, prefix = SCOPED_MODELS[model._meta.label_lower]
        return _within(qs, scopes(user, permission), prefix)
    if model is ApiToken:
        return qs.filter(user=user)
    if model._meta.label_lower == "core.auditevent":
        return _within(qs, scopes(user, Permission.VIEW_AUDIT), "", field="scope_path")
    raise TypeError(f"visible_to does not know {model._meta.label}: add a rule for it here")


def get_or_deny(user: Any, permission: Permission, qs: QuerySet[M], **lookup: Any) -> M:
    """The one object `lookup` finds in `qs`: 404 if the user may not see it, 403 if they may not act."""
    try:
        obj = visible_to(user, qs).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404(f"No {qs.model._meta.verbose_name} matches that address") from None
    if not can(user, permission, obj):
        raise PermissionDenied(f"You do not have permission to {permission.value.replace('_', ' ')}")
    return obj


def require(user: Any, permission: Permission, obj: Any = None) -> None:
    """Raise PermissionDenied unless `can(user, permission, obj)`."""
    if not can(user, permission, obj):
        raise PermissionDenied(f"You do not have permission to {permission.value.replace('_', ' ')}")


__all__ = [
    "EVERYONE",
    "OWN_RECORD",
    "ROLE_PERMISSIONS",
    "TEAM_PERMISSIONS",
    "Permission",
    "can",
    "forget_grants",
    "get_or_deny",
    "require",
    "role_grants",
    "scopes",
    "subtree_q",
    "units_where",
    "visible_to",
]
