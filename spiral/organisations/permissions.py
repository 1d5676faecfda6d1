"""The one place that decides who may see and change what.

Openness for learning, care for change:
- any signed-in, active person may see every unit, every person and their roles;
- changing something needs a role, held on the unit or on any unit above it, that grants the permission;
- anonymous visitors see nothing but the sign-in page.
What each role grants is one literal table, ROLE_PERMISSIONS; which rows of each model a person sees is
declared by the model's app, once, with `register_visibility` (in its AppConfig.ready()).
docs/permissions.md writes these rules out as a table (`spiral permissions_doc`); tests check every cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from spiral.core.models import Job
from spiral.core.types import AnyUser
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
    VIEW_JOB = "view_job"  # the progress of background work (an import): the person who started it

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

    # --- Priorities (spiral.priorities; docs/permissions.md, "Priorities") ---
    SET_GOALS = "set_goals"  # set a unit's True North goals; adopt, adapt or decline those above; catchball
    ADD_IDEA = "add_idea"  # add an idea to a unit's backlog and score ideas (patient partners too)
    TRIAGE_IDEA = "triage_idea"  # move an idea on: under discussion, testing, done or parked
    WALK_ROUND = "walk_round"  # leader standard work: leave a question or a recognition on a huddle board
    ANSWER_ROUND = "answer_round"  # answer a question left on the team's huddle board
    # --- Assessments (spiral.assessments; docs/permissions.md, "Assessments") ---
    ANSWER_ASSESSMENT = "answer_assessment"  # answer a project's assessment as oneself: its team only
    # --- Capability (spiral.capability; docs/permissions.md, "Capability") ---
    RECORD_TRAINING = "record_training"  # record the training of people of a unit (and beneath); own too
    RECORD_HEADCOUNT = "record_headcount"  # record and import the staff in post of a unit and beneath
    ANSWER_SURVEY = "answer_survey"  # answer a unit's culture survey or self-assessment as oneself


P = Permission

# --- The role table: what each unit role grants, on the unit where it is held and everything beneath it ---
# The one table of who may do what; docs/permissions.md prints it (`spiral permissions_doc`) and a test fails
# when the two disagree. Roles are listed lowest first, the order of ROLE_RANK (a test keeps the two in step);
# each role's permissions are grouped by app, one line each. Why each cell is what it is:
# - Foundation: leaders and admins change units; improvement leads, leaders and admins manage members;
#   admins import hierarchies and read the audit history of their tree.
# - Measurement: analysts, improvement leads, leaders and admins define measures for their unit and beneath;
#   everyone with a working role in a unit (not patient and carer partners) records that unit's data.
# - Projects: anyone with any role on a unit or above it may start a project there. Improvement leads,
#   leaders and admins change every project in their tree; a project's own team (any project role, patient
#   and carer partners included) changes that project: see TEAM_PERMISSIONS and `_on_team` below.
# - Benchmarking and voice: benchmarking needs no permission of its own (indicators and their series are
#   open to every signed-in person). Every role on a unit (patient and carer partners too) reads its
#   feedback; staff roles tag it; improvement leads, leaders and admins moderate answers, publish forms,
#   curate stories and link feedback to projects; analysts and those three import FFT returns.
# - Knowledge: coaches, analysts, improvement leads, leaders and admins publish resources and start
#   communities for their unit and beneath; improvement leads, leaders and admins sponsor field tests.
#   Signing a unit up to a field test, or adopting a change, starts a project there: CREATE_PROJECT.
# - Priorities: only leaders and admins set a unit's True North goals, and answer for it when the goals
#   above cascade to it (adopt, adapt through catchball, decline). Goals are read by every signed-in person;
#   patient partners and staff see them but do not change them. Everyone with a role on a unit, patient and
#   carer partners included, adds ideas to its backlog and scores them; staff roles triage them.
# - Capability: leaders and admins record the training of the people of their units (the person's "line":
#   a leader of any unit above the person's); everyone records their own (`may_record_training`). Analysts,
#   improvement leads, leaders and admins record headcount. Every staff role answers its unit's culture
#   survey and self-assessment as itself (patient partners answer a project's readiness as its team).
# - Huddle boards: coaches,
#   improvement leads, leaders and admins walk rounds (leave a question or a recognition on a team's huddle
#   board, theirs or beneath); everyone with a role on the team, patient and carer partners too, answers.
#   A unit's own weights of a priority are set by its leaders (`set_goals`).
# fmt: off
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MEMBER: frozenset({
        P.RECORD_DATA,
        P.CREATE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.ANSWER_SURVEY,
        P.ANSWER_ROUND,
    }),
    Role.PATIENT_PARTNER: frozenset({
        P.CREATE_PROJECT,
        P.VIEW_FEEDBACK,
        P.ADD_IDEA,
        P.ANSWER_ROUND,
    }),
    Role.COACH: frozenset({
        P.RECORD_DATA,
        P.CREATE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK,
        P.CURATE_RESOURCE, P.CREATE_COMMUNITY,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.ANSWER_SURVEY,
        P.WALK_ROUND, P.ANSWER_ROUND,
    }),
    Role.ANALYST: frozenset({
        P.CHANGE_MEASURE, P.RECORD_DATA,
        P.CREATE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK, P.IMPORT_FEEDBACK,
        P.CURATE_RESOURCE, P.CREATE_COMMUNITY,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.RECORD_HEADCOUNT, P.ANSWER_SURVEY,
        P.ANSWER_ROUND,
    }),
    Role.IMPROVEMENT_LEAD: frozenset({
        P.MANAGE_MEMBERS,
        P.CHANGE_MEASURE, P.RECORD_DATA,
        P.CREATE_PROJECT, P.CHANGE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK, P.MODERATE_FEEDBACK, P.MANAGE_FEEDBACK, P.IMPORT_FEEDBACK,
        P.CURATE_RESOURCE, P.CREATE_COMMUNITY, P.SPONSOR_FIELD_TEST,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.RECORD_HEADCOUNT, P.ANSWER_SURVEY,
        P.WALK_ROUND, P.ANSWER_ROUND,
    }),
    Role.LEADER: frozenset({
        P.CHANGE_UNIT, P.MANAGE_MEMBERS,
        P.CHANGE_MEASURE, P.RECORD_DATA,
        P.CREATE_PROJECT, P.CHANGE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK, P.MODERATE_FEEDBACK, P.MANAGE_FEEDBACK, P.IMPORT_FEEDBACK,
        P.CURATE_RESOURCE, P.CREATE_COMMUNITY, P.SPONSOR_FIELD_TEST,
        P.SET_GOALS,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.RECORD_TRAINING, P.RECORD_HEADCOUNT, P.ANSWER_SURVEY,
        P.WALK_ROUND, P.ANSWER_ROUND,
    }),
    Role.ADMIN: frozenset({
        P.CHANGE_UNIT, P.MANAGE_MEMBERS, P.IMPORT_UNITS, P.VIEW_AUDIT,
        P.CHANGE_MEASURE, P.RECORD_DATA,
        P.CREATE_PROJECT, P.CHANGE_PROJECT,
        P.VIEW_FEEDBACK, P.TAG_FEEDBACK, P.MODERATE_FEEDBACK, P.MANAGE_FEEDBACK, P.IMPORT_FEEDBACK,
        P.CURATE_RESOURCE, P.CREATE_COMMUNITY, P.SPONSOR_FIELD_TEST,
        P.SET_GOALS,
        P.ADD_IDEA, P.TRIAGE_IDEA,
        P.RECORD_TRAINING, P.RECORD_HEADCOUNT, P.ANSWER_SURVEY,
        P.WALK_ROUND, P.ANSWER_ROUND,
    }),
}
# fmt: on

# Granted to every signed-in person, whatever their roles. Openness for learning: every signed-in person
# sees every unit, person and project, searches and reads the whole catalogue, and joins and talks in any
# community.
EVERYONE: frozenset[Permission] = frozenset(
    {P.VIEW_UNIT, P.VIEW_PERSON, P.VIEW_PROJECT, P.SEARCH_CATALOGUE, P.JOIN_COMMUNITY}
)
# Granted only on the person's own record.
OWN_RECORD: frozenset[Permission] = frozenset({P.CHANGE_PERSON, P.MANAGE_TOKENS, P.VIEW_JOB})
# Granted by being on the object's team: a model takes part with `has_team_member(user) -> bool`.
# A project's assessment (the Sustainability Model) is answered by its team only, patient partners too: no unit
# role grants ANSWER_ASSESSMENT, so a lead or coach who is not on the team reads the answers but gives none.
TEAM_PERMISSIONS: frozenset[Permission] = frozenset({P.CHANGE_PROJECT, P.ANSWER_ASSESSMENT})


def _on_team(user: AnyUser, obj: Any) -> bool:
    check = getattr(obj, "has_team_member", None)
    return bool(check is not None and check(user))


# --- Who sees which objects: the visibility registry -------------------------------------------------
class Visibility(StrEnum):
    """How `visible_to` filters a model's rows (each app registers its models in its AppConfig.ready())."""

    OPEN = "open"  # openness for learning: every signed-in person sees every row
    UNIT = "unit"  # rows beneath a unit where the user holds the rule's permission
    OWN = "own"  # the user's own rows only


@dataclass(frozen=True)
class VisibilityRule:
    """One model's visibility.

    permission: (UNIT) the permission the user must hold on a unit to see the rows beneath it.
    path: (UNIT) the lookup from the model to a unit path, e.g. "form__unit__path", or "scope_path".
    owner: (OWN) the field naming the owning person.
    """

    visibility: Visibility
    permission: Permission | None = None
    path: str = ""
    owner: str = ""


_VISIBILITY: dict[type[Model], VisibilityRule] = {}


def register_visibility(
    model: type[Model],
    visibility: Visibility | str,
    *,
    permission: Permission | None = None,
    path: str = "",
    owner: str = "",
) -> None:
    """Declare who sees `model`'s rows: "open", "unit" (with `permission` and `path`) or "own" (`owner`).

    Each app calls this for its models from its AppConfig.ready(); a model not registered is refused by
    `visible_to` and `can` with an error (fail closed). Registering a model again with another rule is an
    error too: one place says who sees it.
    """
    kind = Visibility(visibility)
    if kind is Visibility.UNIT and (permission is None or not path):
        raise ValueError(f"{model._meta.label}: 'unit' visibility needs a permission and a path to a unit")
    if kind is Visibility.OWN and not owner:
        raise ValueError(f"{model._meta.label}: 'own' visibility needs the owner field")
    if kind is Visibility.OPEN and (permission is not None or path or owner):
        raise ValueError(f"{model._meta.label}: 'open' visibility takes no permission, path or owner")
    rule = VisibilityRule(kind, permission, path, owner)
    if _VISIBILITY.get(model, rule) != rule:
        raise ValueError(f"{model._meta.label} is already registered as {_VISIBILITY[model]}")
    _VISIBILITY[model] = rule


def visibility_of(model: type[Model]) -> VisibilityRule:
    """The registered visibility of `model`; TypeError if it has none (fail closed)."""
    rule = _VISIBILITY.get(model._meta.concrete_model or model)
    if rule is None:
        raise TypeError(
            f"The permission module does not know {model._meta.label}: register its visibility in its app's "
            "AppConfig.ready() with permissions.register_visibility(...)"
        )
    return rule


def registered_models() -> list[type[Model]]:
    """Every model with a registered visibility, by label."""
    return sorted(_VISIBILITY, key=lambda m: m._meta.label_lower)


# --- end of the visibility registry ---


def _is_signed_in(user: AnyUser | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.is_active)


def role_grants(user: User) -> list[tuple[str, Role]]:
    """(unit path, role) for each role the user holds, read once per user object."""
    cached = getattr(user, "_spiral_role_grants", None)
    if cached is None:
        cached = [
            (path, Role(role))
            for path, role in Membership.objects.filter(user=user).values_list("unit__path", "role")
        ]
        user._spiral_role_grants = cached  # type: ignore[attr-defined]  # a cache on the object
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


def can(user: AnyUser | None, permission: Permission, obj: Any = None) -> bool:
    """May `user` do `permission` to `obj` (a unit, membership, person or token; None = anywhere)?

    `obj` may be an object of any model with a registered visibility (TypeError for one without).
    """
    if isinstance(obj, Model):
        visibility_of(obj.__class__)  # not type(obj): request.user is a lazy proxy
    if not _is_signed_in(user):
        return False
    if permission in EVERYONE:
        return True
    if permission in OWN_RECORD:
        owner = (
            obj.user_id
            if isinstance(obj, ApiToken)
            else obj.started_by_id
            if isinstance(obj, Job)
            else getattr(obj, "pk", None)
        )
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


# --- Decisions beyond one permission on one object (the callers ask these by name) ---


def may_create_unit(user: Any, parent: Unit | None) -> bool:
    """May `user` add a unit beneath `parent`? None: a new top of the hierarchy, for superusers only."""
    if parent is None:
        return _is_signed_in(user) and bool(user.is_superuser)
    return can(user, Permission.CHANGE_UNIT, parent)


def require_may_create_unit(user: Any, parent: Unit | None) -> None:
    """Raise PermissionDenied unless `may_create_unit(user, parent)`."""
    if parent is None:
        if not may_create_unit(user, None):
            raise PermissionDenied("A unit without a parent can only be created by a system administrator")
        return
    require(user, Permission.CHANGE_UNIT, parent)


def may_import_units_beneath(user: Any, unit: Unit | None) -> bool:
    """May `user` import (add, change or move) units beneath `unit`? None: at the top of the hierarchy.

    `user=None` is the system itself (the `spiral import units` command, run by whoever runs the server)
    and may import anywhere; at the top of the hierarchy a person must be a superuser.
    """
    if user is None:
        return True
    if unit is None:
        return _is_signed_in(user) and bool(user.is_superuser)
    return can(user, Permission.IMPORT_UNITS, unit)


def may_import_data(user: Any) -> bool:
    """May `user` open the import of measures and observations (record_data or change_measure somewhere)?"""
    return can(user, Permission.RECORD_DATA) or can(user, Permission.CHANGE_MEASURE)


def require_may_link_to_community(user: Any, community: Any) -> None:
    """Raise PermissionDenied unless `user` may link projects and resources to `community`.

    The community's facilitators keep its links, and so does anyone with create_community on its host
    unit. A model takes part with `has_facilitator(user) -> bool`.
    """
    check = getattr(community, "has_facilitator", None)
    if check is not None and _is_signed_in(user) and check(user):
        return
    require(user, Permission.CREATE_COMMUNITY, community)


def may_record_training(user: AnyUser, person: Any) -> bool:
    """May `user` record (or import) training of `person`? Their own always; someone else's with
    `record_training` on a unit where that person holds a role (a leader of a unit above them, an admin)."""
    if not _is_signed_in(user) or person is None or getattr(person, "pk", None) is None:
        return False
    if user.is_superuser or person.pk == user.pk:
        return True
    paths = list(Membership.objects.filter(user_id=person.pk).values_list("unit__path", flat=True))
    grants = [
        path for path, role in role_grants(user) if Permission.RECORD_TRAINING in ROLE_PERMISSIONS[role]
    ]
    return any(p.startswith(g) for p in paths for g in grants)


def require_may_record_training(user: AnyUser, person: Any) -> None:
    """Raise PermissionDenied unless `may_record_training(user, person)`."""
    if not may_record_training(user, person):
        raise PermissionDenied(
            "You do not have permission to record training of this person: their own, a leader of a unit "
            "above them or an administrator records it"
        )


# --- Granting and removing roles (docs/permissions.md, "Granting and removing roles") ---
# The order of roles, lowest first: the one place that says which role outranks which. Roles of equal
# rank are peers. Each role grants at least every permission of the roles it outranks (a test checks
# this), so "may not grant a role that outranks your own" is the same as "may not hand out more than
# you hold". A superuser outranks every role.
ROLE_RANK: dict[Role, int] = {
    Role.MEMBER: 1,
    Role.PATIENT_PARTNER: 1,
    Role.COACH: 2,
    Role.ANALYST: 2,
    Role.IMPROVEMENT_LEAD: 3,
    Role.LEADER: 4,
    Role.ADMIN: 5,
}
SUPERUSER_RANK = max(ROLE_RANK.values()) + 1


def rank_on(user: AnyUser, unit: Unit) -> int:
    """The rank of the highest role `user` holds on `unit` or any unit above it (0: none)."""
    if not _is_signed_in(user):
        return 0
    if user.is_superuser:
        return SUPERUSER_RANK
    return max((ROLE_RANK[role] for path, role in role_grants(user) if unit.path.startswith(path)), default=0)


def grantable_roles(user: AnyUser, unit: Unit) -> list[Role]:
    """The roles `user` may give anyone on `unit`, in the order of Role (none without manage_members)."""
    if not can(user, Permission.MANAGE_MEMBERS, unit):
        return []
    own = rank_on(user, unit)
    return [role for role in Role if ROLE_RANK[role] <= own]


def grant_refusal(user: AnyUser, role: str, unit: Unit, person: User | None = None) -> str | None:
    """Why `user` may not give `person` the `role` on `unit`, or None if they may.

    A role may be granted only if it does not outrank the highest role the granter holds on the unit or
    above it. Nobody raises their own role: a role given to oneself on `unit` applies to it and beneath,
    where one's rank is at least `rank_on(user, unit)`, so the same bound refuses every raise.
    """
    if not can(user, Permission.MANAGE_MEMBERS, unit):
        return f"You do not have permission to manage members of {unit.name}"
    if user.is_superuser:
        return None
    label = Role(role).label.lower()
    if ROLE_RANK[Role(role)] > rank_on(user, unit):
        if person is not None and getattr(person, "pk", None) == user.pk:
            return f"You do not have permission to raise your own role: {label} outranks your role on {unit.name}"
        return (
            f"You do not have permission to grant the role {label}: it outranks your role on {unit.name}. "
            "Ask someone who holds it (or a higher role) to grant it"
        )
    return None


def may_grant(user: AnyUser, role: str, unit: Unit, person: User | None = None) -> bool:
    """May `user` give (`person`) the `role` on `unit`?"""
    return grant_refusal(user, role, unit, person) is None


def removal_refusal(user: AnyUser, membership: Membership) -> str | None:
    """Why `user` may not take `membership` away, or None if they may.

    Anyone may give up their own role (leaving); otherwise removing needs manage_members on the unit and
    a role there (or above) that strictly outranks the one removed: a role at or above one's own is
    refused, so a lead cannot remove a leader, nor another lead.
    """
    if not _is_signed_in(user):
        return "Sign in to manage members"
    if user.is_superuser or membership.user_id == user.pk:
        return None
    unit = membership.unit
    if not can(user, Permission.MANAGE_MEMBERS, unit):
        return f"You do not have permission to manage members of {unit.name}"
    if ROLE_RANK[Role(membership.role)] >= rank_on(user, unit):
        return (
            f"You do not have permission to remove the role {Role(membership.role).label.lower()}: "
            f"it is not below your own role on {unit.name}. Ask someone with a higher role to remove it"
        )
    return None


def may_remove(user: AnyUser, membership: Membership) -> bool:
    """May `user` take `membership` away?"""
    return removal_refusal(user, membership) is None


# --- end of Granting and removing roles ---


def scopes(user: AnyUser, permission: Permission) -> list[str] | None:
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


def units_where(user: AnyUser, permission: Permission) -> QuerySet[Unit]:
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


def visible_to(user: AnyUser, qs: QuerySet[M]) -> QuerySet[M]:
    """Filter a queryset down to what `user` may see, by its model's registered visibility.

    A model without a registered visibility raises TypeError (see `register_visibility`).
    """
    rule = visibility_of(qs.model)
    if not _is_signed_in(user):
        return qs.none()
    if rule.visibility is Visibility.OPEN:
        # Openness for learning: every signed-in person sees the whole system.
        return qs
    if rule.visibility is Visibility.OWN:
        return qs.filter(**{rule.owner: user})
    assert rule.permission is not None
    prefix, _, field = rule.path.rpartition("__")
    return _within(qs, scopes(user, rule.permission), prefix + "__" if prefix else "", field=field)


def get_or_deny(user: AnyUser, permission: Permission, qs: QuerySet[M], **lookup: Any) -> M:
    """The one object `lookup` finds in `qs`: 404 if the user may not see it, 403 if they may not act."""
    try:
        obj = visible_to(user, qs).get(**lookup)
    except qs.model.DoesNotExist:  # type: ignore[attr-defined]  # M is a concrete model: it has one
        raise Http404(f"No {qs.model._meta.verbose_name} matches that address") from None
    if not can(user, permission, obj):
        raise PermissionDenied(f"You do not have permission to {permission.value.replace('_', ' ')}")
    return obj


def require(user: AnyUser, permission: Permission, obj: Any = None) -> None:
    """Raise PermissionDenied unless `can(user, permission, obj)`."""
    if not can(user, permission, obj):
        raise PermissionDenied(f"You do not have permission to {permission.value.replace('_', ' ')}")


__all__ = [
    "EVERYONE",
    "OWN_RECORD",
    "ROLE_PERMISSIONS",
    "ROLE_RANK",
    "TEAM_PERMISSIONS",
    "Permission",
    "Visibility",
    "VisibilityRule",
    "can",
    "forget_grants",
    "get_or_deny",
    "grant_refusal",
    "grantable_roles",
    "may_create_unit",
    "may_grant",
    "may_import_data",
    "may_import_units_beneath",
    "may_record_training",
    "may_remove",
    "rank_on",
    "register_visibility",
    "registered_models",
    "removal_refusal",
    "require",
    "require_may_create_unit",
    "require_may_link_to_community",
    "require_may_record_training",
    "role_grants",
    "scopes",
    "subtree_q",
    "units_where",
    "visibility_of",
    "visible_to",
]
