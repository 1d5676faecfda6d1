"""Recording changes. Services call `record` (or `record_many` for bulk writes) in their transaction;
an edit guarded by a version number calls `refuse_stale`, then `save_version`.

Apps higher up may ask to be told of changes to another app's objects (`on_change`), as the catalogue's
search index is told of changes to projects: the app that makes the change does not import them (a lower
layer never imports a higher one), and every change it makes is audited, so none is missed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models

from spiral.core import screening
from spiral.core.models import AuditEvent

if TYPE_CHECKING:
    from spiral.organisations.models import User

Listener = Callable[[Sequence[models.Model]], None]
_LISTENERS: dict[str, list[Listener]] = defaultdict(list)


def on_change(labels: Iterable[str], listener: Listener) -> None:
    """Call `listener(objects)` in the transaction of every audited change to models with these labels
    ("projects.Project"); apps register in their AppConfig.ready()."""
    for label in labels:
        if listener not in _LISTENERS[label]:
            _LISTENERS[label].append(listener)


def _tell(objects: Sequence[models.Model]) -> None:
    by_label: dict[str, list[models.Model]] = defaultdict(list)
    for obj in objects:
        if obj._meta.label in _LISTENERS:
            by_label[obj._meta.label].append(obj)
    for label, changed in by_label.items():
        for listener in _LISTENERS[label]:
            listener(changed)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _screened(value: Any) -> Any:
    """Free text as the audit keeps it: personal data redacted (core.screening), so an old value written
    before screening, or text an app only warns about, is not kept in the history everyone with the audit
    permission reads. Free text is a string with a space in it; codes, emails of accounts, ids and dates
    (no space) are kept as they are, because they say who and what."""
    if isinstance(value, str):
        return screening.redact(value)[0] if " " in value or "\n" in value else value
    if isinstance(value, list | tuple):
        return [_screened(v) for v in value]
    if isinstance(value, dict):
        return {k: _screened(v) for k, v in value.items()}
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
    *, action: str, obj: models.Model, by: User | None, changes: Mapping[str, Any] | None, scope_path: str
) -> AuditEvent:
    return AuditEvent(
        actor=by if getattr(by, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=_screened(str(obj))[:300],
        scope_path=scope_path,
        changes={k: [_screened(_plain(v)) for v in pair] for k, pair in (changes or {}).items()},
    )


def record(
    *,
    action: str,
    obj: models.Model,
    by: User | None,
    changes: Mapping[str, Any] | None = None,
    scope_path: str = "",
) -> AuditEvent:
    """Write one audit event: `by` is the acting user (None for the system)."""
    event = _event(action=action, obj=obj, by=by, changes=changes, scope_path=scope_path)
    event.save()
    _tell([obj])
    return event


def record_many(
    *, action: str, objects: Iterable[models.Model], by: User | None, scope_path_of: Any = None
) -> int:
    """Audit a bulk write, one event per object, in one INSERT batch."""
    objects = list(objects)
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
    _tell(objects)
    return len(events)


class StaleEdit(Exception):
    """The record changed since the person (or script) read it: the API answers 409 with `current`, a form
    page shows the saved version. Apps subclass it for their own wording (`message`, with `{kind}`)."""

    message = "This record was changed by someone else since you opened it; reload and try again"

    def __init__(self, current: Any, kind: str = "record") -> None:
        self.current = current
        super().__init__(self.message.format(kind=kind))


def refuse_stale(
    obj: models.Model,
    version: int | None,
    *,
    error: type[StaleEdit] = StaleEdit,
    kind: str = "record",
    field: str = "version",
) -> None:
    """Raise `error(obj, kind)` when the client sent a `version` that is not the stored one (`obj.<field>`,
    read under `select_for_update`). No version sent: the edit goes ahead (last write wins)."""
    if version is not None and version != getattr(obj, field):
        raise error(obj, kind)


def save_version(
    obj: models.Model,
    values: Mapping[str, Any] | None = None,
    *,
    by: Any,
    action: str,
    changes: Mapping[str, Any] | None = None,
    scope_path: str = "",
    field: str = "version",
    update_fields: Iterable[str] | None = None,
) -> AuditEvent:
    """Set `values` on `obj`, raise its version by one, save it (only `update_fields` if given) and record
    `action` with `changes`, in the caller's transaction."""
    for name, value in (values or {}).items():
        setattr(obj, name, value)
    setattr(obj, field, getattr(obj, field) + 1)
    if update_fields is None:
        obj.save()
    else:
        obj.save(update_fields=list(update_fields))
    return record(action=action, obj=obj, by=by, changes=changes, scope_path=scope_path)
