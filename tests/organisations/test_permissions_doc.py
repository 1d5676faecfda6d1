"""docs/permissions.md agrees with the one role table (permissions.py) and the one address table (access.py).

Its generated part must be what `spiral permissions_doc` writes; every hand-written table of who may do
what (one per section) must say, row by row, what the generated role table says.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spiral.organisations import access
from spiral.organisations.permissions import Permission
from tests import permtable

DOC = permtable.DOC
# Rows of the hand-written tables that do not name their permission in backticks.
ROW_PERMISSIONS: dict[str, Permission | None] = {
    "see a unit": Permission.VIEW_UNIT,
    "see people": Permission.VIEW_PERSON,
    "change a unit's details": Permission.CHANGE_UNIT,
    "add a unit beneath": Permission.CHANGE_UNIT,
    "move a unit": Permission.CHANGE_UNIT,
    "manage members": Permission.MANAGE_MEMBERS,
    "import units": Permission.IMPORT_UNITS,
    "view audit history": Permission.VIEW_AUDIT,
    "edit own profile": Permission.CHANGE_PERSON,
    "manage own tokens": Permission.MANAGE_TOKENS,
    "use the API": None,  # no permission: any signed-in person
    "see a project": Permission.VIEW_PROJECT,
    "start a project": Permission.CREATE_PROJECT,
    "change a project": Permission.CHANGE_PROJECT,
    "link measures; start a series for the project's unit": Permission.CHANGE_PROJECT,
    "see measures, series, charts, exports": Permission.VIEW_UNIT,
    "define or edit a measure": Permission.CHANGE_MEASURE,
    "record, correct, delete, import observations; annotate": Permission.RECORD_DATA,
    "answer a public form": None,  # public: see the address table
    "see benchmarking and forms": Permission.VIEW_UNIT,
}


def permission_of(action: str) -> Permission | None:
    named = re.search(r"\(`(\w+)`\)", action)
    if named:
        return Permission(named.group(1))
    assert action in ROW_PERMISSIONS, (
        f"docs/permissions.md has a row {action!r} naming no permission: write it as 'action (`permission`)' "
        "or add it to ROW_PERMISSIONS in this test"
    )
    return ROW_PERMISSIONS[action]


def test_the_generated_part_of_the_document_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    assert access.DOC_BEGIN in text, "docs/permissions.md has no generated part: run `spiral permissions_doc`"
    assert access.replace_generated(text) == text, (
        "docs/permissions.md is out of date with spiral/organisations/permissions.py or access.py: "
        "run `spiral permissions_doc` and commit the result"
    )


def test_the_command_checks_and_rewrites_the_document(tmp_path):
    stale = tmp_path / "permissions.md"
    stale.write_text("# Permissions\n\nProse.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("permissions_doc", "--check", "--file", str(stale))
    call_command("permissions_doc", "--file", str(stale))
    assert stale.read_text(encoding="utf-8").startswith("# Permissions\n\nProse.\n\n" + access.DOC_BEGIN)
    call_command("permissions_doc", "--check", "--file", str(stale))


def test_every_hand_written_table_agrees_with_the_role_table():
    rows = permtable.doc_tables()
    assert len(rows) >= 20  # the five sections' tables were found
    wrong = []
    for action, cells in rows:
        if not set(cells.values()) <= permtable.CELLS:
            continue  # a rule beyond the role table (e.g. a project's team): tested by its app
        permission = permission_of(action)
        for column, said in cells.items():
            column = access.TEAM if column == "team" else column  # noqa: PLW2901
            if column not in (*access.COLUMNS, access.TEAM):
                continue
            if permission is None:
                want = "no" if column == "anonymous" else "yes"
                if said == "yes" and column == "anonymous":
                    continue  # public: the address table says which addresses need no sign-in
            else:
                want = access.cell(permission, column)
            # "edit own profile: yes" and "change a project: own" (its team) say what the generated table says.
            if said != want and {said, want} not in ({"yes", "own"}, {"own", "its project"}):
                wrong.append(f"{action} | {column}: the document says {said}, permissions.py says {want}")
    assert not wrong, "docs/permissions.md disagrees with ROLE_PERMISSIONS:\n" + "\n".join(wrong)


def test_every_address_of_the_access_table_is_listed_in_the_document():
    text = DOC.read_text(encoding="utf-8")
    generated = text[text.index(access.DOC_BEGIN) :]
    for route in access.PAGES + access.API:
        if route.obj != "admin":
            assert access._address(route) in generated, route.address


def test_the_documents_role_table_is_the_literal_role_table_cell_by_cell():
    # Read back from the document, independently of the generator: a role's column says `beneath`
    # exactly where ROLE_PERMISSIONS grants the permission (and `yes`/`own` where everyone/owners hold it).
    table = permtable.generated_role_table()
    assert set(table) == {p.value for p in Permission}
    for permission in Permission:
        for role in permtable.ROLES:
            said = table[permission.value][role]
            if permtable.for_everyone(permission):
                assert said == "yes", (permission, role)
            elif said != "own":
                assert (said == "beneath") is permtable.holds(role, permission), (permission, role, said)
