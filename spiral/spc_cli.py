"""`spiral spc FILE`: analyse one measure in a CSV or XLSX file from the command line.

For analysts who just have a spreadsheet: one row per period, in time order, with a date (or any
label) column, a value column and, for p and u charts, a denominator column. Empty or suppressed
cells (blank, `*`, `-`, `..`, `NA`: the markers of spiral.core.values) are missing periods, never
zero; `%` signs and thousands separators are stripped. Problems are reported with the row as a
spreadsheet numbers it (the header is row 1) and the column, and exit status 2.

A thin command: the file is read by spiral.core.tabular (encodings, byte-order mark, delimiter,
sheet row numbers), dates by spiral.core.periods, and the analysis is spiral.spc's, which reads no
files. Imports nothing from Django; the main `spiral` command dispatches `spiral spc ...` to `main(argv)`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spiral.core import periods, tabular
from spiral.core.values import is_missing
from spiral.spc import CHARTS, IMPROVEMENTS, RULES, Analysis, SPCError, analyse, render_svg


class InputError(Exception):
    """A problem with the file or the options, reported to the user with exit status 2."""


@dataclass
class Table:
    """Header names and data rows of a sheet, each row with its spreadsheet row number."""

    path: Path
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]
    is_xlsx: bool


def _read(path: Path, sheet: str | None) -> Table:
    """The file as a table, read by spiral.core.tabular (the XLSX sheet named, else the active one)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        xlsx, records = tabular.iter_records(
            data, filename=path.name, sheet=sheet, default_sheet=tabular.ACTIVE_SHEET
        )
        return _table(path, [list(record) for record in records], is_xlsx=xlsx)
    except tabular.TableError as exc:
        raise InputError(f"{path}: {exc}") from None


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(path: Path, records: list[list[Any]], *, is_xlsx: bool) -> Table:
    # Records are counted as a spreadsheet counts rows (a quoted cell spanning lines is one row);
    # the header is the first non-blank row.
    numbered = list(enumerate(records, start=1))
    start = next((i for i, (_, rec) in enumerate(numbered) if any(not _is_blank(c) for c in rec)), None)
    if start is None:
        raise InputError(f"{path}: the file has no header row and no data")
    header_row, header_cells = numbered[start]
    header = ["" if c is None else str(c).strip() for c in header_cells]
    rows = [(n, rec) for n, rec in numbered[start + 1 :] if any(not _is_blank(c) for c in rec)]
    return Table(path, header, header_row, rows, is_xlsx)


def _find_column(
    table: Table, wanted: str | None, role: str, default: list[str], exclude: set[int]
) -> int | None:
    names = [h.casefold() for h in table.header]
    if wanted is not None:
        key = wanted.strip().casefold()
        if key in names:
            return names.index(key)
        if key.isdigit() and 1 <= int(key) <= len(names):
            return int(key) - 1
        raise InputError(
            f"{table.path}: no column {wanted!r} for the {role}; the header (row {table.header_row}) has "
            + ", ".join(repr(h) for h in table.header)
        )
    for pattern in default:
        for i, name in enumerate(names):
            if i not in exclude and re.fullmatch(pattern, name):
                return i
    return None


def _cell_ref(table: Table, row: int, column: int) -> str:
    name = table.header[column] if column < len(table.header) else tabular.column_letter(column)
    ref = f"row {row}, column {name!r}"
    if table.is_xlsx:
        ref += f" ({tabular.column_letter(column)}{row})"
    return ref


def _number(table: Table, row: int, column: int, cell: Any) -> float | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise InputError(f"{table.path}: {_cell_ref(table, row, column)}: {cell!r} is not a number")
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    if is_missing(text):
        return None
    cleaned = text.replace(",", "").rstrip("%")
    try:
        value = float(cleaned)
    except ValueError:
        value = None
    if value is None or cleaned.casefold() in ("nan", "inf", "-inf", "+inf", "infinity"):
        raise InputError(
            f"{table.path}: {_cell_ref(table, row, column)}: {str(cell).strip()!r} is not a number "
            "(leave the cell empty, or write *, - or .., for a missing period)"
        )
    return value


def _label(cell: Any) -> str:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def _day(label: str) -> dt.date | None:
    """The first day a label names (spiral.core.periods.first_day), or None for a label that is no date.
    A date with a two-digit year raises TwoDigitYear: it is refused, not taken for a free label."""
    try:
        return periods.first_day(label)
    except periods.TwoDigitYear:
        raise
    except periods.PeriodError:
        return None


def _rebase_indexes(labels: list[str], wanted: list[str]) -> list[int]:
    parsed = [_day(label) for label in labels]
    indexes = []
    for item in wanted:
        if item.strip() in labels:
            indexes.append(labels.index(item.strip()))
            continue
        try:
            day = _day(item)
        except periods.TwoDigitYear as exc:
            raise InputError(f"--rebase {item}: {exc}") from None
        if day is not None and day in parsed:
            indexes.append(parsed.index(day))
            continue
        span = f"; dates run from {labels[0]} to {labels[-1]}" if labels else ""
        raise InputError(f"--rebase {item}: no row has this date{span}")
    return indexes


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spiral spc",
        description="Analyse a measure in a CSV or XLSX file on an SPC chart (Making Data Count rules).",
        epilog="Rows must be in time order, one per period. Exit status 2 means a problem with the input.",
    )
    parser.add_argument("file", type=Path, help="CSV (UTF-8 or Windows-1252) or XLSX file")
    parser.add_argument("--sheet", help="XLSX sheet name (default: the active sheet)")
    parser.add_argument("--date", help="date or label column (default: a column named date/period/month)")
    parser.add_argument("--value", help="value column; numerators for p and u charts (default: 'value')")
    parser.add_argument("--denominator", help="denominator column (p, pprime, u, uprime charts)")
    parser.add_argument("--chart", choices=CHARTS, default="xmr", help="chart type (default: xmr)")
    parser.add_argument("--improvement", choices=IMPROVEMENTS, default="increase", help="default: increase")
    parser.add_argument(
        "--target", type=float, help="target, on the plotted scale (0.95 for 95%% on a p chart)"
    )
    parser.add_argument("--baseline", type=int, help="fix the limits on the first N points")
    parser.add_argument(
        "--rebase", nargs="+", default=[], metavar="DATE", help="dates where a new period starts"
    )
    parser.add_argument(
        "--format", choices=("table", "json", "svg", "csv"), default="table", help="default: table"
    )
    parser.add_argument("--title", help="chart title for --format svg (default: from the file and column)")
    parser.add_argument("--unit", default="", help="unit label for the chart's y axis")
    parser.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    return parser


@dataclass
class Loaded:
    """The measure read from the file: labels, values and denominators per data row."""

    path: Path
    labels: list[str]
    values: list[float | None]
    denominators: list[float | None] | None
    rows: list[int]  # spreadsheet row number of each data row
    value_name: str
    denominator_name: str | None
    table: Table
    columns: dict[str, int]


def _load(args: argparse.Namespace) -> Loaded:
    path: Path = args.file
    if not path.exists():
        raise InputError(f"{path}: no such file")
    table = _read(path, args.sheet)
    date_col = _find_column(
        table, args.date, "dates", [r"date", r"period", r"month", r"week", r".*date.*"], set()
    )
    if date_col is None:
        date_col = 0
    den_col = _find_column(table, args.denominator, "denominators", [], set()) if args.denominator else None
    value_col = _find_column(
        table, args.value, "values", [r"value", r"values", r"numerator", r".*"], {date_col, den_col or -1}
    )
    if value_col is None:
        raise InputError(f"{path}: no value column; name one with --value")
    labels, values, dens, rows = [], [], [], []
    for row, record in table.rows:
        rows.append(row)
        cells = list(record) + [None] * (len(table.header) - len(record))
        labels.append(_label(cells[date_col]))
        values.append(_number(table, row, value_col, cells[value_col]))
        if den_col is not None:
            dens.append(_number(table, row, den_col, cells[den_col]))
    if not values:
        raise InputError(f"{path}: no data rows under the header (row {table.header_row})")
    order = _time_order(path, labels, rows, table.header[date_col])
    if order is not None:
        labels, values, rows = (
            [labels[i] for i in order],
            [values[i] for i in order],
            [rows[i] for i in order],
        )
        dens = [dens[i] for i in order] if dens else dens
    return Loaded(
        path=path,
        labels=labels,
        values=values,
        denominators=dens if den_col is not None else None,
        rows=rows,
        value_name=table.header[value_col],
        denominator_name=table.header[den_col] if den_col is not None else None,
        table=table,
        columns={"values": value_col, "denominators": den_col if den_col is not None else -1},
    )


def _time_order(path: Path, labels: list[str], rows: list[int], column: str) -> list[int] | None:
    """When every label is a date: refuse repeated dates, and put rows in time order if they are not
    (spreadsheets often list the latest month first). Returns the new order, or None if unchanged."""
    read: list[dt.date | None] = []
    for label, row in zip(labels, rows, strict=True):
        try:
            read.append(_day(label))
        except periods.TwoDigitYear as exc:
            raise InputError(f"{path}: row {row}, column {column!r}: {exc}") from None
    days = [day for day in read if day is not None]
    if len(days) < len(read):
        return None  # labels that are not dates: the file order is the time order
    seen: dict[dt.date, int] = {}
    for day, row in zip(days, rows, strict=True):
        if day in seen:
            raise InputError(
                f"{path}: row {row}, column {column!r}: {day.isoformat()} repeats row {seen[day]}; "
                "give one row per period"
            )
        seen[day] = row
    order = sorted(range(len(days)), key=days.__getitem__)
    if order == list(range(len(days))):
        return None
    print(f"spiral spc: note: rows of {path.name} put in date order", file=sys.stderr)
    return order


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _as_table(a: Analysis) -> str:
    d = a.to_dict()
    header = ["date", "value", "centre", "lcl", "ucl", "type", "signals"]
    rows = [
        [
            str(d["dates"][i]) if d["dates"] else str(i + 1),
            _fmt(d["values"][i]),
            _fmt(d["centre"][i]),
            _fmt(d["lcl"][i]),
            _fmt(d["ucl"][i]),
            d["point_type"][i],
            ", ".join(d["flags"][i]),
        ]
        for i in range(len(a))
    ]
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append("")
    lines.append(f"chart: {a.chart}; improvement: {a.improvement}")
    if a.runs is not None:
        r = a.runs
        lines.append(
            f"runs analysis: longest run {r.longest_run} (max {r.longest_run_max}), crossings {r.crossings} "
            f"(min {r.crossings_min}); long run: {'yes' if r.long_run else 'no'}, "
            f"few crossings: {'yes' if r.few_crossings else 'no'}"
        )
    else:
        lines.append(f"variation icon: {a.variation_icon or 'none'}")
        lines.append(f"assurance icon: {a.assurance_icon or 'none (no target)'}")
    lines.extend(f"note: {note}" for note in a.notes)
    return "\n".join(lines) + "\n"


def _as_csv(a: Analysis) -> str:
    d = a.to_dict()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ["date", "value", "centre", "lcl", "ucl", "lower_two_sigma", "upper_two_sigma", "target"]
    writer.writerow([*columns, "point_type", *RULES])
    for i in range(len(a)):
        date = d["dates"][i] if d["dates"] else i + 1
        target = d["target"][i] if d["target"] else None
        numbers = [d["values" if c == "value" else c][i] for c in columns[1:-1]]
        writer.writerow(
            [date, *("" if v is None else repr(v) for v in [*numbers, target]), d["point_type"][i]]
            + [str(rule in d["flags"][i]).lower() for rule in RULES]
        )
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Run `spiral spc`; returns the exit status (0 ok, 2 bad input or options)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return int(exc.code or 0)
    try:
        data = _load(args)
        rebase = _rebase_indexes(data.labels, args.rebase) if args.rebase else None
        try:
            analysis = analyse(
                data.values,
                chart=args.chart,
                improvement=args.improvement,
                target=args.target,
                baseline=args.baseline,
                rebase=rebase,
                denominators=data.denominators,
                dates=data.labels,
            )
        except SPCError as exc:
            raise InputError(_spreadsheet_position(str(exc), data)) from exc
    except InputError as exc:
        print(f"spiral spc: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        text = json.dumps(analysis.to_dict(), indent=2) + "\n"
    elif args.format == "csv":
        text = _as_csv(analysis)
    elif args.format == "svg":
        title = args.title or f"{data.value_name} ({args.file.name})"
        text = render_svg(analysis, title=title, unit_label=args.unit) + "\n"
    else:
        text = _as_table(analysis)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _spreadsheet_position(message: str, data: Loaded) -> str:
    """Rewrite an SPCError's `values[3]` as the file's row and column; hint at options otherwise."""
    match = re.match(r"(values|denominators)\[(\d+)\]: (.*)", message, flags=re.S)
    if match:
        column = data.columns[match[1]]
        row = data.rows[int(match[2])]
        return f"{data.path}: {_cell_ref(data.table, row, column)}: {match[3]}"
    if message.startswith("denominators: a"):
        return message + " (name the column with --denominator)"
    if message.startswith("baseline:"):
        return "--" + message
    if message.startswith("target:"):
        return "--" + message
    return message


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
