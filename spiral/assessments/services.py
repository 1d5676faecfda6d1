"""Every write of assessments: loading instruments from their files, and answering them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from spiral.assessments import scoring
from spiral.assessments.instrument_file import InstrumentSpec, instrument_files, read_file
from spiral.assessments.models import Answer, Instrument, Item, ItemGroup, Option, Response
from spiral.core import audit
from spiral.core.errors import Duplicate
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission, require
from spiral.projects.models import Project

REAL_MODELS = SimpleNamespace(Instrument=Instrument, ItemGroup=ItemGroup, Item=Item, Option=Option)


def write_spec(spec: InstrumentSpec, models: Any = REAL_MODELS, *, file_name: str = "") -> tuple[Any, str]:
    """Store `spec` (used by the service below and by the data migration, with historical models).

    Returns the instrument and what happened: "created", "unchanged" or "replaced". Loading the same
    content again changes nothing; a version that already has responses is never changed in place.
    """
    content_hash = spec.content_hash()
    existing = models.Instrument.objects.filter(slug=spec.slug, version=spec.version).first()
    if existing is not None and existing.content_hash == content_hash:
        return existing, "unchanged"
    if existing is not None and existing.responses.exists():
        raise ValidationError(
            f"{spec.name} version {spec.version} already has answers and this file changes it: give the "
            "corrected file a new version (for example '" + spec.version + "-2') so earlier answers keep the "
            "scores they were given"
        )
    fields = {
        "name": spec.name, "source": spec.source, "licence": spec.licence, "applies_to": spec.applies_to,
        "scoring": spec.scoring, "description": spec.description,
        "interpretation": [dict(b) for b in spec.interpretation], "provisional": spec.provisional,
        "content_hash": content_hash, "file_name": file_name, "is_current": True,
    }  # fmt: skip
    if existing is None:
        instrument = models.Instrument.objects.create(slug=spec.slug, version=spec.version, **fields)
        what = "created"
    else:
        existing.groups.all().delete()  # cascades to items and options (no answers point at them)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        instrument, what = existing, "replaced"
    models.Instrument.objects.filter(slug=spec.slug).exclude(pk=instrument.pk).update(is_current=False)
    groups = {}
    for n, g in enumerate(spec.groups):
        groups[g.key] = models.ItemGroup.objects.create(
            instrument=instrument, key=g.key, name=g.name, position=n
        )
    for n, it in enumerate(spec.items):
        item = models.Item.objects.create(
            instrument=instrument, group=groups[it.group], key=it.key, text=it.text, help=it.help,
            prompts=list(it.prompts), weight=it.weight, maximum=it.maximum, verified=it.verified,
            source_note=it.source_note, position=n,
        )  # fmt: skip
        models.Option.objects.bulk_create(
            models.Option(item=item, key=o.key, text=o.text, score=o.score, verified=o.verified, position=m)
            for m, o in enumerate(it.options)
        )
    return instrument, what


@transaction.atomic
def load_instrument(spec: InstrumentSpec, *, by: User | None, file_name: str = "") -> tuple[Instrument, str]:
    """Load (or reload) one instrument version; audited unless nothing changed."""
    instrument, what = write_spec(spec, file_name=file_name)
    if what != "unchanged":
        audit.record(
            action=f"assessments.instrument_{what}", obj=instrument, by=by,
            changes={"version": [None, spec.version], "provisional": [None, spec.provisional]},
        )  # fmt: skip
    return instrument, what


def load_instrument_files(
    paths: list[Path] | None = None, *, by: User | None = None
) -> list[tuple[Instrument, str]]:
    """Load every instrument file of the repository (or those given), each in its own transaction."""
    return [load_instrument(read_file(p), by=by, file_name=p.name) for p in (paths or instrument_files())]


def item_rules(instrument: Instrument) -> list[scoring.ItemRule]:
    """The instrument's items as the scoring rules read them (key, group, weight, maximum)."""
    return [
        scoring.ItemRule(i.key, i.group.key, i.weight, i.maximum)
        for i in instrument.items.select_related("group").order_by("position")
    ]


DONT_KNOW = scoring.DONT_KNOW


def _chosen(instrument: Instrument, choices: Mapping[str, str]) -> tuple[dict[str, Item], dict[str, Option]]:
    """The instrument's items and the option chosen for each; ValidationError naming each item in error."""
    items = {i.key: i for i in instrument.items.prefetch_related("options")}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(choices) - set(items))
    if unknown:
        errors["answers"] = [f"{instrument.name} has no item {', '.join(repr(k) for k in unknown)}"]
    chosen: dict[str, Option] = {}
    for key, item in items.items():
        value = choices.get(key)
        options = {o.key: o for o in item.options.all()}
        if value in (None, ""):
            errors[key] = [f"Choose one answer for '{item.text}'"]
        elif not isinstance(value, str) or value not in options:
            errors[key] = [
                f"'{item.text}' has no answer {str(value)[:20]!r}: choose one of {', '.join(options)}"
            ]
        else:
            chosen[key] = options[value]
    if errors:
        raise ValidationError(errors)
    return items, chosen


def _scored(chosen: Mapping[str, Option]) -> dict[str, Any]:
    return {k: o.score for k, o in chosen.items() if o.key != DONT_KNOW}


@transaction.atomic
def submit_response(
    *,
    instrument: Instrument,
    project: Project,
    choices: Mapping[str, str],
    by: User,
    respondent: User | None = None,
    answered_on: dt.date | None = None,
) -> Response:
    """Record `by`'s own answers about `project`: every item answered once, with one of its options.

    Each response belongs to one person: nobody answers for someone else (PermissionDenied), only the
    project's team answers (patient partners too), and one person answers once a day (Duplicate).
    """
    if respondent is not None and respondent.pk != by.pk:
        raise PermissionDenied("You answer only for yourself: each team member gives their own answers")
    if instrument.applies_to != "project":
        raise ValidationError(
            {"instrument": f"{instrument.name} is about a {instrument.applies_to}, not a project"}
        )
    if not instrument.is_current:
        raise ValidationError(
            {
                "instrument": f"Version {instrument.version} of {instrument.name} has been replaced: answer the current one"
            }
        )
    if not project.has_team_member(by):
        raise ValidationError(
            "Only members of the project's team answer its assessment: ask its lead to add you to the team"
        )
    items, chosen = _chosen(instrument, choices)
    day = answered_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"answered_on": "The date of an answer cannot be in the future"})
    same_day = Response.objects.filter(
        instrument__slug=instrument.slug, project=project, respondent=by, answered_on=day
    )
    if same_day.exists():
        raise Duplicate(
            {"answered_on": f"You have already answered {instrument.name} for this project on {day:%d %B %Y}: "
             "answer again on another day (each answer is kept, to compare over time)"}
        )  # fmt: skip
    rules = item_rules(instrument)
    result = scoring.score(instrument.scoring, rules, _scored(chosen))
    response = Response.objects.create(
        instrument=instrument, project=project, unit=project.unit, respondent=by, answered_on=day,
        total=result.total,
    )  # fmt: skip
    Answer.objects.bulk_create(Answer(response=response, item=items[k], option=o) for k, o in chosen.items())
    audit.record(
        action="assessments.response_add", obj=project, by=by, scope_path=project.unit.path,
        changes={"assessment": [None, f"{instrument.name} {instrument.version}: {result.total}"]},
    )  # fmt: skip
    return response


@transaction.atomic
def submit_unit_response(
    *,
    instrument: Instrument,
    unit: Unit,
    choices: Mapping[str, str],
    by: User,
    answered_on: dt.date | None = None,
) -> Response:
    """Record `by`'s own answers to a team or unit instrument (a culture survey, a self-assessment) about
    `unit`: `answer_survey` on the unit (a role on it or above), every item answered once, once a day."""
    require(by, Permission.ANSWER_SURVEY, unit)
    if instrument.applies_to not in ("team", "unit"):
        raise ValidationError(
            {"instrument": f"{instrument.name} is about a project: answer it on the project"}
        )
    if not instrument.is_current:
        raise ValidationError(
            {
                "instrument": f"Version {instrument.version} of {instrument.name} has been replaced: answer the current one"
            }
        )
    items, chosen = _chosen(instrument, choices)
    day = answered_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"answered_on": "The date of an answer cannot be in the future"})
    if Response.objects.filter(
        instrument__slug=instrument.slug, project=None, unit=unit, respondent=by, answered_on=day
    ).exists():
        raise Duplicate(
            {"answered_on": f"You have already answered {instrument.name} for {unit.name} on {day:%d %B %Y}: "
             "answer again on another day"}
        )  # fmt: skip
    result = scoring.score(instrument.scoring, item_rules(instrument), _scored(chosen))
    response = Response.objects.create(
        instrument=instrument, project=None, unit=unit, respondent=by, answered_on=day, total=result.total
    )
    Answer.objects.bulk_create(Answer(response=response, item=items[k], option=o) for k, o in chosen.items())
    # The audit names the survey and the unit, never the answers: they are anonymous below the threshold.
    audit.record(
        action="assessments.survey_response_add", obj=unit, by=by, scope_path=unit.path,
        changes={"survey": [None, f"{instrument.name} {instrument.version}"]},
    )  # fmt: skip
    return response
