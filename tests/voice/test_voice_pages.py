"""Feedback pages for staff, asserting on the HTML."""

from __future__ import annotations

import pytest

from spiral.organisations.models import Role, Unit
from spiral.voice import services
from spiral.voice.models import Answer, FeedbackForm
from tests.conftest import client_for, user_with_role
from tests.factories import FeedbackFormFactory


@pytest.fixture
def lead(tree: dict[str, Unit]) -> object:
    return user_with_role(Role.IMPROVEMENT_LEAD, tree["icb"])


def test_a_lead_publishes_a_form_and_sees_its_link_and_qr_code(tree: dict[str, Unit], lead: object) -> None:
    client = client_for(lead)
    response = client.post(
        "/feedback/units/RAA/forms/new/", {"title": "Ward 1 feedback", "audience": "patient"}
    )
    form = FeedbackForm.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/feedback/forms/{form.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert f"/f/{form.slug}/" in html and "<svg" in html
    assert "Positive answers on an SPC chart (p chart)" in html
    poster = client.get(f"/feedback/forms/{form.pk}/poster/").content.decode()
    assert "Scan the code" in poster
    qr = client.get(f"/feedback/forms/{form.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_a_form_page_shows_errors_in_the_summary(tree: dict[str, Unit], lead: object) -> None:
    html = client_for(lead).post("/feedback/units/RAA/forms/new/", {"audience": "patient"}).content.decode()
    assert "There is a problem" in html and 'href="#id_title"' in html


def test_the_review_page_lists_flagged_answers_and_a_moderator_shows_one(
    tree: dict[str, Unit], lead: object
) -> None:
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["org"]), rating="poor", better="Ring 07700 900123"
    )
    client = client_for(lead)
    html = client.get("/feedback/units/RAA/review/").content.decode()
    assert "Ring [redacted]" in html and "A phone number was removed." in html
    client.post(f"/feedback/answers/{answer.pk}/moderate/", {"decision": "show"})
    answer.refresh_from_db()
    assert answer.status == "published"


def test_the_review_page_names_what_was_removed_in_words_not_identifiers(
    tree: dict[str, Unit], lead: object
) -> None:
    services.submit_answer(
        form=FeedbackFormFactory(unit=tree["org"]),
        rating="poor",
        better="My NHS number is 943 476 5919, ring 07700 900123",
    )
    html = client_for(lead).get("/feedback/units/RAA/review/").content.decode()
    assert "An NHS number and a phone number were removed." in html
    assert "nhs_number" not in html and "flagged:" not in html


def test_an_answer_page_says_what_screening_was_unsure_of_in_words(
    tree: dict[str, Unit], lead: object
) -> None:
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["org"]),
        rating="good",
        good="I'm Zephyrine and the night staff were wonderful",
    )
    assert answer.redacted == ["unsure: name"]  # held, not removed
    html = client_for(lead).get(f"/feedback/answers/{answer.pk}/").content.decode()
    assert "may be there: it was left as written for a person to check." in html
    assert "unsure:" not in html


def test_staff_tag_an_answer_from_suggestions(tree: dict[str, Unit], lead: object) -> None:
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["org"]),
        rating="poor",
        better="The food was awful and I was hungry",
    )
    client = client_for(lead)
    html = client.get(f"/feedback/answers/{answer.pk}/").content.decode()
    assert "Suggested from its words: Food and drink" in html
    from spiral.voice.models import Theme

    food = Theme.objects.get(name="Food and drink")
    client.post(f"/feedback/answers/{answer.pk}/", {"themes": [food.pk], "themes-submit": "1"})
    assert list(Answer.objects.get(pk=answer.pk).themes.all()) == [food]
    unit_html = client.get("/feedback/units/RAA/").content.decode()
    assert "Themes over time" in unit_html and "Food and drink" in unit_html


def test_a_region_sees_positive_share_across_providers_on_a_funnel(
    tree: dict[str, Unit], lead: object
) -> None:
    for org, good in ((tree["org"], 9), (tree["other_org"], 4)):
        form = FeedbackFormFactory(unit=org)
        for i in range(10):
            services.submit_answer(form=form, rating="good" if i < good else "poor")
    html = client_for(lead).get("/feedback/units/QAA/").content.decode()
    assert "Positive answers across providers" in html
    assert "90.0% positive (9 of 10)" in html and "40.0% positive (4 of 10)" in html
    assert 'class="spiral-funnel"' in html


def test_the_board_page_shows_the_next_story(tree: dict[str, Unit], lead: object) -> None:
    client = client_for(lead)
    client.post("/feedback/units/RAA/stories/new/", {
        "title": "Coming home", "teller": "patient", "about": "an older man", "text": "He felt safe",
        "consent_given_on": "2025-01-10",
    })  # fmt: skip
    html = client.get("/feedback/units/RAA/stories/").content.decode()
    assert "Next story to hear" in html and "Coming home" in html


def test_the_unit_page_links_from_the_unit(tree: dict[str, Unit], lead: object) -> None:
    html = client_for(lead).get("/units/RAA/").content.decode()
    assert "/feedback/units/RAA/" in html and "/benchmarking/units/RAA/" in html


def test_untagged_answers_are_listed_with_suggestions_and_accepted_in_one_step(
    tree: dict[str, Unit], lead: object
) -> None:
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["org"]), rating="poor", better="A long wait in the queue"
    )
    client = client_for(lead)
    html = client.get("/feedback/units/RAA/untagged/").content.decode()
    assert "Tag as Waiting" in html
    from spiral.voice.models import Theme

    waiting = Theme.objects.get(name="Waiting")
    response = client.post(f"/feedback/answers/{answer.pk}/", {"themes": [waiting.pk], "themes-submit": "1",
                                                               "next": "/feedback/units/RAA/untagged/"})  # fmt: skip
    assert response["Location"] == "/feedback/units/RAA/untagged/"
    assert (
        "Every answer with a comment has a theme"
        in client.get("/feedback/units/RAA/untagged/").content.decode()
    )
