"""The catalogue's extension point: kinds of document that apps above knowledge put in the one search.

Knowledge indexes its own kinds (projects and their change ideas, resources, communities, measures). An
app above it (priorities' decision log, say) registers a `Source` in its AppConfig.ready: how to read its
objects' text, which objects exist, which field holds the unit and the date the search filters by, and how
a result is shown. The search then indexes, finds, filters by unit and date, checks permissions (through
the permission module's registered visibility of the source's model) and shows those results like its own.
The app calls `search.index_source(kind, ids)` when it writes, as a project's services reach the index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class SourceText:
    """What one object of a source puts in the index: its title, its words and the gist to embed."""

    object_id: int
    unit_id: int | None
    title: str
    body: str
    meaning: str


@dataclass(frozen=True)
class Shown:
    """How one result of a source is shown: where it links, a line saying what it is, and its text."""

    url: str
    label: str
    snippet: str


@dataclass(frozen=True)
class Source:
    """A kind of document registered by an app above knowledge.

    kind: its DocKind value. objects: every object of the kind (a queryset of the source's model, with what
    `texts` and `shown` read selected). texts: the index text of the objects with these ids that exist.
    unit_field: the field naming the object's unit (the search's unit filter and the unit shown). date_field:
    the date the search's "since" and "until" filters read. shown: how a result is shown."""

    kind: str
    objects: Callable[[], QuerySet[Any]]
    texts: Callable[[Sequence[int]], list[SourceText]]
    unit_field: str
    date_field: str
    shown: Callable[[Any], Shown]


_sources: dict[str, Source] = {}


def register(source: Source) -> None:
    """Put a kind of document in the catalogue search (from an AppConfig.ready); registering again replaces."""
    from spiral.knowledge.models import DocKind

    if source.kind not in DocKind.values:
        raise ValueError(f"'{source.kind}' is not a DocKind: add it to spiral.knowledge.models.DocKind")
    _sources[source.kind] = source


def registered() -> dict[str, Source]:
    """The registered sources by kind, in the order they were registered."""
    return dict(_sources)


def get(kind: str) -> Source | None:
    return _sources.get(kind)
