"""Pages for the catalogue, similar work, resources, communities, field tests and spread. Thin: authorise,
call a query or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from spiral.core.db import replica_reads
from spiral.core.forms import submit_form
from spiral.core.pagecache import cached_page
from spiral.core.types import SignedInRequest
from spiral.knowledge import queries, search, services
from spiral.knowledge.forms import (
    AdoptForm,
    CommunityForm,
    ReplyForm,
    ResourceForm,
    SearchForm,
    SiteForm,
    ThreadForm,
)
from spiral.knowledge.models import Community, Resource, ResourceKind
from spiral.knowledge.presenters import render_markdown
from spiral.organisations.permissions import Permission, can, require
from spiral.projects import queries as project_queries
from spiral.projects.models import NodeKind, Project


def _render(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    context.setdefault("active_nav", "knowledge")
    return render(request, f"knowledge/{template}", context)


def _crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"href": "/", "text": "Home"}] + [{"href": h, "text": t} for h, t in items]


def _project(request: HttpRequest, pk: int) -> Project:
    return project_queries.project_for(request.user, pk)


# --- search -------------------------------------------------------------------------------------------


RESULTS_PER_PAGE = 20


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@cached_page
@replica_reads
def search_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Permission.SEARCH_CATALOGUE)
    form = SearchForm(request.GET or None)
    results = page = None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["type"]
        number = min(_page_number(request.GET.get("page")), search.MAX_OFFSET // RESULTS_PER_PAGE + 1)

        def run(number: int) -> search.Results:
            return search.search_results(
                request.user,
                form.cleaned_data["q"],
                types=[kind] if kind else None,
                filters=form.filters(),
                limit=RESULTS_PER_PAGE,
                offset=(number - 1) * RESULTS_PER_PAGE,
            )

        results = run(number)
        if results.total and not results.hits:  # beyond the end: the last page
            results = run(Paginator(range(results.total), RESULTS_PER_PAGE).num_pages)
        page = Paginator(range(results.total), RESULTS_PER_PAGE).get_page(
            results.offset // RESULTS_PER_PAGE + 1
        )
    return _render(
        request,
        "search.jinja",
        page_title="Search",
        form=form,
        results=results,
        hits=results.hits if results else None,
        page=page,
        breadcrumbs=_crumbs(),
    )


# --- similar work, spread -----------------------------------------------------------------------------


def similar(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    return _render(
        request,
        "similar.jinja",
        page_title=f"Similar work: {project.title}",
        project=project,
        overlaps=queries.coherence(request.user, project),
        similar=queries.similar_projects(request.user, project),
        people=queries.people_who_have_done_it(request.user, project),
        breadcrumbs=_crumbs(("/projects/", "Projects"), (f"/projects/{project.pk}/", project.title)),
    )


def spread(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    tree = queries.spread_tree(request.user, project)
    return _render(
        request,
        "spread.jinja",
        page_title=f"Spread: {project.title}",
        project=project,
        tree=tree,
        places=queries.spread_map(tree),
        source=queries.source_of(request.user, project),
        breadcrumbs=_crumbs(("/projects/", "Projects"), (f"/projects/{project.pk}/", project.title)),
    )


def adopt(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    ideas = [
        (n.pk, n.text) for n in project_queries.nodes(request.user, project) if n.kind == NodeKind.CHANGE_IDEA
    ]
    initial = {"idea": request.GET.get("idea", ""), "unit": request.GET.get("unit", "")}
    form = AdoptForm(request.POST or None, ideas=ideas, initial=initial, user=request.user)

    def adopt_it(data: dict[str, Any]) -> Any:
        require(request.user, Permission.CREATE_PROJECT, data["unit"])
        idea = project_queries.node(request.user, project, data["idea"] or None)
        return services.adopt(
            source=project, unit=data["unit"], idea=idea, adaptation=data["adaptation"], by=request.user
        )

    saved = submit_form(
        request,
        form,
        save=adopt_it,
        success_url=lambda adoption: f"/projects/{adoption.project_id}/",
        message=lambda _: f"{form.cleaned_data['unit'].name} is adopting this change: its project is below.",
    )
    if saved is not None:
        return saved
    return _render(
        request,
        "adopt.jinja",
        page_title=f"Adopt: {project.title}",
        project=project,
        form=form,
        breadcrumbs=_crumbs(("/projects/", "Projects"), (f"/projects/{project.pk}/", project.title)),
    )


# --- resources ----------------------------------------------------------------------------------------


def resource_index(request: HttpRequest) -> HttpResponse:
    require(request.user, Permission.SEARCH_CATALOGUE)
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in ResourceKind.values else ""
    page = Paginator(
        queries.resources(request.user, kind=kind, topic=request.GET.get("topic", "")), 25
    ).get_page(request.GET.get("page"))
    return _render(
        request,
        "resource_index.jinja",
        page_title="Resources",
        page=page,
        kinds=ResourceKind.choices,
        kind=kind,
        may_curate=can(request.user, Permission.CURATE_RESOURCE),
        breadcrumbs=_crumbs(),
    )


def _resource_form_page(request: SignedInRequest, resource: Resource | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if resource is not None:
        initial = {
            "title": resource.title, "kind": resource.kind, "unit": resource.unit.code, "summary": resource.summary,
            "body": resource.body, "topics": ", ".join(t.name for t in resource.topics.all()),
            "version": resource.version,
        }  # fmt: skip
    form = ResourceForm(request.POST or None, initial=initial, user=request.user)

    def publish(d: dict[str, Any]) -> Resource:
        require(request.user, Permission.CURATE_RESOURCE, d["unit"])
        if resource is None:
            return services.create_resource(
                unit=d["unit"], title=d["title"], kind=d["kind"], summary=d["summary"], body=d["body"],
                topics=d["topics"], by=request.user,
            )  # fmt: skip
        return services.update_resource(
            resource=resource, by=request.user, version=d["version"], title=d["title"], kind=d["kind"],
            summary=d["summary"], body=d["body"], topics=d["topics"],
        )  # fmt: skip

    saved = submit_form(
        request,
        form,
        save=publish,
        success_url=lambda published: f"/resources/{published.pk}/",
        on_stale="Someone else changed this resource since you opened it: reload to see their version",
    )
    if saved is not None:
        return saved
    title = "Publish a resource" if resource is None else f"Edit: {resource.title}"
    return _render(
        request,
        "resource_form.jinja",
        page_title=title,
        form=form,
        resource=resource,
        breadcrumbs=_crumbs(("/resources/", "Resources")),
    )


def resource_new(request: SignedInRequest) -> HttpResponse:
    require(request.user, Permission.CURATE_RESOURCE)
    return _resource_form_page(request, None)


def resource_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    resource = queries.resource_for(request.user, pk, Permission.CURATE_RESOURCE)
    return _resource_form_page(request, resource)


def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = queries.resource_for(request.user, pk)
    return _render(
        request,
        "resource_detail.jinja",
        page_title=resource.title,
        resource=resource,
        body=render_markdown(resource.body),
        versions=list(resource.versions.select_related("created_by")),
        projects=list(resource.projects.select_related("unit")),
        may_edit=can(request.user, Permission.CURATE_RESOURCE, resource),
        breadcrumbs=_crumbs(("/resources/", "Resources")),
    )


# --- communities --------------------------------------------------------------------------------------


def community_index(request: HttpRequest) -> HttpResponse:
    require(request.user, Permission.SEARCH_CATALOGUE)
    return _render(
        request,
        "community_index.jinja",
        page_title="Communities of practice",
        communities=list(queries.communities(request.user)),
        may_create=can(request.user, Permission.CREATE_COMMUNITY),
        breadcrumbs=_crumbs(),
    )


def community_new(request: SignedInRequest) -> HttpResponse:
    require(request.user, Permission.CREATE_COMMUNITY)
    form = CommunityForm(
        request.POST or None, initial={"unit": request.GET.get("unit", "")}, user=request.user
    )

    def start(d: dict[str, Any]) -> Community:
        require(request.user, Permission.CREATE_COMMUNITY, d["unit"])
        return services.create_community(
            unit=d["unit"], name=d["name"], description=d["description"], topic=d["topic"], by=request.user
        )

    saved = submit_form(
        request, form, save=start, success_url=lambda community: f"/communities/{community.pk}/"
    )
    if saved is not None:
        return saved
    return _render(
        request,
        "community_form.jinja",
        page_title="Start a community",
        form=form,
        breadcrumbs=_crumbs(("/communities/", "Communities")),
    )


def _community(request: HttpRequest, pk: int) -> Community:
    return queries.community_for(request.user, pk)


def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    return _render(
        request,
        "community_detail.jinja",
        page_title=community.name,
        community=community,
        is_member=community.is_member(request.user),
        members=list(queries.members(request.user, community)),
        threads=list(queries.threads(request.user, community)[:20]),
        projects=list(community.projects.select_related("unit")[:50]),
        resources=list(community.resources.all()),
        digest=queries.digest(request.user, community)[:15],
        form=ThreadForm(),
        breadcrumbs=_crumbs(("/communities/", "Communities")),
    )


@require_POST
def community_join(request: SignedInRequest, pk: int) -> HttpResponse:
    community = queries.community_for(request.user, pk, Permission.JOIN_COMMUNITY)
    services.join_community(community=community, by=request.user)
    messages.success(request, f"You have joined {community.name}.")
    return redirect(f"/communities/{community.pk}/")


@require_POST
def community_leave(request: SignedInRequest, pk: int) -> HttpResponse:
    community = queries.community_for(request.user, pk, Permission.JOIN_COMMUNITY)
    services.leave_community(community=community, by=request.user)
    messages.success(request, f"You have left {community.name}.")
    return redirect(f"/communities/{community.pk}/")


def thread_new(request: SignedInRequest, pk: int) -> HttpResponse:
    community = queries.community_for(request.user, pk, Permission.JOIN_COMMUNITY)
    form = ThreadForm(request.POST or None)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.start_thread(community=community, by=request.user, **data),
        success_url=lambda thread: f"/communities/threads/{thread.pk}/",
    )
    if saved is not None:
        return saved
    return _render(
        request,
        "thread_form.jinja",
        page_title="Start a discussion",
        community=community,
        form=form,
        breadcrumbs=_crumbs(
            ("/communities/", "Communities"), (f"/communities/{community.pk}/", community.name)
        ),
    )


def thread_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    thread = queries.thread_for(request.user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Permission.JOIN_COMMUNITY, thread.community)
        saved = submit_form(
            request,
            form,
            save=lambda data: services.reply(thread=thread, body=data["body"], by=request.user),
            success_url=f"/communities/threads/{thread.pk}/#reply",
        )
        if saved is not None:
            return saved
    community = thread.community
    return _render(
        request,
        "thread_detail.jinja",
        page_title=thread.title,
        thread=thread,
        posts=list(queries.posts(request.user, thread)),
        is_member=community.is_member(request.user),
        form=form,
        breadcrumbs=_crumbs(
            ("/communities/", "Communities"), (f"/communities/{community.pk}/", community.name)
        ),
    )


# --- field tests --------------------------------------------------------------------------------------


def field_test_index(request: HttpRequest) -> HttpResponse:
    require(request.user, Permission.SEARCH_CATALOGUE)
    return _render(
        request,
        "field_test_index.jinja",
        page_title="Field tests",
        tests=list(queries.field_tests(request.user)),
        breadcrumbs=_crumbs(),
    )


def field_test_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test = queries.field_test_by_id(request.user, pk)
    if test is None:
        raise Http404("No field test matches that address")
    sites = queries.comparison(request.user, test)
    return _render(
        request,
        "field_test_detail.jinja",
        page_title=test.title,
        test=test,
        sites=sites,
        improving=sum(s.improving for s in sites),
        form=SiteForm(user=request.user),
        breadcrumbs=_crumbs(("/field-tests/", "Field tests")),
    )


def field_test_join(request: SignedInRequest, pk: int) -> HttpResponse:
    test = queries.field_test_for(request.user, pk)
    form = SiteForm(request.POST or None, initial={"unit": request.GET.get("unit", "")}, user=request.user)

    def join(data: dict[str, Any]) -> Any:
        require(request.user, Permission.CREATE_PROJECT, data["unit"])
        return services.join_field_test(field_test=test, unit=data["unit"], by=request.user)

    saved = submit_form(
        request,
        form,
        save=join,
        success_url=lambda site: f"/projects/{site.project_id}/",
        message=lambda _: f"{form.cleaned_data['unit'].name} has joined the field test: this is its project.",
    )
    if saved is not None:
        return saved
    return _render(
        request,
        "field_test_join.jinja",
        page_title=f"Join: {test.title}",
        test=test,
        form=form,
        breadcrumbs=_crumbs(("/field-tests/", "Field tests"), (f"/field-tests/{test.pk}/", test.title)),
    )
