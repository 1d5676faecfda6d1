"""Pages for projects. Thin: authorise, call a query or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from spiral.core.forms import submit_form
from spiral.core.pagecache import cached_page
from spiral.core.types import SignedInRequest
from spiral.measurement import queries as m_queries
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can, require
from spiral.projects import extensions, measures, presenters, queries, services
from spiral.projects.forms import (
    ChangeIdeaForm,
    CloseForm,
    CycleForm,
    EditNodeForm,
    JournalForm,
    LinkSeriesForm,
    NewCycleForm,
    NewProjectForm,
    NewSeriesForm,
    NodeForm,
    PortfolioFilterForm,
    ProjectForm,
    ScoreForm,
    TeamMemberForm,
)
from spiral.projects.models import DriverNode, NodeKind, PdsaCycle, Project, ProjectMeasure, Status


def _project(request: HttpRequest, pk: int, permission: Permission = Permission.VIEW_PROJECT) -> Project:
    return queries.project_for(request.user, pk, permission)


def _crumbs(project: Project | None = None) -> list[dict[str, str]]:
    items = [{"href": "/", "text": "Home"}, {"href": "/projects/", "text": "Projects"}]
    if project is not None:
        items.append({"href": f"/projects/{project.pk}/", "text": project.title})
    return items


def _page(request: HttpRequest, template: str, project: Project | None, **context: Any) -> HttpResponse:
    context.setdefault("active_nav", "projects")
    context.setdefault("breadcrumbs", _crumbs(project))
    if project is not None:
        context.setdefault("project", project)
        context.setdefault("may_change", can(request.user, Permission.CHANGE_PROJECT, project))
    return render(request, f"projects/{template}", context)


def _stale(request: HttpRequest, form_class: Any, exc: services.StaleRecord, current: dict[str, Any],
           **form_kwargs: Any) -> tuple[Any, list[dict[str, str]]]:  # fmt: skip
    """The form again, now carrying the saved version, with the two versions side by side."""
    data = request.POST.copy()
    data["version"] = str(exc.current.version)
    form = form_class(data, request.FILES or None, **form_kwargs)
    form.is_valid()
    mine = dict(form.cleaned_data)
    form.add_error(None, str(exc))
    return form, presenters.compare_versions(current, mine, form.labels())


# --- lists --------------------------------------------------------------------------------------------


@cached_page
def project_index(request: HttpRequest) -> HttpResponse:
    """The portfolio: every project, or a unit's and everything beneath it, with filters and counts."""
    levels = services.scale_levels(services.default_scale())
    form = PortfolioFilterForm(request.GET or None, levels=levels)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        pp = {"yes": True, "no": False}.get(data["patient_partner"])
        filters = {
            "within": data["unit"], "status": data["status"] or None, "stage": data["stage"] or None,
            "score": data["score"] or None, "topic": data["topic"] or None, "patient_partner": pp,
            "q": data["q"] or None,
        }  # fmt: skip
    qs = queries.projects(request.user, **filters)
    page = Paginator(qs.prefetch_related("topics"), 50).get_page(request.GET.get("page"))
    within = filters.get("within")
    return _page(
        request,
        "index.jinja",
        None,
        page_title=f"Projects in {within.name}" if within else "Projects",
        form=form,
        page=page,
        counts=queries.portfolio_counts(qs),
        within=within,
        query=request.GET.urlencode(),
        breadcrumbs=[{"href": "/", "text": "Home"}],
    )


def project_mine(request: SignedInRequest) -> HttpResponse:
    user = request.user
    return _page(
        request,
        "mine.jinja",
        None,
        page_title="My work",
        projects=list(queries.my_projects(user)),
        cycles_due=list(queries.cycles_due(user)),
        unscored=list(queries.scores_not_updated(user)),
        may_create=can(user, Permission.CREATE_PROJECT),
        coaching=queries.coaches_a_project(user),
    )


def project_coaching(request: SignedInRequest) -> HttpResponse:
    return _page(
        request,
        "coaching.jinja",
        None,
        page_title="Projects I coach",
        coached=queries.coached_projects(request.user),
        thresholds=(queries.NO_CYCLE_DAYS, queries.UNCHANGED_SCORE_MONTHS, queries.NO_DATA_PERIODS),
    )


# --- a project ----------------------------------------------------------------------------------------


DRAFT_FIELDS = ("title", "aim", "problem", "aim_measure")


def _work_like(request: HttpRequest, data: Any) -> list[extensions.SimilarWork] | None:
    """Saved projects like the one being written (the form's "Check for similar work"), or None when
    nothing has been written yet to compare. The unit, when given and visible, decides what is nearby."""
    draft = {f: str(data.get(f, ""))[:2000] for f in DRAFT_FIELDS}
    if not (draft["title"].strip() or draft["aim"].strip() or draft["problem"].strip()):
        return None
    code = str(data.get("unit", "")).strip()[:32]
    unit = (
        (org_queries.unit_by_code(request.user, code) or org_queries.unit_by_code(request.user, code.upper()))
        if code
        else None
    )
    return extensions.work_like(request.user, unit, draft)


@require_POST
def project_new_similar(request: SignedInRequest) -> HttpResponse:
    """The start-a-project form's list of similar work, alone: the form's script sends the form here as
    the title and aim are typed (without JavaScript the form's button re-renders the whole form). A POST,
    so what is typed stays out of addresses and access logs; nothing is saved."""
    require(request.user, Permission.CREATE_PROJECT)
    return render(request, "projects/_similar_work.jinja", {"similar": _work_like(request, request.POST)})


def project_new(request: SignedInRequest) -> HttpResponse:
    require(request.user, Permission.CREATE_PROJECT)
    initial = {"unit": request.GET.get("unit", "").strip()}
    find = request.GET.get("find", "")
    if request.method == "POST" and "check_similar" in request.POST:
        # Only looking: the form again with what was typed, unsaved and unjudged, and the similar work.
        typed = {k: request.POST.get(k, "") for k in NewProjectForm.base_fields if k in request.POST}
        return _page(
            request,
            "project_form.jinja",
            None,
            page_title="Start a project",
            heading="Start a project",
            form=NewProjectForm(initial=initial | typed, user=request.user, find=find),
            similar=_work_like(request, request.POST),
            checks_similar=True,
            submit="Save project",
            cancel="/projects/mine/",
        )
    form = NewProjectForm(request.POST or None, initial=initial, user=request.user, find=find)

    def start(cleaned: dict[str, Any]) -> Project:
        data = dict(cleaned)
        unit: Unit = data.pop("unit")
        data.pop("version", None)
        if not can(request.user, Permission.CREATE_PROJECT, unit):
            raise ValidationError(
                {"unit": f"You have no role in {unit.name} or above it, so cannot start a project there"}
            )
        return services.create_project(unit=unit, by=request.user, **data)

    saved = submit_form(
        request,
        form,
        save=start,
        success_url=lambda project: reverse("projects:detail", kwargs={"pk": project.pk}),
        message=lambda project: f"The project “{project.title}” has been saved.",
    )
    if saved is not None:
        return saved
    return _page(
        request,
        "project_form.jinja",
        None,
        page_title="Start a project",
        heading="Start a project",
        form=form,
        similar=_work_like(request, request.POST) if request.method == "POST" else None,
        checks_similar=True,
        submit="Save project",
        cancel="/projects/mine/",
    )


@cached_page
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    nodes = queries.nodes(request.user, project)
    diagram = presenters.build_diagram(nodes, queries.edges(request.user, project))
    scores = list(queries.scores(request.user, project))
    levels = [lv.score for lv in services.scale_levels(project.scale)]
    return _page(
        request,
        "detail.jinja",
        project,
        page_title=project.title,
        breadcrumbs=_crumbs(),
        team=list(queries.team(request.user, project)),
        topics=sorted(t.name for t in project.topics.all()),
        diagram=diagram,
        ideas=list(queries.change_ideas(request.user, project)),
        recent_cycles=list(queries.cycles(request.user, project).order_by("-created_at")[:5]),
        scores=scores,
        progress_svg=presenters.progress_html(scores, levels, title=f"Progress scores of {project.title}"),
        charts=measures.linked_charts(project),
        journal=list(queries.journal(request.user, project)[:3]),
        panels=extensions.overview_panels(request, project),
    )


def project_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    current = _project_values(project)
    form = ProjectForm(request.POST or None, initial=current | {"version": project.version})
    comparison: list[dict[str, str]] = []
    if project.status == Status.CLOSED:
        form.fields["status"].choices = [*form.fields["status"].choices, (Status.CLOSED, "Closed")]  # type: ignore[attr-defined]

    def update(cleaned: dict[str, Any]) -> Project:
        data = dict(cleaned)
        version = data.pop("version", None)
        return services.update_project(project=project, by=request.user, version=version, **data)

    def show_both(exc: Any) -> None:
        nonlocal form, comparison
        form, comparison = _stale(request, ProjectForm, exc, _project_values(exc.current))

    saved = submit_form(
        request,
        form,
        save=update,
        success_url=reverse("projects:detail", kwargs={"pk": project.pk}),
        message="The project has been saved.",
        on_stale=show_both,
    )
    if saved is not None:
        return saved
    return _page(
        request,
        "project_form.jinja",
        project,
        page_title=f"Edit {project.title}",
        heading=f"Edit {project.title}",
        form=form,
        comparison=comparison,
        submit="Save changes",
        cancel=f"/projects/{project.pk}/",
    )


def _project_values(project: Project) -> dict[str, Any]:
    values = {f: getattr(project, f) for f in ProjectForm.COMPARED if f != "topics"}
    return values | {"topics": ", ".join(sorted(t.name for t in project.topics.all()))}


def project_close(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    form = CloseForm(request.POST or None, initial={"version": project.version, "lessons": project.lessons})

    def show_saved(exc: Any) -> None:
        nonlocal form
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        form = CloseForm(data)
        form.is_valid()
        form.add_error(None, f"{exc} (the project was edited while you were writing)")

    saved = submit_form(
        request,
        form,
        save=lambda data: services.close_project(
            project=project,
            lessons=data["lessons"],
            aim_achieved=data["aim_achieved"],
            version=data["version"],
            by=request.user,
        ),
        success_url=reverse("projects:detail", kwargs={"pk": project.pk}),
        message="The project has been closed. Thank you for recording what you learned.",
        on_stale=show_saved,
    )
    if saved is not None:
        return saved
    return _page(request, "close.jinja", project, page_title=f"Close {project.title}", form=form)


# --- team ---------------------------------------------------------------------------------------------


def project_team(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    team = list(queries.team(request.user, project))
    form = TeamMemberForm(
        request.POST or None, user=request.user, unit=project.unit, exclude=[m.user_id for m in team]
    )
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
        saved = submit_form(
            request,
            form,
            save=lambda data: services.add_team_member(
                project=project, user=data["chosen"], role=data["role"], by=request.user
            ),
            success_url=reverse("projects:team", kwargs={"pk": project.pk}),
            message=lambda _: f"{form.cleaned_data['chosen'].display_name} has joined the team.",
            field_map={"user": "person"},
        )
        if saved is not None:
            return saved
    return _page(
        request,
        "team.jinja",
        project,
        page_title=f"Team of {project.title}",
        team=team,
        form=form,
    )


@require_POST
def team_remove(request: SignedInRequest, pk: int, member_id: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    member = queries.team_member(request.user, project, member_id)
    if member is None:
        raise Http404("No such team member")
    try:
        services.remove_team_member(member=member, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{member.user.display_name} is no longer on the team.")
    return redirect("projects:team", pk=project.pk)


# --- driver diagram -----------------------------------------------------------------------------------


def _node_choices(
    request: HttpRequest, project: Project, *, exclude: int | None = None, kinds: tuple[str, ...] = ()
) -> list[tuple[int, str]]:
    return [
        (n.pk, f"{n.get_kind_display()}: {n.text}")
        for n in queries.nodes(request.user, project)
        if n.kind != NodeKind.CHANGE_IDEA and (not kinds or n.kind in kinds) and n.pk != exclude
    ]


def _node(request: HttpRequest, project: Project, node_id: int) -> DriverNode:
    """The node of this project's driver diagram, or 404."""
    node = queries.node(request.user, project, node_id)
    if node is None:
        raise Http404("No such node in this diagram")
    return node


def diagram(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    form = NodeForm(request.POST or None, parents=_node_choices(request, project))
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
        saved = submit_form(
            request,
            form,
            save=lambda data: services.add_node(
                project=project,
                kind=data["kind"],
                text=data["text"],
                parents=[data["parent"]],
                by=request.user,
            ),
            success_url=reverse("projects:diagram", kwargs={"pk": project.pk}),
            message="The node has been added.",
            field_map={"edges": "parent", "parents": "parent"},
        )
        if saved is not None:
            return saved
    nodes = queries.nodes(request.user, project)
    built = presenters.build_diagram(nodes, queries.edges(request.user, project))
    return _page(
        request,
        "diagram.jinja",
        project,
        page_title=f"Driver diagram: {project.title}",
        diagram=built,
        svg=presenters.diagram_svg(built, title=f"Driver diagram of {project.title}"),
        form=form,
    )


def node_edit(request: SignedInRequest, pk: int, node_id: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    node = _node(request, project, node_id)
    parents = [p.pk for p in queries.parents(request.user, project, node)]
    form = EditNodeForm(
        request.POST or None,
        initial={"text": node.text, "description": node.description, "parents": parents},
        parents=_node_choices(request, project, exclude=node.pk),
    )
    saved = submit_form(
        request,
        form,
        save=lambda data: services.edit_node(
            node=node,
            text=data["text"],
            description=data["description"],
            parents=None if node.kind == NodeKind.AIM else data["parents"],
            by=request.user,
        ),
        success_url=reverse("projects:diagram", kwargs={"pk": project.pk}),
        message="The diagram has been saved.",
        field_map={"edges": "parents", "nodes": "text"},
    )
    if saved is not None:
        return saved
    return _page(request, "node_form.jinja", project, page_title=f"Edit “{node.text}”", node=node, form=form)


@require_POST
def node_shift(request: SignedInRequest, pk: int, node_id: int, direction: str) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    node = _node(request, project, node_id)
    services.shift_node(node=node, direction=direction, by=request.user)
    return redirect(f"/projects/{project.pk}/diagram/#node-{node.pk}")


@require_POST
def node_delete(request: SignedInRequest, pk: int, node_id: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    node = _node(request, project, node_id)
    try:
        services.delete_node(node=node, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{node.text}” has been removed.")
    return redirect("projects:diagram", pk=project.pk)


# --- change ideas and cycles --------------------------------------------------------------------------


def idea_new(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    choices = _node_choices(request, project, kinds=(NodeKind.PRIMARY, NodeKind.SECONDARY))
    form = ChangeIdeaForm(request.POST or None, parents=choices)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.create_change_idea(project=project, by=request.user, **data),
        success_url=lambda idea: reverse("projects:idea", kwargs={"pk": project.pk, "idea_id": idea.pk}),
        message="The change idea has been added.",
        field_map={"edges": "parents", "nodes": "title"},
    )
    if saved is not None:
        return saved
    return _page(request, "idea_form.jinja", project, page_title="Add a change idea", form=form)


def idea_detail(request: HttpRequest, pk: int, idea_id: int) -> HttpResponse:
    project = _project(request, pk)
    idea = queries.node(request.user, project, idea_id, kind=NodeKind.CHANGE_IDEA)
    if idea is None:
        raise Http404("No such change idea in this project")
    drivers = queries.parents(request.user, project, idea)
    return _page(
        request,
        "idea.jinja",
        project,
        page_title=idea.text,
        idea=idea,
        drivers=drivers,
        ramp=list(queries.cycles(request.user, project, change_idea=idea)),
    )


def cycle_new(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    ideas = [(i.pk, i.text) for i in queries.change_ideas(request.user, project)]
    form = NewCycleForm(request.POST or None, initial={"change_idea": request.GET.get("idea")}, ideas=ideas)

    def plan(cleaned: dict[str, Any]) -> PdsaCycle:
        data = dict(cleaned)
        data.pop("version", None)
        idea = queries.node(request.user, project, data.pop("change_idea"), kind=NodeKind.CHANGE_IDEA)
        if idea is None:  # the form offers only this project's change ideas
            raise Http404("No such change idea in this project")
        return services.create_cycle(project=project, change_idea=idea, by=request.user, **data)

    saved = submit_form(
        request,
        form,
        save=plan,
        success_url=lambda cycle: reverse("projects:cycle", kwargs={"pk": project.pk, "cycle_id": cycle.pk}),
        message=lambda cycle: f"Cycle {cycle.number} of “{cycle.change_idea.text}” has been planned.",
    )
    if saved is not None:
        return saved
    return _page(
        request,
        "cycle_form.jinja",
        project,
        page_title="Plan a PDSA cycle",
        form=form,
        cycle=None,
        ideas=ideas,
    )


def cycle_detail(request: SignedInRequest, pk: int, cycle_id: int) -> HttpResponse:
    project = _project(request, pk)
    cycle = queries.cycle(request.user, project, cycle_id)
    if cycle is None:
        raise Http404("No such PDSA cycle in this project")
    current = {f: getattr(cycle, f) for f in services.CYCLE_FIELDS}
    # Once the test has begun the prediction cannot change (services refuses it): it is shown as text.
    fixed = services.prediction_fixed(cycle) and can(request.user, Permission.CHANGE_PROJECT, project)

    def fix(form: CycleForm) -> CycleForm:
        if fixed:
            del form.fields["prediction"]
        return form

    form = fix(CycleForm(request.POST or None, initial=current | {"version": cycle.version}))
    comparison: list[dict[str, str]] = []
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)

        def update(cleaned: dict[str, Any]) -> PdsaCycle:
            data = dict(cleaned)
            version = data.pop("version", None)
            return services.update_cycle(cycle=cycle, by=request.user, version=version, **data)

        def show_both(exc: Any) -> None:
            nonlocal form, comparison
            stored = {f: getattr(exc.current, f) for f in services.CYCLE_FIELDS}
            form, comparison = _stale(request, CycleForm, exc, stored)
            fix(form)

        saved = submit_form(
            request,
            form,
            save=update,
            success_url=reverse("projects:cycle", kwargs={"pk": project.pk, "cycle_id": cycle.pk}),
            message=f"Cycle {cycle.number} has been saved.",
            on_stale=show_both,
        )
        if saved is not None:
            return saved
    return _page(
        request,
        "cycle_form.jinja",
        project,
        page_title=f"Cycle {cycle.number}: {cycle.change_idea.text}",
        form=form,
        cycle=cycle,
        comparison=comparison,
        prediction_fixed=fixed,
    )


def cycle_record(request: HttpRequest, pk: int, cycle_id: int) -> HttpResponse:
    """A PDSA cycle as a record to read and print: its change idea's ramp, every cycle one after another
    (Plan, Do, Study, Act as text), this one marked; a print stylesheet leaves out the navigation."""
    project = _project(request, pk)
    cycle = queries.cycle(request.user, project, cycle_id)
    if cycle is None:
        raise Http404("No such PDSA cycle in this project")
    ramp = list(queries.cycles(request.user, project, change_idea=cycle.change_idea))
    labels = CycleForm().labels()
    return _page(
        request,
        "cycle_record.jinja",
        project,
        page_title=f"Record of cycle {cycle.number}: {cycle.change_idea.text}",
        cycle=cycle,
        ramp=[(c, presenters.cycle_record(c, CycleForm.PHASES, labels)) for c in ramp],
        drivers=queries.parents(request.user, project, cycle.change_idea),
    )


# --- measures -----------------------------------------------------------------------------------------


def project_measures(request: SignedInRequest, pk: int) -> HttpResponse:
    """The project's linked series; its editors link one from Measurement or start one for the unit."""
    project = _project(request, pk)
    user = request.user
    series_choices = [
        (s.pk, f"{s.measure.name} — {s.unit.name}")
        for s in m_queries.series_list(user, unit=project.unit, include_beneath=True)[:300]
    ]
    measure_choices = [
        (m.code, f"{m.name} ({m.code})") for m in m_queries.measures_for_unit(user, project.unit)
    ]
    action = request.POST.get("action") if request.method == "POST" else None
    link_form = LinkSeriesForm(
        request.POST if action == "link" else None, series_choices=series_choices, prefix="link"
    )
    new_form = NewSeriesForm(
        request.POST if action == "new" else None, measure_choices=measure_choices, prefix="new"
    )
    if action is not None:
        require(user, Permission.CHANGE_PROJECT, project)
        saved = submit_form(
            request,
            link_form if action == "link" else new_form,
            save=lambda data: _link(request, project, action, data),
            success_url=reverse("projects:measures", kwargs={"pk": project.pk}),
            message=lambda link: (
                f"{link.series.measure.name} is linked as a {link.get_role_display().lower()} measure."
            ),
            field_map={"unit": "measure"},
        )
        if saved is not None:
            return saved
    return _page(
        request,
        "measures.jinja",
        project,
        page_title=f"Measures of {project.title}",
        links=measures.links(project),
        link_form=link_form,
        new_form=new_form,
        error_form=link_form if action == "link" else new_form,
    )


def _link(request: SignedInRequest, project: Project, action: str, data: dict[str, Any]) -> ProjectMeasure:
    """Link the chosen series (action "link") or start one of the chosen measure for the project's unit."""
    if action == "link":
        series = m_queries.series_by_id(request.user, data["chosen"])
        if series is None:
            raise ValidationError({"series_id": f"No series has the number {data['chosen']}"})
        return services.link_series(project=project, series=series, role=data["role"], by=request.user)
    measure = m_queries.measure_by_code(request.user, data["measure"])
    if measure is None:
        raise ValidationError({"measure": "No measure has that code"})
    return services.create_series_for_project(
        project=project, measure=measure, role=data["role"], by=request.user
    )


def _measure_link(request: HttpRequest, pk: int, link_id: int) -> ProjectMeasure:
    project = _project(request, pk, Permission.CHANGE_PROJECT)
    link = queries.project_measure(request.user, project, link_id)
    if link is None:
        raise Http404("No such measure on this project")
    return link


@require_POST
def measure_unlink(request: SignedInRequest, pk: int, link_id: int) -> HttpResponse:
    link = _measure_link(request, pk, link_id)
    services.unlink_series(link=link, by=request.user)
    messages.success(request, f"{link.series.measure.name} is no longer linked (its data stay in Measures).")
    return redirect("projects:measures", pk=pk)


@require_POST
def measure_aim(request: SignedInRequest, pk: int, link_id: int) -> HttpResponse:
    link = _measure_link(request, pk, link_id)
    try:
        services.set_aim_series(link=link, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The aim is now judged by {link.series.measure.name}.")
    return redirect("projects:measures", pk=pk)


# --- progress and journal -----------------------------------------------------------------------------


def progress(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    levels = services.scale_levels(project.scale)
    form = ScoreForm(request.POST or None, levels=levels)
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
        saved = submit_form(
            request,
            form,
            save=lambda data: services.record_score(project=project, by=request.user, **data),
            success_url=reverse("projects:progress", kwargs={"pk": project.pk}),
            message="The progress score has been saved.",
        )
        if saved is not None:
            return saved
    scores = list(queries.scores(request.user, project))
    return _page(
        request,
        "progress.jinja",
        project,
        page_title=f"Progress of {project.title}",
        form=form,
        levels=levels,
        scores=scores,
        svg=presenters.progress_html(
            scores, [lv.score for lv in levels], title=f"Progress scores of {project.title}"
        ),
    )


def journal(request: SignedInRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    form = JournalForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require(request.user, Permission.CHANGE_PROJECT, project)
        saved = submit_form(
            request,
            form,
            save=lambda data: services.add_journal_entry(
                project=project,
                text=data["text"],
                on=data["on"],
                files=[data["file"]] if data["file"] else [],
                by=request.user,
            ),
            success_url=reverse("projects:journal", kwargs={"pk": project.pk}),
            message="The update has been added to the journal.",
            field_map={"files": "file"},
        )
        if saved is not None:
            return saved
    return _page(
        request,
        "journal.jinja",
        project,
        page_title=f"Journal of {project.title}",
        form=form,
        entries=list(queries.journal(request.user, project)),
    )


def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    project = _project(request, pk)
    found = queries.attachment(request.user, project, attachment_id)
    if found is None:
        raise Http404("No such file in this project")
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
    response["Content-Type"] = found.content_type
    return response


def unit_projects(request: HttpRequest, code: str) -> HttpResponse:
    """The unit page's link: the portfolio of that unit and everything beneath it."""
    unit = org_queries.unit_by_code(request.user, code)
    if unit is None:
        raise Http404("No unit has that code")
    return redirect(f"/projects/?unit={unit.code}")
