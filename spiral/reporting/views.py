"""Each person's home page (issue 15): one section for each kind of role they hold."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from spiral.core.pagecache import cached_page
from spiral.core.types import SignedInRequest
from spiral.measurement import presenters as measurement_presenters
from spiral.organisations import queries as org_queries
from spiral.reporting import queries


@cached_page  # per person and data generation, as every main page
def home(request: SignedInRequest) -> HttpResponse:
    """The signed-in person's home: their work, by role, and one click to each full page."""
    page = queries.home(request.user)
    return render(
        request,
        "reporting/home.jinja",
        {
            "page_title": "Home",
            "active_nav": "home",
            "page": page,
            "memberships": page.memberships,
            "my_units": org_queries.my_units(request.user),
            "p": measurement_presenters,
        },
    )
