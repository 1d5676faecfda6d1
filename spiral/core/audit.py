"""Recording changes. Services call `record` (or `record_many` for bulk writes) in their transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from spiral.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields that changed, as {field: [old, new]}."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, for a later `diff`."""
    return {name: getattr(obj, name) for name in fields}


def _event(
    *, action: str, obj: models.Model, by: Any, changes: Mapping[str, Any] | None, scope_path: str
) -> AuditEvent:
    return AuditEvent(
        actor=by if getattr(by, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        scope_path=scope_path,
        changes={k: [_plain(v) for v in pair] for k, pair in (changes or {}).items()},
    )


def record(
    *,
    action: str,
    obj: models.Model,
    by: Any,
    changes: Mapping[str, Any] | None = None,
    scope_path: str = "",
) -> AuditEvent:
    """Write one audit event: `by` is the acting user (None for the system)."""
    event = _event(action=action, obj=obj, by=by, changes=changes, scope_path=scope_path)
    event.save()
    return event


def record_many(*, action: str, objects: Iterable[models.Model], by: Any, scope_path_of: Any = None) -> int:
    """Audit a bulk write, one event per object, in one INSERT batch."""
    events = [
        _event(
            action=action,
            obj=obj,
            by=by,
            changes=None,
            scope_path=scope_path_of(obj) if scope_path_of else "",
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)
