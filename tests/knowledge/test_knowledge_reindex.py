"""`spiral reindex`: the search index rebuilt from the catalogue, with progress lines, safe to run again."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from spiral import cli
from spiral.knowledge import embeddings, search
from spiral.knowledge.models import DocKind, SearchDocument, SearchTerm
from spiral.organisations.models import Unit, User
from tests.factories import ProjectFactory


@pytest.fixture
def projects(tree: dict[str, Unit]) -> list[Any]:
    return [
        ProjectFactory(unit=tree["team"], title="Clinic letters", problem="Letters are slow", aim="Faster"),
        ProjectFactory(unit=tree["team"], title="Falls at night", problem="Falls", aim="Fewer falls"),
    ]


def _index() -> dict[tuple[str, int], tuple[str, str, bool]]:
    return {
        (d.kind, d.object_id): (d.title, d.text_hash, bool(d.embedding)) for d in SearchDocument.objects.all()
    }


def test_reindex_indexes_every_project_once_with_its_current_text(
    projects: list[Any], member: User, capsys: pytest.CaptureFixture[str]
) -> None:
    SearchDocument.objects.all().delete()  # an index lost, or never built
    projects[0].title = "Hospital at home"
    projects[0].save()
    SearchDocument.objects.create(
        kind=DocKind.RESOURCE, object_id=999_999, title="A resource gone", indexed_at=timezone.now()
    )

    assert cli.main(["reindex"]) == 0

    out = capsys.readouterr().out
    assert "spiral reindex: projects: 2 of 2 indexed by their words" in out
    assert "removed 1 documents of objects that are gone" in out
    index = _index()
    assert {key for key in index if key[0] == DocKind.PROJECT} == {(DocKind.PROJECT, p.pk) for p in projects}
    assert (DocKind.RESOURCE, 999_999) not in index
    assert index[(DocKind.PROJECT, projects[0].pk)][0] == "Hospital at home"
    assert [h.id for h in search.search(member, "hospital at home")][:1] == [projects[0].pk]
    if embeddings.model() is not None:
        assert all(embedded for _, _, embedded in index.values())


def test_reindex_is_safe_to_run_again(projects: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["reindex"]) == 0
    first = _index()
    capsys.readouterr()

    assert cli.main(["reindex"]) == 0

    out = capsys.readouterr().out
    assert _index() == first
    assert SearchDocument.objects.count() == len(first)
    assert "removed 0 documents" in out
    if embeddings.model() is not None:
        assert "meaning: 0 documents embedded" in out


def test_a_word_the_process_remembers_but_the_database_lacks_is_written(tree: dict[str, Any]) -> None:
    """The in-process vocabulary can hold words the database no longer has (a rolled-back transaction,
    a restore): indexing writes them again, so spelling correction still knows them."""
    project = ProjectFactory(unit=tree["team"], title="Zebrafish clinic", problem="", aim="")
    search._vocabulary["words"] = frozenset({"zebrafish", "clinic"})
    search._vocabulary["count"] = -1
    search.index_projects([project.pk], embed=False)
    assert set(
        SearchTerm.objects.filter(word__in=["zebrafish", "clinic"]).values_list("word", flat=True)
    ) == {
        "zebrafish",
        "clinic",
    }
