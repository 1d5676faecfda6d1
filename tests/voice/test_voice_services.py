"""Voice services and reads: forms and their series, moderation, themes, stories, you said we did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.measurement.models import Analysis, Observation
from spiral.organisations.models import Role, Unit
from spiral.voice import queries, services, themes
from spiral.voice.models import Answer, Theme
from tests.conftest import user_with_role
from tests.factories import FeedbackFormFactory, ProjectFactory


def test_a_new_form_has_a_p_chart_measure_and_series(tree: dict[str, Unit]) -> None:
    form = FeedbackFormFactory(unit=tree["team"], audience="staff", title="Ward 1 staff")
    assert form.measure.chart == "p" and form.measure.owner == tree["team"]
    assert services.form_series(form).unit == tree["team"]
    assert form.question == "Overall, how was your experience of working in this team?"
    assert AuditEvent.objects.filter(action="feedback_form.create").exists()


def test_a_form_refuses_more_than_five_own_questions(tree: dict[str, Unit]) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_form(unit=tree["team"], by=None, title="Too many", own_questions="a\nb\nc\nd\ne\nf")
    assert "at most 5" in caught.value.message_dict["own_questions"][0]


def test_positive_share_counts_dont_know_in_the_total(tree: dict[str, Unit]) -> None:
    form = FeedbackFormFactory(unit=tree["team"])
    when = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    for rating in ["very_good", "very_good", "good", "neither", "dont_know"]:
        services.submit_answer(form=form, rating=rating, when=when)
    obs = Observation.objects.get(series__measure=form.measure, period_start=dt.date(2025, 3, 1))
    assert (obs.numerator, obs.denominator) == (3, 5)
    assert obs.value == pytest.approx(0.6)


def test_a_drop_in_positive_share_shows_as_special_cause(tree: dict[str, Unit]) -> None:
    form = FeedbackFormFactory(unit=tree["team"])
    from spiral.voice.models import ImportedCounts

    for m in range(1, 13):
        day = dt.date(2024 + (m > 12), m, 1)
        good = 95 if m <= 8 else 60
        ImportedCounts.objects.create(form=form, period_start=day, very_good=good, good=0, poor=100 - good)
    services.refresh_series(
        form=form, periods=[dt.date(2024, m, 1) for m in range(1, 13)], by=None, source="test"
    )
    analysis = Analysis.objects.get(series__measure=form.measure)
    assert analysis.variation_icon == "concern_low"


def test_moderation_shows_or_hides_an_answer(tree: dict[str, Unit]) -> None:
    lead = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["team"]), rating="poor", better="Ring 07700 900123 now"
    )
    assert answer.status == "review" and answer.better == "Ring [redacted] now"
    services.moderate_answer(answer=answer, show=True, by=lead)
    answer.refresh_from_db()
    assert answer.status == "published" and answer.moderated_by == lead


def test_tagging_and_counting_themes_over_time(tree: dict[str, Unit]) -> None:
    member = user_with_role(Role.MEMBER, tree["org"])
    form = FeedbackFormFactory(unit=tree["team"])
    waiting = Theme.objects.get(name="Waiting")
    today = dt.date.today().replace(day=1)
    for _ in range(3):
        a = services.submit_answer(form=form, rating="poor", better="Long wait")
        services.tag_answer(answer=a, themes=[waiting], by=member)
    counts = queries.theme_counts(member, unit=tree["org"], end=today)
    assert counts["rows"][0]["theme"] == "Waiting"
    assert counts["rows"][0]["counts"][-1] == 3


def test_themes_are_suggested_from_words(db: object) -> None:
    found = themes.suggest(
        ["I waited four hours and nobody explained", "Thank you"], list(Theme.objects.all())
    )
    assert {t.name for t in found[0]} == {"Communication", "Waiting"}
    assert found[1] == []


def test_you_said_we_did_links_feedback_to_a_project(tree: dict[str, Unit]) -> None:
    lead = user_with_role(Role.LEADER, tree["org"])
    project = ProjectFactory(unit=tree["team"])
    answer = services.submit_answer(
        form=FeedbackFormFactory(unit=tree["team"]), rating="poor", better="Cold food"
    )
    services.link_feedback(project=project, unit=tree["team"], answer=answer, note="Heated trolleys", by=lead)
    services.link_feedback(
        project=project, unit=tree["team"], theme=Theme.objects.get(name="Food and drink"), by=lead
    )
    assert queries.links_for_project(lead, project).count() == 2
    with pytest.raises(ValidationError):
        services.link_feedback(project=project, unit=tree["team"], by=lead)


def test_a_story_needs_consent_and_the_board_hears_the_oldest_first(tree: dict[str, Unit]) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_story(unit=tree["org"], by=None, title="T", teller="carer", about="a carer", text="x",
                              consent_given_on=None)  # fmt: skip
    assert "consent" in caught.value.message_dict["consent_given_on"][0].lower()
    older, _ = services.create_story(unit=tree["org"], by=None, title="Older", teller="patient", about="a man",
                                     text="Story one", consent_given_on=dt.date(2025, 1, 1))  # fmt: skip
    newer, warnings = services.create_story(unit=tree["team"], by=None, title="Newer", teller="staff", about="a nurse",
                                            text="My name is Ann Lee and I work nights", consent_given_on=dt.date(2025, 2, 1))  # fmt: skip
    assert warnings and "[redacted]" in newer.text
    leader = user_with_role(Role.LEADER, tree["org"])
    assert queries.board_stories(leader, tree["org"])["next"] == older
    services.mark_story_heard(story=older, by=leader, on=dt.date(2025, 3, 1))
    board = queries.board_stories(leader, tree["org"])
    assert board["next"] == newer and board["heard"] == [older]


def test_the_original_text_is_never_kept(tree: dict[str, Unit]) -> None:
    services.submit_answer(
        form=FeedbackFormFactory(unit=tree["team"]), rating="good", good="Email me: a.b@example.com"
    )
    assert not Answer.objects.filter(good__contains="example.com").exists()
    assert not AuditEvent.objects.filter(changes__icontains="example.com").exists()
