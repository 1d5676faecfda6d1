"""The catalogue's background work: embedding changed documents for search by meaning.

A change is in the index's words at once (in the transaction of the change, without the model: a
person who saves a project finds it by its words straight away); its meaning is embedded by
`embed_changed`, in a worker with SPIRAL_TASKS=database, at once in-process with the default
SPIRAL_TASKS=immediate. A search only reads the index as it is: it never indexes or embeds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import models
from django_tasks import task

from spiral.knowledge import search

logger = logging.getLogger(__name__)


def projects_changed(objects: Sequence[models.Model]) -> None:
    """Audit listener: re-index the words of the projects these objects belong to; embed them later."""
    ids = {obj.pk if obj._meta.model_name == "project" else obj.project_id for obj in objects}  # type: ignore[attr-defined]
    search.index_projects(ids, embed=False)
    embed_changed.enqueue()


def measures_changed(objects: Sequence[models.Model]) -> None:
    """Audit listener: re-index the words of changed measures and indicators; embed them later."""
    search.index_measures({obj.pk for obj in objects}, embed=False)
    embed_changed.enqueue()


def documents_changed() -> None:
    """After a service re-indexed the words of resources or communities: embed them later."""
    embed_changed.enqueue()


@task(queue_name="search")
def embed_changed() -> int:
    """Index what changed without being indexed (e.g. bulk loads) and embed every document whose text
    changed since it was embedded. Safe to run any number of times: it does only what is left."""
    done = search.refresh_stale(force=True) + search.embed_missing()
    if done:
        logger.info("knowledge.tasks.embed_changed documents=%d", done)
    return done
