"""API for units, memberships and people. Handlers are thin: the same queries and services as the pages."""

# No `from __future__ import annotations` here: django-ninja reads these annotations at import time.
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from spiral.core import notifications as core_notifications
from spiral.core.api import Code, Id, Name, Pagination, PersonRef, Version, model_str
from spiral.core.types import SignedInRequest
from spiral.organisations import queries, services
from spiral.organisations.models import Membership, Role, Unit, UnitKind, User
from spiral.organisations.permissions import Permission, get_or_deny, require, require_may_create_unit

router = Router(tags=["units and people"])


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None = Field(None, description="The parent unit's code")
    organisation_type: str | None = None
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None
    depth: int
    version: int

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj.get("parent")
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_organisation_type(obj: Any) -> str | None:
        value = obj.get("organisation_type") if isinstance(obj, dict) else obj.organisation_type
        return value or None


class UnitDetailOut(UnitOut):
    ancestors: list[str] = Field(description="Codes from the top of the hierarchy down to the parent")
    children: int


# A unit's own code is at most as long as its column (ODS codes are short); a code looked up may be any.
if TYPE_CHECKING:  # a type built at run time (pydantic reads it); the checker sees its base
    UnitCode = str
else:
    UnitCode = model_str(Unit, "code")


class UnitIn(Schema):
    code: UnitCode
    name: Name
    kind: UnitKind
    parent: Code | None = None
    organisation_type: Code = ""
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None


# In a PATCH, a field left out is unchanged; null is refused where the record cannot hold it.
class UnitPatch(Schema):
    code: UnitCode = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused
    name: Name = None
    parent: Code = Field(None, description="Move the unit (and everything beneath it) under this code")
    organisation_type: Code = None
    opened_on: dt.date | None = None
    closed_on: dt.date | None = None
    version: Version = None  # type: ignore[assignment]  # PATCH: left out is unchanged, null refused


class TreeNode(Schema):
    code: str
    name: str
    kind: str
    children: list["TreeNode"] = []


TreeNode.model_rebuild()


class JobOut(Schema):
    """Background work and its progress (an import over the size threshold answers 202 with its URL)."""

    id: int
    kind: str
    title: str
    status: str = Field(description="queued, running, done or failed")
    stage: str = ""
    done: int = Field(0, description="Rows (or items) checked so far")
    total: int | None = Field(None, description="Rows (or items) in all, once known")
    written: int = Field(0, description="Rows written so far")
    problems: list[str] = Field(default_factory=list, description="What went wrong so far, in words")
    message: str = Field("", description="The outcome, in words, once finished")
    result_url: str = ""
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    url: str = Field(description="This job in the API")
    page: str = Field(description="This job's progress page")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/api/v1/jobs/{obj.pk}"

    @staticmethod
    def resolve_page(obj: Any) -> str:
        return f"/jobs/{obj.pk}/"


class PersonOut(Schema):
    id: int
    display_name: str
    email: str
    job_title: str
    profession: str


class MembershipOut(Schema):
    id: int
    user: int
    user_name: str
    unit: str
    role: str


class MembershipIn(Schema):
    user: PersonRef = Field(description="The person's email address or id")
    unit: Code
    role: Role


class UnitFilters(Schema):
    kind: UnitKind | None = None
    parent: Code | None = Field(None, description="Only the direct children of this unit code")
    within: Code | None = Field(None, description="This unit code and everything beneath it")
    q: Name | None = Field(None, description="Text in the name, or the exact code")


def unit_out(unit: Unit) -> dict[str, Any]:
    return UnitOut.from_orm(unit).model_dump(mode="json")


def _membership_out(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "user": m.user_id,
        "user_name": m.user.display_name,
        "unit": m.unit.code,
        "role": m.role,
    }


def _unit_or_404(request: SignedInRequest, code: Code, field: str = "unit") -> Unit:
    unit = queries.unit_by_code(request.auth, code)
    if unit is None:
        raise Http404(f"No unit has the code {code!r} ({field})")
    return unit


@router.get("/units", response=list[UnitOut], summary="List units")
@paginate(Pagination)
def list_units(request: SignedInRequest, filters: Query[UnitFilters]) -> Any:
    parent = _unit_or_404(request, filters.parent, "parent") if filters.parent else None
    within = _unit_or_404(request, filters.within, "within") if filters.within else None
    return queries.units(request.auth, kind=filters.kind, parent=parent, q=filters.q, within=within)


@router.post("/units", response={201: UnitOut}, summary="Create a unit")
def create_unit(request: SignedInRequest, payload: UnitIn) -> Any:
    parent = _unit_or_404(request, payload.parent, "parent") if payload.parent else None
    require_may_create_unit(request.auth, parent)
    data = payload.dict(exclude={"parent"})
    unit = services.create_unit(parent=parent, by=request.auth, **data)
    return Status(201, unit)


@router.get("/units/{code}", response=UnitDetailOut, summary="One unit")
def get_unit(request: SignedInRequest, code: Code) -> Any:
    unit = _unit_or_404(request, code)
    return unit_out(unit) | {
        "ancestors": [u.code for u in queries.ancestors(request.auth, unit)],
        "children": queries.units(request.auth, parent=unit).count(),
    }


@router.patch("/units/{code}", response=UnitOut, summary="Change or move a unit")
def patch_unit(request: SignedInRequest, code: Code, payload: UnitPatch) -> Any:
    unit = get_or_deny(request.auth, Permission.CHANGE_UNIT, Unit.objects.all(), code=code)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    new_parent_code = changes.pop("parent", None)
    new_parent = None
    if new_parent_code is not None:
        new_parent = _unit_or_404(request, new_parent_code, "parent")
        require(request.auth, Permission.CHANGE_UNIT, new_parent)
    # Both halves or neither: a refused move must not leave the field changes behind.
    with transaction.atomic():
        if changes or version is not None:
            unit = services.update_unit(unit=unit, by=request.auth, version=version, **changes)
        if new_parent is not None:
            unit = services.move_unit(unit=unit, new_parent=new_parent, by=request.auth)
    return Unit.objects.select_related("parent").get(pk=unit.pk)


@router.get("/units/{code}/tree", response=TreeNode, summary="The tree beneath a unit")
def unit_tree(request: SignedInRequest, code: Code, depth: int = Query(2, ge=1, le=6)) -> Any:
    root = _unit_or_404(request, code)
    nodes = list(
        queries.units(request.auth, within=root)
        .filter(depth__lte=root.depth + depth)
        .order_by("path")
        .values("id", "parent_id", "code", "name", "kind")
    )
    by_id: dict[int, dict[str, Any]] = {
        n["id"]: {"code": n["code"], "name": n["name"], "kind": n["kind"], "children": []} for n in nodes
    }
    for n in nodes:
        if n["id"] != root.pk and n["parent_id"] in by_id:
            by_id[n["parent_id"]]["children"].append(by_id[n["id"]])
    return by_id[root.pk]


@router.get("/units/{code}/memberships", response=list[MembershipOut], summary="Roles held on a unit")
@paginate(Pagination)
def unit_memberships(request: SignedInRequest, code: Code) -> Any:
    unit = _unit_or_404(request, code)
    return [
        _membership_out(m) for m in queries.memberships_of_unit(request.auth, unit).select_related("unit")
    ]


@router.post("/memberships", response={201: MembershipOut}, summary="Give a person a role on a unit")
def add_membership(request: SignedInRequest, payload: MembershipIn) -> Any:
    unit = get_or_deny(request.auth, Permission.MANAGE_MEMBERS, Unit.objects.all(), code=payload.unit)
    lookup = {"pk": int(payload.user)} if payload.user.isdigit() else {"email": payload.user.strip().lower()}
    person = queries.people(request.auth).filter(**lookup).first()
    if person is None:
        raise Http404(f"No person matches {payload.user!r} (user)")
    membership = services.add_membership(user=person, unit=unit, role=payload.role, by=request.auth)
    return Status(201, _membership_out(membership))


@router.delete("/memberships/{membership_id}", response={204: None}, summary="Take a role away")
def delete_membership(request: SignedInRequest, membership_id: Id) -> Any:
    # Anyone may see a role; whether they may take it away is the service's rule (403 if not).
    membership = get_or_deny(
        request.auth,
        Permission.VIEW_UNIT,
        Membership.objects.select_related("unit", "user"),
        pk=membership_id,
    )
    services.remove_membership(membership=membership, by=request.auth)
    return Status(204, None)


class PeopleFilters(Schema):
    q: Name | None = Field(None, description="Words in the name, email, job title or profession")
    unit: Code | None = Field(None, description="People with a role in this unit or beneath it")
    role: Role | None = None


@router.get("/people", response=list[PersonOut], summary="Find people")
@paginate(Pagination)
def list_people(request: SignedInRequest, filters: Query[PeopleFilters]) -> Any:
    unit = _unit_or_404(request, filters.unit) if filters.unit else None
    return queries.people(request.auth, q=filters.q, unit=unit, role=filters.role)


@router.get("/people/{person_id}", response=PersonOut, summary="One person")
def get_person(request: SignedInRequest, person_id: Id) -> Any:
    return get_or_deny(
        request.auth, Permission.VIEW_PERSON, User.objects.filter(is_active=True), pk=person_id
    )


@router.get("/people/{person_id}/memberships", response=list[MembershipOut], summary="A person's roles")
@paginate(Pagination)
def person_memberships(request: SignedInRequest, person_id: Id) -> Any:
    person = get_or_deny(
        request.auth, Permission.VIEW_PERSON, User.objects.filter(is_active=True), pk=person_id
    )
    return [
        _membership_out(m) for m in queries.memberships_of_person(request.auth, person).select_related("user")
    ]


@router.get("/jobs/{job_id}", response=JobOut, summary="Background work one started, and its progress")
def get_job(request: SignedInRequest, job_id: Id) -> Any:
    return queries.job_for(request.auth, job_id)


@router.get("/me", response=PersonOut, summary="The person the request acts as")
def me(request: SignedInRequest) -> Any:
    return request.auth


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str = Field(description="Where to go to act on it (a page of Spiral)")
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(None, description="When it was marked as read; null while unread")


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only the unread ones")


class NotificationsRead(Schema):
    ids: list[int] | None = Field(
        None, max_length=1000, description="The notifications to mark as read; leave out to mark all"
    )


class NotificationsReadOut(Schema):
    marked: int = Field(description="How many were unread and are now read")
    unread: int = Field(description="How many are still unread")


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications, newest first")
@paginate(Pagination)
def list_notifications(request: SignedInRequest, filters: Query[NotificationFilters]) -> Any:
    return queries.notifications(request.auth, unread=filters.unread)


@router.post("/notifications/read", response=NotificationsReadOut, summary="Mark notifications as read")
def read_notifications(request: SignedInRequest, payload: NotificationsRead) -> Any:
    mine = queries.notifications(request.auth)
    marked = core_notifications.mark_read(notifications=mine, ids=payload.ids)
    return {"marked": marked, "unread": mine.filter(read_at__isnull=True).count()}
