"""docs/limits.md tells the truth: every free-text field has a documented maximum, the one the model has."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

from spiral.core import limits

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"
ROW = re.compile(r"^\| `(?P<model>\w+\.\w+)\.(?P<field>\w+)` \| (?P<kind>\w+) \| (?P<limit>[\d,]+) \|$")
# Derived text that no person types: rebuilt from the objects it indexes.
# And the stored answer to an API write (spiral.core.idempotency): Spiral's own response, replayed as is.
UNBOUNDED = {("knowledge.SearchDocument", "body"), ("core.IdempotencyKey", "body")}
KINDS = {
    "NAME": limits.NAME,
    "SHORT_TEXT": limits.SHORT_TEXT,
    "TEXT": limits.TEXT,
    "LONG_TEXT": limits.LONG_TEXT,
}


def documented() -> dict[tuple[str, str], tuple[str, int]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows[(match["model"], match["field"])] = (match["kind"], int(match["limit"].replace(",", "")))
    return rows


def spiral_text_fields() -> list[tuple[str, models.Field]]:
    return [
        (model._meta.label, field)
        for model in apps.get_models()
        if model.__module__.startswith("spiral.")
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField)
    ]


def test_every_text_field_has_a_maximum_of_one_of_the_kinds():
    missing = [
        f"{label}.{field.name}"
        for label, field in spiral_text_fields()
        if (label, field.name) not in UNBOUNDED
        and field.max_length not in (limits.SHORT_TEXT, limits.TEXT, limits.LONG_TEXT)
    ]
    assert missing == []


def test_every_text_field_is_in_the_table_of_docs_limits():
    rows = documented()
    absent = [
        f"{label}.{field.name}"
        for label, field in spiral_text_fields()
        if (label, field.name) not in UNBOUNDED and (label, field.name) not in rows
    ]
    assert absent == []


def test_each_documented_limit_is_the_model_fields_and_its_kind_is_right():
    rows = documented()
    assert len(rows) > 50
    for (label, name), (kind, limit) in rows.items():
        field = apps.get_model(label)._meta.get_field(name)
        assert field.max_length == limit, f"{label}.{name}"
        if kind in KINDS:
            assert KINDS[kind] == limit, f"{label}.{name}"
