"""Imports of training records and headcount: preview, row-numbered errors, all or nothing, idempotent."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from spiral.capability.imports import import_file
from spiral.capability.models import Headcount, TrainingRecord
from spiral.core import exports
from tests.conftest import client_for


def _training_csv(*rows: str) -> bytes:
    return ("email,tier,completed_on,provider,evidence\n" + "\n".join(rows) + "\n").encode()


def test_a_training_file_lands_whole_and_again_changes_nothing(nurse, colleague, medicine_leader):
    data = _training_csv(
        f"{nurse.email},awareness,14/03/2025,QI team,", f"{colleague.email},Practitioner,2025-01-09,ELFT,"
    )
    first = import_file("training", data, by=medicine_leader)
    assert first.ok and first.applied and first.count("create") == 2
    again = import_file("training", data, by=medicine_leader)
    assert again.ok and again.count("create") == 0 and again.count("unchanged") == 2
    assert TrainingRecord.objects.count() == 2


def test_one_bad_row_writes_nothing_and_each_problem_names_its_row_and_column(
    nurse, colleague, medicine_leader
):
    data = _training_csv(
        f"{nurse.email},awareness,14/03/2025,QI team,",
        "nobody@example.nhs.uk,awareness,14/03/2025,QI team,",
        f"{colleague.email},wizard,31/02/2025,,Phone 07700 900123",
    )
    result = import_file("training", data, by=medicine_leader)
    assert not result.ok
    where = {(p.row, p.column) for p in result.problems}
    assert {(3, "email"), (4, "tier"), (4, "completed_on"), (4, "provider"), (4, "evidence")} <= where
    assert not TrainingRecord.objects.exists()


def test_the_same_training_twice_in_one_file_is_refused_on_the_second_row(nurse):
    data = _training_csv(
        f"{nurse.email},awareness,14/03/2025,QI team,", f"{nurse.email},awareness,2025-03-14,QI team,"
    )
    result = import_file("training", data, by=nurse)
    assert [(p.row, p.column) for p in result.problems] == [(3, "tier")]


def test_a_colleague_may_import_only_their_own_training(nurse, colleague):
    result = import_file(
        "training", _training_csv(f"{nurse.email},awareness,14/03/2025,QI team,"), by=colleague
    )
    assert not result.ok and result.problems[0].column == "email"


def test_a_headcount_xlsx_lands_then_a_changed_figure_updates_it(tree, leader):
    book = exports.write_xlsx(
        [
            (
                "Headcount",
                ["unit", "period", "staff"],
                [["RAA-MED", "2025-04", 120], ["RAA-MED-01", "Apr 2025", 30]],
            )
        ]
    )
    result = import_file("headcount", book, by=leader, filename="staff.xlsx")
    assert result.ok and result.count("create") == 2
    changed = b"unit,period,staff\nRAA-MED,2025-04,125\nRAA-MED-01,2025-04,30\n"
    again = import_file("headcount", changed, by=leader)
    assert again.count("update") == 1 and again.count("unchanged") == 1
    assert Headcount.objects.get(unit=tree["directorate"]).staff == 125


def test_headcount_outside_ones_units_and_bad_numbers_are_refused(tree, leader):
    data = b"unit,period,staff\nRBB,2025-04,120\nRAA,2025-13,10\nRAA-MED,2025-04,-3\n"
    result = import_file("headcount", data, by=leader)
    assert {(p.row, p.column) for p in result.problems} == {(2, "unit"), (3, "period"), (4, "staff")}
    assert not Headcount.objects.exists()


def test_the_import_page_previews_then_confirms(nurse):
    client = client_for(nurse)
    upload = SimpleUploadedFile(
        "t.csv", _training_csv(f"{nurse.email},awareness,14/03/2025,QI team,"), "text/csv"
    )
    preview = client.post("/capability/import/", {"kind": "training", "file": upload})
    body = preview.content.decode()
    assert preview.status_code == 200 and "Check what will change" in body
    assert not TrainingRecord.objects.exists()
    payload = body.split('name="payload" value="')[1].split('"')[0]
    done = client.post(
        "/capability/import/", {"confirm": "1", "payload": payload, "kind": "training", "filename": "t.csv"}
    )
    assert done.status_code == 302
    assert TrainingRecord.objects.filter(person=nurse).count() == 1


def test_the_import_page_shows_the_problems_and_says_nothing_changed(nurse):
    upload = SimpleUploadedFile("t.csv", io.BytesIO(b"email,tier\nx,y\n").read(), "text/csv")
    response = client_for(nurse).post("/capability/import/", {"kind": "training", "file": upload})
    assert response.status_code == 400
    assert "nothing has been changed" in response.content.decode()


def test_the_headcount_page_saves_a_month_and_refuses_a_member(tree, leader, member):
    from spiral.capability.models import Headcount

    url = f"/capability/units/{tree['org'].code}/headcount/"
    assert client_for(member).post(url, {"period": "2025-04", "staff": "900"}).status_code == 403
    bad = client_for(leader).post(url, {"period": "April", "staff": "many"})
    assert bad.status_code == 400 and "whole number" in bad.content.decode()
    assert client_for(leader).post(url, {"period": "2025-04", "staff": "900"}).status_code == 302
    assert Headcount.objects.get(unit=tree["org"]).staff == 900
    assert "900" in client_for(member).get(url).content.decode()
    assert client_for(member).get("/capability/").status_code == 200
