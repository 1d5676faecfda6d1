"""Load the NHS Sustainability Model from its file, so every database has it (re-loading is a no-op)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import migrations

FILE = Path(__file__).resolve().parents[1] / "instruments" / "nhs-sustainability-model.yaml"


def load(apps: Any, schema_editor: Any) -> None:
    from spiral.assessments.instrument_file import read_file
    from spiral.assessments.services import write_spec

    models = SimpleNamespace(
        **{n: apps.get_model("assessments", n) for n in ("Instrument", "ItemGroup", "Item", "Option")}
    )
    write_spec(read_file(FILE), models, file_name=FILE.name)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_instruments_and_responses")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
