"""Every write to feedback forms, answers, themes, stories and links: keyword-only, the actor as `by=`
(None for a member of the public or the system), one transaction, audited in it.

Free text is screened before anything is stored: personal data is replaced by [redacted] in place, the
answer waits for a moderator, and the original text is never kept, logged or echoed back.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from spiral.core import audit, screening
from spiral.measurement import services as measurement_services
from spiral.measurement.models import Chart, Improvement, Series
from spiral.organisations.models import Unit, User
from spiral.voice.models import (
    DEFAULT_QUESTION,
    OWN_QUESTIONS,
    POSITIVE,
    RATINGS,
    TEXT_LIMIT,
    Answer,
    Audience,
    FeedbackForm,
    FeedbackLink,
    ImportedCounts,
    Moderation,
    Rating,
    Story,
    Teller,
    Theme,
)

logger = logging.getLogger(__name__)
_ONLY_REDACTED = re.compile(r"^[\s\W]*$")


def month_of(day: dt.date) -> dt.date:
    """The first day of the month holding `day`: the period feedback is counted in."""
    return day.replace(day=1)


def _actor(by: User | None) -> User | None:
    return by if getattr(by, "pk", None) else None


# ------------------------------------------------------------------------------------------------
# Screening


def screen_text(text: Any, *, field: str, label: str) -> tuple[str, list[str], list[str]]:
    """(text to store, kinds of personal data removed, kinds that may be there and were left for a person
    to check). Raises ValidationError for text over the limit or text that held nothing but personal data
    (nothing of it is kept)."""
    value = "" if text is None else str(text).strip()
    if not value:
        return "", [], []
    if len(value) > TEXT_LIMIT:
        raise ValidationError(
            {field: f"{label} is {len(value):,} characters long; write at most {TEXT_LIMIT:,} characters"}
        )
    result = screening.screen(value)
    cleaned, kinds = result.text, result.kinds
    if kinds and _ONLY_REDACTED.match(cleaned.replace(screening.REDACTED, "")):
        raise ValidationError(
            {
                field: f"{label} held only personal details ({screening.describe(kinds)}), which we do not "
                "keep. Tell us about your experience without them, or leave this empty."
            }
        )
    return cleaned, kinds, result.doubts


def unsure(kinds: Iterable[str]) -> list[str]:
    """How an answer's `redacted` list records a kind that was held for review but not removed."""
    return [f"{screening.UNSURE_PREFIX}{kind}" for kind in dict.fromkeys(kinds)]


# ------------------------------------------------------------------------------------------------
# Forms


def _slug() -> str:
    return secrets.token_urlsafe(8).replace("_", "").replace("-", "").lower()[:10] or secrets.token_hex(5)


_FORM_LABELS = {"title": "The title", "question": "The question", "introduction": "The introduction",
                "own_questions": "Your questions"}  # fmt: skip


def _clean_form(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Enter a title, for example 'Ward 1: tell us about your stay'"
    elif len(values["title"]) > 200:
        errors["title"] = "A title has at most 200 characters"
    if values["audience"] not in Audience.values:
        errors["audience"] = "Choose patients and carers, or staff"
    if len(values["question"]) > 300:
        errors["question"] = "The question has at most 300 characters"
    own = values["own_questions"]
    if len(own) > OWN_QUESTIONS:
        errors["own_questions"] = f"A form has at most {OWN_QUESTIONS} questions of its own"
    elif any(len(q) > 300 for q in own):
        errors["own_questions"] = "Each question has at most 300 characters"
    # The form is public and staff write it: personal data is refused, naming the field.
    texts = {k: values.get(k) or "" for k in ("title", "question", "introduction")}
    texts["own_questions"] = "\n".join(own)
    refused = screening.check_fields(texts, _FORM_LABELS)
    return {**refused, **errors}


def _own_questions(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [str(q).strip() for q in (value or []) if str(q).strip()]


@transaction.atomic
def create_form(
    *,
    unit: Unit,
    by: User | None,
    title: str,
    audience: str = Audience.PATIENT,
    question: str = "",
    introduction: str = "",
    own_questions: Any = None,
) -> FeedbackForm:
    """Publish a feedback form for `unit`, with the measure and series of its positive share (p chart)."""
    values = {
        "title": (title or "").strip(),
        "audience": audience,
        "question": (question or "").strip() or DEFAULT_QUESTION.get(audience, DEFAULT_QUESTION["patient"]),
        "introduction": (introduction or "").strip(),
        "own_questions": _own_questions(own_questions),
    }
    errors = _clean_form(values)
    if errors:
        raise ValidationError(errors)
    form = FeedbackForm.objects.create(unit=unit, slug=_slug(), created_by=_actor(by), **values)
    measure = measurement_services.create_measure(
        code=f"FFT-{form.slug.upper()}",
        name=f"{form.title}: positive answers",
        owner=unit,
        by=by,
        chart=Chart.P,
        improvement=Improvement.INCREASE,
        label="%",
        description=f"The share of answers to the feedback form '{form.title}' that were 'very good' or "
        "'good' (NHS England's Friends and Family Test method).",
        numerator_definition="Answers 'very good' or 'good'",
        denominator_definition="All answers, 'don't know' included",
    )
    measurement_services.get_or_create_series(measure=measure, unit=unit, by=by)
    form.measure = measure
    form.save(update_fields=["measure"])
    audit.record(action="feedback_form.create", obj=form, by=by, scope_path=unit.path,
                 changes={k: [None, v] for k, v in values.items() if v})  # fmt: skip
    return form


FORM_FIELDS = ("title", "question", "introduction", "own_questions", "is_open")


@transaction.atomic
def update_form(*, form: FeedbackForm, by: User | None, **changes: Any) -> FeedbackForm:
    """Change a feedback form's editable fields (a ValidationError for any other); a real change bumps the
    version and is audited."""
    unknown = set(changes) - set(FORM_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed" for name in unknown})
    before = audit.snapshot(form, FORM_FIELDS)
    for name, value in changes.items():
        if name == "own_questions":
            value = _own_questions(value)
        elif name == "is_open":
            value = bool(value)
        else:
            value = (value or "").strip()
        setattr(form, name, value)
    if not form.question:
        form.question = DEFAULT_QUESTION.get(form.audience, DEFAULT_QUESTION["patient"])
    errors = _clean_form(
        {"title": form.title, "audience": form.audience, "question": form.question,
         "introduction": form.introduction, "own_questions": form.own_questions}
    )  # fmt: skip
    if errors:
        raise ValidationError(errors)
    after = audit.snapshot(form, FORM_FIELDS)
    if before != after:
        audit.save_version(form, by=by, action="feedback_form.update", scope_path=form.unit.path,
                           changes=audit.diff(before, after))  # fmt: skip
    return form


def form_series(form: FeedbackForm) -> Series | None:
    """The series of the form's positive-share measure for its unit, or None if it has none."""
    if form.measure_id is None:
        return None
    return Series.objects.filter(measure_id=form.measure_id, unit_id=form.unit_id).first()


def counts_by_period(
    forms: Iterable[int], periods: Iterable[dt.date] | None = None
) -> dict[tuple[int, dt.date], dict[str, int]]:
    """{(form id, month): {rating: count}} from online answers and imported returns together."""
    form_ids = list(forms)
    answers = Answer.objects.filter(form_id__in=form_ids)
    imported = ImportedCounts.objects.filter(form_id__in=form_ids)
    if periods is not None:
        wanted = list(periods)
        answers = answers.filter(period_start__in=wanted)
        imported = imported.filter(period_start__in=wanted)
    out: dict[tuple[int, dt.date], dict[str, int]] = {}
    for form_id, day, rating, count in (
        answers.values("form_id", "period_start", "rating").annotate(n=Count("id"))
        .values_list("form_id", "period_start", "rating", "n")
    ):  # fmt: skip
        out.setdefault((form_id, day), dict.fromkeys(RATINGS, 0))[rating] += count
    for row in imported:
        counts = out.setdefault((row.form_id, row.period_start), dict.fromkeys(RATINGS, 0))
        for rating in RATINGS:
            counts[rating] += getattr(row, rating)
    return out


def positive_share(counts: dict[str, int]) -> tuple[int, int]:
    """(positive, total): very good + good over every answer, "don't know" included."""
    return sum(counts.get(r, 0) for r in POSITIVE), sum(counts.values())


def refresh_series(*, form: FeedbackForm, periods: Iterable[dt.date], by: User | None, source: str) -> None:
    """Record the positive share of each month in `periods` on the form's series (recomputing its chart)."""
    series = form_series(form)
    if series is None:
        return
    months = sorted({month_of(p) for p in periods})
    counts = counts_by_period([form.pk], months)
    for month in months:
        positive, total = positive_share(counts.get((form.pk, month), {}))
        if total:
            measurement_services.record_observation(
                series=series, period=month, by=by, numerator=positive, denominator=total, source=source
            )


# ------------------------------------------------------------------------------------------------
# Answers


@transaction.atomic
def submit_answer(
    *,
    form: FeedbackForm,
    rating: str,
    good: Any = "",
    better: Any = "",
    extra: dict[str, Any] | None = None,
    source: str = "online",
    by: User | None = None,
    when: dt.datetime | None = None,
) -> Answer:
    """Store one answer (screened first), then update the form's positive-share series for its month."""
    if not form.is_open:
        raise ValidationError("This form is closed and takes no more answers")
    errors: dict[str, str] = {}
    if rating not in RATINGS:
        errors["rating"] = (
            "Choose one answer: very good, good, neither good nor poor, poor, very poor or don't know"
        )
    cleaned: dict[str, str] = {}
    kinds: list[str] = []
    doubts: list[str] = []
    texts = [("good", good, "What was good"), ("better", better, "What could be better")]
    texts += [(f"q{i}", (extra or {}).get(q, ""), q) for i, q in enumerate(form.own_questions, start=1)]
    for field, text, label in texts:
        try:
            cleaned[field], found, unsure_of = screen_text(text, field=field, label=label)
            kinds += found
            doubts += unsure_of
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    now = when or timezone.now()
    answer = Answer.objects.create(
        form=form,
        period_start=month_of(timezone.localtime(now).date() if timezone.is_aware(now) else now.date()),
        rating=rating,
        good=cleaned["good"],
        better=cleaned["better"],
        extra={q: cleaned[f"q{i}"] for i, q in enumerate(form.own_questions, start=1) if cleaned[f"q{i}"]},
        # Uncertain screening holds the answer for review too: never published unless a person looked.
        status=Moderation.REVIEW if kinds or doubts else Moderation.PUBLISHED,
        redacted=sorted(set(kinds)) + unsure(sorted(set(doubts) - set(kinds))),
        source=source,
        created_at=now,
    )
    # The answer's words are not audited (they may still hold what screening missed): only the facts.
    audit.record(action="answer.create", obj=answer, by=by, scope_path=form.unit.path,
                 changes={"rating": [None, rating], "redacted": [None, screening.flagged_words(answer.redacted)]})  # fmt: skip
    logger.info("voice.answer form_id=%s answer_id=%s flagged=%s", form.pk, answer.pk, bool(kinds or doubts))
    refresh_series(form=form, periods=[answer.period_start], by=by, source="feedback answers")
    return answer


@transaction.atomic
def moderate_answer(*, answer: Answer, show: bool, by: User | None) -> Answer:
    """A moderator shows an answer (its redactions checked) or hides it."""
    before = answer.status
    answer.status = Moderation.PUBLISHED if show else Moderation.HIDDEN
    answer.moderated_by = _actor(by)
    answer.moderated_at = timezone.now()
    answer.save(update_fields=["status", "moderated_by", "moderated_at"])
    audit.record(action="answer.moderate", obj=answer, by=by, scope_path=answer.form.unit.path,
                 changes={"status": [before, answer.status]})  # fmt: skip
    return answer


@transaction.atomic
def tag_answer(*, answer: Answer, themes: Iterable[Theme], by: User | None) -> Answer:
    """Set the answer's themes (from the shared list)."""
    chosen = sorted({t.pk: t for t in themes}.values(), key=lambda t: t.name)
    before = sorted(answer.themes.values_list("name", flat=True))
    answer.themes.set(chosen)
    after = [t.name for t in chosen]
    if before != after:
        audit.record(action="answer.tag", obj=answer, by=by, scope_path=answer.form.unit.path,
                     changes={"themes": [", ".join(before), ", ".join(after)]})  # fmt: skip
    return answer


@transaction.atomic
def link_feedback(
    *, project: Any, unit: Unit, by: User | None, theme: Theme | None = None, answer: Answer | None = None,
    note: str = "",
) -> FeedbackLink:  # fmt: skip
    """You said, we did: link a theme (of `unit`'s feedback) or one answer to the project it led to."""
    if theme is None and answer is None:
        raise ValidationError({"theme": "Choose a theme or an answer that led to the project"})
    if answer is not None:
        unit = answer.form.unit
    if len(note or "") > 300:
        raise ValidationError({"note": "A note has at most 300 characters"})
    link = FeedbackLink.objects.create(
        project=project,
        unit=unit,
        theme=theme,
        answer=answer,
        note=(note or "").strip(),
        created_by=_actor(by),
    )
    audit.record(action="feedback_link.create", obj=link, by=by, scope_path=unit.path,
                 changes={"project": [None, str(project)], "theme": [None, str(theme or "")]})  # fmt: skip
    return link


# ------------------------------------------------------------------------------------------------
# Stories


@transaction.atomic
def create_story(
    *, unit: Unit, by: User | None, title: str, teller: str, about: str, text: str, consent_given_on: Any,
    quote: str = "", consent_note: str = "", projects: Iterable[Any] = (),
) -> tuple[Story, list[str]]:  # fmt: skip
    """Record a story (consent needed). Returns the story and warnings (personal data removed)."""
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Enter a title"
    if teller not in Teller.values:
        errors["teller"] = "Choose who tells the story: a patient, a carer or a member of staff"
    if not (about or "").strip():
        errors["about"] = (
            "Say who the story is about in general terms, for example 'an older man after a fall'"
        )
    if not consent_given_on:
        errors["consent_given_on"] = "Record when consent to share the story was given; without it, no story"
    elif isinstance(consent_given_on, dt.date) and consent_given_on > timezone.localdate():
        errors["consent_given_on"] = "Consent cannot be given in the future"
    warnings: list[str] = []
    cleaned: dict[str, str] = {}
    for field, value, label in (("text", text, "The story"), ("quote", quote, "The quote")):
        try:
            cleaned[field], kinds, doubts = screen_text(value, field=field, label=label)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            continue
        if kinds:
            warnings.append(f"{label} held {screening.describe(kinds)}, replaced by {screening.REDACTED}")
        if doubts:
            warnings.append(
                f"{label} may hold {screening.describe(doubts)}, left as written: check it before sharing the story"
            )
    if not errors and not cleaned.get("text"):
        errors["text"] = "Write the story"
    if errors:
        raise ValidationError(errors)
    story = Story.objects.create(
        unit=unit, title=title.strip()[:200], teller=teller, about=about.strip()[:200], text=cleaned["text"],
        quote=cleaned["quote"], consent_given_on=consent_given_on, consent_note=(consent_note or "").strip()[:300],
        created_by=_actor(by),
    )  # fmt: skip
    if projects:
        story.projects.set(list(projects))
    audit.record(action="story.create", obj=story, by=by, scope_path=unit.path,
                 changes={"title": [None, story.title], "consent_given_on": [None, consent_given_on]})  # fmt: skip
    return story, warnings


@transaction.atomic
def mark_story_heard(*, story: Story, by: User | None, on: dt.date | None = None) -> Story:
    """Record that the story was heard (on `on`, default today): bumps its version, audited."""
    before, heard_on = story.heard_on, on or timezone.localdate()
    audit.save_version(story, {"heard_on": heard_on}, update_fields=["heard_on", "version"], by=by,
                       action="story.heard", scope_path=story.unit.path,
                       changes={"heard_on": [before, heard_on]})  # fmt: skip
    return story


@transaction.atomic
def link_story(*, story: Story, projects: Iterable[Any], by: User | None) -> Story:
    """Link the story to exactly these projects; the change, if any, is audited."""
    before = sorted(str(p) for p in story.projects.all())
    story.projects.set(list(projects))
    after = sorted(str(p) for p in story.projects.all())
    if before != after:
        audit.record(action="story.link", obj=story, by=by, scope_path=story.unit.path,
                     changes={"projects": ["; ".join(before), "; ".join(after)]})  # fmt: skip
    return story


__all__ = ["Rating"]
