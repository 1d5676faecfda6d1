"""Every write to units, people, memberships and tokens: one transaction, one audit record each."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone

from spiral.core import audit, codes, limits
from spiral.core.errors import Duplicate
from spiral.organisations import extensions
from spiral.organisations.models import (
    ALLOWED_PARENTS,
    ApiToken,
    Membership,
    OrganisationType,
    Role,
    Unit,
    UnitKind,
    User,
    path_segment,
)
from spiral.organisations.permissions import forget_grants, grant_refusal, removal_refusal

logger = logging.getLogger(__name__)

UNIT_FIELDS = ("code", "name", "kind", "organisation_type", "opened_on", "closed_on")
UNIT_CODE_LENGTH: int = Unit._meta.get_field("code").max_length  # type: ignore[assignment]  # a CharField: set
PROFILE_FIELDS = ("display_name", "job_title", "profession")


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def placement_error(kind: str, parent_kind: str | None) -> str | None:
    """Why a unit of `kind` may not sit under a unit of `parent_kind`, or None if it may."""
    if kind not in UnitKind.values:
        return f"'{kind}' is not a kind of unit; use one of: {', '.join(UnitKind.values)}"
    allowed = ALLOWED_PARENTS[kind]
    if parent_kind in allowed:
        return None
    names = " or ".join(_a(str(k)) for k in allowed if k)
    if parent_kind is None:
        return f"{_a(kind)} needs a parent unit ({names})"
    if allowed == (None,):
        return f"{_a(kind)} is the top of the hierarchy and cannot sit under {_a(parent_kind)}"
    return f"{_a(kind)} must sit under {names}, not under {_a(parent_kind)}"


def clean_unit_fields(
    *, code: str, name: str, kind: str, organisation_type: str, opened_on: Any, closed_on: Any
) -> dict[str, str]:
    """Field errors for a unit's own values (the placement is checked separately)."""
    errors: dict[str, str] = {}
    problem = codes.code_problem((code or "").strip(), kind=codes.ODS, max_length=UNIT_CODE_LENGTH)
    if problem:
        errors["code"] = problem
    if not name or not name.strip():
        errors["name"] = "Enter a name"
    elif len(name) > limits.NAME:
        errors["name"] = limits.too_long_message(limits.NAME, len(name))
    if kind not in UnitKind.values:
        errors["kind"] = f"'{kind}' is not a kind of unit; use one of: {', '.join(UnitKind.values)}"
    if organisation_type:
        if kind != UnitKind.ORGANISATION:
            errors["organisation_type"] = "Only an organisation has an organisation type; leave it blank"
        elif organisation_type not in OrganisationType.values:
            errors["organisation_type"] = (
                f"'{organisation_type}' is not an organisation type; use one of: "
                + ", ".join(OrganisationType.values)
            )
    if opened_on and closed_on and closed_on < opened_on:
        errors["closed_on"] = "The closing date must be on or after the opening date"
    return errors


def _scope(unit: Unit) -> str:
    return unit.path


@transaction.atomic
def create_unit(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    by: User | None,
    organisation_type: str = "",
    opened_on: dt.date | None = None,
    closed_on: dt.date | None = None,
) -> Unit:
    """Create a unit under `parent` (None only for a nation)."""
    code, name = (code or "").strip(), (name or "").strip()
    errors = clean_unit_fields(
        code=code,
        name=name,
        kind=kind,
        organisation_type=organisation_type,
        opened_on=opened_on,
        closed_on=closed_on,
    )
    problem = placement_error(kind, parent.kind if parent else None)
    if problem and "kind" not in errors:
        errors["parent"] = problem
    duplicate = "code" not in errors and Unit.objects.filter(code=code).exists()
    if duplicate:
        errors["code"] = f"A unit with the code {code} already exists; codes are unique"
    if errors:
        raise (Duplicate if duplicate and len(errors) == 1 else ValidationError)(errors)
    unit = Unit.objects.create(
        code=code,
        name=name,
        kind=kind,
        organisation_type=organisation_type or "",
        parent=parent,
        opened_on=opened_on,
        closed_on=closed_on,
        path="",
        depth=0,
    )
    unit.path = (parent.path if parent else "") + path_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    audit.record(
        action="unit.create",
        obj=unit,
        by=by,
        scope_path=unit.path,
        changes={f: [None, getattr(unit, f)] for f in UNIT_FIELDS if getattr(unit, f)}
        | {"parent": [None, parent.code if parent else None]},
    )
    return unit


class StaleVersion(audit.StaleEdit):
    """The record changed since the client read it (HTTP 409)."""


@transaction.atomic
def update_unit(*, unit: Unit, by: User | None, version: int | None = None, **changes: Any) -> Unit:
    """Change a unit's own fields (code, name, organisation_type, opened_on, closed_on)."""
    unknown = set(changes) - {"code", "name", "organisation_type", "opened_on", "closed_on"}
    if unknown:
        raise ValidationError({f: "This field cannot be changed here" for f in sorted(unknown)})
    unit = Unit.objects.select_for_update(of=("self",)).get(pk=unit.pk)
    audit.refuse_stale(unit, version, error=StaleVersion)
    before = audit.snapshot(unit, UNIT_FIELDS)
    values = before | {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    values["organisation_type"] = values["organisation_type"] or ""
    errors = clean_unit_fields(**{k: values[k] for k in UNIT_FIELDS})
    duplicate = (
        "code" not in errors
        and values["code"] != unit.code
        and Unit.objects.filter(code=values["code"]).exists()
    )
    if duplicate:
        errors["code"] = f"A unit with the code {values['code']} already exists; codes are unique"
    if errors:
        raise (Duplicate if duplicate and len(errors) == 1 else ValidationError)(errors)
    changed = audit.diff(before, values)
    if not changed:
        return unit
    audit.save_version(
        unit,
        {k: values[k] for k in changed},
        by=by,
        action="unit.update",
        changes=changed,
        scope_path=unit.path,
    )
    return unit


@transaction.atomic
def move_unit(*, unit: Unit, new_parent: Unit, by: User | None) -> Unit:
    """Put `unit` (and everything beneath it) under `new_parent`, rewriting every path atomically."""
    unit = Unit.objects.select_for_update(of=("self",)).get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    if new_parent.path.startswith(unit.path):
        raise ValidationError(
            {
                "parent": f"{new_parent.name} is {unit.name} itself or beneath it; "
                "a unit cannot move under itself"
            }
        )
    problem = placement_error(unit.kind, new_parent.kind)
    if problem:
        raise ValidationError({"parent": problem})
    if unit.parent_id == new_parent.pk:
        return unit
    old_path, old_parent = unit.path, unit.parent
    new_path = new_parent.path + path_segment(unit.pk)
    delta = new_parent.depth + 1 - unit.depth
    # One UPDATE moves the whole subtree: new prefix + the rest of each path.
    Unit.objects.filter(unit.subtree_q()).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent, version=F("version") + 1)
    unit.refresh_from_db()
    audit.record(
        action="unit.move",
        obj=unit,
        by=by,
        scope_path=unit.path,
        changes={
            "parent": [old_parent.code if old_parent else None, new_parent.code],
            "path": [old_path, new_path],
        },
    )
    # What is derived from the hierarchy follows in the same transaction (measurement's roll-ups).
    extensions.units_moved([unit])
    return unit


@transaction.atomic
def add_membership(*, user: User, unit: Unit, role: str, by: User | None) -> Membership:
    """Give `user` the `role` on `unit` (does nothing if they already hold it).

    `by` must be allowed to grant it (`permissions.grant_refusal`): no one grants a role that outranks
    their own, nor raises their own role. `by=None` is the system (the command line, the demo).
    """
    if role not in Role.values:
        raise ValidationError({"role": f"'{role}' is not a role; use one of: {', '.join(Role.values)}"})
    if by is not None:
        refusal = grant_refusal(by, role, unit, user)
        if refusal:
            logger.warning(
                "membership.grant_refused by_id=%s user_id=%s unit_id=%s role=%s",
                by.pk,
                user.pk,
                unit.pk,
                role,
            )
            raise PermissionDenied(refusal)
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if created:
        audit.record(
            action="membership.add",
            obj=membership,
            by=by,
            scope_path=unit.path,
            changes={"user": [None, user.email], "unit": [None, unit.code], "role": [None, role]},
        )
        forget_grants(user)
        if by is not None:
            forget_grants(by)
    return membership


@transaction.atomic
def remove_membership(*, membership: Membership, by: User | None) -> None:
    """Take a role away: `by` must be allowed to (`permissions.removal_refusal`); None is the system."""
    if by is not None:
        refusal = removal_refusal(by, membership)
        if refusal:
            logger.warning("membership.remove_refused by_id=%s membership_id=%s", by.pk, membership.pk)
            raise PermissionDenied(refusal)
    audit.record(
        action="membership.remove",
        obj=membership,
        by=by,
        scope_path=membership.unit.path,
        changes={
            "user": [membership.user.email, None],
            "unit": [membership.unit.code, None],
            "role": [membership.role, None],
        },
    )
    forget_grants(membership.user)
    if by is not None:
        forget_grants(by)
    membership.delete()


@transaction.atomic
def create_person(
    *,
    email: str,
    display_name: str,
    by: User | None,
    job_title: str = "",
    profession: str = "",
    password: str | None = None,
) -> User:
    """Add a person who can sign in with `email` (no password: they set one by reset or an admin does)."""
    email = (email or "").strip().lower()
    errors = {}
    if not email or "@" not in email:
        errors["email"] = "Enter an email address, like name@example.nhs.uk"
    elif User.objects.filter(email=email).exists():
        errors["email"] = f"Someone with the email address {email} already exists"
    if not (display_name or "").strip():
        errors["display_name"] = "Enter the person's name"
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(
        email, password, display_name=display_name.strip(), job_title=job_title, profession=profession
    )
    audit.record(action="user.create", obj=user, by=by, changes={"email": [None, email]})
    return user


@transaction.atomic
def update_profile(*, user: User, by: User | None, **changes: Any) -> User:
    """Change a person's display name, job title or profession."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({f: "This field cannot be changed here" for f in sorted(unknown)})
    values = {k: (v or "").strip() for k, v in changes.items()}
    if "display_name" in values and not values["display_name"]:
        raise ValidationError({"display_name": "Enter your name as colleagues know you"})
    for key, limit in (("display_name", 150), ("job_title", 150), ("profession", 100)):
        if len(values.get(key, "")) > limit:
            raise ValidationError({key: f"Use at most {limit} characters"})
    before = audit.snapshot(user, PROFILE_FIELDS)
    changed = audit.diff(before, before | values)
    if changed:
        for key in changed:
            setattr(user, key, values[key])
        user.save(update_fields=list(changed))
        audit.record(action="user.update", obj=user, by=by, changes=changed)
    return user


@transaction.atomic
def create_api_token(*, user: User, name: str, by: User | None) -> tuple[ApiToken, str]:
    """A new personal access token; the raw token is returned once and never stored."""
    name = (name or "").strip() or "API token"
    if len(name) > 100:
        raise ValidationError({"name": "Use at most 100 characters"})
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, token_hash=ApiToken.hash(raw))
    audit.record(action="token.create", obj=token, by=by, changes={"name": [None, name]})
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User | None) -> ApiToken:
    """Revoke the token from now on (audited); a token already revoked is returned unchanged."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(action="token.revoke", obj=token, by=by)
    return token
