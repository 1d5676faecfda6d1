"""Demo step: feedback forms for every organisation (patients and carers, and staff), twelve months of
answers with realistic positive shares (a few real shifts), free text with themes, some personal details
redacted and waiting for a moderator, imported-style counts, and a handful of stories per organisation.

Deterministic for the seed; written in bulk (answers, themes, observations) and analysed in one batch.
The national size keeps fewer answers a month so the whole demo loads in well under five minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.utils import timezone

from spiral.core import audit, periods, screening
from spiral.demo.builder import DemoContext
from spiral.measurement import analyses
from spiral.measurement.imports import bulk_insert_observations
from spiral.measurement.models import Measure, Series
from spiral.organisations.models import UnitKind
from spiral.voice.models import (
    DEFAULT_QUESTION,
    POSITIVE,
    Answer,
    Audience,
    FeedbackForm,
    FeedbackLink,
    Moderation,
    Story,
    Theme,
)

END = dt.date(2025, 9, 1)
MONTHS = 12
ANSWERS_A_MONTH = {"small": 40, "medium": 25, "national": 6}
# Every ward and team has its own patient form too (issue 15), answered less often than its organisation's;
# the national demo's ~20,000 team forms start empty, so that building it stays within minutes.
TEAM_ANSWERS_A_MONTH = {"small": 6, "medium": 3, "national": 0}
STORIES = {"small": 4, "medium": 3, "national": 1}

GOOD = {
    "Staff attitude": ["The nurses were kind and caring", "Everyone was friendly and polite to my mum",
                       "Staff were compassionate when I was frightened"],
    "Communication": ["The doctor explained everything clearly", "They listened and answered all my questions"],
    "Food and drink": ["The food was lovely and there was always a hot drink"],
    "Environment": ["The ward was clean and quiet at night"],
    "Involvement in care": ["I was involved in every decision about my care", "They included my family in the plan"],
    "Discharge": ["Going home was well organised and my medicines were ready"],
}  # fmt: skip
BETTER = {
    "Waiting": ["I waited four hours to be seen", "My appointment was cancelled twice and the delay was long",
                "The queue at reception was very slow"],
    "Communication": ["Nobody told me what was happening", "More information about the plan would help"],
    "Food and drink": ["The meals were cold", "I was thirsty and waited hours for water"],
    "Environment": ["It was very noisy at night", "The toilets were dirty"],
    "Staffing levels": ["The staff were too busy and short staffed"],
    "Discharge": ["I waited all day for medicines before I could go home"],
    "Dignity and respect": ["The curtains were left open and I had no privacy"],
}  # fmt: skip
STAFF_GOOD = {
    "Staff attitude": ["My colleagues are kind and supportive"],
    "Communication": ["Our huddles keep everyone informed"],
    "Involvement in care": ["We are involved in decisions about how the ward runs"],
}
STAFF_BETTER = {
    "Staffing levels": ["We are short staffed most shifts", "It is so busy that breaks are missed"],
    "Environment": ["Parking is difficult and the staff room is cold"],
    "Communication": ["Changes are not explained to the night team"],
}
PERSONAL = [
    "My name is Margaret Holloway and the nurse on the ward was wonderful",
    "Please call me on 07700 900123 about my father's care",
    "My NHS number is 943 476 5919 and my letter had the wrong date",
    "Email me at jo.bloggs@example.com, the wait was far too long",
    "I live at SW1A 1AA and transport home took hours",
]
STORY_TEXTS = [
    ("Coming home after a fall", "patient", "an older man after a fall at home",
     "After his fall he was frightened of going home. The team arranged a visit, fitted rails and called him "
     "the day after discharge. He says the call made the difference.", "The phone call the next day made me feel safe."),
    ("A carer's long night", "carer", "a carer of a person living with dementia",
     "She waited through the night in A&E with her husband, who became distressed by the noise. A nurse found a "
     "quiet room. She asks that carers are recognised and offered a chair and a drink.", "Someone noticed us."),
    ("Learning from a missed handover", "staff", "a staff nurse on a medical ward",
     "A handover was missed during a busy shift and a patient's antibiotics were late. The team changed the "
     "handover sheet and now huddles at every shift change.", ""),
    ("Being heard in clinic", "patient", "a young woman with a long-term condition",
     "For years she felt rushed in clinic. A new approach gave her time to set her own goals, and her care plan "
     "now reflects what matters to her.", "For the first time they asked what matters to me."),
]  # fmt: skip


def _text(rng: np.random.Generator, bank: dict[str, list[str]]) -> tuple[str, list[str]]:
    themes = list(bank)
    k = 1 if rng.random() < 0.8 else 2
    chosen = [themes[i] for i in rng.choice(len(themes), size=min(k, len(themes)), replace=False)]
    return ". ".join(bank[t][int(rng.integers(0, len(bank[t])))] for t in chosen), chosen


def _shares(rng: np.random.Generator, audience: str) -> np.ndarray:
    base = rng.uniform(0.86, 0.96) if audience == Audience.PATIENT else rng.uniform(0.62, 0.82)
    shares = np.full(MONTHS, base)
    story = rng.random()
    if story < 0.15:
        shares[int(rng.integers(5, 9)) :] -= 0.14  # a real drop: special cause on the p chart
    elif story < 0.25:
        shares[int(rng.integers(5, 9)) :] += 0.06
    return np.clip(shares, 0.2, 0.99)


def build(ctx: DemoContext) -> None:
    rng = np.random.default_rng(ctx.seed + 7)
    size = ctx.size.name
    orgs = ctx.units.get(UnitKind.ORGANISATION, [])
    themes = {t.name: t for t in Theme.objects.all()}
    months = [periods.from_index(i, "month") for i in range(periods.index(END, "month") - MONTHS + 1,
                                                             periods.index(END, "month") + 1)]  # fmt: skip
    now = timezone.now()
    forms: list[FeedbackForm] = []
    for org in orgs:
        for audience, title in ((Audience.PATIENT, f"{org.name}: tell us about your care"),
                                (Audience.STAFF, f"{org.name}: how is it to work here?")):  # fmt: skip
            forms.append(FeedbackForm(
                unit=org, audience=audience, title=title[:200], slug=f"{ctx.rng.getrandbits(48):012x}",
                question=DEFAULT_QUESTION[audience],
                own_questions=["Was there anything about your visit that surprised you?"] if audience == "patient" else [],
            ))  # fmt: skip
    for team in ctx.units.get(UnitKind.TEAM, []):
        forms.append(FeedbackForm(
            unit=team, audience=Audience.PATIENT, title=f"{team.name}: tell us about your care"[:200],
            slug=f"{ctx.rng.getrandbits(48):012x}", question=DEFAULT_QUESTION[Audience.PATIENT],
        ))  # fmt: skip
    FeedbackForm.objects.bulk_create(forms, batch_size=2000)
    forms = list(FeedbackForm.objects.select_related("unit").order_by("id"))
    measures = [
        Measure(code=f"FFT-{f.slug.upper()}", name=f"{f.title}: positive answers"[:200], chart="p",
                improvement="increase", label="%", frequency="month", owner=f.unit, measure_type="outcome",
                numerator_definition="Answers 'very good' or 'good'",
                denominator_definition="All answers, 'don't know' included")
        for f in forms
    ]  # fmt: skip
    Measure.objects.bulk_create(measures, batch_size=2000)
    by_code = dict(Measure.objects.filter(code__startswith="FFT-").values_list("code", "pk"))
    for f in forms:
        f.measure_id = by_code[f"FFT-{f.slug.upper()}"]
    FeedbackForm.objects.bulk_update(forms, ["measure"], batch_size=2000)
    Series.objects.bulk_create(
        [Series(measure_id=f.measure_id, unit_id=f.unit_id) for f in forms],  # type: ignore[misc]  # set above
        batch_size=2000,
    )
    series_of = dict(Series.objects.filter(measure_id__in=by_code.values()).values_list("measure_id", "pk"))
    audit.record_many(
        action="feedback_form.create", objects=forms, by=None, scope_path_of=lambda f: f.unit.path
    )

    answers: list[Answer] = []
    tags: list[tuple[int, list[str]]] = []  # (index in answers, theme names)
    observations: list[tuple[Any, ...]] = []
    per_month = ANSWERS_A_MONTH[size]
    negative = np.array(["neither", "poor", "very_poor", "dont_know"])
    for f in forms:
        shares = _shares(rng, f.audience)
        good_bank, better_bank = (
            (GOOD, BETTER) if f.audience == Audience.PATIENT else (STAFF_GOOD, STAFF_BETTER)
        )
        is_team = f.unit.kind == UnitKind.TEAM
        expected = TEAM_ANSWERS_A_MONTH[size] if is_team else per_month
        if not expected:
            continue
        personal_left = 0 if is_team else 2 if size != "national" else int(rng.random() < 0.3)
        for m, month in enumerate(months):
            count = max(1 if is_team else 3, int(rng.poisson(expected)))
            positive = rng.random(count) < shares[m]
            ratings = np.where(
                positive, np.where(rng.random(count) < 0.72, "very_good", "good"),
                negative[rng.choice(4, size=count, p=[0.4, 0.25, 0.15, 0.2])],
            )  # fmt: skip
            pos = int(sum(1 for r in ratings if r in POSITIVE))
            observations.append(
                (series_of[f.measure_id], month, pos / count, float(pos), float(count), "", 1, now, None)  # type: ignore[index]  # set above
            )
            for i, rating in enumerate(ratings.tolist()):
                good = better = ""
                chosen: list[str] = []
                redacted: list[str]
                status, redacted = Moderation.PUBLISHED, []
                if rng.random() < 0.45:
                    if rating in POSITIVE:
                        good, chosen = _text(rng, good_bank)
                    else:
                        better, chosen = _text(rng, better_bank)
                if personal_left and m == MONTHS - 1 and i < personal_left:
                    raw = PERSONAL[int(rng.integers(0, len(PERSONAL)))]
                    better, redacted = screening.redact(raw)  # screened as the live form screens it
                    status, chosen = Moderation.REVIEW, []
                day = dt.datetime.combine(month + dt.timedelta(days=int(rng.integers(0, 27))), dt.time(12),
                                          tzinfo=dt.UTC)  # fmt: skip
                answers.append(Answer(form=f, period_start=month, rating=rating, good=good, better=better,
                                      status=status, redacted=sorted(set(redacted)), source="online",
                                      created_at=day))  # fmt: skip
                if chosen and rng.random() < 0.7:  # most comments tagged by staff; the rest await suggestions
                    tags.append((len(answers) - 1, chosen))
            if personal_left and m == MONTHS - 1:
                personal_left = 0
    Answer.objects.bulk_create(answers, batch_size=5000)
    through = Answer.themes.through
    through.objects.bulk_create(
        [through(answer_id=answers[i].pk, theme_id=themes[name].pk) for i, names in tags for name in names
         if name in themes],
        batch_size=5000,
    )  # fmt: skip
    bulk_insert_observations(observations)
    analyses.recompute(series_of.values())

    stories: list[Story] = []
    for org in orgs:
        for k in range(STORIES[size]):
            title, teller, about, text, quote = STORY_TEXTS[(k + org.pk) % len(STORY_TEXTS)]
            consent = END - dt.timedelta(days=30 * (STORIES[size] - k) + int(rng.integers(0, 20)))
            stories.append(Story(unit=org, title=title, teller=teller, about=about, text=text, quote=quote,
                                 consent_given_on=consent, consent_note="Signed consent form, kept by the PALS team",
                                 heard_on=consent + dt.timedelta(days=21) if k == 0 and STORIES[size] > 1 else None))  # fmt: skip
    Story.objects.bulk_create(stories, batch_size=2000)
    _links(ctx, orgs, themes, stories)
    ctx.counts["feedback_forms"] = len(forms)
    ctx.counts["feedback_answers"] = len(answers)
    ctx.counts["stories"] = len(stories)


def _links(ctx: DemoContext, orgs: list[Any], themes: dict[str, Theme], stories: list[Story]) -> None:
    """You said, we did: in some organisations a theme led to a project, and stories are linked to it."""
    try:
        from spiral.projects.models import Project
    except ImportError:  # pragma: no cover - projects always installed with voice
        return
    first_project: dict[int, int] = {}
    paths = {o.path: o.pk for o in orgs}
    width = len(orgs[0].path) if orgs else 0
    for pk, path in (
        Project.objects.filter(unit__path__gte="0").values_list("pk", "unit__path").order_by("pk")
    ):
        org_id = paths.get(path[:width])
        if org_id is not None:
            first_project.setdefault(org_id, pk)
    links = []
    for i, org in enumerate(orgs):
        project_id = first_project.get(org.pk)
        if project_id is None or i % 2:
            continue
        theme = themes.get(["Waiting", "Communication", "Staffing levels"][i % 3])
        if theme is not None:
            links.append(FeedbackLink(project_id=project_id, unit=org, theme=theme,
                                      note="Patients told us; the team is testing changes"))  # fmt: skip
    FeedbackLink.objects.bulk_create(links, batch_size=2000)
    through = Story.projects.through
    through.objects.bulk_create(
        [through(story_id=s.pk, project_id=first_project[s.unit_id]) for s in stories
         if s.unit_id in first_project and s.teller != "staff"],
        batch_size=2000,
    )  # fmt: skip
