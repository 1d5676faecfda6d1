"""FFT imports: row and column errors, all or nothing, idempotent, counts that do not add up refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from spiral.cli import main
from spiral.measurement.models import Observation
from spiral.organisations.models import Role, Unit
from spiral.voice.imports import import_fft
from spiral.voice.models import FeedbackForm, ImportedCounts
from tests.conftest import client_for, user_with_role
from tests.factories import FeedbackFormFactory

HEADER = "unit_code,period,very_good,good,neither,poor,very_poor,dont_know,total\n"


def test_an_import_adds_counts_and_updates_the_series(tree: dict[str, Unit]) -> None:
    form = FeedbackFormFactory(unit=tree["org"])
    result = import_fft((HEADER + "RAA,2025-03,10,5,1,1,0,3,20\n").encode(), by=None, filename="fft.csv")
    assert result.ok and result.created == 1
    obs = Observation.objects.get(series__measure=form.measure)
    assert (obs.period_start, obs.numerator, obs.denominator) == (dt.date(2025, 3, 1), 15, 20)


def test_importing_the_same_file_again_changes_nothing(tree: dict[str, Unit]) -> None:
    data = (HEADER + "RAA,Mar-25,10,5,1,1,0,3,\n").encode()
    import_fft(data, by=None, filename="fft.csv")
    again = import_fft(data, by=None, filename="fft.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ImportedCounts.objects.count() == 1


def test_a_unit_without_a_form_gets_one_closed_to_online_answers(tree: dict[str, Unit]) -> None:
    result = import_fft((HEADER + "RBB,2025-03,1,1,0,0,0,0,\n").encode(), by=None)
    assert result.forms_created == ["RBB"]
    form = FeedbackForm.objects.get(unit=tree["other_org"])
    assert not form.is_open


def test_problems_are_named_by_row_and_column_and_nothing_is_written(tree: dict[str, Unit]) -> None:
    data = (
        HEADER + "RAA,2025-03,10,5,1,1,0,3,21\nZZZ,2024/25,x,5,1,1,0,3,\nRAA,2025-04,1,1,1,1,1,1,\n"
    ).encode()
    result = import_fft(data, by=None, filename="fft.csv")
    messages = [str(p) for p in result.problems]
    assert (
        "row 2, column total: the counts add up to 20 but the total is 21; correct the counts or the total"
        in messages
    )
    assert any(m.startswith("row 3, column unit_code: no unit has the code ZZZ") for m in messages)
    assert any(m.startswith("row 3, column period:") for m in messages)
    assert any(m.startswith("row 3, column very_good: 'x' is not a number") for m in messages)
    assert not ImportedCounts.objects.exists()


def test_a_repeated_row_and_a_negative_count_are_refused(tree: dict[str, Unit]) -> None:
    data = (
        HEADER + "RAA,2025-03,1,1,1,1,1,1,\nRAA,03/2025,1,1,1,1,1,1,\nRAA,2025-05,-1,1,1,1,1,1,\n"
    ).encode()
    messages = [str(p) for p in import_fft(data, by=None).problems]
    assert any("appears twice (first on row 2)" in m for m in messages) or any("row 3" in m for m in messages)
    assert any(m.startswith("row 4, column very_good") for m in messages)


def test_a_person_may_import_only_for_units_they_may(tree: dict[str, Unit]) -> None:
    analyst = user_with_role(Role.ANALYST, tree["org"])
    result = import_fft((HEADER + "RBB,2025-03,1,1,0,0,0,0,\n").encode(), by=analyst)
    assert "you may not import feedback for Hillside Trust (RBB)" in str(result.problems[0])


def test_a_missing_column_is_named(tree: dict[str, Unit]) -> None:
    result = import_fft(
        b"unit_code,period,very_good,good,neither,poor,very_poor\nRAA,2025-03,1,1,1,1,1\n", by=None
    )
    assert "dont_know" in str(result.problems[0])


def test_the_cli_imports_and_dry_runs(
    tree: dict[str, Unit], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fft.csv"
    path.write_text(HEADER + "RAA,2025-03,10,5,1,1,0,3,20\n")
    assert main(["import", "fft", str(path), "--dry-run"]) == 0
    assert "1 returns would be added" in capsys.readouterr().out
    assert not ImportedCounts.objects.exists()
    assert main(["import", "fft", str(path)]) == 0
    assert ImportedCounts.objects.count() == 1


def test_the_import_page_reports_problems(tree: dict[str, Unit]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    analyst = user_with_role(Role.ANALYST, tree["org"])
    upload = SimpleUploadedFile("fft.csv", (HEADER + "RAA,2025-03,1,1,1,1,1,1,7\n").encode())
    html = client_for(analyst).post("/feedback/import/", {"file": upload}).content.decode()
    assert "Nothing was imported" in html and "the counts add up to 6 but the total is 7" in html


def test_the_import_page_names_the_units_it_makes_forms_for(tree: dict[str, Unit]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    analyst = user_with_role(Role.ANALYST, tree["icb"])
    upload = SimpleUploadedFile("fft.csv", (HEADER + "RBB,2025-03,1,1,0,0,0,0,\n").encode())
    html = client_for(analyst).post("/feedback/import/", {"file": upload}).content.decode()
    assert "made for Hillside Trust (RBB)" in html
