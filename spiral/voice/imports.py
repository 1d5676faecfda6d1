"""Importing Friends and Family Test returns (CSV or XLSX): one row per unit and month, a count per answer.

Columns (docs/reference/interfaces.md §5): unit_code, period, very_good, good, neither, poor, very_poor,
dont_know, and an optional total that must equal the sum of the counts. The same guarantees as every
Spiral import: each problem named by row and column; nothing written unless every row is right;
importing the same file again changes nothing. Counts go to the unit's patient and carer form (one is
made, closed to online answers, for a unit that has none), and its positive-share series is brought up
to date.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from spiral.core import audit, codes, numbers, periods
from spiral.core.tabular import Problem, TableError, read_table
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission, can
from spiral.voice import services
from spiral.voice.models import RATINGS, Audience, FeedbackForm, ImportedCounts

REQUIRED = ["unit_code", "period", *RATINGS]
IMPORTED_TITLE = "Friends and Family Test returns"


@dataclass
class FftImportResult:
    filename: str
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    forms_created: list[str] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)  # code -> name, for the preview
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


# More answers than this to one question for one unit in one month is a typo (England's whole FFT has
# about 1.5 million a month); it also keeps every count inside the database's integer column.
MAX_COUNT = 10_000_000


def _count(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("the count is empty; write 0 when nobody gave this answer")
    # The one number parser: ASCII digits, thousands commas; '1_000', '١٢' and 2.5 are refused.
    return numbers.parse_whole(value, minimum=0, maximum=MAX_COUNT, what="count")


def import_fft(
    source: str | Path | bytes | IO[bytes], *, by: User | None, dry_run: bool = False, filename: str = ""
) -> FftImportResult:
    """Check every row, then (unless `dry_run` or anything is wrong) write them all. `by` None: the system."""
    name = filename or (str(source) if isinstance(source, str | Path) else "upload")
    result = FftImportResult(filename=Path(name).name)
    try:
        table = read_table(source, required=REQUIRED, optional=["total"], filename=name)
    except TableError as exc:
        result.problems = exc.problems
        return result
    wanted = {str(r.get("unit_code") or "").strip() for r in table.rows}
    units = {u.code: u for u in Unit.objects.filter(code__in=wanted)}
    today = dt.date.today()
    planned: dict[tuple[str, dt.date], tuple[int, dict[str, int]]] = {}
    for row in table.rows:
        code = str(row.get("unit_code") or "").strip()
        unit = units.get(code)
        if not code:
            result.problems.append(Problem(row.number, "unit_code", "the unit code is empty"))
        elif unit is None:
            bad = codes.code_problem(code, kind=codes.ODS)
            result.problems.append(Problem(row.number, "unit_code", bad or f"no unit has the code {code}"))
        elif by is not None and not can(by, Permission.IMPORT_FEEDBACK, unit):
            result.problems.append(
                Problem(row.number, "unit_code", f"you may not import feedback for {unit.name} ({code})")
            )
        try:
            month = periods.period_start(row.get("period"), "month")
        except periods.PeriodError as exc:
            result.problems.append(Problem(row.number, "period", str(exc)))
            month = None
        else:
            outside = periods.OBSERVATION_PERIOD.problem(month, today)  # type: ignore[arg-type]  # set by try
            if outside is None and month > today:  # type: ignore[operator]  # as above
                outside = (
                    f"{month:%B %Y} is in the future; a return counts the answers of a month that has begun"
                )
            if outside:
                result.problems.append(Problem(row.number, "period", outside))
                month = None
        counts: dict[str, int] = {}
        for rating in RATINGS:
            try:
                counts[rating] = _count(row.get(rating))
            except ValueError as exc:
                result.problems.append(Problem(row.number, rating, str(exc)))
        if len(counts) == len(RATINGS) and row.get("total") not in (None, ""):
            try:
                total = _count(row.get("total"))
            except ValueError as exc:
                result.problems.append(Problem(row.number, "total", str(exc)))
            else:
                if total != sum(counts.values()):
                    result.problems.append(
                        Problem(
                            row.number, "total",
                            f"the counts add up to {sum(counts.values()):,} but the total is {total:,}; "
                            "correct the counts or the total",
                        )
                    )  # fmt: skip
        if unit is None or month is None or len(counts) != len(RATINGS):
            continue
        key = (code, month)
        if key in planned:
            result.problems.append(
                Problem(
                    row.number,
                    "period",
                    f"{code} {month:%b %Y} appears twice (first on row {planned[key][0]})",
                )
            )
            continue
        planned[key] = (row.number, counts)
    if result.problems or not planned:
        if not planned and not result.problems:
            result.problems.append(Problem(None, None, "the file has no rows of returns"))
        return result
    with transaction.atomic():
        forms = _forms_for(units, {code for code, _ in planned}, by=by, result=result, dry_run=dry_run)
        existing = {
            (c.form_id, c.period_start): c
            for c in ImportedCounts.objects.filter(form__in=[f for f in forms.values() if f.pk])
        }
        touched: dict[int, set[dt.date]] = {}
        for (code, month), (_, counts) in planned.items():
            form = forms[code]
            old = existing.get((form.pk, month)) if form.pk else None
            if old is not None and all(getattr(old, r) == counts[r] for r in RATINGS):
                result.unchanged += 1
                continue
            if old is None:
                result.created += 1
            else:
                result.updated += 1
            if dry_run:
                continue
            ImportedCounts.objects.update_or_create(
                form=form, period_start=month, defaults={**counts, "source": result.filename[:200]}
            )
            touched.setdefault(form.pk, set()).add(month)
        if dry_run:
            transaction.set_rollback(True)
            return result
        for form in forms.values():
            if form.pk in touched:
                services.refresh_series(form=form, periods=touched[form.pk], by=by, source=result.filename)
                audit.record(action="fft.import", obj=form, by=by, scope_path=form.unit.path,
                             changes={"file": [None, result.filename], "months": [None, len(touched[form.pk])]})  # fmt: skip
        result.applied = True
    return result


def _forms_for(
    units: dict[str, Unit], codes: set[str], *, by: User | None, result: FftImportResult, dry_run: bool
) -> dict[str, FeedbackForm]:
    """The patient and carer form each unit's counts go to (made where a unit has none)."""
    found: dict[str, FeedbackForm] = {}
    for form in FeedbackForm.objects.filter(unit__code__in=codes, audience=Audience.PATIENT).select_related(
        "unit"
    ).order_by("-is_open", "id"):  # fmt: skip
        found.setdefault(form.unit.code, form)
    for code in sorted(codes - set(found)):
        result.forms_created.append(code)
        result.unit_names[code] = units[code].name
        if dry_run:
            found[code] = FeedbackForm(unit=units[code], title=IMPORTED_TITLE)
            continue
        form = services.create_form(unit=units[code], by=by, title=IMPORTED_TITLE, audience=Audience.PATIENT)
        found[code] = services.update_form(form=form, by=by, is_open=False)
    return found


def run_cli(path: str, *, dry_run: bool) -> int:
    """`spiral import fft FILE [--dry-run]`: print what was (or would be) done, or every problem."""
    result = import_fft(path, by=None, dry_run=dry_run)
    if result.problems:
        print(f"{path}: nothing was imported; correct these and try again:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    verb = "would be" if dry_run else "were"
    made = f"; forms {verb} made for {', '.join(result.forms_created)}" if result.forms_created else ""
    print(
        f"{path}: {result.created} returns {verb} added, {result.updated} updated, "
        f"{result.unchanged} unchanged{made}."
    )
    return 0
