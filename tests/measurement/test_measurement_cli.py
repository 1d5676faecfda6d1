from __future__ import annotations

import pytest

from spiral.cli import main
from spiral.measurement.models import Measure, Observation
from tests.factories import MeasureFactory


@pytest.fixture
def wait(tree):
    return MeasureFactory(code="WAIT", owner=tree["org"], is_indicator=True)


def test_a_clean_file_imports_and_exits_zero(tmp_path, capsys, wait):
    path = tmp_path / "obs.csv"
    path.write_text(
        "unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,4\nRAA-MED-01,WAIT,2025-02,*\n"
    )
    assert main(["import", "observations", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "1 observations were added, 0 changed, 0 unchanged" in out
    assert "row 3, column value: '*': a missing observation" in err
    assert Observation.objects.count() == 1


def test_a_rejected_row_exits_non_zero_with_one_line_per_problem_and_writes_nothing(tmp_path, capsys, wait):
    path = tmp_path / "obs.csv"
    path.write_text(
        "unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,4\nRAA-MED-01,WAIT,2025-02,four\nXX,WAIT,2025-03,1\n"
    )
    assert main(["import", "observations", str(path)]) == 1
    _, err = capsys.readouterr()
    lines = [line for line in err.strip().splitlines() if not line.endswith("...")]  # not the progress lines
    assert lines[0].endswith("nothing was imported; correct these and try again:")
    assert lines[1:] == [
        "  obs.csv, row 3, column value: 'four' is not a number; write it with digits, like 4.5 or 1,200",
        "  obs.csv, row 4, column unit_code: no unit has the code XX; check the code",
    ]
    assert "Traceback" not in err
    assert not Observation.objects.exists()


def test_a_dry_run_writes_nothing(tmp_path, capsys, wait):
    path = tmp_path / "obs.csv"
    path.write_text("unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,4\n")
    assert main(["import", "observations", str(path), "--dry-run"]) == 0
    assert "1 observations would be added" in capsys.readouterr().out
    assert not Observation.objects.exists()


def test_a_missing_file_is_a_message_not_a_traceback(tmp_path, capsys, db):
    assert main(["import", "observations", str(tmp_path / "nope.csv")]) == 1
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err


def test_measures_are_imported_from_the_command_line(tmp_path, capsys, tree):
    path = tmp_path / "m.csv"
    path.write_text(
        "code,name,owner_unit_code,measure_type,chart,improvement,frequency,target,label,description\n"
        "SEP,Sepsis,RAA,process,p,increase,month,0.95,%,\nBAD,Bad,RAA,process,pie,increase,month,,,\n"
    )
    assert main(["import", "measures", str(path)]) == 1
    assert (
        "row 3, column chart: 'pie' is not one of: run, xmr, p, pprime, u, uprime, c"
        in capsys.readouterr().err
    )
    assert not Measure.objects.exists()
    path.write_text(path.read_text().replace("pie", "xmr"))
    assert main(["import", "measures", str(path)]) == 0
    assert Measure.objects.count() == 2


def test_a_wide_file_names_its_measure_on_the_command_line(tmp_path, capsys, wait):
    path = tmp_path / "wide.csv"
    path.write_text("unit_code,2025-01,2025-02\nRAA-MED-01,4,5\n")
    assert main(["import", "observations", str(path), "--measure", "WAIT"]) == 0
    assert Observation.objects.count() == 2
