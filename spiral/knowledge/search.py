"""The one search interface: the catalogue's index and queries, on SQLite and PostgreSQL alike.

Words: SQLite FTS5 (porter stemming; the `knowledge_fts` table, rowid = SearchDocument.id) or
PostgreSQL full-text search (`to_tsvector('english', ...)` with a GIN index, queried with
`websearch_to_tsquery`). Meaning: MiniLM sentence embeddings (knowledge.embeddings) cached per document;
the two are blended (hybrid ranking). NHS abbreviations and synonyms come from data/synonyms.txt;
misspelt words are corrected against the index's own vocabulary (SearchTerm).

A query is never passed to the database as syntax: it is split into words (letters and digits only),
each quoted, so FTS operators (NEAR, *, quotes, -, parentheses) and SQL-ish text are just words.

The index is kept up to date by explicit calls (`index_projects` etc.). Projects are written by
spiral.projects, which does not import this app: every audited change to a project reaches
`knowledge.tasks.projects_changed`, which indexes its words at once and leaves the embedding to a task;
`refresh_stale` (from that task and `spiral reindex`) catches projects changed without an audited
service, such as bulk loads. A search only reads: it never indexes or embeds.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from markupsafe import Markup, escape

from spiral.core.stemming import stem
from spiral.core.types import AnyUser
from spiral.knowledge import embeddings, sources
from spiral.knowledge.models import Community, DocKind, Resource, SearchDocument, SearchTerm
from spiral.measurement.models import Measure
from spiral.organisations.models import Unit
from spiral.projects.models import DriverNode, NodeKind, PdsaCycle, Project, ProjectMeasure

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
FTS_CANDIDATES = 400
SEMANTIC_CANDIDATES = 60
# A result found by meaning alone must be at least this close (cosine) to the query.
SEMANTIC_MIN = 0.2
# A good match (issue 15): this close in meaning, or holding by words a concept of the query that at most
# COMMON_SHARE of the documents searched hold (at least COMMON_MIN_DOCUMENTS), or every concept of it.
# By meaning, "this close" is MEANING_GOOD when the words found no good match, and MEANING_BESIDE_WORDS
# when they did (a document that neither holds the words nor means much the same is filler beside them),
# or MEANING_MARGIN closer than the closest word match if that is less.
MEANING_GOOD, MEANING_BESIDE_WORDS, MEANING_MARGIN = 0.25, 0.45, 0.05
COMMON_SHARE, COMMON_MIN_DOCUMENTS = 0.3, 10
# With no good match, the few nearest are offered as weak matches.
WEAK_SHOWN = 5
MAX_OFFSET = 1000
# The hybrid score: WORD_WEIGHT x (share of the query's concepts held) x agreement + MEANING_WEIGHT x cosine,
# where agreement = (cosine / best cosine) ** AGREEMENT_POWER. The share is found the same way on SQLite and
# PostgreSQL (their word ranks are on different scales: by rank, PostgreSQL's hybrid fell below meaning
# alone). Tuned on bench/search_meaning.py (issue 14): with the good-match rule deciding which documents are
# results, the words' part of the ranking is kept small (0.05; at 0.2 the hybrid ranked paraphrases'
# targets below meaning alone).
WORD_WEIGHT, MEANING_WEIGHT = 0.05, 0.95
AGREEMENT_POWER = 3.0
REFRESH_SECONDS = 5.0
# A document is embedded from its gist, at most this many tokens (the cost grows with the square).
DOC_TOKENS = 64
IMPROVING_ICONS = ("improvement_high", "improvement_low")
OWN_TYPES = (DocKind.PROJECT, DocKind.RESOURCE, DocKind.COMMUNITY, DocKind.MEASURE)


def default_types() -> tuple[str, ...]:
    """What a search without a type finds: knowledge's own kinds and every registered source's."""
    return (*OWN_TYPES, *sources.registered())


WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


# --- query parsing ------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@cache
def synonym_groups() -> tuple[tuple[tuple[tuple[str, ...], ...], ...], dict[tuple[str, ...], int]]:
    """The groups of data/synonyms.txt (each phrase as a tuple of words) and phrase -> group index."""
    groups: list[tuple[tuple[str, ...], ...]] = []
    index: dict[tuple[str, ...], int] = {}
    path = Path(__file__).parent / "data" / "synonyms.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrases = tuple(tuple(words(p)) for p in line.split("|") if words(p))
        groups.append(phrases)
        for phrase in phrases:
            index.setdefault(phrase, len(groups) - 1)
    return tuple(groups), index


@dataclass(frozen=True)
class ParsedQuery:
    """A query as the index sees it: alternatives (phrases of words) and the words to highlight."""

    text: str
    alternatives: tuple[tuple[str, ...], ...]
    highlight: frozenset[str]
    expansion: str  # the synonyms and corrections added, appended to the text that is embedded
    # What was asked for, one entry per typed word or phrase: the alternatives that match it (its
    # synonyms, its correction). A document matching none of a query's concepts is no match by words.
    concepts: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # For each concept, the words of a typed phrase that also match it when all are in a document, apart.
    loose: tuple[tuple[str, ...], ...] = ()
    # For each concept, whether it is a guess (the correction of a word the index does not hold).
    guessed: tuple[bool, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.alternatives


_vocabulary: dict[str, Any] = {"words": frozenset(), "count": -1}


def vocabulary() -> frozenset[str]:
    """The index's words (for spelling correction), re-read when the number of terms changes."""
    count = SearchTerm.objects.count()
    if count != _vocabulary["count"]:
        _vocabulary["words"] = frozenset(SearchTerm.objects.values_list("word", flat=True))
        _vocabulary["count"] = count
    return _vocabulary["words"]


def _correct(word: str, vocab: frozenset[str]) -> str | None:
    """The closest indexed word to a misspelt one, or None. Only words of a similar length and the same
    first letter are compared, which keeps this fast on a large vocabulary."""
    if len(word) < 4 or word in vocab or word.isdigit():
        return None
    pool = [w for w in vocab if w[0] == word[0] and abs(len(w) - len(word)) <= 2]
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.8)
    return found[0] if found else None


def parse(query: str, *, correct: bool = True) -> ParsedQuery:
    """Split a query into alternatives: its words, synonyms of its phrases, corrections of misspellings.

    A typed phrase of a synonym group brings the group's phrases, and its own words too ("missed
    appointments" also matches "first appointment"): each of them is a concept of its own.
    """
    text = (query or "")[:MAX_QUERY_CHARS]
    tokens = words(text)
    groups, index = synonym_groups()
    concepts: list[list[tuple[str, ...]]] = []
    loose: list[tuple[str, ...]] = []
    guessed: list[bool] = []
    extra: list[tuple[str, ...]] = []  # the words of typed phrases, searched for too (for ranking)
    added: list[str] = []
    vocab = vocabulary() if correct else frozenset()
    i = 0
    while i < len(tokens):
        for size in (4, 3, 2, 1):
            phrase = tuple(tokens[i : i + size])
            if len(phrase) == size and phrase in index:
                concepts.append(list(groups[index[phrase]]))
                added += [" ".join(alt) for alt in groups[index[phrase]] if alt != phrase]
                own = tuple(w for w in phrase if w not in STOP_WORDS) if size > 1 else ()
                loose.append(own)
                guessed.append(False)
                extra += [(w,) for w in own]
                i += size
                break
        else:
            word = tokens[i]
            i += 1
            if word in STOP_WORDS:
                continue
            concept: list[tuple[str, ...]] = [(word,)]
            fixed = _correct(word, vocab) if correct and vocab else None
            if fixed:
                # The word typed is not in the index: the concept is the guess (and, for ranking, the
                # word). A corrected word may itself have synonyms ("sepsiss" -> "sepsis" is a phrase).
                concept = [(fixed,)]
                added.append(fixed)  # what is embedded says what was meant too
                if (fixed,) in index:
                    concept.extend(groups[index[(fixed,)]])
                extra.append((word,))
            concepts.append(concept)
            loose.append(())
            guessed.append(bool(fixed))
    pairs: dict[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], bool]] = {}
    for c, own, guess in zip(concepts, loose, guessed, strict=True):
        kept_c = tuple(dict.fromkeys(a for a in c if a and not all(w in STOP_WORDS for w in a)))
        if kept_c:
            pairs.setdefault(kept_c, (own, guess))
    kept = list(pairs)[:MAX_TERMS]
    unique = tuple(dict.fromkeys([*(a for c in kept for a in c), *extra]))[: MAX_TERMS * 3]
    # Highlight what was typed, and synonyms in other words ("bed sores" marks "pressure ulcers"), but not
    # the extra words of a longer phrase holding a typed word ("falls" does not mark "prevention").
    typed = {stem(w) for w in tokens}
    highlight = frozenset(
        stem(w)
        for a in unique
        for w in a
        if w not in STOP_WORDS and (stem(w) in typed or not typed & {stem(x) for x in a})
    )
    return ParsedQuery(
        text=text,
        alternatives=unique,
        highlight=highlight,
        expansion=", ".join(dict.fromkeys(added[:6])),
        concepts=tuple(kept),
        loose=tuple(pairs[c][0] for c in kept),
        guessed=tuple(pairs[c][1] for c in kept),
    )


# --- the database side ----------------------------------------------------------------------------------


def _fts5_expression(parsed: ParsedQuery) -> str:
    # Every alternative is a quoted phrase of plain words: nothing the user typed is FTS syntax.
    return " OR ".join('"' + " ".join(a).replace('"', '""') + '"' for a in parsed.alternatives)


def _word_ranks(parsed: ParsedQuery, kinds: Sequence[str]) -> dict[int, tuple[float, str, int]]:
    """SearchDocument id -> (relevance by words, higher is better; kind; object id), at most
    FTS_CANDIDATES."""
    if parsed.is_empty:
        return {}
    kind_marks = ", ".join(["%s"] * len(kinds))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery = " || ".join(["websearch_to_tsquery('english', %s)"] * len(parsed.alternatives))
            phrases = ['"' + " ".join(a) + '"' for a in parsed.alternatives]
            cursor.execute(
                f"""
                SELECT d.id, ts_rank_cd({TSVECTOR}, q.query) AS rank, d.kind, d.object_id
                FROM knowledge_searchdocument d, (SELECT {tsquery} AS query) q
                WHERE d.kind IN ({kind_marks}) AND {TSVECTOR} @@ q.query
                ORDER BY rank DESC, d.id LIMIT %s
                """,  # noqa: S608 - only placeholders and constants are formatted in
                [*phrases, *kinds, FTS_CANDIDATES],
            )
        else:
            cursor.execute(
                f"""
                SELECT d.id, -bm25(knowledge_fts, 4.0, 1.0) AS rank, d.kind, d.object_id
                FROM knowledge_fts JOIN knowledge_searchdocument d ON d.id = knowledge_fts.rowid
                WHERE knowledge_fts MATCH %s AND d.kind IN ({kind_marks})
                ORDER BY rank DESC, d.id LIMIT %s
                """,  # noqa: S608 - only placeholders are formatted in
                [_fts5_expression(parsed), *kinds, FTS_CANDIDATES],
            )
        return {row[0]: (float(row[1]), row[2], int(row[3])) for row in cursor.fetchall()}


def _concept_matches(parsed: ParsedQuery, kinds: Sequence[str]) -> tuple[list[set[int]], int]:
    """The SearchDocument ids of `kinds` matching each concept of the query, and how many documents of
    `kinds` there are: a concept most documents hold ("patients") says little on its own."""
    kind_marks = ", ".join(["%s"] * len(kinds))
    out: list[set[int]] = []
    with connection.cursor() as cursor:
        for concept, own in zip(parsed.concepts, parsed.loose or [()] * len(parsed.concepts), strict=True):
            if connection.vendor == "postgresql":
                # A quoted phrase, or (the loose words) every word anywhere: only letters and digits.
                texts = ['"' + " ".join(a) + '"' for a in concept] + ([" ".join(own)] if own else [])
                tsquery = " || ".join(["websearch_to_tsquery('english', %s)"] * len(texts))
                cursor.execute(
                    f"SELECT d.id FROM knowledge_searchdocument d WHERE d.kind IN ({kind_marks}) "  # noqa: S608
                    f"AND {TSVECTOR} @@ ({tsquery})",
                    [*kinds, *texts],
                )
            else:
                expression = _fts5_expression(ParsedQuery("", concept, frozenset(), ""))
                if own:
                    expression += " OR (" + " AND ".join(f'"{w}"' for w in own) + ")"
                sql = f"""
                    SELECT d.id FROM knowledge_fts JOIN knowledge_searchdocument d ON d.id = knowledge_fts.rowid
                    WHERE knowledge_fts MATCH %s AND d.kind IN ({kind_marks})
                """  # noqa: S608 - only placeholders are formatted in
                cursor.execute(sql, [expression, *kinds])
            out.append({row[0] for row in cursor.fetchall()})
    total = SearchDocument.objects.filter(kind__in=kinds).count() if out else 0
    return out, total


# The document's words on PostgreSQL (the title weighs more): a stored generated column with a GIN index,
# made by migration 0004 (PostgreSQL only, so the model does not declare it).
TSVECTOR = "d.tsv"


def _write_fts(docs: Sequence[SearchDocument]) -> None:
    if connection.vendor != "sqlite" or not docs:
        return
    with connection.cursor() as cursor:
        ids = [d.pk for d in docs]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                f"DELETE FROM knowledge_fts WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                chunk,
            )
        cursor.executemany(
            "INSERT INTO knowledge_fts(rowid, title, body) VALUES (%s, %s, %s)",
            [(d.pk, d.title, d.body) for d in docs],
        )


def _delete_fts(ids: Sequence[int]) -> None:
    if connection.vendor != "sqlite" or not ids:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            cursor.execute(
                f"DELETE FROM knowledge_fts WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                chunk,
            )


# --- indexing -----------------------------------------------------------------------------------------


@dataclass
class _Doc:
    kind: str
    object_id: int
    unit_id: int | None
    title: str
    body: str
    meaning: str  # the text embedded: the gist (title, aim, problem, change ideas), not every cycle


def _join(*parts: Any) -> str:
    return "\n".join(str(p).strip() for p in parts if p and str(p).strip())


def _project_docs(project_ids: Sequence[int]) -> list[_Doc]:
    projects = Project.objects.filter(pk__in=project_ids).prefetch_related("topics")
    ideas: dict[int, list[DriverNode]] = {}
    drivers: dict[int, list[str]] = {}
    for node in DriverNode.objects.filter(project_id__in=project_ids).order_by("order", "id"):
        if node.kind == NodeKind.CHANGE_IDEA:
            ideas.setdefault(node.project_id, []).append(node)
        elif node.kind != NodeKind.AIM:  # the drivers say what the work is about too
            drivers.setdefault(node.project_id, []).append(_join(node.text, node.description))
    cycles: dict[int, list[PdsaCycle]] = {}
    for c in PdsaCycle.objects.filter(project_id__in=project_ids).only(
        "project_id", "change_idea_id", "objective", "what_happened", "results", "learning", "next_steps"
    ):
        cycles.setdefault(c.project_id, []).append(c)
    docs = []
    for p in projects:
        topics = ", ".join(t.name for t in p.topics.all())
        idea_text = [_join(i.text, i.description) for i in ideas.get(p.pk, [])]
        cycle_text = [
            _join(c.objective, c.what_happened, c.results, c.learning, c.next_steps)
            for c in cycles.get(p.pk, [])
        ]
        docs.append(
            _Doc(
                DocKind.PROJECT,
                p.pk,
                p.unit_id,
                p.title,
                _join(
                    p.problem,
                    p.aim,
                    p.aim_measure,
                    topics,
                    *drivers.get(p.pk, []),
                    *idea_text,
                    *cycle_text,
                    p.lessons,
                ),
                # The gist that is embedded: what the work is about, not every cycle's notes.
                _join(p.title, topics, p.aim, p.problem[:300]),
            )
        )
        for idea in ideas.get(p.pk, []):
            learned = [
                _join(c.objective, c.learning) for c in cycles.get(p.pk, []) if c.change_idea_id == idea.pk
            ]
            docs.append(
                _Doc(
                    DocKind.CHANGE_IDEA,
                    idea.pk,
                    p.unit_id,
                    idea.text[:300],
                    _join(idea.description, p.title, topics, *learned),
                    _join(idea.text, idea.description),
                )
            )
    return docs


def _resource_docs(ids: Sequence[int]) -> list[_Doc]:
    return [
        _Doc(
            DocKind.RESOURCE,
            r.pk,
            r.unit_id,
            r.title,
            _join(r.get_kind_display(), r.summary, r.body, ", ".join(t.name for t in r.topics.all())),
            _join(r.title, r.summary),
        )
        for r in Resource.objects.filter(pk__in=ids).prefetch_related("topics")
    ]


def _community_docs(ids: Sequence[int]) -> list[_Doc]:
    return [
        _Doc(
            DocKind.COMMUNITY,
            c.pk,
            c.unit_id,
            c.name,
            _join(c.description, c.topic.name if c.topic else ""),
            _join(c.name, c.description),
        )
        for c in Community.objects.filter(pk__in=ids).select_related("topic")
    ]


def _measure_docs(ids: Sequence[int]) -> list[_Doc]:
    """Measures and indicators: found by their name, code, description and definitions."""
    return [
        _Doc(
            DocKind.MEASURE,
            m.pk,
            m.owner_id,
            m.name,
            _join(
                m.code,
                m.description,
                m.label,
                f"{m.get_measure_type_display()} {'indicator' if m.is_indicator else 'measure'}",
                m.numerator_definition,
                m.denominator_definition,
            ),
            _join(m.name, m.description[:300]),
        )
        for m in Measure.objects.filter(pk__in=ids)
    ]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _store(docs: list[_Doc], *, embed: bool = True) -> int:
    """Upsert documents, their FTS rows, their words and (where the text changed) their embeddings."""
    if not docs:
        return 0
    now = timezone.now()
    existing = {
        (d.kind, d.object_id): d
        for kind in {doc.kind for doc in docs}
        for d in SearchDocument.objects.filter(
            kind=kind, object_id__in=[x.object_id for x in docs if x.kind == kind]
        )
    }
    model = embeddings.model() if embed else None
    new, changed, to_embed = [], [], []
    for doc in docs:
        digest = _hash(doc.meaning)
        row = existing.get((doc.kind, doc.object_id))
        if row is None:
            row = SearchDocument(kind=doc.kind, object_id=doc.object_id)
            new.append(row)
        else:
            changed.append(row)
        row.unit_id, row.title, row.body, row.indexed_at = doc.unit_id, doc.title[:300], doc.body, now
        if model is not None and (row.text_hash != digest or not row.embedding):
            to_embed.append((row, doc.meaning))
        elif model is None and row.text_hash != digest:
            row.embedding = None  # the old meaning no longer holds: found by words until embedded again
        row.text_hash = digest if (model is not None or row.text_hash == digest) else ""
    if to_embed and model is not None:
        vectors = model.encode([t for _, t in to_embed], max_tokens=DOC_TOKENS)
        for (row, _), vector in zip(to_embed, vectors, strict=True):
            row.embedding = embeddings.to_bytes(vector)
    SearchDocument.objects.bulk_create(new, batch_size=1000)
    SearchDocument.objects.bulk_update(
        changed, ["unit", "title", "body", "text_hash", "embedding", "indexed_at"], batch_size=1000
    )
    _write_fts(new + changed)
    terms = {w for d in docs for w in words(d.title + " " + d.body) if 3 <= len(w) <= 64 and not w.isdigit()}
    # Every word, not only those the process's cached vocabulary lacks: the cache can hold words the
    # database no longer has (a rolled-back transaction, a restore), and the database ignores the ones it holds.
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w) for w in terms], ignore_conflicts=True, batch_size=2000
    )
    _vectors.clear()
    return len(docs)


def index_projects(project_ids: Iterable[int], *, embed: bool = True) -> int:
    """(Re)index projects and their change ideas; forget change ideas that are gone."""
    ids = sorted(set(project_ids))
    total = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        docs = _project_docs(chunk)
        live_ideas = {d.object_id for d in docs if d.kind == DocKind.CHANGE_IDEA}
        known = set(
            DriverNode.objects.filter(project_id__in=chunk, kind=NodeKind.CHANGE_IDEA).values_list(
                "pk", flat=True
            )
        )
        gone_projects = set(chunk) - {d.object_id for d in docs if d.kind == DocKind.PROJECT}
        stale = SearchDocument.objects.filter(
            Q(kind=DocKind.PROJECT, object_id__in=gone_projects)
            | Q(kind=DocKind.CHANGE_IDEA, object_id__in=known - live_ideas)
        )
        remove(list(stale.values_list("pk", flat=True)))
        total += _store(docs, embed=embed)
    return total


def index_resources(ids: Iterable[int], *, embed: bool = True) -> int:
    return _store(_resource_docs(list(ids)), embed=embed)


def index_communities(ids: Iterable[int], *, embed: bool = True) -> int:
    return _store(_community_docs(list(ids)), embed=embed)


def index_measures(ids: Iterable[int], *, embed: bool = True) -> int:
    """(Re)index measures and indicators; forget those that are gone."""
    ids = sorted(set(ids))
    live = set(Measure.objects.filter(pk__in=ids).values_list("pk", flat=True))
    remove(
        list(
            SearchDocument.objects.filter(kind=DocKind.MEASURE, object_id__in=set(ids) - live).values_list(
                "pk", flat=True
            )
        )
    )
    return _store(_measure_docs(ids), embed=embed)


def _source_docs(kind: str, ids: Sequence[int]) -> list[_Doc]:
    source = sources.get(kind)
    if source is None or not ids:
        return []
    return [_Doc(kind, t.object_id, t.unit_id, t.title, t.body, t.meaning) for t in source.texts(ids)]


def index_source(kind: str, ids: Iterable[int], *, embed: bool = True) -> int:
    """(Re)index objects of a registered source (knowledge.sources); forget those that are gone."""
    source = sources.get(kind)
    if source is None:
        raise ValueError(f"No source of kind '{kind}' is registered")
    ids = sorted(set(ids))
    docs = _source_docs(kind, ids)
    live = {d.object_id for d in docs}
    remove(
        list(
            SearchDocument.objects.filter(kind=kind, object_id__in=set(ids) - live).values_list(
                "pk", flat=True
            )
        )
    )
    return _store(docs, embed=embed)


def remove(doc_ids: Sequence[int]) -> None:
    if doc_ids:
        _delete_fts(doc_ids)
        SearchDocument.objects.filter(pk__in=doc_ids).delete()
        _vectors.clear()


def remove_object(kind: str, object_id: int) -> None:
    remove(list(SearchDocument.objects.filter(kind=kind, object_id=object_id).values_list("pk", flat=True)))


def rebuild(*, embed: bool = True) -> int:
    """Index everything (the demo and `spiral reindex`)."""
    total = index_projects(Project.objects.values_list("pk", flat=True), embed=embed)
    total += index_resources(Resource.objects.values_list("pk", flat=True), embed=embed)
    total += index_communities(Community.objects.values_list("pk", flat=True), embed=embed)
    total += index_measures(Measure.objects.values_list("pk", flat=True), embed=embed)
    for kind, source in sources.registered().items():
        total += index_source(kind, source.objects().values_list("pk", flat=True), embed=embed)
    return total


@dataclass
class Reindexed:
    indexed: int = 0
    removed: int = 0
    embedded: int = 0


def reindex(*, report: Callable[[str], None] = lambda _line: None, chunk: int = 500) -> Reindexed:
    """Rebuild the search index from the catalogue (`spiral reindex`): every project, change idea, resource,
    community, measure and registered source's object indexed once with its current words; documents of objects that are gone removed; and
    each one's meaning embedded where it is missing or its text changed (when the model is installed).
    Safe to run again: a second run rewrites the words and embeds nothing. `report` is told each step."""
    done = Reindexed()
    steps: list[tuple[str, list[int], Callable[..., int]]] = [
        ("projects", list(Project.objects.order_by("pk").values_list("pk", flat=True)), index_projects),
        ("resources", list(Resource.objects.order_by("pk").values_list("pk", flat=True)), index_resources),
        (
            "communities",
            list(Community.objects.order_by("pk").values_list("pk", flat=True)),
            index_communities,
        ),
        ("measures", list(Measure.objects.order_by("pk").values_list("pk", flat=True)), index_measures),
        *(
            (
                f"{DocKind(kind).label.lower()}s",
                list(source.objects().order_by("pk").values_list("pk", flat=True)),
                functools.partial(index_source, kind),
            )
            for kind, source in sources.registered().items()
        ),
    ]
    for label, ids, index in steps:
        for start in range(0, len(ids), chunk):
            done.indexed += index(ids[start : start + chunk], embed=False)
            report(f"{label}: {min(start + chunk, len(ids)):,} of {len(ids):,} indexed by their words")
        if not ids:
            report(f"{label}: none")
    live = {
        DocKind.PROJECT: Project.objects.all(),
        DocKind.CHANGE_IDEA: DriverNode.objects.filter(kind=NodeKind.CHANGE_IDEA),
        DocKind.RESOURCE: Resource.objects.all(),
        DocKind.COMMUNITY: Community.objects.all(),
        DocKind.MEASURE: Measure.objects.all(),
        **{kind: source.objects() for kind, source in sources.registered().items()},
    }
    gone: list[int] = []
    for kind, objects in live.items():
        gone += (
            SearchDocument.objects.filter(kind=kind)
            .exclude(object_id__in=objects.values("pk"))
            .values_list("pk", flat=True)
        )
    gone += SearchDocument.objects.exclude(kind__in=list(live)).values_list("pk", flat=True)
    remove(gone)
    done.removed = len(gone)
    report(f"removed {len(gone):,} documents of objects that are gone")
    if embeddings.model() is None:
        report("meaning: no embedding model is installed; documents are found by their words only")
    else:
        done.embedded = embed_missing()
        report(f"meaning: {done.embedded:,} documents embedded (the others were embedded already)")
    return done


def embed_missing(*, batch: int = 2000) -> int:
    """Embed documents indexed without a vector (e.g. when the model was installed later)."""
    model = embeddings.model()
    if model is None:
        return 0
    done = 0
    unreadable: set[int] = set()  # documents whose object is gone or whose kind is no longer registered
    while True:
        rows = list(
            SearchDocument.objects.filter(Q(embedding__isnull=True) | Q(text_hash=""))
            .exclude(pk__in=unreadable)
            .order_by("pk")[:batch]
        )
        if not rows:
            return done
        by_kind: dict[str, list[int]] = {}
        for r in rows:
            by_kind.setdefault(r.kind, []).append(r.object_id)
        docs: list[_Doc] = []
        if DocKind.PROJECT in by_kind or DocKind.CHANGE_IDEA in by_kind:
            project_ids = set(by_kind.get(DocKind.PROJECT, []))
            project_ids |= set(
                DriverNode.objects.filter(pk__in=by_kind.get(DocKind.CHANGE_IDEA, [])).values_list(
                    "project_id", flat=True
                )
            )
            docs += _project_docs(sorted(project_ids))
        docs += _resource_docs(by_kind.get(DocKind.RESOURCE, []))
        docs += _community_docs(by_kind.get(DocKind.COMMUNITY, []))
        docs += _measure_docs(by_kind.get(DocKind.MEASURE, []))
        for kind in sources.registered():
            docs += _source_docs(kind, by_kind.get(kind, []))
        _store(docs)
        read = {(d.kind, d.object_id) for d in docs}
        unreadable |= {r.pk for r in rows if (r.kind, r.object_id) not in read}
        done += len(rows) - len({r.pk for r in rows} & unreadable)


_refresh = {"at": 0.0}
_refresh_lock = threading.Lock()


def refresh_stale(*, force: bool = False) -> int:
    """Re-index projects and measures written since they were indexed (or never indexed); at most every
    few seconds."""
    now = time.monotonic()
    if not force and now - _refresh["at"] < REFRESH_SECONDS:
        return 0
    with _refresh_lock:
        _refresh["at"] = now
    indexed_at = SearchDocument.objects.filter(kind=DocKind.PROJECT, object_id=OuterRef("pk")).values(
        "indexed_at"
    )[:1]
    annotated = Project.objects.annotate(_indexed=indexed_at)
    ids = list(
        annotated.filter(
            Q(_indexed__isnull=True)
            | Q(updated_at__gt=F("_indexed"))
            | Exists(PdsaCycle.objects.filter(project=OuterRef("pk"), updated_at__gt=OuterRef("_indexed")))
            | Exists(DriverNode.objects.filter(project=OuterRef("pk"), created_at__gt=OuterRef("_indexed")))
        ).values_list("pk", flat=True)[:500]
    )
    if ids:
        index_projects(ids)
        logger.info("knowledge.search.refreshed projects=%d", len(ids))
    measure_indexed = SearchDocument.objects.filter(kind=DocKind.MEASURE, object_id=OuterRef("pk")).values(
        "indexed_at"
    )[:1]
    measure_ids = list(
        Measure.objects.annotate(_indexed=measure_indexed)
        .filter(Q(_indexed__isnull=True) | Q(updated_at__gt=F("_indexed")))
        .values_list("pk", flat=True)[:500]
    )
    if measure_ids:
        index_measures(measure_ids)
        logger.info("knowledge.search.refreshed measures=%d", len(measure_ids))
    return len(ids) + len(measure_ids)


# --- meaning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vectors:
    """The embedded documents of one kind: ids, object ids, and their (n, 384) unit vectors."""

    ids: np.ndarray
    object_ids: np.ndarray
    matrix: np.ndarray
    row: dict[int, int]  # document id -> row


_vectors: dict[str, tuple[Any, Vectors]] = {}
_vectors_lock = threading.Lock()


_UNSET = object()


def newest_indexed(kinds: Sequence[str]) -> dict[str, Any]:
    """Per kind, when its newest document was indexed: the key of its cached vectors. One query for every
    kind (each part an index lookup on kind and indexed_at), however many kinds are searched."""
    if not kinds:
        return {}
    table = connection.ops.quote_name(SearchDocument._meta.db_table)
    # The table name is ours, the kinds are parameters.
    parts = ", ".join(f"(SELECT MAX(indexed_at) FROM {table} WHERE kind = %s)" for _ in kinds)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}", list(kinds))
        row = cursor.fetchone()
    return dict(zip(kinds, row, strict=True))


def vectors(kind: str, key: Any = _UNSET) -> Vectors:
    """The vectors of one kind, cached in the process until the index of that kind changes (`key`, from
    `newest_indexed`, read here when not given)."""
    if key is _UNSET:
        key = newest_indexed([kind])[kind]
    found = _vectors.get(kind)
    if found is not None and found[0] == key:
        return found[1]
    rows = [
        (pk, oid, emb)
        for pk, oid, emb in SearchDocument.objects.filter(kind=kind, embedding__isnull=False).values_list(
            "pk", "object_id", "embedding"
        )
        if emb
    ]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = (
        np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype=np.float32).reshape(
            len(rows), embeddings.DIMENSIONS
        )
        if rows
        else np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    )
    found_vectors = Vectors(
        ids, np.array([r[1] for r in rows], dtype=np.int64), matrix, {int(pk): i for i, pk in enumerate(ids)}
    )
    with _vectors_lock:
        _vectors[kind] = (key, found_vectors)
    return found_vectors


def _meaning_ranks(
    parsed: ParsedQuery, kinds: Sequence[str], also: Iterable[int] = ()
) -> dict[int, tuple[float, str, int]]:
    """SearchDocument id -> (cosine similarity, kind, object id): the SEMANTIC_CANDIDATES nearest
    documents of `kinds` above SEMANTIC_MIN, and the documents in `also` (the word hits)."""
    if parsed.is_empty or not embeddings.available():
        return {}
    text = parsed.text if not parsed.expansion else f"{parsed.text} ({parsed.expansion})"
    query = embeddings.encode([text])
    if query is None:
        return {}
    wanted = set(also)
    out: dict[int, tuple[float, str, int]] = {}
    keys = newest_indexed(list(kinds))
    for kind in kinds:
        v = vectors(kind, keys[kind])
        if not len(v.ids):
            continue
        with embeddings.one_blas_thread():
            sims = v.matrix @ query[0]
        k = min(SEMANTIC_CANDIDATES, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        rows = {int(i) for i in top if sims[i] >= SEMANTIC_MIN}
        rows |= {v.row[d] for d in wanted if d in v.row}
        out |= {int(v.ids[i]): (float(sims[i]), kind, int(v.object_ids[i])) for i in rows}
    return out


# --- searching ----------------------------------------------------------------------------------------


@dataclass
class Filters:
    """What the search page and the API filter by (None or "" = any)."""

    unit: Unit | None = None
    organisation_type: str = ""
    topic: str = ""
    stage: str = ""
    score: str = ""
    patient_partner: bool | None = None
    improvement_shown: bool | None = None
    since: Any = None  # date: started (projects) or updated (others) on or after
    until: Any = None

    @property
    def project_only(self) -> bool:
        return bool(
            self.stage or self.score or self.patient_partner is not None or self.improvement_shown is not None
        )

    @property
    def any(self) -> bool:
        return bool(
            self.unit or self.organisation_type or self.topic or self.since or self.until or self.project_only
        )


@dataclass
class Hit:
    type: str
    id: int
    title: str
    unit: Unit | None
    score: float
    obj: Any = None
    snippet: Markup = field(default_factory=lambda: Markup(""))
    title_html: Markup = field(default_factory=lambda: Markup(""))
    progress: float | None = None
    stage: str | None = None
    stage_label: str = ""
    improvement_shown: bool = False
    tried: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    project: Project | None = None
    url: str = ""  # a registered source's result: where it links and what it is
    label: str = ""


def improvement_shown_q(prefix: str = "") -> Q:
    """Projects whose outcome measure shows special-cause improvement (the aim's series if linked)."""
    return Q(
        Exists(
            ProjectMeasure.objects.filter(
                project=OuterRef(f"{prefix}pk"),
                role="outcome",
                series__analysis__variation_icon__in=IMPROVING_ICONS,
            )
        )
    )


def _unit_q(filters: Filters, prefix: str) -> Q:
    q = Q()
    if filters.unit is not None:
        q &= filters.unit.subtree_q(prefix)
    if filters.organisation_type:
        # The organisation is the unit itself or an ancestor: match on the organisation's path prefix.
        orgs = Unit.objects.filter(kind="organisation", organisation_type=filters.organisation_type)
        if filters.unit is not None:
            orgs = orgs.filter(Q(filters.unit.subtree_q()) | Q(pk__in=filters.unit.ancestor_ids()))
        paths = list(orgs.values_list("path", flat=True)[:5000])
        sub = Q(pk__in=[])
        for path in paths:
            sub |= Q(**{f"{prefix}path__startswith": path})
        q &= sub
    return q


def filter_projects(qs: QuerySet[Project], filters: Filters) -> QuerySet[Project]:
    qs = qs.filter(_unit_q(filters, "unit__"))
    if filters.topic:
        qs = qs.filter(topics__name=filters.topic.strip().lower())
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.score == "none":
        qs = qs.filter(latest_score__isnull=True)
    elif filters.score:
        qs = qs.filter(latest_score__gte=filters.score)
    if filters.patient_partner is not None:
        qs = qs.filter(has_patient_partner=filters.patient_partner)
    if filters.improvement_shown is not None:
        qs = (
            qs.filter(improvement_shown_q())
            if filters.improvement_shown
            else qs.exclude(improvement_shown_q())
        )
    if filters.since:
        qs = qs.filter(
            Q(start_date__gte=filters.since) | Q(start_date__isnull=True, created_at__date__gte=filters.since)
        )
    if filters.until:
        qs = qs.filter(
            Q(start_date__lte=filters.until) | Q(start_date__isnull=True, created_at__date__lte=filters.until)
        )
    return qs


def _filter_others(qs: QuerySet[Any], filters: Filters, *, has_topics: bool) -> QuerySet[Any]:
    qs = qs.filter(_unit_q(filters, "unit__"))
    if filters.topic:
        qs = (
            qs.filter(topics__name=filters.topic.strip().lower())
            if has_topics
            else qs.filter(topic__name=filters.topic.strip().lower())
        )
    date_field = "updated_at" if has_topics else "created_at"
    if filters.since:
        qs = qs.filter(**{f"{date_field}__date__gte": filters.since})
    if filters.until:
        qs = qs.filter(**{f"{date_field}__date__lte": filters.until})
    return qs


def filter_measures(qs: QuerySet[Measure], filters: Filters) -> QuerySet[Measure]:
    """Measures owned within the chosen unit, and indicators shared down to it from above."""
    q = _unit_q(filters, "owner__")
    if filters.unit is not None:
        q |= Q(is_indicator=True, owner_id__in=filters.unit.ancestor_ids())
    qs = qs.filter(q)
    if filters.topic:
        return qs.none()  # measures have no topics
    if filters.since:
        qs = qs.filter(updated_at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(updated_at__date__lte=filters.until)
    return qs


def highlight(text: str, stems: frozenset[str], *, limit: int | None = None) -> Markup:
    """Escape `text` and wrap the words matching the query in <mark>; cut to about `limit` characters
    around the first match."""
    if limit is not None and len(text) > limit:
        first = next((m.start() for m in WORD.finditer(text) if stem(m.group().lower()) in stems), 0)
        start = max(0, first - limit // 3)
        text = (
            ("…" if start else "") + text[start : start + limit] + ("…" if start + limit < len(text) else "")
        )
    out, last = [], 0
    for m in WORD.finditer(text):
        if stem(m.group().lower()) in stems:
            out.append(escape(text[last : m.start()]))
            out.append(Markup("<mark>") + escape(m.group()) + Markup("</mark>"))
            last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@dataclass
class Results:
    """One page of a search: the hits, how many results there are in all, and where the page starts.

    `no_good_match`: words were given but nothing matched them well enough; `weak` then holds the few
    nearest results, to be shown as such (not as results)."""

    hits: list[Hit]
    total: int
    offset: int
    limit: int
    no_good_match: bool = False
    weak: list[Hit] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total


def search(
    user: AnyUser,
    query: str,
    *,
    types: Sequence[str] | None = None,
    filters: Filters | None = None,
    limit: int = 20,
) -> list[Hit]:
    """The first `limit` results of `search_results` (docs/reference/interfaces.md §3)."""
    return search_results(user, query, types=types, filters=filters, limit=limit).hits


def search_results(
    user: AnyUser,
    query: str,
    *,
    types: Sequence[str] | None = None,
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Results:
    """The catalogue search (docs/reference/interfaces.md §3): one result per object, best first, a page
    of `limit` from `offset`.

    Text from a project's change ideas, drivers, PDSA cycles and lessons makes the project match (it is
    in the project's document); change ideas are results of their own only when `types` asks for them.

    Only good matches are results: a document holding a distinctive concept of the query (one that at most
    COMMON_SHARE of the documents hold), or every concept of it, or one whose meaning is at least
    MEANING_GOOD close (MEANING_BESIDE_WORDS beside word matches). Words that nearly every
    document holds ("patients") or a meaning only a little closer than any other are weak: when nothing
    matches well, `no_good_match` says so.
    """
    filters = filters or Filters()
    limit = max(1, min(int(limit), 100))
    offset = max(0, min(int(offset), MAX_OFFSET))
    known = (*OWN_TYPES, DocKind.CHANGE_IDEA, *sources.registered())
    kinds = [t for t in (types or default_types()) if t in known] or list(default_types())
    if filters.project_only:
        kinds = [k for k in kinds if k in (DocKind.PROJECT, DocKind.CHANGE_IDEA)] or [DocKind.PROJECT]
    parsed = parse(query)
    if parsed.is_empty:
        if not filters.any:
            return Results([], 0, offset, limit)
        hits = _browse(user, kinds, filters, offset + limit + 1)
        return Results(hits[offset : offset + limit], offset + len(hits[offset:]), offset, limit)
    word_ranks = _word_ranks(parsed, kinds)
    meaning = _meaning_ranks(parsed, kinds, also=word_ranks)
    matches, documents = _concept_matches(parsed, kinds) if word_ranks else ([], 0)
    common = max(COMMON_SHARE * documents, COMMON_MIN_DOCUMENTS)
    # By words, a good match holds at least half the query's distinctive concepts (those absent from the
    # index count too: "diabetes foot checks" is not matched by "checks" alone), or all of its concepts.
    distinctive = [m for m in matches if len(m) <= common]
    needed = (len(distinctive) + 1) // 2
    held: dict[int, int] = {}
    for m in distinctive:
        for pk in m:
            held[pk] = held.get(pk, 0) + 1
    by_words = {pk for pk, n in held.items() if n >= needed}
    if matches and all(matches):
        by_words |= set.intersection(*matches)
    if matches and meaning and any(parsed.guessed):
        # A document found only by a guessed correction ("weather" -> "whether") must mean something
        # like the query.
        sure = [m for m, guess in zip(matches, parsed.guessed, strict=True) if not guess]
        by_words = {
            pk
            for pk in by_words
            if meaning.get(pk, (0.0,))[0] >= SEMANTIC_MIN or any(pk in m for m in sure if len(m) <= common)
        }
    top_word = max((r for r, _, _ in word_ranks.values()), default=0.0) or 1.0
    top_cosine = max((c for c, _, _ in meaning.values()), default=0.0)
    # Meaning alone makes a good match when the words found none; beside word matches, only when close,
    # or as close as the closest of them (words found in documents about something else do not raise it).
    closest_by_words = max((meaning[pk][0] for pk in by_words if pk in meaning), default=0.0)
    meaning_bar = (
        max(MEANING_GOOD, min(MEANING_BESIDE_WORDS, closest_by_words + MEANING_MARGIN))
        if by_words
        else MEANING_GOOD
    )
    ranked: list[tuple[float, int, str, int, bool]] = []
    for pk in set(word_ranks) | set(meaning):
        word, kind, object_id = word_ranks.get(pk) or (0.0, *meaning[pk][1:])
        cosine = max(meaning.get(pk, (0.0,))[0], 0.0)
        if meaning:
            # A word match counts in proportion to how close the document's meaning is to the best one:
            # a match of a corrected or expanded word in a document about something else sinks.
            agreement = min(1.0, cosine / top_cosine) ** AGREEMENT_POWER if top_cosine > 0 else 1.0
            held_share = sum(1 for m in matches if pk in m) / len(matches) if matches else 0.0
            score = WORD_WEIGHT * held_share * agreement + MEANING_WEIGHT * cosine
        else:
            score = word / top_word
        good = pk in by_words or cosine >= meaning_bar
        ranked.append((score, pk, kind, object_id, good))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    good_ranked = [r for r in ranked if r[4]]
    visible = _visible(user, good_ranked, filters)
    page = visible[offset : offset + limit]
    objects = _allowed(user, _by_kind(page), filters)
    hits = [
        Hit(type=kind, id=object_id, title=_title(obj), unit=None, score=round(score, 4), obj=obj)
        for score, _, kind, object_id, _ in page
        if (obj := objects.get((kind, object_id))) is not None
    ]
    results = Results(_decorate(hits, parsed.highlight), len(visible), offset, limit)
    if not visible:
        results.no_good_match = True
        weak = _visible(user, [r for r in ranked if not r[4]][: WEAK_SHOWN * 3], filters)[:WEAK_SHOWN]
        objects = _allowed(user, _by_kind(weak), filters)
        results.weak = _decorate(
            [
                Hit(type=kind, id=object_id, title=_title(obj), unit=None, score=round(score, 4), obj=obj)
                for score, _, kind, object_id, _ in weak
                if (obj := objects.get((kind, object_id))) is not None
            ],
            parsed.highlight,
        )
    return results


def _by_kind(rows: Sequence[tuple[Any, ...]]) -> dict[str, list[int]]:
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        by_kind.setdefault(row[2], []).append(row[3])
    return by_kind


def _visible(
    user: AnyUser, ranked: Sequence[tuple[float, int, str, int, bool]], filters: Filters
) -> list[tuple[float, int, str, int, bool]]:
    """The ranked candidates the user may see and the filters keep, in order (ids only are read)."""
    keep: set[tuple[str, int]] = set()
    for start in range(0, len(ranked), 500):
        keep |= _allowed_ids(user, _by_kind(ranked[start : start + 500]), filters)
    return [r for r in ranked if (r[2], r[3]) in keep]


def _source_queryset(user: AnyUser, source: sources.Source, filters: Filters) -> QuerySet[Any]:
    """A registered source's objects the user may see and the filters keep (they have no topics)."""
    from spiral.organisations.permissions import visible_to

    qs = visible_to(user, source.objects()).filter(_unit_q(filters, f"{source.unit_field}__"))
    if filters.topic:
        return qs.none()
    if filters.since:
        qs = qs.filter(**{f"{source.date_field}__gte": filters.since})
    if filters.until:
        qs = qs.filter(**{f"{source.date_field}__lte": filters.until})
    return qs


def _title(obj: Any) -> str:
    if isinstance(obj, DriverNode):
        return obj.text[:300]
    if isinstance(obj, Community | Measure):
        return obj.name
    return str(getattr(obj, "title", None) or getattr(obj, "what", None) or obj)


def _querysets(user: AnyUser, by_kind: dict[str, list[int]], filters: Filters) -> dict[str, QuerySet[Any]]:
    """Per kind, the candidate objects the user may see and the filters keep."""
    from spiral.organisations.permissions import visible_to

    out: dict[str, QuerySet[Any]] = {}
    if by_kind.get(DocKind.PROJECT):
        qs: QuerySet[Any] = filter_projects(visible_to(user, Project.objects.select_related("unit")), filters)
        out[DocKind.PROJECT] = qs.filter(pk__in=by_kind[DocKind.PROJECT])
    if by_kind.get(DocKind.CHANGE_IDEA):
        projects = filter_projects(visible_to(user, Project.objects.all()), filters)
        out[DocKind.CHANGE_IDEA] = visible_to(
            user, DriverNode.objects.select_related("project__unit")
        ).filter(pk__in=by_kind[DocKind.CHANGE_IDEA], project__in=projects)
    if by_kind.get(DocKind.RESOURCE):
        qs = _filter_others(
            visible_to(user, Resource.objects.select_related("unit")), filters, has_topics=True
        )
        out[DocKind.RESOURCE] = qs.filter(pk__in=by_kind[DocKind.RESOURCE]).distinct()
    if by_kind.get(DocKind.COMMUNITY):
        qs = _filter_others(
            visible_to(user, Community.objects.select_related("unit")), filters, has_topics=False
        )
        out[DocKind.COMMUNITY] = qs.filter(pk__in=by_kind[DocKind.COMMUNITY])
    if by_kind.get(DocKind.MEASURE):
        qs = filter_measures(visible_to(user, Measure.objects.select_related("owner")), filters)
        out[DocKind.MEASURE] = qs.filter(pk__in=by_kind[DocKind.MEASURE])
    for kind, source in sources.registered().items():
        if by_kind.get(kind):
            out[kind] = _source_queryset(user, source, filters).filter(pk__in=by_kind[kind])
    return out


def _allowed(user: AnyUser, by_kind: dict[str, list[int]], filters: Filters) -> dict[tuple[str, int], Any]:
    """The candidate objects the user may see and the filters keep, keyed by (kind, id)."""
    return {(kind, obj.pk): obj for kind, qs in _querysets(user, by_kind, filters).items() for obj in qs}


def _allowed_ids(user: AnyUser, by_kind: dict[str, list[int]], filters: Filters) -> set[tuple[str, int]]:
    return {
        (kind, pk)
        for kind, qs in _querysets(user, by_kind, filters).items()
        for pk in qs.values_list("pk", flat=True)
    }


def _browse(user: AnyUser, kinds: Sequence[str], filters: Filters, limit: int) -> list[Hit]:
    """No words to search for but filters chosen: the newest matching objects, score 0."""
    from spiral.organisations.permissions import visible_to

    hits: list[Hit] = []
    if DocKind.PROJECT in kinds:
        qs: QuerySet[Any] = filter_projects(visible_to(user, Project.objects.select_related("unit")), filters)
        hits += [
            Hit(DocKind.PROJECT, p.pk, p.title, p.unit, 0.0, obj=p)
            for p in qs.order_by("-updated_at", "-id")[:limit]
        ]
    if DocKind.RESOURCE in kinds and len(hits) < limit:
        qs = _filter_others(
            visible_to(user, Resource.objects.select_related("unit")), filters, has_topics=True
        )
        hits += [
            Hit(DocKind.RESOURCE, r.pk, r.title, r.unit, 0.0, obj=r)
            for r in qs.distinct().order_by("-updated_at")[:limit]
        ]
    if DocKind.COMMUNITY in kinds and len(hits) < limit:
        qs = _filter_others(
            visible_to(user, Community.objects.select_related("unit")), filters, has_topics=False
        )
        hits += [
            Hit(DocKind.COMMUNITY, c.pk, c.name, c.unit, 0.0, obj=c)
            for c in qs.order_by("-created_at")[:limit]
        ]
    if DocKind.MEASURE in kinds and len(hits) < limit:
        qs = filter_measures(visible_to(user, Measure.objects.select_related("owner")), filters)
        hits += [
            Hit(DocKind.MEASURE, m.pk, m.name, m.owner, 0.0, obj=m)
            for m in qs.order_by("-updated_at", "-id")[:limit]
        ]
    for kind, source in sources.registered().items():
        if kind in kinds and len(hits) < limit:
            hits += [
                Hit(kind, obj.pk, _title(obj), None, 0.0, obj=obj)
                for obj in _source_queryset(user, source, filters).order_by(f"-{source.date_field}", "-pk")[
                    :limit
                ]
            ]
    return _decorate(hits[:limit], frozenset())


def _decorate(hits: list[Hit], stems: frozenset[str]) -> list[Hit]:
    """Fill in what a result shows: unit, snippet, and for projects progress, stage, improvement shown,
    what was tried and by whom."""
    project_ids = [h.id for h in hits if h.type == DocKind.PROJECT]
    improving = set(
        Project.objects.filter(pk__in=project_ids).filter(improvement_shown_q()).values_list("pk", flat=True)
    )
    tried: dict[int, list[str]] = {}
    for pid, text in DriverNode.objects.filter(
        project_id__in=project_ids, kind=NodeKind.CHANGE_IDEA
    ).values_list("project_id", "text"):
        tried.setdefault(pid, []).append(text)
    from spiral.projects.models import ProjectRole, TeamMember

    leads: dict[int, list[str]] = {}
    for pid, name in TeamMember.objects.filter(project_id__in=project_ids, role=ProjectRole.LEAD).values_list(
        "project_id", "user__display_name"
    ):
        leads.setdefault(pid, []).append(name)
    for h in hits:
        obj = h.obj
        h.title_html = highlight(h.title, stems)
        if h.type == DocKind.PROJECT:
            h.unit = obj.unit
            h.progress = float(obj.latest_score) if obj.latest_score is not None else None
            h.stage, h.stage_label = obj.stage, obj.get_stage_display()
            h.improvement_shown = obj.pk in improving
            h.tried = tried.get(obj.pk, [])[:5]
            h.leads = leads.get(obj.pk, [])
            h.snippet = highlight(_join(obj.aim, obj.problem, obj.lessons) or "", stems, limit=260)
        elif h.type == DocKind.CHANGE_IDEA:
            h.project = obj.project
            h.unit = obj.project.unit
            h.snippet = highlight(obj.description or obj.project.title, stems, limit=200)
        elif h.type == DocKind.RESOURCE:
            h.unit = obj.unit
            h.snippet = highlight(obj.summary, stems, limit=260)
        elif h.type == DocKind.MEASURE:
            h.unit = obj.owner
            h.snippet = highlight(obj.description or obj.numerator_definition, stems, limit=260)
        elif (source := sources.get(h.type)) is not None:
            shown = source.shown(obj)
            h.unit = getattr(obj, source.unit_field)
            h.url, h.label = shown.url, shown.label
            h.snippet = highlight(shown.snippet, stems, limit=260)
        else:
            h.unit = obj.unit
            h.snippet = highlight(obj.description, stems, limit=260)
    return hits


# --- similar work ---------------------------------------------------------------------------------------


def similar_documents(kind: str, object_id: int, *, limit: int = 10) -> list[tuple[int, float]]:
    """(object id, similarity) of the documents of `kind` nearest in meaning to one; by words without
    the model (its title as the query)."""
    doc = SearchDocument.objects.filter(kind=kind, object_id=object_id).first()
    if doc is None:
        return []
    if doc.embedding:
        v = vectors(kind)
        if len(v.ids):
            sims = v.matrix @ embeddings.from_bytes(doc.embedding)
            order = np.argsort(-sims)[: limit + 1]
            return [(int(v.object_ids[i]), float(sims[i])) for i in order if int(v.ids[i]) != doc.pk][:limit]
    ranks = _word_ranks(parse(doc.title + " " + doc.body[:200], correct=False), [kind])
    ranks.pop(doc.pk, None)
    return _relative(ranks)[:limit]


def similar_to_text(kind: str, text: str, *, limit: int = 10) -> list[tuple[int, float]]:
    """(object id, similarity) of the documents of `kind` nearest in meaning to a text that is not
    indexed (a project being written, before it is saved): as `similar_documents`, the text embedded
    with the model, else its first words as the query."""
    text = (text or "").strip()
    if not text:
        return []
    if embeddings.available():
        v = vectors(kind)
        query = embeddings.encode([text]) if len(v.ids) else None
        if query is not None:
            with embeddings.one_blas_thread():
                sims = v.matrix @ query[0]
            order = np.argsort(-sims)[:limit]
            return [(int(v.object_ids[i]), float(sims[i])) for i in order]
    return _relative(_word_ranks(parse(text[:300], correct=False), [kind]))[:limit]


def _relative(ranks: dict[int, tuple[float, str, int]]) -> list[tuple[int, float]]:
    """Word ranks as (object id, rank relative to the best), best first."""
    top = max((r for r, _, _ in ranks.values()), default=1.0) or 1.0
    return sorted(((oid, r / top) for r, _, oid in ranks.values()), key=lambda x: -x[1])
