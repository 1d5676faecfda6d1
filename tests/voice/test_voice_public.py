"""The public form and the public API: no sign-in, screened before storing, rate-limited, a honeypot."""

from __future__ import annotations

import pytest
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.measurement.models import Observation
from spiral.organisations.models import Unit
from spiral.voice.models import Answer, FeedbackForm
from spiral.voice.services import update_form
from tests.factories import FeedbackFormFactory, UnitFactory


@pytest.fixture
def form(tree: dict[str, Unit]) -> FeedbackForm:
    return FeedbackFormFactory(unit=tree["org"], title="Ward 1: tell us about your stay")


def test_the_public_form_needs_no_sign_in_and_shows_only_itself(
    form: FeedbackForm, tree: dict[str, Unit]
) -> None:
    FeedbackFormFactory(unit=tree["other_org"], title="Hillside secret form")
    html = Client().get(f"/f/{form.slug}/").content.decode()
    assert "Ward 1: tell us about your stay" in html
    assert "Overall, how was your experience of our service?" in html
    assert "Hillside" not in html and "Riverside Hospitals" not in html
    assert "Sign out" not in html


def test_an_answer_is_screened_before_it_is_stored(form: FeedbackForm) -> None:
    response = Client().post(
        f"/f/{form.slug}/", {"rating": "good", "good": "My name is Jane Smith and the nurse was kind"}
    )
    assert response.status_code == 200
    assert "Thank you for your feedback" in response.content.decode()
    answer = Answer.objects.get()
    assert answer.good == "My name is [redacted] and the nurse was kind"
    assert answer.status == "review" and answer.redacted == ["name"]
    assert not any("Jane" in str(e.changes) for e in AuditEvent.objects.all())


def test_an_answer_updates_the_forms_positive_share_series(form: FeedbackForm) -> None:
    for rating in ("very_good", "good", "poor", "dont_know"):
        Client().post(f"/f/{form.slug}/", {"rating": rating})
    obs = Observation.objects.get(series__measure=form.measure)
    assert (obs.numerator, obs.denominator) == (2, 4)
    assert form.measure.chart == "p"


def test_an_answer_of_only_personal_data_gets_a_clear_message_and_is_not_stored(form: FeedbackForm) -> None:
    html = Client().post(f"/f/{form.slug}/", {"rating": "poor", "better": "07700 900123"}).content.decode()
    assert "There is a problem" in html
    assert "held only personal details (a phone number)" in html
    assert "07700 900123" not in html
    assert not Answer.objects.exists()


def test_missing_rating_and_long_text_are_both_reported(form: FeedbackForm) -> None:
    html = Client().post(f"/f/{form.slug}/", {"good": "x" * 2500}).content.decode()
    assert "Choose one answer to the first question" in html
    assert "2,500 characters" in html
    assert 'href="#id_good"' in html


def test_the_honeypot_keeps_nothing(form: FeedbackForm) -> None:
    response = Client().post(f"/f/{form.slug}/", {"rating": "good", "website": "http://spam.example"})
    assert "Thank you" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_flood_from_one_address_is_refused(form: FeedbackForm, settings: object) -> None:
    client = Client()
    statuses = [client.post(f"/f/{form.slug}/", {"rating": "good"}).status_code for _ in range(22)]
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429, 429]
    assert Answer.objects.count() == 20


def test_a_closed_or_unknown_form_is_not_found(form: FeedbackForm) -> None:
    update_form(form=form, by=None, is_open=False)
    assert Client().get(f"/f/{form.slug}/").status_code == 404
    assert Client().get("/f/nosuchform/").status_code == 404


def test_api_answer_needs_no_sign_in_nor_csrf(form: FeedbackForm) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/api/v1/feedback/forms/{form.slug}/responses",
        {"rating": "very_good", "good": "Lovely staff", "better": "Parking"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "published"
    assert Answer.objects.get().source == "api"


def test_api_answer_refuses_a_bad_rating_and_only_personal_data(form: FeedbackForm) -> None:
    url = f"/api/v1/feedback/forms/{form.slug}/responses"
    assert Client().post(url, {"rating": "great"}, content_type="application/json").status_code == 422
    response = Client().post(
        url, {"rating": "poor", "better": "jo@example.com"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "better"
    assert not Answer.objects.exists()


def test_api_answer_is_rate_limited(form: FeedbackForm) -> None:
    url = f"/api/v1/feedback/forms/{form.slug}/responses"
    codes = [
        Client().post(url, {"rating": "good"}, content_type="application/json").status_code for _ in range(21)
    ]
    assert codes[-1] == 429


def test_api_answer_to_an_unknown_form_is_404(db: object) -> None:
    response = Client().post(
        "/api/v1/feedback/forms/nope/responses", {"rating": "good"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_other_staff_pages_still_need_sign_in(form: FeedbackForm) -> None:
    response = Client().get(f"/feedback/forms/{form.pk}/")
    assert response.status_code == 302
    assert UnitFactory  # the factory module stays importable for the other voice tests


def test_an_answer_in_a_month_not_yet_ended_is_not_the_headline(form: FeedbackForm) -> None:
    """Issue 14: one anonymous answer in a month barely begun must not become the headline figure."""
    from django.utils import timezone

    from spiral.core import periods
    from spiral.measurement.models import Analysis, Series

    Client().post(f"/f/{form.slug}/", {"rating": "poor"})
    series = Series.objects.get(measure=form.measure)
    analysis = Analysis.objects.get(series=series)
    this_month = periods.start_of(timezone.localdate(), "month")
    assert analysis.incomplete_period == this_month
    assert (analysis.latest_period, analysis.latest_value, analysis.points) == (None, None, 0)
