"""Load the readiness, culture and NHS IMPACT instruments from their files (re-loading is a no-op)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import migrations

FOLDER = Path(__file__).resolve().parents[2] / "assessments" / "instruments"
FILES = ("musiq-readiness.yaml", "team-culture.yaml", "nhs-impact.yaml")


def load(apps: Any, schema_editor: Any) -> None:
    from spiral.assessments.instrument_file import read_file
    from spiral.assessments.services import write_spec

    models = SimpleNamespace(
        **{n: apps.get_model("assessments", n) for n in ("Instrument", "ItemGroup", "Item", "Option")}
    )
    for name in FILES:
        write_spec(read_file(FOLDER / name), models, file_name=name)


class Migration(migrations.Migration):
    dependencies = [("capability", "0002_training_tiers"), ("assessments", "0003_text_length_limits")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
