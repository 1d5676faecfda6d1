"""Reads of assessments that pages and the API share; every list goes through `visible_to`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from spiral.assessments.models import Instrument, Response
from spiral.core.types import AnyUser
from spiral.organisations.permissions import visible_to
from spiral.projects.models import Project

SUSTAINABILITY_MODEL = "nhs-sustainability-model"


def instruments(user: AnyUser) -> QuerySet[Instrument]:
    """Every instrument version, current first."""
    return visible_to(user, Instrument.objects.all()).order_by("slug", "-is_current", "-loaded_at")


def current_instrument(user: AnyUser, slug: str = SUSTAINABILITY_MODEL) -> Instrument | None:
    """The version of the instrument that new answers use (None if it has not been loaded)."""
    return (
        visible_to(user, Instrument.objects.filter(slug=slug, is_current=True))
        .prefetch_related("groups", "items__options", "items__group")
        .first()
    )


def instrument_or_404(user: AnyUser, slug: str) -> Instrument:
    """The current version of the instrument, or 404 saying how to load it."""
    found = current_instrument(user, slug)
    if found is None:
        raise Http404(f"No instrument {slug!r} has been loaded: run `spiral load_instruments`")
    return found


def project_responses(user: AnyUser, project: Project, slug: str = SUSTAINABILITY_MODEL) -> list[Response]:
    """Every response about the project to the instrument (any version), oldest first, with its answers."""
    qs = Response.objects.filter(project=project, instrument__slug=slug).select_related(
        "respondent", "instrument"
    )
    return list(
        visible_to(user, qs)
        .prefetch_related("answers__option", "answers__item")
        .order_by("answered_on", "id")
    )
