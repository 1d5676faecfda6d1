"""Loading a unit hierarchy from a CSV or XLSX file: `code,name,kind,parent_code,organisation_type`.

The whole file is checked first; any problem is reported with its row and column and nothing is written.
Parents may appear after their children; re-importing the same file changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from spiral.core import audit, periods
from spiral.core.tabular import Problem, Table, TableError, read_table
from spiral.organisations import extensions, services
from spiral.organisations.models import Unit, UnitKind, User
from spiral.organisations.permissions import may_import_units_beneath

REQUIRED = ("code", "name", "kind", "parent_code")
OPTIONAL = ("organisation_type", "opened_on", "closed_on")


@dataclass
class PlannedUnit:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    organisation_type: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    existing: Unit | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class UnitImportResult:
    planned: list[PlannedUnit]
    problems: list[Problem]
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)

    @property
    def summary(self) -> str:
        return (
            f"{self.count('create')} to create, {self.count('update')} to update, "
            f"{self.count('unchanged')} unchanged"
        )


def _date(value: Any, row: int, column: str, problems: list[Problem]) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        day = periods.parse_date(value)
    except periods.PeriodError as exc:
        problems.append(Problem(row, column, str(exc)))
        return None
    problem = periods.UNIT_DATE.problem(day)
    if problem:
        problems.append(Problem(row, column, problem))
        return None
    return day


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an XLSX code cell typed as a number
    return str(value).strip()


def plan_unit_import(table: Table, *, by: User | None) -> UnitImportResult:
    """Check every row and work out what would change, without writing anything.

    `by` is the person importing (their `import_units` permission limits where), or None for the system.
    """
    problems: list[Problem] = []
    planned: dict[str, PlannedUnit] = {}
    for row in table.rows:
        code = _text(row.get("code"))
        name = _text(row.get("name"))
        kind = _text(row.get("kind")).lower()
        parent_code = _text(row.get("parent_code")) or None
        org_type = _text(row.get("organisation_type")).lower()
        opened = _date(row.get("opened_on"), row.number, "opened_on", problems)
        closed = _date(row.get("closed_on"), row.number, "closed_on", problems)
        errors = services.clean_unit_fields(
            code=code, name=name, kind=kind, organisation_type=org_type, opened_on=opened, closed_on=closed
        )
        for column, message in errors.items():
            problems.append(Problem(row.number, column, message))
        if "code" in errors:
            continue
        if code in planned:
            problems.append(
                Problem(row.number, "code", f"the code {code} is already used on row {planned[code].row}")
            )
            continue
        planned[code] = PlannedUnit(row.number, code, name, kind, parent_code, org_type, opened, closed)

    # Everything the file refers to that already exists, in two queries.
    codes = set(planned) | {p.parent_code for p in planned.values() if p.parent_code}
    existing = {u.code: u for u in Unit.objects.filter(code__in=codes).select_related("parent")}
    for plan in planned.values():
        plan.existing = existing.get(plan.code)

    def final_parent(code: str) -> str | None:
        if code in planned:
            return planned[code].parent_code
        unit = existing.get(code) or Unit.objects.select_related("parent").filter(code=code).first()
        if unit is not None:
            existing[code] = unit
        return unit.parent.code if unit is not None and unit.parent else None

    def kind_of(code: str) -> str | None:
        if code in planned:
            return planned[code].kind
        return existing[code].kind if code in existing else None

    for plan in planned.values():
        if (
            plan.parent_code is not None
            and plan.parent_code not in planned
            and plan.parent_code not in existing
        ):
            problems.append(
                Problem(
                    plan.row,
                    "parent_code",
                    f"no unit has the code {plan.parent_code}, in this file or in Spiral; "
                    "add a row for it or correct the code",
                )
            )
            continue
        if plan.kind not in UnitKind.values:
            continue
        parent_kind = kind_of(plan.parent_code) if plan.parent_code else None
        problem = services.placement_error(plan.kind, parent_kind)
        if problem:
            problems.append(Problem(plan.row, "parent_code" if plan.parent_code else "kind", problem))

    # A cycle: following parents from a unit comes back to it.
    reported: set[str] = set()
    for plan in planned.values():
        seen = [plan.code]
        step: str | None = plan.parent_code
        while step is not None and len(seen) < 1000:
            if step == plan.code:
                if plan.code not in reported:
                    chain = " → ".join([*seen, step])
                    problems.append(Problem(plan.row, "parent_code", f"the parents form a loop: {chain}"))
                    reported.update(seen)
                break
            seen.append(step)
            step = final_parent(step)

    # Changes to existing units, and permission to make them.
    for plan in planned.values():
        if plan.existing is None:
            anchor_code = plan.parent_code
        else:
            unit = plan.existing
            before = {
                "name": unit.name,
                "kind": unit.kind,
                "organisation_type": unit.organisation_type,
                "opened_on": unit.opened_on,
                "closed_on": unit.closed_on,
                "parent_code": unit.parent.code if unit.parent else None,
            }
            after: dict[str, Any] = {
                "name": plan.name,
                "kind": plan.kind,
                "organisation_type": plan.organisation_type,
                "opened_on": plan.opened_on if "opened_on" in table.columns else unit.opened_on,
                "closed_on": plan.closed_on if "closed_on" in table.columns else unit.closed_on,
                "parent_code": plan.parent_code,
            }
            plan.opened_on, plan.closed_on = after["opened_on"], after["closed_on"]
            plan.changes = audit.diff(before, after)
            if "kind" in plan.changes:
                problems.append(
                    Problem(
                        plan.row,
                        "kind",
                        f"{plan.code} is a {unit.kind} in Spiral; a unit's kind cannot change",
                    )
                )
            anchor_code = plan.code
            if plan.changes and not may_import_units_beneath(by, unit):
                problems.append(Problem(plan.row, "code", f"you may not change {plan.code}"))
                continue
            if "parent_code" not in plan.changes:
                continue
            anchor_code = plan.parent_code
        # New or moved: the user must be allowed to import beneath the nearest existing ancestor.
        anchor = None
        hops = 0
        while anchor_code is not None and hops < 1000:
            if anchor_code in existing:
                anchor = existing[anchor_code]
                break
            anchor_code = planned[anchor_code].parent_code if anchor_code in planned else None
            hops += 1
        if not may_import_units_beneath(by, anchor):
            where = f"beneath {anchor.code}" if anchor else "at the top of the hierarchy"
            problems.append(Problem(plan.row, "parent_code", f"you may not add or move units {where}"))

    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    ordered = sorted(planned.values(), key=lambda p: p.row)
    return UnitImportResult(planned=ordered, problems=problems)


def _depth_order(planned: list[PlannedUnit]) -> list[PlannedUnit]:
    """Parents before children (within the file)."""
    by_code = {p.code: p for p in planned}

    def depth(p: PlannedUnit) -> int:
        d, code = 0, p.parent_code
        while code in by_code and d < 1000:
            d, code = d + 1, by_code[code].parent_code
        return d

    return sorted(planned, key=depth)


@transaction.atomic
def apply_unit_import(result: UnitImportResult, *, by: User | None) -> UnitImportResult:
    """Write a checked plan in one transaction (all of it, or nothing)."""
    if result.problems:
        raise TableError(result.problems)
    units: dict[str, Unit] = {}

    def unit_for(code: str) -> Unit:
        if code not in units:
            units[code] = Unit.objects.get(code=code)
        return units[code]

    # The apps that follow the hierarchy (measurement's roll-ups) hear of every move once, at the end.
    with extensions.moves_batched():
        _apply(result, units, unit_for, by=by)
    result.applied = True
    return result


def _apply(
    result: UnitImportResult, units: dict[str, Unit], unit_for: Callable[[str], Unit], *, by: User | None
) -> None:
    for plan in _depth_order(result.planned):
        parent = unit_for(plan.parent_code) if plan.parent_code else None
        if plan.action == "create":
            units[plan.code] = services.create_unit(
                code=plan.code,
                name=plan.name,
                kind=plan.kind,
                parent=parent,
                by=by,
                organisation_type=plan.organisation_type,
                opened_on=plan.opened_on,
                closed_on=plan.closed_on,
            )
        elif plan.action == "update":
            unit = unit_for(plan.code)
            own: dict[str, Any] = {
                k: v
                for k, v in (
                    ("name", plan.name),
                    ("organisation_type", plan.organisation_type),
                    ("opened_on", plan.opened_on),
                    ("closed_on", plan.closed_on),
                )
            }
            services.update_unit(unit=unit, by=by, **own)
            if "parent_code" in plan.changes and parent is not None:
                services.move_unit(unit=unit, new_parent=parent, by=by)
                units.clear()  # paths beneath the moved unit changed: read them again


def import_units(
    source: str | Path | bytes | IO[bytes], *, by: User | None, dry_run: bool = False, filename: str = ""
) -> UnitImportResult:
    """Read, check and (unless `dry_run` or there are problems) apply a units file."""
    try:
        table = read_table(source, required=REQUIRED, optional=OPTIONAL, filename=filename)
    except TableError as exc:
        return UnitImportResult(planned=[], problems=exc.problems)
    # Check and write in one transaction, so nothing changes between the check and the write.
    with transaction.atomic():
        result = plan_unit_import(table, by=by)
        if result.ok and not dry_run:
            apply_unit_import(result, by=by)
    return result
