"""Pages for units, people, profiles and the audit history.

Thin: authorise, call a query or service, render.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from spiral.core import notifications as core_notifications
from spiral.core.forms import submit_form
from spiral.core.types import SignedInRequest
from spiral.organisations import extensions, imports, queries, services
from spiral.organisations.forms import (
    AddMemberForm,
    AuditFilterForm,
    MoveUnitForm,
    NewUnitForm,
    PeopleSearchForm,
    ProfileForm,
    SpiralPasswordChangeForm,
    TokenForm,
    UnitForm,
    UnitImportForm,
)
from spiral.organisations.models import ApiToken, Membership, Unit, UnitKind, User
from spiral.organisations.permissions import (
    Permission,
    can,
    get_or_deny,
    grantable_roles,
    may_remove,
    require,
)


def _crumbs(request: HttpRequest, unit: Unit, *, include_self: bool = False) -> list[dict[str, str]]:
    chain = queries.ancestors(request.user, unit) + ([unit] if include_self else [])
    return [{"href": "/", "text": "Home"}] + [{"href": f"/units/{u.code}/", "text": u.name} for u in chain]


def _unit(request: HttpRequest, code: str, permission: Permission = Permission.VIEW_UNIT) -> Unit:
    return queries.unit_for(request.user, code, permission)


def unit_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in UnitKind.values else ""
    if q or kind:
        page = Paginator(queries.units(request.user, q=q, kind=kind or None), 50).get_page(
            request.GET.get("page")
        )
        roots = None
    else:
        page, roots = None, list(queries.roots(request.user))
    return render(
        request,
        "organisations/unit_index.jinja",
        {
            "page_title": "Units",
            "active_nav": "units",
            "q": q,
            "kind": kind,
            "page": page,
            "roots": roots,
            "kinds": UnitKind.choices,
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    memberships = list(queries.memberships_of_unit(request.user, unit).select_related("unit"))
    return render(
        request,
        "organisations/unit_detail.jinja",
        {
            "page_title": unit.name,
            "active_nav": "units",
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit),
            "children": queries.children_with_counts(request.user, unit),
            "memberships": memberships,
            "removable": {m.pk for m in memberships if may_remove(request.user, m)},
            "people_beneath": queries.people_count_beneath(request.user, unit),
            "panels": extensions.unit_panels(request, unit),
        },
    )


def unit_edit(request: SignedInRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.CHANGE_UNIT)
    initial = {f: getattr(unit, f) for f in ("code", "name", "organisation_type", "opened_on", "closed_on")}
    form = UnitForm(request.POST or None, initial=initial)
    if unit.kind != UnitKind.ORGANISATION:
        del form.fields["organisation_type"]
    saved = submit_form(
        request,
        form,
        save=lambda data: services.update_unit(unit=unit, by=request.user, **data),
        success_url=lambda updated: reverse("units:detail", kwargs={"code": updated.code}),
        message=lambda updated: f"{updated.name} has been updated.",
    )
    if saved is not None:
        return saved
    return render(
        request,
        "organisations/unit_form.jinja",
        {
            "page_title": f"Edit {unit.name}",
            "form": form,
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit, include_self=True),
            "heading": f"Edit {unit.name}",
            "submit": "Save changes",
        },
    )


def unit_add_child(request: SignedInRequest, code: str) -> HttpResponse:
    parent = _unit(request, code, Permission.CHANGE_UNIT)
    form = NewUnitForm(request.POST or None, parent=parent)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.create_unit(parent=parent, by=request.user, **data),
        success_url=lambda unit: reverse("units:detail", kwargs={"code": unit.code}),
        message=lambda unit: f"{unit.name} has been added beneath {parent.name}.",
        field_map={"parent": "kind"},
    )
    if saved is not None:
        return saved
    return render(
        request,
        "organisations/unit_form.jinja",
        {
            "page_title": f"Add a unit beneath {parent.name}",
            "form": form,
            "unit": parent,
            "breadcrumbs": _crumbs(request, parent, include_self=True),
            "heading": f"Add a unit beneath {parent.name}",
            "submit": "Add unit",
        },
    )


def unit_move(request: SignedInRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.CHANGE_UNIT)
    form = MoveUnitForm(request.POST or None, user=request.user, unit=unit)
    status = 200

    def move(data: dict[str, Any]) -> Unit:
        nonlocal status
        new_parent = data["parent_code"]
        if not can(request.user, Permission.CHANGE_UNIT, new_parent):
            # A unit they may see but not change: a refusal (403), shown on the form.
            status = 403
            raise ValidationError(
                {
                    "parent_code": f"You do not have permission to add units beneath {new_parent.name}; "
                    "choose a unit where you are a leader or an admin"
                }
            )
        services.move_unit(unit=unit, new_parent=new_parent, by=request.user)
        return new_parent

    saved = submit_form(
        request,
        form,
        save=move,
        success_url=reverse("units:detail", kwargs={"code": unit.code}),
        message=lambda new_parent: f"{unit.name} now sits beneath {new_parent.name}.",
        field_map={"parent": "parent_code"},
    )
    if saved is not None:
        return saved
    return render(
        request,
        "organisations/unit_move.jinja",
        {
            "page_title": f"Move {unit.name}",
            "form": form,
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit, include_self=True),
        },
        status=status,
    )


def member_add(request: SignedInRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.MANAGE_MEMBERS)
    # Only the roles this person may grant here are offered; the service checks again.
    form = AddMemberForm(
        request.POST or None, roles=grantable_roles(request.user, unit), user=request.user, unit=unit
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["chosen"]
        try:
            services.add_membership(user=person, unit=unit, role=form.cleaned_data["role"], by=request.user)
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
            status = 403
        else:
            messages.success(request, f"{person.display_name} has been added to {unit.name}.")
            return redirect("units:detail", code=unit.code)
    elif form.has_error("role", "not_grantable"):
        status = 403  # a real role this person may not grant (the page did not offer it): a refusal
    return render(
        request,
        "organisations/member_add.jinja",
        {
            "page_title": f"Add a person to {unit.name}",
            "form": form,
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit, include_self=True),
        },
        status=status,
    )


@require_POST
def member_remove(request: SignedInRequest, code: str, membership_id: int) -> HttpResponse:
    unit = _unit(request, code)
    membership = get_or_deny(
        request.user,
        Permission.VIEW_UNIT,
        Membership.objects.select_related("unit", "user"),
        pk=membership_id,
        unit=unit,
    )
    # A refusal (PermissionDenied) answers 403 with the service's message on the error page.
    services.remove_membership(membership=membership, by=request.user)
    messages.success(
        request,
        f"{membership.user.display_name} is no longer "
        f"{membership.get_role_display().lower()} of {unit.name}.",
    )
    return redirect("units:detail", code=unit.code)


def unit_import(request: SignedInRequest) -> HttpResponse:
    """Upload, preview what would change, then confirm: the file travels in the confirm form."""
    require(request.user, Permission.IMPORT_UNITS)
    form = UnitImportForm(request.POST or None, request.FILES or None)
    result = None
    context: dict[str, object] = {
        "page_title": "Import units",
        "active_nav": "units",
        "form": form,
        "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/units/", "text": "Units"}],
    }
    if request.method == "POST" and "confirm" in request.POST:
        data = base64.b64decode(request.POST.get("payload", ""), validate=False)
        name = request.POST.get("filename", "")
        result = imports.import_units(data, by=request.user, filename=name)
        if result.ok:
            messages.success(
                request,
                f"Units imported: {result.count('create')} created, "
                f"{result.count('update')} updated, {result.count('unchanged')} unchanged.",
            )
            return redirect("units:index")
        context.update(result=result, form=UnitImportForm())
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        result = imports.import_units(data, by=request.user, dry_run=True, filename=upload.name)
        context.update(result=result, payload=base64.b64encode(data).decode(), filename=upload.name)
    return render(request, "organisations/unit_import.jinja", context)


def people_search(request: HttpRequest) -> HttpResponse:
    form = PeopleSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        found = queries.people(
            request.user,
            q=form.cleaned_data["q"],
            unit=form.cleaned_data["unit"],
            role=form.cleaned_data["role"] or None,
        ).prefetch_related("memberships__unit")
        page = Paginator(found, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/people_search.jinja",
        {
            "page_title": "Find people",
            "active_nav": "people",
            "form": form,
            "page": page,
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )


def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_or_deny(
        request.user, Permission.VIEW_PERSON, User.objects.filter(is_active=True), pk=person_id
    )
    return render(
        request,
        "organisations/person_detail.jinja",
        {
            "page_title": person.display_name,
            "active_nav": "people",
            "person": person,
            "memberships": queries.memberships_of_person(request.user, person),
            "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/people/", "text": "People"}],
        },
    )


def profile(request: SignedInRequest) -> HttpResponse:
    user = request.user
    require(user, Permission.CHANGE_PERSON, user)
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "job_title": user.job_title,
            "profession": user.profession,
        },
    )
    saved = submit_form(
        request,
        form,
        save=lambda data: services.update_profile(user=user, by=user, **data),
        success_url=reverse("profile"),
        message="Your profile has been saved.",
    )
    if saved is not None:
        return saved
    return render(
        request,
        "organisations/profile.jinja",
        {
            "page_title": "Your profile",
            "form": form,
            "token_form": TokenForm(),
            "tokens": ApiToken.objects.filter(user=user),
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )


@require_POST
def token_create(request: SignedInRequest) -> HttpResponse:
    user = request.user
    require(user, Permission.MANAGE_TOKENS, user)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "organisations/profile.jinja",
            {
                "page_title": "Your profile",
                "form": ProfileForm(initial={"display_name": user.display_name}),
                "token_form": form,
                "tokens": ApiToken.objects.filter(user=user),
            },
            status=400,
        )
    token, raw = services.create_api_token(user=user, name=form.cleaned_data["name"], by=user)
    return render(
        request,
        "organisations/token_created.jinja",
        {
            "page_title": "Your new token",
            "token": token,
            "raw": raw,
            "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/profile/", "text": "Your profile"}],
        },
    )


@require_POST
def token_revoke(request: SignedInRequest, token_id: int) -> HttpResponse:
    token = get_or_deny(request.user, Permission.MANAGE_TOKENS, ApiToken.objects.all(), pk=token_id)
    services.revoke_api_token(token=token, by=request.user)
    messages.success(request, f"The token “{token.name}” has been revoked.")
    return redirect("profile")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = SpiralPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, "Your password has been changed.")
        return redirect("profile")
    return render(
        request,
        "registration/password_change.jinja",
        {
            "page_title": "Change your password",
            "form": form,
            "breadcrumbs": [{"href": "/", "text": "Home"}, {"href": "/profile/", "text": "Your profile"}],
        },
    )


def audit_log(request: HttpRequest) -> HttpResponse:
    """The change history an admin may see, filtered by where, who, what and when."""
    require(request.user, Permission.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        events = queries.audit_events(
            request.user
        ).none()  # a filter in error shows nothing, never everything
    else:
        filters = form.filters() if form.is_bound else {}
        events = queries.audit_events(request.user, **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    unit = form.cleaned_data.get("unit") if form.is_bound and form.is_valid() else None
    return render(
        request,
        "organisations/audit.jinja",
        {
            "page_title": "Audit history",
            "active_nav": "audit",
            "page": page,
            "form": form,
            "unit": unit,
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress of background work the person started: it refreshes itself until the work ends."""
    job = queries.job_for(request.user, job_id)
    return render(
        request,
        "organisations/job.jinja",
        {"page_title": job.title, "job": job, "breadcrumbs": [{"href": "/", "text": "Home"}]},
    )


def notifications(request: HttpRequest) -> HttpResponse:
    """The person's own notifications, newest first; a POST marks one (`read`) or all (`all`) as read."""
    mine = queries.notifications(request.user)
    if request.method == "POST":
        if "all" in request.POST:
            done = core_notifications.mark_read(notifications=mine)
            messages.success(request, f"Marked {done} notification{'' if done == 1 else 's'} as read")
        elif str(request.POST.get("read", "")).isdigit():
            if not core_notifications.mark_read(notifications=mine, ids=[int(request.POST["read"])]):
                messages.error(request, "That notification is not one of your unread ones")
        else:
            messages.error(request, "Choose a notification to mark as read, or mark all as read")
        return redirect(request.get_full_path())
    page = Paginator(mine, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/notifications.jinja",
        {
            "page_title": "Notifications",
            "page": page,
            "unread": mine.filter(read_at__isnull=True).count(),
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )
