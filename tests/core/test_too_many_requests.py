"""Every 429 says when the refusal lifts and sends Retry-After: rate limits (pages and API), the API's
throttle, and the sign-in lock-out (django-axes)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from spiral.api import api
from spiral.core.ratelimits import UNKNOWN_CLIENT, client_ip, when_phrase
from tests.assertions import bearer
from tests.factories import FeedbackFormFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


def retry_after(response: object) -> int:
    value = response["Retry-After"]  # type: ignore[index]
    assert value.isdigit(), value
    return int(value)


def minutes_said(text: str) -> int:
    """The minutes in 'in 1 hour 5 minutes (at 14:05)' or 'in 37 minutes (at 14:05)'."""
    found = re.search(r"in (?:(\d+) hours? ?)?(?:(\d+) minutes?)? \(at \d{2}:\d{2}\)", text)
    assert found, text
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


@pytest.fixture
def feedback_form(tree):
    return FeedbackFormFactory(unit=tree["team"])


# --- the wording ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "in 1 minute"), (60, "in 1 minute"), (61, "in 2 minutes"), (2220, "in 37 minutes"),
     (3600, "in 1 hour"), (3900, "in 1 hour 5 minutes")],
)  # fmt: skip
def test_the_wait_is_said_in_whole_minutes_with_the_time_it_lifts(seconds, words):
    phrase = when_phrase(seconds)
    assert phrase.startswith(words + " (at ")
    lifts = timezone.localtime(timezone.now() + dt.timedelta(seconds=seconds))
    assert phrase.endswith(f"(at {lifts:%H:%M})") or phrase.endswith(
        f"(at {lifts - dt.timedelta(minutes=1):%H:%M})"
    )


# --- the public feedback form: a page and the API ---------------------------------------------------------


def test_the_feedback_page_over_its_hourly_limit_says_when_to_try_again_and_sends_retry_after(feedback_form):
    client = Client()
    for _ in range(20):
        client.post(f"/f/{feedback_form.slug}/", {"rating": "good"})
    response = client.post(f"/f/{feedback_form.slug}/", {"rating": "good"})
    assert response.status_code == 429
    seconds = retry_after(response)
    assert 1 <= seconds <= 3600  # the limit is per hour, its window at most an hour
    html = response.content.decode()
    assert "try again in a minute" not in html
    assert minutes_said(html) == -(-seconds // 60)


def test_the_feedback_api_over_its_limit_says_when_to_try_again_and_sends_retry_after(feedback_form):
    url = f"/api/v1/feedback/forms/{feedback_form.slug}/responses"
    for _ in range(20):
        Client().post(url, {"rating": "good"}, content_type="application/json")
    response = Client().post(url, {"rating": "good"}, content_type="application/json")
    assert response.status_code == 429
    seconds = retry_after(response)
    assert 1 <= seconds <= 3600
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"].startswith("Too many answers to this form from this address: try again in ")
    assert minutes_said(body["detail"]) == -(-seconds // 60)


def test_the_api_throttle_says_when_to_try_again_and_sends_retry_after(tree, member, monkeypatch):
    throttle = api.throttle[0]
    monkeypatch.setattr(throttle, "num_requests", 2)
    headers = bearer(member)
    codes = [Client().get("/api/v1/me", **headers) for _ in range(3)]
    response = codes[-1]
    assert [r.status_code for r in codes] == [200, 200, 429]
    seconds = retry_after(response)
    assert 1 <= seconds <= 60  # the throttle counts per minute
    assert "try again in 1 minute (at " in response.json()["detail"]


# --- the sign-in lock-out ---------------------------------------------------------------------------------


def lock_out(email: str) -> object:
    client = Client()
    for _ in range(5):
        client.post("/sign-in/", {"username": email, "password": "wrong"})
    return client.post("/sign-in/", {"username": email, "password": PASSWORD})


def test_the_lock_out_says_what_to_do_and_when_it_lifts_with_retry_after(tree, member):
    response = lock_out(member.email)
    assert response.status_code == 429
    assert 14 * 60 < retry_after(response) <= 15 * 60
    html = response.content.decode()
    assert "Too many sign-in attempts" in html
    assert "after 5 wrong passwords" in html
    assert minutes_said(html) == 15
    assert "ask a system administrator to set a new one" in html
    assert "_auth_user_id" not in Client().session


def test_the_lock_out_follows_the_cool_off_setting(tree, member, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=40)
    response = lock_out(member.email)
    assert 39 * 60 < retry_after(response) <= 40 * 60
    assert minutes_said(response.content.decode()) == 40


def test_the_cool_off_is_read_from_the_environment_with_a_default(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.AXES_COOLOFF_TIME)"
    )
    env = {k: v for k, v in os.environ.items() if k != "AXES_COOLOFF_MINUTES"}
    env.update(DJANGO_SETTINGS_MODULE="spiral.settings", SPIRAL_DATA_DIR=str(tmp_path))
    default = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    chosen = subprocess.run(
        [sys.executable, "-c", code], env=env | {"AXES_COOLOFF_MINUTES": "30"}, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    assert default.stdout.strip() == "0:15:00", default.stderr
    assert chosen.stdout.strip() == "0:30:00", chosen.stderr


# --- whose address is counted -----------------------------------------------------------------------------


def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_appended(feedback_form, settings):
    settings.SPIRAL_BEHIND_PROXY = True
    url = f"/f/{feedback_form.slug}/"
    for _ in range(20):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7").post(
            url, {"rating": "good"}
        )
    # The balancer's address is the same for everyone: another client is not refused for the first's answers,
    # and a client cannot escape its count by sending a made-up first entry of its own.
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.post(url, {"rating": "good"}).status_code != 429
    same = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    assert same.post(url, {"rating": "good"}).status_code == 429


def test_without_the_proxy_setting_a_forwarded_header_is_ignored(feedback_form, settings):
    settings.SPIRAL_BEHIND_PROXY = False
    url = f"/f/{feedback_form.slug}/"
    for n in range(20):
        Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
            url, {"rating": "good"}
        )
    spoofed = Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert spoofed.post(url, {"rating": "good"}).status_code == 429


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/gunicorn.sock"])
def test_an_answer_with_no_readable_address_is_counted_not_a_server_error(feedback_form, remote_addr):
    response = Client(REMOTE_ADDR=remote_addr).post(f"/f/{feedback_form.slug}/", {"rating": "good"})
    assert response.status_code < 500


def test_a_request_without_any_address_counts_as_the_unknown_client(rf):
    request = rf.get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) == UNKNOWN_CLIENT
