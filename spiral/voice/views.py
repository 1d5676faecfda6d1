"""Feedback pages: the public form (no sign-in), and for staff: a unit's feedback, forms and their QR
posters, moderation, themes, stories and the board's next story, "you said, we did", imports, exports.
Thin: authorise, call one query or service, render."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from spiral.benchmarking import presenters as peer_presenters
from spiral.benchmarking import queries as peers
from spiral.core import exports
from spiral.core.db import replica_reads
from spiral.core.forms import add_service_errors, submit_form
from spiral.core.ratelimits import Limited, limit, with_retry_after
from spiral.core.types import SignedInRequest
from spiral.organisations import queries as org_queries
from spiral.organisations.models import Unit
from spiral.organisations.permissions import Permission, can, get_or_deny, require, units_where
from spiral.voice import imports, presenters, queries, services, themes
from spiral.voice.forms import (
    AnswerForm,
    FeedbackFormForm,
    FftImportForm,
    FormEditForm,
    LinkForm,
    StoryForm,
    TagForm,
)
from spiral.voice.models import FeedbackForm, Moderation

logger = logging.getLogger(__name__)
# The region's funnel plot compares each organisation's positive share of answers (benchmarking draws it).
POSITIVE_SHARE = peers.Counted(
    name="Friends and Family Test: positive answers",
    label="%",
    denominator_definition="Answers",
    improvement="increase",  # more positive answers is better
)
ANSWER_RATE = getattr(settings, "SPIRAL_FEEDBACK_RATE", "20/h")  # answers an hour from one address, per form


def _unit(request: HttpRequest, code: str, permission: Permission = Permission.VIEW_UNIT) -> Unit:
    return org_queries.unit_for(request.user, code, permission)


def _crumbs(unit: Unit | None = None) -> list[dict[str, str]]:
    crumbs = [{"href": "/", "text": "Home"}, {"href": "/feedback/", "text": "Feedback"}]
    if unit is not None:
        crumbs.append({"href": f"/feedback/units/{unit.code}/", "text": unit.name})
    return crumbs


def _form(request: HttpRequest, pk: int, permission: Permission | None = None) -> FeedbackForm:
    form = queries.form_by_id(request.user, pk)
    if form is None:
        raise Http404("No feedback form matches that address")
    if permission is not None:
        require(request.user, permission, form)
    return form


def public_url(request: HttpRequest, form: FeedbackForm) -> str:
    return request.build_absolute_uri(f"/f/{form.slug}/")


# ------------------------------------------------------------------------------------------------
# The public form


def rate_limited(request: HttpRequest, slug: str) -> Limited | None:
    """Count an answer from this address to this form; a `Limited` (when it lifts) if over the rate."""
    return limit(request, group=f"voice.answer.{slug}", key="ip", rate=ANSWER_RATE)


@never_cache
def answer(request: HttpRequest, slug: str) -> HttpResponse:
    """The public form. Shows nothing but this form; a closed or unknown form is simply not found."""
    feedback_form = queries.open_form_by_slug(slug)
    if feedback_form is None:
        raise Http404("This feedback form is not open")
    context: dict[str, Any] = {
        "page_title": feedback_form.title,
        "feedback_form": feedback_form,
        "public": True,
    }
    if request.method == "POST":
        form = AnswerForm(request.POST, feedback_form=feedback_form)
        limited = rate_limited(request, slug)
        if limited:
            context.update(form=form, limited=limited, rate=ANSWER_RATE)
            response = render(request, "voice/public_limited.jinja", context, status=429)
            return with_retry_after(response, limited.retry_after)
        if form.is_valid():
            if form.cleaned_data.get("website"):
                logger.info("voice.honeypot form_id=%s", feedback_form.pk)  # a robot: thank it, keep nothing
                return render(request, "voice/public_thanks.jinja", context)
            data = form.cleaned_data
            extra = {q: data.get(f"q{i}", "") for i, q in enumerate(feedback_form.own_questions, start=1)}
            try:
                saved = services.submit_answer(
                    form=feedback_form,
                    rating=data["rating"],
                    good=data["good"],
                    better=data["better"],
                    extra=extra,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                context["redacted"] = saved.status == Moderation.REVIEW
                return render(request, "voice/public_thanks.jinja", context)
    else:
        form = AnswerForm(feedback_form=feedback_form)
    context["form"] = form
    return render(request, "voice/public_form.jinja", context)


# ------------------------------------------------------------------------------------------------
# Staff pages


def index(request: HttpRequest) -> HttpResponse:
    units = list(units_where(request.user, Permission.VIEW_FEEDBACK).order_by("depth", "name")[:200])
    return render(request, "voice/index.jinja", {
        "page_title": "Feedback", "active_nav": "voice", "units": units,
        "may_import": can(request.user, Permission.IMPORT_FEEDBACK), "breadcrumbs": [{"href": "/", "text": "Home"}],
    })  # fmt: skip


def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    may_view = can(request.user, Permission.VIEW_FEEDBACK, unit)
    form_list = list(queries.forms(request.user, unit=unit, beneath=True)[:200])
    counts = services.counts_by_period([f.pk for f in form_list])
    latest: dict[int, tuple[int, int]] = {}
    for (form_id, _day), c in sorted(counts.items(), key=lambda kv: kv[0][1]):
        latest[form_id] = services.positive_share(c)
    context: dict[str, Any] = {
        "page_title": f"Feedback: {unit.name}", "active_nav": "voice", "unit": unit, "forms": form_list,
        "latest": latest, "may_view": may_view, "p": presenters, "breadcrumbs": _crumbs(),
        "may_manage": can(request.user, Permission.MANAGE_FEEDBACK, unit),
        "may_moderate": can(request.user, Permission.MODERATE_FEEDBACK, unit),
    }  # fmt: skip
    if may_view:
        context["recent"] = list(
            queries.answers(request.user, unit=unit, status=Moderation.PUBLISHED, with_text=True)[:20]
        )
        context["waiting"] = (
            queries.waiting_for_review(request.user, unit).count() if context["may_moderate"] else 0
        )
        context["themes"] = queries.theme_counts(request.user, unit=unit)
        context["board"] = queries.board_stories(request.user, unit)
        context["links"] = list(queries.links_for_unit(request.user, unit)[:20])
    period, shares = queries.provider_shares(request.user, within=unit)
    if len(shares) >= 2:
        data = peers.counted_data(
            of=POSITIVE_SHARE,
            within=unit,
            period=period,
            counts=[(s["unit"], s["positive"], s["total"]) for s in shares],
        )
        result = peers.compute(data)  # the default: adjusted only when the points vary more than chance
    if len(shares) >= 2 and result is not None:
        context["funnel"] = {
            "period": period,
            "result": result,
            "rows": list(zip(shares, result.flags.tolist(), strict=True)),
        }
        context["funnel_svg"] = peer_presenters.funnel_html(
            data, result, title=f"Positive answers, organisations in {unit.name}, {period:%B %Y}"
        )
    return render(request, "voice/unit.jinja", context)


def review(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.MODERATE_FEEDBACK)
    return render(request, "voice/review.jinja", {
        "page_title": f"Answers waiting for review: {unit.name}", "active_nav": "voice", "unit": unit,
        "answers": list(queries.waiting_for_review(request.user, unit)[:100]), "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def untagged(request: HttpRequest, code: str) -> HttpResponse:
    """Answers with comments and no theme yet, each with the themes Spiral suggests from its words."""
    unit = _unit(request, code, Permission.TAG_FEEDBACK)
    items = list(
        queries.answers(request.user, unit=unit, status=Moderation.PUBLISHED, with_text=True).filter(
            themes__isnull=True
        )[:50]
    )
    suggestions = themes.suggest([f"{a.good} {a.better}" for a in items], list(queries.themes()))
    return render(request, "voice/untagged.jinja", {
        "page_title": f"Answers to tag: {unit.name}", "active_nav": "voice", "unit": unit,
        "rows": list(zip(items, suggestions, strict=True)), "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def answer_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    item = queries.answer_by_id(request.user, pk)
    if item is None:
        raise Http404("No answer matches that address")
    unit = item.form.unit
    choices = [(t.pk, t.name) for t in queries.themes()]
    tag_form = TagForm(
        request.POST or None, theme_choices=choices, initial={"themes": [t.pk for t in item.themes.all()]}
    )
    link_form = LinkForm(request.POST or None, prefix="link")
    if request.method == "POST" and "themes-submit" in request.POST:
        require(request.user, Permission.TAG_FEEDBACK, item)
        if tag_form.is_valid():
            chosen = queries.themes().filter(pk__in=tag_form.cleaned_data["themes"])
            services.tag_answer(answer=item, themes=chosen, by=request.user)
            messages.success(request, "Themes saved")
            back = request.POST.get("next", "")
            if back.startswith("/feedback/") and "//" not in back:
                return redirect(back)
            return redirect("voice:answer", pk=item.pk)
    if request.method == "POST" and "link-submit" in request.POST:
        require(request.user, Permission.MANAGE_FEEDBACK, item)
        if link_form.is_valid():
            project = _project(request, link_form.cleaned_data["project"])
            if project is None:
                link_form.add_error("project", "No project has that number")
            else:
                services.link_feedback(
                    project=project,
                    unit=unit,
                    answer=item,
                    note=link_form.cleaned_data["note"],
                    by=request.user,
                )
                messages.success(request, f"Linked to the project {project}")
                return redirect("voice:answer", pk=item.pk)
    suggested = themes.suggest([f"{item.good} {item.better}"], list(queries.themes()))[0]
    return render(request, "voice/answer.jinja", {
        "page_title": "Answer", "active_nav": "voice", "item": item, "unit": unit, "tag_form": tag_form,
        "link_form": link_form, "suggested": suggested, "breadcrumbs": _crumbs(unit),
        "may_tag": can(request.user, Permission.TAG_FEEDBACK, item),
        "may_moderate": can(request.user, Permission.MODERATE_FEEDBACK, item),
        "may_manage": can(request.user, Permission.MANAGE_FEEDBACK, item),
    })  # fmt: skip


def _project(request: HttpRequest, pk: int) -> Any:
    from spiral.projects.queries import project_by_id

    return project_by_id(request.user, pk)


@require_POST
def moderate(request: SignedInRequest, pk: int) -> HttpResponse:
    item = get_or_deny(request.user, Permission.MODERATE_FEEDBACK, queries.answers(request.user), pk=pk)
    show = request.POST.get("decision") == "show"
    services.moderate_answer(answer=item, show=show, by=request.user)
    messages.success(request, "The answer is shown" if show else "The answer is hidden")
    return redirect("voice:review", code=item.form.unit.code)


def form_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.MANAGE_FEEDBACK)
    form = FeedbackFormForm(request.POST or None)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.create_form(unit=unit, by=request.user, **data),
        success_url=lambda created: reverse("voice:form", kwargs={"pk": created.pk}),
        message=lambda created: f"The form '{created.title}' is published",
    )
    if saved is not None:
        return saved
    return render(request, "voice/form_edit.jinja", {
        "page_title": f"New feedback form for {unit.name}", "active_nav": "voice", "unit": unit, "form": form,
        "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def form_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    item = _form(request, pk, Permission.MANAGE_FEEDBACK)
    initial = {"title": item.title, "question": item.question, "introduction": item.introduction,
               "own_questions": "\n".join(item.own_questions), "is_open": item.is_open}  # fmt: skip
    form = FormEditForm(request.POST or None, initial=initial)
    saved = submit_form(
        request,
        form,
        save=lambda data: services.update_form(form=item, by=request.user, **data),
        success_url=reverse("voice:form", kwargs={"pk": item.pk}),
        message="Saved",
    )
    if saved is not None:
        return saved
    return render(request, "voice/form_edit.jinja", {
        "page_title": f"Edit {item.title}", "active_nav": "voice", "unit": item.unit, "form": form, "item": item,
        "breadcrumbs": _crumbs(item.unit),
    })  # fmt: skip


def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _form(request, pk)
    series = services.form_series(item)
    return render(request, "voice/form_detail.jinja", {
        "page_title": item.title, "active_nav": "voice", "item": item, "unit": item.unit,
        "link": public_url(request, item), "qr": presenters.qr_markup(public_url(request, item), title=f"QR code: {item.title}", scale=5),
        "shares": queries.monthly_share(request.user, item), "series": series, "p": presenters,
        "may_manage": can(request.user, Permission.MANAGE_FEEDBACK, item), "breadcrumbs": _crumbs(item.unit),
    })  # fmt: skip


def form_poster(request: HttpRequest, pk: int) -> HttpResponse:
    item = _form(request, pk)
    link = public_url(request, item)
    return render(request, "voice/poster.jinja", {
        "page_title": f"Poster: {item.title}", "item": item, "link": link,
        "qr": presenters.qr_markup(link, title=f"QR code for {item.title}", scale=10), "breadcrumbs": _crumbs(item.unit),
    })  # fmt: skip


def form_qr(request: HttpRequest, pk: int) -> HttpResponse:
    item = _form(request, pk)
    svg = presenters.qr_svg(public_url(request, item), title=f"QR code for {item.title}", scale=10)
    return exports.download(
        '<?xml version="1.0" encoding="utf-8"?>\n' + svg, f"feedback-{item.slug}.svg", "image/svg+xml"
    )


@replica_reads
def unit_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    unit = _unit(request, code, Permission.VIEW_FEEDBACK)
    items = list(queries.answers(request.user, unit=unit)[:50_000])
    rows = presenters.answer_rows(items)
    name = f"{unit.code}-feedback".replace("/", "-")
    if fmt == "xlsx":
        content = exports.write_xlsx([("Answers", presenters.ANSWER_HEADER, rows)])
        return exports.download(content, f"{name}.xlsx", exports.XLSX_TYPE)
    if fmt != "csv":
        raise Http404("Exports are CSV or XLSX")
    return exports.download(
        exports.write_csv(presenters.ANSWER_HEADER, rows), f"{name}.csv", exports.CSV_TYPE
    )


def board(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.VIEW_FEEDBACK)
    return render(request, "voice/board.jinja", {
        "page_title": f"Stories for the board of {unit.name}", "active_nav": "voice", "unit": unit,
        "board": queries.board_stories(request.user, unit), "breadcrumbs": _crumbs(unit),
        "may_manage": can(request.user, Permission.MANAGE_FEEDBACK, unit),
    })  # fmt: skip


def story_create(request: SignedInRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Permission.MANAGE_FEEDBACK)
    form = StoryForm(request.POST or None)

    def tell(data: dict[str, Any]) -> Any:
        story, warnings = services.create_story(unit=unit, by=request.user, **data)
        for warning in warnings:
            messages.warning(request, warning)
        return story

    saved = submit_form(
        request,
        form,
        save=tell,
        success_url=lambda story: reverse("voice:story", kwargs={"pk": story.pk}),
        message="The story is saved",
    )
    if saved is not None:
        return saved
    return render(request, "voice/story_form.jinja", {
        "page_title": f"New story for {unit.name}", "active_nav": "voice", "unit": unit, "form": form,
        "breadcrumbs": _crumbs(unit),
    })  # fmt: skip


def story_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    story = queries.story_by_id(request.user, pk)
    if story is None:
        raise Http404("No story matches that address")
    link_form = LinkForm(request.POST or None, prefix="link")
    may_manage = can(request.user, Permission.MANAGE_FEEDBACK, story)
    if request.method == "POST":
        require(request.user, Permission.MANAGE_FEEDBACK, story)
        if "heard" in request.POST:
            services.mark_story_heard(story=story, by=request.user)
            messages.success(request, "Recorded as heard by the board today")
            return redirect("voice:board", code=story.unit.code)
        if link_form.is_valid():
            project = _project(request, link_form.cleaned_data["project"])
            if project is None:
                link_form.add_error("project", "No project has that number")
            else:
                services.link_story(story=story, projects=[*story.projects.all(), project], by=request.user)
                return redirect("voice:story", pk=story.pk)
    return render(request, "voice/story.jinja", {
        "page_title": story.title, "active_nav": "voice", "story": story, "unit": story.unit, "link_form": link_form,
        "may_manage": may_manage, "breadcrumbs": _crumbs(story.unit),
    })  # fmt: skip


def import_fft(request: SignedInRequest) -> HttpResponse:
    if not can(request.user, Permission.IMPORT_FEEDBACK):
        require(request.user, Permission.IMPORT_FEEDBACK, None)
    form = FftImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.import_fft(
            upload.read(), by=request.user, dry_run=form.cleaned_data["dry_run"], filename=upload.name
        )
    return render(request, "voice/import.jinja", {
        "page_title": "Import Friends and Family Test returns", "active_nav": "voice", "form": form, "result": result,
        "breadcrumbs": _crumbs(),
    })  # fmt: skip


def project_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """You said, we did: the feedback and stories that prompted a project."""
    project = _project(request, pk)
    if project is None:
        raise Http404("No project matches that address")
    return render(request, "voice/project.jinja", {
        "page_title": f"Feedback behind {project}", "active_nav": "voice", "project": project,
        "links": list(queries.links_for_project(request.user, project)),
        "stories": list(queries.stories(request.user).filter(projects=project)), "breadcrumbs": _crumbs(),
    })  # fmt: skip
