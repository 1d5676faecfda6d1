"""The one English stemmer: Porter's algorithm (the Snowball `porter` stemmer, snowballstemmer).

SQLite FTS5's `porter` tokenizer, which the catalogue's search index uses, applies the same algorithm,
so the words search marks in its results are the words the database matched (`falls` and `fall`,
`ulcers` and `ulcer`). PostgreSQL's `english` configuration stems with Snowball's later English
(Porter2) algorithm, which agrees on nearly every word. Voice feedback's theme suggestions stem with it
too, so an answer's `waiting` meets a theme's keyword `wait` as a search would.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

# A snowballstemmer stemmer keeps its working state on the object: one per thread.
_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("porter")
    return stemmer


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Porter stem of a lower-case word: `stem("discharges") == "discharg"`."""
    return _stemmer().stemWord(word)
