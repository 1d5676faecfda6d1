"""The search-by-meaning evaluation set (issue 14): queries whose words are neither in the documents they
should find nor in the synonym list, so only meaning can find them.

The documents are the demo catalogue's resources (spiral.demo.knowledge.GUIDES, keyed by title) among the
56 projects of the search-quality corpus (tests/knowledge/search_corpus.py), which compete for the places.
`evaluate` runs the set in one of three modes: words only (no embeddings), meaning only (no word ranks)
and hybrid (the search as shipped). Shared by tests/knowledge/test_knowledge_search_quality.py and
bench/search_meaning.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from spiral.core.stemming import stem
from spiral.demo.knowledge import BODY, GUIDES
from spiral.knowledge import embeddings, search
from spiral.knowledge.models import Resource, ResourceKind
from spiral.organisations.models import Unit
from tests.knowledge.search_corpus import PROJECTS

DATA = Path(__file__).parent / "data" / "meaning_eval.json"
SYNONYMS = Path(search.__file__).parent / "data" / "synonyms.txt"
MODES = ("words", "meaning", "hybrid")


def load_set() -> list[tuple[str, list[str]]]:
    """(query, expected resource titles) from data/meaning_eval.json."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))["queries"]
    return [(row["query"], list(row["expected"])) for row in rows]


def resource_texts() -> dict[str, str]:
    """Resource title -> every word its search document holds (title, kind, summary, body, topic)."""
    out = {}
    for topic, items in GUIDES.items():
        for kind, title, summary in items:
            out[title] = " ".join(
                [title, ResourceKind(kind).label, summary, BODY.format(summary=summary), topic]
            )
    return out


def stems(text: str) -> set[str]:
    """The stems of the words of `text`, less stop words."""
    return {stem(w) for w in search.words(text) if w not in search.STOP_WORDS}


def synonym_stems() -> set[str]:
    lines = SYNONYMS.read_text(encoding="utf-8").splitlines()
    return set().union(*(stems(line) for line in lines if not line.lstrip().startswith("#")))


def leaks() -> list[str]:
    """Every query word (stemmed) found in one of its targets' text or in the synonym list."""
    texts, synonyms = resource_texts(), synonym_stems()
    out = []
    for query, expected in load_set():
        for title in expected:
            if title not in texts:
                out.append(f"{query!r}: no demo resource is titled {title!r}")
                continue
            for s in sorted(stems(query) & stems(texts[title])):
                out.append(f"{query!r}: {s!r} is in {title!r}")
        for s in sorted(stems(query) & synonyms):
            out.append(f"{query!r}: {s!r} is in synonyms.txt")
    return out


def build_catalogue(unit: Unit, nation: Unit) -> dict[tuple[str, int], str]:
    """Create the demo resources and the corpus projects, index them (with embeddings when installed);
    (kind, id) -> key (a resource's title, a project's corpus key)."""
    from spiral.projects.models import Topic
    from tests.factories import ProjectFactory

    keys: dict[tuple[str, int], str] = {}
    for key, (title, text, topic) in PROJECTS.items():
        project = ProjectFactory(unit=unit, title=title, problem=text, aim="")
        project.topics.add(Topic.objects.get_or_create(name=topic)[0])
        keys[("project", project.pk)] = key
    for topic, items in GUIDES.items():
        for kind, title, summary in items:
            resource = Resource.objects.create(
                title=title, kind=kind, summary=summary, body=BODY.format(summary=summary), unit=nation
            )
            resource.topics.add(Topic.objects.get_or_create(name=topic)[0])
            keys[("resource", resource.pk)] = title
    search.rebuild()
    return keys


@contextmanager
def mode(name: str) -> Iterator[None]:
    """Search by words only, by meaning only, or both (the hybrid as shipped)."""
    if name == "words":
        with mock.patch.object(embeddings, "available", return_value=False):
            yield
    elif name == "meaning":
        with mock.patch.object(search, "_word_ranks", return_value={}):
            yield
    else:
        yield


@dataclass
class Figures:
    recall: float  # mean over queries of the share of expected documents in the first five
    mrr: float  # mean reciprocal rank of the first expected document (0 when none in the first ten)
    misses: list[str]


def evaluate(
    user: Any, keys: dict[tuple[str, int], str], queries: list[tuple[str, list[str]]], name: str
) -> Figures:
    recalls, ranks, misses = [], [], []
    with mode(name):
        for query, expected in queries:
            found = [keys.get((h.type, h.id), "") for h in search.search(user, query, limit=10)]
            recalls.append(sum(1 for key in expected if key in found[:5]) / len(expected))
            rank = next((i + 1 for i, key in enumerate(found) if key in expected), None)
            ranks.append(1 / rank if rank else 0.0)
            if recalls[-1] < 1:
                misses.append(f"{query!r}: expected {expected}, got {found[:5]}")
    return Figures(sum(recalls) / len(recalls), sum(ranks) / len(ranks), misses)
