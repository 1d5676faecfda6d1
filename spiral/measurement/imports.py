"""Importing measures and observations from CSV or XLSX (the pages, the command line and the API).

Observations, long layout (one row per unit, measure and period):
    unit_code,measure_code,period,value,numerator,denominator,note
or wide (one measure, one column per period): unit_code[,measure_code],2025-01,2025-02,...

Guarantees (docs/measurement.md): the whole file is checked first; every rejected row is reported with its
file, row as a spreadsheet numbers it, column (and XLSX cell) and reason; nothing is written when anything
is rejected unless the person chose to import the valid rows; a file lands whole or not at all (staged in
short transactions, then published in one short one; see "Writing a file" below);
re-importing the same file changes nothing; corrections are kept in the series' history; every touched
series' analysis is recomputed in bulk (for a file, a chunk at a time right after it is published; until
then a page recomputes any stale analysis it shows).

Built for a million rows: one streaming pass in plain Python with dictionaries of known units, measures
and series; duplicates and comparison with what is stored are found with numpy; rows are written with
executemany (SQLite) or COPY (PostgreSQL), not one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import math
import os
import socket
import time
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from spiral.core import audit, codes, limits, periods
from spiral.core.tabular import TableError, column_letter, iter_records, read_bytes, read_table
from spiral.measurement import analyses, extensions, services
from spiral.measurement.models import (
    Analysis,
    Measure,
    Observation,
    ObservationChange,
    ObservationImport,
    Series,
    StagedObservation,
)
from spiral.measurement.values import check_observation
from spiral.organisations.models import Unit, UnitKind, User
from spiral.organisations.permissions import Permission, can

logger = logging.getLogger(__name__)

LONG_REQUIRED = ("unit_code", "measure_code", "period")
LONG_OPTIONAL = ("value", "numerator", "denominator", "note")
WIDE_FIXED = ("unit_code", "measure_code", "note")
MEASURE_REQUIRED = ("code", "name", "owner_unit_code", "measure_type", "chart", "improvement", "frequency")
MEASURE_OPTIONAL = (
    "target",
    "label",
    "description",
    "target_from",
    "numerator_definition",
    "denominator_definition",
    "is_indicator",
    "aggregation",
)
PREVIEW_ROWS = 200
NOTE_LIMIT = Observation._meta.get_field("note").max_length or limits.SHORT_TEXT
MB = 1024 * 1024


class Reporter(Protocol):
    """Where an import reports how far it has got (spiral.core.jobs.Progress, or the command line's bar)."""

    def update(
        self,
        *,
        stage: str | None = None,
        done: int | None = None,
        total: int | None = None,
        written: int | None = None,
    ) -> None: ...


class _Silent:
    def update(self, **_: Any) -> None:
        return None


SILENT: Reporter = _Silent()


def max_bytes() -> int:
    """The largest file accepted (settings.MEASUREMENT_IMPORT_MAX_BYTES, or SPIRAL_IMPORT_MAX_MB; 200 MB)."""
    configured = getattr(settings, "MEASUREMENT_IMPORT_MAX_BYTES", None)
    return int(configured) if configured else int(os.environ.get("SPIRAL_IMPORT_MAX_MB", "200")) * MB


@dataclass(frozen=True)
class Issue:
    """A rejected row or a warning: the file, the row as a spreadsheet numbers it, the column, why."""

    row: int | None
    column: str | None
    message: str
    cell: str | None = None
    file: str = ""

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}" + (f" ({self.cell})" if self.cell else ""))
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ImportResult:
    filename: str
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    samples: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"added": [], "changed": [], "unchanged": []}
    )
    applied: bool = False
    series_touched: int = 0
    layout: str = "long"
    # Refused only because stored rows changed while the file was being checked: running it again re-plans.
    conflict: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def summary(self) -> str:
        text = f"{self.added:,} to add, {self.changed:,} to change, {self.unchanged:,} unchanged"
        if self.rejected_rows:
            text += f", {self.rejected_rows:,} row{'s' if self.rejected_rows != 1 else ''} rejected"
        if self.warnings:
            text += f", {len(self.warnings):,} warning{'s' if len(self.warnings) != 1 else ''}"
        return text


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _header(cell: Any) -> str:
    return str(cell).strip().lower().replace(" ", "_") if cell is not None else ""


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _file_check(filename: str) -> None:
    if filename and not filename.lower().endswith((".csv", ".xlsx", ".xlsm", ".txt", ".tsv")):
        suffix = Path(filename).suffix or "(none)"
        raise TableError(f"the file must be CSV or XLSX, not {suffix}; save it as CSV or XLSX and try again")


class _Planner:
    """One pass over the rows: checks each, keeps the good ones in compact arrays."""

    def __init__(self, *, by: User | None, filename: str, xlsx: bool) -> None:
        self.by = by
        self.filename = filename
        self.xlsx = xlsx
        self.result = ImportResult(filename=filename)
        self.units = {
            code: (pk, path, kind)
            for pk, code, path, kind in Unit.objects.values_list("pk", "code", "path", "kind")
        }
        self.measures: dict[str, Measure | None] = {}
        self.series_of_measure: dict[int, dict[int, int]] = {}
        self.derived: set[int] = set()  # series added up from organisations: never written by a file
        self.keys: dict[tuple[int, int], int] = {}  # (measure id, unit id) -> key
        self.key_info: list[tuple[Measure, int, str, int | None]] = []  # measure, unit id, unit code, series
        self.pair_error: dict[tuple[int, int], str] = {}
        self.rows = array("q")
        self.key = array("q")
        self.day = array("q")  # period start as a date ordinal
        self.value = array("d")
        self.numerator = array("d")
        self.denominator = array("d")
        self.notes: list[str] = []
        self.bad_rows: set[int] = set()
        self.col_index: dict[str, int] = {}
        self.period_cache: dict[tuple[Any, str], Any] = {}
        self.may_write: dict[int, bool] = {}
        self.today = timezone.localdate()
        self.earliest = periods.OBSERVATION_PERIOD.earliest()
        self.latest = periods.OBSERVATION_PERIOD.latest(self.today)
        self.data_rows = 0

    def issue(self, row: int, column: str | None, message: str, *, col: int | None = None) -> None:
        cell = None
        if self.xlsx and column is not None:
            index = col if col is not None else self.col_index.get(column)
            if index is not None:
                cell = f"{column_letter(index)}{row}"
        self.result.rejected.append(Issue(row, column, message, cell, self.filename))
        self.bad_rows.add(row)

    def warn(self, row: int, column: str | None, message: str, *, col: int | None = None) -> None:
        cell = None
        if self.xlsx and column is not None:
            index = col if col is not None else self.col_index.get(column)
            if index is not None:
                cell = f"{column_letter(index)}{row}"
        self.result.warnings.append(Issue(row, column, message, cell, self.filename))

    def measure(self, code: str) -> Measure | None:
        if code not in self.measures:
            found = Measure.objects.select_related("owner").filter(code=code).first()
            if found is None:
                found = Measure.objects.select_related("owner").filter(code__iexact=code).first()
            self.measures[code] = found
            if found is not None and found.pk not in self.series_of_measure:
                pairs = list(Series.objects.filter(measure=found).values_list("unit_id", "pk", "derived"))
                self.series_of_measure[found.pk] = {u: pk for u, pk, _ in pairs}
                self.derived.update(pk for _, pk, derived in pairs if derived)
        return self.measures[code]

    def pair(self, measure: Measure, unit_code: str) -> int | str:
        """The key of the (measure, unit) series, or why it may not be written."""
        unit_id, path, _kind = self.units[unit_code]
        pair = (measure.pk, unit_id)
        key = self.keys.get(pair)
        if key is not None:
            return key
        if pair in self.pair_error:
            return self.pair_error[pair]
        series_id = self.series_of_measure[measure.pk].get(unit_id)
        problem = None
        if series_id is not None and series_id in self.derived:
            problem = (
                f"{measure.code} for {unit_code} is added up from the organisations beneath it (a derived "
                "series): import the organisations' own figures, and it is recomputed from them"
            )
        elif series_id is None:
            if unit_id == measure.owner_id:
                pass
            elif not (measure.is_indicator and path.startswith(measure.owner.path)):
                problem = services.applicability_error(measure, Unit(pk=unit_id, code=unit_code, path=path))
        if problem is None and self.by is not None and not self._may_write(unit_id, path):
            problem = f"you may not record data for {unit_code}; ask someone with a role there"
        if problem is not None:
            self.pair_error[pair] = problem
            return problem
        key = len(self.key_info)
        self.keys[pair] = key
        self.key_info.append((measure, unit_id, unit_code, series_id))
        return key

    def _may_write(self, unit_id: int, path: str) -> bool:
        if unit_id not in self.may_write:
            self.may_write[unit_id] = can(self.by, Permission.RECORD_DATA, Unit(pk=unit_id, path=path))
        return self.may_write[unit_id]

    def add(
        self,
        row: int,
        unit_code: Any,
        measure_code: Any,
        period: Any,
        value: Any,
        numerator: Any,
        denominator: Any,
        note: Any,
        *,
        period_col: int | None = None,
        value_col: int | None = None,
        period_column: str = "period",
        value_column: str = "value",
    ) -> None:
        unit_code, measure_code = _text(unit_code), _text(measure_code)
        ok = True
        if not unit_code:
            self.issue(row, "unit_code", "the unit code is empty")
            ok = False
        elif unit_code not in self.units:
            bad = codes.code_problem(unit_code, kind=codes.ODS)
            hint = _suggest(unit_code, self.units) if len(self.units) < 5000 else ""
            self.issue(row, "unit_code", bad or f"no unit has the code {unit_code}; check the code{hint}")
            ok = False
        measure = None
        if not measure_code:
            self.issue(row, "measure_code", "the measure code is empty")
            ok = False
        else:
            measure = self.measure(measure_code)
            bad = codes.code_problem(measure_code, kind=codes.MEASURE) if measure is None else None
            if bad:
                self.issue(row, "measure_code", bad)
                ok = False
            elif measure is None:
                self.issue(
                    row,
                    "measure_code",
                    f"no measure has the code {measure_code}; define it first "
                    "(spiral import measures) or check the code",
                )
                ok = False
        if measure is None:
            return
        frequency = measure.frequency
        cache_key = (period, frequency)
        start = self.period_cache.get(cache_key)
        if start is None:
            try:
                start = periods.period_start(period, frequency)
            except periods.PeriodError as exc:
                start = exc
            self.period_cache[cache_key] = start
        if isinstance(start, periods.PeriodError):
            self.issue(row, period_column, str(start), col=period_col)
            ok = False
        else:
            if not self.earliest <= start <= self.latest:
                outside = periods.OBSERVATION_PERIOD.problem(start, self.today)
                self.issue(row, period_column, str(outside), col=period_col)
                ok = False
        text = "" if note is None else str(note).strip()
        if len(text) > NOTE_LIMIT:
            self.issue(row, "note", "the note is too long. " + limits.too_long_message(NOTE_LIMIT, len(text)))
            ok = False
        elif text:
            control = next((c for c in text if c not in "\t\n\r" and unicodedata.category(c) == "Cc"), None)
            if control is not None:
                self.issue(
                    row,
                    "note",
                    f"the note has the control character U+{ord(control):04X}; remove it and save the file again",
                )
                ok = False
        v, n, d, problems, missing = check_observation(measure.chart, value, numerator, denominator)
        for column, message in problems:
            self.issue(
                row,
                column if column != "value" else value_column,
                message,
                col=value_col if column == "value" else None,
            )
            ok = False
        if not ok:
            return
        assert not isinstance(start, periods.PeriodError)  # ok is False for a period in error
        key = self.pair(measure, unit_code)
        if isinstance(key, str):
            self.issue(row, "measure_code", key)
            return
        if missing:
            shown = value_column if missing == "value" else missing
            raw = {"value": value, "numerator": numerator, "denominator": denominator}[missing]
            what = f"'{_text(raw)}'" if _text(raw) else "empty"
            self.warn(
                row,
                shown,
                f"{what}: a missing observation for {unit_code} {measure.code} "
                f"{periods.label(start, frequency)}; the row is skipped (never recorded as 0)",
                col=value_col if missing == "value" else None,
            )
            return
        if start > self.today:
            self.warn(
                row, period_column, str(periods.OBSERVATION_PERIOD.warning(start, self.today)), col=period_col
            )
        if text:
            text, warning = services.screen_note(text)
            if warning:
                self.warn(row, "note", warning)
        self.rows.append(row)
        self.key.append(key)
        self.day.append(start.toordinal())
        self.value.append(math.nan if v is None else v)
        self.numerator.append(math.nan if n is None else n)
        self.denominator.append(math.nan if d is None else d)
        self.notes.append(text)


def _read_rows(
    planner: _Planner, records: Iterable[list[Any]], *, measure_code: str | None, progress: Reporter = SILENT
) -> bool:
    """Find the header, refuse unknown columns by name, and feed every row to the planner."""
    header: list[str] | None = None
    raw_header: list[Any] = []
    header_row = 0
    width = 0
    layout = "long"
    for number, record in enumerate(records, start=1):
        if header is None:
            names = [_header(c) for c in record]
            if "unit_code" not in names:
                if number >= 20:
                    break
                continue
            header, header_row, raw_header = names, number, list(record)
            if not _check_header(planner, names, list(record), number, measure_code):
                return False
            layout = "long" if "period" in names else "wide"  # a long file without period was refused
            planner.result.layout = layout
            planner.col_index = {name: i for i, name in enumerate(names) if name}
            width = max(i + 1 for i, name in enumerate(names) if name)
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in record):
            continue
        planner.data_rows += 1
        if planner.data_rows % 10_000 == 0:
            progress.update(done=planner.data_rows)
        if len(record) > len(header) and any(v not in (None, "") for v in record[len(header) :]):
            planner.issue(
                number,
                None,
                f"this row has more cells than the header has columns ({len(header)}); remove the extra "
                "cells or name their column in the header",
            )
            continue
        if not planner.xlsx and len(record) < width:
            # A CSV row cut short (an XLSX sheet leaves empty trailing cells out, a CSV file keeps them).
            planner.issue(
                number,
                header[len(record)] or None,
                f"this row has {len(record)} cells but the header has {width} columns, so its values cannot "
                "be matched to their columns; give every column a cell (an empty cell still needs its "
                "comma), or save the file again as CSV from the spreadsheet",
            )
            continue
        cells = dict(zip(header, record, strict=False))
        if layout == "long":
            planner.add(
                number,
                cells.get("unit_code"),
                cells.get("measure_code", measure_code),
                cells.get("period"),
                cells.get("value"),
                cells.get("numerator"),
                cells.get("denominator"),
                cells.get("note"),
            )
        else:
            for i, name in enumerate(header):
                if not name or name in WIDE_FIXED:
                    continue
                cell = record[i] if i < len(record) else None
                period = raw_header[i]
                name = _shown(period)
                planner.add(
                    number,
                    cells.get("unit_code"),
                    cells.get("measure_code", measure_code),
                    period.strip() if isinstance(period, str) else period,
                    cell,
                    None,
                    None,
                    cells.get("note"),
                    period_col=i,
                    value_col=i,
                    period_column=name,
                    value_column=name,
                )
    if header is None:
        raise TableError(
            "no header row naming the columns was found in the first 20 rows; the first row should be "
            "unit_code,measure_code,period,value,numerator,denominator,note"
        )
    if not planner.data_rows:
        planner.issue(
            header_row,
            None,
            f"the file has a header (row {header_row}) but no rows of data beneath it; add a row per unit, "
            "measure and period, or check that the right sheet or file was saved",
        )
        return False
    return True


def _shown(cell: Any) -> str:
    """A header cell as the person wrote it (an XLSX date header as its date)."""
    if isinstance(cell, dt.datetime):
        cell = cell.date()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return _text(cell)


def _check_header(
    planner: _Planner, names: list[str], raw: list[Any], row: int, measure_code: str | None
) -> bool:
    problems: list[Issue] = []
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(Issue(row, name, "this column appears twice", None, planner.filename))
        seen.add(name)
    if "period" in names or any(c in names for c in ("value", "numerator", "denominator")):
        known = (*LONG_REQUIRED, *LONG_OPTIONAL)
        for i, name in enumerate(names):
            if name and name not in known:
                problems.append(
                    Issue(
                        row,
                        name,
                        f"unknown column '{name}'{_suggest(name, known)}; the columns are "
                        + ", ".join(known)
                        + " (a misspelt column would silently lose data)",
                        f"{column_letter(i)}{row}" if planner.xlsx else None,
                        planner.filename,
                    )
                )
        missing = [c for c in LONG_REQUIRED if c not in names and not (c == "measure_code" and measure_code)]
        if missing:
            problems.append(
                Issue(
                    row,
                    None,
                    f"the file has no {', '.join(missing)} column; the columns are "
                    + ", ".join((*LONG_REQUIRED, *LONG_OPTIONAL)),
                    None,
                    planner.filename,
                )
            )
        if not any(c in names for c in ("value", "numerator")):
            problems.append(
                Issue(
                    row,
                    None,
                    "the file has no value column (nor numerator and denominator)",
                    None,
                    planner.filename,
                )
            )
    else:
        if "measure_code" not in names and not measure_code:
            problems.append(
                Issue(
                    row,
                    None,
                    "the file has no period column (long layout) nor measure_code "
                    "(wide layout: one measure, one column per period); the long layout's "
                    "columns are " + ", ".join((*LONG_REQUIRED, *LONG_OPTIONAL)),
                    None,
                    planner.filename,
                )
            )
        for i, name in enumerate(names):
            if not name or name in WIDE_FIXED:
                continue
            if not _looks_like_period(raw[i]):
                known = (*LONG_REQUIRED, *LONG_OPTIONAL)
                shown = _shown(raw[i])
                problems.append(
                    Issue(
                        row,
                        shown,
                        f"unknown column '{shown}'{_suggest(name, known)}: in the wide layout every "
                        "column after unit_code and measure_code is a period (2025-03, 01/03/2025, Mar-25)",
                        f"{column_letter(i)}{row}" if planner.xlsx else None,
                        planner.filename,
                    )
                )
    planner.result.rejected.extend(problems)
    return not problems


def _looks_like_period(cell: Any) -> bool:
    text = cell.strip() if isinstance(cell, str) else cell
    for frequency in periods.FREQUENCIES:
        try:
            periods.period_start(text, frequency)
            return True
        except periods.PeriodError as exc:
            if "not the start" in str(exc) or "names a" in str(exc) or "only monthly" in str(exc):
                return True
    return False


def _existing(series_ids: list[int], first: dt.date, last: dt.date) -> dict[str, Any]:
    """Stored observations of these series between two period starts (one raw query per chunk): a
    monthly file of 10,000 series reads 10,000 stored rows, not every month of their history."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    out: dict[str, list[Any]] = {
        k: [] for k in ("id", "series", "day", "value", "num", "den", "note", "version")
    }
    ordinal: dict[Any, int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(series_ids), analyses.CHUNK):
            chunk = series_ids[i : i + analyses.CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            sql = (
                f"SELECT id, series_id, {analyses.period_column()}, value, numerator, denominator, note, version "  # noqa: S608, E501
                f"FROM {table} WHERE series_id IN ({marks}) AND period_start BETWEEN %s AND %s"
            )
            cursor.execute(sql, [*chunk, first, last])
            for pk, sid, day, value, num, den, note, version in cursor.fetchall():
                o = ordinal.get(day)
                if o is None:
                    o = ordinal[day] = (
                        day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
                    ).toordinal()
                out["id"].append(pk)
                out["series"].append(sid)
                out["day"].append(o)
                out["value"].append(math.nan if value is None else value)
                out["num"].append(math.nan if num is None else num)
                out["den"].append(math.nan if den is None else den)
                out["note"].append(note or "")
                out["version"].append(version)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


@dataclass
class _Plan:
    keep: np.ndarray  # indexes into the planner's arrays of rows to write
    match: np.ndarray  # for each kept row, the index into existing (-1: new)
    changed: np.ndarray  # bool per kept row
    existing: dict[str, Any]


def _compare(planner: _Planner) -> _Plan:
    """Duplicates within the file (rejected), then new / changed / unchanged against what is stored."""
    n = len(planner.rows)
    rows = np.frombuffer(planner.rows, dtype=np.int64) if n else np.zeros(0, np.int64)
    keys = np.frombuffer(planner.key, dtype=np.int64) if n else np.zeros(0, np.int64)
    days = np.frombuffer(planner.day, dtype=np.int64) if n else np.zeros(0, np.int64)
    combined = keys << 22 | days
    order = np.argsort(combined, kind="stable")
    sorted_comb = combined[order]
    dup = np.zeros(n, dtype=bool)
    if n > 1:
        same_next = sorted_comb[1:] == sorted_comb[:-1]
        if same_next.any():
            firsts: dict[int, int] = {}
            for j in np.flatnonzero(same_next).tolist():
                a, b = int(order[j]), int(order[j + 1])
                first = firsts.setdefault(a, a)
                firsts[b] = first
                dup[a] = dup[b] = True
            for i in np.flatnonzero(dup).tolist():
                first = firsts[i]
                measure, _uid, unit_code, _sid = planner.key_info[int(keys[i])]
                label = periods.label(dt.date.fromordinal(int(days[i])), measure.frequency)
                if first == i:
                    message = f"duplicate row: later rows give {unit_code} {measure.code} {label} again"
                else:
                    message = f"duplicate row: row {int(rows[first])} already gives {unit_code} {measure.code} {label}"  # noqa: E501
                planner.issue(int(rows[i]), "period", message + "; keep one row per unit, measure and period")
    bad = np.array(sorted(planner.bad_rows), dtype=np.int64)
    keep = np.flatnonzero(~np.isin(rows, bad) & ~dup) if n else np.zeros(0, np.int64)
    series_ids = sorted({info[3] for info in planner.key_info if info[3] is not None})
    if series_ids and len(keep):
        kept_days = days[keep]
        first_day, last_day = (
            dt.date.fromordinal(int(kept_days.min())),
            dt.date.fromordinal(int(kept_days.max())),
        )
        existing = _existing(series_ids, first_day, last_day)
    else:
        existing = {k: [] for k in ("id", "series", "day", "value", "num", "den", "note", "version")}
    key_of_series = {info[3]: k for k, info in enumerate(planner.key_info) if info[3] is not None}
    match = np.full(len(keep), -1, dtype=np.int64)
    changed = np.zeros(len(keep), dtype=bool)
    if existing["id"]:
        ex_keys = np.array([key_of_series[s] for s in existing["series"]], dtype=np.int64)
        ex_comb = ex_keys << 22 | np.array(existing["day"], dtype=np.int64)
        ex_order = np.argsort(ex_comb)
        ex_sorted = ex_comb[ex_order]
        want = combined[keep]
        pos = np.clip(np.searchsorted(ex_sorted, want), 0, len(ex_sorted) - 1)
        found = ex_sorted[pos] == want
        match = np.where(found, ex_order[pos], -1)
        hit = np.flatnonzero(found)
        ex_at = match[hit]
        at = keep[hit]
        values = np.frombuffer(planner.value, dtype=float)
        nums = np.frombuffer(planner.numerator, dtype=float)
        dens = np.frombuffer(planner.denominator, dtype=float)
        ex_value = np.array(existing["value"], dtype=float)
        ex_num = np.array(existing["num"], dtype=float)
        ex_den = np.array(existing["den"], dtype=float)
        differs = ~(
            _same(values[at], ex_value[ex_at])
            & _same(nums[at], ex_num[ex_at])
            & _same(dens[at], ex_den[ex_at])
        )
        notes, ex_notes = planner.notes, existing["note"]
        note_diff = np.fromiter(
            (notes[a] != ex_notes[b] for a, b in zip(at.tolist(), ex_at.tolist(), strict=True)),
            dtype=np.bool_,
            count=len(at),
        )
        changed[hit] = differs | note_diff
    return _Plan(keep=keep, match=match, changed=changed, existing=existing)


def _sample_row(planner: _Planner, i: int, old: dict[str, Any] | None = None) -> dict[str, Any]:
    measure, _uid, unit_code, _sid = planner.key_info[planner.key[i]]
    out = {
        "row": planner.rows[i],
        "unit": unit_code,
        "measure": measure.code,
        "measure_name": measure.name,
        "period": periods.label(dt.date.fromordinal(planner.day[i]), measure.frequency),
        "value": _num(planner.value[i]),
        "numerator": _num(planner.numerator[i]),
        "denominator": _num(planner.denominator[i]),
        "note": planner.notes[i],
    }
    if old is not None:
        out["old"] = old
    return out


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def _summarise(planner: _Planner, plan: _Plan) -> None:
    result = planner.result
    new = plan.match < 0
    result.added = int(new.sum())
    result.changed = int(plan.changed.sum())
    result.unchanged = len(plan.keep) - result.added - result.changed
    result.rejected_rows = len(planner.bad_rows)
    ex = plan.existing
    for position in range(len(plan.keep)):
        i = int(plan.keep[position])
        if new[position]:
            bucket = "added"
        elif plan.changed[position]:
            bucket = "changed"
        else:
            bucket = "unchanged"
        if len(result.samples[bucket]) >= PREVIEW_ROWS:
            if all(len(v) >= PREVIEW_ROWS for v in result.samples.values()):
                break
            continue
        old = None
        if bucket == "changed":
            j = int(plan.match[position])
            old = {
                "value": _num(ex["value"][j]),
                "numerator": _num(ex["num"][j]),
                "denominator": _num(ex["den"][j]),
                "note": ex["note"][j],
            }
        result.samples[bucket].append(_sample_row(planner, i, old))
    # The preview shows each unit's name beside its code: one query for the few hundred rows sampled.
    codes = {row["unit"] for rows in result.samples.values() for row in rows}
    names = dict(Unit.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for rows in result.samples.values():
        for row in rows:
            row["unit_name"] = names.get(row["unit"], "")
    result.rejected.sort(key=lambda p: (p.row or 0, p.column or ""))
    result.warnings.sort(key=lambda p: (p.row or 0, p.column or ""))


def _write(planner: _Planner, plan: _Plan, *, by: User | None) -> None:
    """Write the plan (inside the caller's transaction)."""
    now = timezone.now()
    actor = by.pk if by is not None else None
    # Start the series that do not exist yet.
    used_keys = (
        set(np.frombuffer(planner.key, dtype=np.int64)[plan.keep].tolist()) if len(plan.keep) else set()
    )
    new_pairs = [
        p
        for k, p in enumerate((info[0], info[1]) for info in planner.key_info)
        if planner.key_info[k][3] is None and k in used_keys
    ]
    if new_pairs:
        Series.objects.bulk_create([Series(measure=m, unit_id=u) for m, u in new_pairs], batch_size=2000)
        ids: dict[tuple[int, int], int] = {}
        for measure_id in {m.pk for m, _ in new_pairs}:
            ids.update(
                {
                    (measure_id, u): pk
                    for u, pk in Series.objects.filter(measure_id=measure_id).values_list("unit_id", "pk")
                }
            )
        for k, info in enumerate(planner.key_info):
            if info[3] is None and (info[0].pk, info[1]) in ids:
                planner.key_info[k] = (info[0], info[1], info[2], ids[(info[0].pk, info[1])])
    series_of_key = [info[3] for info in planner.key_info]
    keys = np.frombuffer(planner.key, dtype=np.int64) if len(planner.key) else np.zeros(0, np.int64)
    values = np.frombuffer(planner.value, dtype=float) if len(planner.value) else np.zeros(0)
    nums = np.frombuffer(planner.numerator, dtype=float) if len(planner.numerator) else np.zeros(0)
    dens = np.frombuffer(planner.denominator, dtype=float) if len(planner.denominator) else np.zeros(0)
    day_cache: dict[int, dt.date] = {}

    def day(o: int) -> dt.date:
        d = day_cache.get(o)
        if d is None:
            d = day_cache[o] = dt.date.fromordinal(o)
        return d

    new_idx = plan.keep[plan.match < 0].tolist()
    inserts = [
        (
            series_of_key[planner.key[i]],
            day(planner.day[i]),
            _num(values[i]),
            _num(nums[i]),
            _num(dens[i]),
            planner.notes[i],
            1,
            now,
            actor,
        )
        for i in new_idx
    ]
    bulk_insert_observations(inserts)
    changed_pos = np.flatnonzero(plan.changed)
    ex = plan.existing
    updates = []
    history = []
    for position in changed_pos.tolist():
        i, j = int(plan.keep[position]), int(plan.match[position])
        after = (_num(values[i]), _num(nums[i]), _num(dens[i]), planner.notes[i])
        updates.append((*after, now, actor, ex["id"][j]))
        before = {
            "value": _num(ex["value"][j]),
            "numerator": _num(ex["num"][j]),
            "denominator": _num(ex["den"][j]),
            "note": ex["note"][j],
        }
        history.append(
            ObservationChange(
                series_id=ex["series"][j],
                period_start=day(planner.day[i]),
                action=ObservationChange.Action.UPDATE,
                before=services._json(before),
                after=services._json(
                    dict(zip(("value", "numerator", "denominator", "note"), after, strict=True))
                ),
                by_id=actor,
                source=planner.filename[:200],
            )
        )
    _update_observations(updates)
    ObservationChange.objects.bulk_create(history, batch_size=2000)
    touched_keys = set(keys[plan.keep[plan.match < 0]].tolist()) | set(keys[plan.keep[plan.changed]].tolist())
    touched = sorted({series_of_key[k] for k in touched_keys})
    planner.result.series_touched = len(touched)
    if touched:
        for i in range(0, len(touched), analyses.CHUNK):
            chunk = touched[i : i + analyses.CHUNK]
            _audit_import(chunk, by=by)
        analyses.recompute(touched)
        _roll_up(touched)


def _roll_up(series_ids: list[int]) -> None:
    """The organisations' figures changed: their indicators' roll-ups follow (measurement.rollups)."""
    measure_ids: set[int] = set()
    for i in range(0, len(series_ids), analyses.CHUNK):
        for measure in Measure.objects.filter(
            series__pk__in=series_ids[i : i + analyses.CHUNK], series__derived=False, is_indicator=True
        ).distinct():
            if measure.rolls_up:
                measure_ids.add(measure.pk)
    services.schedule_roll_up(measure_ids)


_COLUMNS = (
    "series_id",
    "period_start",
    "value",
    "numerator",
    "denominator",
    "note",
    "version",
    "updated_at",
    "updated_by_id",
)


def bulk_insert_observations(rows: list[tuple[Any, ...]]) -> None:
    """Insert rows of (series_id, period_start, value, numerator, denominator, note, version, updated_at,
    updated_by_id): executemany on SQLite, COPY on PostgreSQL. The caller recomputes the analyses."""
    if not rows:
        return
    table = connection.ops.quote_name(Observation._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY is the fast way in
            with raw.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"  # noqa: S608
        for i in range(0, len(rows), 50_000):
            cursor.executemany(sql, rows[i : i + 50_000])


def _update_observations(rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(Observation._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > 1000:
            cursor.execute(
                "CREATE TEMP TABLE spiral_obs_update (value double precision, numerator double precision, "
                "denominator double precision, note text, updated_at timestamptz, updated_by_id bigint, "
                "id bigint) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY spiral_obs_update FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} AS o SET value = u.value, numerator = u.numerator, "  # noqa: S608
                "denominator = u.denominator, note = u.note, updated_at = u.updated_at, "
                "updated_by_id = u.updated_by_id, version = o.version + 1 "
                "FROM spiral_obs_update u WHERE o.id = u.id"
            )
            cursor.execute("DROP TABLE spiral_obs_update")
            return
        cursor.executemany(
            f"UPDATE {table} SET value = %s, numerator = %s, denominator = %s, note = %s, "  # noqa: S608
            "updated_at = %s, updated_by_id = %s, version = version + 1 WHERE id = %s",
            rows,
        )


def import_observations(
    source: str | Path | bytes | IO[bytes],
    *,
    by: User | None,
    dry_run: bool = False,
    filename: str = "",
    valid_only: bool = False,
    measure_code: str | None = None,
    progress: Reporter = SILENT,
) -> ImportResult:
    """Read, check and (unless `dry_run`, or rows are rejected and not `valid_only`) write a file.

    `by` None acts as the system (the command line): every unit may be written.
    `measure_code` names the measure of a wide file without a measure_code column.
    `progress` is told each stage and the rows checked and written so far.
    """
    name = filename or (str(source) if isinstance(source, str | Path) else "")
    shown = Path(name).name if name else "upload"
    try:
        _file_check(name)
        # Before reading anything stored (the rows are matched to series as they are read): an import
        # killed a moment ago may still be committing, and its clean-up waits for that.
        finish_abandoned_imports()
        data = read_bytes(source, max_bytes=max_bytes())
        xlsx, records = iter_records(data, filename=name)
        planner = _Planner(by=by, filename=shown, xlsx=xlsx)
        progress.update(stage="checking rows", done=0)
        header_ok = _read_rows(planner, records, measure_code=measure_code, progress=progress)
    except TableError as exc:
        return ImportResult(
            filename=shown, rejected=[Issue(p.row, p.column, p.message, None, shown) for p in exc.problems]
        )
    if not header_ok:
        return planner.result  # the header was refused: nothing else is worth saying
    return _plan_and_write_staged(planner, by=by, dry_run=dry_run, valid_only=valid_only, progress=progress)


def apply_rows(
    rows: list[dict[str, Any]],
    *,
    by: User | None,
    dry_run: bool = False,
    valid_only: bool = False,
    source: str = "API request",
) -> ImportResult:
    """The same checks and writes for rows given as dicts (the API's bulk upsert); row = position + 1."""
    planner = _Planner(by=by, filename=source, xlsx=False)
    for number, row in enumerate(rows, start=1):
        planner.add(
            number,
            row.get("unit"),
            row.get("measure"),
            row.get("period"),
            row.get("value"),
            row.get("numerator"),
            row.get("denominator"),
            row.get("note"),
        )
    return _plan_and_write(planner, by=by, dry_run=dry_run, valid_only=valid_only)


def _plan_and_write(planner: _Planner, *, by: User | None, dry_run: bool, valid_only: bool) -> ImportResult:
    with transaction.atomic():
        plan = _compare(planner)
        _summarise(planner, plan)
        result = planner.result
        if not dry_run and (result.ok or valid_only):
            _write(planner, plan, by=by)
            result.applied = True
    return result


# ------------------------------------------------------------------------------------------------
# Writing a file without holding the write lock for long: stage, publish, recompute.
#
# A file of 200,000 rows written in one transaction held SQLite's write lock for 17 s, so a person's
# edit on the web waited that long. A file is now written in four steps, each in short transactions:
#   1. checked and compared with what is stored without any transaction (reads only);
#   2. its rows to add or correct staged in `StagedObservation`, STAGE_BATCH rows per transaction;
#   3. published in ONE transaction of set-based SQL (series started, rows inserted and corrected, history
#      and audit written, analyses marked stale): readers see all of the file or none of it. A stored row
#      that someone changed since step 1 refuses the whole file (the person imports it again);
#   4. analyses recomputed, a chunk of series per transaction (until then pages recompute what they show,
#      as for any stale analysis), and the staged rows removed.
# A crash before step 3 leaves only staged rows, which the next import removes; a crash after it leaves
# a published import whose analyses the next import recomputes. Either way running the file again gives
# the result of one clean run.

STAGE_BATCH = 10_000  # rows per staging transaction: about 0.25 s of SQLite's write lock
# Staged rows removed per transaction once published: a DELETE by primary key is far cheaper than the
# INSERT that staged them (about 0.1 s of the lock for 50,000), and each transaction is followed by
# SQLITE_PAUSE_S, so larger batches mean fewer pauses (bench/import_scale.py, docs/scale.md).
DISCARD_BATCH = 50_000
RECOMPUTE_BATCH = 300  # series per recompute transaction: about 0.4 s for 100 months each
# SQLite has no queue for its write lock: a waiting writer polls (every 100 ms once it has waited a while)
# and an import that begins its next transaction at once would take the lock again and again before it.
# A pause between the import's transactions lets the person's edit in.
SQLITE_PAUSE_S = 0.12
# An import whose process cannot be seen (another host) and that has not written for this long was lost.
ABANDONED_AFTER = dt.timedelta(minutes=30)
_STAGED_COLUMNS = (
    "load_id",
    "measure_id",
    "unit_id",
    "observation_id",
    "expected_version",
    "period_start",
    "value",
    "numerator",
    "denominator",
    "note",
    "before",
    "after",
)


class ImportConflict(Exception):
    """Stored observations changed between checking the file and publishing it."""


def _audit_import(series_ids: list[int], *, by: User | None) -> None:
    """One audit event per series an import touched, in the caller's transaction."""
    audit.record_many(
        action="observations.import",
        objects=Series.objects.filter(pk__in=series_ids).select_related("measure", "unit"),
        by=by,
        scope_path_of=lambda s: s.unit.path,
    )


def _plan_and_write_staged(
    planner: _Planner, *, by: User | None, dry_run: bool, valid_only: bool, progress: Reporter = SILENT
) -> ImportResult:
    """Check, compare and write a file in short transactions (see above); all or nothing for the file."""
    progress.update(stage="comparing with what is stored", done=planner.data_rows, total=planner.data_rows)
    plan = _compare(planner)
    _summarise(planner, plan)
    result = planner.result
    if dry_run or not (result.ok or valid_only):
        return result
    staged = _staged_rows(planner, plan)
    if not staged:
        result.applied = True
        return result
    load = ObservationImport.objects.create(
        source=planner.filename[:200],
        by=by if getattr(by, "pk", None) else None,
        host=socket.gethostname()[:255],
        pid=os.getpid(),
    )
    try:
        progress.update(stage="writing", written=0)
        _stage(load, staged, progress=progress)
        progress.update(stage="publishing")
        touched = _publish(load, by=by, source=planner.filename[:200])
        _let_others_write()
    except ImportConflict as exc:
        _discard(load)
        result.rejected.append(Issue(None, None, str(exc), None, planner.filename))
        result.conflict = True
        return result
    except BaseException:
        _discard(load)  # an error, not a crash: nothing of the file stays behind
        raise
    result.applied = True
    result.series_touched = len(touched)
    progress.update(stage="recalculating analyses")
    _finish(load, touched)
    progress.update(stage="preparing comparisons")
    extensions.after_import(touched)  # the first reader's funnel plots, computed now (issue 14)
    return result


def _staged_rows(planner: _Planner, plan: _Plan) -> list[tuple[Any, ...]]:
    """The rows to add and to correct, as StagedObservation columns (load id filled in when staging)."""
    values = np.frombuffer(planner.value, dtype=float) if len(planner.value) else np.zeros(0)
    nums = np.frombuffer(planner.numerator, dtype=float) if len(planner.numerator) else np.zeros(0)
    dens = np.frombuffer(planner.denominator, dtype=float) if len(planner.denominator) else np.zeros(0)
    ex = plan.existing
    days: dict[int, dt.date] = {}
    out: list[tuple[Any, ...]] = []
    for position, (i, j) in enumerate(zip(plan.keep.tolist(), plan.match.tolist(), strict=True)):
        if j >= 0 and not plan.changed[position]:
            continue  # unchanged: re-importing the same file writes nothing
        measure, unit_id, _code, _series = planner.key_info[planner.key[i]]
        day = days.get(planner.day[i])
        if day is None:
            day = days[planner.day[i]] = dt.date.fromordinal(planner.day[i])
        after = (_num(values[i]), _num(nums[i]), _num(dens[i]), planner.notes[i])
        if j < 0:
            out.append((measure.pk, unit_id, None, None, day, *after, None, None))
            continue
        before = {
            "value": _num(ex["value"][j]),
            "numerator": _num(ex["num"][j]),
            "denominator": _num(ex["den"][j]),
            "note": ex["note"][j],
        }
        after_json = services._json(
            dict(zip(("value", "numerator", "denominator", "note"), after, strict=True))
        )
        out.append(
            (
                measure.pk,
                unit_id,
                ex["id"][j],
                ex["version"][j],
                day,
                *after,
                json.dumps(services._json(before)),
                json.dumps(after_json),
            )
        )
    return out


def _let_others_write() -> None:
    """Between two of an import's transactions: give a waiting writer its turn (SQLite; see above)."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        time.sleep(SQLITE_PAUSE_S)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _stage(load: ObservationImport, rows: list[tuple[Any, ...]], *, progress: Reporter = SILENT) -> None:
    """Write the rows into the staging table, STAGE_BATCH per (short) transaction."""
    table = _table(StagedObservation)
    columns = ", ".join(_STAGED_COLUMNS)
    for start in range(0, len(rows), STAGE_BATCH):
        batch = [(load.pk, *row) for row in rows[start : start + STAGE_BATCH]]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(_STAGED_COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)  # noqa: S608
            ObservationImport.objects.filter(pk=load.pk).update(heartbeat_at=timezone.now())
        progress.update(written=min(start + STAGE_BATCH, len(rows)))
        _let_others_write()


def _publish(load: ObservationImport, *, by: User | None, source: str) -> list[int]:
    """Apply the staged rows in one transaction of set-based statements; return the series touched."""
    try:
        return _publish_once(load, by=by, source=source)
    except IntegrityError as exc:
        # A person's edit on the web wrote one of the file's rows between the check below and the write
        # (the imports themselves take turns): the whole file is checked again, as for any such change.
        raise ImportConflict(
            "some of the file's observations were recorded by someone else while it was being written; "
            "nothing was imported: import the file again to review their changes against it"
        ) from exc


# Imports publish one at a time (PostgreSQL; SQLite has one writer anyway): two publishing at once would
# each start the same new series, or add the same new rows, before seeing the other's (a unique
# violation, the job failed). Taking turns, each one's check sees what the one before it wrote.
PUBLISH_LOCK = 0x5350_4F42  # any fixed key of pg_advisory_xact_lock


def _publish_once(load: ObservationImport, *, by: User | None, source: str) -> list[int]:
    now = timezone.now()
    actor = by.pk if by is not None else None
    staged, obs, series = _table(StagedObservation), _table(Observation), _table(Series)
    same_series = "x.measure_id = s.measure_id AND x.unit_id = s.unit_id"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        if (
            not ObservationImport.objects.select_for_update(of=("self",))
            .filter(pk=load.pk, status="staging")
            .exists()
        ):
            raise ImportConflict("the import was stopped before it could be written; import the file again")
        cursor.execute(
            f"SELECT COUNT(*) FROM {staged} s LEFT JOIN {obs} o ON o.id = s.observation_id "  # noqa: S608
            "WHERE s.load_id = %s AND s.observation_id IS NOT NULL "
            "AND (o.id IS NULL OR o.version <> s.expected_version)",
            [load.pk],
        )
        corrected_meanwhile = cursor.fetchone()[0]
        # A series the file starts: created now, so that a crash before this never leaves an empty one.
        cursor.execute(
            f"INSERT INTO {series} (measure_id, unit_id, created_at, derived) "  # noqa: S608
            f"SELECT DISTINCT s.measure_id, s.unit_id, %s, %s FROM {staged} s WHERE s.load_id = %s "
            f"AND s.observation_id IS NULL AND NOT EXISTS (SELECT 1 FROM {series} x WHERE {same_series}) "
            "ON CONFLICT (measure_id, unit_id) DO NOTHING",
            [now, False, load.pk],
        )
        cursor.execute(
            f"SELECT COUNT(*) FROM {staged} s JOIN {series} x ON {same_series} "  # noqa: S608
            f"JOIN {obs} o ON o.series_id = x.id AND o.period_start = s.period_start "
            "WHERE s.load_id = %s AND s.observation_id IS NULL",
            [load.pk],
        )
        added_meanwhile = cursor.fetchone()[0]
        if corrected_meanwhile or added_meanwhile:
            count = corrected_meanwhile + added_meanwhile
            raise ImportConflict(
                f"{count:,} of the file's observations were recorded or corrected by someone else while "
                "the file was being checked; nothing was imported: import the file again to review "
                "their changes against it"
            )
        cursor.execute(
            f"INSERT INTO {obs} (series_id, period_start, value, numerator, denominator, note, version, "  # noqa: S608
            f"updated_at, updated_by_id) SELECT x.id, s.period_start, s.value, s.numerator, s.denominator, "
            f"s.note, 1, %s, %s FROM {staged} s JOIN {series} x ON {same_series} "
            "WHERE s.load_id = %s AND s.observation_id IS NULL",
            [now, actor, load.pk],
        )
        cursor.execute(
            f"UPDATE {obs} SET value = s.value, numerator = s.numerator, denominator = s.denominator, "  # noqa: S608
            f"note = s.note, updated_at = %s, updated_by_id = %s, version = {obs}.version + 1 "
            f"FROM {staged} s WHERE s.load_id = %s AND s.observation_id = {obs}.id",
            [now, actor, load.pk],
        )
        history = _table(ObservationChange)
        cursor.execute(
            f"INSERT INTO {history} (series_id, period_start, action, before, after, by_id, at, source) "  # noqa: S608
            f"SELECT o.series_id, s.period_start, %s, s.before, s.after, %s, %s, %s FROM {staged} s "
            f"JOIN {obs} o ON o.id = s.observation_id WHERE s.load_id = %s",
            [ObservationChange.Action.UPDATE.value, actor, now, source, load.pk],
        )
        cursor.execute(
            f"SELECT DISTINCT x.id FROM {staged} s JOIN {series} x ON {same_series} "  # noqa: S608
            "WHERE s.load_id = %s ORDER BY x.id",
            [load.pk],
        )
        touched = [row[0] for row in cursor.fetchall()]
        for i in range(0, len(touched), analyses.CHUNK):
            chunk = touched[i : i + analyses.CHUNK]
            _audit_import(chunk, by=by)
            # Until step 4 recomputes them, a page recomputes what it shows (a stale or missing analysis).
            Analysis.objects.filter(series_id__in=chunk).update(stale=True)
        ObservationImport.objects.filter(pk=load.pk).update(status="published", heartbeat_at=now)
    return touched


def _finish(load: ObservationImport, touched: list[int]) -> None:
    """After publishing: recompute the analyses a chunk at a time, then remove the staged rows."""
    for i in range(0, len(touched), RECOMPUTE_BATCH):
        with transaction.atomic():
            analyses.recompute(touched[i : i + RECOMPUTE_BATCH])
            ObservationImport.objects.filter(pk=load.pk).update(heartbeat_at=timezone.now())
        _let_others_write()
    _roll_up(touched)
    _discard(load)


def _discard(load: ObservationImport) -> None:
    """Remove an import's staged rows (DISCARD_BATCH per transaction), then the import itself."""
    table = _table(StagedObservation)
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE load_id = %s LIMIT %s)",  # noqa: S608
                [load.pk, DISCARD_BATCH],
            )
            if cursor.rowcount < DISCARD_BATCH:
                ObservationImport.objects.filter(pk=load.pk).delete()
                return
        _let_others_write()


def _is_running(load: ObservationImport) -> bool:
    if timezone.now() - load.heartbeat_at > ABANDONED_AFTER:
        return False
    if load.host != socket.gethostname()[:255]:
        return True  # another machine's process: trust its recent heartbeat
    if load.pid == os.getpid():
        return True
    try:
        os.kill(load.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def finish_abandoned_imports() -> int:
    """Clear up after imports whose process died (SIGKILL, a power cut): remove the staged rows of one
    that had not published; recompute the analyses of one that had. Returns how many were found."""
    found = 0
    for load in list(ObservationImport.objects.order_by("pk")):
        if _is_running(load):
            continue
        # Its process is gone, but on PostgreSQL its last transaction may still be ending in the server
        # (a client killed just after sending COMMIT is committed a moment later): the row lock that
        # _publish holds makes this wait for it, and the status read after the wait is the final one.
        with transaction.atomic():
            load = ObservationImport.objects.select_for_update(of=("self",)).filter(pk=load.pk).first()  # type: ignore[assignment]  # None: gone meanwhile (checked next)
        if load is None:
            continue
        found += 1
        logger.warning("observation import %s (%s) was abandoned; clearing it up", load.pk, load.status)
        if load.status == ObservationImport.Status.PUBLISHED:
            staged, series = _table(StagedObservation), _table(Series)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT DISTINCT x.id FROM {staged} s JOIN {series} x "  # noqa: S608
                    "ON x.measure_id = s.measure_id AND x.unit_id = s.unit_id WHERE s.load_id = %s",
                    [load.pk],
                )
                touched = sorted(row[0] for row in cursor.fetchall())
            _finish(load, touched)
        else:
            _discard(load)
    return found


# ------------------------------------------------------------------------------------------------
# Measures


@dataclass
class MeasureImportResult:
    filename: str
    rejected: list[Issue] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # code -> name, for the preview
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def summary(self) -> str:
        return (
            f"{len(self.created)} to create, {len(self.updated)} to update, {len(self.unchanged)} unchanged"
        )


_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


def import_measures(
    source: str | Path | bytes | IO[bytes], *, by: User | None, dry_run: bool = False, filename: str = ""
) -> MeasureImportResult:
    """Define or update measures from `code,name,owner_unit_code,measure_type,chart,improvement,frequency,
    target,label,description`: all or nothing, idempotent, one transaction."""
    name = filename or (str(source) if isinstance(source, str | Path) else "")
    shown = Path(name).name if name else "upload"
    result = MeasureImportResult(filename=shown)
    try:
        _file_check(name)
        data = read_bytes(source, max_bytes=max_bytes())
        table = read_table(
            data, required=MEASURE_REQUIRED, optional=MEASURE_OPTIONAL, filename=name, allow_empty=True
        )
    except TableError as exc:
        result.rejected = [Issue(p.row, p.column, p.message, None, shown) for p in exc.problems]
        return result
    known = (*MEASURE_REQUIRED, *MEASURE_OPTIONAL)
    unknown = [c for c in table.columns if c and c not in known]
    if unknown:
        result.rejected = [
            Issue(
                table.header_row,
                c,
                f"unknown column '{c}'{_suggest(c, known)}; the columns are " + ", ".join(known),
                None,
                shown,
            )
            for c in unknown
        ]
        return result
    if not table.rows:
        result.rejected = [
            Issue(
                table.header_row,
                None,
                f"the file has a header (row {table.header_row}) but no rows of data beneath it; add a row "
                "per measure, or check that the right sheet or file was saved",
                None,
                shown,
            )
        ]
        return result
    units = {
        u.code: u for u in Unit.objects.filter(code__in={_text(r.get("owner_unit_code")) for r in table.rows})
    }
    seen: dict[str, int] = {}
    with transaction.atomic():
        for row in table.rows:
            _measure_row(row, table.columns, units, seen, result, by=by, shown=shown)
        result.rejected.sort(key=lambda p: (p.row or 0, p.column or ""))
        if result.rejected or dry_run:
            transaction.set_rollback(True)
        else:
            result.applied = True
    return result


def _measure_row(
    row: Any,
    columns: list[str],
    units: dict[str, Unit],
    seen: dict[str, int],
    result: MeasureImportResult,
    *,
    by: User | None,
    shown: str,
) -> None:
    def reject(column: str | None, message: str) -> None:
        result.rejected.append(Issue(row.number, column, message, None, shown))

    code = _text(row.get("code"))
    owner_code = _text(row.get("owner_unit_code"))
    if code.lower() in seen:
        reject("code", f"the code {code} is already used on row {seen[code.lower()]}")
        return
    seen[code.lower()] = row.number
    owner = units.get(owner_code)
    if owner is None:
        reject("owner_unit_code", f"no unit has the code {owner_code or '(empty)'}")
        return
    if by is not None and not can(by, Permission.CHANGE_MEASURE, owner):
        reject("owner_unit_code", f"you may not define measures for {owner_code}")
        return
    flag = _text(row.get("is_indicator")).lower()
    if "is_indicator" in columns and flag not in _TRUE | _FALSE:
        reject("is_indicator", f"'{flag}' is not yes or no")
        return
    # Without the column: a measure defined above a team is shared with everything beneath it.
    is_indicator = flag in _TRUE if "is_indicator" in columns else owner.kind != UnitKind.TEAM
    target_from = None
    if _text(row.get("target_from")):
        try:
            target_from = periods.period_start(row.get("target_from"), _text(row.get("frequency")).lower())
            periods.RECORD_DATE.check(target_from)
        except periods.PeriodError as exc:
            reject("target_from", str(exc))
            return
    values: dict[str, Any] = {
        "name": _text(row.get("name")),
        "measure_type": _text(row.get("measure_type")).lower(),
        "chart": _text(row.get("chart")).lower().replace("′", "prime").replace("'", "prime"),
        "improvement": _text(row.get("improvement")).lower(),
        "frequency": _text(row.get("frequency")).lower(),
        "is_indicator": is_indicator,
    }
    for optional in ("label", "description", "numerator_definition", "denominator_definition"):
        if optional in columns:
            values[optional] = _text(row.get(optional))
    if "aggregation" in columns:
        values["aggregation"] = _text(row.get("aggregation")).lower() or "none"
    existing = Measure.objects.filter(code__iexact=code).select_related("owner").first()
    result.names[code] = values["name"] or (existing.name if existing else "")
    try:
        with transaction.atomic():
            if existing is None:
                services.create_measure(
                    code=code, owner=owner, by=by, target=row.get("target"), target_from=target_from, **values
                )
                result.created.append(code)
                return
            if existing.owner_id != owner.pk:
                reject(
                    "owner_unit_code",
                    f"{code} belongs to {existing.owner.code}; a measure's owner cannot change",
                )
                return
            if by is not None and not can(by, Permission.CHANGE_MEASURE, existing):
                reject("code", f"you may not change {code}")
                return
            before = existing.version
            target = row.get("target") if "target" in columns else services._UNSET
            services.update_measure(measure=existing, by=by, target=target, target_from=target_from, **values)
            changed = Measure.objects.filter(pk=existing.pk, version__gt=before).exists()
            (result.updated if changed else result.unchanged).append(code)
    except ValidationError as exc:
        for column, messages in exc.message_dict.items():
            for message in messages:
                reject(column if column in (*MEASURE_REQUIRED, *MEASURE_OPTIONAL) else None, message)
