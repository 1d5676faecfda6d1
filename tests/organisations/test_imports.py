"""The units import: the service, the `spiral import units` command, and upload → preview → confirm."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from spiral import cli
from spiral.core.models import AuditEvent
from spiral.organisations.imports import import_units
from spiral.organisations.models import Unit
from tests.assertions import assert_refuses_anonymous, assert_refuses_outsider
from tests.factories import UserFactory

HEADER = "code,name,kind,parent_code,organisation_type\n"
HIERARCHY = (
    HEADER
    + "ENG,England,nation,,\n"
    + "Y56,London,region,ENG,\n"
    + "QAA,NHS Riverside ICB,icb,Y56,\n"
    + "RAA,Riverside Hospitals,organisation,QAA,acute_trust\n"
    + "RAA-MED,Medicine,directorate,RAA,\n"
    + "RAA-MED-01,Ward 1,team,RAA-MED,\n"
)


@pytest.fixture
def superuser(db: object):
    return UserFactory(is_superuser=True, is_staff=True)


def problems_of(result) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in result.problems]


def codes() -> set[str]:
    return set(Unit.objects.values_list("code", flat=True))


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- what lands -------------------------------------------------------------------------------------


def test_an_import_creates_the_hierarchy_with_consistent_paths(superuser):
    result = import_units(HIERARCHY.encode(), by=superuser)
    assert result.ok and result.applied
    team = Unit.objects.get(code="RAA-MED-01")
    assert [u.code for u in Unit.objects.filter(pk__in=team.ancestor_ids()).order_by("depth")] == [
        "ENG", "Y56", "QAA", "RAA", "RAA-MED",
    ]  # fmt: skip
    assert team.depth == 5
    assert Unit.objects.get(code="RAA").organisation_type == "acute_trust"


def test_parents_may_come_after_their_children(superuser):
    lines = HIERARCHY.splitlines(keepends=True)
    reversed_file = lines[0] + "".join(reversed(lines[1:]))
    result = import_units(reversed_file.encode(), by=superuser)
    assert result.ok
    assert Unit.objects.get(code="RAA-MED-01").parent.code == "RAA-MED"


def test_importing_the_same_file_again_changes_nothing(superuser):
    import_units(HIERARCHY.encode(), by=superuser)
    events = AuditEvent.objects.count()
    versions = dict(Unit.objects.values_list("code", "version"))
    result = import_units(HIERARCHY.encode(), by=superuser)
    assert result.ok
    assert result.count("unchanged") == 6
    assert AuditEvent.objects.count() == events
    assert dict(Unit.objects.values_list("code", "version")) == versions


def test_a_changed_name_is_an_update_with_an_audit_record(superuser):
    import_units(HIERARCHY.encode(), by=superuser)
    result = import_units(HIERARCHY.replace("Ward 1,", "Ward One,").encode(), by=superuser)
    assert (result.count("update"), result.count("unchanged")) == (1, 5)
    event = AuditEvent.objects.filter(action="unit.update").get()
    assert event.changes == {"name": ["Ward 1", "Ward One"]}
    assert event.actor == superuser


def test_an_import_that_moves_a_unit_rewrites_the_paths_beneath_it(superuser):
    import_units((HIERARCHY + "RBB,Hillside Trust,organisation,QAA,community_trust\n").encode(), by=superuser)
    moved = HIERARCHY.replace("RAA-MED,Medicine,directorate,RAA,", "RAA-MED,Medicine,directorate,RBB,")
    result = import_units(
        (moved + "RBB,Hillside Trust,organisation,QAA,community_trust\n").encode(), by=superuser
    )
    assert result.ok
    rbb, team = Unit.objects.get(code="RBB"), Unit.objects.get(code="RAA-MED-01")
    assert Unit.objects.get(code="RAA-MED").parent == rbb
    assert team.path.startswith(rbb.path)
    assert team.depth == 5
    assert AuditEvent.objects.filter(action="unit.move").count() == 1


def test_an_import_may_add_beneath_units_already_in_spiral(tree, superuser):
    result = import_units((HEADER + "RAA-MED-02,Ward 2,team,RAA-MED,\n").encode(), by=superuser)
    assert result.ok
    assert Unit.objects.get(code="RAA-MED-02").path.startswith(tree["directorate"].path)


def test_a_dry_run_writes_nothing(superuser):
    result = import_units(HIERARCHY.encode(), by=superuser, dry_run=True)
    assert result.ok and not result.applied
    assert result.count("create") == 6
    assert codes() == set()
    assert not AuditEvent.objects.exists()


# --- encodings and formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "Hôpital Général"),
        ("utf-8-sig", "Hôpital Général"),
        ("cp1252", "St John’s Café"),
    ],
)
def test_text_files_are_read_in_the_encodings_excel_saves(superuser, encoding, name):
    data = (HIERARCHY + f"RAA-MED-02,{name},team,RAA-MED,\n").encode(encoding)
    result = import_units(data, by=superuser)
    assert result.ok, result.problems
    assert Unit.objects.get(code="RAA-MED-02").name == name
    assert Unit.objects.get(code="ENG").name == "England"  # the byte-order mark is not in the first code


def test_an_xlsx_workbook_is_imported(superuser):
    rows = [line.split(",") for line in HIERARCHY.strip().splitlines()]
    result = import_units(xlsx(rows), by=superuser, filename="units.xlsx")
    assert result.ok, result.problems
    assert codes() == {"ENG", "Y56", "QAA", "RAA", "RAA-MED", "RAA-MED-01"}


def test_an_xlsx_code_typed_as_a_number_keeps_its_digits(superuser):
    rows = [line.split(",") for line in HIERARCHY.strip().splitlines()] + [
        ["101000001", "Care at Home", "organisation", "QAA", "social_care_provider"]
    ]
    rows[-1][0] = 101000001
    result = import_units(xlsx(rows), by=superuser, filename="units.xlsx")
    assert result.ok, result.problems
    assert Unit.objects.filter(code="101000001").exists()


def test_notes_above_the_header_are_skipped_and_rows_keep_their_sheet_numbers(superuser):
    data = "Units for London,,,,\nExported 1 April 2025,,,,\n" + HIERARCHY + "RAA-MED-02,,team,RAA-MED,\n"
    result = import_units(data.encode(), by=superuser)
    assert problems_of(result) == [(10, "name")]


def test_notes_above_the_header_in_a_workbook_are_skipped(superuser):
    rows = [["Units for London"], []] + [line.split(",") for line in HIERARCHY.strip().splitlines()]
    result = import_units(xlsx(rows), by=superuser, filename="units.xlsx")
    assert result.ok, result.problems
    assert result.planned[0].row == 4


# --- bad input: where, what, and nothing written -------------------------------------------------------


@pytest.mark.parametrize(
    ("extra_rows", "expected", "words"),
    [
        ("RAA-MED-02,Ward 2,ward,RAA-MED,\n", [(8, "kind")], "'ward' is not a kind of unit"),
        ("RAA-MED-02,Ward 2,team,NOPE,\n", [(8, "parent_code")], "no unit has the code NOPE"),
        ("RAA-MED-01,Ward 1 again,team,RAA-MED,\n", [(8, "code")], "already used on row 7"),
        ("RAA-MED-02,Ward 2,team,QAA,\n", [(8, "parent_code")], "a team must sit under"),
        ("RAA-MED-02,  ,team,RAA-MED,\n", [(8, "name")], "Enter a name"),
        ("RAA-MED-02,Ward 2,team,RAA-MED,acute_trust\n", [(8, "organisation_type")], "Only an organisation"),
        ("RAA-MED-02,Ward 2,team,RAA-MED,\nRAA-MED-03,Ward 3,team,,\n", [(9, "kind")], "needs a parent"),
        (
            "D1,Surgery,directorate,D2,\nD2,Theatres,directorate,D1,\n",
            [(8, "parent_code")],
            "the parents form a loop: D1 → D2 → D1",
        ),
    ],
    ids=[
        "unknown kind", "missing parent", "duplicate code", "kind under the wrong parent", "empty name",
        "organisation type on a team", "team without a parent", "cycle within the file",
    ],
)  # fmt: skip
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(
    superuser, extra_rows, expected, words
):
    result = import_units((HIERARCHY + extra_rows).encode(), by=superuser)
    assert problems_of(result) == expected
    assert words in str(result.problems[0])
    assert codes() == set()
    assert not AuditEvent.objects.exists()


def test_a_cycle_through_a_unit_already_in_spiral_is_refused(tree, superuser):
    # RAA-MED exists under RAA; the file puts RAA-MED under a new directorate that sits under RAA-MED.
    data = HEADER + "RAA-MED,Medicine,directorate,RAA-SUB,\nRAA-SUB,Sub,directorate,RAA-MED,\n"
    result = import_units(data.encode(), by=superuser)
    assert problems_of(result) == [(2, "parent_code")]
    assert "loop" in str(result.problems[0])
    assert Unit.objects.get(code="RAA-MED").parent == tree["org"]
    assert not Unit.objects.filter(code="RAA-SUB").exists()


def test_moving_a_unit_under_its_own_descendant_in_spiral_is_refused(tree, superuser):
    extra = UserFactory()  # noqa: F841 - a second person, so the import is not the only actor
    data = HEADER + "RAA-MED,Medicine,directorate,RAA-MED-SUB,\nRAA-MED-SUB,Sub,directorate,RAA-MED,\n"
    result = import_units(data.encode(), by=superuser)
    assert not result.ok
    assert Unit.objects.get(code="RAA-MED").parent == tree["org"]


def test_a_quoted_cell_spanning_lines_counts_as_one_row(superuser):
    data = HEADER + 'ENG,"England\nand Wales",nation,,\n' + "Y56,London,regoin,ENG,\n"
    result = import_units(data.encode(), by=superuser)
    assert problems_of(result) == [(3, "kind")]


def test_every_bad_row_is_reported_not_only_the_first(superuser):
    data = HIERARCHY + "X1,,team,RAA-MED,\nX2,Ward,ward,RAA-MED,\n"
    result = import_units(data.encode(), by=superuser)
    assert problems_of(result) == [(8, "name"), (9, "kind")]


def test_a_missing_column_is_named(superuser):
    result = import_units(b"code,name,kind\nENG,England,nation\n", by=superuser)
    assert not result.ok
    message = str(result.problems[0])
    assert "parent_code" in message
    assert result.problems[0].column == "parent_code"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"PK\x03\x04 not really a workbook", "not a readable XLSX workbook"),
    ],
    ids=["empty", "blank lines", "binary junk", "damaged workbook"],
)
def test_a_file_that_is_not_a_table_is_refused_with_a_clear_message(superuser, data, words):
    result = import_units(data, by=superuser)
    assert not result.ok
    assert words in str(result.problems[0])
    assert codes() == set()


def test_a_person_without_import_permission_cannot_add_units(tree, leader):
    result = import_units((HEADER + "RAA-MED-02,Ward 2,team,RAA-MED,\n").encode(), by=leader)
    assert problems_of(result) == [(2, "parent_code")]
    assert "you may not add or move units beneath RAA-MED" in str(result.problems[0])
    assert not Unit.objects.filter(code="RAA-MED-02").exists()


def test_an_admin_of_an_organisation_may_import_beneath_it_but_not_beside_it(tree):
    from tests.conftest import user_with_role

    org_admin = user_with_role("admin", tree["org"])
    inside = import_units((HEADER + "RAA-MED-02,Ward 2,team,RAA-MED,\n").encode(), by=org_admin)
    outside = import_units((HEADER + "RBB-T2,Ward 2,team,RBB,\n").encode(), by=org_admin)
    assert inside.ok
    assert problems_of(outside) == [(2, "parent_code")]


# --- the command ---------------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_says_what_it_did(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text(HIERARCHY, encoding="utf-8")
    code = cli.main(["import", "units", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "6 units were created, 0 updated, 0 unchanged" in out
    assert len(codes()) == 6
    assert AuditEvent.objects.filter(action="unit.create", actor=None).count() == 6


def test_the_command_with_dry_run_writes_nothing(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text(HIERARCHY, encoding="utf-8")
    code = cli.main(["import", "units", str(path), "--dry-run"])
    assert code == 0
    assert "6 units would be created" in capsys.readouterr().out
    assert codes() == set()


def test_the_command_reports_each_problem_and_exits_non_zero(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text(HIERARCHY + "X1,,team,RAA-MED,\nX2,Ward,ward,RAA-MED,\n", encoding="utf-8")
    code = cli.main(["import", "units", str(path)])
    err = capsys.readouterr().err
    assert code != 0
    assert "nothing was imported" in err
    assert "row 8, column name: Enter a name" in err
    assert "row 9, column kind:" in err
    assert codes() == set()


def test_the_command_reports_a_file_that_does_not_exist(db, tmp_path, capsys):
    code = cli.main(["import", "units", str(tmp_path / "missing.csv")])
    assert code != 0
    assert "cannot read" in capsys.readouterr().err


# --- the pages -------------------------------------------------------------------------------------------


def upload(client: Client, data: bytes, name: str = "units.csv"):
    return client.post("/units/import/", {"file": SimpleUploadedFile(name, data)})


def test_an_admin_uploads_sees_a_preview_and_confirms(tree, admin_user):
    client = Client()
    client.force_login(admin_user)
    preview = upload(client, (HEADER + "RAA-MED-02,Ward 2,team,RAA-MED,\n").encode())
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Check what will change" in html
    assert "1 to create, 0 to update, 0 unchanged" in html
    assert not Unit.objects.filter(code="RAA-MED-02").exists()
    payload = html.split('name="payload" value="')[1].split('"')[0]
    confirmed = client.post("/units/import/", {"payload": payload, "filename": "units.csv", "confirm": "1"})
    assert confirmed.status_code == 302
    assert Unit.objects.get(code="RAA-MED-02").parent == tree["directorate"]
    assert "1 created" in client.get(confirmed["Location"]).content.decode()


def test_the_preview_of_a_bad_file_lists_each_problem_and_offers_no_confirm(tree, admin_user):
    client = Client()
    client.force_login(admin_user)
    response = upload(client, (HEADER + "RAA-MED-02,Ward 2,ward,RAA-MED,\n").encode())
    html = response.content.decode()
    assert "The file cannot be imported: nothing has been changed" in html
    assert "row 2, column kind: &#39;ward&#39; is not a kind of unit" in html
    assert 'name="confirm"' not in html


def test_the_upload_page_refuses_a_file_that_is_not_csv_or_xlsx(tree, admin_user):
    client = Client()
    client.force_login(admin_user)
    html = upload(client, b"%PDF-1.4", name="units.pdf").content.decode()
    assert "There is a problem" in html
    assert "The file must be a CSV or XLSX file" in html


def test_the_import_page_refuses_anonymous_visitors(db):
    assert_refuses_anonymous("/units/import/")
    assert_refuses_anonymous("/units/import/", "post", {"payload": "", "confirm": "1"})


def test_the_import_page_refuses_a_leader_who_is_not_an_admin(tree, leader):
    assert_refuses_outsider("/units/import/", leader)
    assert_refuses_outsider("/units/import/", leader, "post", {"payload": "", "confirm": "1"})
