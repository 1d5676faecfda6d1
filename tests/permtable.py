"""The one reader of the permission table for the tests: the role table in permissions.py and the
hand-written tables of docs/permissions.md.

Every permission test reads who may do what from here, so none keeps its own copy of the table or its own
parser of the document. `tests/organisations/test_permissions_doc.py` checks that the document says what
the role table says; the other tests check that the code does what the document says.
"""

from __future__ import annotations

from pathlib import Path

from spiral.organisations.access import DOC_BEGIN
from spiral.organisations.models import Role
from spiral.organisations.permissions import EVERYONE, ROLE_PERMISSIONS, Permission

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"

# The unit roles, lowest first: the order of the role table (and of the document's columns).
ROLES: tuple[str, ...] = tuple(role.value for role in ROLE_PERMISSIONS)
# The columns of the document's tables: the three ways of holding no role around the unit roles.
COLUMNS: tuple[str, ...] = ("anonymous", "no role", *ROLES, "superuser")
# The cells of the hand-written tables that the role table decides.
CELLS = frozenset({"yes", "no", "beneath", "own"})

Row = dict[str, str]


def grants(role: str) -> frozenset[Permission]:
    """What `role` grants on the unit where it is held and beneath it (the role table's row)."""
    return ROLE_PERMISSIONS[Role(role)]


def holds(role: str, permission: Permission) -> bool:
    """Does `role` grant `permission` (on its unit and beneath)?"""
    return permission in grants(role)


def roles_with(permission: Permission) -> set[Role]:
    """The unit roles that grant `permission`."""
    return {Role(role) for role in ROLES if holds(role, permission)}


def for_everyone(permission: Permission) -> bool:
    """Is `permission` granted to every signed-in person, whatever their roles?"""
    return permission in EVERYONE


def _cells(line: str) -> list[str] | None:
    return [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None


def _hand_written() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[: text.index(DOC_BEGIN)] if DOC_BEGIN in text else text


def doc_tables() -> list[tuple[str, Row]]:
    """(action, {column: cell}) for every row of every hand-written table whose header starts
    "action | anonymous", in the order of the document (the generated part is left out)."""
    rows: list[tuple[str, Row]] = []
    header: list[str] | None = None
    for line in _hand_written().splitlines():
        cells = _cells(line)
        if cells and cells[:2] == ["action", "anonymous"]:
            header = cells
        elif cells and header and not set(cells[0]) <= {"-", " "}:
            rows.append((cells[0], dict(zip(header[1:], cells[1:], strict=True))))
        elif not cells:
            header = None
    return rows


def doc_table(section: str | None = None) -> dict[str, Row]:
    """{action: {column: cell}} of the first "action | anonymous" table in `## section` (None: the first
    table of the document, the foundation's)."""
    text = _hand_written()
    if section is not None:
        heading = f"## {section}\n"
        assert heading in text, f"docs/permissions.md has no section {section!r}"
        text = text[text.index(heading) :]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if (_cells(line) or [])[:2] == ["action", "anonymous"])
    header = _cells(lines[start]) or []
    table: dict[str, Row] = {}
    for line in lines[start + 2 :]:
        cells = _cells(line)
        if cells is None:
            break
        table[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return table


def generated_role_table() -> dict[str, Row]:
    """{permission: {column: cell}} of the generated role table of docs/permissions.md."""
    text = DOC.read_text(encoding="utf-8")
    lines = text[text.index(DOC_BEGIN) :].splitlines()
    start = next(i for i, line in enumerate(lines) if (_cells(line) or [])[:1] == ["permission"])
    header = _cells(lines[start]) or []
    table: dict[str, Row] = {}
    for line in lines[start + 2 :]:
        cells = _cells(line)
        if cells is None:
            break
        table[cells[0].strip("`")] = dict(zip(header[1:], cells[1:], strict=True))
    return table


def cases(table: dict[str, Row]) -> list[tuple[str, str, str]]:
    """(action, column, cell) for every cell of `table`."""
    return [(action, column, cell) for action, row in table.items() for column, cell in row.items()]


__all__ = [
    "CELLS",
    "COLUMNS",
    "DOC",
    "ROLES",
    "cases",
    "doc_table",
    "doc_tables",
    "for_everyone",
    "generated_role_table",
    "grants",
    "holds",
    "roles_with",
]
