"""Pages for units, people, profiles and the audit history.

Thin: authorise, call a query or service, render.
"""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from spiral.core.forms import add_service_errors
from spiral.organisations import imports, queries, services
from spiral.organisations.forms import (
    AddMemberForm,
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
from spiral.organisations.permissions import Permission, can, get_or_deny, require


def _crumbs(request: HttpRequest, unit: Unit, *, include_self: bool = False) -> list[dict[str, str]]:
    chain = queries.ancestors(request.user, unit) + ([unit] if include_self else [])
    return [{"href": "/", "text": "Home"}] + [{"href": f"/units/{u.code}/", "text": u.name} for u in chain]


def _unit(request: HttpRequest, code: str, permission: Permission = Permission.VIEW_UNIT) -> Unit:
    return get_or_deny(request.user, permission, Unit.objects.select_related("parent"), code=code)


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    memberships = queries.memberships_of_person(user, user)
    return render(
        request,
        "organisations/home.jinja",
        {
            "page_title": "Home",
            "active_nav": "home",
            "my_units": queries.my_units(user),
            "memberships": memberships,
        },
    )


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
    return render(
        request,
        "organisations/unit_detail.jinja",
        {
            "page_title": unit.name,
            "active_nav": "units",
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit),
            "children": queries.children_with_counts(request.user, unit),
            "memberships": queries.memberships_of_unit(request.user, unit),
            "people_beneath": queries.people_count_beneath(request.user, unit),
        },
    )


def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.CHANGE_UNIT)
    initial = {f: getattr(unit, f) for f in ("code", "name", "organisation_type", "opened_on", "closed_on")}
    form = UnitForm(request.POST or None, initial=initial)
    if unit.kind != UnitKind.ORGANISATION:
        del form.fields["organisation_type"]
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.update_unit(unit=unit, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{unit.name} has been updated.")
            return redirect("units:detail", code=unit.code)
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


def unit_add_child(request: HttpRequest, code: str) -> HttpResponse:
    parent = _unit(request, code, Permission.CHANGE_UNIT)
    form = NewUnitForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(parent=parent, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map={"parent": "kind"})
        else:
            messages.success(request, f"{unit.name} has been added beneath {parent.name}.")
            return redirect("units:detail", code=unit.code)
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


def unit_move(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.CHANGE_UNIT)
    form = MoveUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_parent = form.cleaned_data["parent_code"]
        if not can(request.user, Permission.CHANGE_UNIT, new_parent):
            form.add_error("parent_code", f"You may not add units beneath {new_parent.name}")
        else:
            try:
                services.move_unit(unit=unit, new_parent=new_parent, by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc, field_map={"parent": "parent_code"})
            else:
                messages.success(request, f"{unit.name} now sits beneath {new_parent.name}.")
                return redirect("units:detail", code=unit.code)
    return render(
        request,
        "organisations/unit_move.jinja",
        {
            "page_title": f"Move {unit.name}",
            "form": form,
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit, include_self=True),
        },
    )


def member_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.MANAGE_MEMBERS)
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["email"]
        services.add_membership(user=person, unit=unit, role=form.cleaned_data["role"], by=request.user)
        messages.success(request, f"{person.display_name} has been added to {unit.name}.")
        return redirect("units:detail", code=unit.code)
    return render(
        request,
        "organisations/member_add.jinja",
        {
            "page_title": f"Add a person to {unit.name}",
            "form": form,
            "unit": unit,
            "breadcrumbs": _crumbs(request, unit, include_self=True),
        },
    )


@require_POST
def member_remove(request: HttpRequest, code: str, membership_id: int) -> HttpResponse:
    unit = _unit(request, code)
    membership = get_or_deny(
        request.user,
        Permission.MANAGE_MEMBERS,
        Membership.objects.select_related("unit", "user"),
        pk=membership_id,
        unit=unit,
    )
    services.remove_membership(membership=membership, by=request.user)
    messages.success(
        request,
        f"{membership.user.display_name} is no longer "
        f"{membership.get_role_display().lower()} of {unit.name}.",
    )
    return redirect("units:detail", code=unit.code)


def unit_import(request: HttpRequest) -> HttpResponse:
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


def profile(request: HttpRequest) -> HttpResponse:
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
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user=user, by=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("profile")
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
def token_create(request: HttpRequest) -> HttpResponse:
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
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
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
    require(request.user, Permission.VIEW_AUDIT)
    code = request.GET.get("unit", "").strip()
    unit = queries.unit_by_code(request.user, code) if code else None
    events = queries.audit_events(request.user, unit=unit, action=request.GET.get("action") or None)
    if code and unit is None:
        events = events.none()  # an unknown code shows nothing, never everything
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/audit.jinja",
        {
            "page_title": "Audit history",
            "active_nav": "audit",
            "page": page,
            "unit": unit,
            "code": code,
            "breadcrumbs": [{"href": "/", "text": "Home"}],
        },
    )
