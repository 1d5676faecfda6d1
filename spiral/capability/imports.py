"""Loading training records and headcount from CSV or XLSX files, through core.tabular like every import.

Training: `email,tier,completed_on,provider` (and optional `evidence`, `unit`). Headcount:
`unit,period,staff`. The whole file is checked first; any problem is reported with its row and column and
nothing is written; the same file imported again changes nothing (the same training is one record, the
same headcount is unchanged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from spiral.capability import services
from spiral.capability.models import Headcount, TrainingRecord, TrainingTier
from spiral.core import periods
from spiral.core.tabular import Problem, Table, TableError, read_table
from spiral.organisations.models import Unit, User
from spiral.organisations.permissions import Permission, can, may_record_training

TRAINING_REQUIRED = ("email", "tier", "completed_on", "provider")
TRAINING_OPTIONAL = ("evidence", "unit")
HEADCOUNT_REQUIRED = ("unit", "period", "staff")


@dataclass
class Planned:
    row: int
    action: str  # create, update, unchanged
    shown: dict[str, Any]
    apply: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    kind: str
    planned: list[Planned]
    problems: list[Problem]
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)

    @property
    def summary(self) -> str:
        updated = f", {self.count('update')} to update" if self.kind == "headcount" else ""
        return f"{self.count('create')} to add{updated}, {self.count('unchanged')} already recorded"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _plan_training(table: Table, *, by: User | None) -> ImportResult:
    problems: list[Problem] = []
    tiers = {t.slug: t for t in TrainingTier.objects.all()}
    tiers_by_name = {t.name.lower(): t for t in tiers.values()}
    emails = {_text(r.get("email")).lower() for r in table.rows}
    people = {u.email.lower(): u for u in User.objects.filter(is_active=True, email__in=emails)}
    if len(people) < len(emails):  # emails differing only in case
        people |= {
            u.email.lower(): u for u in User.objects.filter(is_active=True) if u.email.lower() in emails
        }
    codes = {_text(r.get("unit")) for r in table.rows} - {""}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    seen: dict[tuple[int, int, dt.date], int] = {}
    planned: list[Planned] = []
    for row in table.rows:
        n = row.number
        email = _text(row.get("email")).lower()
        person = people.get(email)
        if not email:
            problems.append(Problem(n, "email", "enter the person's email address"))
        elif person is None:
            problems.append(Problem(n, "email", f"nobody has the email {email[:80]}: check the spelling"))
        tier_text = _text(row.get("tier"))
        tier = tiers.get(tier_text.lower()) or tiers_by_name.get(tier_text.lower())
        if tier is None:
            problems.append(
                Problem(n, "tier", f"{tier_text[:40]!r} is not a tier: use one of {', '.join(tiers)}")
            )
        completed_on = None
        try:
            completed_on = periods.parse_date(row.get("completed_on"))
        except periods.PeriodError as exc:
            problems.append(Problem(n, "completed_on", str(exc)))
        provider, evidence = _text(row.get("provider")), _text(row.get("evidence"))
        errors = services.clean_training_fields(
            completed_on=completed_on or timezone_today(), provider=provider, evidence=evidence
        )
        problems += [Problem(n, k, v) for k, v in errors.items()]
        code = _text(row.get("unit"))
        unit = units.get(code) if code else None
        if code and unit is None:
            problems.append(Problem(n, "unit", f"no unit has the code {code[:64]}"))
        if person is None or tier is None or completed_on is None or errors or (code and unit is None):
            continue
        if by is not None and not may_record_training(by, person):
            problems.append(Problem(n, "email", f"you may not record the training of {person.display_name}: "
                                    "a leader of their unit or an administrator records it"))  # fmt: skip
            continue
        try:
            unit = services.unit_of_person(person, unit)
        except Exception as exc:  # ValidationError: the person holds no role there
            problems.append(Problem(n, "unit", " ".join(getattr(exc, "messages", [str(exc)]))))
            continue
        key = (person.pk, tier.pk, completed_on)
        if key in seen:
            problems.append(Problem(n, "tier", f"the same training of this person is on row {seen[key]}"))
            continue
        seen[key] = n
        planned.append(Planned(n, "create", {"person": person.display_name, "tier": tier.name,
                                             "completed_on": completed_on, "provider": provider, "unit": unit.name},
                               {"person": person, "tier": tier, "unit": unit, "completed_on": completed_on,
                                "provider": provider, "evidence": evidence}))  # fmt: skip
    existing = set(
        TrainingRecord.objects.filter(person_id__in={k[0] for k in seen}).values_list(
            "person_id", "tier_id", "completed_on"
        )
    )
    for p in planned:
        if (p.apply["person"].pk, p.apply["tier"].pk, p.apply["completed_on"]) in existing:
            p.action = "unchanged"
    return ImportResult("training", planned, problems)


def timezone_today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _plan_headcount(table: Table, *, by: User | None) -> ImportResult:
    problems: list[Problem] = []
    codes = {_text(r.get("unit")) for r in table.rows} - {""}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    seen: dict[tuple[int, dt.date], int] = {}
    planned: list[Planned] = []
    for row in table.rows:
        n = row.number
        code = _text(row.get("unit"))
        unit = units.get(code)
        if not code:
            problems.append(Problem(n, "unit", "enter the unit's code"))
        elif unit is None:
            problems.append(Problem(n, "unit", f"no unit has the code {code[:64]}"))
        elif by is not None and not can(by, Permission.RECORD_HEADCOUNT, unit):
            problems.append(Problem(n, "unit", f"you may not record the headcount of {unit.name}"))
            unit = None
        month = None
        try:
            month = periods.parse_month(row.get("period"))
        except periods.PeriodError as exc:
            problems.append(Problem(n, "period", str(exc)))
        raw = row.get("staff")
        staff: Any = raw
        if isinstance(raw, float) and raw.is_integer():
            staff = int(raw)
        elif isinstance(raw, str) and raw.strip().replace(",", "").isdigit():
            staff = int(raw.strip().replace(",", ""))
        errors = services.clean_headcount(period_start=month or timezone_today(), staff=staff)
        problems += [Problem(n, k, v) for k, v in errors.items()]
        if unit is None or month is None or errors:
            continue
        if (unit.pk, month) in seen:
            problems.append(
                Problem(n, "period", f"{unit.code} {month:%Y-%m} is already on row {seen[(unit.pk, month)]}")
            )
            continue
        seen[(unit.pk, month)] = n
        planned.append(Planned(n, "create", {"unit": unit.code, "period": f"{month:%Y-%m}", "staff": staff},
                               {"unit": unit, "period_start": month, "staff": staff}))  # fmt: skip
    current = {
        (h.unit_id, h.period_start): h.staff
        for h in Headcount.objects.filter(unit_id__in={k[0] for k in seen})
    }
    for p in planned:
        before = current.get((p.apply["unit"].pk, p.apply["period_start"]))
        if before is not None:
            p.action = "unchanged" if before == p.apply["staff"] else "update"
            p.shown["before"] = before
    return ImportResult("headcount", planned, problems)


def _apply(result: ImportResult, *, by: User | None) -> None:
    for p in result.planned:
        if p.action == "unchanged":
            continue
        if result.kind == "training":
            services._record(by=by, **p.apply)
        else:
            services._headcount(by=by, **p.apply)
    result.applied = True


def import_file(
    kind: str, source: str | Path | bytes | IO[bytes], *, by: User | None, dry_run: bool = False,
    filename: str = "",
) -> ImportResult:  # fmt: skip
    """Read, check and (unless `dry_run` or there are problems) write a training or headcount file."""
    required = TRAINING_REQUIRED if kind == "training" else HEADCOUNT_REQUIRED
    optional = TRAINING_OPTIONAL if kind == "training" else ()
    try:
        table = read_table(source, required=required, optional=optional, filename=filename)
    except TableError as exc:
        return ImportResult(kind, [], exc.problems)
    # Check and write in one transaction, so nothing changes between the check and the write.
    with transaction.atomic():
        plan = _plan_training if kind == "training" else _plan_headcount
        result = plan(table, by=by)
        if result.ok and not dry_run:
            _apply(result, by=by)
    return result


__all__ = ["HEADCOUNT_REQUIRED", "TRAINING_REQUIRED", "ImportResult", "import_file"]
