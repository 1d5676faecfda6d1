"""Audit snippets are screened: free text kept in an audit record has its personal data redacted."""

from __future__ import annotations

import pytest

from spiral.core import audit
from spiral.core.models import AuditEvent
from spiral.organisations.models import Unit

pytestmark = pytest.mark.django_db


def test_free_text_in_the_old_and_new_values_is_redacted(tree: dict[str, Unit]) -> None:
    event = audit.record(
        action="test.update",
        obj=tree["team"],
        by=None,
        changes={"problem": ["Mrs Patel in bed 6 fell", "Falls at night, ring 07700 900123"]},
    )
    stored = AuditEvent.objects.get(pk=event.pk).changes["problem"]
    assert stored == ["Mrs [redacted] in bed 6 fell", "Falls at night, ring [redacted]"]


def test_values_without_spaces_say_who_and_what_and_are_kept(tree: dict[str, Unit]) -> None:
    event = audit.record(
        action="test.update", obj=tree["team"], by=None,
        changes={"email": [None, "jo.bloggs@example.com"], "code": ["RAA", "RAA-1"], "on": [None, "1962-05-04"]},
    )  # fmt: skip
    assert AuditEvent.objects.get(pk=event.pk).changes == {
        "email": [None, "jo.bloggs@example.com"], "code": ["RAA", "RAA-1"], "on": [None, "1962-05-04"],
    }  # fmt: skip


def test_text_nested_in_lists_and_objects_is_redacted(tree: dict[str, Unit]) -> None:
    nodes = [{"id": 1, "kind": "aim", "text": "Call Jo on 0161 496 0123 first"}]
    event = audit.record(action="test.diagram", obj=tree["team"], by=None, changes={"nodes": [None, nodes]})
    stored = AuditEvent.objects.get(pk=event.pk).changes["nodes"][1]
    assert stored == [{"id": 1, "kind": "aim", "text": "Call Jo on [redacted] first"}]
