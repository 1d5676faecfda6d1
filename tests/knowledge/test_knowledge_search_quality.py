"""Search quality: queries people type find the projects they mean (recall@5 for every query)."""

from __future__ import annotations

from typing import Any

import pytest

from spiral.knowledge import search
from spiral.organisations.models import Unit
from spiral.projects.models import Topic
from tests.factories import ProjectFactory
from tests.knowledge.search_corpus import PROJECTS, QUERIES


@pytest.fixture
def corpus(tree: dict[str, Unit]) -> dict[int, str]:
    keys = {}
    for key, (title, text, topic) in PROJECTS.items():
        project = ProjectFactory(unit=tree["team"], title=title, problem=text, aim="")
        project.topics.add(Topic.objects.get_or_create(name=topic)[0])
        keys[project.pk] = key
    search.rebuild()
    return keys


def test_every_query_finds_its_projects_in_the_first_five(corpus: dict[int, str], member: Any) -> None:
    assert len(PROJECTS) >= 50 and len(QUERIES) >= 20
    misses = []
    reciprocal_ranks = []
    for query, expected in QUERIES:
        found = [corpus[h.id] for h in search.search(member, query, limit=5)]
        missing = [key for key in expected if key not in found]
        if missing:
            misses.append(f"{query!r}: missing {missing}, got {found}")
        rank = next((i + 1 for i, key in enumerate(found) if key in expected), None)
        reciprocal_ranks.append(1 / rank if rank else 0.0)
    mrr = sum(reciprocal_ranks) / len(reciprocal_ranks)
    print(f"mean reciprocal rank {mrr:.3f} over {len(QUERIES)} queries")  # shown with pytest -s
    assert not misses, "\n".join(misses)
