"""Security headers on a signed-in page, the public feedback page and the API; the session's time limits."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from django.test import Client

from spiral.core.middleware import SessionTimeoutMiddleware
from spiral.organisations.models import Unit, User
from spiral.voice.models import FeedbackForm
from tests.assertions import bearer
from tests.core.scratch_db import child_env, run_spiral
from tests.factories import FeedbackFormFactory

PRODUCTION_HEADERS = {
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


@pytest.fixture
def form(tree: dict[str, Unit]) -> FeedbackForm:
    return FeedbackFormFactory(unit=tree["org"], title="Ward 1: tell us about your stay")


@pytest.fixture
def production_headers(settings) -> None:
    for name, value in PRODUCTION_HEADERS.items():
        setattr(settings, name, value)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answers(kind: str, member: User, form: FeedbackForm):
    """The three kinds of answer: a page for a signed-in person, the public form, and the API."""
    if kind == "signed-in page":
        return signed_in(member).get("/", secure=True)
    if kind == "public feedback page":
        return Client().get(f"/f/{form.slug}/", secure=True)
    return Client().get("/api/v1/units", secure=True, **bearer(member))


KINDS = ["signed-in page", "public feedback page", "API"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_forbids_framing(kind, member, form):
    response = answers(kind, member, form)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_is_not_to_be_stored_by_any_cache(kind, member, form):
    response = answers(kind, member, form)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_over_https_carries_hsts_in_production(kind, member, form, production_headers):
    response = answers(kind, member, form)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_forbids_content_type_sniffing_and_sends_no_referrer_off_site(kind, member, form):
    response = answers(kind, member, form)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("kind", ["signed-in page", "public feedback page"])
def test_pages_allow_only_their_own_scripts_each_with_the_nonce_of_the_answer(kind, member, form):
    response = answers(kind, member, form)
    csp = policy(response)
    nonces = [s for s in csp["script-src"] if s.startswith("'nonce-")]
    assert csp["script-src"] == ["'self'", *nonces] and len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page loads the NHS.UK script"
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert "javascript:" not in html


@pytest.mark.parametrize("kind", ["signed-in page", "public feedback page"])
def test_pages_allow_no_inline_styles_and_hold_none(kind, member, form):
    response = answers(kind, member, form)
    csp = policy(response)
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    html = response.content.decode()
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html)


def test_each_answer_has_a_new_nonce(member):
    client = signed_in(member)
    first, second = (policy(client.get("/"))["script-src"][1] for _ in range(2))
    assert first != second


# --- sessions -------------------------------------------------------------------------------------------


def age_session(client: Client, *, signed_in_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[SessionTimeoutMiddleware.SIGNED_IN_AT] = now - signed_in_ago
    session[SessionTimeoutMiddleware.SEEN_AT] = now - seen_ago
    session.save()


def test_the_session_limits_default_to_eight_hours_and_thirty_minutes_idle(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60


def test_signing_in_starts_the_session_clock(member):
    client = signed_in(member)
    client.get("/")
    session = client.session
    assert abs(session[SessionTimeoutMiddleware.SIGNED_IN_AT] - time.time()) < 60
    assert session[SessionTimeoutMiddleware.SEEN_AT] == session[SessionTimeoutMiddleware.SIGNED_IN_AT]


def test_a_person_idle_for_longer_than_the_limit_is_signed_out_and_told_why(member):
    client = signed_in(member)
    client.get("/")
    age_session(client, signed_in_ago=31 * 60, seen_ago=31 * 60)
    response = client.get("/projects/", follow=True)
    assert response.redirect_chain[0] == ("/sign-in/?next=/projects/", 302)
    assert "You were signed out after 30 minutes without activity. Sign in again" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_person_active_within_the_idle_limit_stays_signed_in(member):
    client = signed_in(member)
    client.get("/")
    age_session(client, signed_in_ago=29 * 60, seen_ago=29 * 60)
    assert client.get("/").status_code == 200
    # ...and that request counts as activity.
    assert time.time() - client.session[SessionTimeoutMiddleware.SEEN_AT] < 60


def test_a_session_ends_at_its_absolute_limit_however_active(member):
    client = signed_in(member)
    client.get("/")
    age_session(client, signed_in_ago=8 * 3600, seen_ago=10)
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0].startswith("/sign-in/")
    assert "because you signed in more than 8 hours ago" in response.content.decode()


def test_the_limits_come_from_the_environment(member, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    client = signed_in(member)
    client.get("/")
    age_session(client, signed_in_ago=6 * 60, seen_ago=6 * 60)
    response = client.get("/", follow=True)
    assert "signed out after 5 minutes without activity" in response.content.decode()


def test_an_api_request_with_an_expired_session_is_refused_with_401(member):
    client = signed_in(member)
    assert client.get("/api/v1/units").status_code == 200
    age_session(client, signed_in_ago=31 * 60, seen_ago=31 * 60)
    response = client.get("/api/v1/units")
    assert response.status_code == 401


def test_session_limits_are_read_from_the_environment_and_nonsense_is_refused(tmp_path):
    env = child_env(tmp_path, None, {"SPIRAL_SESSION_MAX_AGE": "3600", "SPIRAL_SESSION_IDLE": "600"})
    shown = run_spiral(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, s.SESSION_IDLE_TIMEOUT)",
        ],
        env,
    )
    assert shown.stdout.splitlines()[-1].split() == ["3600", "600"]

    env["SPIRAL_SESSION_IDLE"] = "7200"
    refused = run_spiral(["check"], env, check=False)
    assert refused.returncode == 2
    assert (
        "SPIRAL_SESSION_IDLE=7200 must be at least 60 seconds and no more than SPIRAL_SESSION_MAX_AGE=3600"
        in (refused.stderr)
    )


def test_pages_with_charts_and_qr_codes_hold_no_inline_style_or_unnonced_script(tree, admin_user, form):
    # The pages most likely to carry generated markup: an SPC chart, a unit's measures, a form's QR code.
    from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

    series = SeriesFactory(measure=MeasureFactory(owner=tree["org"]), unit=tree["org"])
    for month, value in enumerate([10, 12, 9, 30, 11, 10, 13, 9, 8, 12, 11, 10, 40]):
        ObservationFactory(
            series=series, period_start=date(2024 + month // 12, month % 12 + 1, 1), value=value
        )
    client = signed_in(admin_user)
    for path in (
        f"/measures/series/{series.pk}/",
        f"/measures/units/{tree['org'].code}/",
        f"/feedback/forms/{form.pk}/",
        f"/feedback/forms/{form.pk}/poster/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        nonce = policy(response)["script-src"][1][len("'nonce-") : -1]
        assert "<svg" in html, path
        assert not re.search(r"\sstyle\s*=", html) and "<style" not in html, path
        assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script\b[^>]*>", html)), path
