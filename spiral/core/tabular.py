"""Reading CSV and XLSX tables the way analysts save them, with row numbers as a spreadsheet shows them.

- CSV in UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8") or cp1252 (Excel's plain "CSV").
- Lines of notes may stand above the header: the header is the first row holding the required columns,
  and rows keep their real sheet numbers (a quoted cell spanning several lines is one row).
- XLSX cells keep their types (numbers, dates); CSV cells are strings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

MAX_BYTES = 50 * 1024 * 1024
# Control characters other than tab and line breaks: PostgreSQL cannot store NUL, none belongs in a cell.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where (row as a spreadsheet numbers it, column) and what."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class TableError(ValueError):
    """The file cannot be read as a table; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, problems)]
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass
class Row:
    number: int  # the row as a spreadsheet shows it (header = 1 when nothing stands above it)
    values: dict[str, Any]

    def get(self, column: str, default: Any = None) -> Any:
        return self.values.get(column, default)


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    header_row: int = 1
    source: str = ""


def _normalise_header(cell: Any) -> str:
    return str(cell).strip().lower().replace(" ", "_") if cell is not None else ""


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Windows: cp1252 (e.g. £ and curly quotes).
        return data.decode("cp1252", errors="replace")


def _guess_delimiter(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: the one used most on any of the first 20 lines.

    The header is normally the line with the most separators, so notes above it and commas inside
    quoted text do not mislead the guess the way csv.Sniffer can be misled. Ties go to the comma.
    """
    best, best_count = ",", 0
    for line in text[:65536].splitlines()[:20]:
        for delimiter in (",", ";", "\t"):
            count = line.count(delimiter)
            if count > best_count:
                best, best_count = delimiter, count
    return best


def _csv_records(text: str) -> Iterable[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_guess_delimiter(text))
    rows = 0
    try:
        for record in reader:
            rows += 1
            yield record
    except csv.Error as exc:
        # reader.line_num counts physical lines, which is not what a spreadsheet shows: the row that
        # failed is the one after the last row read.
        raise TableError(
            [
                Problem(
                    rows + 1,
                    None,
                    f"this row is not valid CSV ({exc}); remove the character or save the file again as "
                    "CSV from your spreadsheet",
                )
            ]
        ) from None


FIRST_SHEET, ACTIVE_SHEET = 0, 1  # which sheet of a workbook is read when no name is given


def _xlsx_records(data: bytes, sheet: str | None = None, default: int = FIRST_SHEET) -> Iterable[list[Any]]:
    import openpyxl  # local import: only needed for spreadsheets

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"the file is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise TableError(f"no sheet named {sheet!r}; sheets are {', '.join(book.sheetnames)}")
            chosen = book[sheet]
        else:
            chosen = book.active if default == ACTIVE_SHEET else book.worksheets[0]
        for values in chosen.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def read_table(
    source: str | Path | bytes | IO[bytes],
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    filename: str = "",
    allow_empty: bool = False,
) -> Table:
    """Read a CSV or XLSX table whose header holds every `required` column (case and spaces ignored).

    Unknown extra columns are kept; rows that are entirely blank are skipped. A CSV row with fewer
    cells than the header has columns is refused (its values cannot be matched to their columns), and
    so is a file with a header and no rows (unless `allow_empty`): both are what a damaged or wrongly
    saved file looks like, and passing them silently would report success for an import that did nothing.
    Raises TableError naming the row, what is missing and how to fix it.
    """
    if isinstance(source, str | Path):
        filename = filename or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise TableError(f"cannot read {source}: {exc.strerror}") from None
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TableError(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files"
        )
    if not data.strip():
        raise TableError("the file is empty")

    if is_xlsx(data, filename):
        records: Iterable[list[Any]] = _xlsx_records(data)
    else:
        if b"\x00" in data[:4096]:
            raise TableError("the file is not a text CSV file (it holds binary data); save it as CSV or XLSX")
        records = _csv_records(_decode(data))

    xlsx = is_xlsx(data, filename)
    wanted = [c.lower() for c in required]
    table: Table | None = None
    width = 0
    refused: list[Problem] = []
    # The row that looked most like a header, to say which columns it lacks if no row has them all.
    best: tuple[int, int, list[str]] = (0, 0, [])
    for number, record in enumerate(records, start=1):
        if table is None:
            header = [_normalise_header(c) for c in record]
            found = sum(1 for c in wanted if c in header)
            if found > best[0]:
                best = (found, number, [c for c in wanted if c not in header])
            if found == len(wanted):
                duplicated = sorted({c for c in header if c and header.count(c) > 1})
                if duplicated:
                    raise TableError([Problem(number, c, "this column appears twice") for c in duplicated])
                table = Table(columns=header, header_row=number, source=filename)
                width = max(i + 1 for i, c in enumerate(header) if c)
            elif number >= 20:
                break
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in record):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise TableError(f"the file has more than {MAX_ROWS:,} rows; split it into smaller files")
        values = {
            col: (val.strip() if isinstance(val, str) else val)
            for col, val in zip(table.columns, record, strict=False)
            if col
        }
        if len(record) > len(table.columns) and any(
            v not in (None, "") for v in record[len(table.columns) :]
        ):
            raise TableError([Problem(number, None, "this row has more cells than the header has columns")])
        for column, value in values.items():
            if isinstance(value, str) and (control := _CONTROL.search(value)):
                char = control.group()
                refused.append(
                    Problem(
                        number,
                        column,
                        f"this cell has the control character U+{ord(char):04X}, which cannot be stored; "
                        "remove it (it often comes from copying out of another system) and save again",
                    )
                )
        if not xlsx and len(record) < width:
            # An XLSX sheet leaves empty trailing cells out; a CSV file keeps their commas.
            refused.append(
                Problem(
                    number,
                    table.columns[len(record)] or None,
                    f"this row has {len(record)} cells but the header has {width} columns, so its values "
                    "cannot be matched to their columns; give every column a cell (an empty cell still "
                    "needs its comma), or save the file again as CSV from the spreadsheet",
                )
            )
            continue
        table.rows.append(Row(number=number, values=values))
    if table is None:
        found, number, missing = best
        if found >= 2:
            # Most of a header is there: name what is missing, where.
            raise TableError(
                [
                    Problem(
                        number,
                        column,
                        f"the header has no {column} column; the columns needed are {', '.join(required)}",
                    )
                    for column in missing
                ]
            )
        raise TableError(
            "no header row with the columns "
            + ", ".join(required)
            + " was found in the first 20 rows; the first row should name the columns"
        )
    if refused:
        raise TableError(refused[:100])
    if not table.rows and not allow_empty:
        raise TableError(
            [
                Problem(
                    table.header_row,
                    None,
                    f"the file has a header (row {table.header_row}) but no rows of data beneath it; add "
                    "the rows, or check that the right sheet or file was saved",
                )
            ]
        )
    return table


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: for cell references such as D7."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_bytes(source: str | Path | bytes | IO[bytes], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, refusing one larger than `max_bytes` or empty, with one clear message."""
    too_big = TableError(
        f"the file is larger than the limit of {max_bytes // (1024 * 1024)} MB; split it into smaller files"
    )
    if isinstance(source, str | Path):
        try:
            if Path(source).stat().st_size > max_bytes:
                raise too_big
            data = Path(source).read_bytes()
        except OSError as exc:
            raise TableError(f"cannot read {source}: {exc.strerror}") from None
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    if not data.strip():
        raise TableError("the file is empty")
    return data


def iter_records(
    data: bytes, *, filename: str = "", sheet: str | None = None, default_sheet: int = FIRST_SHEET
) -> tuple[bool, Iterable[list[Any]]]:
    """(is_xlsx, records): each record of the CSV or of a workbook's sheet, one list of cells per
    spreadsheet row. The sheet is the one named `sheet` (TableError listing the sheets if there is none),
    else the first (`default_sheet=ACTIVE_SHEET`: the one the workbook was saved showing).

    Streaming: nothing is collected, so a file of a million rows costs no more memory than its text.
    The n-th record (from 1) is sheet row n; a quoted CSV cell spanning lines stays one record.
    """
    if is_xlsx(data, filename):
        return True, _xlsx_records(data, sheet, default_sheet)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated.
        return False, _csv_records(data.decode("utf-16"))
    if b"\x00" in data[:4096]:
        raise TableError("the file is not a text CSV file (it holds binary data); save it as CSV or XLSX")
    return False, _csv_records(_decode(data))
