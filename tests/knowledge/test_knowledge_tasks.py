"""Search indexing off the request: a change is found by its words at once and by its meaning once its
task has run; a search never writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spiral.core import pagecache
from spiral.knowledge import embeddings, search, tasks
from spiral.knowledge.models import DocKind, SearchDocument
from spiral.organisations.models import Unit, User
from spiral.projects import services as project_services
from tests.conftest import client_for
from tests.factories import ProjectFactory


@pytest.fixture
def project(tree: dict[str, Unit]) -> Any:
    made = ProjectFactory(unit=tree["team"], title="Clinic letters", problem="Letters are slow", aim="Faster")
    search.rebuild()
    return made


def _writes(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    # Writes to Spiral's data: not the session's last-seen time or the caches (pagecache's own rule).
    return [
        q["sql"]
        for q in captured.captured_queries
        if pagecache._table_written(q["sql"]) not in (None, *pagecache.IGNORED_TABLES)
    ]


def test_a_search_page_and_the_api_never_write(project: Any, member: User) -> None:
    project.title = "Hospital at home"
    project.save()  # changed without a service: left for the task, not for the next search
    client = client_for(member)

    assert _writes(lambda: client.get("/search/", {"q": "hospital"})) == []
    assert _writes(lambda: client.get("/api/v1/search", {"q": "hospital"})) == []


def test_a_project_changed_through_its_service_is_found_by_its_words_at_once(
    project: Any, member: User, queued_tasks: Any
) -> None:
    project_services.update_project(project=project, by=None, title="Hospital at home")

    assert [h.id for h in search.search(member, "hospital at home")][:1] == [project.pk]


@pytest.mark.skipif(embeddings.model() is None, reason="the embedding model is not installed")
def test_its_meaning_waits_for_the_task_and_is_found_once_the_task_has_run(
    project: Any, member: User, queued_tasks: Any
) -> None:
    project_services.update_project(project=project, by=None, title="Hospital at home", aim="Care at home")
    document = SearchDocument.objects.get(kind=DocKind.PROJECT, object_id=project.pk)
    assert document.embedding is None  # its old meaning no longer holds

    assert tasks.embed_changed.call() >= 1

    document.refresh_from_db()
    assert document.embedding  # the new meaning: embedded from the text as it is now
    assert document.text_hash == search._hash(search._project_docs([project.pk])[0].meaning)


def test_the_task_catches_projects_changed_without_a_service_and_is_safe_to_run_again(
    project: Any, member: User
) -> None:
    project.title = "Hospital at home"
    project.save()

    tasks.embed_changed.call()
    assert [h.id for h in search.search(member, "hospital at home")][:1] == [project.pk]
    assert tasks.embed_changed.call() == 0  # nothing left to do
